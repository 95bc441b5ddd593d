/// A weight data type the planner can plan for.
///
/// The 16- and 32-bit types store every floating-point tensor at that width. The quantized
/// types (``fp8``, ``int8``, ``int4``) are weight-only: they replace the matrices of linear layers
/// inside repeated blocks and keep everything else (embeddings, norms, biases, the LM head,
/// activations and the KV cache) at a 16-bit compute type, as transformers' quantizers do.
public enum DType: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
  case fp32, bf16, fp16, fp8, int8, int4

  /// Bits per stored element of a quantizable matrix, before scales.
  public var bits: Int {
    switch self {
    case .fp32: 32
    case .bf16, .fp16: 16
    case .fp8, .int8: 8
    case .int4: 4
    }
  }

  /// Whether this is a weight-only quantized type.
  public var isQuantized: Bool { bits < 16 }

  /// The PyTorch name (`torch.bfloat16`), as transformers' `dtype=` takes it.
  public var torchName: String {
    switch self {
    case .fp32: "float32"
    case .bf16: "bfloat16"
    case .fp16: "float16"
    case .fp8: "float8_e4m3fn"
    case .int8: "int8"
    case .int4: "int4"
    }
  }

  public var description: String { rawValue }

  /// Group size of int4 weights: one scale and one zero point (fp16 each) per group of 128.
  /// Source: the GPTQ/AWQ default (`group_size=128`) that the design names for int4.
  static let int4GroupSize: Int64 = 128
  /// Bytes of scale per output row of an int8 matrix: bitsandbytes LLM.int8 keeps one fp32
  /// absmax (`SCB`) per row (transformers' `load_in_8bit` path).
  static let int8ScaleBytesPerRow: Int64 = 4
  /// Bytes of scale per fp8 matrix: one fp32 per-tensor scale (`weight_scale`, compressed-tensors).
  static let fp8ScaleBytesPerTensor: Int64 = 4

  /// Bytes that a quantizable matrix of `elements` elements with `rows` output rows takes.
  ///
  /// - Complexity: O(1).
  func matrixBytes(elements: Int64, rows: Int64) -> Int64 {
    switch self {
    case .fp32: .saturatingProduct(elements, 4)
    case .bf16, .fp16: .saturatingProduct(elements, 2)
    case .fp8: elements.saturatingAdd(Self.fp8ScaleBytesPerTensor)
    case .int8: elements.saturatingAdd(.saturatingProduct(rows, Self.int8ScaleBytesPerRow))
    case .int4:
      // 4 bits per weight plus an fp16 scale and an fp16 zero point per group.
      elements / 2 + elements % 2
        + .saturatingProduct(elements / Self.int4GroupSize + (elements % Self.int4GroupSize == 0 ? 0 : 1), 4)
    }
  }

  /// Parses `fp32`, `float32`, `bf16`, `bfloat16`, `fp16`, `float16`, `half`, `fp8`, `int8`, `int4`.
  public init?(parsing text: String) {
    switch text.lowercased() {
    case "fp32", "float32", "float": self = .fp32
    case "bf16", "bfloat16": self = .bf16
    case "fp16", "float16", "half": self = .fp16
    case "fp8", "float8", "float8_e4m3fn", "e4m3": self = .fp8
    case "int8", "8bit", "q8": self = .int8
    case "int4", "4bit", "q4": self = .int4
    default: return nil
    }
  }
}
