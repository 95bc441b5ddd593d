/// The Qwen2.5-VL vision transformer (also Qwen2.5-Omni's `visual`): a 3-D patch embedding
/// (two frames × 14 × 14), RMS-normed blocks with a gated MLP, and a patch merger that folds
/// 2 × 2 patches into one LLM token.
///
/// Tree (transformers `Qwen2_5_VisionTransformerPretrainedModel`): `patch_embed.proj` (Conv3d, no
/// bias), `rotary_pos_emb` (`inv_freq` buffer), `blocks.N` (`norm1`, `norm2`, `attn.qkv`,
/// `attn.proj`, `mlp.gate_proj/up_proj/down_proj`, all with bias), `merger` (`ln_q`,
/// `mlp.0`, `mlp.2`).
public struct QwenVisionTransformer: Sendable, Hashable, Codable {
  public var hiddenSize: Int64
  public var intermediateSize: Int64
  public var headCount: Int64
  public var layerCount: Int
  public var patchSize: Int64
  public var temporalPatchSize: Int64
  public var spatialMergeSize: Int64
  public var outputDimension: Int64
  public var classPrefix: String

  public init(
    hiddenSize: Int64, intermediateSize: Int64, headCount: Int64, layerCount: Int, patchSize: Int64 = 14,
    temporalPatchSize: Int64 = 2, spatialMergeSize: Int64 = 2, outputDimension: Int64, classPrefix: String
  ) {
    self.hiddenSize = hiddenSize
    self.intermediateSize = intermediateSize
    self.headCount = headCount
    self.layerCount = layerCount
    self.patchSize = patchSize
    self.temporalPatchSize = temporalPatchSize
    self.spatialMergeSize = spatialMergeSize
    self.outputDimension = outputDimension
    self.classPrefix = classPrefix
  }

  func block(_ index: Int) -> Module {
    let h = hiddenSize
    return Module(
      "\(index)", classPrefix + "VisionBlock",
      children: [
        .rmsNorm("norm1", h, className: "Qwen2RMSNorm"), .rmsNorm("norm2", h, className: "Qwen2RMSNorm"),
        Module(
          "attn", classPrefix + "VisionAttention",
          children: [.linear("qkv", h, 3 * h, bias: true), .linear("proj", h, h, bias: true)]),
        Module(
          "mlp", classPrefix + "VisionMLP",
          children: [
            .linear("gate_proj", h, intermediateSize, bias: true),
            .linear("up_proj", h, intermediateSize, bias: true),
            .linear("down_proj", intermediateSize, h, bias: true),
          ]),
      ])
  }

  /// Builds the encoder module and its layers.
  public func build(name: String, path: String) -> (module: Module, layers: [Layer]) {
    let h = hiddenSize
    let merged = h * spatialMergeSize * spatialMergeSize
    let dot = path + "."
    let headDimension = h / headCount
    let module = Module(
      name, classPrefix + "VisionEncoder",
      children: [
        Module(
          "patch_embed", classPrefix + "VisionPatchEmbed",
          children: [
            Module(
              "proj", "Conv3d",
              parameters: [.parameter("weight", h, 3, temporalPatchSize, patchSize, patchSize)])
          ]),
        Module(
          "rotary_pos_emb", classPrefix + "VisionRotaryEmbedding",
          buffers: [.buffer("inv_freq", headDimension / 4, persistent: false)]),
        .list("blocks", count: layerCount, block),
        Module(
          "merger", classPrefix + "PatchMerger",
          children: [
            .rmsNorm("ln_q", h, className: "Qwen2RMSNorm"),
            Module(
              "mlp", "Sequential",
              children: [
                .linear("0", merged, merged, bias: true), .linear("2", merged, outputDimension, bias: true),
              ]),
          ]),
      ])
    let layers =
      [
        Layer(module: dot + "patch_embed", kind: .visionEmbedding, stream: .vision),
        Layer(module: dot + "rotary_pos_emb", kind: .rotary, stream: .vision),
      ]
      + (0..<layerCount).map { index in
        Layer(
          module: dot + "blocks.\(index)", kind: .visionBlock, stream: .vision,
          flopsPerToken: 2 * (4 * h * h + 3 * h * intermediateSize),
          transientElementsPerToken: DecoderLLM.gatedMLPTransients * intermediateSize,
          attentionHeads: headCount)
      }
      + [
        Layer(
          module: dot + "merger", kind: .projector, stream: .vision,
          flopsPerToken: 2 * (merged * merged + merged * outputDimension)
            / (spatialMergeSize * spatialMergeSize))
      ]
    return (module, layers)
  }
}
