/// Contiguous layers per GPU, chosen so that the fullest GPU is as empty as possible.
///
/// Each GPU `j` gets a contiguous range of the execution chain (possibly empty), in device index
/// order. A range's memory is the full memory model (weights, KV cache, activation peak, runtime
/// reserve); its utilisation is that memory over the GPU's capacity. The strategy minimises the
/// largest utilisation, exactly, by dynamic programming over (device, chain prefix):
///
///     best[j + 1][i] = min over a ≤ i of max(best[j][a], utilisation of layers a..<i on GPU j)
///
/// A plan fits when that minimum is at most 1. Unlike accelerate it counts the KV cache and
/// activations, weighs each GPU by its own size, and never leaves a GPU idle while another is
/// over-full. Layers pinned to another (a tied LM head) go wherever their anchor goes.
///
/// Ties are broken towards giving the current device the longest range (the smallest `a`), so the
/// result is deterministic.
///
/// - Complexity: O(*g* · *n*²) for *g* GPUs and *n* layers in the worst case (each range is
///   extended one layer at a time, its memory kept incrementally); ranges and prefixes past an
///   upper bound of the optimum (a greedy fill under a bisected threshold) are skipped, which
///   leaves the result, ties included, unchanged: every state on an optimal path is at most the
///   optimum, and every candidate of such a state at most the bound is still compared in order.
struct MemoryBalancedStrategy {
  func place(_ problem: PlacementProblem) -> Placement { solve(problem).placement }

  /// Whether every GPU stays within its capacity (the smallest largest utilisation is at most 1),
  /// without building the placement's plan.
  func fits(_ problem: PlacementProblem) -> Bool { solve(problem).fullest <= 1 }

  /// The placement, its largest utilisation, and the memory it needs on all GPUs together.
  func solve(_ problem: PlacementProblem) -> (placement: Placement, fullest: Double, needed: ByteCount) {
    let memory = problem.memory
    let units = ChainUnits(problem.model)
    let terms = units.memoryTerms(memory)
    let n = units.count
    let gpuCount = problem.gpus.count
    let residual = memory.residualStream.value
    let reserve = memory.runtime.reservePerGPU.value

    func utilisation(_ range: RangeMemory, _ capacity: Double) -> Double {
      capacity > 0 ? Double(range.total(residual: residual, reserve: reserve)) / capacity : .infinity
    }
    let capacities = (0..<gpuCount).map { Double(problem.capacity(of: .gpu($0))?.value ?? 0) }
    let bound = Self.upperBound(terms: terms, capacities: capacities, utilisation: utilisation)

    // best[j][i]: the smallest largest-utilisation placing units 0..<i on GPUs 0..<j.
    var best = Array(repeating: Array(repeating: Double.infinity, count: n + 1), count: gpuCount + 1)
    var start = Array(repeating: Array(repeating: 0, count: n + 1), count: gpuCount + 1)
    best[0][0] = 0
    for j in 0..<gpuCount {
      let capacity = capacities[j]
      for a in 0...n where best[j][a].isFinite && best[j][a] <= bound {
        // The empty range.
        if best[j][a] < best[j + 1][a] {
          best[j + 1][a] = best[j][a]
          start[j + 1][a] = a
        }
        var range = RangeMemory()
        for i in a..<n {
          range.add(terms[i])
          let utilisation = utilisation(range, capacity)
          // A range only grows: once past the bound, no longer one can be on an optimal placement.
          if utilisation > bound { break }
          let candidate = max(best[j][a], utilisation)
          if candidate < best[j + 1][i + 1] {
            best[j + 1][i + 1] = candidate
            start[j + 1][i + 1] = a
          }
        }
      }
    }
    // Walk back from the last GPU; if nothing is finite (no GPU can hold a layer), put every unit on GPU 0.
    var deviceOfUnit = [Device](repeating: .gpu(0), count: n)
    var needed = ByteCount.zero
    if gpuCount > 0 && best[gpuCount][n].isFinite {
      var i = n
      for j in stride(from: gpuCount, to: 0, by: -1) {
        let a = start[j][i]
        var range = RangeMemory()
        for unit in a..<i {
          deviceOfUnit[unit] = .gpu(j - 1)
          range.add(terms[unit])
        }
        if a < i { needed = needed + ByteCount(range.total(residual: residual, reserve: reserve)) }
        i = a
      }
    }
    return (
      Placement(deviceMap: units.deviceMap(deviceOfUnit)), gpuCount > 0 ? best[gpuCount][n] : .infinity,
      needed
    )
  }

  /// An upper bound of the smallest largest utilisation: the smallest threshold (to within 2^-40
  /// of the all-on-the-first-GPUs value) under which filling the GPUs greedily in order places
  /// every unit. Greedy filling decides a threshold exactly, as a range's memory never grows by
  /// dropping units from its start; the value is that of a real placement, so never below the
  /// optimum. Infinite where no threshold works (a GPU without capacity is needed).
  static func upperBound(
    terms: [(fixed: Int64, transient: Int64, runsText: Bool)], capacities: [Double],
    utilisation: (RangeMemory, Double) -> Double
  ) -> Double {
    /// The largest utilisation of the greedy fill under `threshold`, or infinity if it fails.
    func fill(_ threshold: Double) -> Double {
      var next = 0
      var largest = 0.0
      for capacity in capacities where next < terms.count {
        var range = RangeMemory()
        var used = 0.0
        while next < terms.count {
          var extended = range
          extended.add(terms[next])
          let value = utilisation(extended, capacity)
          guard value <= threshold else { break }
          (range, used) = (extended, value)
          next += 1
        }
        largest = max(largest, used)
      }
      return next == terms.count ? largest : .infinity
    }
    var high = fill(.greatestFiniteMagnitude)
    guard high.isFinite else { return .infinity }
    var low = 0.0
    for _ in 0..<40 {
      let middle = (low + high) / 2
      let value = fill(middle)
      if value.isFinite { high = value } else { low = middle }
    }
    return high
  }
}
