/// Partitions the execution chain into contiguous stages on GPUs taken in a given order, with
/// memory caps, minimising single-stream time per token (`latency`) or the slowest stage
/// (`throughput`). The exact dynamic programme behind the `latency`, `throughput` and `auto`
/// strategies.
///
/// For an order `d₀, d₁, …`, the first `m` GPUs each take a non-empty range (the rest are left
/// unused). With `best[j][i]` the best value for units `0..<i` on the first `j` GPUs:
///
///     latency:    best[j + 1][i'] = min over i of best[j][i] + hop(dⱼ₋₁ → dⱼ after unit i) + time(dⱼ, i..<i')
///     throughput: best[j + 1][i'] = min over i of max(best[j][i], hop(...), time(dⱼ, i..<i'))
///
/// A range stops growing once its memory exceeds the GPU's capacity (memory only grows with the
/// range), so each GPU costs O(*n* · *r*) for ranges of at most *r* units. Vision and audio
/// layers cost nothing per token: they run once per image, and go wherever memory is best.
/// The value leaves out the inputs accelerate's hooks copy into layers away from `embed_tokens` and
/// `rotary_emb` (``RuntimeProfile/hostSecondsPerMovedInput``), which the plan's estimate charges:
/// where the split falls changes them by a few tenths of a millisecond, below what the decode
/// timings resolve, and charging them would trade the balanced split for that.
/// Among plans equally fast (within a relative 1e-9, so that summation order does not matter), the
/// one whose fullest GPU is emptiest wins: identical cards share the load rather than one running
/// full (exactly for `latency`; for `throughput` among the plans the DP keeps, see
/// ``StagePartition``). Remaining ties keep the earlier split and the fewer GPUs. The DP is
/// ``StagePartition`` with each GPU of the order as a stage (``GPUStage``).
///
/// - Complexity: O(*m* · *n* · *r*) per order for *m* GPUs, *n* units, ranges of at most *r*
///   units (*r* ≤ *n*).
struct ChainPartition {
  enum Objective: Sendable { case latency, throughput }

  let problem: PlacementProblem
  let objective: Objective
  /// The share of each GPU's capacity a stage may fill (1 for all of it).
  let fill: Double
  let units: ChainUnits
  /// Host time per step of the runtime's dispatch hooks once a plan spans several GPUs.
  let dispatchSeconds: Double
  /// Memory terms of each unit, as flat arrays for the inner loop.
  let fixed: [Int64]
  let transient: [Int64]
  let textUnit: [Bool]
  /// The first unit with a text layer (the embedding): where the logits return to, or a tied
  /// head runs. `Int.max` for a model without text.
  let firstTextUnit: Int
  /// Bytes of the hop back to the first text stage after a step: the logits (batch × vocabulary ×
  /// 4) where the runtime returns them to the first GPU, or the hidden state where a tied head runs
  /// with its embedding; `nil` where there is none.
  let returnHopBytes: Int64?
  /// Decode seconds of each unit on each GPU type (by type name).
  let unitSeconds: [String: [Double]]
  /// Decode seconds of a hop after each unit, per link kind and pair, computed on demand.
  let hopBytes: [Int64?]
  let residual: Int64
  let reserve: Int64
  /// The fixed bytes of units `i..<n` (`n + 1` entries): what the GPUs after a split must hold at
  /// least.
  let restFixed: [Int64]

  init(problem: PlacementProblem, objective: Objective, fill: Double = 1) {
    self.problem = problem
    self.objective = objective
    self.fill = fill
    let units = ChainUnits(problem.model)
    self.units = units
    let terms = units.memoryTerms(problem.memory)
    fixed = terms.map(\.fixed)
    transient = terms.map(\.transient)
    textUnit = terms.map(\.runsText)
    let cost = problem.cost
    firstTextUnit = units.anchors.firstIndex { units.layers[$0].stream == .text } ?? Int.max
    let headIsPinned = units.layers.contains { $0.kind == .head && $0.pinnedTo != nil }
    if headIsPinned, let last = units.anchors.last(where: { units.layers[$0].stream == .text }) {
      returnHopBytes = cost.hopBytes(after: units.layers[last], phase: .decode)
    } else if objective == .latency && problem.memory.runtime.returnsLogitsToFirstGPU {
      returnHopBytes =
        Int64(problem.memory.workload.batch) * problem.model.vocabularySize * MemoryModel.fp32Bytes
    } else {
      returnHopBytes = nil
    }
    var seconds: [String: [Double]] = [:]
    for gpu in problem.gpus where seconds[gpu.name] == nil {
      seconds[gpu.name] = units.members.map { group in
        group.reduce(0.0) { total, index in
          let layer = units.layers[index]
          return total + (layer.stream == .text ? cost.decode(layer, on: gpu).seconds : 0)
        }
      }
    }
    unitSeconds = seconds
    dispatchSeconds =
      Double(problem.model.layers(of: .text).count)
      * problem.memory.runtime.hostSecondsPerDispatchedLayer
    // A boundary after a text unit carries a decode hop; boundaries inside the vision or audio
    // stream cost nothing per token.
    hopBytes = units.anchors.map { index in
      let layer = units.layers[index]
      return layer.stream == .text ? cost.hopBytes(after: layer, phase: .decode) : nil
    }
    residual = problem.memory.residualStream.value
    reserve = problem.memory.runtime.reservePerGPU.value
    var restFixed = [Int64](repeating: 0, count: units.count + 1)
    for unit in stride(from: units.count - 1, through: 0, by: -1) {
      restFixed[unit] = restFixed[unit + 1].saturatingAdd(fixed[unit])
    }
    self.restFixed = restFixed
  }

  /// A GPU's capacity as a stage sees it (``GPUStage``).
  func capacity(of gpu: Int) -> Int64 { Int64(Double(problem.capacity(of: .gpu(gpu))?.value ?? 0) * fill) }

  /// The best partition for one order: its value and the GPU of each unit; `nil` if nothing fits.
  /// The DP table of the last order, reused for the rows its prefix shares with the next order
  /// (row `j` depends only on the first `j` GPUs of the order).
  final class Tables {
    var order: [Int] = []
    var partition: StagePartition?
    /// ``restBound(_:)`` of each set of GPU types met so far.
    var restBounds: [String: [Double]] = [:]
  }

  /// A lower bound on the decode time of units `i..<n` (`n + 1` entries) on GPUs of the named types
  /// alone: for `latency` the sum, for `throughput` the largest, of each unit's time on its fastest
  /// of those types (infinity for `i < n` where there is none).
  func restBound(_ types: [String]) -> [Double] {
    let n = units.count
    guard !types.isEmpty else { return (0...n).map { $0 == n ? 0 : .infinity } }
    let times = types.map { unitSeconds[$0]! }
    var rest = [Double](repeating: 0, count: n + 1)
    for unit in stride(from: n - 1, through: 0, by: -1) {
      let fastest = times.reduce(Double.infinity) { Swift.min($0, $1[unit]) }
      rest[unit] = objective == .latency ? rest[unit + 1] + fastest : Swift.max(rest[unit + 1], fastest)
    }
    return rest
  }

  func best(order: [Int]) -> (value: Double, deviceOfUnit: [Device], used: Int, fullest: Double)? {
    best(order: order, reusing: Tables())
  }

  /// One GPU of the order as a stage of ``StagePartition``: its decode time (with the hop into it)
  /// and its fullness, growing unit by unit until its memory passes the capacity.
  struct GPUStage: StageCost {
    let chain: ChainPartition
    let order: [Int]
    let cost: CostModel
    let latency: Bool
    // The chain's memory terms, read in the inner loop.
    let fixed: [Int64]
    let transient: [Int64]
    let textUnit: [Bool]
    let residual: Int64
    let reserve: Int64
    var stageIndex = -1
    var capacity: Int64 = 0
    var inverseCapacity = 0.0
    var times: [Double] = []
    var link: Link?
    // The stage being scanned.
    var hop = 0.0
    var fixedBytes: Int64 = 0
    var peak: Int64 = 0
    var runsText = false
    var seconds = 0.0

    init(_ chain: ChainPartition, order: [Int]) {
      self.chain = chain
      self.order = order
      cost = chain.problem.cost
      latency = chain.objective == .latency
      (fixed, transient, textUnit) = (chain.fixed, chain.transient, chain.textUnit)
      (residual, reserve) = (chain.residual, chain.reserve)
    }

    mutating func begin(stage j: Int, start a: Int) {
      if j != stageIndex {
        stageIndex = j
        let gpu = order[j]
        let problem = chain.problem
        capacity = chain.capacity(of: gpu)
        inverseCapacity = 1 / Double(max(capacity, 1))
        times = chain.unitSeconds[problem.gpus[gpu].name]!
        link = j > 0 ? problem.topology.link(from: order[j - 1], to: gpu) : nil
      }
      hop = 0
      if let link, a > 0, let bytes = chain.hopBytes[a - 1] { hop = cost.hop(bytes: bytes, on: link) }
      fixedBytes = 0
      peak = 0
      runsText = false
      seconds = 0
    }

    @inline(__always)
    mutating func extend(to i: Int) -> (value: Double, secondary: Double)? {
      // Terms are far below 2^62 for any model that fits a GPU; saturate only past that.
      fixedBytes = fixedBytes.saturatingAdd(fixed[i])
      if transient[i] > peak { peak = transient[i] }
      runsText = runsText || textUnit[i]
      let total = fixedBytes.saturatingAdd(peak).saturatingAdd(runsText ? residual : 0).saturatingAdd(reserve)
      if total > capacity { return nil }
      seconds += times[i]
      return (latency ? hop + seconds : max(hop, seconds), Double(total) * inverseCapacity)
    }
  }

  /// The best partition for one order, reusing the rows it shares with the previous order, and
  /// abandoning it once no completion can match `bound` (the best value found so far): a prefix
  /// whose every partial plan, plus the rest of the chain on the fastest GPU type with no hops,
  /// is already slower than `bound` cannot win or tie.
  func best(order: [Int], reusing tables: Tables, bound: Double = .infinity) -> (
    value: Double, deviceOfUnit: [Device], used: Int, fullest: Double
  )? {
    let n = units.count
    let m = order.count
    guard n > 0, m > 0 else { return nil }
    let cost = problem.cost
    var shared = 0
    let partition: StagePartition
    if let reused = tables.partition, reused.items == n, tables.order.count == m {
      partition = reused
      while shared < min(m, reused.filledRows) && tables.order[shared] == order[shared] { shared += 1 }
    } else {
      partition = StagePartition(
        items: n, stages: m, combine: objective == .latency ? .sum : .max, tolerance: Self.tolerance)
      tables.partition = partition
    }
    tables.order = order
    var stage = GPUStage(self, order: order)
    // What GPUs `j..<m` of the order can hold of the units' fixed bytes: a stage holds at most its
    // capacity less the reserve (its transients and residual stream are not negative). It depends
    // on the set of GPUs before `j` only, so rows shared with an earlier order skipped the same cells.
    var room = [Int64](repeating: 0, count: m + 1)
    for j in stride(from: m - 1, through: 0, by: -1) {
      room[j] = room[j + 1].saturatingAdd(Swift.max(0, capacity(of: order[j]) - reserve))
    }
    let latency = objective == .latency
    let restFixed = self.restFixed
    let dispatchSeconds = self.dispatchSeconds
    // For each row `j`, a lower bound on the rest of the chain on GPUs `j..<m` of the order (their
    // types: the set is the same for every order with the same first `j` GPUs, so rows shared
    // between orders are judged alike).
    var restByRow = [[Double]](repeating: [], count: m + 1)
    var types = Set<String>()
    for j in stride(from: m, through: 0, by: -1) {
      if j < m { types.insert(problem.gpus[order[j]].name) }
      let key = types.sorted().joined(separator: "|")
      if tables.restBounds[key] == nil { tables.restBounds[key] = restBound(types.sorted()) }
      restByRow[j] = tables.restBounds[key]!
    }
    // The value of the plan that puts every unit on the first `used` GPUs, with the dispatch hooks
    // and the return hop where they apply.
    func completeValue(used: Int) -> Double? {
      var value = partition.value(stages: used, items: n)
      guard value.isFinite else { return nil }
      if used > 1 && latency { value += dispatchSeconds }
      if let bytes = returnHopBytes, let target = partition.stage(holding: firstTextUnit, stages: used),
        target != used - 1
      {
        value += cost.hop(bytes: bytes, on: problem.topology.link(from: order[used - 1], to: order[target]))
      }
      return value
    }
    // Below `bound`, or the best plan of this order found so far: this order's choice is at most
    // that plan's value (within the tolerance), and so is the best of the orders once it is judged.
    // The margin of three tolerances keeps a cell skipped here one that no later order sharing the
    // row could tie with (the bound it brings is at most this value, two tolerances over).
    let margin = (1 + Self.tolerance) * (1 + Self.tolerance) * (1 + Self.tolerance)
    var within = bound
    for used in stride(from: 1, through: shared, by: 1) {
      if let value = completeValue(used: used) { within = Swift.min(within, value * margin) }
    }
    // No stage starts where the rest of the chain cannot fit the GPUs left (no full plan passes
    // there), or where every completion is slower than `within` (the same test as `abandon`'s,
    // cell by cell: such a plan can neither win nor tie; the bound only falls from order to order,
    // so a reused row skipped no cell a later order needs).
    let skip: (Int, Int, Double) -> Bool = { j, a, value in
      if restFixed[a] > room[j] { return true }
      guard j > 0, within.isFinite else { return false }
      let rest = restByRow[j][a]
      let lowerBound = latency ? value + rest + dispatchSeconds : Swift.max(value, rest)
      return lowerBound > within * (1 + Self.tolerance)
    }
    let lastRow = partition.fill(rows: shared...m, cost: &stage, skip: skip) { row in
      if let value = completeValue(used: row) { within = Swift.min(within, value * margin) }
      // Stop extending this order once every partial plan of the row is beaten by the bound.
      guard within.isFinite else { return false }
      return (0..<n).allSatisfy { i in
        let value = partition.value(stages: row, items: i)
        guard value.isFinite else { return true }
        // An unfinished plan (i < n) continues on another GPU, so it pays the dispatch hooks too.
        let rest = restByRow[row][i]
        let lowerBound = latency ? value + rest + dispatchSeconds : max(value, rest)
        return lowerBound > within * (1 + Self.tolerance)
      }
    }
    // The number of GPUs: the best value, ties to fewer GPUs, with the return hop where it applies.
    var choice: (value: Double, fullest: Double, used: Int)?
    for used in 1...lastRow {
      guard let value = completeValue(used: used) else { continue }
      // More GPUs only if strictly faster: "the fewest GPUs that do not make it slower".
      if choice == nil || value < choice!.value * (1 - Self.tolerance) {
        choice = (value, partition.secondary(stages: used, items: n), used)
      }
    }
    guard let choice else { return nil }
    var deviceOfUnit = [Device](repeating: .gpu(order[0]), count: n)
    for (j, range) in partition.ranges(stages: choice.used).enumerated() {
      for unit in range { deviceOfUnit[unit] = .gpu(order[j]) }
    }
    return (choice.value, deviceOfUnit, choice.used, choice.fullest)
  }

  /// Relative tolerance under which two times count as equal.
  static let tolerance = 1e-9

  /// The best over every searched device order (``DeviceOrders``); `nil` if nothing fits.
  func best() -> (value: Double, deviceOfUnit: [Device], used: Int, fullest: Double)? {
    var result: (value: Double, deviceOfUnit: [Device], used: Int, fullest: Double)?
    // Identical cards are interchangeable only with the same cap and no per-pair link override.
    let keys = problem.gpus.indices.map { index -> String in
      problem.topology.pairs.isEmpty
        ? "\(problem.gpus[index].name)|\(problem.capacity(of: .gpu(index))?.value ?? 0)" : "#\(index)"
    }
    let tables = Tables()
    for order in DeviceOrders.orders(of: problem.gpus, keys: keys) {
      guard let candidate = best(order: order, reusing: tables, bound: result?.value ?? .infinity) else {
        continue
      }
      guard let current = result else {
        result = candidate
        continue
      }
      // Faster; or as fast on fewer GPUs; or as fast on as many with an emptier fullest GPU.
      if candidate.value < current.value * (1 - Self.tolerance) {
        result = candidate
      } else if candidate.value <= current.value * (1 + Self.tolerance)
        && (candidate.used, candidate.fullest) < (current.used, current.fullest)
      {
        result = candidate
      }
    }
    return result
  }
}
