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
  func place(_ problem: PlacementProblem) -> Placement {
    let memory = problem.memory
    let layers = problem.model.layers
    // Units: the unpinned layers; each carries the layers pinned to it.
    let units = layers.indices.filter { layers[$0].pinnedTo == nil }
    var attached: [Int: [Int]] = [:]
    for (index, layer) in layers.enumerated() {
      if let anchor = layer.pinnedTo, let unit = units.first(where: { layers[$0].module == anchor }) {
        attached[unit, default: []].append(index)
      }
    }
    struct UnitCost {
      var fixed: Int64  // weights and KV cache
      var transient: Int64
      var runsText: Bool
    }
    let costs = units.map { unit -> UnitCost in
      let members = [unit] + attached[unit, default: []]
      return UnitCost(
        fixed: members.reduce(0) {
          $0 + memory.weights(of: layers[$1]).value + memory.kvCache(of: layers[$1]).value
        },
        transient: members.map { memory.transient(of: layers[$0]).value }.max() ?? 0,
        runsText: members.contains { layers[$0].stream == .text && layers[$0].kind != .rotary })
    }
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
        var fixed: Int64 = 0
        var peak: Int64 = 0
        var runsText = false
        for i in a..<n {
          fixed += costs[i].fixed
          peak = max(peak, costs[i].transient)
          runsText = runsText || costs[i].runsText
          let total = fixed + peak + (runsText ? residual : 0) + reserve
          let utilisation = capacity > 0 ? Double(total) / capacity : .infinity
          let candidate = max(best[j][a], utilisation)
          if candidate < best[j + 1][i + 1] {
            best[j + 1][i + 1] = candidate
            start[j + 1][i + 1] = a
          }
        }
      }
    }
    // Walk back from the last GPU; if nothing is finite (no GPU can hold a layer), put every unit on GPU 0.
    var deviceOfUnit = Array(repeating: 0, count: n)
    if gpuCount > 0 && best[gpuCount][n].isFinite {
      var i = n
      for j in stride(from: gpuCount, to: 0, by: -1) {
        let a = start[j][i]
        for unit in a..<i { deviceOfUnit[unit] = j - 1 }
        i = a
      }
    }
    var deviceOfLayer = Array(repeating: 0, count: layers.count)
    for (position, unit) in units.enumerated() {
      deviceOfLayer[unit] = deviceOfUnit[position]
      for member in attached[unit, default: []] { deviceOfLayer[member] = deviceOfUnit[position] }
    }
    return Placement(deviceMap: layers.indices.map { (layers[$0].module, .gpu(deviceOfLayer[$0])) })
  }
}
