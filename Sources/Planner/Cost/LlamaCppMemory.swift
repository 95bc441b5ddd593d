/// The buffers llama-server allocates beside weights and KV cache: the compute buffer of every
/// device (sized by the scheduler's dry run of one micro-batch, `llama_context::sched_reserve`),
/// the host compute buffer, and the host output buffer that holds the logits.
///
/// Every size is f32 activations of one micro-batch (`n_ubatch`, 512 tokens by default,
/// common/common.h) through the widest step of a decoder layer; none grows with the batch of
/// slots. The constants were read from llama-server's log ("CUDA0 compute buffer size", "CPU
/// compute buffer size", "CPU  output buffer size") for the Qwen2-7B shape in F16
/// (../shared/reference/engines-2026.md, llama.cpp as vendored in llama-cpp-python 0.3.36):
///
/// | `-c` | flash attention | device | host |
/// |---|---|---|---|
/// | 4096 | auto (on) | 136 MiB | 18 MiB |
/// | 32768 | auto (on) | 164 MiB | 46 MiB |
/// | 4096 | off | 262 MiB | 24 MiB |
///
/// and are held to them within 10% by LlamaCppMemoryTests. `Scripts/check_exports.py --part llama`
/// records llama-server's buffers on ggml RPC devices for a smaller shape
/// (fixtures/measurements/llama-server-buffers.json); it has not been run yet (the CPU build did not
/// finish in the session that wrote it).
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

  /// Tokens of one micro-batch (`-ub`).
  public var microBatch: Int64
  /// Whether flash attention runs (`-fa auto` turns it on on CUDA GPUs that have it; the planner
  /// assumes it does).
  public var flashAttention: Bool

  public init(microBatch: Int64 = Self.defaultMicroBatch, flashAttention: Bool = true) {
    self.microBatch = microBatch
    self.flashAttention = flashAttention
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

  /// The compute buffer of a GPU that runs `layers` (text decoder layers; others add nothing):
  /// the widest layer's step over one micro-batch, plus the mask. Zero where no text layer runs.
  public func deviceComputeBuffer(layers: some Sequence<Layer>, hiddenSize: Int64, slotContext: Int64)
    -> ByteCount
  {
    var widest: Int64?
    for layer in layers {
      if let step = step(of: layer, hiddenSize: hiddenSize, slotContext: slotContext) {
        widest = max(widest ?? 0, step)
      }
    }
    return widest.map { deviceComputeBuffer(widestStep: $0, slotContext: slotContext) } ?? .zero
  }

  /// The compute buffer of a GPU whose widest layer step is `widestStep` bytes.
  func deviceComputeBuffer(widestStep: Int64, slotContext: Int64) -> ByteCount {
    ByteCount(widestStep.saturatingAdd(mask(slotContext: slotContext)))
  }

  /// The f32 bytes one text decoder layer holds at once over a micro-batch (mask apart): its gated
  /// MLP's intermediates and the hidden states beside them, or without flash attention the
  /// attention scores if larger; `nil` for a layer that is not a text decoder layer.
  func step(of layer: Layer, hiddenSize: Int64, slotContext: Int64) -> Int64? {
    guard layer.stream == .text && layer.kind == .decoder else { return nil }
    var widest = Int64.saturatingProduct(
      microBatch,
      layer.transientElementsPerToken.saturatingAdd(
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

  /// The host compute buffer: the token embeddings' rows of one micro-batch and the mask.
  public func hostComputeBuffer(hiddenSize: Int64, slotContext: Int64) -> ByteCount {
    ByteCount(
      Int64.saturatingProduct(Self.hostHiddenCopies, microBatch, hiddenSize, Self.f32Bytes)
        .saturatingAdd(mask(slotContext: slotContext)))
  }

  /// The host output buffer: one f32 row of logits per slot (llama-server samples one token per
  /// slot a step), 0.58 MiB a slot for a 152,064-token vocabulary.
  public func outputBuffer(vocabularySize: Int64, parallel: Int64) -> ByteCount {
    ByteCount(.saturatingProduct(max(1, parallel), vocabularySize, Self.f32Bytes))
  }
}
