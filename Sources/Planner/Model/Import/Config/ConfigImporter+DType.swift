import Foundation

/// The stored dtype and the quantization config of a checkpoint.
extension ConfigImporter {
  /// The stored dtype (`torch_dtype`, or `dtype` as transformers 4.56+ writes it; nested configs'
  /// if the top level has none) and, with a `quantization_config`, the quantized type it maps to.
  ///
  /// The methods of ``quantization(_:)`` map to int4, int8 or fp8 (``Quantization/weightDType``);
  /// a group size other than 128 is noted, since ``DType/int4`` assumes 128 where the headers do not
  /// give the stored sizes.
  static func storedDType(_ c: ConfigObject) throws(ImportError) -> (DType, [String]) {
    var notes: [String] = []
    var dtype: DType? = nil
    let nested = ["thinker_config", "text_config", "llm_config"]
    var candidates = [c]
    for key in nested { if let inner = try c.object(key) { candidates.append(inner) } }
    search: for config in candidates {
      for key in ["torch_dtype", "dtype"] {
        guard let text = try config.string(key) else { continue }
        guard let parsed = DType(parsing: text), !parsed.isQuantized else {
          notes.append(
            "\(config.subject(key)) \"\(ImportError.oneLine(text))\" is not a stored type: bf16 is assumed")
          break search
        }
        dtype = parsed
        break search
      }
    }
    if dtype == nil && notes.isEmpty {
      notes.append("config.json states no torch_dtype: bf16 is assumed")
    }
    guard let q = try c.object("quantization_config") else { return (dtype ?? .bf16, notes) }
    let method = try q.string("quant_method") ?? "unknown"
    if method == "mxfp4" {
      // gpt-oss: only the expert matrices are MXFP4, which ConfigImporter+GptOss sizes as stored.
      return (dtype ?? .bf16, notes)
    }
    guard let quantization = try quantization(c) else {
      notes.append(
        "quantization_config (\(ImportError.oneLine(method))) is not modelled: planned at \(dtype ?? .bf16)")
      return (dtype ?? .bf16, notes)
    }
    let (bits, group, quantized) = (quantization.bits, quantization.groupSize, quantization.weightDType)
    var note = "quantization_config: \(ImportError.oneLine(method)) \(bits)-bit"
    if let group { note += ", group size \(group)" }
    note += " -> \(quantized)"
    if bits < 4 { note += " (\(bits)-bit weights are planned as 4-bit)" }
    if quantized == .int4, let group, group != DType.int4GroupSize {
      note += " (scales estimated for groups of \(DType.int4GroupSize))"
    }
    notes.append(note)
    return (quantized, notes)
  }
}
