/// A vLLM engine's parallel layout: `tp` GPUs per tensor-parallel group, `pp` groups as pipeline
/// stages, each stage a contiguous range of decoder layers; and what it does with them.
public struct ServingLayout: Sendable {
  /// One pipeline stage: a tensor-parallel group of identical GPUs and its decoder layers.
  public struct Stage: Sendable {
    /// Device indices, counted across nodes (node `n` holds `n × gpusPerNode ..< (n+1) × ...`).
    public var gpus: [Int]
    public var node: Int
    /// Indices among the model's decoder layers.
    public var decoderLayers: Range<Int>
    /// The accounting of one GPU of the group (the group's GPUs are identical).
    public var memory: RankMemory
    /// Seconds per decode step through this stage at batch 1, all-reduces included.
    public var decodeSeconds: Double
  }

  public var tensorParallel: Int
  public var pipelineParallel: Int
  public var stages: [Stage]
  /// KV cache blocks per GPU: vLLM gives every rank the smallest count of any rank (§C.2).
  public var blocks: Int64
  /// Seconds per token of one sequence (batch 1): stages, hops and all-reduces.
  public var decodeSecondsPerToken: Double
  /// Sequences decoding at once for the throughput figure, and the tokens per second they get.
  public var throughputBatch: Int
  public var throughputTokensPerSecond: Double
  /// The prefill of one prompt of the workload's context.
  public var prefillSeconds: Double
  /// All-reduce seconds per decode step at batch 1 (0 without tensor parallelism).
  public var allReduceSeconds: Double
  /// Seconds of the hops between stages per decode step.
  public var hopSeconds: Double
  /// What vLLM raises starting this layout, if anything.
  public var failure: ServingFailure?
  /// vLLM's own layer partition (`get_pp_indices`: equal counts, the remainder to the middle
  /// stages) and the KV blocks it would leave, where it differs from the planned one.
  public var defaultPartition: (counts: [Int], blocks: Int64)?

  /// Tokens of KV cache the engine holds.
  public var kvTokens: Int64 { blocks * Int64(ServingConfig.blockSize) }
  /// Decoder layers per stage (`VLLM_PP_LAYER_PARTITION`).
  public var partition: [Int] { stages.map(\.decoderLayers.count) }
  public var starts: Bool { failure == nil }
}

/// vLLM's default split of `layers` decoder layers over `stages` pipeline stages
/// (`vllm/distributed/utils.py::get_pp_indices`, anchor-runtimes.md §C.5): equal counts, and the
/// remainder one each to the stages before the last, from the second-to-last backwards.
public func vllmDefaultPartition(layers: Int, stages: Int) -> [Int] {
  guard stages > 0 else { return [] }
  var counts = Array(repeating: layers / stages, count: stages)
  let remainder = layers % stages
  if remainder > 0 {
    for i in 2...(remainder + 1) where stages - i >= 0 { counts[stages - i] += 1 }
  }
  return counts
}
