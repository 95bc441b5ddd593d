/// The search over vLLM layouts: every tensor-parallel size the model and GPUs allow, the
/// pipeline stages that use the rest, and for each the partition of decoder layers over the
/// stages that the cost model prefers.
struct ServingSearch {
  let request: PlanRequest
  let memory: VLLMMemory
  let chain: StageChain

  init(request: PlanRequest, memory: VLLMMemory) {
    self.request = request
    self.memory = memory
    self.chain = StageChain(request.model)
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

  /// The layouts, best first by the request's strategy, those that start before those that do not.
  func layouts() throws(PlanningError) -> [ServingLayout] {
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
    let topology = request.topology ?? Topology(gpus: request.gpus)
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
  func evaluate(groups: [[Int]]) -> ServingLayout {
    let (tp, pp) = (groups[0].count, groups.count)
    let count = decoders.count
    let leadingContents = memory.contents(of: leading, tp: tp)
    let trailingContents = memory.contents(of: trailing, tp: tp)
    let decoderContents = decoders.map { memory.contents(of: [$0], tp: tp) }
    func contents(_ stage: Int, _ range: Range<Int>) -> VLLMMemory.Contents {
      var sum = VLLMMemory.Contents()
      if stage == 0 { sum = sum + leadingContents }
      for i in range { sum = sum + decoderContents[i] }
      if stage == pp - 1 { sum = sum + trailingContents }
      return sum
    }
    func rank(_ stage: Int, _ range: Range<Int>) -> RankMemory {
      memory.rank(gpu: gpu(groups[stage][0]), tp: tp, contents: contents(stage, range))
    }
    // Pass 1: the most KV blocks the weakest stage can have (the slowest stage of "minus blocks").
    // Each stage's rank memory for every range a..<b at [s][a][b - a], summing the range's contents
    // as it grows (the same additions, in the same order, as contents(s, a..<b)).
    let ranks = (0..<pp).map { s in
      (0...count).map { a in
        var sum = s == 0 ? VLLMMemory.Contents() + leadingContents : VLLMMemory.Contents()
        var row: [RankMemory] = []
        row.reserveCapacity(count - a + 1)
        for b in a...count {
          if b > a { sum = sum + decoderContents[b - 1] }
          let whole = s == pp - 1 ? sum + trailingContents : sum
          row.append(memory.rank(gpu: gpu(groups[s][0]), tp: tp, contents: whole))
        }
        return row
      }
    }
    // KV blocks of stage s over decoder layers a..<b at [s][a][b - a]; a stage short of memory counts
    // -1 - the MiB it lacks (without negating Int64.min).
    let blockTable = ranks.map { byStart in
      byStart.map { byLength in
        byLength.map { r in
          r.kvAvailable.value > 0 && r.blockBytes > 0 ? r.blocks : -1 + r.kvAvailable.value / (1 << 20)
        }
      }
    }
    var fewestBlocks = StageBlocks(blocks: blockTable)
    let most = StagePartition(items: count, stages: pp, combine: .max)
    most.fill(rows: 0...pp, cost: &fewestBlocks, everyStageUsed: true)
    let best = Int64(-most.value(stages: pp, items: count))
    let context = min(request.workload.contextTokens, memory.settings.maxModelLen)
    let blocksPerSequence = Int64((context + ServingConfig.blockSize - 1) / ServingConfig.blockSize)
    let needed = Int64(memory.settings.maxNumSeqs) * blocksPerSequence
    let floor = request.strategy == .memory ? best : min(best, needed)
    let sequences = max(1, min(memory.settings.maxNumSeqs, Int(max(0, floor) / blocksPerSequence)))
    // Pass 2: the fastest partition that keeps `floor` blocks on every stage.
    let micro = (sequences + pp - 1) / pp
    let one = groups.map { stageCost(group: $0, batch: 1, context: context) }
    let loaded = groups.map { stageCost(group: $0, batch: micro, context: context) }
    var seconds = StageSeconds(
      costs: request.strategy == .latency ? one : loaded, floor: floor, blocks: blockTable, stages: pp)
    let fastest = StagePartition(
      items: count, stages: pp, combine: request.strategy == .latency ? .sum : .max)
    fastest.fill(rows: 0...pp, cost: &seconds, everyStageUsed: true)
    let partition = fastest.ranges(stages: pp)
    return estimate(
      groups: groups, partition: partition, rank: rank, context: context, sequences: sequences, one: one,
      loaded: loaded)
  }
}
