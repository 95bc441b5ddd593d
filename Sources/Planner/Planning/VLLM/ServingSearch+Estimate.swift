/// A vLLM layout's estimate: decode, throughput through the pipeline, prefill, all-reduces and hops.
extension ServingSearch {
  /// The layout's estimate and startup outcome, from the stages' decode costs at batch 1
  /// (`one`) and at the micro-batch of `sequences` over the stages (`loaded`).
  func estimate(
    groups: [[Int]], partition: [Range<Int>], rank: (Int, Range<Int>) -> RankMemory, context: Int,
    sequences: Int, one: [StageTime], loaded: [StageTime]
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
          link(groups[s - 1].last!, groups[s][0]).seconds(bytes: bytes)
          + request.runtimeProfile.hostSecondsPerHop
      }
      return total
    }
    let blocks = stages.map(\.memory.blocks).min() ?? 0
    let step = request.runtimeProfile.hostSecondsPerStep
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
        runtime: request.runtimeProfile))
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
}

extension ServingLayout {
  /// The layout's times with the range measured ones fall in under `spread` (the plan's
  /// ``RuntimeProfile/timeSpread``): decode at batch 1, prefill, the engine's image encoding, and
  /// the throughput of one replica.
  public func ranges(_ spread: TimeSpread, imageSeconds: Double? = nil) -> SpeedRanges {
    SpeedRanges(
      decodeSecondsPerToken: decodeSecondsPerToken, prefillSeconds: prefillSeconds,
      imageSeconds: imageSeconds,
      throughputTokensPerSecond: throughputTokensPerSecond, spread: spread)
  }
}
