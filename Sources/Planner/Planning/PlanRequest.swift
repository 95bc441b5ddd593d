/// What to plan: a model on GPUs for a workload, with a strategy.
public struct PlanRequest: Sendable {
  public var model: ModelGraph
  /// The GPUs in device index order.
  public var gpus: [GPU]
  public var workload: Workload
  public var strategy: Strategy
  /// The user's `--max-memory`, in accelerate's form.
  public var maxMemory: MaxMemory?
  public var runtime: RuntimeProfile
  /// The links between the GPUs; `nil` infers them from the GPU models.
  public var topology: Topology?

  public init(
    model: ModelGraph, gpus: [GPU], workload: Workload = Workload(), strategy: Strategy = .auto,
    maxMemory: MaxMemory? = nil, runtime: RuntimeProfile = .transformers, topology: Topology? = nil
  ) {
    self.model = model
    self.gpus = gpus
    self.workload = workload
    self.strategy = strategy
    self.maxMemory = maxMemory
    self.runtime = runtime
    self.topology = topology
  }
}
