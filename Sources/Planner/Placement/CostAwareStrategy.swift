/// `latency`, `throughput` and `auto`: the chain partition over the searched device orders; where
/// nothing fits, the memory-balanced placement (which then reports what does not fit).
///
/// `auto` first asks for ``autoHeadroom`` free on every GPU, and takes the full capacity only when
/// no plan leaves that much: the memory model is an estimate, and a GPU planned 99% full is one
/// allocator spike from an out-of-memory error.
struct CostAwareStrategy {
  var objective: ChainPartition.Objective
  var keepsHeadroom = false

  /// The share of each GPU `auto` leaves free where it can: the memory model's target accuracy
  /// for peak memory is 10% (the calibration issue measures it).
  static let autoHeadroom = 0.10

  func place(_ problem: PlacementProblem) -> Placement {
    var partition = ChainPartition(problem: problem, objective: objective, fill: 1 - Self.autoHeadroom)
    var best = keepsHeadroom ? partition.best() : nil
    if best == nil {
      partition = ChainPartition(problem: problem, objective: objective)
      best = partition.best()
    }
    guard let best else { return MemoryBalancedStrategy().place(problem) }
    var notes: [String] = []
    let gpuCount = problem.gpus.count
    if best.used < gpuCount {
      let unused = Set(0..<gpuCount).subtracting(
        best.deviceOfUnit.map { if case .gpu(let i) = $0 { i } else { 0 } })
      let names = unused.sorted().map { "GPU \($0) (\(problem.gpus[$0].name))" }.joined(separator: ", ")
      let reason =
        objective == .latency
        ? "a single stream runs one GPU at a time, so another GPU adds a hop and no speed"
        : "another stage would not be faster than the slowest one"
      notes.append("\(names) left unused: \(reason); the model fits without it")
    }
    return Placement(deviceMap: partition.units.deviceMap(best.deviceOfUnit), notes: notes)
  }
}
