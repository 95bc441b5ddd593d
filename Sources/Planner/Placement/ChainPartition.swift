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
/// full. Remaining ties keep the earlier split and the fewer GPUs.
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
  /// A lower bound on the decode time of units `i..<n` wherever they go: for `latency` the sum,
  /// for `throughput` the largest, of each unit's time on its fastest GPU type.
  let restSeconds: [Double]
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
    let fastest = (0..<units.count).map { unit in seconds.values.map { $0[unit] }.min() ?? 0 }
    var rest = [Double](repeating: 0, count: units.count + 1)
    for unit in stride(from: units.count - 1, through: 0, by: -1) {
      rest[unit] = objective == .latency ? rest[unit + 1] + fastest[unit] : max(rest[unit + 1], fastest[unit])
    }
    restSeconds = rest
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
  }

  /// The best partition for one order: its value and the GPU of each unit; `nil` if nothing fits.
  /// The DP tables of the last order, reused for the rows its prefix shares with the next order
  /// (row `j` depends only on the first `j` GPUs of the order).
  final class Tables {
    var order: [Int] = []
    var best: [Double] = []
    var fullest: [Double] = []
    var start: [Int] = []
    var textStage: [Int] = []
    /// Rows 0...validRows hold this order's values (a pruned order stops early).
    var validRows = 0
  }

  func best(order: [Int]) -> (value: Double, deviceOfUnit: [Device], used: Int, fullest: Double)? {
    best(order: order, reusing: Tables())
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
    // Flat tables, row j (GPUs used) times column i (units placed): row-major, width n + 1.
    let width = n + 1
    var shared = 0
    if tables.best.count == (m + 1) * width {
      while shared < min(m, tables.validRows) && tables.order[shared] == order[shared] { shared += 1 }
    } else {
      tables.best = [Double](repeating: .infinity, count: (m + 1) * width)
      tables.fullest = [Double](repeating: .infinity, count: (m + 1) * width)
      tables.start = [Int](repeating: -1, count: (m + 1) * width)
      // The stage holding the first text unit, along the best path (for the return hop).
      tables.textStage = [Int](repeating: -1, count: (m + 1) * width)
    }
    tables.order = order
    var best = tables.best
    var fullest = tables.fullest
    var start = tables.start
    var textStage = tables.textStage
    tables.best = []
    tables.fullest = []
    tables.start = []
    tables.textStage = []
    defer {
      (tables.best, tables.fullest, tables.start, tables.textStage) = (best, fullest, start, textStage)
    }
    // Rows 0...shared are those of the previous order; recompute the rest.
    for cell in ((shared + 1) * width)..<((m + 1) * width) {
      best[cell] = .infinity
      fullest[cell] = .infinity
      start[cell] = -1
      textStage[cell] = -1
    }
    best[0] = 0
    fullest[0] = 0
    let firstText = self.firstTextUnit
    var lastRow = m
    for j in shared..<m {
      let gpu = order[j]
      let capacity = Int64(Double(problem.capacity(of: .gpu(gpu))?.value ?? 0) * fill)
      let inverseCapacity = 1 / Double(max(capacity, 1))
      let times = unitSeconds[problem.gpus[gpu].name]!
      let link = j > 0 ? problem.topology.link(from: order[j - 1], to: gpu) : nil
      let row = j * width
      let next = row + width
      for a in (j == 0 ? 0 : 1)..<n where best[row + a].isFinite {
        var hop = 0.0
        if let link, let bytes = hopBytes[a - 1] { hop = cost.hop(bytes: bytes, on: link) }
        let previous = best[row + a]
        let previousFullest = fullest[row + a]
        let inheritedText = textStage[row + a]
        var fixedBytes: Int64 = 0
        var peak: Int64 = 0
        var runsText = false
        var stage = 0.0
        for i in a..<n {
          // Terms are far below 2^62 for any model that fits a GPU; saturate only past that.
          fixedBytes = fixedBytes.saturatingAdd(fixed[i])
          if transient[i] > peak { peak = transient[i] }
          runsText = runsText || textUnit[i]
          let total = fixedBytes.saturatingAdd(peak).saturatingAdd(runsText ? residual : 0).saturatingAdd(
            reserve)
          if total > capacity { break }
          stage += times[i]
          let candidate = objective == .latency ? previous + hop + stage : max(previous, hop, stage)
          let utilisation = max(previousFullest, Double(total) * inverseCapacity)
          let cell = next + i + 1
          if Self.isBetter(candidate, utilisation, than: best[cell], fullest[cell]) {
            best[cell] = candidate
            fullest[cell] = utilisation
            start[cell] = a
            textStage[cell] = (a <= firstText && firstText <= i) ? j : inheritedText
          }
        }
      }
      // Stop extending this order once every partial plan of row j + 1 is beaten by the bound.
      if bound.isFinite {
        let row = (j + 1) * width
        let hopeless = (0..<n).allSatisfy { i in
          let value = best[row + i]
          guard value.isFinite else { return true }
          // An unfinished plan (i < n) continues on another GPU, so it pays the dispatch hooks too.
          let lowerBound =
            objective == .latency ? value + restSeconds[i] + dispatchSeconds : max(value, restSeconds[i])
          return lowerBound > bound * (1 + Self.tolerance)
        }
        if hopeless {
          lastRow = j + 1
          break
        }
      }
    }
    tables.validRows = lastRow
    // The number of GPUs: the best value, ties to fewer GPUs, with the return hop where it applies.
    var choice: (value: Double, fullest: Double, used: Int)?
    for used in 1...lastRow where best[used * width + n].isFinite {
      let cell = used * width + n
      var value = best[cell]
      let target = textStage[cell]
      if used > 1 && objective == .latency { value += dispatchSeconds }
      if let bytes = returnHopBytes, target >= 0, target != used - 1 {
        value += cost.hop(bytes: bytes, on: problem.topology.link(from: order[used - 1], to: order[target]))
      }
      // More GPUs only if strictly faster: "the fewest GPUs that do not make it slower".
      if choice == nil || value < choice!.value * (1 - Self.tolerance) {
        choice = (value, fullest[cell], used)
      }
    }
    guard let choice else { return nil }
    var deviceOfUnit = [Device](repeating: .gpu(order[0]), count: n)
    var i = n
    for j in stride(from: choice.used, to: 0, by: -1) {
      let a = start[j * width + i]
      for unit in a..<i { deviceOfUnit[unit] = .gpu(order[j - 1]) }
      i = a
    }
    return (choice.value, deviceOfUnit, choice.used, choice.fullest)
  }

  /// Relative tolerance under which two times count as equal.
  static let tolerance = 1e-9

  /// Faster, or as fast with an emptier fullest GPU.
  @inline(__always)
  static func isBetter(_ value: Double, _ fullest: Double, than bestValue: Double, _ bestFullest: Double)
    -> Bool
  {
    if value < bestValue * (1 - tolerance) { return true }
    return value <= bestValue * (1 + tolerance) && fullest < bestFullest
  }

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
