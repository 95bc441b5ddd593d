import Planner

/// `planner benchmark`: medians of in-process planning time for the cases Docs/Benchmark.md quotes.
/// Run it from a release build: `swift run -c release planner benchmark`.
enum Benchmark {
  struct Case {
    var name: String
    var model: ModelGraph
    var gpus: [GPU]
    var strategies: [Strategy]
    var repeats: Int
  }

  /// A 405B-class model with a vision tower: Llama-3.1-405B's text dimensions (126 layers, hidden
  /// 16384, GQA 128/8, intermediate 53248, vocabulary 128256) behind MiniCPM-V's SigLIP-400M and
  /// resampler. Built only for the benchmark.
  static func visionLlama405B() -> ModelGraph {
    var graph = ModelCatalog.entry(named: "minicpm-v-2.6")!.build()
    let llm = DecoderLLM(
      family: .llama, hiddenSize: 16384, layerCount: 126, headCount: 128, kvHeadCount: 8,
      intermediateSize: 53248, vocabularySize: 128256)
    let text = llm.build(name: "llm", path: "llm")
    var root = graph.root
    root.children[0] = text.module
    let vision = graph.layers(of: .vision)
    graph = ModelGraph(
      name: "vision-405b (benchmark)", summary: "Llama-3.1-405B text + SigLIP-400M + resampler", root: root,
      layers: vision + text.layers, noSplitModuleClasses: [llm.decoderLayerClass], nativeDType: .bf16,
      hiddenSize: 16384, vocabularySize: 128256, vision: graph.vision)
    return graph
  }

  /// Llama-3.1-405B's text dimensions with `layers` decoder layers (126 is the real model). Built
  /// only for the benchmark.
  static func llama405B(layers: Int) -> ModelGraph {
    let llm = DecoderLLM(
      family: .llama, hiddenSize: 16384, layerCount: layers, headCount: 128, kvHeadCount: 8,
      intermediateSize: 53248, vocabularySize: 128256)
    let (module, chain, tied) = llm.build(name: "", path: "")
    return ModelGraph(
      name: "llama-405b-\(layers) (benchmark)", summary: "Llama-3.1-405B dimensions, \(layers) layers",
      root: module,
      layers: chain, noSplitModuleClasses: [llm.decoderLayerClass], tiedParameters: tied, nativeDType: .bf16,
      hiddenSize: 16384, vocabularySize: 128256)
  }

  /// Qwen3-235B-A22B (94 layers x 128 experts, 36,945 tensors) from its config.json
  /// (`fixtures/models/qwen3-235b-a22b`, run from the repository root), or nil where it is not there.
  static func qwen3MoE() -> ModelGraph? {
    try? CheckpointImporter.load(directory: "fixtures/models/qwen3-235b-a22b")
  }

  static func gpus(_ text: String) -> [GPU] { (try? GPUList.parse(text)) ?? [] }

  static let sixtyFour = "16xA100-80G,16xH100,16xH200,16xL40S"

  /// Medians of importing `directory` (reading every safetensors header, or a GGUF file's), when
  /// one is given.
  static func importLines(_ directory: String?) -> [String] {
    guard let directory else { return [] }
    var samples: [Duration] = []
    var tensors = 0
    // The tensors the checkpoint stores (a per-expert checkpoint's are fused in the tree).
    let stored =
      GGUFImporter.isGGUF(directory)
      ? nil : (try? SafetensorsCheckpoint.tensors(inDirectory: directory))?.count
    for _ in 0..<21 {
      let clock = ContinuousClock()
      let start = clock.now
      let model =
        GGUFImporter.isGGUF(directory)
        ? try? GGUFImporter.load(path: directory) : try? CheckpointImporter.load(directory: directory)
      samples.append(clock.now - start)
      tensors = model?.tensors.count ?? 0
    }
    samples.sort()
    return [
      CatalogListing.pad(
        "import \(directory) (" + (stored.map { "\($0) stored, " } ?? "") + "\(tensors) in the tree)", 66)
        + milliseconds(samples[samples.count / 2])
        + " " + milliseconds(samples[0]) + "   (21)"
    ]
  }

  static func run(importing directory: String? = nil) -> String {
    let qwen = ModelCatalog.entry(named: "qwen2-7b")!.build()
    let minicpm = ModelCatalog.entry(named: "minicpm-v-2.6")!.build()
    var cases = [
      Case(
        name: "seed: minicpm-v-2.6 on 2xP4", model: minicpm, gpus: gpus("2xP4"), strategies: [.auto],
        repeats: 101),
      Case(
        name: "qwen2-7b on 8 GPUs (2xT4,2xA10,2xL4,2xA100-40G-SXM)", model: qwen,
        gpus: gpus("2xT4,2xA10,2xL4,2xA100-40G-SXM"), strategies: Strategy.allCases, repeats: 101),
      Case(
        name: "vision-405b on 64 GPUs (16xA100-80G,16xH100,16xH200,16xL40S)", model: visionLlama405B(),
        gpus: gpus(sixtyFour), strategies: Strategy.allCases, repeats: 11),
      Case(
        name: "llama-405b-1024 (1024 layers) on 64 GPUs (16xA100-80G,16xH100,16xH200,16xL40S)",
        model: llama405B(layers: 1024), gpus: gpus(sixtyFour),
        strategies: [.auto, .latency, .throughput, .memory],
        repeats: 5),
    ]
    if let moe = qwen3MoE() {
      cases += [
        Case(
          name: "qwen3-235b-a22b (config.json: 94 layers x 128 experts) on 8xA100-80G", model: moe,
          gpus: gpus("8xA100-80G"), strategies: Strategy.allCases, repeats: 5),
        Case(
          name: "qwen3-235b-a22b on 64 GPUs (16xA100-80G,16xH100,16xH200,16xL40S)", model: moe,
          gpus: gpus(sixtyFour), strategies: Strategy.allCases, repeats: 5),
      ]
    }
    var lines = [
      "case / strategy                                                     median      min   (runs)"
    ]
    for benchmark in cases {
      lines.append(benchmark.name + " (\(benchmark.model.layers.count) layers)")
      for strategy in benchmark.strategies {
        var samples: [Duration] = []
        var fits = true
        for _ in 0..<benchmark.repeats {
          let clock = ContinuousClock()
          let start = clock.now
          let plan = try? Planner.plan(
            PlanRequest(
              model: benchmark.model, gpus: benchmark.gpus,
              runtime: strategy.accelerateMode.map { .transformers(accelerate: $0) } ?? .transformers(),
              objective: strategy.objective ?? .auto))
          samples.append(clock.now - start)
          fits = plan?.fits ?? false
        }
        samples.sort()
        let name = "  " + strategy.rawValue + (fits ? "" : " (does not fit: includes the advice search)")
        lines.append(
          CatalogListing.pad(name, 66) + milliseconds(samples[samples.count / 2]) + " "
            + milliseconds(samples[0])
            + "   (\(benchmark.repeats))")
      }
    }
    lines += servingLines(minicpm: minicpm)
    lines += importLines(directory)
    return lines.joined(separator: "\n") + "\n"
  }

  /// Medians of vLLM serving plans: one that starts on 16 GPUs over two nodes (every tensor x
  /// pipeline layout and its partition), and one that fails and searches the settings that start.
  static func servingLines(minicpm: ModelGraph) -> [String] {
    var twoNodes = ServingConfig()
    twoNodes.nodes = 2
    let cases: [(String, PlanRequest, Int)] = [
      (
        "vllm: llama-3-70b on 2 nodes of 8xA100-80G (layouts x replicas)",
        PlanRequest(
          model: ModelCatalog.entry(named: "llama-3-70b")!.build(), gpus: gpus("8xA100-80G"),
          runtime: .vllm(twoNodes)), 11
      ),
      (
        "vllm 0.6: minicpm-v-2.6 defaults on A6000 (fails: settings search)",
        PlanRequest(model: minicpm, gpus: gpus("A6000"), runtime: .vllm(ServingConfig(version: .v0))), 21
      ),
      (
        "vllm: llama-405b (126 layers) on 64 GPUs of 4 kinds (5 layouts)",
        PlanRequest(model: llama405B(layers: 126), gpus: gpus(sixtyFour), runtime: .vllm()), 11
      ),
      (
        "vllm: llama-405b-1024 (1024 layers, int4) on 64 GPUs of 4 kinds",
        PlanRequest(
          model: llama405B(layers: 1024), gpus: gpus(sixtyFour), workload: Workload(dtype: .fixed(.int4)),
          runtime: .vllm()), 5
      ),
    ]
    var lines: [String] = []
    for (name, request, repeats) in cases {
      var samples: [Duration] = []
      for _ in 0..<repeats {
        let clock = ContinuousClock()
        let start = clock.now
        _ = try? Planner.plan(request)
        samples.append(clock.now - start)
      }
      samples.sort()
      lines.append(
        CatalogListing.pad(name, 66) + milliseconds(samples[samples.count / 2]) + " "
          + milliseconds(samples[0])
          + "   (\(repeats))")
    }
    return lines
  }

  /// `"  0.412 ms"`.
  static func milliseconds(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    let microseconds = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    let text =
      "\(microseconds / 1000).\(String(repeating: "0", count: 3 - String(microseconds % 1000).count))\(microseconds % 1000) ms"
    return String(repeating: " ", count: max(0, 10 - text.count)) + text
  }
}
