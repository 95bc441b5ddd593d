import Foundation

/// The stored dtype and the quantization config of a checkpoint.
extension ConfigImporter {
  /// The stored dtype (`torch_dtype`, or `dtype` as transformers 4.56+ writes it; nested configs'
  /// if the top level has none) and, with a `quantization_config`, the quantized type it maps to.
  ///
  /// GPTQ, AWQ and similar (`bits` 4 or 8), bitsandbytes (`load_in_4bit`, `load_in_8bit`), `fp8`
  /// and compressed-tensors (`config_groups.*.weights`: `num_bits`, `type`) map to int4, int8
  /// or fp8; a group size other than 128 is noted, since ``DType/int4`` assumes 128.
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
    var bits = try q.optionalInteger("bits", in: 1...64)
    var type = "int"
    var group = try q.optionalInteger("group_size", in: -1...(1 << 30))
    if try q.bool("load_in_4bit", default: false) { bits = 4 }
    if try q.bool("load_in_8bit", default: false) { bits = 8 }
    if method == "mxfp4" {
      // gpt-oss: only the expert matrices are MXFP4, which ConfigImporter+GptOss sizes as stored.
      return (dtype ?? .bf16, notes)
    }
    if method == "fp8" {
      (bits, type) = (8, "float")
    }
    if method == "compressed-tensors", let groups = try q.object("config_groups") {
      for key in groups.fields.keys.sorted() {
        guard let weights = try groups.object(key)?.object("weights") else { continue }
        bits = try weights.optionalInteger("num_bits", in: 1...64)
        type = try weights.string("type") ?? "int"
        group = try weights.optionalInteger("group_size", in: -1...(1 << 30)) ?? group
        break
      }
    }
    let quantized: DType?
    switch (bits, type) {
    case (8?, "float"): quantized = .fp8
    case (8?, _): quantized = .int8
    case (let b?, _) where b <= 4: quantized = .int4
    default: quantized = nil
    }
    guard let quantized else {
      notes.append(
        "quantization_config (\(ImportError.oneLine(method))) is not modelled: planned at \(dtype ?? .bf16)")
      return (dtype ?? .bf16, notes)
    }
    var note = "quantization_config: \(ImportError.oneLine(method))"
    if let bits { note += " \(bits)-bit" }
    if let group { note += ", group size \(group)" }
    note += " -> \(quantized)"
    if let bits, bits < 4 { note += " (\(bits)-bit weights are planned as 4-bit)" }
    if quantized == .int4, let group, group != DType.int4GroupSize {
      note += " (scales estimated for groups of \(DType.int4GroupSize))"
    }
    notes.append(note)
    return (quantized, notes)
  }
}
