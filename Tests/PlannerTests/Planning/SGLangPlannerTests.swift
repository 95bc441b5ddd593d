import Testing

@testable import Planner

/// The SGLang runtime through the one planner: the layout, the KV cache pool, the export.
@Suite struct SGLangPlannerTests {
  static func plan(_ model: String, on gpus: String, config: SGLangConfig = SGLangConfig()) throws
    -> SGLangLayout
  {
    let graph = try #require(ModelCatalog.entry(named: model)).build()
    let plan = try Planner.plan(
      PlanRequest(model: graph, gpus: try GPUList.parse(gpus), runtime: .sglang(config)))
    return try #require(plan.layout.sglang)
  }

  /// Eight A100s serving an 8B model: one GPU holds it with its context, so eight replicas.
  @Test func smallModelsGetDataParallelReplicas() throws {
    let plan = try Self.plan("llama-3.1-8b", on: "8xA100-80G-SXM")
    #expect(plan.tensorParallel == 1)
    #expect(plan.dataParallel == 8)
    #expect(plan.starts && plan.holdsContext)
  }

  /// The pool is `free × fraction − weights`: with the fraction given, exactly that.
  @Test func thePoolIsTheFractionLessTheWeights() throws {
    let plan = try Self.plan("qwen2-7b", on: "A100-80G-SXM", config: SGLangConfig(memFractionStatic: 0.8))
    let gpu = GPUList.lookup("A100-80G-SXM")!
    #expect(plan.reserveMiB == nil)
    #expect(plan.kvPool.value == Int64(Double(gpu.usableMemory.value) * 0.8) - plan.weightsPerGPU.value)
    // Qwen2-7B: 28 layers × 2 × 4 KV heads × 128 × 2 bytes = 57,344 bytes a token.
    #expect(plan.kvBytesPerToken == 57_344)
    #expect(plan.kvTokens == plan.kvPool.value / 57_344)
  }

  /// A 70B model in bf16 does not load on one 24 GB card per rank at any TP of 4 L4s.
  @Test func tooLargeFailsLoading() throws {
    let plan = try Self.plan("llama-3.1-70b", on: "4xL4")
    #expect(plan.failure?.hasPrefix("torch.OutOfMemoryError loading the weights") == true)
  }

  /// A tensor-parallel size the heads do not divide is refused.
  @Test func tensorParallelMustDivideTheHeads() throws {
    #expect(throws: PlanningError.self) {
      try Self.plan("qwen2-7b", on: "8xA100-80G-SXM", config: .init(tensorParallel: 3))
    }
  }

  /// The command: SGLang's own flags, the fraction with 3 decimals.
  @Test func theLaunchCommand() throws {
    let text = try SGLangExporter.render(try Self.plan("llama-3.1-8b", on: "8xA100-80G-SXM"))
    let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
    #expect(lines.first == "python -m sglang.launch_server \\")
    #expect(lines.contains("  --tp 1 \\"))
    #expect(lines.contains("  --dp 8 \\"))
    #expect(lines.contains { $0.hasPrefix("  --mem-fraction-static 0.") })
    #expect(lines.last == "  --chunked-prefill-size 8192")
  }
}
