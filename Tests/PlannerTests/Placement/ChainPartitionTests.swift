import Testing

@testable import Planner

@Suite struct ChainPartitionTests {
  typealias Objective = ChainPartition.Objective

  // MARK: - Random instances

  /// A small random chain-placement problem: 2 to 6 placement units (text layers from an
  /// embedding to an LM head, sometimes a vision layer first, sometimes the head pinned to a text
  /// layer), on 1 to 4 GPUs copied from 2 or 3 catalog types (1 with `identicalGPUs`), each type
  /// with a random usable memory: its fixed overheads plus between a fifth and a little more than
  /// all of the chain's weights and KV cache. A quarter of the instances run vLLM, the rest
  /// transformers.
  ///
  /// As `MemoryBalancedStrategyTests.makeProblem`, seeded; GPUs of one type share their usable
  /// memory (cards of one type are interchangeable, as ``DeviceOrders`` assumes).
  static func makeChainProblem(seed: UInt64, identicalGPUs: Bool = false) -> PlacementProblem {
    var rng = SplitMix64(seed: seed)
    let unitCount = Int.random(in: 2...6, using: &rng)
    let startsWithVision = Int.random(in: 0..<3, using: &rng) == 0
    let pinsHead = Int.random(in: 0..<3, using: &rng) == 0
    var modules: [Module] = []
    var layers: [Layer] = []
    func add(_ layer: Layer, elements: Int64, quantizable: Bool) {
      modules.append(
        Module(layer.module, "Block", parameters: [.parameter("weight", elements, quantizable: quantizable)]))
      layers.append(layer)
    }
    func randomElements() -> Int64 {
      // From about 260 thousand to about 500 million elements: from layers that a fast card reads
      // faster than a hop to layers that take milliseconds.
      Int64(1) << Int64.random(in: 18...29, using: &rng) + Int64.random(in: 0...1_000_000, using: &rng)
    }
    for unit in 0..<unitCount {
      let name = "l\(unit)"
      if unit == 0 && startsWithVision {
        add(
          Layer(
            module: name, kind: .visionBlock, stream: .vision,
            flopsPerToken: Int64.random(in: 0...1 << 30, using: &rng),
            transientElementsPerToken: Int64.random(in: 0...20_000, using: &rng),
            attentionHeads: Int64.random(in: 0...16, using: &rng)),
          elements: randomElements(), quantizable: Bool.random(using: &rng))
        continue
      }
      // The embedding first; the LM head last where it is not pinned; decoders and norms between.
      let kind: Layer.Kind =
        if unit == (startsWithVision ? 1 : 0) {
          .embedding
        } else if unit == unitCount - 1 && !pinsHead {
          .head
        } else {
          [.decoder, .decoder, .decoder, .norm].randomElement(using: &rng)!
        }
      let elements = randomElements()
      let isDecoder = kind == .decoder
      add(
        Layer(
          module: name, kind: kind, stream: .text,
          flopsPerToken: isDecoder || kind == .head ? 2 * elements : 0,
          kvElementsPerToken: isDecoder ? Int64.random(in: 0...2048, using: &rng) : 0,
          transientElementsPerToken: Int64.random(in: 0...60_000, using: &rng),
          attentionHeads: isDecoder ? Int64.random(in: 0...32, using: &rng) : 0,
          attentionFLOPsPerContextToken: isDecoder ? Int64.random(in: 0...16_384, using: &rng) : 0),
        elements: elements, quantizable: isDecoder)
    }
    if pinsHead {
      // A head at the end of the chain riding with a text unit (a tied LM head rides with its embedding).
      let anchors = layers.filter { $0.stream == .text }.map(\.module)
      let anchor = Bool.random(using: &rng) ? anchors[0] : anchors.randomElement(using: &rng)!
      let elements = randomElements()
      add(
        Layer(
          module: "head", kind: .head, stream: .text, flopsPerToken: 2 * elements, pinnedTo: anchor),
        elements: elements, quantizable: false)
    }
    let vision = VisionInput(
      sliceSize: 14 * Int64.random(in: 1...32, using: &rng), patchSize: 14,
      maximumSlices: Int64.random(in: 1...10, using: &rng), queriesPerSlice: 64)
    let model = ModelGraph(
      name: "chain-\(seed)", summary: "random chain", root: Module("", "Root", children: modules),
      layers: layers, noSplitModuleClasses: ["Block"], nativeDType: .bf16,
      hiddenSize: Int64.random(in: 64...8192, using: &rng),
      vocabularySize: Int64.random(in: 1000...160_000, using: &rng), vision: vision)

    var workload = Workload()
    workload.batch = Int.random(in: 1...4, using: &rng)
    workload.contextTokens = Int.random(in: 256...8192, using: &rng)
    workload.images = Int.random(in: 0...2, using: &rng)
    workload.attention = Workload.Attention.allCases.randomElement(using: &rng)!
    let weight: DType = [.fp16, .bf16, .int8, .int4].randomElement(using: &rng)!
    let compute: DType = [.fp16, .bf16].randomElement(using: &rng)!
    let runtime: RuntimeProfile = Int.random(in: 0..<4, using: &rng) == 0 ? .vllm : .transformers
    let memory = MemoryModel(
      model: model, workload: workload, weightDType: weight, computeDType: compute, runtime: runtime)

    // Capacities: what every GPU pays whatever it holds at most (reserve, residual stream, the
    // largest transient) plus a share of the weights and KV cache of the whole chain.
    let terms = ChainUnits(model).memoryTerms(memory)
    let overhead =
      runtime.reservePerGPU.value + memory.residualStream.value + (terms.map(\.transient).max() ?? 0)
    let fixed = Double(terms.reduce(0) { $0 + $1.fixed })
    let typeCount = identicalGPUs ? 1 : Int.random(in: 2...3, using: &rng)
    var types: [GPU] = []
    while types.count < typeCount {
      var gpu = GPUCatalog.all.randomElement(using: &rng)!
      guard !types.contains(where: { $0.name == gpu.name }) else { continue }
      gpu.usableMemory = ByteCount(overhead + Int64(fixed * Double.random(in: 0.2...1.2, using: &rng)))
      types.append(gpu)
    }
    let gpuCount = Int.random(in: 1...4, using: &rng)
    let gpus = (0..<gpuCount).map { _ in types.randomElement(using: &rng)! }
    return PlacementProblem(model: model, gpus: gpus, memory: memory, userMaxMemory: nil)
  }

  // MARK: - Helpers of the brute force

  @Test func bruteForceEnumeratesEveryOrderAndComposition() {
    #expect(Self.permutations(of: [0, 1, 2]).count == 6)
    #expect(Set(Self.permutations(of: [0, 1, 2, 3])).count == 24)
    #expect(Self.combinations(of: [1, 2, 3], choosing: 2) == [[1, 2], [1, 3], [2, 3]])
    #expect(Self.combinations(of: [1, 2, 3, 4, 5], choosing: 0) == [[]])
    #expect(Self.combinations(of: [1], choosing: 2).isEmpty)
    #expect(Self.ranges(of: [.gpu(1), .gpu(1), .gpu(0)])?.map(\.gpu) == [1, 0])
    #expect(Self.ranges(of: [.gpu(1), .gpu(0), .gpu(1)]) == nil)
    #expect(Self.ranges(of: [.gpu(0), .cpu]) == nil)
  }

  // MARK: - Optimality

  /// On random small instances, brute force over every contiguous partition and device order
  /// agrees with the strategy; its own plan is feasible and worth what it says.
  @Test(arguments: [Objective.latency, .throughput])
  func bestMatchesBruteForce(objective: Objective) throws {
    var infeasible = 0
    var spread = 0
    var notInGivenOrder = 0
    for seed in UInt64(0)..<500 {
      let problem = Self.makeChainProblem(seed: seed)
      let oracle = Oracle(problem)
      let expected = oracle.bruteForce(objective: objective)
      let found = ChainPartition(problem: problem, objective: objective).best()
      let context = "seed \(seed) (\(Self.describe(problem)))"
      guard let expected else {
        infeasible += 1
        #expect(
          found == nil,
          "\(context): brute force finds nothing feasible, strategy \(String(describing: found))")
        continue
      }
      guard let found else {
        Issue.record("\(context): strategy finds nothing, brute force \(expected.value)")
        continue
      }
      #expect(
        Self.isClose(found.value, expected.value),
        "\(context): strategy \(found.value), brute force \(expected.value)")
      let ranges = Self.ranges(of: found.deviceOfUnit)
      #expect(ranges != nil, "\(context): not contiguous ranges on distinct GPUs: \(found.deviceOfUnit)")
      guard let ranges else { continue }
      let reevaluated = oracle.evaluate(ranges, objective: objective)
      #expect(reevaluated != nil, "\(context): the plan \(found.deviceOfUnit) does not fit")
      if let reevaluated {
        let plan = "the plan \(found.deviceOfUnit) is worth \(reevaluated.value)"
        #expect(
          Self.isClose(reevaluated.value, found.value), "\(context): \(plan), strategy says \(found.value)")
        #expect(
          Self.isClose(reevaluated.fullest, found.fullest),
          "\(context): fullest GPU \(reevaluated.fullest), strategy says \(found.fullest)")
      }
      #expect(found.used == ranges.count, "\(context): used \(found.used), plan \(found.deviceOfUnit)")
      if ranges.count > 1 { spread += 1 }
      if ranges.map(\.gpu) != Array(0..<ranges.count) { notInGivenOrder += 1 }
    }
    // The instances must not be trivial.
    #expect(infeasible >= 50, "only \(infeasible) of 500 instances do not fit")
    #expect(infeasible <= 300, "\(infeasible) of 500 instances do not fit")
    #expect(spread >= 100, "only \(spread) of 500 plans use more than one GPU")
    #expect(notInGivenOrder >= 60, "only \(notInGivenOrder) of 500 plans leave the given order")
  }

  /// `auto`'s headroom: with a fill below 1, the strategy is optimal against the reduced capacities.
  @Test(arguments: [Objective.latency, .throughput])
  func bestWithHeadroomMatchesBruteForceOnReducedCapacities(objective: Objective) {
    for seed in UInt64(5000)..<5150 {
      let problem = Self.makeChainProblem(seed: seed)
      let fill = 1 - CostAwareStrategy.autoHeadroom
      let expected = Oracle(problem, fill: fill).bruteForce(objective: objective)
      let found = ChainPartition(problem: problem, objective: objective, fill: fill).best()
      #expect(
        (found == nil) == (expected == nil),
        "seed \(seed): strategy \(String(describing: found)), brute force \(String(describing: expected))")
      if let found, let expected {
        #expect(
          Self.isClose(found.value, expected.value),
          "seed \(seed): strategy \(found.value), brute force \(expected.value)")
      }
    }
  }

  /// With identical GPUs the units cost the same wherever they go, so every extra GPU only adds
  /// hops: latency uses the fewest GPUs the model fits on.
  @Test func latencyOnIdenticalGPUsUsesTheFewestThatFit() {
    var needsSeveral = 0
    var couldUseMore = 0
    for seed in UInt64(10_000)..<10_500 {
      let problem = Self.makeChainProblem(seed: seed, identicalGPUs: true)
      guard let expected = Oracle(problem).bruteForce(objective: .latency) else { continue }
      guard let found = ChainPartition(problem: problem, objective: .latency).best() else {
        Issue.record("seed \(seed): strategy finds nothing, brute force fits on \(expected.fewestGPUs) GPUs")
        continue
      }
      #expect(
        found.used == expected.fewestGPUs,
        "seed \(seed) (\(Self.describe(problem))): \(found.used) GPUs used, \(expected.fewestGPUs) suffice")
      if expected.fewestGPUs > 1 { needsSeveral += 1 }
      if problem.gpus.count > expected.fewestGPUs { couldUseMore += 1 }
    }
    #expect(needsSeveral >= 100, "only \(needsSeveral) of 500 instances need several GPUs")
    #expect(couldUseMore >= 100, "only \(couldUseMore) of 500 instances have a GPU to spare")
  }

  // MARK: - Memory accounting

  /// The incremental range memory is the memory model's own total for the layers of the range
  /// (pinned layers included).
  @Test func rangeMemoryEqualsTheMemoryModelsBreakdown() {
    for seed in UInt64(20_000)..<20_100 {
      let problem = Self.makeChainProblem(seed: seed)
      let oracle = Oracle(problem)
      let layers = problem.model.layers
      for start in 0..<oracle.unitCount {
        for end in (start + 1)...oracle.unitCount {
          let held = oracle.units.members[start..<end].flatMap { $0 }.map { layers[$0] }
          let expected = problem.memory.breakdown(of: held, isGPU: true).total.value
          #expect(
            oracle.memory(of: start..<end) == expected,
            "seed \(seed): units \(start)..<\(end): \(oracle.memory(of: start..<end)) against \(expected)")
        }
      }
    }
  }

  @Test func pinnedLayersAreUnitsOfTheirAnchor() {
    var pinned = 0
    for seed in UInt64(0)..<300 {
      let problem = Self.makeChainProblem(seed: seed)
      let layers = problem.model.layers
      let units = ChainUnits(problem.model)
      #expect(units.anchors.allSatisfy { layers[$0].pinnedTo == nil }, "seed \(seed)")
      #expect(units.members.flatMap { $0 }.sorted() == Array(layers.indices), "seed \(seed)")
      for (unit, group) in units.members.enumerated() {
        #expect(group.first == units.anchors[unit], "seed \(seed)")
        for index in group.dropFirst() {
          pinned += 1
          #expect(layers[index].pinnedTo == layers[units.anchors[unit]].module, "seed \(seed)")
        }
      }
    }
    #expect(pinned >= 50)
  }

  // MARK: - The strategy's placement

  /// `latency` and `throughput` place the chain partition's plan, pinned layers with their
  /// anchors; where nothing fits they fall back to the memory-balanced placement. `throughput`
  /// minimises the slowest stage only where the runtime pipelines stages, else the whole step.
  @Test(arguments: [Strategy.latency, .throughput])
  func strategyPlacesThePartitionsPlan(strategy: Strategy) {
    for seed in UInt64(0)..<150 {
      let problem = Self.makeChainProblem(seed: seed)
      let objective: Objective =
        strategy == .throughput && problem.memory.runtime.pipelinesStages ? .throughput : .latency
      let map = strategy.place(problem).deviceMap
      let layers = problem.model.layers
      #expect(map.map(\.module) == layers.map(\.module), "seed \(seed)")
      guard let best = ChainPartition(problem: problem, objective: objective).best() else {
        let balanced = MemoryBalancedStrategy().place(problem).deviceMap
        #expect(map.map(\.device) == balanced.map(\.device), "seed \(seed): no fallback to memory-balanced")
        continue
      }
      let units = ChainUnits(problem.model)
      for (unit, group) in units.members.enumerated() {
        for index in group {
          #expect(map[index].device == best.deviceOfUnit[unit], "seed \(seed): \(layers[index].module)")
        }
      }
    }
  }

  // MARK: - Agreement with the estimate

  /// The plan of a chain-partition result and its estimate.
  static func estimate(of deviceOfUnit: [Device], in problem: PlacementProblem) -> Estimate {
    let placement = Placement(deviceMap: ChainUnits(problem.model).deviceMap(deviceOfUnit))
    return DeviceMapLayout(problem: problem, placement: placement, strategy: .latency, dtypeNotes: [])
      .estimate
  }

  /// Seconds the estimate charges for the inputs accelerate's hooks copy into the layers of a
  /// chain-partition result, which the partition leaves out (``ChainPartition``).
  static func movedInputs(of deviceOfUnit: [Device], in problem: PlacementProblem) -> Double {
    let devices: [Device?] = ChainUnits(problem.model).deviceMap(deviceOfUnit).map(\.device)
    return Double(CostModel.movedInputs(layers: problem.model.layers, devices: devices))
      * problem.memory.runtime.hostSecondsPerMovedInput
  }

  /// What the objectives minimise is what the plan's estimate reports: the decode step less the
  /// runtime's per-step host time and the inputs the hooks copy (latency), and where stages
  /// pipeline, the slowest stage or hop (throughput). For text chains whose head is not pinned
  /// elsewhere.
  @Test(arguments: [Objective.latency, .throughput])
  func valueIsWhatTheEstimateReports(objective: Objective) {
    var compared = 0
    for seed in UInt64(30_000)..<31_000 {
      let problem = Self.makeChainProblem(seed: seed)
      guard !problem.model.layers.contains(where: { $0.stream != .text || $0.pinnedTo != nil }) else {
        continue
      }
      let runtime = problem.memory.runtime
      if objective == .throughput && !runtime.pipelinesStages { continue }
      guard let best = ChainPartition(problem: problem, objective: objective).best() else { continue }
      compared += 1
      let estimate = Self.estimate(of: best.deviceOfUnit, in: problem)
      let context = "seed \(seed) (\(Self.describe(problem))), plan \(best.deviceOfUnit)"
      switch objective {
      case .latency:
        let step =
          estimate.decodeSecondsPerToken - runtime.hostSecondsPerStep
          - Self.movedInputs(of: best.deviceOfUnit, in: problem)
        #expect(Self.isClose(step, best.value), "\(context): estimate \(step), strategy \(best.value)")
      case .throughput:
        let slowest =
          Double(problem.memory.workload.batch) / estimate.throughputTokensPerSecond
          - runtime.hostSecondsPerStep
        #expect(Self.isClose(slowest, best.value), "\(context): estimate \(slowest), strategy \(best.value)")
      }
    }
    #expect(compared >= 50, "only \(compared) instances compared")
  }

  /// A vision tower alone on the first GPU: the estimate charges no logits hop (the text model
  /// runs on one GPU, head included), but the partition charges one back to the first GPU of the
  /// order, so it prefers a slower card that holds everything.
  ///
  /// Two H100 PCIe cards that each hold the vision tower or the text model but not both, and an
  /// A100 PCIe that holds both: the text model reads its head 6.5 µs faster on an H100, and the
  /// logits hop the partition charges is 27 µs.
  @Test func visionTowerAloneOnTheFirstGPUCostsNoLogitsHop() throws {
    let names = ["vision", "embed", "block0", "block1", "head"]
    let elements: [Int64] = [1 << 28, 1 << 27, 1 << 26, 1 << 26, 1 << 27]
    let kinds: [Layer.Kind] = [.visionBlock, .embedding, .decoder, .decoder, .head]
    let layers = zip(names, kinds).enumerated().map { index, pair in
      Layer(
        module: pair.0, kind: pair.1, stream: pair.1 == .visionBlock ? .vision : .text,
        flopsPerToken: 2 * elements[index], kvElementsPerToken: pair.1 == .decoder ? 1024 : 0)
    }
    let model = ModelGraph(
      name: "vlm", summary: "vision tower and a small text model",
      root: Module(
        "", "Root",
        children: zip(names, elements).map { Module($0, "Block", parameters: [.parameter("weight", $1)]) }),
      layers: layers, noSplitModuleClasses: ["Block"], nativeDType: .fp16, hiddenSize: 4096,
      vocabularySize: 32768,
      vision: VisionInput(sliceSize: 448, patchSize: 14, maximumSlices: 1, queriesPerSlice: 64))
    var workload = Workload()
    workload.contextTokens = 1024
    let memory = MemoryModel(
      model: model, workload: workload, weightDType: .fp16, computeDType: .fp16, runtime: .transformers)
    var h100 = try Self.gpu("H100-PCIe")
    let a100 = try Self.gpu("A100-80G-PCIe")
    let probe = PlacementProblem(model: model, gpus: [h100], memory: memory, userMaxMemory: nil)
    let oracle = Oracle(probe)
    h100.usableMemory = ByteCount(oracle.memory(of: 1..<5))
    #expect(oracle.memory(of: 0..<1) <= h100.usableMemory.value)
    #expect(oracle.memory(of: 0..<5) > h100.usableMemory.value)
    let problem = PlacementProblem(
      model: model, gpus: [h100, h100, a100], memory: memory, userMaxMemory: nil)

    let split: [Device] = [.gpu(0), .gpu(1), .gpu(1), .gpu(1), .gpu(1)]
    let splitEstimate = Self.estimate(of: split, in: problem)
    #expect(Oracle(problem).evaluate([(0, 0..<1), (1, 1..<5)], objective: .latency) != nil)
    let bestPlan = ChainPartition(problem: problem, objective: .latency).best()
    let best = try #require(bestPlan)
    let chosenEstimate = Self.estimate(of: best.deviceOfUnit, in: problem)
    do {
      let chosen = "\(best.deviceOfUnit): \(chosenEstimate.decodeSecondsPerToken) s"
      #expect(
        chosenEstimate.decodeSecondsPerToken <= splitEstimate.decodeSecondsPerToken,
        "chosen \(chosen); \(split): \(splitEstimate.decodeSecondsPerToken) s")
      let step = splitEstimate.decodeSecondsPerToken - problem.memory.runtime.hostSecondsPerStep
      let value = Oracle(problem).evaluate([(0, 0..<1), (1, 1..<5)], objective: .latency)?.value ?? 0
      #expect(Self.isClose(value, step), "partition \(value) s, estimate \(step) s")
    }
  }

  /// A tied LM head rides with the embedding on GPU 0 while the decoders end on GPU 1: the step
  /// runs the head on GPU 0, so the estimate charges an activation hop into it (`hidden × 2`
  /// bytes) and no logits hop; the partition charges the logits hop (`vocab × 4` bytes) instead.
  @Test func tiedHeadOnTheFirstGPUCostsAnActivationHopNotALogitsHop() throws {
    let names = ["embed", "block0", "block1", "block2", "block3", "head"]
    let layers = names.map { name in
      Layer(
        module: name, kind: name == "embed" ? .embedding : name == "head" ? .head : .decoder, stream: .text,
        flopsPerToken: 1 << 27, kvElementsPerToken: name.hasPrefix("block") ? 1024 : 0,
        pinnedTo: name == "head" ? "embed" : nil)
    }
    let model = ModelGraph(
      name: "tied", summary: "tied head",
      root: Module(
        "", "Root",
        children: names.map {
          Module($0, "Block", parameters: $0 == "head" ? [] : [.parameter("weight", 1 << 26)])
        }),
      layers: layers, noSplitModuleClasses: ["Block"], nativeDType: .fp16, hiddenSize: 4096,
      vocabularySize: 152_064)
    var workload = Workload()
    workload.contextTokens = 1024
    let memory = MemoryModel(
      model: model, workload: workload, weightDType: .fp16, computeDType: .fp16, runtime: .transformers)
    let p100 = try Self.gpu("P100")
    let problem = PlacementProblem(model: model, gpus: [p100, p100], memory: memory, userMaxMemory: nil)
    // Units: embed (with the head), block0 to block3; embed and two decoders on GPU 0.
    let plan: [Device] = [.gpu(0), .gpu(0), .gpu(0), .gpu(1), .gpu(1)]
    let value = try #require(Oracle(problem).evaluate([(0, 0..<3), (1, 3..<5)], objective: .latency)).value
    let estimate = Self.estimate(of: plan, in: problem)
    #expect(estimate.decodeSecondsPerToken > 0)
    do {
      // Less the position_ids the hooks copy to block2 and block3 (no rotary_emb here).
      let moved = Self.movedInputs(of: plan, in: problem)
      #expect(Self.isClose(moved, 2 * memory.runtime.hostSecondsPerMovedInput))
      let step = estimate.decodeSecondsPerToken - memory.runtime.hostSecondsPerStep - moved
      #expect(Self.isClose(value, step), "partition \(value) s, estimate \(step) s")
    }
  }

  // MARK: - Deterministic cases

  /// `count` identical decoder layers of `elements` fp16 weights each.
  static func uniformProblem(
    layerCount: Int, elements: Int64, gpus: [GPU], runtime: RuntimeProfile = .transformers,
    userMaxMemory: MaxMemory? = nil, topology: Topology? = nil
  ) -> PlacementProblem {
    let names = (0..<layerCount).map { "layers.\($0)" }
    let model = ModelGraph(
      name: "uniform", summary: "uniform",
      root: Module(
        "", "Root",
        children: [
          Module(
            "layers", "ModuleList",
            children: (0..<layerCount).map {
              Module("\($0)", "Block", parameters: [.parameter("weight", elements, quantizable: true)])
            })
        ]),
      layers: names.map {
        Layer(
          module: $0, kind: .decoder, stream: .text, flopsPerToken: 2 * elements, kvElementsPerToken: 1024,
          transientElementsPerToken: 1000)
      },
      noSplitModuleClasses: ["Block"], nativeDType: .fp16, hiddenSize: 4096, vocabularySize: 32000)
    var workload = Workload()
    workload.contextTokens = 1024
    let memory = MemoryModel(
      model: model, workload: workload, weightDType: .fp16, computeDType: .fp16, runtime: runtime)
    return PlacementProblem(
      model: model, gpus: gpus, memory: memory, userMaxMemory: userMaxMemory, topology: topology)
  }

  static func gpu(_ name: String) throws -> GPU {
    try #require(GPUCatalog.all.first { $0.name == name })
  }

  /// Bytes of the first `count` units on one GPU of `problem`.
  static func memory(ofFirst count: Int, in problem: PlacementProblem) -> Int64 {
    Oracle(problem).memory(of: 0..<count)
  }

  /// Two identical GPUs with room for three of four equal layers: every split of one hop is as
  /// fast, and the tie goes to the emptier fullest GPU, 2 + 2 rather than 3 + 1 or 1 + 3.
  @Test func latencyTieGoesToTheEmptierFullestGPU() throws {
    var p4 = try Self.gpu("P4")
    let probe = Self.uniformProblem(layerCount: 4, elements: 1 << 26, gpus: [p4])
    p4.usableMemory = ByteCount(Self.memory(ofFirst: 3, in: probe))
    let problem = Self.uniformProblem(layerCount: 4, elements: 1 << 26, gpus: [p4, p4])
    let bestPlan = ChainPartition(problem: problem, objective: .latency).best()
    let best = try #require(bestPlan)
    #expect(best.deviceOfUnit == [.gpu(0), .gpu(0), .gpu(1), .gpu(1)])
    #expect(best.used == 2)
    let capacity = Double(p4.usableMemory.value)
    #expect(Self.isClose(best.fullest, Double(Self.memory(ofFirst: 2, in: problem)) / capacity))
    let map = Strategy.latency.place(problem).deviceMap.map(\.device)
    #expect(map == [.gpu(0), .gpu(0), .gpu(1), .gpu(1)])
  }

  /// A model that fits on one of two identical GPUs: latency keeps it on one and says why the
  /// other is unused; throughput halves the slowest stage on two where the runtime pipelines
  /// stages (vLLM), and under transformers (one GPU at a time) takes the latency plan and says so.
  @Test(arguments: ["transformers", "vllm"])
  func latencyKeepsOneGPUWhereThroughputSplits(runtimeName: String) throws {
    let runtime = try #require(RuntimeProfile.named(runtimeName))
    let p4 = try Self.gpu("P4")
    let problem = Self.uniformProblem(layerCount: 4, elements: 1 << 28, gpus: [p4, p4], runtime: runtime)
    // 4 × 512 MiB of fp16 weights fit on one P4.
    #expect(Self.memory(ofFirst: 4, in: problem) < p4.usableMemory.value)

    let latencyPlan = ChainPartition(problem: problem, objective: .latency).best()

    let latency = try #require(latencyPlan)
    #expect(latency.deviceOfUnit == [.gpu(0), .gpu(0), .gpu(0), .gpu(0)])
    #expect(latency.used == 1)
    let layer = problem.model.layers[0]
    let perLayer = problem.cost.decode(layer, on: p4).seconds
    #expect(Self.isClose(latency.value, 4 * perLayer))
    let notes = Strategy.latency.place(problem).notes
    #expect(notes.count == 1)
    #expect(notes.first?.hasPrefix("GPU 1 (P4) left unused") == true, "\(notes)")

    let throughputPlan = ChainPartition(problem: problem, objective: .throughput).best()

    let throughput = try #require(throughputPlan)
    #expect(throughput.deviceOfUnit == [.gpu(0), .gpu(0), .gpu(1), .gpu(1)])
    #expect(Self.isClose(throughput.value, 2 * perLayer))
    let placement = Strategy.throughput.place(problem)
    if runtime.pipelinesStages {
      #expect(placement.deviceMap.map(\.device) == [.gpu(0), .gpu(0), .gpu(1), .gpu(1)])
      #expect(placement.notes.isEmpty, "\(placement.notes)")
    } else {
      #expect(placement.deviceMap.map(\.device) == [.gpu(0), .gpu(0), .gpu(0), .gpu(0)])
      #expect(placement.notes.count == 2, "\(placement.notes)")
      #expect(placement.notes.first?.hasPrefix("transformers runs one GPU at a time") == true)
    }
  }

  /// A slow card given first and a fast one second: the search over orders finds the fast card.
  @Test func latencyTakesTheFasterCardOutOfTheGivenOrder() throws {
    let problem = Self.uniformProblem(
      layerCount: 4, elements: 1 << 26, gpus: [try Self.gpu("P4"), try Self.gpu("H100-SXM")], runtime: .vllm)
    let bestPlan = ChainPartition(problem: problem, objective: .latency).best()
    let best = try #require(bestPlan)
    #expect(best.deviceOfUnit == Array(repeating: .gpu(1), count: 4))
    #expect(best.used == 1)
  }

  /// Nothing fits: no plan, and the strategy reports the memory-balanced placement.
  @Test func nothingFitsGivesNoPlan() throws {
    var p4 = try Self.gpu("P4")
    p4.usableMemory = .mebibytes(64)
    let problem = Self.uniformProblem(layerCount: 3, elements: 1 << 26, gpus: [p4, p4])
    #expect(ChainPartition(problem: problem, objective: .latency).best() == nil)
    #expect(ChainPartition(problem: problem, objective: .throughput).best() == nil)
    let map = Strategy.latency.place(problem).deviceMap.map(\.device)
    #expect(map == MemoryBalancedStrategy().place(problem).deviceMap.map(\.device))
  }

  // MARK: - Identical cards that are not interchangeable

  /// `--max-memory` caps GPU 0 of two P4s below the model; GPU 1 alone holds it. The best latency
  /// plan is GPU 1 alone (no hop), but orders take cards of one type in index order, so only
  /// plans starting on GPU 0 are searched: with 512 MiB on GPU 0 the plan puts one layer there
  /// and pays two hops; with 256 MiB (not even one layer) it finds nothing at all.
  @Test(arguments: [Int64(512), 256])
  func maxMemoryCapOnOneOfIdenticalGPUs(capMebibytes: Int64) throws {
    let p4 = try Self.gpu("P4")
    let caps = MaxMemory([(.gpu(0), .mebibytes(capMebibytes))])
    let problem = Self.uniformProblem(layerCount: 4, elements: 1 << 26, gpus: [p4, p4], userMaxMemory: caps)
    let bruteForce = Oracle(problem).bruteForce(objective: .latency)
    let expected = try #require(bruteForce)
    #expect(expected.fewestGPUs == 1)
    let found = ChainPartition(problem: problem, objective: .latency).best()
    do {
      #expect(found != nil, "strategy finds nothing; GPU 1 alone holds the model")
      #expect(
        Self.isClose(found?.value ?? .infinity, expected.value),
        "strategy \(String(describing: found?.value)), brute force \(expected.value)")
      #expect(found?.deviceOfUnit == Array(repeating: .gpu(1), count: 4))
    }
  }

  /// `--link 1-2:nvlink` on three A100 PCIe cards, a model that needs two: GPUs 1 and 2 over
  /// NVLink beat GPUs 0 and 1 over PCIe, but orders take cards of one type in index order.
  @Test func linkOverrideBetweenIdenticalGPUs() throws {
    var a100 = try Self.gpu("A100-80G-PCIe")
    let probe = Self.uniformProblem(layerCount: 4, elements: 1 << 26, gpus: [a100], runtime: .vllm)
    a100.usableMemory = ByteCount(Self.memory(ofFirst: 2, in: probe))
    let gpus = [a100, a100, a100]
    let topology = Topology(gpus: gpus, pairs: [Topology.Pair(1, 2): .nvlink])
    let problem = Self.uniformProblem(
      layerCount: 4, elements: 1 << 26, gpus: gpus, runtime: .vllm, topology: topology)
    let bruteForce = Oracle(problem).bruteForce(objective: .latency)
    let expected = try #require(bruteForce)
    #expect(expected.fewestGPUs == 2)
    let best = ChainPartition(problem: problem, objective: .latency).best()
    let found = try #require(best)
    #expect(found.used == 2)
    do {
      #expect(
        Self.isClose(found.value, expected.value), "strategy \(found.value), brute force \(expected.value)")
      #expect(Set(found.deviceOfUnit) == [.gpu(1), .gpu(2)], "\(found.deviceOfUnit)")
    }
  }
}
