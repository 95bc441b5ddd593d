import Foundation

/// The deepseek_v2 and deepseek_v3 families: multi-head latent attention (MLA) and a mixture of
/// routed and shared experts.
extension ConfigImporter {
  /// `deepseek_v2`, `deepseek_v3` (transformers `DeepseekV2ForCausalLM`, `DeepseekV3ForCausalLM`).
  ///
  /// Attention (`self_attn`): `q_proj` (`hidden → heads × qk_head_dim`) or, with `q_lora_rank`,
  /// `q_a_proj`, `q_a_layernorm`, `q_b_proj`; then `kv_a_proj_with_mqa` (`hidden → kv_lora_rank +
  /// qk_rope_head_dim`), `kv_a_layernorm`, `kv_b_proj` (`kv_lora_rank → heads × (qk_nope_head_dim
  /// + v_head_dim)`), `o_proj` (`heads × v_head_dim → hidden`), where `qk_head_dim =
  /// qk_nope_head_dim + qk_rope_head_dim`. The KV cache holds the compressed latent and the
  /// rotary key, `kv_lora_rank + qk_rope_head_dim` elements per token per layer (what vLLM and
  /// SGLang cache; transformers' eager code caches the decompressed keys and values instead).
  ///
  /// MLP: a dense `intermediate_size` MLP on the first `first_k_dense_replace` layers (and on
  /// layers not a multiple of `moe_layer_freq`); elsewhere `mlp` (`DeepseekV3MoE`, V2's
  /// `DeepseekV2Moe`) holds `experts` (transformers 5's fused experts of `moe_intermediate_size`),
  /// `gate` (the router's `weight`, and V3's `e_score_correction_bias` buffer) and
  /// `shared_experts` (one MLP of `n_shared_experts × moe_intermediate_size`), as transformers 5.24
  /// builds them.
  static func deepSeek(_ c: ConfigObject, modelType: String, name: String) throws(ImportError) -> ModelGraph {
    let isV3 = modelType == "deepseek_v3"
    let prefix = isV3 ? "DeepseekV3" : "DeepseekV2"
    let hidden = try c.integer("hidden_size", in: widths)
    let heads = try c.integer("num_attention_heads", in: headCounts)
    let layerCount = Int(try c.integer("num_hidden_layers", in: layerCounts))
    let vocabulary = try c.integer("vocab_size", in: vocabularies)
    let dense = try c.integer("intermediate_size", in: widths)
    let expertWidth = try c.integer("moe_intermediate_size", in: widths)
    let experts = try c.integer("n_routed_experts", in: expertCounts)
    let active = try c.integer("num_experts_per_tok", in: 1...experts)
    let shared = try c.integer("n_shared_experts", in: 0...expertCounts.upperBound, default: 0)
    let firstDense = Int(try c.integer("first_k_dense_replace", in: 0...layerCounts.upperBound, default: 0))
    let frequency = Int(try c.integer("moe_layer_freq", in: 1...layerCounts.upperBound, default: 1))
    let qRank = try c.optionalInteger("q_lora_rank", in: widths)
    let kvRank = try c.integer("kv_lora_rank", in: widths)
    let nope = try c.integer("qk_nope_head_dim", in: headDimensions)
    let rope = try c.integer("qk_rope_head_dim", in: headDimensions)
    let valueDimension = try c.integer("v_head_dim", in: headDimensions)
    let bias = try c.bool("attention_bias", default: false)
    let tied = try c.bool("tie_word_embeddings", default: false)
    guard Int64(layerCount) * experts <= maximumExpertModules else {
      throw c.fail(
        .tooLarge, "n_routed_experts",
        "\(experts) experts in each of \(layerCount) layers exceed \(maximumExpertModules) expert modules")
    }
    let queryDimension = nope + rope
    let norm = prefix + "RMSNorm"
    func isSparse(_ index: Int) -> Bool { index >= firstDense && index % frequency == 0 }

    var attentionChildren: [Module] = []
    if let qRank {
      attentionChildren += [
        .linear("q_a_proj", hidden, qRank, bias: bias), .rmsNorm("q_a_layernorm", qRank, className: norm),
        .linear("q_b_proj", qRank, heads * queryDimension, bias: false),
      ]
    } else {
      attentionChildren.append(.linear("q_proj", hidden, heads * queryDimension, bias: false))
    }
    attentionChildren += [
      .linear("kv_a_proj_with_mqa", hidden, kvRank + rope, bias: bias),
      .rmsNorm("kv_a_layernorm", kvRank, className: norm),
      .linear("kv_b_proj", kvRank, heads * (nope + valueDimension), bias: false),
      .linear("o_proj", heads * valueDimension, hidden, bias: bias),
    ]
    let attention = Module("self_attn", prefix + "Attention", children: attentionChildren)
    func mlp(_ name: String, _ width: Int64) -> Module {
      Module(
        name, prefix + "MLP",
        children: [
          .linear("gate_proj", hidden, width, bias: false), .linear("up_proj", hidden, width, bias: false),
          .linear("down_proj", width, hidden, bias: false),
        ])
    }
    // transformers 5: both versions route with a `…TopkRouter` (`weight`; V3 also its
    // `e_score_correction_bias` buffer) and fuse the routed experts (checkpoints stored per expert
    // are fused on load).
    let router = Module(
      "gate", prefix + "TopkRouter", parameters: [.parameter("weight", experts, hidden)],
      buffers: isV3 ? [.buffer("e_score_correction_bias", experts, persistent: true)] : [])
    var moeChildren: [Module] = [
      fusedExperts(className: prefix + "Experts", experts: experts, hidden: hidden, width: expertWidth),
      router,
    ]
    if shared > 0 { moeChildren.append(mlp("shared_experts", shared * expertWidth)) }
    let moe = Module("mlp", isV3 ? "DeepseekV3MoE" : "DeepseekV2Moe", children: moeChildren)
    let layers = Module.list("layers", count: layerCount) { index in
      Module(
        "\(index)", prefix + "DecoderLayer",
        children: [
          attention, isSparse(index) ? moe : mlp("mlp", dense),
          .rmsNorm("input_layernorm", hidden, className: norm),
          .rmsNorm("post_attention_layernorm", hidden, className: norm),
        ])
    }
    let root = Module(
      "", prefix + "ForCausalLM",
      children: [
        Module(
          "model", prefix + "Model",
          children: [
            .embedding("embed_tokens", vocabulary, hidden), layers, .rmsNorm("norm", hidden, className: norm),
            Module(
              "rotary_emb", prefix + "RotaryEmbedding",
              // transformers 5 keeps a copy, `original_inv_freq`.
              buffers: [
                .buffer("inv_freq", rope / 2, persistent: false),
                .buffer("original_inv_freq", rope / 2, persistent: false),
              ]),
          ]),
        .linear("lm_head", hidden, vocabulary, bias: false, quantizable: false),
      ])

    // Per token: the projections, and on sparse layers the router, the active and shared experts.
    var attentionElements = hidden * (kvRank + rope) + kvRank * heads * (nope + valueDimension)
    attentionElements += heads * valueDimension * hidden
    attentionElements +=
      qRank.map { hidden * $0 + $0 * heads * queryDimension } ?? hidden * heads * queryDimension
    let sparseElements = hidden * experts + (active + shared) * 3 * hidden * expertWidth
    var chain = [
      Layer(module: "model.embed_tokens", kind: .embedding, stream: .text, transientElementsPerToken: hidden)
    ]
    for index in 0..<layerCount {
      let sparse = isSparse(index)
      var layer =
        Layer(
          module: "model.layers.\(index)", kind: .decoder, stream: .text,
          flopsPerToken: 2 * (attentionElements + (sparse ? sparseElements : 3 * hidden * dense)),
          kvElementsPerToken: kvRank + rope,
          transientElementsPerToken: DecoderLLM.gatedMLPTransients
            * (sparse ? max(expertWidth, shared * expertWidth) : dense),
          attentionHeads: heads, attentionFLOPsPerContextToken: 2 * heads * (queryDimension + valueDimension))
      if sparse { layer.routedExperts = Layer.RoutedExperts(count: Int(experts), active: Int(active)) }
      chain.append(layer)
    }
    chain += [
      Layer(module: "model.norm", kind: .norm, stream: .text),
      Layer(module: "model.rotary_emb", kind: .rotary, stream: .text),
      Layer(
        module: "lm_head", kind: .head, stream: .text, flopsPerToken: 2 * hidden * vocabulary,
        pinnedTo: tied ? "model.embed_tokens" : nil),
    ]
    let sparseCount = (0..<layerCount).filter(isSparse).count
    var notes = [
      "the KV cache is MLA's latent (kv_lora_rank + qk_rope_head_dim per token and layer), as vLLM and SGLang "
        + "keep it; transformers' own attention caches decompressed keys and values, far more",
      "decode reads the routed experts a batch routes to (uniform routing of \(active) of \(experts)), and the "
        + "shared ones always; FLOPs count the \(active) active experts",
    ]
    var tree = root
    if let q = try c.object("quantization_config"), try q.string("quant_method") == "fp8" {
      let block = try q.integers("weight_block_size", in: 1...(1 << 20))
      if block.count == 2 {
        storeAsBlockFP8(&tree, rows: block[0], columns: block[1])
        notes.append(
          "the decoder layers' matrices are fp8 as shipped (1 byte each and one fp32 scale per "
            + "\(block[0]) x \(block[1]) block), whatever dtype the rest is planned in")
      }
    }
    return ModelGraph(
      name: name,
      summary: "\(prefix) decoder, \(layerCount) layers (\(sparseCount) MoE), MLA, \(experts) experts "
        + "(top \(active)) + \(shared) shared",
      root: tree, layers: chain, noSplitModuleClasses: [prefix + "DecoderLayer"],
      tiedParameters: tied ? [["lm_head.weight", "model.embed_tokens.weight"]] : [], nativeDType: .bf16,
      hiddenSize: hidden, vocabularySize: vocabulary, estimates: notes)
  }

  /// Sizes every quantizable matrix under `model.layers` as a block-fp8 checkpoint stores it
  /// (DeepSeek-V3's `weight_block_size` `[128, 128]`): one byte per weight plus a float32
  /// `weight_scale_inv` per block of `rows` × `columns` (of each expert's matrix, for fused
  /// experts). Embeddings, norms, the router and the LM
  /// head stay 16-bit, as in the checkpoint.
  static func storeAsBlockFP8(_ causalLM: inout Module, rows: Int64, columns: Int64) {
    func store(_ module: inout Module) {
      for index in module.parameters.indices where module.parameters[index].isQuantizable {
        let shape = module.parameters[index].shape
        guard shape.count == 2 || shape.count == 3 else { continue }
        // Fused experts are stored per expert: `down_proj` one matrix each, `gate_up_proj` two
        // (`gate_proj`, `up_proj`), each with its own blocks.
        let halves: Int64 = module.parameters[index].name == "gate_up_proj" ? 2 : 1
        let matrices = shape.count == 3 ? Int64.saturatingProduct(shape[0], halves) : 1
        let (out, input) = (shape[shape.count - 2] / (shape.count == 3 ? halves : 1), shape[shape.count - 1])
        let scales = Int64.saturatingProduct(
          matrices, Int64.saturatingProduct((out + rows - 1) / rows, (input + columns - 1) / columns))
        module.parameters[index].storedBytes = Int64.saturatingProduct(
          matrices, Int64.saturatingProduct(out, input)
        ).saturatingAdd(Int64.saturatingProduct(scales, 4))
      }
      for index in module.children.indices { store(&module.children[index]) }
    }
    mapChild("model", of: &causalLM) { model in mapChild("layers", of: &model) { store(&$0) } }
  }
}
