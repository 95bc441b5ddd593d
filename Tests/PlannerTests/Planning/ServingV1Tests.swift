import Foundation
import Testing

@testable import Planner

/// vLLM 0.33 (the V1 engine), the default `--runtime vllm`: its defaults by GPU, its profile run,
/// CUDA graphs budgeted before the KV cache, and its errors (../shared/reference/engines-2026.md).
@Suite struct ServingV1Tests {
  static let llama8 = ModelCatalog.entry(named: "llama-3-8b")!.build()
  static let minicpm = ModelCatalog.entry(named: "minicpm-v-2.6")!.build()

  static func plan(
    _ model: ModelGraph, _ gpus: String, _ change: (inout ServingConfig) -> Void = { _ in }
  ) throws -> EngineLayout {
    var serving = ServingConfig()
    change(&serving)
    return try ServingPlanner.plan(
      PlanRequest(model: model, gpus: try GPUList.parse(gpus), runtime: .vllm(serving)))
  }

  @Test func theDefaultIsV1() {
    #expect(ServingConfig().version == .v1)
    #expect(ServingConfig().resolved(maxPositions: 8192).gpuMemoryUtilization == 0.92)
    #expect(ServingConfig(version: .v0).resolved(maxPositions: 8192).gpuMemoryUtilization == 0.9)
  }

  @Test(arguments: [
    // (GPU, batched tokens, sequences): `get_batch_defaults`, API server column.
    ("RTX3090", 2048, 256), ("A100-80G", 2048, 256), ("H100", 8192, 1024), ("H200", 8192, 1024),
  ])
  func defaultsFollowTheGPU(gpu: String, batched: Int, sequences: Int) throws {
    let card = try #require(GPUList.lookup(gpu))
    let settings = ServingConfig().resolved(maxPositions: 131072, gpu: card)
    #expect(settings.maxNumBatchedTokens == batched)
    #expect(settings.maxNumSeqs == sequences)
  }

  @Test func shortModelLengthsCapTheBatchedTokens() throws {
    // max_num_batched_tokens at most max_num_seqs x max_model_len; max_num_seqs at most that.
    let card = try #require(GPUList.lookup("H100"))
    var serving = ServingConfig()
    serving.maxModelLen = 4
    serving.maxNumSeqs = 2
    #expect(serving.resolved(maxPositions: nil, gpu: card).maxNumBatchedTokens == 8)
  }

  @Test func llama8BOnA4090BesideA3090StartsWithDefaults() throws {
    // V0 profiled one 8192-token prefill per sequence; V1 spreads 2048 tokens over the requests.
    let plan = try Self.plan(Self.llama8, "1x4090,1x3090")
    #expect(plan.starts)
    #expect(plan.settings.maxNumBatchedTokens == 2048)
    #expect(plan.layout.kvTokens > 100_000)
  }

  @Test func chunkedPrefillAcceptsFewerBatchedTokensThanTheModelLength() throws {
    let plan = try Self.plan(Self.llama8, "A100-80G") {
      $0.maxModelLen = 8192
      $0.maxNumBatchedTokens = 4096
    }
    #expect(plan.layout.failure == nil)
    #expect(plan.starts)
  }

  @Test func cudaGraphsAreBudgetedBeforeTheKVCache() throws {
    let graphs = try Self.plan(Self.llama8, "A100-80G")
    let eager = try Self.plan(Self.llama8, "A100-80G") { $0.enforceEager = true }
    let difference = eager.layout.stages[0].memory.kvAvailable - graphs.layout.stages[0].memory.kvAvailable
    #expect(difference == VLLMMemory.cudaGraphBytes)
  }

  @Test func multimodalDummyItemsComeFromTheEncoderBudget() throws {
    // MiniCPM-V 2.6: vLLM profiles its largest image, (9 slices + the overview) x 64 tokens = 640
    // (`MiniCPMVProcessingInfo.get_max_image_tokens`, vLLM 0.33 model_executor/models/minicpmv.py);
    // budget max(2048, 640) = 2048 -> 3 items, not V0's 256 sequences with an image each.
    let plan = try Self.plan(Self.minicpm, "A6000")
    #expect(plan.layout.stages[0].memory.dummyImages == 3)
    #expect(plan.starts)
    let skipped = try Self.plan(Self.minicpm, "A6000") { $0.skipMMProfiling = true }
    #expect(skipped.layout.stages[0].memory.dummyImages == 0)
    let v0 = try Self.plan(Self.minicpm, "A6000") { $0.version = .v0 }
    #expect(v0.layout.stages[0].memory.dummyImages == 256)
    #expect(!v0.starts)
  }

  @Test func kvCacheMemoryBytesReplacesTheProfile() throws {
    let plan = try Self.plan(Self.llama8, "A100-80G") { $0.kvCacheMemoryBytes = 4 << 30 }
    #expect(plan.layout.stages[0].memory.kvAvailable == ByteCount(4 << 30))
    #expect(plan.layout.kvTokens == (4 << 30) / (32 * 2 * 8 * 128 * 2) / 16 * 16)
  }

  @Test func aTooLongModelLengthFailsInV1sWordsWithTheEstimate() throws {
    let plan = try Self.plan(Self.llama8, "RTX3090") {
      $0.maxModelLen = 8192
      $0.kvCacheMemoryBytes = 512 << 20  // 4096 tokens of Llama-3-8B's 128 KiB per token
    }
    let message = try #require(plan.layout.failure?.message)
    #expect(
      message.hasPrefix("ValueError: To serve at least one request with the model's max seq len (8192)"))
    #expect(message.contains("the estimated maximum model length is 4096"))
  }

  @Test func autoModelLengthIsTheLongestThatFits() throws {
    let plan = try Self.plan(Self.llama8, "RTX3090") {
      $0.autoMaxModelLen = true
      $0.kvCacheMemoryBytes = 512 << 20
    }
    #expect(plan.settings.maxModelLen == 4096)
    #expect(plan.starts)
  }
}
