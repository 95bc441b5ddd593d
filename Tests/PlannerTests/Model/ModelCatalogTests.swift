import Testing

@testable import Planner

@Suite struct ModelCatalogTests {
  /// Published totals that are known exactly (../shared/reference/models-and-gpus.md §1).
  @Test(arguments: [
    ("minicpm-v-2.6", Int64(8_099_175_152)),
    ("qwen2-7b", 7_615_616_512),
    ("qwen2.5-7b", 7_615_616_512),
    ("llama-3-8b", 8_030_261_248),
    ("llama-3-70b", 70_553_706_496),
    ("mistral-7b", 7_241_732_096),
    ("qwen2.5-72b", 72_706_203_648),
    ("minicpm-llama3-v-2.5", 8_537_092_336),
  ])
  func parameterCountMatchesPublishedTotal(name: String, expected: Int64) throws {
    let entry = try #require(ModelCatalog.entry(named: name))
    #expect(entry.build().parameterCount == expected)
  }
}

@Suite struct ReadmeExampleTests {
  /// The README's "Use it from Swift" example, as written there.
  @Test func readmeExampleRuns() throws {
    let model = ModelCatalog.entry(named: "minicpm-v-2.6")!.build()
    let gpus = try GPUList.parse("2xP4")
    let plan = try Planner.plan(PlanRequest(model: model, gpus: gpus))
    #expect(plan.fits)
    // int4, not int8: bitsandbytes' LLM.int8 decodes about 3x slower than NF4 (QuantizedKernels), and
    // at 4 bits the language model fits on the second card whole, the vision tower on the first.
    #expect(plan.weightDType == .int4)
    let map = DeviceMapExporter.render(try #require(plan.layout.deviceMap))
    #expect(map.contains("\"llm.lm_head\": 1") && map.contains("\"vpm.embeddings\": 0"))
  }
}

@Suite struct ModelCatalogLookupTests {
  /// The names people type (issue 12) find their architecture.
  @Test(arguments: [
    ("llama-3.1-8b", "llama-3.1-8b"), ("llama-3.1-70b", "llama-3.1-70b"), ("llama-3.3-70b", "llama-3.3-70b"),
    ("qwen2.5-7b-instruct", "qwen2.5-7b"), ("Qwen/Qwen2.5-7B-Instruct", "qwen2.5-7b"),
    ("mixtral-8x7b", "mixtral-8x7b"), ("gemma-2-27b", "gemma-2-27b"),
    ("google/gemma-2-27b-it", "gemma-2-27b"),
    ("phi-3-mini", "phi-3-mini"), ("deepseek-v3", "deepseek-v3"), ("qwen3-30b-a3b", "qwen3-30b-a3b"),
    ("Meta-Llama-3.1-8B-Instruct", "llama-3.1-8b"), ("meta-llama/Llama-3.1-8B-Instruct", "llama-3.1-8b"),
    ("QWEN2.5-7B", "qwen2.5-7b"), ("someorg/Qwen2.5-7B-Instruct", "qwen2.5-7b"),
  ])
  func typedNameFindsArchitecture(typed: String, expected: String) throws {
    #expect(ModelCatalog.entry(named: typed)?.name == expected)
  }

  @Test func hubIDIsKeptAsTheRepository() throws {
    let entry = try #require(ModelCatalog.entry(named: "Qwen/Qwen2.5-7B-Instruct"))
    #expect(entry.build().serving.repository == "Qwen/Qwen2.5-7B-Instruct")
    let typed = try #require(ModelCatalog.entry(named: "qwen2.5-7b-instruct"))
    #expect(typed.build().serving.repository == "Qwen/Qwen2.5-7B-Instruct")
    let plain = try #require(ModelCatalog.entry(named: "qwen2.5-7b"))
    #expect(plain.build().serving.repository == "Qwen/Qwen2.5-7B")
  }

  @Test func unknownNamesFindNothing() {
    #expect(ModelCatalog.entry(named: "llama-3.1-9b") == nil)
    #expect(ModelCatalog.entry(named: "instruct") == nil)
    #expect(ModelCatalog.entry(named: "") == nil)
  }

  @Test func catalogFilesOrderNaturally() {
    #expect(ModelCatalog.naturallyOrdered("llama-3.1-8b", "llama-3.1-70b"))
    #expect(!ModelCatalog.naturallyOrdered("llama-3.1-70b", "llama-3.1-8b"))
    #expect(ModelCatalog.naturallyOrdered("qwen2.5-7b", "qwen2.5-14b"))
  }

  /// The plain LLMs that became catalog files build the tree their Swift builders built.
  @Test(arguments: [
    ("qwen2-7b", ModelCatalog.qwen2(name: "qwen2-7b")),
    ("qwen2.5-7b", ModelCatalog.qwen2(name: "qwen2.5-7b")),
    ("qwen2.5-72b", ModelCatalog.qwen25x72B()),
    ("llama-3-8b", ModelCatalog.llama3(name: "llama-3-8b", large: false)),
    ("llama-3-70b", ModelCatalog.llama3(name: "llama-3-70b", large: true)),
    ("mistral-7b", ModelCatalog.mistral7B()),
  ])
  func catalogFileBuildsTheSwiftTree(name: String, swift: ModelGraph) throws {
    let file = try #require(ModelCatalog.entry(named: name)).build()
    #expect(file.root == swift.root)
    #expect(file.layers == swift.layers)
    #expect(file.summary == swift.summary)
    #expect(file.estimates.isEmpty)
  }
}
