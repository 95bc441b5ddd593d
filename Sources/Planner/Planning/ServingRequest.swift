/// What to serve with vLLM, on which GPUs, with which engine settings.
public struct ServingRequest: Sendable {
  public var model: ModelGraph
  /// The GPUs of one node, in device index order.
  public var gpus: [GPU]
  public var workload: Workload
  public var serving: ServingConfig
  /// `auto` and `throughput` choose the layout with the most tokens per second across the
  /// sequences that fit, `latency` the fastest single sequence, `memory` the most KV cache.
  public var strategy: Strategy
  public var runtime: RuntimeProfile
  /// Links between the GPUs of a node; `nil` infers them. Nodes are joined by the network.
  public var topology: Topology?

  public init(
    model: ModelGraph, gpus: [GPU], workload: Workload = Workload(), serving: ServingConfig = ServingConfig(),
    strategy: Strategy = .auto, runtime: RuntimeProfile = .vllm, topology: Topology? = nil
  ) {
    self.model = model
    self.gpus = gpus
    self.workload = workload
    self.serving = serving
    self.strategy = strategy
    self.runtime = runtime
    self.topology = topology
  }
}
