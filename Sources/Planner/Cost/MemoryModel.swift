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

  public init(
    model: ModelGraph, workload: Workload, weightDType: DType, computeDType: DType, runtime: RuntimeProfile
  ) {
    self.model = model
    self.workload = workload
    self.weightDType = weightDType
    self.computeDType = computeDType
    self.runtime = runtime
  }

  var activationBytes: Int64 { Int64(computeDType.bits / 8) }
  var kvBytes: Int64 { Int64((workload.kvDType ?? computeDType).bits / 8) }
  var batch: Int64 { Int64(workload.batch) }
  var context: Int64 { Int64(workload.contextTokens) }

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

  /// Sequences through the vision tower, and patches per sequence.
  var visionSequences: (count: Int64, length: Int64) {
    guard let vision = model.vision else { return (0, 0) }
    let slices = Int64(
      workload.slicesPerImage.map { min(Int64($0), vision.maximumSlices) } ?? vision.maximumSlices)
    return (batch * Int64(workload.images) * slices, vision.patchesPerSlice)
  }

  /// The weights of one layer.
  public func weights(of layer: Layer) -> ByteCount {
    layer.weightBytes(weight: weightDType, compute: computeDType)
  }

  /// The KV cache one layer keeps for the workload (llama.cpp: each slot's cells padded to 256).
  public func kvCache(of layer: Layer) -> ByteCount {
    let cells = llamaCpp == nil ? context : llamaSlotContext
    return ByteCount(.saturatingProduct(layer.kvElementsPerToken, kvBytes, cells, batch))
  }

  /// llama-server's buffers, where the runtime is llama.cpp: its compute buffer replaces the
  /// transients (f32 activations of one micro-batch; the logits are in host memory).
  var llamaCpp: LlamaCppMemory? {
    runtime.name == RuntimeProfile.llamaCpp.name ? LlamaCppMemory() : nil
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
        llamaCpp.step(of: layer, hiddenSize: model.hiddenSize, slotContext: llamaSlotContext) ?? 0)
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
    case .vision: (sequences, length) = visionSequences
    case .audio: (sequences, length) = (batch, Self.audioTokensPerWindow)
    case .speech: (sequences, length) = (0, 0)
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
    }
    return ByteCount(bytes)
  }

  /// The residual stream of the text model during prefill, held on every device that runs text layers.
  public var residualStream: ByteCount {
    if let llamaCpp { return llamaCpp.maskBytes(slotContext: llamaSlotContext) }
    let tokens = min(
      Int64.saturatingProduct(batch, context), runtime.prefillChunkTokens.map(Int64.init) ?? .max)
    return ByteCount(.saturatingProduct(Self.residualCopies, tokens, model.hiddenSize, activationBytes))
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
      if layer.stream == .text && layer.kind != .rotary { runsText = true }
    }
    guard isGPU, any else { return result }
    result.activations = peak + (runsText ? residualStream : .zero)
    result.reserve = runtime.reservePerGPU
    return result
  }
}
