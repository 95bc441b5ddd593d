import Testing

@testable import Planner
@testable import PlannerCLI

@Suite struct LlamaCppExporterTests {
  typealias Exporter = LlamaCppExporter

  // MARK: - Helpers

  /// The planner's plan for the llama.cpp runtime.
  static func plan(
    _ model: String, on gpus: String, strategy: Strategy = .auto, dtype: DType? = nil,
    configure: (inout Workload) -> Void = { _ in }
  ) throws -> DeviceMapLayout {
    var workload = Workload()
    if let dtype { workload.dtype = .fixed(dtype) }
    configure(&workload)
    let graph = try #require(ModelCatalog.entry(named: model)).build()
    let plan = try Planner.plan(
      PlanRequest(
        model: graph, gpus: try GPUList.parse(gpus), workload: workload,
        runtime: .llamaCpp(accelerate: strategy.accelerateMode), objective: strategy.objective ?? .auto))
    return try #require(plan.layout.deviceMap)
  }

  /// A hand-made plan: every layer on `device(layer, decoder ordinal)`.
  static func plan(
    _ model: String, on gpus: String, weight: DType = .fp16, maxMemory: MaxMemory? = nil,
    runtime: RuntimeProfile = .llamaCpp, device: (Layer, Int?) -> Device
  ) throws -> DeviceMapLayout {
    let graph = try #require(ModelCatalog.entry(named: model)).build()
    let memory = MemoryModel(
      model: graph, workload: Workload(), weightDType: weight, computeDType: .fp16, runtime: runtime)
    let problem = PlacementProblem(
      model: graph, gpus: try GPUList.parse(gpus), memory: memory, userMaxMemory: maxMemory)
    let map = graph.layers.map { layer in
      let ordinal = layer.kind == .decoder ? Int(layer.module.split(separator: ".").last!) : nil
      return (module: layer.module, device: device(layer, ordinal))
    }
    return DeviceMapLayout(
      problem: problem, placement: Placement(deviceMap: map), strategy: .memory, dtypeNotes: [])
  }

  /// The refusal `plan` gets (records an issue if it exports).
  static func refusal(_ plan: DeviceMapLayout) -> String {
    do {
      let launch = try Exporter.invocation(for: plan)
      Issue.record("exported \(launch.arguments); expected a refusal")
      return ""
    } catch {
      return error.description
    }
  }

  /// Where llama.cpp puts each repeating layer and the output layer for `-ngl` and
  /// `--tensor-split`: src/llama-model.cpp `load_tensors` (since PR #18148), in Float as it
  /// computes: `nil` for the CPU, else the position in the model's device list.
  static func llamaCppDevices(layers: Int, gpuLayers: Int, split: [Int]) -> [Int?] {
    let shares = split.isEmpty ? [Float(1)] : split.map(Float.init)
    var cumulative: [Float] = []
    var sum: Float = 0
    for share in shares {
      sum += share
      cumulative.append(sum)
    }
    cumulative = cumulative.map { $0 / sum }
    let start = max(layers + 1 - gpuLayers, 0)
    let active = min(gpuLayers, layers + 1)
    return (0...layers).map { layer in
      guard layer >= start, layer - start < active else { return nil }
      let fraction = Float(layer - start) / Float(active)
      return cumulative.firstIndex { $0 > fraction }  // std::upper_bound
    }
  }

  /// Checks that llama.cpp, given the invocation's flags, puts every layer where the plan does.
  static func expectLlamaCppReproduces(_ plan: DeviceMapLayout, _ launch: Exporter.Invocation) {
    let modelGPUs = launch.gpus.filter { !$0.layers.isEmpty || $0.holdsOutputLayer }
    let placed = llamaCppDevices(
      layers: launch.layerCount, gpuLayers: launch.gpuLayers, split: launch.tensorSplit)
    let decoders = plan.model.layers.indices.filter { plan.model.layers[$0].kind == .decoder }
    for (ordinal, index) in decoders.enumerated() {
      let expected: Int? =
        if case .gpu(let gpu) = plan.layerDevices[index] { modelGPUs.firstIndex { $0.index == gpu } } else {
          nil
        }
      #expect(placed[ordinal] == expected, "layer \(ordinal)")
    }
    #expect(placed[launch.layerCount] == modelGPUs.firstIndex { $0.holdsOutputLayer }, "output layer")
  }

  // MARK: - Commands

  /// Two P4s: int8 as Q8_0, the vision tower and layers 0-12 on GPU 0, 13-27 and the output layer
  /// on GPU 1; the tensor split counts the output layer on GPU 1, or llama.cpp would move layer 13.
  @Test func minicpmV26OnTwoP4s() throws {
    let plan = try Self.plan("minicpm-v-2.6", on: "2xP4")
    let launch = try Exporter.invocation(for: plan)
    #expect(
      launch.gpus == [
        .init(index: 0, layers: 0..<13, holdsOutputLayer: false, holdsMMProj: true),
        .init(index: 1, layers: 13..<28, holdsOutputLayer: true, holdsMMProj: false),
      ])
    #expect(launch.visibleDevices == "0,1")
    #expect(launch.modelDevices == nil)
    #expect(launch.gpuLayers == 29)
    #expect(launch.tensorSplit == [13, 16])
    #expect(launch.hostLayers.isEmpty)
    #expect(launch.weightType == .q8)
    #expect(launch.outputType == .q8)
    #expect(launch.mmprojType == .q8)
    #expect(launch.modelFile == "minicpm-v-2.6-Q8_0.gguf")
    #expect(launch.mmprojFile == "mmproj-minicpm-v-2.6-Q8_0.gguf")
    #expect(launch.contextTokens == 4096)
    #expect(launch.parallel == 1)
    #expect(launch.cacheType == nil)
    #expect(
      launch.arguments == [
        "-m minicpm-v-2.6-Q8_0.gguf", "--mmproj mmproj-minicpm-v-2.6-Q8_0.gguf", "-ngl 29",
        "--split-mode layer",
        "--tensor-split 13,16", "-c 4096", "--parallel 1",
      ])
    Self.expectLlamaCppReproduces(plan, launch)
    // The decoder-layer counts alone would give GPU 0 one layer more.
    #expect(Self.llamaCppDevices(layers: 28, gpuLayers: 29, split: [13, 15])[13] == 0)
  }

  /// P40 + P4: the whole model fits the P40; the P4 is hidden from llama.cpp.
  @Test func minicpmV26OnP40AndP4UsesTheP40Only() throws {
    let plan = try Self.plan("minicpm-v-2.6", on: "P40,P4")
    let launch = try Exporter.invocation(for: plan)
    #expect(launch.gpus == [.init(index: 0, layers: 0..<28, holdsOutputLayer: true, holdsMMProj: true)])
    #expect(launch.visibleDevices == "0")
    #expect(launch.tensorSplit.isEmpty)
    #expect(launch.gpuLayers == 29)
    #expect(launch.weightType == .f16)
    #expect(launch.mmprojFile == "mmproj-minicpm-v-2.6-F16.gguf")
    #expect(!launch.arguments.contains { $0.hasPrefix("--tensor-split") })
    let text = try Exporter.render(plan)
    #expect(text.contains("# GPU 1 (P4) not used: the plan leaves it unused\n"))
    #expect(text.contains("\nCUDA_VISIBLE_DEVICES=0 llama-server \\\n"))
  }

  /// T4 + P4: the planner puts the vision tower and layers 0-2 on the P4 (GPU 1): llama.cpp sees
  /// the P4 first, so that its mmproj and the first layers land there.
  @Test func theGPUWithTheVisionTowerComesFirst() throws {
    let plan = try Self.plan("minicpm-v-2.6", on: "T4,P4")
    let launch = try Exporter.invocation(for: plan)
    #expect(launch.visibleDevices == "1,0")
    #expect(launch.gpus.map(\.layers) == [0..<3, 3..<28])
    #expect(launch.gpus.map(\.holdsMMProj) == [true, false])
    #expect(launch.tensorSplit == [3, 26])
    #expect(launch.modelDevices == nil)
    Self.expectLlamaCppReproduces(plan, launch)
  }

  /// T4 + P4 for throughput: the P4 holds only the vision tower (and the token embeddings, which
  /// llama.cpp keeps in host memory): first, for the mmproj, and out of the model's devices.
  @Test func aGPUWithOnlyTheVisionTowerIsFirstAndSkippedByDevice() throws {
    let plan = try Self.plan("minicpm-v-2.6", on: "T4,P4", strategy: .throughput)
    let launch = try Exporter.invocation(for: plan)
    #expect(launch.visibleDevices == "1,0")
    #expect(
      launch.gpus == [
        .init(index: 1, layers: 0..<0, holdsOutputLayer: false, holdsMMProj: true),
        .init(index: 0, layers: 0..<28, holdsOutputLayer: true, holdsMMProj: false),
      ])
    #expect(launch.modelDevices == ["CUDA1"])
    #expect(launch.arguments.contains("--device CUDA1"))
    #expect(launch.tensorSplit.isEmpty)
    Self.expectLlamaCppReproduces(plan, launch)
  }

  /// P4, P4, T4: the vision tower alone on GPU 0, every layer on the T4, the output layer alone on
  /// GPU 1: the output layer is one more slot after the T4's, and `--mmproj-device CUDA0` keeps
  /// the mmproj on GPU 0 (llama.cpp would send it to CUDA1, the first of `--device`).
  @Test func anOutputLayerOnItsOwnGPUIsTheLastSlot() throws {
    let plan = try Self.plan("minicpm-v-2.6", on: "P4,P4,T4") { layer, _ in
      switch (layer.stream, layer.kind) {
      case (.vision, _): .gpu(0)
      case (_, .head): .gpu(1)
      default: .gpu(2)
      }
    }
    let launch = try Exporter.invocation(for: plan)
    #expect(launch.visibleDevices == "0,2,1")
    #expect(launch.modelDevices == ["CUDA1", "CUDA2"])
    #expect(launch.tensorSplit == [28, 1])
    #expect(launch.gpuLayers == 29)
    #expect(launch.mmprojDevice == "CUDA0")
    #expect(
      Array(launch.arguments.prefix(4)) == [
        "-m minicpm-v-2.6-F16.gguf", "--mmproj mmproj-minicpm-v-2.6-F16.gguf", "--device CUDA1,CUDA2",
        "--mmproj-device CUDA0",
      ])
    Self.expectLlamaCppReproduces(plan, launch)
  }

  /// The planner's own P4, P4, T4 plan for throughput keeps GPU 0 for the mmproj: the export
  /// names it with `--mmproj-device`.
  @Test func theMMProjGPULeftOutOfDeviceIsNamed() throws {
    let plan = try Self.plan("minicpm-v-2.6", on: "P4,P4,T4", strategy: .throughput)
    let launch = try Exporter.invocation(for: plan)
    #expect(launch.gpus.first == .init(index: 0, layers: 0..<0, holdsOutputLayer: false, holdsMMProj: true))
    #expect(launch.modelDevices != nil)
    #expect(launch.arguments.contains("--mmproj-device CUDA0"))
  }

  /// Without `--device` the mmproj goes to the first GPU by itself: no `--mmproj-device`.
  @Test func noMMProjDeviceWithoutDevice() throws {
    let launch = try Exporter.invocation(for: try Self.plan("minicpm-v-2.6", on: "2xP4"))
    #expect(launch.modelDevices == nil)
    #expect(launch.mmprojDevice == nil)
  }

  /// The fit is offered where every layer is on a GPU with llama.cpp's 1024 MiB margin to spare,
  /// not where the plan needs layers in host memory or a GPU kept for the mmproj.
  @Test func theFitIsOfferedOnlyWhereItIsEnough() throws {
    let roomy = try Self.plan("qwen2-7b", on: "A100-80G-SXM")
    let arguments = try #require(Exporter.fitArguments(roomy, try Exporter.invocation(for: roomy)))
    #expect(arguments.contains("--fit on"))
    #expect(arguments.contains("-fitt 1024"))
    #expect(!arguments.contains { $0.hasPrefix("-ngl") || $0.hasPrefix("--tensor-split") })
    let device = try Self.plan("minicpm-v-2.6", on: "P4,P4,T4", strategy: .throughput)
    #expect(Exporter.fitArguments(device, try Exporter.invocation(for: device)) == nil)
  }

  /// A text model over two P4s at int8 and over four GPUs: the flags reproduce the plan.
  @Test(arguments: ["2xP4", "4xP4", "T4,P4,P4"])
  func textModelsAreReproduced(gpus: String) throws {
    let plan = try Self.plan("qwen2-7b", on: gpus, strategy: .memory, dtype: .int8)
    let launch = try Exporter.invocation(for: plan)
    #expect(launch.mmprojFile == nil)
    #expect(!launch.arguments.contains { $0.hasPrefix("--mmproj") })
    #expect(launch.gpuLayers == 29)
    #expect(launch.tensorSplit.reduce(0, +) == (launch.tensorSplit.isEmpty ? 0 : 29))
    Self.expectLlamaCppReproduces(plan, launch)
  }

  /// A tied output layer (MiniCPM-2.4B) sits with the embeddings in the plan; llama.cpp copies the
  /// embeddings to the last GPU as its output layer.
  @Test func aTiedOutputLayerGoesToTheLastGPU() throws {
    let plan = try Self.plan("minicpm-v-2.0", on: "2xP4", strategy: .memory)
    let launch = try Exporter.invocation(for: plan)
    #expect(launch.gpus.map(\.holdsOutputLayer) == [false, true])
    #expect(launch.tensorSplit == [launch.gpus[0].layers.count, launch.gpus[1].layers.count + 1])
    let differences = Exporter.weightDifference(plan, launch)
    #expect(differences[0]! < 0)
    #expect(differences[0]! == -differences[1]!)
    #expect(
      try Exporter.render(plan).contains("llama.cpp loads a copy of them on the GPU with the output layer"))
  }

  /// Layers in host memory must be the first ones: `-ngl` then counts the output layer and the
  /// GPU layers (llama.cpp since PR #18148).
  @Test func theFirstLayersMayStayInHostMemory() throws {
    let caps = try MaxMemory(parsing: "cpu:64GiB")
    let plan = try Self.plan("qwen2-7b", on: "2xA100-80G-SXM", maxMemory: caps) { layer, ordinal in
      if let ordinal { return ordinal < 4 ? .cpu : ordinal < 16 ? .gpu(0) : .gpu(1) }
      return layer.kind == .embedding ? .cpu : .gpu(1)
    }
    #expect(plan.fits)
    let launch = try Exporter.invocation(for: plan)
    #expect(launch.hostLayers == 0..<4)
    #expect(launch.gpuLayers == 25)
    #expect(launch.tensorSplit == [12, 13])
    Self.expectLlamaCppReproduces(plan, launch)
    let text = try Exporter.render(plan)
    #expect(text.contains("# layers 0-3 run on the CPU in llama.cpp"))
  }

  @Test func batchesShareTheContextAndKVTypesFollowThePlan() throws {
    let plan = try Self.plan("llama-3-8b", on: "2xA100-80G-SXM") {
      $0.batch = 4
      $0.contextTokens = 8192
      $0.kvDType = .fp32
    }
    let launch = try Exporter.invocation(for: plan)
    #expect(launch.contextTokens == 32768)
    #expect(launch.parallel == 4)
    #expect(launch.cacheType == "f32")
    #expect(
      Array(launch.arguments.suffix(4)) == [
        "-c 32768", "--parallel 4", "--cache-type-k f32", "--cache-type-v f32",
      ])
    // bf16 compute keeps llama.cpp's f16 cache (same bytes) unless bf16 is asked for.
    let bf16 = try Self.plan("llama-3-8b", on: "A100-80G-SXM")
    #expect(bf16.computeDType == .bf16)
    #expect(try Exporter.invocation(for: bf16).cacheType == nil)
    #expect(try Exporter.invocation(for: bf16).weightType == .bf16)
    let asked = try Self.plan("llama-3-8b", on: "A100-80G-SXM") { $0.kvDType = .bf16 }
    #expect(try Exporter.invocation(for: asked).cacheType == "bf16")
  }

  @Test func int4IsQ4_0WithAQ6KOutputAndAQ8_0MMProj() throws {
    let plan = try Self.plan("minicpm-v-2.6", on: "2xT4", dtype: .int4)
    let launch = try Exporter.invocation(for: plan)
    #expect(launch.weightType == .q4)
    #expect(launch.outputType == .q6K)
    #expect(launch.mmprojType == .q8)
    #expect(launch.modelFile == "minicpm-v-2.6-Q4_0.gguf")
    #expect(launch.mmprojFile == "mmproj-minicpm-v-2.6-Q8_0.gguf")
    // Q4_0 holds 18 bytes per 32 weights; the plan counts 16 plus 4 per 128.
    let layer = try #require(plan.model.layers.first { $0.kind == .decoder })
    let elements = layer.tally.quantizableElements
    #expect(Exporter.GGUFType.q4.bytes(elements) == elements / 32 * 18)
    #expect(elements / 32 * 18 - layer.tally.quantizedBytes[.int4]! == elements / 32)
  }

  @Test func fileNamesComeFromTheModelName() {
    #expect(Exporter.fileBase("minicpm-v-2.6") == "minicpm-v-2.6")
    #expect(Exporter.fileBase("/home/me/models/MiniCPM-V-2_6/") == "MiniCPM-V-2_6")
    #expect(Exporter.fileBase("/x/my model (v2)") == "my-model--v2-")
    #expect(Exporter.fileBase("/") == "model")
  }

  // MARK: - Refusals

  @Test func refusesPlansThatDoNotFit() throws {
    let plan = try Self.plan("llama-3-70b", on: "T4")
    #expect(!plan.fits)
    #expect(Self.refusal(plan).hasPrefix("the plan does not fit: GPU 0 needs "))
  }

  @Test func refusesFP8WeightsAndKVCache() throws {
    #expect(
      Self.refusal(try Self.plan("qwen2-7b", on: "L4", dtype: .fp8))
        == "fp8 weights have no GGUF type: use --dtype int8 (Q8_0) or --dtype fp16")
    #expect(
      Self.refusal(try Self.plan("qwen2-7b", on: "L4") { $0.kvDType = .fp8 })
        == "llama.cpp has no fp8 KV cache (its 8-bit cache is q8_0, 8.5 bits per value): use --kv-dtype fp16")
  }

  @Test func refusesBF16OnGPUsWithoutIt() throws {
    let plan = try Self.plan("qwen2-7b", on: "2xP40", weight: .bf16) { _, _ in .gpu(0) }
    #expect(
      Self.refusal(plan)
        == "bf16 weights on P40 (sm_61): llama.cpp converts BF16 for GPUs before sm_80 and the planner does not "
        + "plan it there; use --dtype fp16")
  }

  @Test func refusesPlansForAnotherRuntime() throws {
    let plan = try Self.plan("qwen2-7b", on: "A100-80G-SXM", runtime: .transformers) { _, _ in .gpu(0) }
    #expect(
      Self.refusal(plan) == "the plan is for the transformers runtime: plan it with --runtime llama.cpp")
  }

  @Test func refusesHostLayersThatAreNotTheFirst() throws {
    let caps = try MaxMemory(parsing: "cpu:64GiB")
    let plan = try Self.plan("qwen2-7b", on: "A100-80G-SXM", maxMemory: caps) { layer, ordinal in
      if let ordinal { return ordinal < 18 ? .gpu(0) : .cpu }
      return layer.kind == .embedding ? .gpu(0) : .cpu
    }
    #expect(
      Self.refusal(plan)
        == "the plan keeps layers 18-27 in host memory; llama.cpp keeps only the first layers there (-ngl offloads "
        + "the last ones): plan without cpu in --max-memory")
  }

  @Test func refusesTwoRunsOfLayersOnOneGPU() throws {
    let plan = try Self.plan("qwen2-7b", on: "2xA100-80G-SXM") { _, ordinal in
      guard let ordinal else { return .gpu(0) }
      return ordinal < 10 || ordinal >= 20 ? .gpu(0) : .gpu(1)
    }
    #expect(
      Self.refusal(plan)
        == "the plan gives GPU 0 layers 0-9 and 20-27; llama.cpp gives each GPU one run of consecutive layers"
    )
  }

  @Test func refusesAnOutputLayerBeforeTheLastLayers() throws {
    let plan = try Self.plan("qwen2-7b", on: "2xA100-80G-SXM") { layer, ordinal in
      if let ordinal { return ordinal < 14 ? .gpu(0) : .gpu(1) }
      return .gpu(0)
    }
    #expect(
      Self.refusal(plan)
        == "the plan puts the output layer (lm_head) on GPU 0 with layers 0-13; llama.cpp puts it after the last "
        + "layer, on the last GPU of the split")
  }

  @Test func refusesAnOutputLayerInHostMemory() throws {
    let caps = try MaxMemory(parsing: "cpu:64GiB")
    let plan = try Self.plan("qwen2-7b", on: "A100-80G-SXM", maxMemory: caps) { layer, _ in
      layer.kind == .head ? .cpu : .gpu(0)
    }
    #expect(
      Self.refusal(plan)
        == "the plan keeps the output layer (lm_head) in host memory; llama.cpp offloads it before any layer")
  }

  /// accelerate's `sequential` fills GPU 0 with the language model first and puts the vision tower
  /// on GPU 1 with the last layers: llama.cpp would run the mmproj on GPU 0.
  @Test func refusesAVisionTowerBesideLaterLayers() throws {
    let plan = try Self.plan("minicpm-v-2.6", on: "2xP4", strategy: .sequential)
    #expect(plan.fits)
    #expect(
      Self.refusal(plan)
        == "the plan puts the vision tower on GPU 1 with layers 23-27; llama.cpp runs its mmproj on the first "
        + "GPU, which must then hold the first offloaded layers (try --strategy auto)")
  }

  @Test func refusesAVisionTowerSplitOverDevices() throws {
    let plan = try Self.plan("minicpm-v-2.6", on: "2xA100-80G-SXM") { layer, _ in
      layer.module == "resampler" ? .gpu(1) : .gpu(0)
    }
    #expect(
      Self.refusal(plan)
        == "the plan splits the vision tower and projector (vpm.embeddings on GPU 0, resampler on GPU 1); "
        + "llama.cpp runs its mmproj on one device")
  }

  @Test(arguments: [
    ("minicpm-o-2.6", "audio", "apm.conv1"), ("qwen2.5-omni-7b", "audio", "thinker.audio_tower"),
  ])
  func refusesAudioAndSpeech(model: String, stream: String, module: String) throws {
    let plan = try Self.plan(model, on: "2xA100-80G-SXM")
    #expect(
      Self.refusal(plan)
        == "\(model) has \(stream) layers (\(module)): --format llama-cpp exports text and vision models only"
    )
  }

  // MARK: - Command line

  @Test func formatImpliesTheRuntime() throws {
    let options = try Options(parsing: ["--gpus", "2xP4", "--model", "qwen2-7b", "--format", "llama-cpp"])
    #expect(options.format == .llamaCpp)
    #expect(options.runtime == .llamaCpp)
    let explicit = try Options(
      parsing: ["--gpus", "2xP4", "--model", "qwen2-7b", "--runtime", "llama.cpp", "--format", "llama-cpp"])
    #expect(explicit.runtime == .llamaCpp)
  }

  @Test func anotherRuntimeOrCompareIsAUsageError() {
    let vllm = Command.run([
      "--gpus", "2xP4", "--model", "qwen2-7b", "--runtime", "vllm", "--format", "llama-cpp",
    ])
    #expect(vllm.exitCode == 64)
    #expect(vllm.stdout.isEmpty)
    #expect(
      vllm.stderr
        == "planner: error: --runtime vllm with --format llama-cpp: the export is a llama.cpp plan; use --runtime "
        + "llama.cpp, or leave --runtime out\n")
    let compare = Command.run(["--gpus", "2xP4", "--model", "qwen2-7b", "--compare", "--format", "llama-cpp"])
    #expect(compare.exitCode == 64)
    #expect(compare.stderr == "planner: error: --format llama-cpp exports one plan: leave out --compare\n")
  }

  @Test func aRefusalIsOneLineOnStderrAndNothingOnStdout() {
    let outcome = Command.run([
      "--gpus", "L4", "--model", "qwen2-7b", "--dtype", "fp8", "--format", "llama-cpp",
    ])
    #expect(outcome.exitCode == 1)
    #expect(outcome.stdout.isEmpty)
    #expect(
      outcome.stderr
        == "planner: error: llama.cpp cannot run this plan: fp8 weights have no GGUF type: use --dtype int8 (Q8_0) "
        + "or --dtype fp16\n")
  }

  @Test func theCommandEndsWithTheLaunchLine() {
    let outcome = Command.run(["--gpus", "2xP4", "--model", "minicpm-v-2.6", "--format", "llama-cpp"])
    #expect(outcome.exitCode == 0)
    #expect(outcome.stderr.isEmpty)
    let lines = outcome.stdout.split(separator: "\n")
    // The comments, the command (8 lines), then the fit's three comment lines.
    #expect(lines.prefix { $0.hasPrefix("# ") }.count == lines.count - 11)
    #expect(lines.suffix(11).first == "CUDA_VISIBLE_DEVICES=0,1 llama-server \\")
    #expect(lines.suffix(4).first == "  --parallel 1")
    #expect(lines.last?.hasPrefix("# CUDA_VISIBLE_DEVICES=0,1 llama-server ") == true)
  }

  // MARK: - --n-cpu-moe

  /// Qwen3-30B-A3B in int8 on one 4090 (24 GB): 30.5 GB of weights do not fit, and with the
  /// routed experts of the first layers in host memory they do. Each layer's routed experts are
  /// 128 x 3 matrices of 2048 x 768 (the model's config): 576 MiB a layer in int8, plus a scale per
  /// row. The export keeps the smallest count that leaves a tenth of the card free.
  @Test func moeModelFitsWithExpertsInHostMemory() throws {
    let plan = try Self.plan("qwen3-30b-a3b", on: "4090", dtype: .int8)
    #expect(plan.fits)
    let layers = plan.hostExpertLayers
    #expect(layers > 0 && layers < 48)
    let perLayer = 128.0 * 3 * 2048 * 768
    #expect(abs(Double(plan.hostExpertBytes.value) / (Double(layers) * perLayer) - 1) < 0.01)
    let launch = try Exporter.invocation(for: plan)
    #expect(launch.arguments.contains("--n-cpu-moe \(layers)"))
    #expect(launch.inputCopies == 1)
    let text = try Exporter.render(plan)
    #expect(text.contains("--n-cpu-moe \(layers)"))
    #expect(!text.contains("--fit on"))

    // One layer fewer on the host leaves less than a tenth of the 4090 free.
    let graph = try #require(ModelCatalog.entry(named: "qwen3-30b-a3b")).build()
    var workload = Workload()
    workload.dtype = .fixed(.int8)
    let request = PlanRequest(
      model: graph, gpus: try GPUList.parse("4090"), workload: workload, runtime: .llamaCpp())
    func layout(_ count: Int) -> DeviceMapLayout {
      var problem = Planner.problem(request, weight: .int8, compute: plan.computeDType)
      problem.memory.hostExpertLayers = count
      problem.memory.llamaInputCopies = 1
      return DeviceMapLayout(
        problem: problem, placement: request.strategy.place(problem), strategy: request.strategy,
        dtypeNotes: [])
    }
    let fewer = try #require(layout(layers - 1).devices.first { $0.device == .gpu(0) })
    #expect(Double(fewer.memory.total.value) > 0.9 * Double(fewer.capacity!.value))
    // The cost is the estimate's (LlamaCppExpertsTests): the plan is that layout.
    #expect(plan.estimate.decodeSecondsPerToken == layout(layers).estimate.decodeSecondsPerToken)
  }

  /// A dense model that does not fit is refused as before: no experts to keep in host memory.
  @Test func denseModelGetsNoHostExperts() throws {
    let plan = try Self.plan("llama-3-8b", on: "P4", dtype: .fp16)
    #expect(plan.fits == false)
    #expect(plan.hostExpertLayers == 0)
  }
}
