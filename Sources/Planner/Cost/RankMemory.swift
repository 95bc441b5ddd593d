/// What one GPU of a vLLM engine holds, as vLLM's startup computes it: weights, the activation
/// peak of the profiling run, memory outside PyTorch, and the KV cache blocks left within
/// `total × gpu_memory_utilization`; CUDA graphs are captured afterwards, from what is left.
public struct RankMemory: Sendable, Hashable, Codable {
  /// The GPU's total memory as CUDA reports it (`torch.cuda.mem_get_info()[1]`).
  public internal(set) var total: ByteCount
  /// `total × gpu_memory_utilization`: what vLLM allows itself.
  public internal(set) var budget: ByteCount
  public internal(set) var weights: ByteCount
  /// The profiling run's activation peak (text forward of `max_num_batched_tokens` or, on the last
  /// stage, the sampler after it; or the vision tower on the dummy images, whichever is larger).
  public internal(set) var activationPeak: ByteCount
  /// The vision tower's share of the profiling run (0 without one, or on later stages).
  public internal(set) var encoderPeak: ByteCount
  /// Dummy images the profiling run pushes through the vision tower.
  public internal(set) var dummyImages: Int
  public internal(set) var nonTorch: ByteCount
  /// `budget − weights − activation peak − non-torch`; negative when nothing is left.
  public internal(set) var kvAvailable: ByteCount
  /// Bytes of one KV block (16 tokens) across this GPU's layers.
  public internal(set) var blockBytes: Int64
  /// Blocks that fit in `kvAvailable`.
  public internal(set) var blocks: Int64
  /// What the CUDA graphs need, and what is free when they are captured (after the KV cache
  /// is allocated and the profiling activations are freed).
  public internal(set) var cudaGraphs: ByteCount
  public internal(set) var freeForGraphs: ByteCount
  /// What a process can allocate beside its CUDA context.
  public internal(set) var usable: ByteCount

  /// What the GPU holds once serving: weights, KV cache, non-torch memory and graphs.
  public var kvCache: ByteCount { ByteCount(.saturatingProduct(blocks, blockBytes)) }
}
