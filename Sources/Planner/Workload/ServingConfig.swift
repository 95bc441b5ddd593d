/// The engine arguments of `vllm serve` that decide its memory, as the user gives them; `nil`
/// means vLLM's default for the model and GPUs (``ServingConfig/Resolved``).
///
///     var serving = ServingConfig()
///     serving.maxModelLen = 4096
///     serving.maxNumSeqs = 32
///
/// `version` says which engine's semantics apply: vLLM 0.33's V1 engine by default, or V0 (0.5 and
/// 0.6), whose startup profiling is where the seed's multimodal out-of-memory errors came from
/// (``VLLMVersion``).
public struct ServingConfig: Sendable, Hashable, Codable {
  /// The engine modelled (`--vllm-version`).
  public var version: VLLMVersion = .v1
  /// `--max-model-len`: tokens per sequence, prompt and output. Default: the model's
  /// `max_position_embeddings`.
  public var maxModelLen: Int?
  /// `--max-model-len auto` (V1): the longest length whose KV cache fits, at most the model's.
  public var autoMaxModelLen = false
  /// `--max-num-seqs`: sequences scheduled at once. Default: V1 1024 on GPUs of 70 GiB or more,
  /// else 256; V0 256 (`SchedulerConfig`).
  public var maxNumSeqs: Int?
  /// `--max-num-batched-tokens`: tokens in one forward pass. Default: V1 by GPU memory (API
  /// server: 16384 from 160 GiB, 8192 from 70 GiB except A100s, else 2048); V0
  /// `max(max_model_len, 2048)` (no chunked prefill).
  public var maxNumBatchedTokens: Int?
  /// `--gpu-memory-utilization`: the fraction of each GPU's total memory vLLM may use
  /// (weights, profiling peak and KV cache together). Default: V1 0.92, V0 0.9.
  public var gpuMemoryUtilization: Double?
  /// `--kv-cache-memory-bytes` (V1): the KV cache's size per GPU, replacing what the profile
  /// leaves (the profile still runs).
  public var kvCacheMemoryBytes: Int64?
  /// `--limit-mm-per-prompt` (V1): items of the multimodal modality per prompt; default 1 here
  /// (the planner's image workload).
  public var limitMMPerPrompt: Int?
  /// `--skip-mm-profiling` (V1): no multimodal step in the profile run.
  public var skipMMProfiling = false
  /// `--enforce-eager`: no CUDA graphs (saves their memory, costs host time per step).
  public var enforceEager = false
  /// `--tensor-parallel-size` and `--pipeline-parallel-size` when the user fixes them; `nil`
  /// lets the planner choose.
  public var tensorParallel: Int?
  public var pipelineParallel: Int?
  /// Nodes, each with the GPUs of `--gpus`: tensor parallelism stays inside a node, pipeline
  /// stages span nodes over the network.
  public var nodes = 1
  /// The vision tower's attention in the profiling run; `nil` is the version's
  /// (``resolvedEncoderAttention``).
  public var encoderAttention: Workload.Attention?

  /// vLLM 0.5 ran MiniCPM-V's SigLIP through transformers' `Idefics2VisionTransformer` with eager
  /// attention (vllm-project/vllm#7721): V0 is eager. V1's vision towers use vLLM's own
  /// memory-efficient attention (no score matrix): sdpa.
  public var resolvedEncoderAttention: Workload.Attention {
    encoderAttention ?? (version == .v1 ? .sdpa : .eager)
  }

  public init(
    version: VLLMVersion = .v1, maxModelLen: Int? = nil, maxNumSeqs: Int? = nil,
    maxNumBatchedTokens: Int? = nil,
    gpuMemoryUtilization: Double? = nil, enforceEager: Bool = false, tensorParallel: Int? = nil,
    pipelineParallel: Int? = nil, nodes: Int = 1, encoderAttention: Workload.Attention? = nil
  ) {
    self.version = version
    self.maxModelLen = maxModelLen
    self.maxNumSeqs = maxNumSeqs
    self.maxNumBatchedTokens = maxNumBatchedTokens
    self.gpuMemoryUtilization = gpuMemoryUtilization
    self.enforceEager = enforceEager
    self.tensorParallel = tensorParallel
    self.pipelineParallel = pipelineParallel
    self.nodes = nodes
    self.encoderAttention = encoderAttention
  }

  /// V0's default `max_num_seqs` (`vllm/config.py` `SchedulerConfig`, anchor-runtimes.md §C.3),
  /// and V1's below 70 GiB.
  public static let defaultMaxNumSeqs = 256
  /// V0's floor for `max_num_batched_tokens` without chunked prefill (§C.3).
  public static let minimumBatchedTokens = 2048
  /// Tokens per KV cache block (`--block-size` default 16, §C.2).
  public static let blockSize = 16

  /// The settings with every default filled in.
  public struct Resolved: Sendable, Hashable, Codable {
    public var version: VLLMVersion
    public var maxModelLen: Int
    public var maxNumSeqs: Int
    public var maxNumBatchedTokens: Int
    public var gpuMemoryUtilization: Double
    public var enforceEager: Bool
    public var kvCacheMemoryBytes: Int64?
    public var limitMMPerPrompt: Int
    public var skipMMProfiling: Bool
  }

  /// The settings vLLM would run with for a model whose context limit is `maxPositions`, on GPUs
  /// whose first is `gpu` (V1's defaults depend on its memory and name).
  ///
  /// V1 (`engine/arg_utils.py` `get_batch_defaults`, API server column): `max_num_batched_tokens`
  /// 16384 and `max_num_seqs` 1024 from 160 GiB; 8192 and 1024 from 70 GiB unless the GPU is an
  /// A100; else 2048 and 256; then the batched tokens at most `max_num_seqs × max_model_len`
  /// and `max_num_seqs` at most the batched tokens.
  public func resolved(maxPositions: Int64?, gpu: GPU? = nil) -> Resolved {
    let length = maxModelLen ?? Int(clamping: maxPositions ?? 4096)
    var seqs = maxNumSeqs ?? Self.defaultMaxNumSeqs
    var batched = maxNumBatchedTokens ?? max(length, Self.minimumBatchedTokens)
    if version == .v1 {
      let gib = Double(gpu?.cudaTotal.value ?? 0) / Double(1 << 30)
      let isA100 = gpu?.name.uppercased().hasPrefix("A100") ?? false
      let (defaultBatched, defaultSeqs) =
        gib >= 160 ? (16384, 1024) : gib >= 70 && !isA100 ? (8192, 1024) : (2048, Self.defaultMaxNumSeqs)
      seqs = maxNumSeqs ?? defaultSeqs
      batched =
        maxNumBatchedTokens ?? min(defaultBatched, seqs.multipliedReportingOverflow(by: length).partialValue)
      if maxNumSeqs == nil { seqs = min(seqs, batched) }
    }
    return Resolved(
      version: version, maxModelLen: length, maxNumSeqs: seqs, maxNumBatchedTokens: batched,
      gpuMemoryUtilization: gpuMemoryUtilization ?? (version == .v1 ? 0.92 : 0.9), enforceEager: enforceEager,
      kvCacheMemoryBytes: version == .v1 ? kvCacheMemoryBytes : nil,
      limitMMPerPrompt: max(limitMMPerPrompt ?? 1, 0),
      skipMMProfiling: version == .v1 && skipMMProfiling)
  }
}
