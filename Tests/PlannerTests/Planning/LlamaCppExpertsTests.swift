import Testing

@testable import Planner

/// llama.cpp's `--n-cpu-moe`: the CPU computes the routed experts of the first layers, and the
/// estimate counts that time in the stage of the GPU that runs those layers.
@Suite struct LlamaCppExpertsTests {
  /// Qwen3-30B-A3B in int8 on one RTX 4090 (24 GB) under llama.cpp: 30.5 GB of weights do not fit,
  /// and with the routed experts of the first layers in host memory they do.
  static func request() throws -> PlanRequest {
    let graph = try #require(ModelCatalog.entry(named: "qwen3-30b-a3b")).build()
    var workload = Workload()
    workload.dtype = .fixed(.int8)
    return PlanRequest(
      model: graph, gpus: try GPUList.parse("4090"), workload: workload, runtime: .llamaCpp())
  }

  /// The request's plan with the routed experts of the first `count` decoder layers in host memory.
  static func layout(_ request: PlanRequest, hostExpertLayers count: Int, compute: DType) -> DeviceMapLayout {
    var problem = Planner.problem(request, weight: .int8, compute: compute)
    problem.memory.hostExpertLayers = count
    problem.memory.llamaInputCopies = 1
    return DeviceMapLayout(
      problem: problem, placement: request.strategy.place(problem), strategy: request.strategy, dtypeNotes: []
    )
  }

  /// Every host layer's routed experts are 128 × 3 matrices of 2048 × 768 (the model's config) in
  /// int8, plus a scale per row; a decode step of one token reads the 8 of 128 it routes to. Moving
  /// them to the host, the 4090's stage stops reading them at 1008 GB/s × llama.cpp's 0.75 and the
  /// CPU reads them at 76.8 GB/s (dual-channel DDR5-4800) instead; the CPU's time dominates the
  /// stage, so it is the bottleneck.
  @Test func theStageOfTheGPURunningTheHostLayersIncludesTheCPUsRead() throws {
    let request = try Self.request()
    let plan = try #require(try Planner.plan(request).layout.deviceMap)
    let layers = plan.hostExpertLayers
    #expect(layers > 0 && layers < 48)
    let allOnGPU = Self.layout(request, hostExpertLayers: 0, compute: plan.computeDType)
    #expect(allOnGPU.layerDevices.allSatisfy { $0 == nil || $0 == .gpu(0) })
    #expect(plan.layerDevices.allSatisfy { $0 == nil || $0 == .gpu(0) })

    let read = Double(layers) * 128 * 3 * 2048 * 768 * 8 / 128
    let onCPU = read / 76.8e9
    let expected = onCPU - read / (1008e9 * 0.75)
    let stage = try #require(plan.estimate.stageSeconds.first { $0.device == .gpu(0) }).seconds
    let stageOnGPU = try #require(allOnGPU.estimate.stageSeconds.first { $0.device == .gpu(0) }).seconds
    #expect(abs((stage - stageOnGPU) / expected - 1) < 0.01, "\(stage - stageOnGPU) s against \(expected) s")
    #expect(stage > onCPU)
    // One GPU, no hops: the step is the stage and the per-step host time.
    let added = plan.estimate.decodeSecondsPerToken - allOnGPU.estimate.decodeSecondsPerToken
    #expect(abs(added / expected - 1) < 0.01, "\(added) s against \(expected) s")

    #expect(plan.estimate.bottleneckDevice == .cpu)
    #expect(plan.estimate.bottleneckBound == .memory)
    #expect(
      plan.estimate.bottleneck(gpus: plan.gpus) == "cpu (llama.cpp computes there): host memory bandwidth")
  }

  /// Prefill copies every host expert to the GPU for each of llama.cpp's 512-token micro-batches
  /// (8 for 4096 tokens) over PCIe 4.0 x16 at 0.8 × 31.5 GB/s; the layers' own prefill is
  /// compute-bound either way, so that is all it adds.
  @Test func prefillCopiesTheHostExpertsForEveryMicroBatch() throws {
    let request = try Self.request()
    let plan = try #require(try Planner.plan(request).layout.deviceMap)
    let allOnGPU = Self.layout(request, hostExpertLayers: 0, compute: plan.computeDType)
    let copies = 8 * Double(plan.hostExpertBytes.value) / (0.8 * 31.5e9)
    let added = plan.estimate.prefillSeconds - allOnGPU.estimate.prefillSeconds
    #expect(abs(added / copies - 1) < 0.01, "\(added) s against \(copies) s")
  }

  /// The note says what the estimate counts: the bytes of the experts one token routes to (8 of
  /// 128) a step reads on the CPU, and their time at 76.8 GB/s.
  @Test func theNoteGivesTheCPUsReadAndTime() throws {
    let plan = try #require(try Planner.plan(Self.request()).layout.deviceMap)
    let note = try #require(plan.notes.first)
    #expect(note.hasPrefix("--n-cpu-moe \(plan.hostExpertLayers): "))
    let read = Double(plan.hostExpertBytes.value) * 8 / 128
    // The layout's bytes are its expert tensors; the cost model's, each layer's parameter share of
    // its bytes (Layer.RoutedExperts.share): they agree to 0.1%.
    let printed = try #require(
      note.split(separator: "reading ").last?.split(
        separator: " MiB a step from host memory (DDR5-4800 x2, 76.8 GB/s"
      )
      .first)
    let mebibytes = try #require(Double(printed))
    #expect(abs(mebibytes * 1_048_576 / read - 1) < 0.001, "\(mebibytes) MiB against \(read) bytes")
    #expect(note.contains("+\(DurationFormatting.seconds(read / 76.8e9)) a token"))
  }
}

/// `--host-memory`: llama.cpp's CPU reads the host experts at the host's rate.
@Suite struct LlamaCppHostMemoryTests {
  @Test func aFasterHostShortensTheCPUTimeByItsRate() throws {
    let model = try #require(ModelCatalog.entry(named: "qwen3-30b-a3b")).build()
    let gpu = try #require(GPUCatalog.all.first { $0.name == "RTX4090" })
    var workload = Workload()
    workload.dtype = .fixed(.int8)
    func plan(_ memory: HostMemory) throws -> Plan {
      try Planner.plan(
        PlanRequest(model: model, gpus: [gpu], workload: workload, runtime: .llamaCpp(), hostMemory: memory))
    }
    let desktop = try plan(.desktop)
    let server = try plan(try HostMemory(parsing: "ddr5-4800x8"))
    #expect(desktop.layout.deviceMap?.hostExpertLayers == server.layout.deviceMap?.hostExpertLayers)
    #expect((desktop.layout.deviceMap?.hostExpertLayers ?? 0) > 0)
    let note = try #require(server.notes.first { $0.hasPrefix("--n-cpu-moe") })
    #expect(note.contains("DDR5-4800 x8, 307.2 GB/s"))
    // The CPU's read of the experts: read / 76.8 GB/s on the desktop, a quarter of it on 8 channels.
    let desktopNote = try #require(desktop.notes.first { $0.hasPrefix("--n-cpu-moe") })
    #expect(desktopNote.contains("DDR5-4800 x2, 76.8 GB/s"))
    // Qwen3-30B-A3B routes each token to 8 of 128 experts: one step reads 8/128 of the host experts
    // (the layout's expert tensors; the cost model's parameter shares agree to 0.1%, above).
    let hostExperts = Double(try #require(desktop.layout.deviceMap?.hostExpertBytes).value)
    let read = hostExperts * 8 / 128
    let saved = desktop.speed.decodeSecondsPerToken - server.speed.decodeSecondsPerToken
    #expect(abs(saved / (read / 76.8e9 - read / 307.2e9) - 1) < 0.005, "\(saved)")
  }
}
