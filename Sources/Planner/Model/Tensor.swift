/// A tensor held directly by a module: a parameter or a buffer.
///
/// Shapes are as the checkpoint stores them. `bits` is the tensor's own element width before
/// any dtype conversion (32 for a float32 parameter on the meta device, 64 for an int64 buffer).
public struct Tensor: Sendable, Hashable, Codable {
  /// The local name inside its module (`"weight"`, `"inv_freq"`).
  public var name: String
  public var shape: [Int64]
  /// Bits per element of the tensor as created (before the weight dtype is applied).
  public var bits: Int
  /// Whether the tensor is floating point (and so converted to the weight dtype on load).
  public var isFloatingPoint: Bool
  /// Whether a weight-only quantizer (int8, int4, fp8) replaces it: the matrices of linear layers
  /// inside repeated blocks. Embeddings, norms, biases, convolutions and the LM head stay 16-bit.
  public var isQuantizable: Bool
  /// Buffers are not parameters; non-persistent buffers are not in the checkpoint.
  public var isBuffer: Bool
  public var isPersistent: Bool
  /// The tensor's bytes exactly as a file stores them, where no planning dtype converts it (a GGUF
  /// tensor of quantized blocks: Q4_K, Q6_K, …): set, it is the tensor's size whatever the weight
  /// and compute dtypes (``bytes(weight:compute:)``, ``TensorTally``, accelerate's sizes). `nil`
  /// (every other tensor) sizes it from its elements and the dtypes.
  public var storedBytes: Int64? = nil
  /// The parameters of the original (unquantized) model that a stored tensor of a pre-quantized
  /// checkpoint holds: a packed int4 `qweight` of int32 elements holds 8 per element, a scale or a
  /// zero point holds none. `nil` (every other tensor) counts its elements.
  public var parameterElements: Int64? = nil

  /// The number of elements (the product of the shape): zero with a zero dimension however large
  /// the others, `Int64.max` where it saturates.
  public var elementCount: Int64 { .saturatingProduct(of: shape) }

  /// A float32 parameter.
  public static func parameter(_ name: String, _ shape: Int64..., quantizable: Bool = false) -> Tensor {
    Tensor(
      name: name, shape: shape, bits: 32, isFloatingPoint: true, isQuantizable: quantizable,
      isBuffer: false, isPersistent: true)
  }

  /// A buffer (float32 unless `bits`/`floatingPoint` say otherwise).
  public static func buffer(
    _ name: String, _ shape: Int64..., bits: Int = 32, floatingPoint: Bool = true, persistent: Bool
  ) -> Tensor {
    Tensor(
      name: name, shape: shape, bits: bits, isFloatingPoint: floatingPoint, isQuantizable: false,
      isBuffer: true, isPersistent: persistent)
  }
}
