/// How SGLang sizes its memory at startup, read from SGLang 0.5.23's source (`pip download
/// sglang==0.5.23`; sglang/srt/arg_groups/memory_hook.py `handle_gpu_memory_settings`,
/// `reserve_for_graph_mb`, `adjust_mem_fraction_for_vlm`; sglang/srt/arg_groups/cuda_graph_hook.py;
/// sglang/srt/mem_cache/kv_cache_configurator.py `_profile_available_bytes`). All sizes in MiB, as
/// SGLang computes them (the GPU's memory is `nvidia-smi`'s `memory.total`, the smallest GPU's).
///
/// - Defaults by GPU memory: `chunked_prefill_size` 2048 under 20 GiB, 4096 under 60 GiB, 8192
///   under 160 GiB, 16384 above; decode CUDA-graph `max_bs` 8 under 20 GiB, 48 (160 from TP 4)
///   under 35 GiB, 32 (160 from TP 4) under 60 GiB, 256 (512 from TP 4) under 160 GiB, 512 above.
/// - `mem_fraction_static`, when not given: `round((gpu − reserve) / gpu, 3)` with reserve =
///   512 + 1.5 × max(chunked prefill, 2048) + TP × PP / 8 × 1024 + the graphs' reserve
///   (2 × decode `max_bs`, plus 8 per prefill capture size up to the chunked prefill size, or
///   1536 with an MLA model), at least 10240 on GPUs above 60 GiB; a VLM's fraction is then
///   multiplied by 0.95 × clamp(1 − 0.1 × (ViT layers × width² / (24 × 1024²) − 1), 0.8, 1.05).
/// - The KV cache pool: the memory free after loading the weights less `(1 − fraction)` of the
///   memory free before (and 100 MiB for a VLM's embedding cache, `SGLANG_VLM_CACHE_SIZE_MB`):
///   `free_before × fraction − weights`.
///
/// Not modelled: DP attention's padding, DeepEP buffers, speculative decoding, the post-capture
/// KV sizing (`SGLANG_ENABLE_POST_CAPTURE_KV_SIZING`, off by default), Qwen3-VL's decode graph
/// widening, `cuda_ipc` feature transport (1 GiB more for a VLM).
public enum SGLangMemory {
  /// `chunked_prefill_size` and decode `cuda_graph_max_bs` SGLang picks for a GPU of `gpuMiB`.
  public static func defaults(gpuMiB: Double, tensorParallel tp: Int) -> (
    chunkedPrefill: Int, decodeMaxBatch: Int
  ) {
    switch gpuMiB {
    case ..<(20 * 1024): (2048, 8)
    case ..<(35 * 1024): (4096, tp < 4 ? 48 : 160)
    case ..<(60 * 1024): (4096, tp < 4 ? 32 : 160)
    case ..<(160 * 1024): (8192, tp < 4 ? 256 : 512)
    default: (16384, 512)
    }
  }

  /// Prefill CUDA-graph capture sizes up to `maxTokens` (`generate_prefill_cuda_graph_batch_sizes`).
  public static func prefillCaptureSizes(maxTokens: Int) -> Int {
    var sizes = Array(stride(from: 4, through: 32, by: 4)) + Array(stride(from: 48, through: 256, by: 16))
    sizes += Array(stride(from: 288, through: 512, by: 32)) + Array(stride(from: 576, through: 1024, by: 64))
    sizes += Array(stride(from: 1280, through: 4096, by: 256))
    if maxTokens >= 4608 { sizes += Array(stride(from: 4608, through: maxTokens, by: 512)) }
    return sizes.filter { $0 <= maxTokens }.count
  }

  /// The reserve in MiB (activations, CUDA graphs, parallel slack) behind the default fraction.
  public static func reserveMiB(
    gpuMiB: Double, chunkedPrefill: Int, decodeMaxBatch: Int, tensorParallel tp: Int,
    pipelineParallel pp: Int,
    mla: Bool
  ) -> Double {
    var reserve = 512 + 1.5 * Double(max(chunkedPrefill, 2048))
    reserve += Double(tp * pp) / 8 * 1024
    reserve += 2 * Double(decodeMaxBatch)
    reserve += mla ? 1.5 * 1024 : 8 * Double(prefillCaptureSizes(maxTokens: chunkedPrefill))
    if gpuMiB > 60 * 1024 { reserve = max(reserve, 10 * 1024) }
    return reserve
  }

  /// `adjust_mem_fraction_for_vlm`'s factor for a vision tower of `layers` blocks of `width`.
  public static func visionFactor(layers: Int64, width: Int64) -> Double {
    let ratio = Double(layers) * Double(width) * Double(width) / (24 * 1024 * 1024)
    return 0.95 * min(1.05, max(0.8, 1 - 0.1 * (ratio - 1)))
  }

  /// The default `mem_fraction_static`: the reserve's complement, rounded to 3 decimals, then
  /// scaled for a vision tower (`vision`: its blocks and width).
  public static func memFractionStatic(
    gpuMiB: Double, reserveMiB: Double, vision: (layers: Int64, width: Int64)?
  )
    -> Double
  {
    let fraction = ((gpuMiB - reserveMiB) / gpuMiB * 1000).rounded() / 1000
    return vision.map { fraction * visionFactor(layers: $0.layers, width: $0.width) } ?? fraction
  }

  /// SGLang's VLM embedding cache, taken from the KV budget (`SGLANG_VLM_CACHE_SIZE_MB`, 100).
  public static let visionCacheMiB: Int64 = 100
}
