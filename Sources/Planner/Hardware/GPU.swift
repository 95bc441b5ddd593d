/// A GPU model: what a placement needs to know about one card.
///
/// Rates are datasheet peaks for dense math (no sparsity). A rate is `nil` where the card has no
/// native support for the type; ``peakFLOPS(computing:)`` then answers with the rate the card
/// really runs that type at (for example fp16 on Pascal sm_61 is computed in fp32).
public struct GPU: Sendable, Hashable, Codable {
  /// The canonical name, as `planner gpus` lists it (`"P4"`, `"A100-80G-SXM"`).
  public var name: String
  /// Other names people type; matched case-insensitively, ignoring `-`, `_` and spaces.
  public var aliases: [String]
  /// Architecture and die, for people: `"Pascal GP104"`.
  public var architecture: String
  /// CUDA compute capability as `major * 10 + minor` (61 for sm_61). For an AMD GPU
  /// (``rocmTarget`` set) it is the CUDA level with the same native types (80: bf16; 90: bf16 and
  /// fp8), for the dtype checks; no CUDA kernel runs there.
  public var computeCapability: Int
  /// Total device memory as the driver reports it (`nvidia-smi` total, in bytes).
  public var memory: ByteCount
  /// What a process can allocate once its CUDA context exists (`memory` less the context).
  public var usableMemory: ByteCount
  /// Peak memory bandwidth in bytes per second.
  public var bandwidthBytesPerSecond: Double
  /// Peak fp32 rate (FLOP/s), CUDA cores.
  public var fp32FLOPS: Double
  /// Peak fp16 rate (FLOP/s) with fp32 accumulate: tensor cores where the card has them, else CUDA cores.
  /// On sm_61 this is the crippled 1:64 rate, which no runtime uses: see ``peakFLOPS(computing:)``.
  public var fp16FLOPS: Double
  /// Peak bf16 rate (FLOP/s); `nil` where bf16 is not native (compute capability below 8.0).
  public var bf16FLOPS: Double?
  /// Peak fp8 rate (FLOP/s); `nil` where fp8 is not native (compute capability below 8.9).
  public var fp8FLOPS: Double?
  /// Peak int8 rate (OP/s): tensor cores, or DP4A on sm_61; `nil` where neither exists.
  public var int8OPS: Double?
  /// PCIe generation of the host link (x16 assumed).
  public var pcieGeneration: Int
  /// NVLink generation (1 to 4), or `nil` where the card has none (bridges count as NVLink).
  public var nvlinkGeneration: Int?
  /// Total NVLink bandwidth, both directions, bytes per second; `nil` without NVLink.
  public var nvlinkBytesPerSecond: Double?
  /// Whether PCIe peer-to-peer copies work between two of these cards with the stock driver.
  public var supportsPeerToPeer: Bool
  /// Where the numbers came from.
  public var source: String
  /// The ROCm target of an AMD GPU (`gfx90a`, `gfx942`); `nil` for NVIDIA GPUs. PyTorch's ROCm
  /// builds (transformers and accelerate), vLLM and llama.cpp (HIP) run on these targets;
  /// CUDA-only kernels (Marlin, FlashAttention's CUDA build, bitsandbytes' CUDA wheels) do not.
  public var rocmTarget: String? = nil

  /// Whether the GPU runs ROCm rather than CUDA.
  public var isROCm: Bool { rocmTarget != nil }
  /// `sm_61` for an NVIDIA GPU, the ROCm target (`gfx942`) for an AMD GPU.
  public var targetName: String { rocmTarget ?? "sm_\(computeCapability)" }

  /// Whether the card computes bf16 natively (compute capability 8.0 or later).
  public var supportsBF16: Bool { computeCapability >= 80 }
  /// Whether the card computes fp8 natively (compute capability 8.9 or later).
  public var supportsFP8: Bool { computeCapability >= 89 }
  /// The CUDA context the catalog assumes for the card's generation.
  public var cudaContext: ByteCount { GPUSpecFile.cudaContext(computeCapability: computeCapability) }
  /// The total memory CUDA reports (`torch.cuda.mem_get_info()[1]`): usable plus the context.
  public var cudaTotal: ByteCount { usableMemory + cudaContext }
  /// `"6.1"` for sm_61; the ROCm target (`"gfx942"`) for an AMD GPU.
  public var computeCapabilityString: String {
    rocmTarget ?? "\(computeCapability / 10).\(computeCapability % 10)"
  }

  /// The peak rate (FLOP/s) at which the card computes `dtype`.
  ///
  /// bf16 uses the bf16 rate where native, fp16 the fp16 rate, fp32 the fp32 (CUDA core) rate.
  /// Pascal sm_61 (P4, P40) computes fp16 at 1/64 rate, so every runtime stores fp16 there and
  /// computes in fp32: the fp32 rate. Quantized weights are dequantized and multiplied in the
  /// 16-bit compute type, so pass the compute dtype.
  public func peakFLOPS(computing dtype: DType) -> Double {
    switch dtype {
    case .fp32: return fp32FLOPS
    case .bf16: return bf16FLOPS ?? max(fp16FLOPS, fp32FLOPS)
    case .fp8: return fp8FLOPS ?? max(fp16FLOPS, fp32FLOPS)
    case .fp16, .int8, .int4: return computeCapability == 61 ? fp32FLOPS : max(fp16FLOPS, fp32FLOPS)
    }
  }
}
