import Testing

@testable import Planner

/// llama.cpp computes the layers it keeps in host memory on the CPU (the first ones, those -ngl does
/// not offload) instead of streaming them to a GPU as accelerate does.
@Suite struct LlamaCppHostLayersTests {
  static func layout(runtime: RuntimeProfile, hostLayers: Int) throws -> (DeviceMapLayout, PlacementProblem) {
    let model = try #require(ModelCatalog.entry(named: "qwen2-7b")).build()
    let t4 = try #require(GPUCatalog.all.first { $0.name == "T4" })
    var workload = Workload()
    workload.dtype = .fixed(.fp16)
    let memory = MemoryModel(
      model: model, workload: workload, weightDType: .fp16, computeDType: .fp16, runtime: runtime)
    let problem = PlacementProblem(model: model, gpus: [t4], memory: memory, userMaxMemory: nil)
    var decoders = 0
    let map = model.layers.map { layer -> (module: String, device: Device) in
      var device = Device.gpu(0)
      if layer.kind == .decoder {
        if decoders < hostLayers { device = .cpu }
        decoders += 1
      }
      return (layer.module, device)
    }
    let plan = DeviceMapLayout(
      problem: problem, placement: Placement(deviceMap: map), strategy: .memory, dtypeNotes: [])
    return (plan, problem)
  }

  @Test func hostLayersRunOnTheCPUAtHostBandwidth() throws {
    let (all, _) = try Self.layout(runtime: .llamaCpp, hostLayers: 0)
    let (four, problem) = try Self.layout(runtime: .llamaCpp, hostLayers: 4)
    let t4 = problem.gpus[0]
    let decoders = problem.model.layers.filter { $0.kind == .decoder }.prefix(4)
    let onGPU = decoders.reduce(0.0) { $0 + problem.cost.decode($1, on: t4).seconds }
    let onCPU = decoders.reduce(0.0) { $0 + problem.cost.hostMemoryRead($1) / 76.8e9 }
    let expected = all.estimate.decodeSecondsPerToken - onGPU + onCPU
    #expect(abs(four.estimate.decodeSecondsPerToken / expected - 1) < 1e-9)
    // A 7B fp16 layer (466 MB) from DDR5 at 76.8 GB/s takes 6 ms, where the T4 reads it in 2 ms.
    #expect(onCPU > 2.5 * onGPU)
  }

  @Test func accelerateStreamsTheSameLayersInsteadAndIsSlower() throws {
    let (llama, _) = try Self.layout(runtime: .llamaCpp, hostLayers: 4)
    let (accelerate, problem) = try Self.layout(runtime: .transformers, hostLayers: 4)
    let t4 = problem.gpus[0]
    let streamed = problem.model.layers.filter { $0.kind == .decoder }.prefix(4).reduce(0.0) {
      $0 + problem.cost.offloadStreaming($1, from: .cpu, to: t4)
    }
    // accelerate copies each offloaded layer from pageable memory every step: 5.44 GB/s measured (the
    // median of five H200 points, OffloadRateTests).
    #expect(abs(streamed / (4 * 466_115_584 / 5.44e9) - 1) < 0.01)
    #expect(accelerate.estimate.decodeSecondsPerToken > 5 * llama.estimate.decodeSecondsPerToken)
  }
}
