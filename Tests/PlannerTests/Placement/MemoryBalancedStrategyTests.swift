import Testing

@testable import Planner

@Suite struct MemoryBalancedStrategyTests {
  /// transformers' profile with no reserve, so that the figures in comments are exact.
  static let runtimeWithoutReserve: RuntimeProfile = {
    var runtime = RuntimeProfile.transformers
    runtime.reservePerGPU = .zero
    return runtime
  }()

  // MARK: - Random instances

  /// A small random placement problem: a chain of 2 to 7 layers, each a module `l<i>` holding one
  /// parameter tensor, on 1 to 3 GPUs of random usable memory.
  ///
  /// - Parameter pins: the chance that a layer is pinned to another (0 for none).
  static func makeProblem(seed: UInt64, pins: Double = 0) -> PlacementProblem {
    var rng = SplitMix64(seed: seed)
    let layerCount = Int.random(in: 2...7, using: &rng)
    let streams: [Layer.Stream] = [.text, .text, .text, .vision, .audio, .speech]
    let textKinds: [Layer.Kind] = [.decoder, .decoder, .embedding, .norm, .rotary, .head]
    var modules: [Module] = []
    var layers: [Layer] = []
    for index in 0..<layerCount {
      let name = "l\(index)"
      // Sizes from a few thousand elements to about 2e9, so layers differ by orders of magnitude.
      let elements =
        Int64(1) << Int64.random(in: 10...30, using: &rng) + Int64.random(in: 0...1_000_000, using: &rng)
      let quantizable = Bool.random(using: &rng)
      modules.append(
        Module(name, "Block", parameters: [.parameter("weight", elements, quantizable: quantizable)]))
      let stream = streams.randomElement(using: &rng)!
      let kind: Layer.Kind =
        switch stream {
        case .text: textKinds.randomElement(using: &rng)!
        case .vision: .visionBlock
        case .audio: .audioBlock
        case .speech: .speech
        }
      layers.append(
        Layer(
          module: name, kind: kind, stream: stream,
          kvElementsPerToken: Bool.random(using: &rng) ? Int64.random(in: 0...8192, using: &rng) : 0,
          transientElementsPerToken: Int64.random(in: 0...60_000, using: &rng),
          attentionHeads: Int64.random(in: 0...32, using: &rng)))
    }
    if pins > 0 {
      // Pin some layers to an unpinned anchor elsewhere in the chain. As in the catalog, an anchor
      // is never pinned itself (a layer that is already an anchor is not pinned).
      for index in layers.indices where Double.random(in: 0..<1, using: &rng) < pins {
        guard !layers.contains(where: { $0.pinnedTo == layers[index].module }) else { continue }
        let anchors = layers.indices.filter { $0 != index && layers[$0].pinnedTo == nil }
        if let anchor = anchors.randomElement(using: &rng) {
          layers[index].pinnedTo = layers[anchor].module
        }
      }
    }
    let vision = VisionInput(
      sliceSize: 14 * Int64.random(in: 1...32, using: &rng), patchSize: 14,
      maximumSlices: Int64.random(in: 1...10, using: &rng), queriesPerSlice: 64)
    let model = ModelGraph(
      name: "random-\(seed)", summary: "random chain", root: Module("", "Root", children: modules),
      layers: layers,
      noSplitModuleClasses: ["Block"], nativeDType: .bf16,
      hiddenSize: Int64.random(in: 64...8192, using: &rng),
      vocabularySize: Int64.random(in: 1000...160_000, using: &rng), vision: vision)

    var workload = Workload()
    workload.batch = Int.random(in: 1...4, using: &rng)
    workload.contextTokens = Int.random(in: 1...8192, using: &rng)
    workload.images = Int.random(in: 0...2, using: &rng)
    workload.slicesPerImage = Bool.random(using: &rng) ? Int.random(in: 1...10, using: &rng) : nil
    workload.attention = Workload.Attention.allCases.randomElement(using: &rng)!
    workload.kvDType = Bool.random(using: &rng) ? [.fp8, .fp16, .fp32].randomElement(using: &rng)! : nil
    let weight = DType.allCases.randomElement(using: &rng)!
    let compute: DType = [.bf16, .fp16, .fp32].randomElement(using: &rng)!
    var runtime = RuntimeProfile.transformers
    runtime.reservePerGPU = .mebibytes(Int64.random(in: 0...512, using: &rng))
    let memory = MemoryModel(
      model: model, workload: workload, weightDType: weight, computeDType: compute, runtime: runtime)

    let gpuCount = Int.random(in: 1...3, using: &rng)
    let gpus = (0..<gpuCount).map { index -> GPU in
      var gpu = GPUCatalog.all.randomElement(using: &rng)!
      gpu.name = "gpu\(index)"
      gpu.usableMemory = ByteCount(Int64.random(in: (1 << 28)...(1 << 36), using: &rng))
      return gpu
    }
    // Sometimes a --max-memory cap below a GPU's usable memory.
    var caps: MaxMemory?
    if Int.random(in: 0..<4, using: &rng) == 0 {
      caps = MaxMemory([(.gpu(0), ByteCount(Int64.random(in: (1 << 28)...(1 << 35), using: &rng)))])
    }
    return PlacementProblem(model: model, gpus: gpus, memory: memory, userMaxMemory: caps)
  }

  /// A GPU's utilisation when it holds `layers`: the memory model's total over its capacity (0 when empty).
  static func utilisation(of layers: [Layer], on gpu: Int, in problem: PlacementProblem) -> Double {
    guard !layers.isEmpty else { return 0 }
    let capacity = Double(problem.capacity(of: .gpu(gpu))!.value)
    return Double(problem.memory.breakdown(of: layers, isGPU: true).total.value) / capacity
  }

  /// The largest utilisation of a device map.
  static func largestUtilisation(of map: [(module: String, device: Device)], in problem: PlacementProblem)
    -> Double
  {
    problem.gpus.indices.map { gpu in
      let names = Set(map.filter { $0.device == .gpu(gpu) }.map(\.module))
      return utilisation(of: problem.model.layers.filter { names.contains($0.module) }, on: gpu, in: problem)
    }.max() ?? 0
  }

  /// Every way to cut `count` items into `parts` contiguous, possibly empty, ranges in order: the
  /// start of each part after the first.
  static func cuts(count: Int, parts: Int) -> [[Int]] {
    guard parts > 1 else { return [[]] }
    var result: [[Int]] = []
    func extend(_ prefix: [Int]) {
      if prefix.count == parts - 1 {
        result.append(prefix)
        return
      }
      for cut in (prefix.last ?? 0)...count { extend(prefix + [cut]) }
    }
    extend([])
    return result
  }

  /// The brute-force minimum of the largest utilisation over every contiguous partition of the
  /// units (unpinned layers, each carrying the layers pinned to it) over the GPUs in index order.
  static func bruteForceMinimum(_ problem: PlacementProblem) -> Double {
    let layers = problem.model.layers
    let units = layers.filter { $0.pinnedTo == nil }
    func members(_ unit: Layer) -> [Layer] { [unit] + layers.filter { $0.pinnedTo == unit.module } }
    let gpuCount = problem.gpus.count
    var best = Double.infinity
    for cut in cuts(count: units.count, parts: gpuCount) {
      let bounds = [0] + cut + [units.count]
      var worst = 0.0
      for gpu in 0..<gpuCount {
        let held = units[bounds[gpu]..<bounds[gpu + 1]].flatMap(members)
        worst = max(worst, utilisation(of: held, on: gpu, in: problem))
      }
      best = min(best, worst)
    }
    return best
  }

  static func isClose(_ a: Double, _ b: Double) -> Bool {
    abs(a - b) <= 1e-12 * max(abs(a), abs(b))
  }

  // MARK: - Optimality

  @Test func cutsEnumerateEveryContiguousPartition() {
    // Stars and bars: C(n + g - 1, g - 1) partitions of n items into g ordered, possibly empty ranges.
    #expect(Self.cuts(count: 7, parts: 3).count == 36)
    #expect(Self.cuts(count: 2, parts: 1) == [[]])
    #expect(Self.cuts(count: 2, parts: 2) == [[0], [1], [2]])
    #expect(Set(Self.cuts(count: 4, parts: 3)).count == 15)
  }

  @Test func placementAchievesTheBruteForceMinimumOfTheLargestUtilisation() {
    // The instances must not be trivial: many spread over several GPUs, some cannot fit.
    var spread = 0
    var overfull = 0
    for seed in UInt64(0)..<200 {
      let problem = Self.makeProblem(seed: seed)
      let placement = MemoryBalancedStrategy().place(problem)
      let achieved = Self.largestUtilisation(of: placement.deviceMap, in: problem)
      let optimum = Self.bruteForceMinimum(problem)
      if Set(placement.deviceMap.map(\.device)).count > 1 { spread += 1 }
      if optimum > 1 { overfull += 1 }
      let map = placement.deviceMap.map { "\($0.module):\($0.device)" }
      #expect(
        Self.isClose(achieved, optimum),
        "seed \(seed): placement reaches \(achieved), brute force \(optimum), map \(map)")
    }
    #expect(spread >= 50, "only \(spread) of 200 instances use more than one GPU")
    #expect(overfull >= 5, "only \(overfull) of 200 instances do not fit")
    #expect(overfull <= 150, "\(overfull) of 200 instances do not fit")
  }

  @Test func placementWithPinnedLayersAchievesTheBruteForceMinimum() {
    for seed in UInt64(1000)..<1200 {
      let problem = Self.makeProblem(seed: seed, pins: 0.3)
      let placement = MemoryBalancedStrategy().place(problem)
      let achieved = Self.largestUtilisation(of: placement.deviceMap, in: problem)
      let optimum = Self.bruteForceMinimum(problem)
      #expect(
        Self.isClose(achieved, optimum), "seed \(seed): placement reaches \(achieved), brute force \(optimum)"
      )
    }
  }

  // MARK: - Shape of the device map

  @Test func everyLayerAppearsOnceInChainOrderOnNonDecreasingGPUs() {
    for seed in UInt64(0)..<200 {
      let problem = Self.makeProblem(seed: seed)
      let map = MemoryBalancedStrategy().place(problem).deviceMap
      #expect(map.map(\.module) == problem.model.layers.map(\.module), "seed \(seed)")
      let indices = map.compactMap { entry -> Int? in
        if case .gpu(let index) = entry.device { return index }
        return nil
      }
      #expect(indices.count == map.count, "seed \(seed): a layer left the GPUs")
      #expect(zip(indices, indices.dropFirst()).allSatisfy { $0 <= $1 }, "seed \(seed): \(indices)")
      #expect(indices.allSatisfy { problem.gpus.indices.contains($0) }, "seed \(seed): \(indices)")
    }
  }

  @Test func pinnedLayerLandsOnItsAnchorsDevice() {
    var pinnedSeen = 0
    for seed in UInt64(2000)..<2200 {
      let problem = Self.makeProblem(seed: seed, pins: 0.4)
      let map = MemoryBalancedStrategy().place(problem).deviceMap
      #expect(map.map(\.module) == problem.model.layers.map(\.module), "seed \(seed)")
      let device = Dictionary(uniqueKeysWithValues: map.map { ($0.module, $0.device) })
      for layer in problem.model.layers {
        guard let anchor = layer.pinnedTo else { continue }
        pinnedSeen += 1
        #expect(device[layer.module] == device[anchor], "seed \(seed): \(layer.module) pinned to \(anchor)")
      }
    }
    #expect(pinnedSeen > 50)
  }

  /// A tied head at the end of the chain, pinned to the embedding at its start, on GPUs where the
  /// embedding must not share a GPU with the last decoder layers.
  @Test func tiedHeadFollowsTheEmbeddingAcrossTheChain() throws {
    let sizes: [Int64] = [1 << 20, 1 << 28, 1 << 28, 1 << 28, 0]
    let names = ["embed", "l1", "l2", "l3", "head"]
    let modules = zip(names, sizes).map { name, size in
      Module(name, "Block", parameters: size > 0 ? [.parameter("weight", size)] : [])
    }
    var layers = names.map { Layer(module: $0, kind: .decoder, stream: .text) }
    layers[0].kind = .embedding
    layers[4].kind = .head
    layers[4].pinnedTo = "embed"
    let model = ModelGraph(
      name: "tied", summary: "tied", root: Module("", "Root", children: modules), layers: layers,
      noSplitModuleClasses: [], nativeDType: .bf16, hiddenSize: 64, vocabularySize: 1000)
    var workload = Workload()
    workload.contextTokens = 16
    let memory = MemoryModel(
      model: model, workload: workload, weightDType: .bf16, computeDType: .bf16,
      runtime: Self.runtimeWithoutReserve)
    var gpu = try #require(GPUCatalog.all.first)
    gpu.usableMemory = .gibibytes(1)
    let problem = PlacementProblem(model: model, gpus: [gpu, gpu], memory: memory, userMaxMemory: nil)
    let map = MemoryBalancedStrategy().place(problem).deviceMap
    let device = Dictionary(uniqueKeysWithValues: map.map { ($0.module, $0.device) })
    #expect(device["head"] == device["embed"])
    #expect(device["embed"] == .gpu(0))
    // Three 512 MiB layers on two 1 GiB GPUs: the second GPU must hold some of them.
    #expect(device["l3"] == .gpu(1))
  }

  @Test func identicalLayersSplitEvenlyOnIdenticalGPUs() throws {
    let names = (0..<6).map { "l\($0)" }
    let model = ModelGraph(
      name: "even", summary: "even",
      root: Module(
        "", "Root", children: names.map { Module($0, "Block", parameters: [.parameter("weight", 1 << 20)]) }),
      layers: names.map { Layer(module: $0, kind: .decoder, stream: .text) }, noSplitModuleClasses: [],
      nativeDType: .bf16, hiddenSize: 64, vocabularySize: 1000)
    let memory = MemoryModel(
      model: model, workload: Workload(), weightDType: .bf16, computeDType: .bf16,
      runtime: Self.runtimeWithoutReserve)
    var gpu = try #require(GPUCatalog.all.first)
    gpu.usableMemory = .gibibytes(1)
    let problem = PlacementProblem(model: model, gpus: [gpu, gpu, gpu], memory: memory, userMaxMemory: nil)
    let devices = MemoryBalancedStrategy().place(problem).deviceMap.map(\.device)
    #expect(devices == [.gpu(0), .gpu(0), .gpu(1), .gpu(1), .gpu(2), .gpu(2)])
  }

  @Test func maxMemoryCapShiftsLayersOffTheCappedGPU() throws {
    let names = (0..<5).map { "l\($0)" }
    let model = ModelGraph(
      name: "capped", summary: "capped",
      root: Module(
        "", "Root", children: names.map { Module($0, "Block", parameters: [.parameter("weight", 1 << 26)]) }),
      layers: names.map { Layer(module: $0, kind: .decoder, stream: .text) }, noSplitModuleClasses: [],
      nativeDType: .bf16, hiddenSize: 64, vocabularySize: 1000)
    let memory = MemoryModel(
      model: model, workload: Workload(), weightDType: .bf16, computeDType: .bf16,
      runtime: Self.runtimeWithoutReserve)
    var gpu = try #require(GPUCatalog.all.first)
    gpu.usableMemory = .gibibytes(4)
    // GPU 0 capped to a quarter of GPU 1. Five 128 MiB layers: all five on GPU 1 is 640 MiB of
    // 4 GiB (0.156); one on GPU 0 is 129 MiB of 1 GiB (0.126) with 513 MiB of 4 GiB on GPU 1; two
    // on GPU 0 is 0.251. Uncapped, GPU 0 would take two or three.
    let caps = MaxMemory([(.gpu(0), .gibibytes(1))])
    let problem = PlacementProblem(model: model, gpus: [gpu, gpu], memory: memory, userMaxMemory: caps)
    let devices = MemoryBalancedStrategy().place(problem).deviceMap.map(\.device)
    #expect(devices == [.gpu(0), .gpu(1), .gpu(1), .gpu(1), .gpu(1)])
  }

  @Test func splitMix64MatchesTheReferenceSequence() {
    // The first outputs of the reference implementation (Vigna's splitmix64.c) from seed 0.
    var rng = SplitMix64(seed: 0)
    #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
    #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
    #expect(rng.next() == 0x06C4_5D18_8009_454F)
  }
}
