/// What `vllm serve` needs and does on the given GPUs: the chosen parallel layout, the memory
/// of every GPU as vLLM computes it, whether it starts (and the error it would raise if not),
/// and settings that make it start.
public struct EngineLayout: Sendable {
  public var model: ModelGraph
  /// The GPUs of one node, in device index order, and how many such nodes.
  public var gpus: [GPU]
  public var nodes: Int
  public var workload: Workload
  /// The settings as the user gave them, and with vLLM's defaults filled in.
  public var config: ServingConfig
  public var settings: ServingConfig.Resolved
  public var weightDType: DType
  public var computeDType: DType
  public var kvDType: DType
  public var dtypeNotes: [String]
  public var strategy: Strategy
  /// The chosen layout, then the others evaluated, best first.
  public var layout: ServingLayout
  public var alternatives: [ServingLayout]
  /// Why vLLM cannot run on these GPUs at all (no kernels for the architecture).
  public var refusals: [String]
  /// Settings that start, each checked by planning it, where the given ones do not.
  public var recommendations: [ServingRecommendation]
  /// Encoding the workload's images through the vision tower (nil without one).
  public var imageSeconds: Double?

  /// Whether vLLM starts with these settings.
  public var starts: Bool { refusals.isEmpty && layout.starts }
  /// Sequences of `max_model_len` tokens whose KV cache fits at once (vLLM's "maximum
  /// concurrency").
  public var concurrency: Double { Double(layout.kvTokens) / Double(settings.maxModelLen) }
  /// The GPU of device index `index` (indices count across nodes).
  public func gpu(_ index: Int) -> GPU { gpus[index % gpus.count] }
}
