/// A vLLM engine's parallel layout: `tp` GPUs per tensor-parallel group, `pp` groups as pipeline
/// stages, each stage a contiguous range of decoder layers; and what it does with them.
public struct ServingLayout: Sendable, Equatable {
  /// One pipeline stage: a tensor-parallel group of identical GPUs and its decoder layers.
  public struct Stage: Sendable, Equatable {
    /// Device indices, counted across nodes (node `n` holds `n × gpusPerNode ..< (n+1) × ...`).
    public internal(set) var gpus: [Int]
    public internal(set) var node: Int
    /// Indices among the model's decoder layers.
    public internal(set) var decoderLayers: Range<Int>
    /// The accounting of one GPU of the group (the group's GPUs are identical).
    public internal(set) var memory: RankMemory
    /// Seconds per decode step through this stage at batch 1, all-reduces included.
    public internal(set) var decodeSeconds: Double
  }

  public internal(set) var tensorParallel: Int
  public internal(set) var pipelineParallel: Int
  public internal(set) var stages: [Stage]
  /// KV cache blocks per GPU: vLLM gives every rank the smallest count of any rank (§C.2).
  public internal(set) var blocks: Int64
  /// Seconds per token of one sequence (batch 1): stages, hops and all-reduces.
  public internal(set) var decodeSecondsPerToken: Double
  /// Sequences decoding at once for the throughput figure, and the tokens per second they get.
  public internal(set) var throughputBatch: Int
  public internal(set) var throughputTokensPerSecond: Double
  /// The prefill of one prompt of the workload's context.
  public internal(set) var prefillSeconds: Double
  /// All-reduce seconds per decode step at batch 1 (0 without tensor parallelism).
  public internal(set) var allReduceSeconds: Double
  /// Seconds of the hops between stages per decode step.
  public internal(set) var hopSeconds: Double
  /// What vLLM raises starting this layout, if anything.
  public internal(set) var failure: ServingFailure?
  /// vLLM's own layer partition (`get_pp_indices`: equal counts, the remainder to the middle
  /// stages) and the KV blocks it would leave, where it differs from the planned one.
  public internal(set) var defaultPartition: (counts: [Int], blocks: Int64)?

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

extension ServingLayout {
  public static func == (a: ServingLayout, b: ServingLayout) -> Bool {
    a.tensorParallel == b.tensorParallel && a.pipelineParallel == b.pipelineParallel && a.stages == b.stages
      && a.blocks == b.blocks && a.decodeSecondsPerToken == b.decodeSecondsPerToken
      && a.throughputBatch == b.throughputBatch && a.throughputTokensPerSecond == b.throughputTokensPerSecond
      && a.prefillSeconds == b.prefillSeconds && a.allReduceSeconds == b.allReduceSeconds
      && a.hopSeconds == b.hopSeconds && a.failure == b.failure
      && a.defaultPartition?.counts == b.defaultPartition?.counts
      && a.defaultPartition?.blocks == b.defaultPartition?.blocks
  }
}
