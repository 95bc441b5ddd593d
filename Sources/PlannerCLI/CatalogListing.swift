import Planner

/// The tables `planner gpus` and `planner models` print.
enum CatalogListing {
  static func gpus(_ gpus: [GPU]) -> String {
    var lines = [
      "name            arch                cc    memory      usable      bandwidth   fp16 TFLOPS  bf16  fp8  aliases"
    ]
    for gpu in gpus {
      let bandwidth = "\(Int64(gpu.bandwidthBytesPerSecond / 1e9)) GB/s"
      let tflops =
        String(Int64(gpu.fp16FLOPS / 1e12 * 10 + 0.5) / 10) + "."
        + String(Int64(gpu.fp16FLOPS / 1e12 * 10 + 0.5) % 10)
      lines.append(
        [
          pad(gpu.name, 15), pad(gpu.architecture, 19), pad(gpu.computeCapabilityString, 5),
          pad(gpu.memory.formatted(), 11), pad(gpu.usableMemory.formatted(), 11), pad(bandwidth, 11),
          pad(tflops, 12), pad(gpu.supportsBF16 ? "yes" : "no", 5), pad(gpu.supportsFP8 ? "yes" : "no", 4),
          gpu.aliases.joined(separator: ", "),
        ].joined(separator: " "))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static func models() -> String {
    var lines = ["name                   parameters       bf16 weights  layers  composition"]
    for entry in ModelCatalog.entries {
      let model = entry.build()
      let weights = model.weightBytes(weight: .bf16, compute: .bf16)
      let mark = model.estimates.isEmpty ? "" : " (estimate)"
      lines.append(
        [
          pad(entry.name, 22), pad(TableRenderer.groupedDigits(model.parameterCount), 16),
          pad(weights.formatted(), 13),
          pad("\(model.layers.count)", 7), model.summary + mark,
        ].joined(separator: " "))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// `text` padded with spaces to `width`; a longer text keeps one space after it.
  static func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
  }

}
