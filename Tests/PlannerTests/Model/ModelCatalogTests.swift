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
    #expect(plan.weightDType == .int8)
    #expect(DeviceMapExporter.render(try #require(plan.layout.deviceMap)).contains("\"llm.lm_head\": 1"))
  }
}
