/// What `vllm serve` needs and does on the given GPUs: the chosen parallel layout, the memory
/// of every GPU as vLLM computes it, whether it starts (and the error it would raise if not),
/// and settings that make it start.
public struct EngineLayout: Sendable, Equatable {
  public internal(set) var model: ModelGraph
  /// The GPUs of one node, in device index order, and how many such nodes.
  public internal(set) var gpus: [GPU]
  public internal(set) var nodes: Int
  public internal(set) var workload: Workload
  /// The settings as the user gave them, and with vLLM's defaults filled in.
  public internal(set) var config: ServingConfig
  public internal(set) var settings: ServingConfig.Resolved
  public internal(set) var weightDType: DType
  public internal(set) var computeDType: DType
  public internal(set) var kvDType: DType
  public internal(set) var dtypeNotes: [String]
  public internal(set) var strategy: Strategy
  /// The chosen layout, then the others evaluated, best first.
  public internal(set) var layout: ServingLayout
  public internal(set) var alternatives: [ServingLayout]
  /// Why vLLM cannot run on these GPUs at all (no kernels for the architecture).
  public internal(set) var refusals: [String]
  /// Settings that start, each checked by planning it, where the given ones do not.
  public internal(set) var recommendations: [ServingRecommendation]
  /// Encoding the workload's images through the vision tower (nil without one).
  public internal(set) var imageSeconds: Double?
  /// Engines side by side (`--data-parallel-size`), each with ``layout`` on its own GPUs: the
  /// first replica holds devices `0 ..< tp × pp`, the next the following ones.
  public internal(set) var dataParallel = 1

  /// Whether vLLM starts with these settings.
  public var starts: Bool { refusals.isEmpty && layout.starts }
  /// Sequences of `max_model_len` tokens whose KV cache fits at once (vLLM's "maximum
  /// concurrency").
  public var concurrency: Double { Double(layout.kvTokens) / Double(settings.maxModelLen) }
  /// The GPU of device index `index` (indices count across nodes).
  public func gpu(_ index: Int) -> GPU { gpus[index % gpus.count] }
}
