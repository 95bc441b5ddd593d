/// The search over vLLM layouts: every tensor-parallel size the model and GPUs allow, the
/// pipeline stages that use the rest, and for each the partition of decoder layers over the
/// stages that the cost model prefers.
struct ServingSearch {
  let request: PlanRequest
  let memory: VLLMMemory
  let chain: StageChain
  /// The links within a node (inferred once: a layout asks for one per stage).
  let topology: Topology

  init(request: PlanRequest, memory: VLLMMemory) {
    self.request = request
    self.memory = memory
    self.chain = StageChain(request.model)
    self.topology = request.topology ?? Topology(gpus: request.gpus)
  }

  var model: ModelGraph { request.model }
  var perNode: Int { request.gpus.count }
  var nodes: Int { request.serving.nodes }
  func gpu(_ index: Int) -> GPU { request.gpus[index % perNode] }
  var decoders: [Layer] { chain.decoders }
  var leading: [Layer] { chain.leading }
  var trailing: [Layer] { chain.trailing }

  /// Attention heads and KV heads of the text model (tensor parallelism divides both).
  var heads: (query: Int64, kv: Int64) {
    let layer = decoders.first
    return (layer?.attentionHeads ?? 0, layer?.kvHeads ?? 0)
  }

  /// Why `tp` is not allowed, or nil.
  func tensorParallelProblem(_ tp: Int) -> String? {
    let (query, kv) = heads
    if query > 0 && query % Int64(tp) != 0 {
      return "\(model.name) has \(query) attention heads, not divisible by tensor parallel size \(tp)"
    }
    if kv > 0 && kv % Int64(tp) != 0 && Int64(tp) % kv != 0 {
      return
        "\(model.name) has \(kv) KV heads: tensor parallel size \(tp) neither divides them nor is a multiple"
    }
    if tp > perNode { return "tensor parallel size \(tp) is larger than the \(perNode) GPU(s) of a node" }
    if perNode % tp != 0 { return "tensor parallel size \(tp) does not divide the \(perNode) GPUs of a node" }
    return nil
  }

  /// Whether some layout, partitioned some way, loads the weights on every stage. No engine setting
  /// changes the weights, so where none does, no settings make vLLM start.
  ///
  /// - Complexity: O(*t* · *p* · *n*) for *t* tensor-parallel sizes, *p* stages and *n* decoder layers.
  func someLayoutLoadsWeights() -> Bool {
    guard let degrees = try? degrees() else { return true }
    for (tp, pp) in degrees where tp * pp <= perNode * nodes && pp >= 1 && pp <= decoders.count {
      guard let groups = groups(tp: tp, pp: pp) else { continue }
      let stages = StageMemory(
        memory: memory, tp: tp, cards: groups.map { gpu($0[0]) },
        leading: memory.contents(of: leading, tp: tp),
        trailing: memory.contents(of: trailing, tp: tp),
        decoders: decoders.map { memory.contents(of: [$0], tp: tp) })
      let loads = StagePartition.covers(items: decoders.count, stages: pp) { s, a, b in
        ByteCount(stages.weights(s, a..<b)) + stages.memory.nonTorch <= stages.cards[s].usableMemory
      }
      if loads { return true }
    }
    return false
  }

  /// The tensor x pipeline sizes to plan: the request's, or every tensor-parallel size allowed.
  func degrees() throws(PlanningError) -> [(tp: Int, pp: Int)] {
    let total = perNode * nodes
    var degrees: [(tp: Int, pp: Int)] = []
    if let tp = request.serving.tensorParallel {
      if let problem = tensorParallelProblem(tp) {
        throw PlanningError(.invalidParallelism, setting: .init(.tensorParallel, "\(tp)"), problem)
      }
      let pp = request.serving.pipelineParallel ?? total / tp
      degrees = [(tp, pp)]
    } else if let pp = request.serving.pipelineParallel {
      guard pp <= total else {
        throw PlanningError(
          .invalidParallelism, setting: .init(.pipelineParallel, "\(pp)"),
          "needs at least \(pp) GPUs; there are \(total)")
      }
      degrees = (1...perNode).filter { tensorParallelProblem($0) == nil && $0 * pp <= total }.map { ($0, pp) }
    } else {
      degrees = (1...perNode).filter { tensorParallelProblem($0) == nil }.map { ($0, total / $0) }
    }
    return degrees
  }

  /// The layouts, best first by the request's strategy, those that start before those that do not.
  func layouts() throws(PlanningError) -> [ServingLayout] {
    let total = perNode * nodes
    let degrees = try degrees()
    var layouts: [ServingLayout] = []
    var reasons: [String] = []
    for (tp, pp) in degrees {
      guard tp * pp <= total else {
        throw PlanningError(
          .invalidParallelism,
          "tensor parallel \(tp) x pipeline parallel \(pp) needs \(tp * pp) GPUs; there are \(total)")
      }
      guard pp >= 1 && pp <= decoders.count else {
        reasons.append(
          "tensor parallel \(tp) needs \(pp) pipeline stages, more than the \(decoders.count) decoder layers")
        continue
      }
      guard let groups = groups(tp: tp, pp: pp) else {
        reasons.append(
          "tensor parallel \(tp) would group different GPUs (vLLM needs identical GPUs in a group)")
        continue
      }
      layouts.append(evaluate(groups: groups))
    }
    guard !layouts.isEmpty else {
      if reasons.isEmpty {
        reasons.append(
          "no tensor parallel size divides the heads (\(heads.query), KV \(heads.kv)) and the \(perNode) GPUs of a node"
            + (request.serving.pipelineParallel.map { " with \($0) pipeline stages" } ?? ""))
      }
      throw PlanningError(
        .invalidParallelism,
        "no tensor x pipeline layout of \(model.name) on these GPUs: " + reasons.joined(separator: "; "))
    }
    return layouts.sorted { better($0, $1) }
  }

  /// Whether `a` is preferred to `b`.
  func better(_ a: ServingLayout, _ b: ServingLayout) -> Bool {
    if a.starts != b.starts { return a.starts }
    let key: (ServingLayout) -> (Double, Double, Int)
    switch request.strategy {
    case .latency: key = { ($0.decodeSecondsPerToken, -$0.throughputTokensPerSecond, $0.tensorParallel) }
    case .memory: key = { (-Double($0.blocks), $0.decodeSecondsPerToken, $0.tensorParallel) }
    default: key = { (-$0.throughputTokensPerSecond, $0.decodeSecondsPerToken, $0.tensorParallel) }
    }
    return key(a) < key(b)
  }

  // MARK: - One layout

  /// The link inside a tensor-parallel group, or between two stages.
  func link(_ a: Int, _ b: Int) -> Link {
    if a / perNode != b / perNode { return Link.make(.network, between: gpu(a), gpu(b)) }
    return topology.link(from: a % perNode, to: b % perNode)
  }

  /// The stages' GPUs: consecutive groups of `tp`, each of one GPU model.
  func groups(tp: Int, pp: Int) -> [[Int]]? {
    let groups = (0..<pp).map { Array(($0 * tp)..<(($0 + 1) * tp)) }
    for group in groups where Set(group.map { gpu($0).name }).count > 1 { return nil }
    return groups
  }

  /// Plans the partition of decoder layers over the stages (tensor-parallel groups), and
  /// estimates it.
  ///
  /// Two passes of ``StagePartition``: the most KV blocks the weakest stage can keep, then the
  /// fastest partition that keeps the blocks the sequences need on every stage. Where a stage's
  /// blocks only shrink as its range grows (every decoder layer holds KV cache), the first pass is a
  /// bisection over ``StagePartition/covers(items:stages:admits:)`` and the second stops each range
  /// once it leaves too few blocks or, for the slowest stage, once it is slower than a bound found
  /// the same way: the same partition as the `exhaustive` search, which tests compare it with.
  ///
  /// - Complexity: O(*p* · *n* · (log *B* + *r*)) for *p* stages, *n* decoder layers, a range *B* of
  ///   block counts and ranges of at most *r* layers within the bounds; O(*p* · *n*) memory.
  ///   Exhaustive: O(*p* · *n*²).
  func evaluate(groups: [[Int]], exhaustive: Bool = false) -> ServingLayout {
    let (tp, pp) = (groups[0].count, groups.count)
    let count = decoders.count
    let stageMemory = StageMemory(
      memory: memory, tp: tp, cards: groups.map { gpu($0[0]) }, leading: memory.contents(of: leading, tp: tp),
      trailing: memory.contents(of: trailing, tp: tp),
      decoders: decoders.map { memory.contents(of: [$0], tp: tp) })
    func rank(_ stage: Int, _ range: Range<Int>) -> RankMemory {
      memory.rank(gpu: gpu(groups[stage][0]), tp: tp, contents: stageMemory.contents(stage, range))
    }
    let bounded = !exhaustive && stageMemory.isMonotone
    // Pass 1: the most KV blocks the weakest stage can have (the slowest stage of "minus blocks").
    let best: Int64
    if bounded {
      best = mostBlocks(stageMemory, stages: pp)
    } else {
      var fewestBlocks = StageBlocks(memory: stageMemory)
      let most = StagePartition(items: count, stages: pp, combine: .max)
      most.fill(rows: 0...pp, cost: &fewestBlocks, everyStageUsed: true)
      best = Int64(-most.value(stages: pp, items: count))
    }
    let context = min(request.workload.contextTokens, memory.settings.maxModelLen)
    let blocksPerSequence = Int64((context + ServingConfig.blockSize - 1) / ServingConfig.blockSize)
    let needed = Int64(memory.settings.maxNumSeqs) * blocksPerSequence
    let floor = request.strategy == .memory ? best : min(best, needed)
    let sequences = max(1, min(memory.settings.maxNumSeqs, Int(max(0, floor) / blocksPerSequence)))
    // Pass 2: the fastest partition that keeps `floor` blocks on every stage.
    let micro = (sequences + pp - 1) / pp
    let one = groups.map { stageCost(group: $0, batch: 1, context: context) }
    let loaded = groups.map { stageCost(group: $0, batch: micro, context: context) }
    let latency = request.strategy == .latency
    let costs = latency ? one : loaded
    var seconds = StageSeconds(
      costs: costs, floor: floor, memory: stageMemory, stages: pp, stopsShort: bounded,
      bound: bounded && !latency ? slowestStageBound(stageMemory, costs: costs, floor: floor) : .infinity)
    let fastest = StagePartition(items: count, stages: pp, combine: latency ? .sum : .max)
    fastest.fill(rows: 0...pp, cost: &seconds, everyStageUsed: true)
    let partition = fastest.ranges(stages: pp)
    return estimate(
      groups: groups, partition: partition, rank: rank, context: context, sequences: sequences, one: one,
      loaded: loaded)
  }

  /// The most KV blocks the stage with the fewest can keep, over every partition of the decoder
  /// layers over `stages` stages: the largest threshold some partition meets on every stage, by
  /// bisection (the value of the exhaustive search's first pass, when blocks only shrink as a range
  /// grows).
  func mostBlocks(_ memory: StageMemory, stages: Int) -> Int64 {
    let count = decoders.count
    func met(_ threshold: Int64) -> Bool {
      StagePartition.covers(items: count, stages: stages) { memory.blocks($0, $1..<$2) >= threshold }
    }
    // Every partition meets what a stage holding every layer keeps, and vLLM's default partition is
    // one of them; no partition does better than the most any one layer leaves some stage.
    var low = (0..<stages).map { memory.blocks($0, 0..<count) }.min()!
    var start = 0
    var least = Int64.max
    for (s, n) in vllmDefaultPartition(layers: count, stages: stages).enumerated() {
      least = min(least, memory.blocks(s, start..<(start + n)))
      start += n
    }
    low = max(low, least)
    var high = (0..<stages).map { s in (0..<count).map { memory.blocks(s, $0..<($0 + 1)) }.max()! }.min()!
    // Invariant: met(low), and not met(high + 1).
    while low < high {
      let middle = low + (high - low + 1) / 2
      if met(middle) { low = middle } else { high = middle - 1 }
    }
    return low
  }

  /// A bound on the slowest stage of the fastest partition that keeps `floor` blocks on every stage
  /// (at or above it): a threshold some partition meets, narrowed by a few bisection steps; infinity
  /// where a stage's seconds could shrink as its range grows (then nothing is cut).
  func slowestStageBound(_ memory: StageMemory, costs: [StageTime], floor: Int64) -> Double {
    let (count, stages) = (decoders.count, costs.count)
    for cost in costs {
      guard cost.leading >= 0, cost.trailing >= 0, cost.prefix.allSatisfy(\.isFinite),
        zip(cost.prefix, cost.prefix.dropFirst()).allSatisfy({ $0 <= $1 })
      else { return .infinity }
    }
    func met(_ threshold: Double) -> Bool {
      StagePartition.covers(items: count, stages: stages) { s, a, b in
        memory.blocks(s, a..<b) >= floor
          && costs[s].seconds(a..<b, first: s == 0, last: s == stages - 1) <= threshold
      }
    }
    var high = (0..<stages).map { costs[$0].seconds(0..<count, first: $0 == 0, last: $0 == stages - 1) }
      .max()!
    guard high.isFinite, met(high) else { return .infinity }
    var low = high / Double(4 * count)
    if met(low) { return low }
    // Invariant: met(high), not met(low); geometric steps, as the bound matters relatively.
    for _ in 0..<12 where low > 0 {
      let middle = (low * high).squareRoot()
      guard middle > low && middle < high else { break }
      if met(middle) { high = middle } else { low = middle }
    }
    return high
  }
}
