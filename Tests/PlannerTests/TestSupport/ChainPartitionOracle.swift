import Testing

@testable import Planner

/// The brute-force oracle of the chain partition: every GPU order and every composition of the
/// chain into contiguous ranges, evaluated independently of the DP (``ChainPartition``), with
/// its helpers.
extension ChainPartitionTests {
  /// An independent evaluator of chain placements: a GPU per contiguous range of units.
  struct Oracle {
    let problem: PlacementProblem
    let units: ChainUnits
    let terms: [(fixed: Int64, transient: Int64, runsText: Bool)]
    /// Decode seconds of each unit on each GPU (by index).
    let seconds: [[Double]]
    let capacity: [Int64]

    init(_ problem: PlacementProblem, fill: Double = 1) {
      self.problem = problem
      let units = ChainUnits(problem.model)
      self.units = units
      terms = units.memoryTerms(problem.memory)
      let layers = problem.model.layers
      let cost = problem.cost
      // A unit: its anchor, then the layers pinned to it in chain order.
      let anchors = layers.indices.filter { layers[$0].pinnedTo == nil }
      let members = anchors.map { anchor in
        [anchor] + layers.indices.filter { layers[$0].pinnedTo == layers[anchor].module }
      }
      seconds = problem.gpus.map { gpu in
        members.map { group in
          group.reduce(0.0) { total, index in
            total + (layers[index].stream == .text ? cost.decode(layers[index], on: gpu).seconds : 0)
          }
        }
      }
      capacity = problem.gpus.indices.map {
        Int64(Double(problem.capacity(of: .gpu($0))!.value) * fill)
      }
    }

    var unitCount: Int { units.count }

    /// The memory of a range of units on one GPU, as the strategy counts it.
    func memory(of range: Range<Int>) -> Int64 {
      var memory = RangeMemory()
      for unit in range { memory.add(terms[unit]) }
      return memory.total(
        residual: problem.memory.residualStream.value, reserve: problem.memory.runtime.reservePerGPU.value)
    }

    /// The value and fullest GPU of ranges placed in order; `nil` if a range does not fit.
    func evaluate(_ ranges: [(gpu: Int, units: Range<Int>)], objective: Objective)
      -> (value: Double, fullest: Double)?
    {
      let cost = problem.cost
      let topology = problem.topology
      var value = 0.0
      var fullest = 0.0
      for (position, range) in ranges.enumerated() {
        let total = memory(of: range.units)
        guard total <= capacity[range.gpu] else { return nil }
        fullest = max(fullest, Double(total) / Double(capacity[range.gpu]))
        let stage = range.units.reduce(0.0) { $0 + seconds[range.gpu][$1] }
        var hop = 0.0
        if position > 0 {
          let previous = units.layers[units.anchors[range.units.lowerBound - 1]]
          if previous.stream == .text {
            hop = cost.hop(
              bytes: cost.hopBytes(after: previous, phase: .decode),
              on: topology.link(from: ranges[position - 1].gpu, to: range.gpu))
          }
        }
        value = objective == .latency ? value + hop + stage : max(value, hop, stage)
      }
      // After the step, back to the stage that holds the first text unit: the hidden state into a
      // tied head that runs with its embedding, or the logits where the runtime returns them.
      let firstText = units.anchors.firstIndex { units.layers[$0].stream == .text }
      let textRange = firstText.flatMap { unit in ranges.firstIndex { $0.units.contains(unit) } }
      var returnBytes: Int64?
      if units.layers.contains(where: { $0.kind == .head && $0.pinnedTo != nil }),
        let last = units.anchors.last(where: { units.layers[$0].stream == .text })
      {
        returnBytes = cost.hopBytes(after: units.layers[last], phase: .decode)
      } else if objective == .latency && problem.memory.runtime.returnsLogitsToFirstGPU {
        returnBytes =
          Int64(problem.memory.workload.batch) * problem.model.vocabularySize * MemoryModel.fp32Bytes
      }
      if ranges.count > 1 && objective == .latency {
        value +=
          Double(units.layers.filter { $0.stream == .text }.count)
          * problem.memory.runtime.hostSecondsPerDispatchedLayer
      }
      if let returnBytes, let textRange, textRange != ranges.count - 1 {
        value += cost.hop(
          bytes: returnBytes, on: topology.link(from: ranges.last!.gpu, to: ranges[textRange].gpu))
      }
      return (value, fullest)
    }

    /// Every order of the GPU indices, every number of used GPUs, every composition of the units
    /// into that many non-empty contiguous ranges: the best value, and the fewest GPUs of any
    /// feasible candidate. `nil` where nothing fits.
    func bruteForce(objective: Objective) -> (value: Double, fewestGPUs: Int)? {
      var best: (value: Double, fewestGPUs: Int)?
      for order in ChainPartitionTests.permutations(of: Array(problem.gpus.indices)) {
        for used in 1...order.count where used <= unitCount {
          for starts in ChainPartitionTests.combinations(of: Array(1..<unitCount), choosing: used - 1) {
            let bounds = [0] + starts + [unitCount]
            let ranges = (0..<used).map { (gpu: order[$0], units: bounds[$0]..<bounds[$0 + 1]) }
            guard let candidate = evaluate(ranges, objective: objective) else { continue }
            best = (
              min(best?.value ?? .infinity, candidate.value), min(best?.fewestGPUs ?? .max, used)
            )
          }
        }
      }
      return best
    }
  }

  /// Every ordering of distinct items.
  static func permutations(of items: [Int]) -> [[Int]] {
    guard !items.isEmpty else { return [[]] }
    return items.indices.flatMap { index in
      var rest = items
      let first = rest.remove(at: index)
      return permutations(of: rest).map { [first] + $0 }
    }
  }

  /// Every increasing choice of `count` items.
  static func combinations(of items: [Int], choosing count: Int) -> [[Int]] {
    guard count > 0 else { return [[]] }
    guard items.count >= count else { return [] }
    let first = items[0]
    let rest = Array(items.dropFirst())
    return combinations(of: rest, choosing: count - 1).map { [first] + $0 }
      + combinations(of: rest, choosing: count)
  }

  /// The ranges of a device per unit: consecutive units on one GPU; `nil` if a GPU holds two
  /// separate ranges or a unit is off the GPUs.
  static func ranges(of deviceOfUnit: [Device]) -> [(gpu: Int, units: Range<Int>)]? {
    var result: [(gpu: Int, units: Range<Int>)] = []
    for (unit, device) in deviceOfUnit.enumerated() {
      guard case .gpu(let gpu) = device else { return nil }
      if let last = result.last, last.gpu == gpu {
        result[result.count - 1].units = last.units.lowerBound..<(unit + 1)
      } else {
        guard !result.contains(where: { $0.gpu == gpu }) else { return nil }
        result.append((gpu, unit..<(unit + 1)))
      }
    }
    return result
  }

  static func isClose(_ a: Double, _ b: Double, tolerance: Double = 1e-9) -> Bool {
    abs(a - b) <= tolerance * max(abs(a), abs(b))
  }

  static func describe(_ problem: PlacementProblem) -> String {
    "GPUs \(problem.gpus.map(\.name)), runtime \(problem.memory.runtime.name), "
      + "\(ChainUnits(problem.model).count) units"
  }
}
