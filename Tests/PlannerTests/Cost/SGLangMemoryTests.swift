import Testing

@testable import Planner

/// SGLang's default memory settings, worked by hand from SGLang 0.5.23's
/// sglang/srt/arg_groups/memory_hook.py (`handle_gpu_memory_settings`, `reserve_for_graph_mb`,
/// `adjust_mem_fraction_for_vlm`) and cuda_graph_hook.py; the arithmetic is in each comment.
@Suite struct SGLangMemoryTests {
  /// The GPU-memory tiers: a T4 (15360 MiB), a 4090 (24564), an A100-40G (40960), an H100 (81559),
  /// a B200 (183359).
  @Test func defaultsByGPUMemory() {
    #expect(SGLangMemory.defaults(gpuMiB: 15360, tensorParallel: 1) == (2048, 8))
    #expect(SGLangMemory.defaults(gpuMiB: 24564, tensorParallel: 1) == (4096, 48))
    #expect(SGLangMemory.defaults(gpuMiB: 24564, tensorParallel: 4) == (4096, 160))
    #expect(SGLangMemory.defaults(gpuMiB: 40960, tensorParallel: 2) == (4096, 32))
    #expect(SGLangMemory.defaults(gpuMiB: 81559, tensorParallel: 8) == (8192, 512))
    #expect(SGLangMemory.defaults(gpuMiB: 183_359, tensorParallel: 1) == (16384, 512))
  }

  /// Prefill capture sizes: 8 (4..32 by 4) + 14 (48..256 by 16) + 8 (288..512 by 32) + 8
  /// (576..1024 by 64) + 12 (1280..4096 by 256) = 50 up to 4096; 8192 adds 4608..8192 by 512 (8).
  @Test func prefillCaptureSizes() {
    #expect(SGLangMemory.prefillCaptureSizes(maxTokens: 2048) == 8 + 14 + 8 + 8 + 4)
    #expect(SGLangMemory.prefillCaptureSizes(maxTokens: 4096) == 50)
    #expect(SGLangMemory.prefillCaptureSizes(maxTokens: 8192) == 58)
  }

  /// A 4090 at TP 1: 512 + 1.5 × 4096 + 1/8 × 1024 + 2 × 48 + 8 × 50 = 7280 MiB;
  /// round((24564 − 7280) / 24564, 3) = round(0.70363, 3) = 0.704.
  @Test func a4090sFraction() {
    let reserve = SGLangMemory.reserveMiB(
      gpuMiB: 24564, chunkedPrefill: 4096, decodeMaxBatch: 48, tensorParallel: 1, pipelineParallel: 1,
      mla: false)
    #expect(reserve == 7280)
    #expect(SGLangMemory.memFractionStatic(gpuMiB: 24564, reserveMiB: reserve, vision: nil) == 0.704)
  }

  /// An H100 at TP 8: 512 + 12288 + 1024 + 1024 + 8 × 58 = 15312 MiB (above the 10240 floor);
  /// at TP 1 with an MLA model: 512 + 12288 + 128 + 512 + 1536 = 14976.
  @Test func anH100sReserve() {
    #expect(
      SGLangMemory.reserveMiB(
        gpuMiB: 81559, chunkedPrefill: 8192, decodeMaxBatch: 512, tensorParallel: 8, pipelineParallel: 1,
        mla: false) == 15312)
    #expect(
      SGLangMemory.reserveMiB(
        gpuMiB: 81559, chunkedPrefill: 8192, decodeMaxBatch: 256, tensorParallel: 1, pipelineParallel: 1,
        mla: true) == 14976)
  }

  /// The 10 GiB floor above 60 GiB: a chunk of 2048 on an H100 would reserve
  /// 512 + 3072 + 128 + 16 + 8 × 42 = 4064; SGLang keeps 10240.
  @Test func largeGPUsKeepTenGiB() {
    #expect(
      SGLangMemory.reserveMiB(
        gpuMiB: 81559, chunkedPrefill: 2048, decodeMaxBatch: 8, tensorParallel: 1, pipelineParallel: 1,
        mla: false)
        == 10240)
  }

  /// The VLM factor: a ViT-L/14 (24 × 1024) keeps 0.95; SigLIP-400M (27 × 1152) has complexity
  /// 27 × 1152² / (24 × 1024²) = 1.4238, so 0.95 × (1 − 0.04238) = 0.90974; a 32-layer 1280-wide
  /// tower (2.0833) gives 0.95 × (1 − 0.10833) = 0.84708; a tiny one to 0.95 × 1.05.
  @Test func visionFactor() {
    #expect(SGLangMemory.visionFactor(layers: 24, width: 1024) == 0.95)
    #expect(abs(SGLangMemory.visionFactor(layers: 27, width: 1152) - 0.90974) < 1e-5)
    #expect(abs(SGLangMemory.visionFactor(layers: 32, width: 1280) - 0.84708) < 1e-5)
    #expect(abs(SGLangMemory.visionFactor(layers: 1, width: 64) - 0.9975) < 1e-9)
  }
}
