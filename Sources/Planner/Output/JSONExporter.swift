import Foundation

/// Writes plans as JSON: one versioned contract (``schemaVersion``) for every runtime and every
/// command that prints JSON, documented field by field in `Docs/JSON.md` and checked against
/// `Docs/plan.schema.json`. Keys sorted; memory in bytes (integers), times in seconds.
public enum JSONExporter {
  /// The contract's version: bumped when a key is removed or changes meaning (added keys do not).
  public static let schemaVersion = 1

  struct Document: Encodable {
    struct Model: Encodable {
      var name: String
      var parameters: Int64
      var summary: String
      var estimates: [String]
      /// Present for a pre-quantized checkpoint only.
      var quantization: QuantizationEntry?
    }
    struct QuantizationEntry: Encodable {
      var method: String
      var bits: Int
      var groupSize: Int?
      var description: String
    }
    struct DTypes: Encodable {
      var weights: String
      var compute: String
      var kvCache: String
      var notes: [String]
    }
    struct WorkloadEntry: Encodable {
      var batch: Int
      var contextTokens: Int
      var images: Int
      var slicesPerImage: Int?
      var attention: String
      /// Video per request, as the model's processor makes it (absent without video).
      var video: VideoEntry?
      var audioSeconds: Double?
      var audioTokens: Int64?
      var audioOutput: Bool?
    }
    struct VideoEntry: Encodable {
      var count: Int64
      var seconds: Double
      var fps: Double
      var frames: Int64
      var width: Int64
      var height: Int64
      var tokens: Int64
    }
    /// The host profile file that set some of the runtime's values (absent for a built-in one).
    struct ProfileEntry: Encodable {
      var file: String
      var measuredOn: String?
      var overrides: [String: ProfileFile.Value]
    }
    struct RuntimeEntry: Encodable {
      var name: String
      var accelerateMode: String?
      var profile: ProfileEntry?
    }
    /// Each time beside its range (`…Range`: where measured times fall, ``EstimateRange``).
    struct EstimateEntry: Encodable {
      var decodeSecondsPerToken: Double
      var decodeSecondsPerTokenRange: RangeEntry
      var tokensPerSecond: Double
      var tokensPerSecondRange: RangeEntry
      var prefillSeconds: Double
      var prefillSecondsRange: RangeEntry
      var imageSeconds: Double?
      var imageSecondsRange: RangeEntry?
      var throughputTokensPerSecond: Double
      var throughputTokensPerSecondRange: RangeEntry
      var throughputBatch: Int
      var bottleneck: String?
    }
    struct Remedy: Encodable {
      var summary: String
      var engineSettings: EngineLayoutEntry.Settings?
    }
    var schemaVersion = JSONExporter.schemaVersion
    var kind = "plan"
    var fits: Bool
    var verdict: String
    var model: Model
    var gpus: [String]
    var dtype: DTypes
    var workload: WorkloadEntry
    var runtime: RuntimeEntry
    var layout: LayoutEntry
    var estimate: EstimateEntry
    var remedies: [Remedy]
    var warnings: [String]
    var notes: [String]
  }

  /// An estimate's range: `low` and `high`, in the estimate's unit (rounded as times are).
  struct RangeEntry: Encodable {
    var low: Double
    var high: Double

    init(_ range: EstimateRange) {
      low = DurationFormatting.json(range.low)
      high = DurationFormatting.json(range.high)
    }
  }

  /// A device map's layout, or an engine's, tagged by `kind`.
  enum LayoutEntry: Encodable {
    case deviceMap(DeviceMapLayoutEntry)
    case engine(EngineLayoutEntry)
    case sglang(SGLangLayoutEntry)

    func encode(to encoder: any Encoder) throws {
      switch self {
      case .deviceMap(let entry): try entry.encode(to: encoder)
      case .engine(let entry): try entry.encode(to: encoder)
      case .sglang(let entry): try entry.encode(to: encoder)
      }
    }
  }

  /// An SGLang server's layout: `kind` `"sglang"`.
  struct SGLangLayoutEntry: Encodable {
    var kind = "sglang"
    var tensorParallel: Int
    var dataParallel: Int
    var memFractionStatic: Double
    var memFractionReserveMiB: Double?
    var chunkedPrefillSize: Int
    var cudaGraphMaxBatch: Int
    var contextLength: Int
    var weightsPerGPU: Int64
    var kvPoolPerGPU: Int64
    var kvTokens: Int64
    var failure: String?
  }

  struct DeviceMapLayoutEntry: Encodable {
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
    struct HopEntry: Encodable {
      var from: Device
      var to: Device
      var link: String
      var seconds: Double
      var carries: String
    }
    var kind = "deviceMap"
    var strategy: String
    var devices: [DeviceEntry]
    var deviceMap: [String: Device]
    var maxMemory: [String: Int64]?
    var hops: [HopEntry]
  }

  struct EngineLayoutEntry: Encodable {
    struct Settings: Encodable {
      /// The engine modelled; absent in a remedy (the plan's).
      var vllmVersion: String?
      var maxModelLen: Int
      var maxNumSeqs: Int
      var maxNumBatchedTokens: Int?
      var gpuMemoryUtilization: Double
      var enforceEager: Bool
      var encoderAttention: String?
      var tensorParallel: Int
      var pipelineParallel: Int
    }
    struct StageEntry: Encodable {
      var gpus: [Int]
      var node: Int
      /// The stage's decoder layers: `count` of them from index `first`.
      var firstDecoderLayer: Int
      var decoderLayerCount: Int
      var layers: [String]
      var memoryPerGPU: RankMemory
      var decodeSeconds: Double
    }
    struct Alternative: Encodable {
      var tensorParallel: Int
      var pipelineParallel: Int
      var partition: [Int]
      var kvTokens: Int64
      var blocks: Int64
      var decodeSecondsPerToken: Double
      var decodeSecondsPerTokenRange: RangeEntry
      var throughputTokensPerSecond: Double
      var throughputTokensPerSecondRange: RangeEntry
      var throughputBatch: Int
      var prefillSeconds: Double
      var prefillSecondsRange: RangeEntry
      var failure: ServingFailure?
    }
    var kind = "engine"
    var engine: String
    var nodes: Int
    var settings: Settings
    var tensorParallel: Int
    var pipelineParallel: Int
    var dataParallel: Int
    var partition: [Int]
    var kvTokens: Int64
    var blocks: Int64
    var concurrency: Double
    var failure: ServingFailure?
    var refusals: [String]
    var stages: [StageEntry]
    var allReduceSeconds: Double
    var hopSeconds: Double
    var alternatives: [Alternative]
  }

  /// A comparison (`--compare`): every strategy's plan.
  struct Comparison: Encodable {
    var schemaVersion = JSONExporter.schemaVersion
    var kind = "compare"
    var plans: [Document]
  }

  /// One plan, as a `"kind": "plan"` document (its ``Plan`` `Encodable` form).
  ///
  /// - Complexity: O(*m* + *t*) for *m* map entries and *t* tensors named (encoding, keys sorted).
  public static func render(_ plan: Plan) -> String { encode(plan) }

  /// ``Planner/compare(_:)``'s plans, as a `"kind": "compare"` document.
  ///
  /// - Complexity: that of ``render(_:)-(Plan)`` per plan.
  public static func render(_ plans: [Plan]) -> String { encode(Comparison(plans: plans.map(document))) }

  /// Sorted keys, two-space indentation as `JSONEncoder` prints it, one newline at the end.
  public static func encode(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self) + "\n"
  }

  static func document(_ plan: Plan) -> Document {
    let w = plan.workload
    let media = MediaTokens(workload: w, model: plan.model)
    let slices = plan.model.vision.map { vision in
      Int(w.slicesPerImage.map { min(Int64($0), vision.maximumSlices) } ?? vision.maximumSlices)
    }
    let profile = plan.profile
    let layout: LayoutEntry =
      switch plan.layout {
      case .deviceMap(let map): .deviceMap(entry(map))
      case .engine(let engine): .engine(entry(engine, spread: profile.timeSpread))
      case .sglang(let server):
        .sglang(
          .init(
            tensorParallel: server.tensorParallel, dataParallel: server.dataParallel,
            memFractionStatic: DurationFormatting.json(server.memFractionStatic),
            memFractionReserveMiB: server.reserveMiB,
            chunkedPrefillSize: server.chunkedPrefill, cudaGraphMaxBatch: server.decodeMaxBatch,
            contextLength: server.contextLength, weightsPerGPU: server.weightsPerGPU.value,
            kvPoolPerGPU: server.kvPool.value, kvTokens: server.kvTokens, failure: server.failure))
      }
    return Document(
      fits: plan.fits, verdict: plan.verdict,
      model: .init(
        name: plan.model.name, parameters: plan.model.parameterCount, summary: plan.model.summary,
        estimates: plan.model.estimates,
        quantization: plan.model.quantization.map {
          .init(
            method: $0.method.rawValue, bits: $0.bits, groupSize: $0.groupSize, description: $0.description)
        }),
      gpus: plan.gpus.map(\.name),
      dtype: .init(
        weights: plan.weightDType.rawValue, compute: plan.computeDType.rawValue,
        kvCache: plan.kvDType.rawValue,
        notes: plan.dtypeNotes),
      workload: .init(
        batch: w.batch, contextTokens: Int(clamping: media.context),
        images: plan.model.vision == nil || media.video != nil ? 0 : w.images,
        slicesPerImage: slices, attention: w.attention.rawValue,
        video: media.video.flatMap { video in
          media.input.map { input in
            Document.VideoEntry(
              count: media.videoCount, seconds: w.videoSeconds ?? 0, fps: w.videoFPS ?? input.defaultFPS,
              frames: video.frames, width: video.width, height: video.height,
              tokens: .saturatingProduct(media.videoCount, video.tokens))
          }
        },
        audioSeconds: media.audioTokens > 0 ? media.audioSeconds : nil,
        audioTokens: media.audioTokens > 0 ? media.audioTokens : nil,
        audioOutput: media.speaks ? true : nil),
      runtime: .init(
        name: plan.runtime.name, accelerateMode: plan.runtime.accelerateMode?.rawValue,
        profile: profile.source.map { source in
          .init(
            file: source.file, measuredOn: source.measuredOn,
            overrides: Dictionary(
              uniqueKeysWithValues: source.fields.map { ($0.rawValue, $0.value(in: profile)) }))
        }),
      layout: layout,
      estimate: estimate(plan.speed),
      remedies: plan.remedies.map { remedy in
        .init(summary: remedy.summary, engineSettings: remedy.engineSettings.map(settings))
      },
      warnings: plan.warnings, notes: plan.notes)
  }

  static func estimate(_ speed: Plan.Speed) -> Document.EstimateEntry {
    let r = speed.ranges
    return .init(
      decodeSecondsPerToken: DurationFormatting.json(speed.decodeSecondsPerToken),
      decodeSecondsPerTokenRange: RangeEntry(r.decodeSecondsPerToken),
      tokensPerSecond: DurationFormatting.json(speed.tokensPerSecond),
      tokensPerSecondRange: RangeEntry(r.tokensPerSecond),
      prefillSeconds: DurationFormatting.json(speed.prefillSeconds),
      prefillSecondsRange: RangeEntry(r.prefillSeconds),
      imageSeconds: speed.imageSeconds.map(DurationFormatting.json),
      imageSecondsRange: speed.imageSeconds == nil ? nil : r.imageSeconds.map(RangeEntry.init),
      throughputTokensPerSecond: DurationFormatting.json(speed.throughputTokensPerSecond),
      throughputTokensPerSecondRange: RangeEntry(r.throughputTokensPerSecond),
      throughputBatch: speed.throughputBatch, bottleneck: speed.bottleneck)
  }

  static func entry(_ plan: DeviceMapLayout) -> DeviceMapLayoutEntry {
    DeviceMapLayoutEntry(
      strategy: plan.strategy.rawValue,
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
      hops: plan.hops.map {
        .init(
          from: $0.from, to: $0.to, link: $0.link.description, seconds: DurationFormatting.json($0.seconds),
          carries: $0.carries)
      })
  }

  static func entry(_ plan: EngineLayout, spread: TimeSpread) -> EngineLayoutEntry {
    let s = plan.settings
    let layout = plan.layout
    return EngineLayoutEntry(
      engine: "vllm", nodes: plan.nodes,
      settings: .init(
        vllmVersion: s.version.rawValue, maxModelLen: s.maxModelLen, maxNumSeqs: s.maxNumSeqs,
        maxNumBatchedTokens: s.maxNumBatchedTokens,
        gpuMemoryUtilization: s.gpuMemoryUtilization, enforceEager: s.enforceEager,
        encoderAttention: plan.config.resolvedEncoderAttention.rawValue,
        tensorParallel: layout.tensorParallel,
        pipelineParallel: layout.pipelineParallel),
      tensorParallel: layout.tensorParallel, pipelineParallel: layout.pipelineParallel,
      dataParallel: plan.dataParallel, partition: layout.partition, kvTokens: layout.kvTokens,
      blocks: layout.blocks,
      concurrency: DurationFormatting.json(plan.concurrency), failure: layout.failure,
      refusals: plan.refusals,
      stages: layout.stages.map { stage in
        .init(
          gpus: stage.gpus, node: stage.node, firstDecoderLayer: stage.decoderLayers.lowerBound,
          decoderLayerCount: stage.decoderLayers.count,
          layers: ServingRenderer.layers(of: stage, in: plan), memoryPerGPU: stage.memory,
          decodeSeconds: DurationFormatting.json(stage.decodeSeconds))
      },
      allReduceSeconds: DurationFormatting.json(layout.allReduceSeconds),
      hopSeconds: DurationFormatting.json(layout.hopSeconds),
      alternatives: plan.alternatives.map { other in
        let r = other.ranges(spread)
        return .init(
          tensorParallel: other.tensorParallel, pipelineParallel: other.pipelineParallel,
          partition: other.partition, kvTokens: other.kvTokens, blocks: other.blocks,
          decodeSecondsPerToken: DurationFormatting.json(other.decodeSecondsPerToken),
          decodeSecondsPerTokenRange: RangeEntry(r.decodeSecondsPerToken),
          throughputTokensPerSecond: DurationFormatting.json(other.throughputTokensPerSecond),
          throughputTokensPerSecondRange: RangeEntry(r.throughputTokensPerSecond),
          throughputBatch: other.throughputBatch,
          prefillSeconds: DurationFormatting.json(other.prefillSeconds),
          prefillSecondsRange: RangeEntry(r.prefillSeconds),
          failure: other.failure)
      })
  }

  static func settings(_ fix: ServingRecommendation) -> EngineLayoutEntry.Settings {
    .init(
      vllmVersion: nil, maxModelLen: fix.maxModelLen, maxNumSeqs: fix.maxNumSeqs, maxNumBatchedTokens: nil,
      gpuMemoryUtilization: fix.gpuMemoryUtilization, enforceEager: fix.enforceEager, encoderAttention: nil,
      tensorParallel: fix.tensorParallel, pipelineParallel: fix.pipelineParallel)
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

/// A plan encodes as the JSON contract's `"kind": "plan"` document: `JSONEncoder().encode(plan)` is
/// what `--format json` prints (with sorted keys). There is no `Decodable`: the document names
/// the model and its layout, not the module tree a plan is made from.
extension Plan: Encodable {
  public func encode(to encoder: any Encoder) throws { try JSONExporter.document(self).encode(to: encoder) }
}
