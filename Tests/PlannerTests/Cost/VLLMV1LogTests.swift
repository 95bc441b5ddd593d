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
    var config: JSONObject
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

    var testDescription: String { id }
  }

  /// A config.json object kept as its text.
  struct JSONObject: Decodable, Sendable {
    var text: String
    init(from decoder: any Decoder) throws {
      let value = try decoder.singleValueContainer().decode([String: JSONScalar].self)
      let data = try JSONEncoder().encode(value)
      text = String(decoding: data, as: UTF8.self)
    }
  }

  enum JSONScalar: Codable, Sendable {
    case number(Double), string(String), bool(Bool)
    init(from decoder: any Decoder) throws {
      let container = try decoder.singleValueContainer()
      if let bool = try? container.decode(Bool.self) {
        self = .bool(bool)
      } else if let number = try? container.decode(Double.self) {
        self = .number(number)
      } else {
        self = .string(try container.decode(String.self))
      }
    }
    func encode(to encoder: any Encoder) throws {
      var container = encoder.singleValueContainer()
      switch self {
      case .number(let n): try container.encode(n)
      case .string(let s): try container.encode(s)
      case .bool(let b): try container.encode(b)
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

  /// The planner's ranks for a log: every GPU of the layout (stages by vLLM's default partition).
  static func ranks(_ log: Log) throws -> (ranks: [RankMemory], memory: VLLMMemory) {
    let model = try ConfigImporter.graph(
      from: ConfigImporter.parse(Data(log.config.text.utf8), file: "config.json"), name: log.id)
    var gpu = try #require(GPUList.lookup(log.gpuCatalog))
    if let total = log.gpuTotalGiB {
      gpu.usableMemory = ByteCount(Int64((total * gib).rounded())) - gpu.cudaContext
    }
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
    #expect(Self.logs.count >= 5)
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
    withKnownIssue(Comment(rawValue: reason)) {
      #expect(abs(error) < 0.10, "\(log.id): predicted \(predicted) GiB, logged \(log.availableKVGiB) GiB")
    }
    // Still within 15%: a known miss that grows fails.
    #expect(abs(error) < 0.15, "\(log.id): predicted \(predicted) GiB, logged \(log.availableKVGiB) GiB")
  }

  /// Logs the planner misses by more than 10%, with what we believe explains it.
  static let knownMisses: [String: String] = [
    "vllm-v1-kubesimplify-qwen3-32b-rtxpro6000-pp2":
      "+13%: the last stage's rank (LM head and sampler) is predicted 0.9 GiB roomier than logged; the PP "
      + "ranks' non-torch memory (NCCL buffers) is not modelled",
    "vllm-v1-capstone-qwen3-14b-l40s-tp1":
      "+12% at the 0.33 default utilization 0.92; the log (0.28.0) does not print its utilization, and at 0.9 "
      + "the prediction is +4%",
  ]

  @Test(arguments: logs.filter { $0.weightsGiB != nil })
  func weightsPerGPUWithinTwoPercent(log: Log) throws {
    let (ranks, _) = try Self.ranks(log)
    let logged = try #require(log.weightsGiB)
    let predicted = Double(try #require(ranks.map(\.weights).max()).value) / Self.gib
    #expect(
      abs(predicted - logged) / logged < 0.02, "\(log.id): predicted \(predicted) GiB, logged \(logged)")
  }
}
