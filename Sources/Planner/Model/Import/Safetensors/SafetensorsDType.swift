import Foundation

/// An element type of the safetensors format.
public enum SafetensorsDType: String, Sendable, Hashable, CaseIterable {
  case bool = "BOOL"
  case u8 = "U8"
  case i8 = "I8"
  case f8e5m2 = "F8_E5M2"
  case f8e4m3 = "F8_E4M3"
  case f8e8m0 = "F8_E8M0"
  case i16 = "I16"
  case u16 = "U16"
  case f16 = "F16"
  case bf16 = "BF16"
  case i32 = "I32"
  case u32 = "U32"
  case f32 = "F32"
  case f64 = "F64"
  case i64 = "I64"
  case u64 = "U64"
  case c64 = "C64"
  case f4 = "F4"
  case f6e2m3 = "F6_E2M3"
  case f6e3m2 = "F6_E3M2"

  /// Bits per stored element (a `BOOL` takes a whole byte).
  public var bits: Int {
    switch self {
    case .f4: 4
    case .f6e2m3, .f6e3m2: 6
    case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0: 8
    case .i16, .u16, .f16, .bf16: 16
    case .i32, .u32, .f32: 32
    case .f64, .i64, .u64, .c64: 64
    }
  }

  /// Whether transformers converts the tensor to the load dtype (floating-point types do; integer,
  /// boolean, scale-exponent `F8_E8M0` and packed sub-byte tensors keep their bytes).
  public var isFloatingPoint: Bool {
    switch self {
    case .f16, .bf16, .f32, .f64, .f8e4m3, .f8e5m2: true
    default: false
    }
  }

  /// The planner's dtype for a checkpoint stored in this type, where there is one.
  var plannerDType: DType? {
    switch self {
    case .f32, .f64: .fp32
    case .f16: .fp16
    case .bf16: .bf16
    case .f8e4m3, .f8e5m2: .fp8
    default: nil
    }
  }
}
