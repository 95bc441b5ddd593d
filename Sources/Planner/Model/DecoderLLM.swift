/// Hyperparameters of a decoder-only transformer language model (Llama, Mistral, Qwen2, Qwen3,
/// MiniCPM), as `config.json` states them.
///
///     let qwen2 = DecoderLLM(family: .qwen2, hiddenSize: 3584, layerCount: 28, headCount: 28,
///                            kvHeadCount: 4, intermediateSize: 18944, vocabularySize: 152064)
///     let (module, layers, tied) = qwen2.build(name: "", path: "")
public struct DecoderLLM: Sendable, Hashable, Codable {
  /// The transformers model family: it fixes the class names, biases and layout of the tree.
  public enum Family: String, Sendable, Hashable, Codable {
    case llama, mistral, qwen2, qwen3
    /// MiniCPM-2.4B (remote code): Llama layout, rotary embedding inside each attention with
    /// cached cos/sin tables.
    case minicpm

    var classPrefix: String {
      switch self {
      case .llama: "Llama"
      case .mistral: "Mistral"
      case .qwen2: "Qwen2"
      case .qwen3: "Qwen3"
      case .minicpm: "MiniCPM"
      }
    }

    /// Qwen2 has biases on q, k and v; the others have none.
    var hasQKVBias: Bool { self == .qwen2 }
    /// Qwen3 normalises queries and keys per head.
    var hasQKNorm: Bool { self == .qwen3 }
  }

  public var family: Family
  public var hiddenSize: Int64
  public var layerCount: Int
  public var headCount: Int64
  public var kvHeadCount: Int64
  public var headDimension: Int64
  public var intermediateSize: Int64
  public var vocabularySize: Int64
  public var tiedEmbeddings: Bool
  /// Length of the cos/sin tables cached per attention layer (MiniCPM only).
  public var maxPositions: Int64
  /// Prefix of the PyTorch class names (`"Qwen2"` gives `Qwen2DecoderLayer`); the family's by default.
  public var classPrefix: String

  public init(
    family: Family, hiddenSize: Int64, layerCount: Int, headCount: Int64, kvHeadCount: Int64,
    headDimension: Int64? = nil, intermediateSize: Int64, vocabularySize: Int64, tiedEmbeddings: Bool = false,
    maxPositions: Int64 = 0, classPrefix: String? = nil
  ) {
    self.family = family
    self.hiddenSize = hiddenSize
    self.layerCount = layerCount
    self.headCount = headCount
    self.kvHeadCount = kvHeadCount
    self.headDimension = headDimension ?? hiddenSize / headCount
    self.intermediateSize = intermediateSize
    self.vocabularySize = vocabularySize
    self.tiedEmbeddings = tiedEmbeddings
    self.maxPositions = maxPositions
    self.classPrefix = classPrefix ?? family.classPrefix
  }

  /// The rotary embedding's `inv_freq` buffer (float32, non-persistent), and for MiniCPM the
  /// cos/sin caches its remote code registers beside it.
  var rotaryBuffers: [Tensor] {
    var buffers = [Tensor.buffer("inv_freq", headDimension / 2, persistent: false)]
    if family == .minicpm {
      buffers.append(.buffer("cos_cached", maxPositions, headDimension, persistent: false))
      buffers.append(.buffer("sin_cached", maxPositions, headDimension, persistent: false))
    }
    return buffers
  }

  func attention() -> Module {
    let bias = family.hasQKVBias
    let q = headCount * headDimension
    let kv = kvHeadCount * headDimension
    var children: [Module] = [
      .linear("q_proj", hiddenSize, q, bias: bias),
      .linear("k_proj", hiddenSize, kv, bias: bias),
      .linear("v_proj", hiddenSize, kv, bias: bias),
      .linear("o_proj", q, hiddenSize, bias: false),
    ]
    if family.hasQKNorm {
      children.append(.rmsNorm("q_norm", headDimension, className: classPrefix + "RMSNorm"))
      children.append(.rmsNorm("k_norm", headDimension, className: classPrefix + "RMSNorm"))
    }
    if family == .minicpm {
      children.append(Module("rotary_emb", "MiniCPMRotaryEmbedding", buffers: rotaryBuffers))
    }
    return Module("self_attn", classPrefix + "Attention", children: children)
  }

  func decoderLayer(_ index: Int) -> Module {
    let mlp = Module(
      "mlp", classPrefix + "MLP",
      children: [
        .linear("gate_proj", hiddenSize, intermediateSize, bias: false),
        .linear("up_proj", hiddenSize, intermediateSize, bias: false),
        .linear("down_proj", intermediateSize, hiddenSize, bias: false),
      ])
    return Module(
      "\(index)", classPrefix + "DecoderLayer",
      children: [
        attention(), mlp,
        .rmsNorm("input_layernorm", hiddenSize, className: classPrefix + "RMSNorm"),
        .rmsNorm("post_attention_layernorm", hiddenSize, className: classPrefix + "RMSNorm"),
      ])
  }

  /// The class name transformers never splits.
  public var decoderLayerClass: String { classPrefix + "DecoderLayer" }

  /// Elements of the linear matrices of one decoder layer.
  var matrixElementsPerLayer: Int64 {
    let q = headCount * headDimension
    let kv = kvHeadCount * headDimension
    return hiddenSize * (2 * q + 2 * kv) + 3 * hiddenSize * intermediateSize
  }

  /// Builds `XForCausalLM`: `model` (`embed_tokens`, `layers`, `norm`, `rotary_emb`) and `lm_head`.
  ///
  /// - Parameters:
  ///   - name: the module's local name in its parent (`"llm"`, or `""` for a root).
  ///   - path: the module's full dotted path (`"llm"`, `"thinker"`, or `""`).
  /// - Returns: the module, its layers in execution order, and the tied tensor groups.
  public func build(name: String, path: String) -> (module: Module, layers: [Layer], tied: [[String]]) {
    let dot = path.isEmpty ? "" : path + "."
    var modelChildren: [Module] = [
      .embedding("embed_tokens", vocabularySize, hiddenSize),
      .list("layers", count: layerCount, decoderLayer),
      .rmsNorm("norm", hiddenSize, className: classPrefix + "RMSNorm"),
    ]
    if family != .minicpm {
      modelChildren.append(Module("rotary_emb", classPrefix + "RotaryEmbedding", buffers: rotaryBuffers))
    }
    let module = Module(
      name, classPrefix + "ForCausalLM",
      children: [
        Module("model", classPrefix + "Model", children: modelChildren),
        .linear("lm_head", hiddenSize, vocabularySize, bias: false, quantizable: false),
      ])

    let embed = dot + "model.embed_tokens"
    var layers = [
      Layer(module: embed, kind: .embedding, stream: .text, transientElementsPerToken: hiddenSize)
    ]
    for index in 0..<layerCount {
      layers.append(
        Layer(
          module: dot + "model.layers.\(index)", kind: .decoder, stream: .text,
          flopsPerToken: 2 * matrixElementsPerLayer, kvElementsPerToken: 2 * kvHeadCount * headDimension,
          transientElementsPerToken: Self.gatedMLPTransients * intermediateSize, attentionHeads: headCount,
          attentionFLOPsPerContextToken: 4 * headCount * headDimension))
    }
    layers.append(Layer(module: dot + "model.norm", kind: .norm, stream: .text))
    if family != .minicpm {
      layers.append(Layer(module: dot + "model.rotary_emb", kind: .rotary, stream: .text))
    }
    layers.append(
      Layer(
        module: dot + "lm_head", kind: .head, stream: .text, flopsPerToken: 2 * hiddenSize * vocabularySize,
        pinnedTo: tiedEmbeddings ? embed : nil))
    let tied = tiedEmbeddings ? [[dot + "lm_head.weight", embed + ".weight"]] : []
    return (module, layers, tied)
  }

  /// Intermediate-size tensors alive at once in a gated MLP: `down(act(gate(x)) * up(x))` holds
  /// `act(gate(x))`, `up(x)` and their product before `down` runs (the transformers code path).
  static let gatedMLPTransients: Int64 = 3
}
