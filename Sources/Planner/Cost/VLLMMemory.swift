/// vLLM's memory accounting for one GPU of a tensor-parallel group running a range of decoder
/// layers (one pipeline stage).
///
/// - Weights: tensor parallelism shards every text matrix by the group size (embedding and LM
///   head by vocabulary rows); norms stay whole; key and value projections are replicated when
///   the group is larger than the KV heads (`max(1, kv_heads / tp)` heads per GPU); the vision
///   tower is whole on every GPU of the first stage in V0 (vLLM 0.5/0.6 did not shard
///   MiniCPM-V's), its blocks sharded in V1.
/// - Profiling peak (V1: the text step is the same forward with attention skipped, over
///   `min(tokens, max_num_seqs)` requests; its dummy multimodal items are the largest image the
///   model takes, as many as the encoder budget holds, ``profileSequences`` and ``largestItem``;
///   CUDA graphs are subtracted before the KV cache. V0 `profile_run`): one forward of
///   `max_num_batched_tokens` tokens spread
///   over `max_num_seqs` sequences, each with one dummy image where the model takes images; the
///   number of sequences is capped at `max_num_batched_tokens / tokens per image`
///   (anchor-runtimes.md §C.4). The text forward holds its widest transient (sharded) and the
///   residual stream. On the last stage the sampler then runs on one row of logits per sequence,
///   after the forward's transients are freed: the peak is the larger of the forward and the
///   sampler (its top-k sort, ``samplerBytesPerLogit``), as vLLM's own logs show (the same peak at
///   tensor parallel 1 and 2, vllm-project/vllm#10511; `VLLMLogTests`). The vision tower runs
///   before the text model, so the peak is the larger of the two.
/// - KV cache: `2 × max(1, kv_heads / tp) × head_dim × dtype` per token per layer, in blocks of
///   16 tokens (§C.2).
public struct VLLMMemory: Sendable {
  public internal(set) var model: ModelGraph
  public internal(set) var settings: ServingConfig.Resolved
  public internal(set) var encoderAttention: Workload.Attention
  public internal(set) var weightDType: DType
  public internal(set) var computeDType: DType
  public internal(set) var kvDType: DType
  /// The memory each GPU holds beside the weights, the profile peak and the KV cache:
  /// ``nonTorchBytes``, or a `--profile` file's `reservePerGPUBytes` (``nonTorch(for:)``).
  public internal(set) var nonTorch = VLLMMemory.nonTorchBytes

  /// Memory outside PyTorch's allocator during profiling: 0.16 GiB in vLLM's own log on an
  /// 80 GB GPU, TP 1 ("non_torch_memory takes 0.16GiB", kubernetes-sigs/
  /// gateway-api-inference-extension#550). Tensor parallelism adds NCCL buffers, not modelled.
  static let nonTorchBytes = ByteCount(Int64(0.16 * Double(1 << 30)))
  /// The non-torch memory `profile` sets: its `reservePerGPUBytes` where a `--profile` file set
  /// it (`planner calibrate --from-log` writes one from a vLLM log: whatever the log's engine held
  /// beside the planner's weights and profile peak), else ``nonTorchBytes``. The built-in vLLM
  /// profile's reserve is the device-map planner's, not this.
  public static func nonTorch(for profile: RuntimeProfile) -> ByteCount {
    profile.source?.fields.contains(.reservePerGPUBytes) == true ? profile.reservePerGPU : nonTorchBytes
  }

  /// CUDA graph memory per GPU: vLLM's logs show 0.13 and 0.21 GiB for 1B models (V0,
  /// mellea#416, vllm#11349), 0.36 GiB estimated for a mid-size model (V1, gpustack/runner#251)
  /// and 2.28 GiB per GPU for a large MoE at TP 4 (vllm#18136). 0.5 GiB: an estimate for 7B-70B
  /// dense models.
  static let cudaGraphBytes = ByteCount.mebibytes(512)
  /// Bytes per logit the sampler holds at its peak, beside the logits in the compute dtype. V0's
  /// profiling run samples with `top_p=0.99, top_k=vocab-1` ("to reflect the accurate memory
  /// usage", `ModelRunner._dummy_run`), so `Sampler.forward` casts the logits to fp32 (4 bytes) and
  /// `_apply_top_k_top_p` sorts them (`vllm/model_executor/layers/sampler.py`). PyTorch sorts rows
  /// longer than 4096 with cub's segmented radix sort (`aten/src/ATen/native/cuda/Sort.cu`,
  /// `segmented_sort_pairs`): the sorted values (4) and int64 indices (8) it returns, an int64
  /// iota of positions it passes in (8), and cub's scratch copies of keys and values (4 + 8).
  /// 36 bytes, counted from the source, not fitted: with bf16 logits 38 per logit, 1.16 GiB for 256
  /// sequences of Llama-3's 128,256 tokens, 1.38 GiB for Qwen2's 152,064; vLLM logs 1.26 and
  /// 1.42 GiB with the final hidden states (vllm#10511, #13882; `VLLMLogTests`).
  static let samplerBytesPerLogit: Int64 = 36
  /// V1's sampler holds far less: its profile run does not sort the vocabulary (V1 samples top-k
  /// and top-p without a full sort). 6 bytes per logit beside the logits in the compute dtype is
  /// fitted on one log (Qwen3-32B at tensor parallel 2 on 95 GiB cards, vLLM 0.27.1, 1,024 rows of
  /// 151,936 logits: the role "design" in fixtures/measurements/vllm-v1-logs.json); the other V1
  /// logs are held out (`VLLMV1LogTests`). Not derived from the source.
  static let v1SamplerBytesPerLogit: Int64 = 6

  var activationBytes: Int64 { Int64(computeDType.bits / 8) }

  /// The pixels of the largest image Qwen2.5-VL's processor takes: `max_pixels` 12,845,056 in
  /// Qwen/Qwen2.5-VL-7B-Instruct's `preprocessor_config.json` (`size.longest_edge` in newer
  /// transformers). vLLM's V1 profile encodes the image with the most features that many pixels
  /// allow (`Qwen2VLProcessingInfo.get_image_size_with_most_features`, vLLM 0.33
  /// `model_executor/models/qwen2_vl.py`): 12,845,056 / (14 × 2)² = 16,384 tokens, the budget the
  /// public Qwen2.5-VL-7B log prints ("a budget of 16384 tokens, and profiled with 1 image items",
  /// fixtures/measurements/vllm-v1-logs.json).
  static let qwenVLMaximumPixels: Int64 = 12_845_056

  /// vLLM's largest item of the image modality ("the maximum feature size"): its tokens for the
  /// LLM, and the planner's slices through the vision tower it takes.
  ///
  /// - Qwen2.5-VL (and Qwen2.5-Omni's image processor): any resolution up to
  ///   ``qwenVLMaximumPixels``, in slices of the planner's 448-pixel image.
  /// - Others: the model's largest image, every slice (MiniCPM-V: up to 9 slices and the overview;
  ///   LLaVA-NeXT: 4 tiles and the base image), the planner's tokens per slice times the slices.
  public var largestItem: (tokens: Int, slices: Int) {
    guard let vision = model.vision, vision.queriesPerSlice > 0 else { return (0, 0) }
    let name = model.root.className
    if name.hasPrefix("Qwen2_5_VL") || name.hasPrefix("Qwen2_5Omni") {
      let patch = max(vision.patchSize, 1)
      let merge = max(vision.patchesPerSlice / vision.queriesPerSlice, 1)
      let tokens = Self.qwenVLMaximumPixels / (patch * patch * merge)
      return (Int(tokens), Int(max(tokens / vision.queriesPerSlice, 1)))
    }
    let slices = max(vision.maximumSlices, 1)
    return (
      Int(clamping: vision.queriesPerSlice.multipliedReportingOverflow(by: slices).partialValue), Int(slices)
    )
  }

  /// Sequences in the profiling batch, and the dummy images among them.
  ///
  /// - V0: `min(max_num_seqs, max_num_batched_tokens / tokens per image)` sequences, one dummy
  ///   image each (the planner's image: one slice).
  /// - V1 (`compute_mm_encoder_budget`, `MultiModalBudget._get_max_items`): `max_num_batched_tokens`
  ///   spread over `min(tokens, max_num_seqs)` requests; the encoder budget is
  ///   `max(max_num_batched_tokens, tokens per item)` and the dummy items `max(1, min(budget /
  ///   tokens per item, max_num_seqs × max(1, min(limit_mm_per_prompt, max_model_len / tokens per
  ///   item))))`, each of the largest item's tokens (``largestItem``); none with
  ///   `--skip-mm-profiling`.
  public var profileSequences: (sequences: Int, images: Int) {
    if settings.version == .v1 {
      let requests = max(1, min(settings.maxNumBatchedTokens, settings.maxNumSeqs))
      let tokensPerItem = largestItem.tokens
      guard tokensPerItem > 0, !settings.skipMMProfiling, settings.limitMMPerPrompt > 0 else {
        return (requests, 0)
      }
      let budget = max(settings.maxNumBatchedTokens, tokensPerItem)
      let perPrompt = max(1, min(settings.limitMMPerPrompt, settings.maxModelLen / tokensPerItem))
      let items = max(
        1,
        min(
          budget / tokensPerItem, settings.maxNumSeqs.multipliedReportingOverflow(by: perPrompt).partialValue
        ))
      return (requests, items)
    }
    let tokensPerImage = model.vision.map { Int($0.queriesPerSlice) } ?? 0
    guard tokensPerImage > 0 else { return (settings.maxNumSeqs, 0) }
    let sequences = max(1, min(settings.maxNumSeqs, settings.maxNumBatchedTokens / tokensPerImage))
    return (sequences, sequences)
  }

  /// The weight bytes one GPU of a group of `tp` holds of `layer`.
  public func weights(of layer: Layer, tp: Int) -> Int64 {
    let whole = layer.weightBytes(weight: weightDType, compute: computeDType).value
    // V1's vision towers are built from vLLM's parallel layers (Qwen2.5-VL's `qkv`
    // QKVParallelLinear, `proj` RowParallelLinear, `gate_up_proj` MergedColumnParallelLinear,
    // vLLM 0.33 `model_executor/models/qwen2_5_vl.py`; CLIP and SigLIP encoder layers likewise):
    // their blocks are sharded by the group. V0 ran MiniCPM-V's tower whole on every GPU.
    if tp > 1, settings.version == .v1, layer.kind == .visionBlock { return whole / Int64(tp) }
    guard tp > 1, layer.stream == .text, layer.kind != .norm, layer.kind != .rotary else { return whole }
    var share = whole / Int64(tp)
    if layer.kind == .decoder, layer.kvHeads > 0 {
      // k and v projections: `max(1, kv / tp)` heads each instead of `kv / tp`.
      let perHead = 2 * layer.headDimension * model.hiddenSize * Int64(max(weightDType.bits, 4)) / 8
      let replicated = max(1, layer.kvHeads / Int64(tp)) * Int64(tp) - layer.kvHeads
      if replicated > 0 { share += perHead * replicated / Int64(tp) }
    }
    return share
  }

  /// KV cache bytes per token of one layer on one GPU of a group of `tp`.
  public func kvBytesPerToken(of layer: Layer, tp: Int) -> Int64 {
    guard layer.kvHeads > 0 else { return 0 }
    let heads = max(1, layer.kvHeads / Int64(tp))
    return 2 * heads * layer.headDimension * Int64(kvDType.bits / 8)
  }

  /// What one GPU of a stage holds, summed from its layers.
  public struct Contents: Sendable, Hashable {
    public internal(set) var weights: Int64 = 0
    public internal(set) var kvBytesPerToken: Int64 = 0
    /// The widest decoder transient per token (whole, before sharding).
    public internal(set) var widestTransient: Int64 = 0
    /// Whether the stage runs text layers, the LM head, and the vision tower.
    public var runsText = false
    public var hasHead = false
    public var runsEncoder = false

    public init() {}

    /// The contents of two sets of layers together.
    public static func + (a: Contents, b: Contents) -> Contents {
      var sum = a
      sum.weights = a.weights.saturatingAdd(b.weights)
      sum.kvBytesPerToken = a.kvBytesPerToken.saturatingAdd(b.kvBytesPerToken)
      sum.widestTransient = max(a.widestTransient, b.widestTransient)
      sum.runsText = a.runsText || b.runsText
      sum.hasHead = a.hasHead || b.hasHead
      sum.runsEncoder = a.runsEncoder || b.runsEncoder
      return sum
    }
  }

  /// The contents of one GPU of a group of `tp` holding `layers`.
  public func contents(of layers: some Sequence<Layer>, tp: Int) -> Contents {
    var result = Contents()
    for layer in layers {
      result.weights = result.weights.saturatingAdd(weights(of: layer, tp: tp))
      result.kvBytesPerToken = result.kvBytesPerToken.saturatingAdd(kvBytesPerToken(of: layer, tp: tp))
      if layer.kind == .decoder {
        result.widestTransient = max(result.widestTransient, layer.transientElementsPerToken)
      }
      if layer.stream == .text && layer.kind != .rotary { result.runsText = true }
      if layer.kind == .head { result.hasHead = true }
      if layer.stream == .vision { result.runsEncoder = true }
    }
    return result
  }

  /// The activation peak of the profiling run on one GPU of a stage, and the vision tower's part.
  func activationPeak(_ contents: Contents, tp: Int) -> (peak: ByteCount, encoder: ByteCount) {
    let tokens = Int64(settings.maxNumBatchedTokens)
    var textPeak: Int64 = 0
    if contents.runsText {
      textPeak = .saturatingProduct(tokens, contents.widestTransient / Int64(tp), activationBytes)
      textPeak = textPeak.saturatingAdd(
        .saturatingProduct(MemoryModel.residualCopies, tokens, model.hiddenSize, activationBytes))
    }
    if contents.hasHead {
      // The sampler runs after the forward: the final hidden states are still held, the layers'
      // transients are not.
      let rows = Int64(profileSequences.sequences)
      let perLogit = settings.version == .v1 ? Self.v1SamplerBytesPerLogit : Self.samplerBytesPerLogit
      let sampler = Int64.saturatingProduct(rows, model.vocabularySize, activationBytes + perLogit)
        .saturatingAdd(.saturatingProduct(tokens, model.hiddenSize, activationBytes))
      textPeak = max(textPeak, sampler)
    }
    guard contents.runsEncoder, let vision = model.vision else { return (ByteCount(textPeak), .zero) }
    let images = Int64(profileSequences.images)
    // V1 encodes its largest items (every slice of one; Qwen2.5-VL's 16,384-token image as 64 of
    // the planner's slices, the same patches), V0 one slice per dummy image.
    let item: (tokens: Int, slices: Int) =
      settings.version == .v1 ? largestItem : (Int(vision.queriesPerSlice), 1)
    var workload = Workload()
    if Int64(item.slices) <= vision.maximumSlices {
      workload.batch = Int(images)
      workload.slicesPerImage = item.slices
    } else {
      workload.batch = Int(images.multipliedReportingOverflow(by: Int64(item.slices)).partialValue)
      workload.slicesPerImage = 1
    }
    workload.images = 1
    workload.attention = encoderAttention
    let memory = MemoryModel(
      model: model, workload: workload, weightDType: weightDType, computeDType: computeDType, runtime: .vllm)
    var encoderPeak = ByteCount.zero
    if settings.version == .v1, let qwen = qwenVisionBytesPerPatch(tp: tp) {
      let patches = Int64.saturatingProduct(images, Int64(item.slices), vision.patchesPerSlice)
      encoderPeak = ByteCount(.saturatingProduct(patches, qwen))
    } else {
      // By index: iterating would copy every layer (this runs for every candidate stage of the
      // layout search).
      for index in model.layers.indices where model.layers[index].stream == .vision {
        encoderPeak = max(encoderPeak, memory.transient(of: model.layers[index]))
      }
    }
    // The image embeddings wait for the text forward.
    let embeddings = ByteCount(
      .saturatingProduct(images, Int64(item.tokens), model.hiddenSize, activationBytes))
    return (max(encoderPeak, ByteCount(textPeak)) + embeddings, encoderPeak)
  }

  /// What vLLM's own Qwen2.5-VL vision tower holds per patch at its peak on one GPU of a group of
  /// `tp` (nil for other towers), counted from vLLM 0.33 `model_executor/models/qwen2_5_vl.py`:
  /// `Qwen2_5_VisionBlock.forward` keeps the block's input `x`, the residual and the normed
  /// input (3 × width) while `Qwen2_5_VisionMLP` makes `gate_up` (2 × intermediate) and the
  /// activation (intermediate), sharded by the group; the attention half holds less (x, normed,
  /// qkv, the contiguous q/k and their rotated copy: 9 × width). The tower's input (the patches'
  /// pixels, `3 × 2 × 14 × 14` values) stays alive in the caller. All in the compute dtype.
  /// transformers' implementation holds more (fp32 q and k: ``MemoryModel``'s video constant).
  func qwenVisionBytesPerPatch(tp: Int) -> Int64? {
    let name = model.root.className
    guard name.hasPrefix("Qwen2_5_VL") || name.hasPrefix("Qwen2_5Omni") else { return nil }
    // By index: this runs for every candidate first stage of the layout search.
    guard
      let embedIndex = model.tensors.indices.first(where: {
        model.tensors[$0].name.hasSuffix("visual.patch_embed.proj.weight")
      }),
      let blockIndex = model.layers.indices.first(where: { model.layers[$0].kind == .visionBlock })
    else { return nil }
    let shape = model.tensors[embedIndex].tensor.shape
    guard let width = shape.first, width > 0 else { return nil }
    let input = Int64.saturatingProduct(of: shape.dropFirst())
    let mlp = model.layers[blockIndex].transientElementsPerToken / Int64(max(tp, 1))
    let elements = max(Int64.saturatingProduct(3, width).saturatingAdd(mlp), .saturatingProduct(9, width))
    return .saturatingProduct(elements.saturatingAdd(input), activationBytes)
  }

  /// The accounting of one GPU of a tensor-parallel group of `tp` with `contents`.
  public func rank(gpu: GPU, tp: Int, contents: Contents) -> RankMemory {
    let total = gpu.cudaTotal
    // V1 rounds the request up (`request_memory`: `math.ceil`); V0 truncated.
    let requested = Double(total.value) * settings.gpuMemoryUtilization
    let budget = ByteCount(Int64(settings.version == .v1 ? requested.rounded(.up) : requested))
    let weights = ByteCount(contents.weights)
    let (peak, encoderPeak) = activationPeak(contents, tp: tp)
    let graphs = settings.enforceEager ? ByteCount.zero : Self.cudaGraphBytes
    var available = budget - weights - peak - nonTorch
    if settings.version == .v1 {
      // V1 captures the CUDA graphs before sizing the KV cache and subtracts them
      // (`VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS`, on by default); `--kv-cache-memory-bytes`
      // replaces the figure.
      available = available - graphs
      if let fixed = settings.kvCacheMemoryBytes { available = ByteCount(fixed) }
    }
    let blockBytes = Int64.saturatingProduct(contents.kvBytesPerToken, Int64(ServingConfig.blockSize))
    let blocks = blockBytes > 0 && available.value > 0 ? available.value / blockBytes : 0
    let kv = ByteCount(.saturatingProduct(blocks, blockBytes))
    return RankMemory(
      total: total, budget: budget, weights: weights, activationPeak: peak, encoderPeak: encoderPeak,
      dummyImages: contents.runsEncoder ? profileSequences.images : 0, nonTorch: nonTorch,
      kvAvailable: available, blockBytes: blockBytes, blocks: blocks, cudaGraphs: graphs,
      freeForGraphs: gpu.usableMemory - weights - nonTorch - kv, usable: gpu.usableMemory)
  }
}
