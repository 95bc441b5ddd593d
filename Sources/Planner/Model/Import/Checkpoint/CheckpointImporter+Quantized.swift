import Foundation

/// The stored tensors of a pre-quantized checkpoint: which hold the original model's weights
/// (packed or not) and which are the quantizer's scales, zero points and indices.
extension CheckpointImporter {
  /// What a stored tensor of a pre-quantized checkpoint is.
  enum QuantizedRole: Equatable {
    /// Packed weights: each stored element holds `weightsPerElement` weights of the original
    /// matrix (an int32 `qweight` of 4-bit weights holds 8, a uint8 bitsandbytes 4-bit `weight` 2).
    case packed(weightsPerElement: Int64)
    /// Quantized weights, one per element (bitsandbytes int8, fp8 e4m3).
    case quantized
    /// The quantizer's own data: scales, zero points, `g_idx`, absmax, quant maps, shapes. Stored
    /// bytes, no parameters of the original model.
    case auxiliary
  }

  /// The role of a stored tensor under `quantization`, or `nil` for a tensor the quantizer left as
  /// it was (embeddings, norms, biases, the LM head: converted to the compute dtype on load).
  ///
  /// The names are the quantizers' serialized ones (`Scripts/make_quantized_checkpoints.py` writes
  /// each layout and says where it comes from).
  static func quantizedRole(
    _ path: [String], _ tensor: SafetensorsTensor, _ quantization: Quantization
  ) -> QuantizedRole? {
    let name = path.last ?? ""
    let weightsPerElement = Int64(max(tensor.dtype.bits / max(quantization.bits, 1), 1))
    switch quantization.method {
    case .awq, .gptq:
      switch name {
      case "qweight": return .packed(weightsPerElement: weightsPerElement)
      case "qzeros", "scales", "g_idx": return .auxiliary
      default: return nil
      }
    case .bitsandbytes:
      // 4-bit keeps its quant state as `weight.absmax`, `weight.quant_map`, `weight.nested_*`
      // and `weight.quant_state.bitsandbytes__nf4`: children of a module named `weight`.
      if path.dropLast().contains("weight") { return .auxiliary }
      switch name {
      case "weight" where !tensor.dtype.isFloatingPoint:
        return quantization.bits <= 4 ? .packed(weightsPerElement: weightsPerElement) : .quantized
      case "SCB", "weight_format": return .auxiliary
      default: return nil
      }
    case .fp8, .compressedTensors:
      switch name {
      case "weight_packed": return .packed(weightsPerElement: weightsPerElement)
      case "weight" where tensor.dtype == .f8e4m3 || tensor.dtype == .f8e5m2: return .quantized
      case "weight_scale", "weight_scale_inv", "weight_zero_point", "weight_shape", "weight_g_idx",
        "input_scale", "weight_global_scale", "input_global_scale", "activation_scale":
        return .auxiliary
      default: return nil
      }
    }
  }

  /// Gives a planner tensor the stored size and parameter count of its role: its bytes exactly as
  /// stored (no dtype converts them), and the original model's weights it holds.
  static func apply(_ role: QuantizedRole, to tensor: inout Tensor, stored: SafetensorsTensor) {
    tensor.isQuantizable = false
    tensor.storedBytes =
      Int64.saturatingProduct(stored.elementCount, Int64(stored.dtype.bits)).saturatingAdd(7) / 8
    switch role {
    case .packed(let weightsPerElement):
      tensor.parameterElements = .saturatingProduct(stored.elementCount, weightsPerElement)
    case .quantized:
      tensor.parameterElements = stored.elementCount
    case .auxiliary:
      tensor.parameterElements = 0
    }
  }
}
