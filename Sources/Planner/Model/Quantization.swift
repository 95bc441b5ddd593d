/// How a pre-quantized checkpoint stores its weights, as its `quantization_config` and its
/// safetensors headers say: the method, the bits, the group size and the tensors that hold them.
///
/// A pre-quantized checkpoint is planned as it is stored: its bytes are the headers' exactly, its
/// parameter count is the original model's (a packed int32 `qweight` holds 32/bits weights), and
/// the planner never re-quantizes it. Which runtimes run it on which GPU is
/// `QuantizationSupport`'s (Planning) concern.
///
///     let awq = Quantization(method: .awq, bits: 4, groupSize: 128)
///     awq.description   // "awq int4, group 128"
public struct Quantization: Sendable, Hashable, Codable, CustomStringConvertible {
  /// The quantizer that wrote the checkpoint (`quantization_config.quant_method`).
  public enum Method: String, Sendable, Hashable, Codable, CaseIterable {
    /// AutoAWQ (`qweight` I32 [in, out·bits/32], `qzeros`, `scales`).
    case awq
    /// AutoGPTQ / GPTQModel (`qweight` I32 [in·bits/32, out], `qzeros`, `scales`, `g_idx`).
    case gptq
    /// bitsandbytes as transformers serializes it: 4-bit (`weight` U8 packed two per byte, with
    /// `weight.absmax`, `weight.quant_map`, `weight.quant_state.*`) or LLM.int8 (`weight` I8, `SCB`).
    case bitsandbytes
    /// fp8 e4m3 weights with scales (`weight_scale_inv` per 128×128 block, DeepSeek-V3 style).
    case fp8
    /// llm-compressor's format: packed int (`weight_packed`, `weight_scale`, `weight_shape`) or
    /// float-quantized fp8 (`weight`, `weight_scale`).
    case compressedTensors = "compressed-tensors"
  }

  public var method: Method
  /// Bits per weight: 4 or 8 (the methods' other widths are planned as the nearest of these).
  public var bits: Int
  /// Weights per scale group; `nil` where scales are per channel, per tensor or per block.
  public var groupSize: Int?
  /// Whether the weights are floating point (fp8 e4m3) rather than integers.
  public var isFloat: Bool
  /// The variant where it matters to the runtime: `nf4`/`fp4` for bitsandbytes 4-bit, the block
  /// for fp8 (`block 128x128`), the AWQ kernel version (`gemm`).
  public var variant: String?
  /// The dtype of the tensors the quantizer left as they were (embeddings, norms, biases, the LM
  /// head), as the headers store them; `nil` where no headers were read.
  public var floatDType: DType?

  public init(
    method: Method, bits: Int, groupSize: Int? = nil, isFloat: Bool = false, variant: String? = nil,
    floatDType: DType? = nil
  ) {
    self.method = method
    self.bits = bits
    self.groupSize = groupSize
    self.isFloat = isFloat
    self.variant = variant
    self.floatDType = floatDType
  }

  /// The planner's dtype for the cost model: int4, int8 or fp8.
  public var weightDType: DType {
    if isFloat { return .fp8 }
    return bits <= 4 ? .int4 : .int8
  }

  /// `awq int4, group 128`; `bitsandbytes nf4`; `fp8 e4m3, block 128x128`.
  public var description: String {
    var text: String
    switch method {
    case .fp8: text = "fp8 e4m3"
    case .bitsandbytes where bits <= 4: text = "bitsandbytes " + (variant ?? "int4")
    default: text = method.rawValue + (isFloat ? " fp8 e4m3" : " int\(bits)")
    }
    if let groupSize, groupSize > 0 { text += ", group \(groupSize)" }
    if isFloat, let variant { text += ", " + variant }
    return text
  }
}
