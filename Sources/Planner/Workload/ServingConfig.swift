/// The engine arguments of `vllm serve` that decide its memory, as the user gives them; `nil`
/// means vLLM's default for the model and GPUs (``ServingConfig/Resolved``).
///
///     var serving = ServingConfig()
///     serving.maxModelLen = 4096
///     serving.maxNumSeqs = 32
///
/// The semantics are those of vLLM's V0 engine (0.5 and 0.6), whose startup profiling is where
/// the multimodal out-of-memory errors users report come from
/// (../shared/reference/anchor-runtimes.md §C).
public struct ServingConfig: Sendable, Hashable, Codable {
  /// `--max-model-len`: tokens per sequence, prompt and output. Default: the model's
  /// `max_position_embeddings`.
  public var maxModelLen: Int?
  /// `--max-num-seqs`: sequences scheduled at once. Default 256 (V0 `SchedulerConfig`).
  public var maxNumSeqs: Int?
  /// `--max-num-batched-tokens`: tokens in one forward pass. Default
  /// `max(max_model_len, 2048)` (V0 without chunked prefill).
  public var maxNumBatchedTokens: Int?
  /// `--gpu-memory-utilization`: the fraction of each GPU's total memory vLLM may use
  /// (weights, profiling peak and KV cache together). Default 0.9.
  public var gpuMemoryUtilization: Double = 0.9
  /// `--enforce-eager`: no CUDA graphs (saves their memory, costs host time per step).
  public var enforceEager = false
  /// `--tensor-parallel-size` and `--pipeline-parallel-size` when the user fixes them; `nil`
  /// lets the planner choose.
  public var tensorParallel: Int?
  public var pipelineParallel: Int?
  /// Nodes, each with the GPUs of `--gpus`: tensor parallelism stays inside a node, pipeline
  /// stages span nodes over the network.
  public var nodes = 1
  /// The vision tower's attention in the profiling run: vLLM 0.5 ran MiniCPM-V's SigLIP through
  /// transformers' `Idefics2VisionTransformer` with eager attention (vllm-project/vllm#7721);
  /// later versions use memory-efficient kernels (`--attention flash`).
  public var encoderAttention: Workload.Attention = .eager

  public init(
    maxModelLen: Int? = nil, maxNumSeqs: Int? = nil, maxNumBatchedTokens: Int? = nil,
    gpuMemoryUtilization: Double = 0.9, enforceEager: Bool = false, tensorParallel: Int? = nil,
    pipelineParallel: Int? = nil, nodes: Int = 1, encoderAttention: Workload.Attention = .eager
  ) {
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

  /// V0's default `max_num_seqs` (`vllm/config.py` `SchedulerConfig`, anchor-runtimes.md §C.3).
  public static let defaultMaxNumSeqs = 256
  /// V0's floor for `max_num_batched_tokens` without chunked prefill (§C.3).
  public static let minimumBatchedTokens = 2048
  /// Tokens per KV cache block (`--block-size` default 16, §C.2).
  public static let blockSize = 16

  /// The settings with every default filled in.
  public struct Resolved: Sendable, Hashable, Codable {
    public var maxModelLen: Int
    public var maxNumSeqs: Int
    public var maxNumBatchedTokens: Int
    public var gpuMemoryUtilization: Double
    public var enforceEager: Bool
  }

  /// The settings vLLM would run with for a model whose context limit is `maxPositions`.
  public func resolved(maxPositions: Int64?) -> Resolved {
    let length = maxModelLen ?? Int(clamping: maxPositions ?? 4096)
    return Resolved(
      maxModelLen: length, maxNumSeqs: maxNumSeqs ?? Self.defaultMaxNumSeqs,
      maxNumBatchedTokens: maxNumBatchedTokens ?? max(length, Self.minimumBatchedTokens),
      gpuMemoryUtilization: gpuMemoryUtilization, enforceEager: enforceEager)
  }
}
