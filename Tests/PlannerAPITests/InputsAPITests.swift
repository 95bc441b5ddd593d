import Foundation
import Planner
import Testing

/// What users type, through the public API only: `--model` resolution and `--gpus local` parsing.
@Suite struct InputsAPITests {
  @Test func aHubIdInTheCatalogKeepsTheIdTyped() throws {
    let resolver = ModelResolver(variables: ["HF_HUB_CACHE": "/nonexistent"], home: "/nonexistent")
    let source = try resolver.resolve("Qwen/Qwen2.5-7B-Instruct")
    #expect(source.origin == .catalog)
    let model = try source.load()
    #expect(model.serving.repository == "Qwen/Qwen2.5-7B-Instruct")
    let plan = try Planner.plan(PlanRequest(model: model, gpus: try GPUList.parse("P4x2")))
    #expect(plan.model.name == "Qwen/Qwen2.5-7B-Instruct")
  }

  @Test func nvidiaSMIOutputBecomesGPUsAndLinks() throws {
    let rows = try NvidiaSMI.parseQuery(
      "0, NVIDIA H100 80GB HBM3, 81559, 0, 00000000:1B:00.0, 9.0\n1, NVIDIA H100 80GB HBM3, 81559, 0, 00000000:43:00.0, 9.0\n"
    )
    let links = try NvidiaSMI.parseTopology("\tGPU0\tGPU1\nGPU0\t X \tSYS\nGPU1\tSYS\t X \n", gpuCount: 2)
    let local = LocalGPUs(rows: rows, connections: links)
    #expect(local.gpus.map(\.name) == ["H100-SXM", "H100-SXM"])
    #expect(local.topology.link(from: 0, to: 1).kind == .host)
    let plan = try Planner.plan(
      PlanRequest(model: try resolverModel(), gpus: local.gpus, topology: local.topology))
    #expect(plan.fits)
  }

  func resolverModel() throws -> ModelGraph {
    try ModelResolver(variables: [:], home: "/nonexistent").resolve("qwen2-7b").load()
  }
}
