/// The buffers llama-server allocates beside weights and KV cache: the compute buffer of every
/// device (sized by the scheduler's dry run of one micro-batch, `llama_context::sched_reserve`),
/// the host compute buffer, and the host output buffer that holds the logits.
///
/// Every size is f32 activations of one micro-batch (`n_ubatch`, 512 tokens by default,
/// common/common.h) through the widest step of a decoder layer; none grows with the batch of
/// slots. Where the model spans several devices with every layer offloaded, llama.cpp turns on
/// pipeline parallelism (src/llama-context.cpp: more than one device, `-ngl` above the layer count,
/// `--split-mode layer`, no tensor overrides such as `--n-cpu-moe`), and the scheduler keeps
/// `GGML_SCHED_MAX_COPIES` (4) copies of every split's inputs (ggml/src/ggml-backend.cpp,
/// `n_copies`, the "6.cpy" input copies): the mask and the hidden state that enters each device, and
/// on the host the mask and the token embeddings' rows. In the last layer only the output rows go
/// through the MLP (`ggml_get_rows(cur, inp_out_ids)`), so a device that runs only the last layer
/// holds no MLP intermediates.
///
/// Held within 10% by LlamaCppMemoryTests to what llama-server printed: the Qwen2-7B shape in F16
/// on CPU (../shared/reference/engines-2026.md) and the planner's exported commands on ggml RPC
/// devices (`Scripts/check_exports.py --part llama`, fixtures/measurements/export-checks-llama.json,
/// llama.cpp as vendored in llama-cpp-python 0.3.36).
public struct LlamaCppMemory: Sendable, Hashable {
  /// `n_ubatch`: tokens of one micro-batch (common/common.h `n_ubatch = 512`).
  public static let defaultMicroBatch: Int64 = 512
  /// `n_ctx` (of each slot) is padded to a multiple of 256 (src/llama-context.cpp, `GGML_PAD`).
  public static let contextPadding: Int64 = 256
  /// Bytes of an f32 activation.
  static let f32Bytes: Int64 = 4
  /// Hidden-state-sized f32 tensors alive beside the gated MLP's intermediates (the residual,
  /// the normed input, the MLP's output): 132 MiB of the Qwen2-7B shape's 136 are
  /// `512 × (3 × 18944 + 3 × 3584) × 4` bytes, the other 4 the attention mask.
  static let hiddenCopiesBesideMLP: Int64 = 3
  /// Hidden-state-sized f32 tensors alive beside the attention scores without flash attention (Q,
  /// the attention output, the residual and the normed input): the `-fa off` buffer is the scores,
  /// `512 × 28 × 4096 × 4` bytes (224 MiB), plus the f32 mask (8 MiB) plus these (28 MiB), 260 MiB
  /// of 262.
  static let hiddenCopiesBesideScores: Int64 = 4
  /// Hidden-state-sized f32 tensors in the host compute buffer: the token embeddings' rows
  /// (`get_rows` from the host's input layer) and their copy for the first device. The host buffer
  /// is these plus the mask (18 = 14 + 4 MiB at `-c 4096`, 46 = 14 + 32 at 32768).
  static let hostHiddenCopies: Int64 = 2
  /// Copies of each split's inputs the scheduler keeps with pipeline parallelism:
  /// `GGML_SCHED_MAX_COPIES`, 4 (ggml/CMakeLists.txt, ggml/src/ggml-backend.cpp).
  public static let pipelineInputCopies: Int64 = 4

  /// Tokens of one micro-batch (`-ub`).
  public var microBatch: Int64
  /// Whether flash attention runs (`-fa auto` turns it on on CUDA GPUs that have it; the planner
  /// assumes it does).
  public var flashAttention: Bool
  /// Copies of every split's inputs: ``pipelineInputCopies`` with pipeline parallelism, else 1.
  public var inputCopies: Int64

  public init(microBatch: Int64 = Self.defaultMicroBatch, flashAttention: Bool = true, inputCopies: Int64 = 1)
  {
    self.microBatch = microBatch
    self.flashAttention = flashAttention
    self.inputCopies = max(1, inputCopies)
  }

  /// The input copies llama.cpp's scheduler keeps: 4 where pipeline parallelism is on (the model
  /// on more than one device, every layer and the output layer offloaded, no tensor overrides such
  /// as `--n-cpu-moe`), else 1 (src/llama-context.cpp, the `pipeline_parallel` condition).
  public static func inputCopies(modelDevices: Int, everyLayerOffloaded: Bool, tensorOverrides: Bool) -> Int64
  {
    modelDevices > 1 && everyLayerOffloaded && !tensorOverrides ? pipelineInputCopies : 1
  }

  /// The KV cells of one slot: `-c` divided over `--parallel` slots, padded to 256 (each slot has
  /// its own stream unless `--kv-unified`).
  public static func slotContext(contextTokens: Int64, parallel: Int64) -> Int64 {
    let share = contextTokens / max(1, parallel)
    let padded = Int64.saturatingProduct((share + contextPadding - 1) / contextPadding, contextPadding)
    return max(contextPadding, padded)
  }

  /// The KQ mask of one micro-batch: one value per cell and token, f16 with flash attention,
  /// f32 without.
  public func maskBytes(slotContext: Int64) -> ByteCount { ByteCount(mask(slotContext: slotContext)) }

  func mask(slotContext: Int64) -> Int64 {
    .saturatingProduct(slotContext, microBatch, flashAttention ? 2 : Self.f32Bytes)
  }

  /// One micro-batch of hidden states, f32: what enters a device from the one before it.
  func hiddenState(hiddenSize: Int64) -> Int64 { .saturatingProduct(microBatch, hiddenSize, Self.f32Bytes) }

  /// The compute buffer of a GPU that runs `layers` (text decoder layers; others add nothing):
  /// the widest layer's step over one micro-batch, plus the mask, plus with pipeline parallelism
  /// the further copies of its inputs (the mask and the hidden state). `last` names the model's
  /// last decoder layer, whose MLP runs on the output rows only. Zero where no text layer runs.
  public func deviceComputeBuffer(
    layers: some Sequence<Layer>, hiddenSize: Int64, slotContext: Int64, last: String? = nil
  ) -> ByteCount {
    var widest: Int64?
    for layer in layers {
      if let step = step(
        of: layer, hiddenSize: hiddenSize, slotContext: slotContext, isLast: layer.module == last)
      {
        widest = max(widest ?? 0, step)
      }
    }
    return widest.map {
      ByteCount($0.saturatingAdd(inputs(hiddenSize: hiddenSize, slotContext: slotContext)))
    }
      ?? .zero
  }

  /// What a device's compute buffer holds beside its widest step: the mask, and with pipeline
  /// parallelism `inputCopies - 1` more copies of the mask and of the hidden state entering it.
  public func inputs(hiddenSize: Int64, slotContext: Int64) -> Int64 {
    let mask = mask(slotContext: slotContext)
    return mask.saturatingAdd(
      .saturatingProduct(inputCopies - 1, mask.saturatingAdd(hiddenState(hiddenSize: hiddenSize))))
  }

  /// The f32 bytes one text decoder layer holds at once over a micro-batch (mask apart): its gated
  /// MLP's intermediates and the hidden states beside them, or without flash attention the
  /// attention scores if larger; `nil` for a layer that is not a text decoder layer. The last
  /// layer (`isLast`) runs its MLP on the output rows only: the hidden states alone. A layer whose
  /// routed experts run on the host (`expertsOnHost`, `--n-cpu-moe`) keeps no expert intermediates
  /// on the GPU but one more hidden state: the experts' output copied back from the host, beside
  /// the MLP's input, its normed copy (sent to the host and the router) and the attention's.
  func step(
    of layer: Layer, hiddenSize: Int64, slotContext: Int64, isLast: Bool = false, expertsOnHost: Bool = false
  ) -> Int64? {
    guard layer.stream == .text && layer.kind == .decoder else { return nil }
    if expertsOnHost && !isLast {
      return .saturatingProduct(microBatch, Self.hiddenCopiesBesideScores + 1, hiddenSize, Self.f32Bytes)
    }
    // A mixture-of-experts layer runs every token's routed experts at once (`ggml_mul_mat_id` over
    // `[expert_ffn, experts_used, tokens]`): the per-expert intermediates times the experts used.
    let mlp = Int64.saturatingProduct(
      layer.transientElementsPerToken, Int64(layer.routedExperts?.active ?? 1))
    var widest = Int64.saturatingProduct(
      microBatch,
      (isLast ? 0 : mlp).saturatingAdd(
        .saturatingProduct(Self.hiddenCopiesBesideMLP, hiddenSize)),
      Self.f32Bytes)
    if !flashAttention && layer.attentionHeads > 0 {
      let scores = Int64.saturatingProduct(microBatch, layer.attentionHeads, slotContext, Self.f32Bytes)
      let beside = Int64.saturatingProduct(
        microBatch, Self.hiddenCopiesBesideScores, hiddenSize, Self.f32Bytes)
      widest = max(widest, scores.saturatingAdd(beside))
    }
    return widest
  }

  /// The host compute buffer: the token embeddings' rows of one micro-batch and the mask, each
  /// kept `inputCopies` times, and the rows' copy for the first device.
  public func hostComputeBuffer(hiddenSize: Int64, slotContext: Int64) -> ByteCount {
    let hidden = hiddenState(hiddenSize: hiddenSize)
    return ByteCount(
      Int64.saturatingProduct(inputCopies, mask(slotContext: slotContext).saturatingAdd(hidden))
        .saturatingAdd(.saturatingProduct(Self.hostHiddenCopies - 1, hidden)))
  }

  /// What the host compute buffer adds where routed experts run on the CPU (`--n-cpu-moe`): the
  /// widest such layer's expert intermediates over one micro-batch, per expert used.
  public func hostExpertStep(layers: some Sequence<Layer>) -> ByteCount {
    var widest: Int64 = 0
    for layer in layers where layer.kind == .decoder {
      guard let experts = layer.routedExperts else { continue }
      widest = max(
        widest,
        .saturatingProduct(microBatch, Int64(experts.active), layer.transientElementsPerToken, Self.f32Bytes))
    }
    return ByteCount(widest)
  }

  /// The host output buffer: one f32 row of logits per slot (llama-server samples one token per
  /// slot a step), 0.58 MiB a slot for a 152,064-token vocabulary.
  public func outputBuffer(vocabularySize: Int64, parallel: Int64) -> ByteCount {
    ByteCount(.saturatingProduct(max(1, parallel), vocabularySize, Self.f32Bytes))
  }
}
