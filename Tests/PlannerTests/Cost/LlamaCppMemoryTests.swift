import Foundation
import Testing

@testable import Planner

/// Holds the llama.cpp memory model to the buffer sizes llama-server printed: the Qwen2-7B shape
/// in F16 (../shared/reference/engines-2026.md, llama.cpp as vendored in llama-cpp-python 0.3.36,
/// run on CPU), within 10%.
@Suite struct LlamaCppMemoryTests {
  /// Qwen2-7B's shape with its 152,064-token vocabulary.
  static let model = ModelCatalog.causalLM(
    name: "qwen2-7b-shape", summary: "measured shape",
    DecoderLLM(
      family: .qwen2, hiddenSize: 3584, layerCount: 28, headCount: 28, kvHeadCount: 4,
      intermediateSize: 18944, vocabularySize: 152_064))

  static func mebibytes(_ bytes: ByteCount) -> Double { Double(bytes.value) / 1_048_576 }

  /// (`-c`, flash attention, device MiB, host MiB) as llama-server printed them.
  static let printed: [(context: Int64, flashAttention: Bool, device: Double, host: Double)] = [
    (4096, true, 136, 18), (32768, true, 164, 46), (4096, false, 262, 24),
  ]

  @Test(arguments: printed)
  func computeBuffersWithinTenPercentOfLlamaServer(
    _ case: (context: Int64, flashAttention: Bool, device: Double, host: Double)
  ) {
    let memory = LlamaCppMemory(flashAttention: `case`.flashAttention)
    let device = memory.deviceComputeBuffer(
      layers: Self.model.layers, hiddenSize: Self.model.hiddenSize, slotContext: `case`.context)
    let host = memory.hostComputeBuffer(hiddenSize: Self.model.hiddenSize, slotContext: `case`.context)
    #expect(abs(Self.mebibytes(device) / `case`.device - 1) <= 0.10, "device \(Self.mebibytes(device)) MiB")
    #expect(abs(Self.mebibytes(host) / `case`.host - 1) <= 0.10, "host \(Self.mebibytes(host)) MiB")
  }

  /// One f32 row of logits per slot in host memory: 0.58 MiB a slot for 152,064 tokens.
  @Test func outputBufferIsOneRowOfLogitsPerSlot() {
    let memory = LlamaCppMemory()
    #expect(abs(Self.mebibytes(memory.outputBuffer(vocabularySize: 152_064, parallel: 1)) - 0.58) < 0.005)
    #expect(memory.outputBuffer(vocabularySize: 152_064, parallel: 4).value == 4 * 152_064 * 4)
  }

  /// `-c 10000 --parallel 3`: 3333 cells a slot, padded to 3584.
  @Test func slotsArePaddedTo256Cells() {
    #expect(LlamaCppMemory.slotContext(contextTokens: 10_000, parallel: 3) == 3584)
    #expect(LlamaCppMemory.slotContext(contextTokens: 4096, parallel: 1) == 4096)
    #expect(LlamaCppMemory.slotContext(contextTokens: 1, parallel: 1) == 256)
  }

  /// A llama.cpp plan counts that compute buffer as the GPU's activations: one GPU holding the
  /// whole model at `-c 4096` plans 136 MiB (printed: 136), where transformers plans its prefill.
  @Test func planCountsTheComputeBufferAsActivations() throws {
    var workload = Workload()
    workload.contextTokens = 4096
    let request = PlanRequest(
      model: Self.model, gpus: try GPUList.parse("H100-SXM"), workload: workload, runtime: .llamaCpp())
    let plan = try #require(try Planner.plan(request).layout.deviceMap)
    let gpu = try #require(plan.devices.first { $0.device == .gpu(0) })
    #expect(abs(Self.mebibytes(gpu.memory.activations) / 136 - 1) <= 0.10)
    // The KV cache: 2 x 28 layers x 4096 cells x 4 heads x 128 x 2 bytes = 224 MiB exactly.
    #expect(gpu.memory.kvCache.value == 2 * 28 * 4096 * 4 * 128 * 2)
  }
}
