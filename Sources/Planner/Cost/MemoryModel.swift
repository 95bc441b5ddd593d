/// The memory model of ../shared/DESIGN.md: what a set of layers needs on one device under a workload.
///
/// - Weights: every tensor at the weight dtype (quantized types for quantizable matrices only).
/// - KV cache: `kv elements per token × kv bytes × context × batch` for each attention layer.
/// - Activations: the largest transient of the device's layers for the prefill (the peak phase),
///   plus the residual stream where text layers run, plus fp32 logits `batch × vocab × 4` where
///   the LM head runs.
/// - Reserve: the runtime's fixed reserve on every GPU that holds anything.
/// - llama.cpp: the text layers' activations are llama-server's compute buffer
///   (``LlamaCppMemory``: the widest layer step over one micro-batch plus the attention mask);
///   an mmproj on the same GPU counts as the larger of its transient and that buffer.
public struct MemoryModel: Sendable, Hashable {
  public var model: ModelGraph
  public var workload: Workload
  public var weightDType: DType
  public var computeDType: DType
  public var runtime: RuntimeProfile
  /// The workload's video and audio tokens for this model, and the context they make.
  public let media: MediaTokens
  /// The vision tower's width (Qwen2-VL-style towers: its patch embedding's output), for video.
  let visionWidth: Int64
  /// llama.cpp: the copies of each split's inputs its scheduler keeps (4 with pipeline parallelism,
  /// ``LlamaCppMemory/inputCopies(modelDevices:everyLayerOffloaded:tensorOverrides:)``).
  public var llamaInputCopies: Int64 = 1
  /// The last text decoder layer, whose MLP llama.cpp runs on the output rows only.
  let lastTextDecoder: String?
  /// llama.cpp's `--n-cpu-moe N`: the routed experts of the first `N` decoder layers stay in host
  /// memory and run on the CPU (0: none).
  public var hostExpertLayers = 0 {
    didSet {
      hostExpertModules = Set(
        model.layers.filter { $0.stream == .text && $0.kind == .decoder }.prefix(max(0, hostExpertLayers))
          .filter { ($0.routedExperts?.share ?? 0) > 0 }.map(\.module))
    }
  }
  /// The decoder layers whose routed experts are in host memory.
  public private(set) var hostExpertModules: Set<String> = []

  public init(
    model: ModelGraph, workload: Workload, weightDType: DType, computeDType: DType, runtime: RuntimeProfile
  ) {
    self.model = model
    self.workload = workload
    self.weightDType = weightDType
    self.computeDType = computeDType
    self.runtime = runtime
    media = MediaTokens(workload: workload, model: model)
    lastTextDecoder = model.layers.last { $0.stream == .text && $0.kind == .decoder }?.module
    visionWidth =
      media.video == nil
      ? 0
      : model.tensors.first { $0.name.hasSuffix("visual.patch_embed.proj.weight") }?.tensor.shape.first ?? 0
  }

  var activationBytes: Int64 { Int64(computeDType.bits / 8) }
  var kvBytes: Int64 { Int64((workload.kvDType ?? computeDType).bits / 8) }
  var batch: Int64 { Int64(workload.batch) }
  /// The thinker's context: `--context`, raised where video and audio tokens need more.
  var context: Int64 { media.context }

  /// Bytes per element of fp32 softmax copies and logits (transformers upcasts both).
  static let fp32Bytes: Int64 = 4
  /// fp32 tensors per score in eager attention beside the scores themselves:
  /// `softmax(scores, dtype=float32)` copies its input to fp32 and writes an fp32 output, so a
  /// score costs 2 + 4 + 4 bytes in bf16. Measured on an H100: 9.2 bytes per score at 4096 tokens
  /// (6.5 at 1024), eager peak minus sdpa peak (fixtures/measurements/calibration-h100.json).
  static let eagerScoreFP32Copies: Int64 = 2
  /// Hidden-state-sized tensors alive beside a decoder layer's widest transient: the residual, the
  /// normed input, the attention output and the layer's output. Fitted to one measurement: a
  /// 4096-token bf16 prefill of the Qwen2-7B geometry in eager transformers 5.17 on an H100 peaks
  /// at 558 MiB above weights and KV cache, for both 28 and 14 layers; the gated-MLP transient
  /// predicts 444 MiB, leaving 4 × 28 MiB hidden states (fixtures/measurements/decode-h100.json,
  /// Scripts/measure_decode.py). To be refined by the calibration issue.
  static let residualCopies: Int64 = 4
  /// Mel frames per audio window after the encoder's stride-2 convolution: Whisper takes 30 s
  /// windows of 3000 frames and halves them (transformers `WhisperEncoder`, `max_source_positions`).
  static let audioTokensPerWindow: Int64 = 1500

  /// Video activations of a Qwen2-VL-style vision block per patch and per element of the tower's
  /// width, with sdpa or flash attention: the block's hidden states, q, k and v, and the fp32 copies
  /// of q and k that `apply_rotary_pos_emb_vision` makes. Measured: 34.5 (15 s), 34.5 (30 s) and
  /// 34.5 (60 s) on an H200, Qwen2.5-Omni-7B's tower (width 1280) at 2 fps, 896 × 672 frames, bf16,
  /// transformers 5.17 (fixtures/measurements/omni-video-h200.json, Scripts/measure_omni_video.py);
  /// in halves.
  static let videoPatchHalfBytesPerWidth: Int64 = 69
  /// What a Qwen2-VL-style block holds per patch beside eager attention's scores in a full-attention
  /// layer, per element of width: input, normed input, q, k, v and the attention output, bf16
  /// (6 × 2 bytes). The eager scores are one 2-frame group's `heads × patches²` at a time
  /// (transformers loops over `cu_seqlens` chunks); 15 s eager measures 2.241 GB against
  /// 2.217 GB predicted (same file).
  static let videoEagerBytesPerWidth: Int64 = 12

  /// Sequences through the vision tower, and patches per sequence.
  var visionSequences: (count: Int64, length: Int64) {
    if let video = media.video {
      return (Int64.saturatingProduct(batch, media.videoCount, video.sequences), video.patchesPerSequence)
    }
    guard let vision = model.vision else { return (0, 0) }
    let slices = Int64(
      workload.slicesPerImage.map { min(Int64($0), vision.maximumSlices) } ?? vision.maximumSlices)
    return (batch * Int64(workload.images) * slices, vision.patchesPerSlice)
  }

  /// The weights of one layer.
  ///
  /// Speech-output layers (a talker, a vocoder) weigh nothing unless the workload asks for
  /// speech: transformers' `disable_talker()` (Qwen2.5-Omni) and `init_tts=False` (MiniCPM-o)
  /// leave them out.
  public func weights(of layer: Layer) -> ByteCount {
    if layer.stream == .speech && !workload.speaks { return .zero }
    let bytes = layer.weightBytes(weight: weightDType, compute: computeDType)
    return hostExpertModules.contains(layer.module) ? bytes - hostExpertBytes(of: layer) : bytes
  }

  /// The bytes of a layer's routed experts (its parameter share of the layer's weight bytes).
  public func hostExpertBytes(of layer: Layer) -> ByteCount {
    let bytes = layer.weightBytes(weight: weightDType, compute: computeDType)
    return ByteCount(Int64((Double(bytes.value) * (layer.routedExperts?.share ?? 0)).rounded()))
  }

  /// Whether a tensor is a routed expert kept in host memory (`--n-cpu-moe`): under a layer of
  /// ``hostExpertModules`` and named as experts are (`.experts.`, GGUF `_exps`).
  public func isHostExpert(_ tensorName: String) -> Bool {
    guard !hostExpertModules.isEmpty, tensorName.contains(".experts.") || tensorName.contains("_exps") else {
      return false
    }
    return hostExpertModules.contains { tensorName.hasPrefix($0 + ".") }
  }

  /// The KV cache one layer keeps for the workload (the talker's own cache with speech output).
  public func kvCache(of layer: Layer) -> ByteCount {
    if layer.stream == .speech && workload.speaks && layer.kind == .speech && layer.flopsPerToken > 0,
      let input = media.input
    {
      return ByteCount(.saturatingProduct(input.talkerKVBytesPerToken, context, batch))
    }
    let cells = llamaCpp == nil ? context : llamaSlotContext
    return ByteCount(.saturatingProduct(layer.kvElementsPerToken, kvBytes, cells, batch))
  }

  /// The talker's prefill over the thinker's context, and the thinker's hidden states kept for it.
  func speechTransient(of layer: Layer) -> Int64 {
    guard workload.speaks, layer.flopsPerToken > 0, let input = media.input else { return 0 }
    let talker = Int64.saturatingProduct(input.talkerPrefillBytesPerToken, context, batch)
    let kept = Int64.saturatingProduct(
      input.keptHiddenStates, context, batch, model.hiddenSize, activationBytes)
    return talker.saturatingAdd(kept)
  }

  /// A Qwen2-VL-style vision tower's peak over the workload's video.
  func videoTransient(of layer: Layer, sequences: Int64, length: Int64) -> Int64 {
    let patches = Int64.saturatingProduct(sequences, length)
    let linear = Int64.saturatingProduct(patches, Self.videoPatchHalfBytesPerWidth, visionWidth) / 2
    guard workload.attention == .eager, layer.attentionHeads > 0 else { return linear }
    let scores = Int64.saturatingProduct(
      layer.attentionHeads, length, length, activationBytes + Self.eagerScoreFP32Copies * Self.fp32Bytes)
    return max(
      linear,
      Int64.saturatingProduct(patches, Self.videoEagerBytesPerWidth, visionWidth).saturatingAdd(scores))
  }

  /// llama-server's buffers, where the runtime is llama.cpp: its compute buffer replaces the
  /// transients (f32 activations of one micro-batch; the logits are in host memory).
  var llamaCpp: LlamaCppMemory? {
    runtime.name == RuntimeProfile.llamaCpp.name ? LlamaCppMemory(inputCopies: llamaInputCopies) : nil
  }

  /// llama.cpp's KV cells per slot (`-c` is the context of all slots).
  var llamaSlotContext: Int64 {
    LlamaCppMemory.slotContext(contextTokens: .saturatingProduct(context, batch), parallel: batch)
  }

  /// The largest transient of one layer while it runs (prefill for text layers, one batch of
  /// slices for vision layers, one 30 s window for audio layers), logits included for the head.
  public func transient(of layer: Layer) -> ByteCount {
    if let llamaCpp, layer.stream == .text {
      // llama.cpp: a decoder layer's step over one micro-batch; the mask is the residual stream's
      // term, the logits are in host memory, the input layer never on a GPU.
      return ByteCount(
        llamaCpp.step(
          of: layer, hiddenSize: model.hiddenSize, slotContext: llamaSlotContext,
          isLast: layer.module == lastTextDecoder, expertsOnHost: hostExpertModules.contains(layer.module))
          ?? 0)
    }
    let (sequences, length): (Int64, Int64)
    switch layer.stream {
    case .text:
      // A chunked prefill holds at most one chunk of prompt tokens in flight.
      if let chunk = runtime.prefillChunkTokens.map(Int64.init), chunk < batch * context {
        (sequences, length) = (1, chunk)
      } else {
        (sequences, length) = (batch, context)
      }
    case .vision:
      (sequences, length) = visionSequences
      if media.video?.patchesPerSequence ?? 0 > 0, media.input?.frames == .qwenTemporalPatches,
        visionWidth > 0,
        layer.kind == .visionBlock
      {
        return ByteCount(videoTransient(of: layer, sequences: sequences, length: length))
      }
    case .audio:
      if media.audioTokens > 0, let input = media.input, input.audioAttentionChunk > 0 {
        // The whole audio through the encoder at once; attention within chunks.
        let frames = Int64((media.audioSeconds * Double(input.audioEncoderTokensPerSecond)).rounded(.up))
        var bytes = Int64.saturatingProduct(batch, frames, layer.transientElementsPerToken, activationBytes)
        if workload.attention == .eager && layer.attentionHeads > 0 {
          let chunk = min(input.audioAttentionChunk, frames)
          bytes = max(
            bytes,
            .saturatingProduct(
              layer.attentionHeads, chunk, chunk, activationBytes + Self.eagerScoreFP32Copies * Self.fp32Bytes
            ))
        }
        return ByteCount(bytes)
      }
      (sequences, length) = (batch, Self.audioTokensPerWindow)
    case .speech: return ByteCount(speechTransient(of: layer))
    }
    var bytes = Int64.saturatingProduct(sequences, length, layer.transientElementsPerToken, activationBytes)
    if workload.attention == .eager && layer.attentionHeads > 0 {
      // The attention runs before the MLP: the peak is the larger of the two, not their sum
      // (measured on an H100: eager at 1024 tokens peaks at 399.5 MB, where the sum would be 498).
      bytes = max(
        bytes,
        .saturatingProduct(
          sequences, layer.attentionHeads, length, length,
          activationBytes + Self.eagerScoreFP32Copies * Self.fp32Bytes))
    }
    if layer.kind == .visionBlock && layer.encoderBlocks == 1 && layer.outputElementsPerToken > 0 {
      // The block's hidden states beside its widest transient, as in the text model: SigLIP-400M
      // peaks at 26,432 B per patch with sdpa (MLP 17,216 + 4 × 1152 × 2) and 177,664 with eager
      // attention, on an H100 over 1 to 256 slices (fixtures/measurements/vision-profile-h100.json).
      bytes = bytes.saturatingAdd(
        .saturatingProduct(
          Self.residualCopies, sequences, length, layer.outputElementsPerToken, activationBytes))
    }
    if layer.kind == .head {
      bytes = bytes.saturatingAdd(.saturatingProduct(batch, model.vocabularySize, Self.fp32Bytes))
      if media.input?.promptLogits == true && runtime.name == RuntimeProfile.transformers.name {
        // Qwen2.5-Omni's thinker applies lm_head to every prompt position (no logits_to_keep in
        // transformers 5.17): 46,106 × 152,064 bf16 logits are 14.0 GB of the 17.7 GB a 60 s
        // video's prefill needs above the weights (fixtures/measurements/omni-video-h200.json).
        bytes = bytes.saturatingAdd(
          .saturatingProduct(sequences, length, model.vocabularySize, activationBytes))
      }
    }
    return ByteCount(bytes)
  }

  /// The residual stream of the text model during prefill, held on every device that runs text layers.
  public var residualStream: ByteCount {
    if let llamaCpp {
      return ByteCount(llamaCpp.inputs(hiddenSize: model.hiddenSize, slotContext: llamaSlotContext))
    }
    let tokens = min(
      Int64.saturatingProduct(batch, context), runtime.prefillChunkTokens.map(Int64.init) ?? .max)
    return ByteCount(.saturatingProduct(Self.residualCopies, tokens, model.hiddenSize, activationBytes))
  }

  /// Where a video's, an audio input's and speech output's memory goes, one line each, for the plan.
  public var mediaNotes: [String] {
    var notes: [String] = []
    if media.input == nil && (workload.videoSeconds != nil || workload.audioSeconds != nil || workload.speaks)
    {
      notes.append(
        "\(model.name) takes no video or audio the planner knows: --video-seconds, --audio-seconds and --audio-output are ignored"
      )
    } else if media.input?.audioTokensPerSecond == 0 && workload.audioSeconds != nil {
      notes.append("\(model.name) has no audio encoder: --audio-seconds is ignored")
    }
    if let video = media.video,
      let vision = model.layers.first(where: { $0.stream == .vision && $0.kind == .visionBlock })
    {
      let (sequences, length) = visionSequences
      notes.append(
        "video: \(Int64.saturatingProduct(sequences, length)) patches through the vision tower (\(sequences) "
          + "attention groups of \(length)), \(transient(of: vision).formatted()) of activations on its GPU; "
          + "\(Int64.saturatingProduct(media.videoCount, video.tokens)) tokens for the thinker")
    }
    if media.input?.promptLogits == true && runtime.name == RuntimeProfile.transformers.name {
      let logits = ByteCount(.saturatingProduct(batch, context, model.vocabularySize, activationBytes))
      notes.append(
        "the thinker's prefill computes logits for all \(context) prompt tokens (lm_head on every position): "
          + "\(logits.formatted()) on the lm_head's GPU, beside \(ByteCount(.saturatingProduct(context, batch, model.layers.reduce(0) { $0 + $1.kvElementsPerToken }, kvBytes)).formatted()) of KV cache"
      )
    }
    if media.audioTokens > 0 {
      let peak = model.layers.filter { $0.stream == .audio }.map { transient(of: $0) }.max() ?? .zero
      notes.append(
        "audio: \(media.audioTokens) tokens, \(peak.formatted()) of activations in the audio encoder")
    }
    if let talker = model.layers.first(where: { $0.stream == .speech && $0.flopsPerToken > 0 }) {
      if workload.speaks {
        notes.append(
          "speech output: the talker's KV cache \(kvCache(of: talker).formatted()) and prefill with the thinker's "
            + "hidden states \(transient(of: talker).formatted()), beside its weights")
      } else if media.input != nil {
        notes.append("speech output off: the talker and vocoder are not counted (--audio-output adds them)")
      }
    }
    return notes
  }

  /// The memory a set of layers needs on a GPU (`isGPU`) or in host memory.
  ///
  /// - Complexity: O(*n*) in the number of layers.
  public func breakdown(of layers: some Sequence<Layer>, isGPU: Bool) -> MemoryBreakdown {
    var result = MemoryBreakdown()
    var peak = ByteCount.zero
    var runsText = false
    var any = false
    for layer in layers {
      any = true
      result.weights = result.weights + weights(of: layer)
      result.kvCache = result.kvCache + kvCache(of: layer)
      peak = max(peak, transient(of: layer))
      // llama.cpp: a device with only the output layer gets its one row of hidden state, no mask.
      if layer.stream == .text && layer.kind != .rotary && (llamaCpp == nil || layer.kind == .decoder) {
        runsText = true
      }
    }
    guard isGPU, any else { return result }
    result.activations = peak + (runsText ? residualStream : .zero)
    result.reserve = runtime.reservePerGPU
    return result
  }
}
