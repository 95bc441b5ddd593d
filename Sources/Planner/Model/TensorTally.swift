/// Counts of a set of tensors, enough to compute their bytes under any dtype.
///
/// Quantized bytes are summed per matrix as each tensor is added, so a layer's bytes always equal
/// the sum of its tensors' ``Tensor/bytes(weight:compute:)``.
public struct TensorTally: Sendable, Hashable, Codable {
  /// Elements of quantizable matrices.
  public var quantizableElements: Int64 = 0
  /// Bytes of the quantizable matrices under each quantized dtype, scales included.
  public var quantizedBytes: [DType: Int64] = [:]
  /// Other floating-point elements (embeddings, norms, biases, float buffers).
  public var floatElements: Int64 = 0
  /// Bytes of tensors that no dtype converts (integer and boolean buffers, and tensors with
  /// ``Tensor/storedBytes``).
  public var fixedBytes: Int64 = 0

  mutating func add(_ tensor: Tensor) {
    if let stored = tensor.storedBytes {
      fixedBytes = fixedBytes.saturatingAdd(stored)
    } else if tensor.isQuantizable {
      quantizableElements = quantizableElements.saturatingAdd(tensor.elementCount)
      for dtype in DType.allCases where dtype.isQuantized {
        quantizedBytes[dtype, default: 0] = quantizedBytes[dtype, default: 0].saturatingAdd(
          tensor.bytes(weight: dtype, compute: .fp16))
      }
    } else if tensor.isFloatingPoint {
      floatElements = floatElements.saturatingAdd(tensor.elementCount)
    } else {
      fixedBytes = fixedBytes.saturatingAdd(tensor.bytes(weight: .fp16, compute: .fp16))
    }
  }

  /// Bytes under a weight dtype and a compute dtype.
  func bytes(weight: DType, compute: DType) -> Int64 {
    let matrices =
      weight.isQuantized
      ? quantizedBytes[weight, default: 0] : .saturatingProduct(Int64(weight.bits / 8), quantizableElements)
    return Int64.saturatingProduct(Int64(compute.bits / 8), floatElements).saturatingAdd(matrices)
      .saturatingAdd(fixedBytes)
  }
}
