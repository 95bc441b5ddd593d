import Planner

/// What `planner gpus` and `planner models` print: a table, or JSON (`--format json`).
enum CatalogListing {
  static func gpus(_ gpus: [GPU]) -> String {
    var lines = [
      "name            arch                cc      memory      usable      bandwidth   fp16 TFLOPS  bf16  fp8  aliases"
    ]
    for gpu in gpus {
      let bandwidth = "\(Int64(gpu.bandwidthBytesPerSecond / 1e9)) GB/s"
      let tflops =
        String(Int64(gpu.fp16FLOPS / 1e12 * 10 + 0.5) / 10) + "."
        + String(Int64(gpu.fp16FLOPS / 1e12 * 10 + 0.5) % 10)
      lines.append(
        [
          pad(gpu.name, 15), pad(gpu.architecture, 19), pad(gpu.computeCapabilityString, 7),
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

  /// One GPU in `planner gpus --format json`: the fields of a `--gpu-spec` file (memory in bytes,
  /// rates in GB/s and TFLOPS); a rate the card lacks is absent.
  struct GPUEntry: Encodable {
    var name: String
    var aliases: [String]
    var architecture: String
    var computeCapability: String
    var memoryBytes: Int64
    var usableMemoryBytes: Int64
    var bandwidthGBps: Double
    var fp32TFLOPS: Double
    var fp16TFLOPS: Double
    var bf16TFLOPS: Double?
    var fp8TFLOPS: Double?
    var int8TOPS: Double?
    var supportsBF16: Bool
    var supportsFP8: Bool
    var pcieGeneration: Int
    var nvlinkGeneration: Int?
    var nvlinkGBps: Double?
    var peerToPeer: Bool
    var source: String

    init(_ gpu: GPU) {
      name = gpu.name
      aliases = gpu.aliases
      architecture = gpu.architecture
      computeCapability = gpu.computeCapabilityString
      memoryBytes = gpu.memory.value
      usableMemoryBytes = gpu.usableMemory.value
      bandwidthGBps = gpu.bandwidthBytesPerSecond / 1e9
      fp32TFLOPS = gpu.fp32FLOPS / 1e12
      fp16TFLOPS = gpu.fp16FLOPS / 1e12
      bf16TFLOPS = gpu.bf16FLOPS.map { $0 / 1e12 }
      fp8TFLOPS = gpu.fp8FLOPS.map { $0 / 1e12 }
      int8TOPS = gpu.int8OPS.map { $0 / 1e12 }
      supportsBF16 = gpu.supportsBF16
      supportsFP8 = gpu.supportsFP8
      pcieGeneration = gpu.pcieGeneration
      nvlinkGeneration = gpu.nvlinkGeneration
      nvlinkGBps = gpu.nvlinkBytesPerSecond.map { $0 / 1e9 }
      peerToPeer = gpu.supportsPeerToPeer
      source = gpu.source
    }
  }

  /// One model in `planner models --format json`; `estimates` lists what the entry assumes (empty
  /// where every size is published), `source` where its numbers come from.
  struct ModelEntry: Encodable {
    var name: String
    var aliases: [String]
    var summary: String
    var parameters: Int64
    var layers: Int
    var nativeDType: String
    var bf16WeightBytes: Int64
    var maxPositionEmbeddings: Int64?
    var vision: Bool
    var estimates: [String]
    var source: String

    init(_ entry: ModelCatalog.Entry) {
      let model = entry.build()
      name = entry.name
      aliases = entry.aliases
      summary = model.summary
      parameters = model.parameterCount
      layers = model.layers.count
      nativeDType = model.nativeDType.rawValue
      bf16WeightBytes = model.weightBytes(weight: .bf16, compute: .bf16).value
      maxPositionEmbeddings = model.serving.maxPositions
      vision = model.vision != nil
      estimates = model.estimates
      source = entry.source
    }
  }

  static func gpusJSON(_ gpus: [GPU]) -> String {
    JSONDocument.render(kind: "gpus", key: "gpus", items: gpus.map(GPUEntry.init))
  }

  static func modelsJSON() -> String {
    JSONDocument.render(kind: "models", key: "models", items: ModelCatalog.entries.map(ModelEntry.init))
  }

  /// `text` padded with spaces to `width`; a longer text keeps one space after it.
  static func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
  }

}
