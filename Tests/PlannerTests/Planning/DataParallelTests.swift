import Foundation
import Testing

@testable import Planner

/// vLLM layouts TP × PP × DP: tensor parallelism inside one server, data-parallel replicas where
/// they serve more tokens per second than one wider engine.
@Suite struct DataParallelTests {
  static func plan(_ model: String, _ gpus: String, _ change: (inout ServingConfig) -> Void = { _ in }) throws
    -> EngineLayout
  {
    var serving = ServingConfig()
    change(&serving)
    let graph = try #require(ModelCatalog.entry(named: model)).build()
    return try ServingPlanner.plan(
      PlanRequest(model: graph, gpus: try GPUList.parse(gpus), runtime: .vllm(serving)))
  }

  @Test func tensorParallelNeverSpansMoreThanOneServer() throws {
    let plan = try Self.plan("llama-3.1-70b", "64xH100") { $0.maxModelLen = 8192 }
    #expect(plan.layout.tensorParallel <= 8)
    #expect(plan.alternatives.allSatisfy { $0.tensorParallel <= 8 })
    #expect(plan.layout.tensorParallel * plan.layout.pipelineParallel * plan.dataParallel == 64)
    let four = try Self.plan("llama-3.1-70b", "8xH100") {
      $0.maxModelLen = 8192
      $0.gpusPerNode = 4
    }
    #expect(four.layout.tensorParallel <= 4)
  }

  @Test func anEightBModelOnEightA100sGetsReplicas() throws {
    let replicated = try Self.plan("llama-3.1-8b", "8xA100-80G") { $0.maxModelLen = 8192 }
    #expect(replicated.dataParallel > 1)
    let single = try Self.plan("llama-3.1-8b", "8xA100-80G") {
      $0.maxModelLen = 8192
      $0.dataParallel = 1
    }
    #expect(single.dataParallel == 1)
    let total = replicated.layout.throughputTokensPerSecond * Double(replicated.dataParallel)
    #expect(total > single.layout.throughputTokensPerSecond * 1.02)
  }

  @Test func aFixedReplicaCountSplitsTheGPUs() throws {
    let plan = try Self.plan("llama-3.1-8b", "8xA100-80G") {
      $0.maxModelLen = 8192
      $0.dataParallel = 2
    }
    #expect(plan.dataParallel == 2)
    #expect(plan.layout.tensorParallel * plan.layout.pipelineParallel <= 4)
    #expect(throws: PlanningError.self) {
      try Self.plan("llama-3.1-8b", "3xA100-80G") { $0.dataParallel = 2 }
    }
  }

  @Test func mixedGPUsAreOneEngine() throws {
    let plan = try Self.plan("llama-3.1-8b", "1x4090,1x3090") { $0.maxModelLen = 8192 }
    #expect(plan.dataParallel == 1)
  }
}
