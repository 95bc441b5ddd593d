import Foundation
import Testing

@testable import Planner

/// vLLM V1's own startup accounting, quoted from public logs (fixtures/measurements/vllm-v1-logs.json),
/// against ``VLLMMemory`` modelling vLLM 0.33 for the same model, GPU and settings: the available KV
/// cache within 10% (or the same "No available memory" failure), weights per GPU within 2%. Every
/// log is held out: the V1 rules were written from vLLM's source before the logs were collected.
@Suite struct VLLMV1LogTests {
  struct Log: Decodable, Sendable, CustomTestStringConvertible {
    var id: String
    var source: String
    /// The model: its config.json, or the planner catalog's entry of that name.
    var config: JSONObject?
    var catalogModel: String?
    var dtype: String
    var gpuCatalog: String
    var gpuTotalGiB: Double?
    var utilization: Double?
    var tensorParallel: Int
    var pipelineParallel: Int
    var maxModelLen: Int
    var maxNumSeqs: Int?
    var maxNumBatchedTokens: Int?
    var weightsGiB: Double?
    var availableKVGiB: Double
    var kvTokens: Int64?
    var cudaGraphsBudgeted: Bool
    var encoderBudgetTokens: Int?
    var encoderProfileItems: String?

    var testDescription: String { id }
  }

  /// A config.json object kept as its text (nested objects and arrays included).
  struct JSONObject: Decodable, Sendable {
    var text: String
    init(from decoder: any Decoder) throws {
      let value = try decoder.singleValueContainer().decode([String: JSONText].self)
      let encoder = JSONEncoder()
      encoder.outputFormatting = .sortedKeys
      text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }
  }

  indirect enum JSONText: Codable, Sendable {
    case null, number(Double), string(String), bool(Bool), array([JSONText]), object([String: JSONText])
    init(from decoder: any Decoder) throws {
      let container = try decoder.singleValueContainer()
      if container.decodeNil() {
        self = .null
      } else if let bool = try? container.decode(Bool.self) {
        self = .bool(bool)
      } else if let number = try? container.decode(Double.self) {
        self = .number(number)
      } else if let string = try? container.decode(String.self) {
        self = .string(string)
      } else if let array = try? container.decode([JSONText].self) {
        self = .array(array)
      } else {
        self = .object(try container.decode([String: JSONText].self))
      }
    }
    func encode(to encoder: any Encoder) throws {
      var container = encoder.singleValueContainer()
      switch self {
      case .null: try container.encodeNil()
      case .number(let n): try container.encode(n)
      case .string(let s): try container.encode(s)
      case .bool(let b): try container.encode(b)
      case .array(let a): try container.encode(a)
      case .object(let o): try container.encode(o)
      }
    }
  }

  struct File: Decodable {
    var logs: [Log]
  }

  static let logs: [Log] = {
    guard let data = try? Fixtures.data("measurements/vllm-v1-logs.json"),
      let file = try? JSONDecoder().decode(File.self, from: data)
    else { return [] }
    return file.logs
  }()

  static let gib = Double(1 << 30)

  /// The log's GPU: the planner's catalog card, with the CUDA total the log printed.
  static func gpu(_ log: Log) throws -> GPU {
    var gpu = try #require(GPUList.lookup(log.gpuCatalog))
    if let total = log.gpuTotalGiB {
      gpu.usableMemory = ByteCount(Int64((total * gib).rounded())) - gpu.cudaContext
    }
    return gpu
  }

  /// The planner's ranks for a log: every GPU of the layout (stages by vLLM's default partition).
  static func ranks(_ log: Log) throws -> (ranks: [RankMemory], memory: VLLMMemory) {
    let model: ModelGraph
    if let config = log.config {
      model = try ConfigImporter.graph(
        from: ConfigImporter.parse(Data(config.text.utf8), file: "config.json"), name: log.id)
    } else {
      let name = try #require(log.catalogModel, "\(log.id): neither config nor catalogModel")
      model = try #require(ModelCatalog.entry(named: name), "\(log.id): \(name) not in the catalog").build()
    }
    let gpu = try Self.gpu(log)
    var serving = ServingConfig(version: .v1)
    serving.maxModelLen = log.maxModelLen
    serving.maxNumSeqs = log.maxNumSeqs
    serving.maxNumBatchedTokens = log.maxNumBatchedTokens
    serving.gpuMemoryUtilization = log.utilization
    let dtype: DType = log.dtype == "fp16" ? .fp16 : .bf16
    let memory = VLLMMemory(
      model: model, settings: serving.resolved(maxPositions: nil, gpu: gpu), encoderAttention: .sdpa,
      weightDType: dtype, computeDType: dtype, kvDType: dtype)
    let tp = log.tensorParallel
    let decoders = model.layers.indices.filter { model.layers[$0].kind == .decoder }
    let pp = log.pipelineParallel
    var ranks: [RankMemory] = []
    for stage in 0..<pp {
      // vLLM's default partition: equal decoder counts, the embedding with the first, the rest
      // (norm, head) with the last.
      let first = decoders[decoders.count * stage / pp]
      let end = stage == pp - 1 ? model.layers.count : decoders[decoders.count * (stage + 1) / pp]
      let begin = stage == 0 ? 0 : first
      let contents = memory.contents(of: model.layers[begin..<end], tp: tp)
      ranks.append(memory.rank(gpu: gpu, tp: tp, contents: contents))
    }
    return (ranks, memory)
  }

  @Test func theLogsAreLoaded() {
    #expect(Self.logs.count >= 12)
  }

  @Test(arguments: logs)
  func availableKVCacheWithinTenPercent(log: Log) throws {
    let (ranks, _) = try Self.ranks(log)
    var available = try #require(ranks.map(\.kvAvailable).min())
    if !log.cudaGraphsBudgeted { available = available + VLLMMemory.cudaGraphBytes }
    let predicted = Double(available.value) / Self.gib
    if log.availableKVGiB < 0 {
      // vLLM refused: "No available memory for the cache blocks".
      #expect(predicted < 0, "\(log.id): predicted \(predicted) GiB, logged \(log.availableKVGiB)")
      #expect(ranks.contains { $0.blocks <= 0 })
      return
    }
    let error = (predicted - log.availableKVGiB) / log.availableKVGiB
    guard let reason = Self.knownMisses[log.id] else {
      #expect(abs(error) < 0.10, "\(log.id): predicted \(predicted) GiB, logged \(log.availableKVGiB) GiB")
      return
    }
    // Misses we can explain but have not fixed: recorded, never hidden (they fail as known issues).
    withKnownIssue(Comment(rawValue: reason.why)) {
      #expect(abs(error) < 0.10, "\(log.id): predicted \(predicted) GiB, logged \(log.availableKVGiB) GiB")
    }
    // Still within its recorded bound: a known miss that grows fails.
    #expect(
      abs(error) < reason.bound, "\(log.id): predicted \(predicted) GiB, logged \(log.availableKVGiB) GiB")
  }

  /// Logs the planner misses by more than 10%, with what we believe explains it and the bound the
  /// miss must stay within.
  static let knownMisses: [String: (why: String, bound: Double)] = [
    "vllm-v1-kubesimplify-qwen3-32b-rtxpro6000-pp2": (
      "+13%: the stage ranks are predicted 0.9 GiB roomier than logged (3.03 GiB of non-KV memory per card "
        + "against 1.66 at TP 2, same model and budget); nothing in vLLM 0.33's profile run explains it "
        + "(the stages' intermediate-tensor buffers are 160 MiB), not modelled",
      0.15
    ),
    "vllm-v1-openshift-ai-bootstrap-qwen2.5-vl-7b-l4-tp1": (
      "+22% of a 1.81 GiB cache (0.41 GiB): the importer's Qwen2.5-VL weights are 0.18 GiB under the log's "
        + "15.63, and vLLM 0.9 cast the dummy image's fp32 pixels to bf16 with both alive through the tower "
        + "(65,536 patches x 1,176 values x 4 B = 0.29 GiB; 0.33's input path is counted in the compute dtype)",
      0.25
    ),
  ]

  /// The encoder cache line ("Encoder cache will be initialized with a budget of N tokens, and
  /// profiled with K image items"): V1's budget and dummy items as the planner sizes them.
  @Test(arguments: logs.filter { $0.encoderBudgetTokens != nil })
  func encoderBudgetAndItemsAsLogged(log: Log) throws {
    let (_, memory) = try Self.ranks(log)
    let budget = try #require(log.encoderBudgetTokens)
    let items = try #require(log.encoderProfileItems.flatMap { Int($0.split(separator: " ")[0]) })
    #expect(max(memory.settings.maxNumBatchedTokens, memory.largestItem.tokens) == budget, "\(log.id)")
    #expect(memory.profileSequences.images == items, "\(log.id)")
  }

  @Test(arguments: logs.filter { $0.weightsGiB != nil })
  func weightsPerGPUWithinTwoPercent(log: Log) throws {
    let (ranks, _) = try Self.ranks(log)
    let logged = try #require(log.weightsGiB)
    let predicted = Double(try #require(ranks.map(\.weights).max()).value) / Self.gib
    let error = abs(predicted - logged) / logged
    guard let miss = Self.knownWeightMisses[log.id] else {
      #expect(error < 0.02, "\(log.id): predicted \(predicted) GiB, logged \(logged)")
      return
    }
    withKnownIssue(Comment(rawValue: miss.why)) {
      #expect(error < 0.02, "\(log.id): predicted \(predicted) GiB, logged \(logged)")
    }
    #expect(error < miss.bound, "\(log.id): predicted \(predicted) GiB, logged \(logged)")
  }

  /// Weights the planner misses by more than 2%, with the reason and the bound.
  static let knownWeightMisses: [String: (why: String, bound: Double)] = [
    "vllm-v1-llm-d-planner-gemma-3-12b-h100-tp1": (
      "-2.6%: the catalog's gemma-3-12b counts 22.70 GiB (12.19 B parameters in bf16), vLLM 0.19 loaded 23.31; "
        + "the 0.61 GiB is not in the checkpoint's tensors (the same sweep's own planner is -2.61% on it)",
      0.03
    )
  ]
}
