/// Hyperparameters of a ViT image encoder (SigLIP-400M, SigLIP2, EVA02) and the module layout
/// its checkpoint uses.
public struct VisionTransformer: Sendable, Hashable, Codable {
  /// How the checkpoint lays the encoder out.
  public enum Layout: String, Sendable, Hashable, Codable {
    /// transformers' SigLIP / the "navit" SigLIP of MiniCPM-V 2.5+: `embeddings.patch_embedding`,
    /// `embeddings.position_embedding`, `encoder.layers.N` (`self_attn.{k,v,q,out}_proj`,
    /// `layer_norm1`, `mlp.fc1/fc2`, `layer_norm2`), `post_layernorm`.
    case siglip
    /// timm's VisionTransformer (MiniCPM-V 1.0/2.0, OmniLMM-12B's EVA02): `patch_embed.proj`,
    /// a `pos_embed` parameter, `blocks.N` (`norm1`, `attn.qkv`, `attn.proj`, `norm2`,
    /// `mlp.fc1/fc2`), `norm`.
    case timm
  }

  public var layout: Layout
  public var hiddenSize: Int64
  public var intermediateSize: Int64
  public var headCount: Int64
  public var layerCount: Int
  public var patchSize: Int64
  /// Entries of the learned position table (`(image_size / patch)²`).
  public var positionCount: Int64
  /// Whether the MLP is gated (SwiGLU: three matrices) rather than fc1/fc2.
  public var gatedMLP: Bool
  /// Class name of the PyTorch module, and of its blocks.
  public var className: String
  public var blockClassName: String

  public init(
    layout: Layout, hiddenSize: Int64, intermediateSize: Int64, headCount: Int64, layerCount: Int,
    patchSize: Int64, positionCount: Int64, gatedMLP: Bool = false, className: String, blockClassName: String
  ) {
    self.layout = layout
    self.hiddenSize = hiddenSize
    self.intermediateSize = intermediateSize
    self.headCount = headCount
    self.layerCount = layerCount
    self.patchSize = patchSize
    self.positionCount = positionCount
    self.gatedMLP = gatedMLP
    self.className = className
    self.blockClassName = blockClassName
  }

  var mlp: Module {
    if gatedMLP {
      return Module(
        "mlp", "SwiGLU",
        children: [
          .linear("fc1_g", hiddenSize, intermediateSize, bias: true),
          .linear("fc1_x", hiddenSize, intermediateSize, bias: true),
          .layerNorm("norm", intermediateSize),
          .linear("fc2", intermediateSize, hiddenSize, bias: true),
        ])
    }
    return Module(
      "mlp", layout == .timm ? "Mlp" : "SiglipMLP",
      children: [
        .linear("fc1", hiddenSize, intermediateSize, bias: true),
        .linear("fc2", intermediateSize, hiddenSize, bias: true),
      ])
  }

  func block(_ index: Int) -> Module {
    switch layout {
    case .siglip:
      return Module(
        "\(index)", blockClassName,
        children: [
          Module(
            "self_attn", "SiglipAttention",
            children: ["k_proj", "v_proj", "q_proj", "out_proj"].map {
              .linear($0, hiddenSize, hiddenSize, bias: true)
            }),
          .layerNorm("layer_norm1", hiddenSize), mlp, .layerNorm("layer_norm2", hiddenSize),
        ])
    case .timm:
      return Module(
        "\(index)", blockClassName,
        children: [
          .layerNorm("norm1", hiddenSize),
          Module(
            "attn", "Attention",
            children: [
              .linear("qkv", hiddenSize, 3 * hiddenSize, bias: true),
              .linear("proj", hiddenSize, hiddenSize, bias: true),
            ]),
          .layerNorm("norm2", hiddenSize), mlp,
        ])
    }
  }

  var patchEmbedding: Module {
    Module(
      layout == .siglip ? "patch_embedding" : "proj", "Conv2d",
      parameters: [.parameter("weight", hiddenSize, 3, patchSize, patchSize), .parameter("bias", hiddenSize)])
  }

  /// Elements of the matrices of one block (for FLOPs per patch).
  var matrixElementsPerBlock: Int64 {
    4 * hiddenSize * hiddenSize + (gatedMLP ? 3 : 2) * hiddenSize * intermediateSize
  }

  /// Builds the encoder module and its layers (patch embedding, blocks, final norm).
  ///
  /// - Parameters:
  ///   - name: the module's local name (`"vpm"`, `"vision_tower"`).
  ///   - path: its full dotted path.
  public func build(name: String, path: String) -> (module: Module, layers: [Layer]) {
    let dot = path + "."
    let blockLayers = (0..<layerCount).map { index in
      Layer(
        module: dot + (layout == .siglip ? "encoder.layers.\(index)" : "blocks.\(index)"), kind: .visionBlock,
        stream: .vision, flopsPerToken: 2 * matrixElementsPerBlock,
        transientElementsPerToken: (gatedMLP ? 3 : 2) * intermediateSize, attentionHeads: headCount,
        attentionFLOPsPerContextToken: 4 * hiddenSize, outputElementsPerToken: hiddenSize)
    }
    switch layout {
    case .siglip:
      let module = Module(
        name, className,
        children: [
          Module(
            "embeddings", "SiglipVisionEmbeddings",
            children: [patchEmbedding, .embedding("position_embedding", positionCount, hiddenSize)]),
          Module("encoder", "SiglipEncoder", children: [.list("layers", count: layerCount, block)]),
          .layerNorm("post_layernorm", hiddenSize),
        ])
      let layers =
        [
          Layer(
            module: dot + "embeddings", kind: .visionEmbedding, stream: .vision,
            outputElementsPerToken: hiddenSize)
        ]
        + blockLayers
        + [
          Layer(
            module: dot + "post_layernorm", kind: .visionNorm, stream: .vision,
            outputElementsPerToken: hiddenSize)
        ]
      return (module, layers)
    case .timm:
      let module = Module(
        name, className, parameters: [.parameter("pos_embed", 1, positionCount, hiddenSize)],
        children: [
          Module("patch_embed", "PatchEmbed", children: [patchEmbedding]),
          Module("blocks", "Sequential", children: (0..<layerCount).map(block)),
          .layerNorm("norm", hiddenSize),
        ])
      let layers =
        [
          Layer(
            module: dot + "pos_embed", kind: .visionEmbedding, stream: .vision,
            outputElementsPerToken: hiddenSize),
          Layer(
            module: dot + "patch_embed", kind: .visionEmbedding, stream: .vision,
            outputElementsPerToken: hiddenSize),
        ] + blockLayers
        + [
          Layer(module: dot + "norm", kind: .visionNorm, stream: .vision, outputElementsPerToken: hiddenSize)
        ]
      return (module, layers)
    }
  }
}
