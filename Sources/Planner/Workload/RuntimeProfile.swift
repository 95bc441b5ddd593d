/// What a runtime adds on each GPU, and how fast it runs what the GPU could run.
///
/// Every constant says where its value came from. The calibration issue replaces estimates with
/// measurements on real GPUs; keep them here, in one place.
public struct RuntimeProfile: Sendable, Hashable, Codable {
  /// The runtime's name as `--runtime` takes it.
  public var name: String
  /// Bytes a runtime holds on every GPU it uses beyond the CUDA context (already excluded from
  /// ``GPU/usableMemory``): library workspaces and allocator slack.
  public var reservePerGPU: ByteCount
  /// Fraction of peak memory bandwidth reached streaming weights and KV cache.
  public var memoryEfficiency: Double
  /// Fraction of peak FLOP/s reached by the large matrix products of a prefill.
  public var computeEfficiency: Double
  /// Fraction of peak FLOP/s a vision or audio encoder layer reaches (its own kernels, slice by
  /// slice), and the host time to issue one such layer.
  public var encoderComputeEfficiency: Double
  public var hostSecondsPerEncoderLayer: Double
  /// Host time to issue one decoder layer's kernels (Python and launches) for the reference layer of
  /// ``EagerLaunches/reference`` launches (Llama's or Qwen2's); a layer that launches more takes
  /// proportionally longer (``CostModel``). The layer takes at least this long whatever the GPU.
  /// 0 where kernels are replayed from a CUDA graph.
  public var hostSecondsPerLayer: Double
  /// Host time per decode step outside the layers (generate loop, sampling, embedding, head).
  public var hostSecondsPerStep: Double
  /// Host time per hop between GPUs beyond the copy itself (hooks, synchronisation).
  public var hostSecondsPerHop: Double
  /// Host time per text layer per step once the model spans several devices (accelerate
  /// attaches an `AlignDevicesHook` to every module of a multi-device map; a one-device map is a
  /// plain `.to(device)` without hooks).
  public var hostSecondsPerDispatchedLayer: Double
  /// Host time per tensor that accelerate's hooks copy to a text layer's device every step,
  /// beyond the hook itself (``CostModel/movedInputs(layers:devices:)`` counts them): a decoder
  /// layer takes the rotary `position_embeddings` (cos and sin) from `rotary_emb`'s device and
  /// `position_ids` from `embed_tokens`'s device, and its hook copies each one it runs away from
  /// (one `cudaMemcpyAsync` and two event waits, no synchronisation).
  public var hostSecondsPerMovedInput: Double
  /// Whether stages on different GPUs work on different sequences at once (pipeline
  /// parallelism): throughput is then bounded by the slowest stage, else by the whole step.
  public var pipelinesStages: Bool
  /// Whether the logits are copied back to the first GPU after every step (accelerate's
  /// `io_same_device` hook on the model).
  public var returnsLogitsToFirstGPU: Bool
  /// Prompt tokens a prefill step processes at once (chunked prefill), bounding activations;
  /// `nil` where the whole batch of prompts goes through at once (transformers).
  public var prefillChunkTokens: Int?
  /// Bytes per second at which offloaded weights reach the GPU every step, where measured; `nil`:
  /// the link's host-staged PCIe rate.
  public var offloadBytesPerSecond: Double? = nil
  /// The host profile file (`--profile`) whose measured values replaced some of these; `nil` for
  /// the built-in profiles. Plans say so in their output.
  public var source: ProfileFile.Source? = nil
  /// Where measured times fall around this profile's estimates (``TimeSpread``, which says where
  /// each runtime's values come from): a profile file's measured spread (`timeSpreadLow`,
  /// `timeSpreadHigh`), else the runtime's built-in one (``TimeSpread/builtIn(runtime:)``).
  public var timeSpread: TimeSpread {
    get { measuredTimeSpread ?? TimeSpread.builtIn(runtime: name) }
    set { measuredTimeSpread = newValue }
  }
  /// The spread a profile file set; `nil` for the runtime's built-in one.
  var measuredTimeSpread: TimeSpread? = nil

  /// transformers (eager PyTorch) with accelerate's hooks.
  ///
  /// - Reserve: 256 MiB, an estimate: cuBLAS keeps a workspace per handle and stream (PyTorch's
  ///   default `CUBLAS_WORKSPACE_CONFIG=:4096:8`, 32 MiB on Hopper) and the caching allocator
  ///   rounds blocks up and keeps freed ones.
  /// - Host per decoder layer: 0.91 ms, measured on an H100 host (Xeon, torch 2.11,
  ///   transformers 5.17): Qwen2-7B geometry decodes at 26.0 ms/token with 28 layers and 13.1
  ///   with 14 (slope 0.91 ms/layer; the H100 reads a layer's weights in 0.17 ms, so the host is
  ///   the bound), fixtures/measurements/decode-h100.json from Scripts/measure_decode.py.
  /// - Host per step: 0.50 ms, the intercept of the same fit.
  /// - Host per hop: 22 µs, a Python-level small copy and sync between two H200s [meas]
  ///   (../shared/reference/models-and-gpus.md §3); 21.1 µs with `.to` and 21.4 µs with
  ///   accelerate's `send_to_device` (fixtures/measurements/calibration-h200x2.json).
  /// - Host per dispatched layer: 0.20 ms, measured on an H200 host: the Qwen2-7B geometry
  ///   decodes at 17.64 ms/token on one GPU and 24.08 with accelerate's hooks on its 32 map
  ///   entries (6.44 ms / 32), Scripts/calibrate.py --part multi.
  /// - Host per moved input: 15.6 µs, measured on an H200 host: accelerate's `send_to_device` of
  ///   a decoder layer's decode inputs (cos, sin, position_ids, cache_position) takes 68.8 µs a
  ///   call from cuda:0 to cuda:1 and 6.4 µs to cuda:0 (62.4 µs / 4 tensors); torch.profiler counts
  ///   one peer copy per moved tensor and no extra synchronisation, and the hooks move 3 tensors per
  ///   layer on the second GPU (rotary_emb on the first) or 2 per layer on the first and 1 per
  ///   layer on the second (rotary_emb with the last layers, as accelerate places it), so a 14 + 14
  ///   split moves 44 a step (0.69 ms). Decode over 6 split maps of the same run is held out and
  ///   predicted within 15%; those timings cannot resolve 0.3-1.0 ms (the run's one-GPU decode
  ///   drifted by 4 ms), so the value is not fitted to them
  ///   (fixtures/measurements/split-sweep-h200x2.json, Scripts/calibrate.py --part split-sweep).
  /// - Memory efficiency 0.70: lmdeploy#210 measured transformers at 34 ms/token for a 7B fp16
  ///   model on an A10 (13.5 GB at 600 GB/s is 22.5 ms: 66%), TGI#586 31.8 ms on an A10G (75%).
  /// - Encoder: SigLIP-400M (27 blocks, bf16, sdpa) on an H100 takes 13.1 ms for one 448 px slice
  ///   (host-bound: 0.49 ms per block) and 49.1 ms for 16 slices (15.6 TFLOP: 32% of peak), fitted
  ///   to those two points; 4 and 10 slices are held out for validation
  ///   (fixtures/measurements/calibration-h100.json, Scripts/calibrate.py).
  /// - Compute efficiency 0.50: an estimate for eager prefill (cuBLAS GEMMs reach 60-80% of peak,
  ///   the elementwise kernels between them much less). To be measured.
  /// - Offload 5.44 GB/s, measured on an H200 host (Xeon, accelerate 1.15, torch 2.11): the median of
  ///   five points, each the offloaded bytes over the extra decode time against the same 8-layer model
  ///   with accelerate's hooks and nothing offloaded (4.95 to 6.66 GB/s): the Qwen2-7B geometry with
  ///   one, two and four of its 466 MB layers on the CPU and the Llama-3-8B geometry with one and
  ///   three (fixtures/measurements/offload-h200.json and offload2-h200.json, `Scripts/measure_host_cost.py
  ///   --part offload` and `--part offload2`; `OffloadRateTests` predicts each point from the other
  ///   four). A plain copy ran at 6.0 GB/s from pageable memory and 54 GB/s from pinned memory:
  ///   accelerate copies from pageable memory, tensor by tensor.
  public static let transformers = RuntimeProfile(
    name: "transformers", reservePerGPU: .mebibytes(256), memoryEfficiency: 0.70, computeEfficiency: 0.50,
    encoderComputeEfficiency: 0.32, hostSecondsPerEncoderLayer: 0.49e-3,
    hostSecondsPerLayer: 0.91e-3, hostSecondsPerStep: 0.50e-3, hostSecondsPerHop: 22e-6,
    hostSecondsPerDispatchedLayer: 0.20e-3, hostSecondsPerMovedInput: 15.6e-6, pipelinesStages: false,
    returnsLogitsToFirstGPU: true, prefillChunkTokens: nil, offloadBytesPerSecond: 5.44e9)

  /// An optimised runtime with CUDA graphs (vLLM, gpt-fast): no per-layer host time.
  ///
  /// - Memory efficiency 0.80: gpt-fast reaches 1397 GB/s of an A100's empirical ~1700 (82%);
  ///   Helix's vLLM per-layer profiles 0.66-0.83 (../shared/reference/anchor-research.md).
  /// - Host per step 0.3 ms: scheduler and sampling, an estimate.
  /// - Pipelines stages (vLLM pipeline parallelism).
  /// - Prefill chunks of 2048 tokens: vLLM V1's server default `max_num_batched_tokens` on GPUs
  ///   under 70 GiB (8192 on larger ones but A100; ../shared/reference/anchor-runtimes.md §C.3).
  public static let vllm = RuntimeProfile(
    name: "vllm", reservePerGPU: .mebibytes(512), memoryEfficiency: 0.80, computeEfficiency: 0.60,
    encoderComputeEfficiency: 0.60, hostSecondsPerEncoderLayer: 0,
    hostSecondsPerLayer: 0, hostSecondsPerStep: 0.3e-3, hostSecondsPerHop: 20e-6,
    hostSecondsPerDispatchedLayer: 0, hostSecondsPerMovedInput: 0,
    pipelinesStages: true,
    returnsLogitsToFirstGPU: false, prefillChunkTokens: 2048)

  /// llama.cpp with CUDA: kernels launched from C++ (small host cost per layer), graphs on recent
  /// builds.
  ///
  /// - Memory efficiency 0.75: fp16 7B on consumer cards reaches 71-84% of the datasheet
  ///   bandwidth (3090 75%, 4090 82%), on A100/H100 only 52-56% (anchor-research.md, derived
  ///   from the XiongjieDai benchmark); 0.75 is the consumer-card middle.
  /// - Host per layer 20 µs, per step 0.2 ms, per hop 10 µs: estimates.
  /// - Prefill in micro-batches of 512 tokens (`n_ubatch` default).
  public static let llamaCpp = RuntimeProfile(
    name: "llama.cpp", reservePerGPU: .mebibytes(384), memoryEfficiency: 0.75, computeEfficiency: 0.55,
    encoderComputeEfficiency: 0.55, hostSecondsPerEncoderLayer: 20e-6,
    hostSecondsPerLayer: 20e-6, hostSecondsPerStep: 0.2e-3, hostSecondsPerHop: 10e-6,
    hostSecondsPerDispatchedLayer: 0, hostSecondsPerMovedInput: 0, pipelinesStages: false,
    returnsLogitsToFirstGPU: false, prefillChunkTokens: 512)

  /// SGLang: vLLM's profile under its own name (CUDA graphs, no per-layer host time; not
  /// measured apart from vLLM's).
  public static let sglang: RuntimeProfile = {
    var profile = RuntimeProfile.vllm
    profile.name = "sglang"
    return profile
  }()

  /// The hardware bound: datasheet peaks, no overheads. What no runtime reaches.
  public static let roofline = RuntimeProfile(
    name: "roofline", reservePerGPU: .zero, memoryEfficiency: 1, computeEfficiency: 1,
    encoderComputeEfficiency: 1, hostSecondsPerEncoderLayer: 0, hostSecondsPerLayer: 0,
    hostSecondsPerStep: 0, hostSecondsPerHop: 0, hostSecondsPerDispatchedLayer: 0,
    hostSecondsPerMovedInput: 0,
    pipelinesStages: true,
    returnsLogitsToFirstGPU: false,
    prefillChunkTokens: nil)

  public static let all: [RuntimeProfile] = [.transformers, .vllm, .llamaCpp, .roofline, .sglang]

  /// The profile named `name` (`transformers`, `vllm`, `llama.cpp`, `roofline`).
  public static func named(_ name: String) -> RuntimeProfile? {
    all.first { $0.name == name.lowercased() || ($0.name == "llama.cpp" && name.lowercased() == "llamacpp") }
  }
}
