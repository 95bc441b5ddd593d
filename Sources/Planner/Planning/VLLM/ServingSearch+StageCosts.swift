/// What one stage of a vLLM layout costs: its decode seconds (prefix sums over the decoder layers,
/// all-reduces included) and, for ``StagePartition``, its KV blocks and seconds as stage costs.
extension ServingSearch {
  /// Seconds through one stage's layers per decode step for `batch` sequences at `context`.
  struct StageTime {
    /// Decoder prefix sums, and the fixed parts of the first and last stage.
    var prefix: [Double]
    var leading: Double
    var trailing: Double
    func seconds(_ range: Range<Int>, first: Bool, last: Bool) -> Double {
      prefix[range.upperBound] - prefix[range.lowerBound] + (first ? leading : 0) + (last ? trailing : 0)
    }
  }

  func stageCost(group: [Int], batch: Int, context: Int) -> StageTime {
    let tp = group.count
    let card = gpu(group[0])
    var workload = request.workload
    workload.batch = batch
    workload.contextTokens = context
    let cost = CostModel(
      memory: MemoryModel(
        model: model, workload: workload, weightDType: memory.weightDType, computeDType: memory.computeDType,
        runtime: request.runtimeProfile))
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
      let weights = Double(memory.weights(of: layer, tp: tp)) * layer.decodeWeightFraction(batch: batch)
      let bytes = layer.kind == .embedding ? b * Double(model.hiddenSize * activation) : weights + kv
      let host = layer.kind == .decoder ? request.runtimeProfile.hostSecondsPerLayer : 0
      let time = cost.timing(flops: flops / Double(tp), bytes: bytes, host: host, on: card).seconds
      switch layer.kind {
      case .decoder: return time + 2 * reduce
      case .head: return time + reduce
      default: return time
      }
    }
    var prefix = [0.0]
    for layer in decoders { prefix.append(prefix.last! + seconds(layer)) }
    return StageTime(
      prefix: prefix, leading: leading.filter { $0.stream == .text }.reduce(0) { $0 + seconds($1) },
      trailing: trailing.reduce(0) { $0 + seconds($1) })
  }

  /// A stage's KV blocks as a ``StagePartition`` cost (their negation, so that the slowest stage
  /// is the one with the fewest blocks).
  struct StageBlocks: StageCost {
    let memory: StageMemory
    var stage = 0
    var start = 0

    init(memory: StageMemory) { self.memory = memory }

    mutating func begin(stage: Int, start: Int) { (self.stage, self.start) = (stage, start) }
    func extend(to last: Int) -> (value: Double, secondary: Double)? {
      (-Double(memory.blocks(stage, start..<(last + 1))), 0)
    }
  }

  /// A stage's decode seconds as a ``StagePartition`` cost; a range that leaves fewer than `floor`
  /// KV blocks is infinitely slow. Where `stopsShort` (a stage's blocks only shrink as its range
  /// grows), such a range ends the scan, and so does one slower than `bound`: no longer range can
  /// be on a best path when `bound` is at or above the best partition's slowest stage (the DP keeps
  /// the first of equal values, and every cell on that path is at most `bound`).
  struct StageSeconds: StageCost {
    let costs: [StageTime]
    let floor: Int64
    let memory: StageMemory
    let stages: Int
    let stopsShort: Bool
    let bound: Double
    var stage = 0
    var start = 0

    init(costs: [StageTime], floor: Int64, memory: StageMemory, stages: Int, stopsShort: Bool, bound: Double)
    {
      (self.costs, self.floor, self.memory, self.stages) = (costs, floor, memory, stages)
      (self.stopsShort, self.bound) = (stopsShort, bound)
    }

    mutating func begin(stage: Int, start: Int) { (self.stage, self.start) = (stage, start) }
    func extend(to last: Int) -> (value: Double, secondary: Double)? {
      let range = start..<(last + 1)
      guard memory.blocks(stage, range) >= floor else { return stopsShort ? nil : (.infinity, .infinity) }
      let seconds = costs[stage].seconds(range, first: stage == 0, last: stage == stages - 1)
      return seconds > bound ? nil : (seconds, 0)
    }
  }
}
