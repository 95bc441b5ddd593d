/// How a model's processors turn video and audio into tokens, and what its encoders and speech
/// output hold in memory beyond what the layer chain says (Docs/Video.md).
///
/// Qwen2.5-Omni (qwen-omni-utils `vision_process.py`, transformers `Qwen2_5OmniProcessor`): frames
/// are sampled at `fps` (default 2, at least 4 and at most 768 frames, an even count), resized so
/// a frame has at most `VIDEO_MAX_PIXELS` = 768 × 28 × 28 pixels and at least
/// `VIDEO_MIN_PIXELS` = 128 × 28 × 28, and, over the whole video, at most
/// `VIDEO_TOTAL_PIXELS` = 128000 × 28 × 28 × 0.9 pixels × 2 / frames per frame; the vision tower
/// sees 14 × 14 × 2-frame patches (one attention sequence per 2-frame group in its full-attention
/// layers) and the merger folds 2 × 2 patches into one thinker token. Audio: 100 mel frames a
/// second, `conv2` stride 2, average pooling 2: 25 tokens a second
/// (`Qwen2_5OmniAudioEncoder._get_feat_extract_output_lengths`), attention over 100-frame chunks.
///
/// MiniCPM-V 2.6 and MiniCPM-o 2.6 (their `chat` video examples): one frame a second, at most 64
/// frames, each frame one 448 × 448 slice through the vision tower and 64 resampler queries;
/// MiniCPM-o's Whisper encoder gives 50 frames a second, pooled by 2: 25 tokens a second.
public struct MediaInput: Sendable, Hashable, Codable {
  public enum Frames: String, Sendable, Hashable, Codable {
    /// Qwen2-VL-style: 2-frame temporal patches, 2 × 2 merge, a per-frame pixel cap.
    case qwenTemporalPatches
    /// MiniCPM-V-style: every frame is one slice through the vision tower and the resampler.
    case resamplerSlices
  }

  public var frames: Frames
  public var defaultFPS: Double
  public var minimumFrames: Int64
  public var maximumFrames: Int64
  /// Frames per temporal patch (the frame count is rounded up to a multiple of it).
  public var temporalPatch: Int64
  /// Pixels per patch side and patches per merged token side (Qwen); slice side (MiniCPM).
  public var patchSize: Int64
  public var mergeSize: Int64
  public var minimumPixelsPerFrame: Int64
  public var maximumPixelsPerFrame: Int64
  /// Pixels over the whole video (Qwen's `VIDEO_TOTAL_PIXELS`); 0 for no such cap.
  public var totalPixels: Int64
  /// Thinker tokens per second of audio input; 0 for a model without an audio encoder.
  public var audioTokensPerSecond: Int64
  /// Audio encoder tokens (after its convolutions, before pooling) per second, and per attention chunk.
  public var audioEncoderTokensPerSecond: Int64
  public var audioAttentionChunk: Int64
  /// The thinker's forward returns logits for every prompt position (no `logits_to_keep`), so
  /// the prefill holds `prompt tokens × vocabulary` activations at the head.
  public var promptLogits: Bool
  /// Speech output (the talker), per prompt token: KV cache bytes and prefill transient bytes in
  /// bf16; the thinker's hidden states kept for the talker (layers + 1 of them, hidden wide).
  public var talkerKVBytesPerToken: Int64
  public var talkerPrefillBytesPerToken: Int64
  public var keptHiddenStates: Int64
  /// Qwen2-VL-style towers: patches per attention window (112-pixel windows: 8 × 8 patches) and
  /// the layers that attend over a whole 2-frame group (`fullatt_block_indexes`: 7, 15, 23, 31).
  public var windowPatches: Int64 = 64
  public var fullAttentionLayers: Int64 = 4

  /// Frames, tokens and vision-tower work for one video.
  public struct Video: Sendable, Hashable {
    public var frames: Int64
    public var width: Int64
    public var height: Int64
    /// Attention sequences through the vision tower (2-frame groups, or slices) and patches per sequence.
    public var sequences: Int64
    public var patchesPerSequence: Int64
    /// Tokens the video adds to the thinker's context.
    public var tokens: Int64
  }

  /// The default frame size: the largest 4:3 frame under the per-frame pixel cap, whole merged
  /// tokens (Qwen: 896 × 672 = 768 tokens of 28 × 28 pixels).
  public var defaultResolution: (width: Int64, height: Int64) {
    switch frames {
    case .resamplerSlices: return (patchSize, patchSize)
    case .qwenTemporalPatches:
      let unit = patchSize * mergeSize
      let units = maximumPixelsPerFrame / (unit * unit)
      // w = 4k, h = 3k units with 12 k² <= units.
      var k: Int64 = 1
      while 12 * (k + 1) * (k + 1) <= units { k += 1 }
      return (4 * k * unit, 3 * k * unit)
    }
  }

  /// The video of `seconds` at `fps` (nil: the model's) and `width × height` (nil: the default).
  public func video(seconds: Double, fps: Double?, width: Int64?, height: Int64?) -> Video {
    let rate = fps ?? defaultFPS
    var count = Int64((seconds * rate).rounded(.toNearestOrEven))
    count = min(max(count, minimumFrames), maximumFrames)
    count = (count + temporalPatch - 1) / temporalPatch * temporalPatch
    let size = (width ?? defaultResolution.width, height ?? defaultResolution.height)
    switch frames {
    case .resamplerSlices:
      // Each frame is resized into one slice of the model's slice size.
      let patches = (patchSize / 14) * (patchSize / 14)
      return Video(
        frames: count, width: size.0, height: size.1, sequences: count, patchesPerSequence: patches,
        tokens: count * mergeSize)
    case .qwenTemporalPatches:
      let unit = patchSize * mergeSize
      var cap = maximumPixelsPerFrame
      if totalPixels > 0 {
        cap = max(min(cap, totalPixels * temporalPatch / max(count, 1)), minimumPixelsPerFrame * 105 / 100)
      }
      let (h, w) = Self.smartResize(
        height: size.1, width: size.0, factor: unit, minimum: minimumPixelsPerFrame, maximum: cap)
      let patches = (h / patchSize) * (w / patchSize)
      let groups = count / temporalPatch
      return Video(
        frames: count, width: w, height: h, sequences: groups, patchesPerSequence: patches,
        tokens: groups * patches / (mergeSize * mergeSize))
    }
  }

  /// Thinker tokens for `seconds` of audio.
  public func audioTokens(seconds: Double) -> Int64 {
    Int64((seconds * Double(audioTokensPerSecond)).rounded(.up))
  }

  /// qwen-vl-utils' `smart_resize`: both sides multiples of `factor`, pixels within bounds,
  /// aspect ratio kept.
  static func smartResize(height: Int64, width: Int64, factor: Int64, minimum: Int64, maximum: Int64) -> (
    Int64, Int64
  ) {
    let f = Double(factor)
    var h = max(factor, Int64((Double(height) / f).rounded(.toNearestOrEven)) * factor)
    var w = max(factor, Int64((Double(width) / f).rounded(.toNearestOrEven)) * factor)
    if h * w > maximum {
      let beta = (Double(height) * Double(width) / Double(maximum)).squareRoot()
      h = max(factor, Int64((Double(height) / beta / f).rounded(.down)) * factor)
      w = max(factor, Int64((Double(width) / beta / f).rounded(.down)) * factor)
    } else if h * w < minimum {
      let beta = (Double(minimum) / (Double(height) * Double(width))).squareRoot()
      h = Int64((Double(height) * beta / f).rounded(.up)) * factor
      w = Int64((Double(width) * beta / f).rounded(.up)) * factor
    }
    return (h, w)
  }

  /// Qwen2.5-Omni's processors and speech output; the talker's geometry is the 7B's config.json
  /// (fixtures/models/qwen2.5-omni-7b/config.json: 24 layers, 4 KV heads of 128, 18944
  /// intermediate, 8448 codec tokens): KV 24 × 2 × 4 × 128 × 2 B; prefill 3 × 18944 × 2 B of MLP
  /// transients plus 8448 × 2 B of codec logits per token. The thinker keeps its 28 layers' + the
  /// embeddings' hidden states for the talker (`generate(..., return_audio=True)` asks the thinker
  /// for `output_hidden_states`).
  public static let qwenOmni = MediaInput(
    frames: .qwenTemporalPatches, defaultFPS: 2, minimumFrames: 4, maximumFrames: 768, temporalPatch: 2,
    patchSize: 14, mergeSize: 2, minimumPixelsPerFrame: 128 * 28 * 28, maximumPixelsPerFrame: 768 * 28 * 28,
    totalPixels: 128000 * 28 * 28 * 9 / 10, audioTokensPerSecond: 25, audioEncoderTokensPerSecond: 50,
    audioAttentionChunk: 100, promptLogits: true, talkerKVBytesPerToken: 24 * 2 * 4 * 128 * 2,
    talkerPrefillBytesPerToken: 3 * 18944 * 2 + 8448 * 2, keptHiddenStates: 29)

  /// MiniCPM-V 2.6 / MiniCPM-o 2.6: one 448-pixel slice and 64 resampler tokens per frame
  /// (`mergeSize` holds the tokens per frame).
  public static func miniCPM(audio: Bool) -> MediaInput {
    MediaInput(
      frames: .resamplerSlices, defaultFPS: 1, minimumFrames: 1, maximumFrames: 64, temporalPatch: 1,
      patchSize: 448, mergeSize: 64, minimumPixelsPerFrame: 0, maximumPixelsPerFrame: 448 * 448,
      totalPixels: 0,
      audioTokensPerSecond: audio ? 25 : 0, audioEncoderTokensPerSecond: audio ? 50 : 0,
      audioAttentionChunk: audio ? 1500 : 0, promptLogits: false, talkerKVBytesPerToken: 0,
      talkerPrefillBytesPerToken: 0, keptHiddenStates: 0)
  }

  /// The media input of a model the planner knows how to feed video or audio, from the classes
  /// in its graph (nil: neither).
  public static func of(_ model: ModelGraph) -> MediaInput? {
    if model.root.className == "Qwen2_5OmniForConditionalGeneration"
      || model.root.className == "Qwen2_5OmniThinkerForConditionalGeneration"
    {
      return .qwenOmni
    }
    if model.name == "minicpm-v-2.6" { return .miniCPM(audio: false) }
    if model.name == "minicpm-o-2.6" { return .miniCPM(audio: true) }
    return nil
  }
}
