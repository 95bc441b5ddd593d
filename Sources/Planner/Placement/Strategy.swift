/// What placed a device map: one of the planner's objectives or one of accelerate's modes,
/// behind one seam (``place(_:)``). Requests name an ``Objective`` and, for transformers, an
/// ``AccelerateMode``; a plan and `--compare` name the strategy that placed it.
public enum Strategy: String, Sendable, Hashable, CaseIterable, Codable {
  /// The planner's default: `latency` for one sequence (or a runtime that does not pipeline
  /// stages), `throughput` for several sequences on one that does; on the fewest GPUs that do
  /// not make it slower.
  case auto
  /// Minimise single-stream decode time per token, within the memory caps.
  case latency
  /// Minimise the slowest stage (pipelined throughput), within the memory caps.
  case throughput
  /// Contiguous layers per GPU, balancing each GPU's share of its own capacity (weights, KV cache,
  /// activations and reserve all counted).
  case memory
  /// accelerate's `device_map="sequential"`: fill GPU 0, then GPU 1, ...
  case sequential
  /// accelerate's `device_map="balanced"` (and `"auto"`).
  case balanced
  /// accelerate's `device_map="balanced_low_0"`.
  case balancedLow0 = "balanced_low_0"

  /// The strategy of an objective.
  public init(_ objective: Objective) {
    switch objective {
    case .auto: self = .auto
    case .latency: self = .latency
    case .throughput: self = .throughput
    case .memory: self = .memory
    }
  }

  /// The strategy of one of accelerate's modes.
  public init(_ mode: AccelerateMode) {
    switch mode {
    case .sequential: self = .sequential
    case .balanced: self = .balanced
    case .balancedLow0: self = .balancedLow0
    }
  }

  /// The objective it plans for, or nil for one of accelerate's modes.
  public var objective: Objective? { Objective(rawValue: rawValue) }

  /// accelerate's mode it reproduces, or nil for one of the planner's objectives.
  public var accelerateMode: AccelerateMode? { AccelerateMode(rawValue: rawValue) }

  /// Whether this strategy reproduces accelerate (by weights only) rather than planning the workload.
  public var isAccelerateParity: Bool { self == .sequential || self == .balanced || self == .balancedLow0 }

  /// Places the problem's model.
  ///
  /// - Complexity: that of the strategy: ``ChainPartition`` (O(*m* · *n* · *r*) per searched GPU order) for
  ///   auto, latency and throughput, ``MemoryBalancedStrategy``'s search for memory, accelerate's own pass
  ///   for its modes. Ties: each strategy's own (the earlier split, the fewer GPUs).
  public func place(_ problem: PlacementProblem) -> Placement {
    switch self {
    case .auto: CostAwareStrategy(objective: autoObjective(for: problem), keepsHeadroom: true).place(problem)
    case .latency: CostAwareStrategy(objective: .latency).place(problem)
    case .throughput: throughputPlacement(problem)
    case .memory: MemoryBalancedStrategy().place(problem)
    case .sequential, .balanced, .balancedLow0: AccelerateStrategy(strategy: self).place(problem)
    }
  }

  /// The slowest stage where the runtime pipelines stages; where it does not (transformers runs
  /// one GPU at a time), throughput is the batch over the whole step, which the latency plan
  /// already minimises.
  func throughputPlacement(_ problem: PlacementProblem) -> Placement {
    guard !problem.memory.runtime.pipelinesStages else {
      return CostAwareStrategy(objective: .throughput).place(problem)
    }
    var placement = CostAwareStrategy(objective: .latency).place(problem)
    placement.notes.insert(
      "\(problem.memory.runtime.name) runs one GPU at a time, so throughput is the batch over the whole step: "
        + "the fastest step is also the best throughput (--runtime vllm pipelines stages)", at: 0)
    return placement
  }

  /// What `auto` minimises: the slowest stage when several sequences flow through a runtime that
  /// pipelines stages, else the time per step.
  func autoObjective(for problem: PlacementProblem) -> ChainPartition.Objective {
    problem.memory.workload.batch > 1 && problem.memory.runtime.pipelinesStages ? .throughput : .latency
  }
}
