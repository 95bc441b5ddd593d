import Foundation

/// The decoder-only families: llama, mistral, qwen2, qwen3, gemma, gemma2, phi3.
extension ConfigImporter {
  /// The hyperparameters every decoder reads: `hidden_size`, `num_hidden_layers`,
  /// `num_attention_heads`, `num_key_value_heads` (default: the heads), `head_dim` (default:
  /// hidden / heads), `intermediate_size`, `vocab_size`, `tie_word_embeddings`.
  static func decoderLLM(
    _ c: ConfigObject, family: DecoderLLM.Family, classPrefix: String? = nil, tiedByDefault: Bool = false
  ) throws(ImportError) -> DecoderLLM {
    let hidden = try c.integer("hidden_size", in: widths)
    let heads = try c.integer("num_attention_heads", in: headCounts)
    let kvHeads = try c.integer("num_key_value_heads", in: headCounts, default: heads)
    let headDimension = try c.optionalInteger("head_dim", in: headDimensions) ?? hidden / heads
    guard headDimensions.contains(headDimension) else {
      throw c.fail(
        .invalidField, "num_attention_heads",
        "\(heads) heads leave \(headDimension) dimensions each of hidden_size \(hidden) (and no head_dim)")
    }
    return DecoderLLM(
      family: family, hiddenSize: hidden,
      layerCount: Int(try c.integer("num_hidden_layers", in: layerCounts)),
      headCount: heads, kvHeadCount: kvHeads, headDimension: headDimension,
      intermediateSize: try c.integer("intermediate_size", in: widths),
      vocabularySize: try c.integer("vocab_size", in: vocabularies),
      tiedEmbeddings: try c.bool("tie_word_embeddings", default: tiedByDefault), classPrefix: classPrefix)
  }

  /// `llama`, `mistral`, `qwen2`, `qwen3`, `gemma`, `gemma2`, `phi3`.
  ///
  /// Gemma and Gemma 2 are Llama-shaped with tied embeddings by default; Gemma 2 adds
  /// `pre_feedforward_layernorm` and `post_feedforward_layernorm` to each layer (registered after
  /// `post_attention_layernorm`, transformers `Gemma2DecoderLayer`). Phi-3 fuses q, k and v into
  /// `self_attn.qkv_proj` (registered after `o_proj`) and gate and up into `mlp.gate_up_proj`.
  static func decoderOnly(_ c: ConfigObject, modelType: String, name: String) throws(ImportError)
    -> ModelGraph
  {
    let llm: DecoderLLM
    switch modelType {
    case "mistral": llm = try decoderLLM(c, family: .mistral)
    case "qwen2": llm = try decoderLLM(c, family: .qwen2)
    case "qwen3": llm = try decoderLLM(c, family: .qwen3)
    case "gemma": llm = try decoderLLM(c, family: .llama, classPrefix: "Gemma", tiedByDefault: true)
    case "gemma2": llm = try decoderLLM(c, family: .llama, classPrefix: "Gemma2", tiedByDefault: true)
    case "phi3": llm = try decoderLLM(c, family: .llama, classPrefix: "Phi3")
    default: llm = try decoderLLM(c, family: .llama)
    }
    var (module, layers, tied) = llm.build(name: "", path: "")
    var attentionBias: [String] = []
    if ["llama", "qwen3", "gemma", "gemma2"].contains(modelType), try c.bool("attention_bias", default: false)
    {
      attentionBias = ["q_proj", "k_proj", "v_proj", "o_proj"]
    }
    let mlpBias = modelType == "llama" ? try c.bool("mlp_bias", default: false) : false
    let norm = llm.classPrefix + "RMSNorm"
    let hidden = llm.hiddenSize
    let fusedQKV = (llm.headCount + 2 * llm.kvHeadCount) * llm.headDimension
    let intermediate = llm.intermediateSize
    mapDecoderLayers(&module) { _, layer in
      addBias(to: attentionBias, inChild: "self_attn", of: &layer)
      if mlpBias { addBias(to: ["gate_proj", "up_proj", "down_proj"], inChild: "mlp", of: &layer) }
      if modelType == "gemma2" {
        layer.children.append(.rmsNorm("pre_feedforward_layernorm", hidden, className: norm))
        layer.children.append(.rmsNorm("post_feedforward_layernorm", hidden, className: norm))
      }
      if modelType == "phi3" {
        mapChild("self_attn", of: &layer) { attention in
          attention.children = [
            .linear("o_proj", llm.headCount * llm.headDimension, hidden, bias: false),
            .linear("qkv_proj", hidden, fusedQKV, bias: false),
          ]
        }
        mapChild("mlp", of: &layer) { mlp in
          mlp.children = [
            .linear("gate_up_proj", hidden, 2 * intermediate, bias: false),
            .linear("down_proj", intermediate, hidden, bias: false),
          ]
        }
      }
    }
    let family = llm.classPrefix
    let attention =
      llm.kvHeadCount == llm.headCount ? "MHA \(llm.headCount)" : "GQA \(llm.headCount)/\(llm.kvHeadCount)"
    return ModelGraph(
      name: name, summary: "\(family) decoder, \(llm.layerCount) layers, \(attention)", root: module,
      layers: layers, noSplitModuleClasses: [llm.decoderLayerClass], tiedParameters: tied, nativeDType: .bf16,
      hiddenSize: llm.hiddenSize, vocabularySize: llm.vocabularySize)
  }
}
