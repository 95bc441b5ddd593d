/// A Whisper-style audio encoder: two 1-D convolutions over mel frames, a position table, and
/// `layerCount` pre-norm transformer blocks.
///
/// Tree (transformers `WhisperEncoder`): `conv1`, `conv2`, `embed_positions`, `layers.N`
/// (`self_attn.{k,v,q,out}_proj` with no bias on `k_proj`, `self_attn_layer_norm`, `fc1`, `fc2`,
/// `final_layer_norm`), `layer_norm`. Qwen2.5-Omni's encoder adds `audio_bos_eos_token`,
/// keeps its positions in a buffer, and ends with `ln_post` and a projection `proj`.
public struct AudioEncoder: Sendable, Hashable, Codable {
  public enum Layout: String, Sendable, Hashable, Codable {
    /// MiniCPM-o's `apm` (transformers' WhisperEncoder).
    case whisper
    /// Qwen2.5-Omni's `audio_tower`.
    case qwenOmni
  }

  public var layout: Layout
  public var modelDimension: Int64
  public var layerCount: Int
  public var headCount: Int64
  public var feedForwardSize: Int64
  public var melBins: Int64
  public var positionCount: Int64
  /// Width the encoder projects to (Qwen2.5-Omni: the thinker's hidden size); 0 for none.
  public var outputDimension: Int64

  public init(
    layout: Layout, modelDimension: Int64, layerCount: Int, headCount: Int64, feedForwardSize: Int64,
    melBins: Int64, positionCount: Int64 = 1500, outputDimension: Int64 = 0
  ) {
    self.layout = layout
    self.modelDimension = modelDimension
    self.layerCount = layerCount
    self.headCount = headCount
    self.feedForwardSize = feedForwardSize
    self.melBins = melBins
    self.positionCount = positionCount
    self.outputDimension = outputDimension
  }

  func block(_ index: Int) -> Module {
    let d = modelDimension
    return Module(
      "\(index)", layout == .whisper ? "WhisperEncoderLayer" : "Qwen2_5OmniAudioEncoderLayer",
      children: [
        Module(
          "self_attn", "WhisperAttention",
          children: [
            .linear("k_proj", d, d, bias: false), .linear("v_proj", d, d, bias: true),
            .linear("q_proj", d, d, bias: true), .linear("out_proj", d, d, bias: true),
          ]),
        .layerNorm("self_attn_layer_norm", d),
        .linear("fc1", d, feedForwardSize, bias: true),
        .linear("fc2", feedForwardSize, d, bias: true),
        .layerNorm("final_layer_norm", d),
      ])
  }

  func convolution(_ name: String, _ input: Int64) -> Module {
    Module(
      name, "Conv1d",
      parameters: [.parameter("weight", modelDimension, input, 3), .parameter("bias", modelDimension)])
  }

  /// Builds the encoder module and its layers.
  public func build(name: String, path: String) -> (module: Module, layers: [Layer]) {
    let d = modelDimension
    let dot = path + "."
    let blocks = (0..<layerCount).map { index in
      Layer(
        module: dot + "layers.\(index)", kind: .audioBlock, stream: .audio,
        flopsPerToken: 2 * (4 * d * d + 2 * d * feedForwardSize),
        transientElementsPerToken: 2 * feedForwardSize,
        attentionHeads: headCount)
    }
    switch layout {
    case .whisper:
      let module = Module(
        name, "WhisperEncoder",
        children: [
          convolution("conv1", melBins), convolution("conv2", d),
          .embedding("embed_positions", positionCount, d),
          .list("layers", count: layerCount, block), .layerNorm("layer_norm", d),
        ])
      let layers =
        ["conv1", "conv2", "embed_positions"].map {
          Layer(module: dot + $0, kind: .audioEmbedding, stream: .audio)
        } + blocks + [Layer(module: dot + "layer_norm", kind: .audioNorm, stream: .audio)]
      return (module, layers)
    case .qwenOmni:
      let module = Module(
        name, "Qwen2_5OmniAudioEncoder",
        children: [
          convolution("conv1", melBins), convolution("conv2", d),
          Module(
            "positional_embedding", "SinusoidsPositionEmbedding",
            buffers: [.buffer("positional_embedding", positionCount, d, persistent: false)]),
          .embedding("audio_bos_eos_token", 2, outputDimension),
          .list("layers", count: layerCount, block), .layerNorm("ln_post", d),
          .linear("proj", d, outputDimension, bias: true),
        ])
      let layers =
        ["conv1", "conv2", "positional_embedding", "audio_bos_eos_token"].map {
          Layer(module: dot + $0, kind: .audioEmbedding, stream: .audio)
        } + blocks
        + [
          Layer(module: dot + "ln_post", kind: .audioNorm, stream: .audio),
          Layer(
            module: dot + "proj", kind: .projector, stream: .audio, flopsPerToken: 2 * d * outputDimension),
        ]
      return (module, layers)
    }
  }
}
