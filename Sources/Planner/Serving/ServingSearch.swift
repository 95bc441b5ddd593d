/// A model's chain as vLLM's pipeline stages hold it: the decoder layers, which the stages
/// divide, and what the first and the last stage hold besides.
struct StageChain {
  var decoders: [Layer]
  /// Everything before the first decoder layer, and every layer outside the text model (the
  /// vision tower runs on the first stage).
  var leading: [Layer]
  /// The text layers after the last decoder layer (norm, LM head).
  var trailing: [Layer]

  init(_ model: ModelGraph) {
    let isDecoder = { (layer: Layer) in layer.stream == .text && layer.kind == .decoder }
    decoders = model.layers.filter(isDecoder)
    let first = model.layers.firstIndex(where: isDecoder) ?? model.layers.count
    leading = Array(model.layers[..<first]) + model.layers[first...].filter { $0.stream != .text }
    let last = model.layers.lastIndex(where: isDecoder)
    trailing = last.map { model.layers[($0 + 1)...].filter { $0.stream == .text } } ?? []
  }
}

/// The search over vLLM layouts: every tensor-parallel size the model and GPUs allow, the
/// pipeline stages that use the rest, and for each the partition of decoder layers over the
/// stages that the cost model prefers.
struct ServingSearch {
  let request: ServingRequest
  let memory: VLLMMemory
  let chain: StageChain

  init(request: ServingRequest, memory: VLLMMemory) {
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
        throw PlanningError(description: "--tensor-parallel \(tp): \(problem)")
      }
      let pp = request.serving.pipelineParallel ?? total / tp
      degrees = [(tp, pp)]
    } else if let pp = request.serving.pipelineParallel {
      guard pp <= total else {
        throw PlanningError(
          description: "--pipeline-parallel \(pp) needs at least \(pp) GPUs; there are \(total)")
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
          description:
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
        description: "no tensor x pipeline layout of \(model.name) on these GPUs: "
          + reasons.joined(separator: "; "))
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

  /// Seconds through one stage's layers per decode step for `batch` sequences at `context`.
  struct StageCost {
    /// Decoder prefix sums, and the fixed parts of the first and last stage.
    var prefix: [Double]
    var leading: Double
    var trailing: Double
    func seconds(_ range: Range<Int>, first: Bool, last: Bool) -> Double {
      prefix[range.upperBound] - prefix[range.lowerBound] + (first ? leading : 0) + (last ? trailing : 0)
    }
  }

  func stageCost(group: [Int], batch: Int, context: Int) -> StageCost {
    let tp = group.count
    let card = gpu(group[0])
    var workload = request.workload
    workload.batch = batch
    workload.contextTokens = context
    let cost = CostModel(
      memory: MemoryModel(
        model: model, workload: workload, weightDType: memory.weightDType, computeDType: memory.computeDType,
        runtime: request.runtime))
    let activation = Int64(memory.computeDType.bits / 8)
    let reduce =
      tp > 1
      ? AllReduce.seconds(
        bytes: Int64(batch) * model.hiddenSize * activation, gpus: tp, link: link(group[0], group[1])) : 0
    func seconds(_ layer: Layer) -> Double {
      let b = Double(batch)
      let flops =
        b * (Double(layer.flopsPerToken) + Double(layer.attentionFLOPsPerContextToken) * Double(context))
      let kv = b * Double(context) * Double(memory.kvBytesPerToken(of: layer, tp: tp))
      let weights = Double(memory.weights(of: layer, tp: tp))
      let bytes = layer.kind == .embedding ? b * Double(model.hiddenSize * activation) : weights + kv
      let host = layer.kind == .decoder ? request.runtime.hostSecondsPerLayer : 0
      let time = cost.timing(flops: flops / Double(tp), bytes: bytes, host: host, on: card).seconds
      switch layer.kind {
      case .decoder: return time + 2 * reduce
      case .head: return time + reduce
      default: return time
      }
    }
    var prefix = [0.0]
    for layer in decoders { prefix.append(prefix.last! + seconds(layer)) }
    return StageCost(
      prefix: prefix, leading: leading.filter { $0.stream == .text }.reduce(0) { $0 + seconds($1) },
      trailing: trailing.reduce(0) { $0 + seconds($1) })
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
    // Pass 1: the most KV blocks the weakest stage can have.
    let ranks = (0..<pp).map { s in (0...count).map { a in (a...count).map { b in rank(s, a..<b) } } }
    func blocks(_ s: Int, _ a: Int, _ b: Int) -> Int64 {
      let r = ranks[s][a][b - a]
      return r.kvAvailable.value > 0 && r.blockBytes > 0
        ? r.blocks : -1 + r.kvAvailable.value / (1 << 20)  // -1 - MiB short, without negating Int64.min
    }
    let unreachable = Int64.min
    var most = Array(repeating: Array(repeating: unreachable, count: count + 1), count: pp + 1)
    most[0][0] = .max
    for s in 1...pp {
      for k in s...count where count - k >= pp - s {
        for a in (s - 1)..<k where most[s - 1][a] != unreachable {
          most[s][k] = max(most[s][k], min(most[s - 1][a], blocks(s - 1, a, k)))
        }
      }
    }
    let best = most[pp][count]
    let context = min(request.workload.contextTokens, memory.settings.maxModelLen)
    let blocksPerSequence = Int64((context + ServingConfig.blockSize - 1) / ServingConfig.blockSize)
    let needed = Int64(memory.settings.maxNumSeqs) * blocksPerSequence
    let floor = request.strategy == .memory ? best : min(best, needed)
    let sequences = max(1, min(memory.settings.maxNumSeqs, Int(max(0, floor) / blocksPerSequence)))
    // Pass 2: the fastest partition that keeps `floor` blocks on every stage.
    let micro = (sequences + pp - 1) / pp
    let one = groups.map { stageCost(group: $0, batch: 1, context: context) }
    let loaded = groups.map { stageCost(group: $0, batch: micro, context: context) }
    let costs = request.strategy == .latency ? one : loaded
    var fastest = Array(repeating: Array(repeating: Double.infinity, count: count + 1), count: pp + 1)
    var cut = Array(repeating: Array(repeating: 0, count: count + 1), count: pp + 1)
    fastest[0][0] = 0
    for s in 1...pp {
      for k in s...count where count - k >= pp - s {
        for a in (s - 1)..<k where fastest[s - 1][a].isFinite && blocks(s - 1, a, k) >= floor {
          let stage = costs[s - 1].seconds(a..<k, first: s == 1, last: s == pp)
          let value =
            request.strategy == .latency ? fastest[s - 1][a] + stage : max(fastest[s - 1][a], stage)
          if value < fastest[s][k] { (fastest[s][k], cut[s][k]) = (value, a) }
        }
      }
    }
    var bounds = [count]
    for s in stride(from: pp, to: 0, by: -1) { bounds.insert(cut[s][bounds[0]], at: 0) }
    let partition = (0..<pp).map { bounds[$0]..<bounds[$0 + 1] }
    return estimate(
      groups: groups, partition: partition, rank: rank, context: context, sequences: sequences, one: one,
      loaded: loaded)
  }

  /// The layout's estimate and startup outcome, from the stages' decode costs at batch 1
  /// (`one`) and at the micro-batch of `sequences` over the stages (`loaded`).
  func estimate(
    groups: [[Int]], partition: [Range<Int>], rank: (Int, Range<Int>) -> RankMemory, context: Int,
    sequences: Int, one: [StageCost], loaded: [StageCost]
  ) -> ServingLayout {
    let tp = groups[0].count
    let pp = groups.count
    var stages: [ServingLayout.Stage] = []
    for (s, range) in partition.enumerated() {
      stages.append(
        ServingLayout.Stage(
          gpus: groups[s], node: groups[s][0] / perNode, decoderLayers: range, memory: rank(s, range),
          decodeSeconds: one[s].seconds(range, first: s == 0, last: s == pp - 1)))
    }
    let activation = Int64(memory.computeDType.bits / 8)
    func hops(batch: Int) -> Double {
      let bytes = Int64(batch) * model.hiddenSize * activation
      var total = 0.0
      for s in 1..<max(pp, 1) {
        total +=
          link(groups[s - 1].last!, groups[s][0]).seconds(bytes: bytes) + request.runtime.hostSecondsPerHop
      }
      return total
    }
    let blocks = stages.map(\.memory.blocks).min() ?? 0
    let step = request.runtime.hostSecondsPerStep
    let latency = stages.reduce(0.0) { $0 + $1.decodeSeconds } + hops(batch: 1) + step
    let reduce =
      tp > 1
      ? AllReduce.seconds(
        bytes: model.hiddenSize * activation, gpus: tp, link: link(groups[0][0], groups[0][1]))
      : 0
    // Throughput: `sequences` decode together, in `pp` micro-batches through the pipeline.
    let micro = (sequences + pp - 1) / pp
    var slowest = 0.0
    for s in 0..<pp {
      slowest = max(slowest, loaded[s].seconds(partition[s], first: s == 0, last: s == pp - 1))
    }
    let throughput = Double(sequences) / (Double(pp) * slowest + hops(batch: micro) + step)
    // Prefill of one prompt: compute-bound layers, sharded, plus all-reduces of the whole prompt.
    var prompt = request.workload
    prompt.batch = 1
    prompt.contextTokens = context
    let cost = CostModel(
      memory: MemoryModel(
        model: model, workload: prompt, weightDType: memory.weightDType, computeDType: memory.computeDType,
        runtime: request.runtime))
    var prefill = hops(batch: context)
    for (s, range) in partition.enumerated() {
      let card = gpu(groups[s][0])
      var layers = Array(decoders[range])
      if s == 0 { layers = leading.filter { $0.stream == .text } + layers }
      if s == pp - 1 { layers += trailing }
      for layer in layers { prefill += cost.prefill(layer, on: card).seconds / Double(tp) }
      if tp > 1 {
        prefill +=
          Double(2 * range.count)
          * AllReduce.seconds(
            bytes: Int64(context) * model.hiddenSize * activation, gpus: tp,
            link: link(groups[s][0], groups[s][1]))
      }
    }
    var layout = ServingLayout(
      tensorParallel: tp, pipelineParallel: pp, stages: stages, blocks: blocks,
      decodeSecondsPerToken: latency,
      throughputBatch: sequences, throughputTokensPerSecond: throughput, prefillSeconds: prefill,
      allReduceSeconds: Double(2 * decoders.count + 1) * reduce,
      hopSeconds: hops(batch: 1), failure: nil, defaultPartition: nil)
    layout.failure = failure(of: layout)
    if pp > 1 {
      let counts = vllmDefaultPartition(layers: decoders.count, stages: pp)
      if counts != layout.partition {
        var start = 0
        var least = Int64.max
        for (s, n) in counts.enumerated() {
          least = min(least, rank(s, start..<(start + n)).blocks)
          start += n
        }
        layout.defaultPartition = (counts, least)
      }
    }
    return layout
  }

  /// The first error vLLM raises starting the layout, in the order it would meet them.
  func failure(of layout: ServingLayout) -> ServingFailure? {
    let settings = memory.settings
    for stage in layout.stages where stage.memory.weights + stage.memory.nonTorch > stage.memory.usable {
      let m = stage.memory
      return ServingFailure(
        phase: .loading, gpu: stage.gpus[0],
        message:
          "torch.OutOfMemoryError: CUDA out of memory loading the weights: \(m.weights.formatted()) on each "
          + "GPU of the stage, \(m.usable.formatted()) usable")
    }
    for stage in layout.stages
    where stage.memory.weights + stage.memory.activationPeak + stage.memory.nonTorch > stage.memory.usable {
      let m = stage.memory
      let what =
        m.dummyImages > 0 && m.encoderPeak >= m.activationPeak - m.encoderPeak
        ? "\(m.dummyImages) dummy images through the vision tower (\(memory.encoderAttention.rawValue) attention) "
          + "need \(m.encoderPeak.formatted())"
        : "a forward of \(settings.maxNumBatchedTokens) tokens needs \(m.activationPeak.formatted())"
      return ServingFailure(
        phase: .profiling, gpu: stage.gpus[0],
        message:
          "torch.OutOfMemoryError: CUDA out of memory in the profiling run: \(what), "
          + "\((m.usable - m.weights - m.nonTorch).formatted()) is left after the weights")
    }
    if let stage = layout.stages.first(where: { $0.memory.blocks <= 0 }) {
      return ServingFailure(
        phase: .kvCache, gpu: stage.gpus[0],
        message:
          "ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when "
          + "initializing the engine. (\(stage.memory.kvAvailable.formatted()) left of "
          + "\(stage.memory.budget.formatted()))")
    }
    if layout.kvTokens < Int64(settings.maxModelLen) {
      let stage = layout.stages.min { $0.memory.blocks < $1.memory.blocks }!
      return ServingFailure(
        phase: .kvCache, gpu: stage.gpus[0],
        message:
          "ValueError: The model's max seq len (\(settings.maxModelLen)) is larger than the maximum number of tokens "
          + "that can be stored in KV cache (\(layout.kvTokens)). Try increasing `gpu_memory_utilization` or "
          + "decreasing `max_model_len` when initializing the engine.")
    }
    for stage in layout.stages where stage.memory.cudaGraphs > stage.memory.freeForGraphs {
      return ServingFailure(
        phase: .cudaGraphs, gpu: stage.gpus[0],
        message:
          "torch.OutOfMemoryError: CUDA out of memory capturing CUDA graphs: about "
          + "\(stage.memory.cudaGraphs.formatted()) needed, \(max(.zero, stage.memory.freeForGraphs).formatted()) "
          + "free after the KV cache: lower --gpu-memory-utilization or use --enforce-eager")
    }
    return nil
  }
}
