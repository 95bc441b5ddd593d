import Foundation

/// Writes a plan as JSON with sorted keys; memory in bytes (integers). Docs/Formats.md documents the
/// schema; later issues add `"estimate"` and `"hops"`.
public enum JSONExporter {
  struct Document: Encodable {
    struct Model: Encodable {
      var name: String
      var parameters: Int64
      var summary: String
      var estimates: [String]
    }
    struct Memory: Encodable {
      var weights: Int64
      var kvCache: Int64
      var activations: Int64
      var reserve: Int64
      var total: Int64
      var capacity: Int64?
    }
    struct DeviceEntry: Encodable {
      var index: Device
      var gpu: String?
      var modules: [String]
      var memory: Memory
      var fits: Bool
    }
    struct WorkloadEntry: Encodable {
      var batch: Int
      var contextTokens: Int
      var images: Int
      var slicesPerImage: Int?
      var attention: String
      var kvDType: String
    }
    struct EstimateEntry: Encodable {
      var decodeSecondsPerToken: Double
      var tokensPerSecond: Double
      var prefillSeconds: Double
      var imageSeconds: Double?
      var throughputTokensPerSecond: Double
      var bottleneck: String
    }
    /// The host profile file that set some of the runtime's values (absent for a built-in one).
    struct RuntimeProfileEntry: Encodable {
      var file: String
      var measuredOn: String?
      var overrides: [String: ProfileFile.Value]
    }
    struct HopEntry: Encodable {
      var from: Device
      var to: Device
      var link: String
      var seconds: Double
      var carries: String
    }
    var model: Model
    var gpus: [String]
    var dtype: String
    var computeDType: String
    var dtypeNotes: [String]
    var strategy: String
    var runtime: String
    var runtimeProfile: RuntimeProfileEntry?
    var workload: WorkloadEntry
    var fits: Bool
    var devices: [DeviceEntry]
    var deviceMap: [String: Device]
    var maxMemory: [String: Int64]?
    var warnings: [String]
    var notes: [String]
    var advice: [String]
    var estimate: EstimateEntry
    var hops: [HopEntry]
  }

  public static func render(_ plan: Plan) -> String {
    let w = plan.workload
    let slices = plan.model.vision.map { vision in
      Int(w.slicesPerImage.map { min(Int64($0), vision.maximumSlices) } ?? vision.maximumSlices)
    }
    let document = Document(
      model: .init(
        name: plan.model.name, parameters: plan.model.parameterCount, summary: plan.model.summary,
        estimates: plan.model.estimates),
      gpus: plan.gpus.map(\.name), dtype: plan.weightDType.rawValue, computeDType: plan.computeDType.rawValue,
      dtypeNotes: plan.dtypeNotes, strategy: plan.strategy.rawValue, runtime: plan.runtime.name,
      runtimeProfile: plan.runtime.source.map { source in
        .init(
          file: source.file, measuredOn: source.measuredOn,
          overrides: Dictionary(
            uniqueKeysWithValues: source.fields.map { ($0.rawValue, $0.value(in: plan.runtime)) }))
      },
      workload: .init(
        batch: w.batch, contextTokens: w.contextTokens, images: plan.model.vision == nil ? 0 : w.images,
        slicesPerImage: slices, attention: w.attention.rawValue,
        kvDType: (w.kvDType ?? plan.computeDType).rawValue),
      fits: plan.fits,
      devices: plan.devices.map { d in
        .init(
          index: d.device, gpu: d.gpu?.name, modules: d.modules,
          memory: .init(
            weights: d.memory.weights.value, kvCache: d.memory.kvCache.value,
            activations: d.memory.activations.value,
            reserve: d.memory.reserve.value, total: d.memory.total.value, capacity: d.capacity?.value),
          fits: d.fits)
      },
      deviceMap: Dictionary(uniqueKeysWithValues: plan.deviceMap.map { ($0.module, $0.device) }),
      maxMemory: plan.budgets.map { budgets in
        Dictionary(
          uniqueKeysWithValues: budgets.entries.filter {
            $0.bytes.value != PlacementProblem.unlimitedHostMemory
          }
          .map { ($0.device.description, $0.bytes.value) })
      },
      warnings: plan.warnings, notes: plan.notes, advice: plan.advice,
      estimate: .init(
        decodeSecondsPerToken: DurationFormatting.json(plan.estimate.decodeSecondsPerToken),
        tokensPerSecond: DurationFormatting.json(plan.estimate.tokensPerSecond),
        prefillSeconds: DurationFormatting.json(plan.estimate.prefillSeconds),
        imageSeconds: plan.estimate.imageSeconds.map(DurationFormatting.json),
        throughputTokensPerSecond: DurationFormatting.json(plan.estimate.throughputTokensPerSecond),
        bottleneck: plan.estimate.bottleneck(gpus: plan.gpus)),
      hops: plan.hops.map {
        .init(
          from: $0.from, to: $0.to, link: $0.link.description, seconds: DurationFormatting.json($0.seconds),
          carries: $0.carries)
      })
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = (try? encoder.encode(document)) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self) + "\n"
  }

  /// A JSON string literal.
  static func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case _ where scalar.value < 0x20:
        out +=
          "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
          + String(scalar.value, radix: 16)
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}
