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
/// - Complexity: O(*g* · *n*²) for *g* GPUs and *n* layers (each range is extended one layer at a
///   time, its memory kept incrementally).
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

    // best[j][i]: the smallest largest-utilisation placing units 0..<i on GPUs 0..<j.
    var best = Array(repeating: Array(repeating: Double.infinity, count: n + 1), count: gpuCount + 1)
    var start = Array(repeating: Array(repeating: 0, count: n + 1), count: gpuCount + 1)
    best[0][0] = 0
    for j in 0..<gpuCount {
      let capacity = Double(problem.capacity(of: .gpu(j))?.value ?? 0)
      for a in 0...n where best[j][a].isFinite {
        // The empty range.
        if best[j][a] < best[j + 1][a] {
          best[j + 1][a] = best[j][a]
          start[j + 1][a] = a
        }
        var range = RangeMemory()
        for i in a..<n {
          range.add(terms[i])
          let utilisation =
            capacity > 0 ? Double(range.total(residual: residual, reserve: reserve)) / capacity : .infinity
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
}
