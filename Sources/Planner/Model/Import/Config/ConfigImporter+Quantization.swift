import Foundation

/// The `quantization_config` of a pre-quantized checkpoint.
extension ConfigImporter {
  /// The pre-quantization `quantization_config` describes, or `nil` where there is none or its
  /// method is not one the planner models (`hqq`, `eetq`, `mxfp4`, … are noted by the caller).
  ///
  /// - `awq` and `gptq`: `bits` (4 by default) and `group_size` (`-1`: per output channel).
  /// - `bitsandbytes`: `load_in_4bit` (`bnb_4bit_quant_type` nf4 or fp4) or `load_in_8bit`.
  /// - `fp8`: e4m3 weights, `weight_block_size` `[128, 128]` as a block variant.
  /// - `compressed-tensors`: the first config group (by name) and its `weights`: `num_bits`,
  ///   `type` (`int` or `float`), `group_size`, `strategy`.
  static func quantization(_ c: ConfigObject) throws(ImportError) -> Quantization? {
    guard let q = try c.object("quantization_config") else { return nil }
    let method = try q.string("quant_method") ?? ""
    let group = try q.optionalInteger("group_size", in: -1...(1 << 30)).flatMap { $0 > 0 ? Int($0) : nil }
    let bits = try q.optionalInteger("bits", in: 1...64).map(Int.init)
    let load4 = try q.bool("load_in_4bit", default: false)
    let load8 = try q.bool("load_in_8bit", default: false)
    switch method {
    case "awq":
      return Quantization(method: .awq, bits: bits ?? 4, groupSize: group, variant: try q.string("version"))
    case "gptq":
      return Quantization(method: .gptq, bits: bits ?? 4, groupSize: group)
    case "bitsandbytes" where load4:
      let type = try q.string("bnb_4bit_quant_type") ?? "fp4"
      return Quantization(method: .bitsandbytes, bits: 4, variant: type.lowercased())
    case "bitsandbytes" where load8:
      return Quantization(method: .bitsandbytes, bits: 8)
    case "fp8":
      let block = try q.integers("weight_block_size", in: 1...(1 << 20))
      let variant = block.count == 2 ? "block \(block[0])x\(block[1])" : "per tensor"
      return Quantization(method: .fp8, bits: 8, isFloat: true, variant: variant)
    case "compressed-tensors":
      guard let groups = try q.object("config_groups") else { return nil }
      for key in groups.fields.keys.sorted() {
        guard let weights = try groups.object(key)?.object("weights") else { continue }
        let bits = Int(try weights.optionalInteger("num_bits", in: 1...64) ?? 8)
        let isFloat = try weights.string("type") == "float"
        let group = try weights.optionalInteger("group_size", in: -1...(1 << 30)).flatMap {
          $0 > 0 ? Int($0) : nil
        }
        return Quantization(
          method: .compressedTensors, bits: bits, groupSize: group, isFloat: isFloat,
          variant: try weights.string("strategy"))
      }
      return nil
    default:
      return nil
    }
  }
}
