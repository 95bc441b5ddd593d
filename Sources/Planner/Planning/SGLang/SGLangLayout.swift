/// What `python -m sglang.launch_server` does on the given GPUs: the tensor-parallel group and its
/// data-parallel replicas, SGLang's memory settings (computed as SGLang computes them where not
/// given), the memory of one GPU, and whether it starts.
public struct SGLangLayout: Sendable, Equatable {
  public internal(set) var model: ModelGraph
  public internal(set) var gpus: [GPU]
  public internal(set) var workload: Workload
  public internal(set) var config: SGLangConfig
  public internal(set) var weightDType: DType
  public internal(set) var computeDType: DType
  public internal(set) var kvDType: DType
  public internal(set) var dtypeNotes: [String]
  /// `--tp` and `--dp`.
  public internal(set) var tensorParallel: Int
  public internal(set) var dataParallel: Int
  /// The smallest GPU's memory as `nvidia-smi` reports it, in MiB.
  public internal(set) var gpuMiB: Double
  public internal(set) var chunkedPrefill: Int
  public internal(set) var decodeMaxBatch: Int
  /// The reserve behind the default fraction (MiB; `nil` where the fraction was given).
  public internal(set) var reserveMiB: Double?
  public internal(set) var memFractionStatic: Double
  public internal(set) var contextLength: Int
  /// One GPU: weights, the KV cache pool, and the KV bytes of one token.
  public internal(set) var weightsPerGPU: ByteCount
  public internal(set) var kvPool: ByteCount
  public internal(set) var kvBytesPerToken: Int64
  /// What SGLang raises starting this layout, if anything.
  public internal(set) var failure: String?
  /// Seconds per token of one sequence, the prefill of one prompt, and the tokens per second of
  /// all replicas at the workload's batch.
  public internal(set) var decodeSecondsPerToken: Double
  public internal(set) var prefillSeconds: Double
  public internal(set) var throughputTokensPerSecond: Double
  /// Those times with the range measured ones fall in (the runtime's ``TimeSpread``).
  public internal(set) var ranges: SpeedRanges

  /// Tokens of KV cache one replica holds (`max_total_num_tokens`).
  public var kvTokens: Int64 { kvBytesPerToken > 0 ? max(0, kvPool.value) / kvBytesPerToken : 0 }
  public var starts: Bool { failure == nil }
  /// Whether one request of the context length fits the KV cache.
  public var holdsContext: Bool { kvTokens >= Int64(contextLength) }
}
