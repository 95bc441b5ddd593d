import Foundation

/// Builds a ``ModelGraph`` from a Hugging Face `config.json`, through the same builders as the
/// catalog, so that module names match the checkpoint (`model.layers.N`, `llm.model.layers.N`).
///
///     let graph = try ConfigImporter.load(contentsOf: "/m/Qwen2-7B/config.json", name: "Qwen2-7B")
///     graph.parameterCount   // 7,615,616,512
///
/// Families (`model_type`): `llama`, `mistral`, `qwen2`, `qwen3`, `gemma`, `gemma2`, `phi3`,
/// `mixtral`, `qwen2_moe`, `qwen3_moe`, `minicpmv` (MiniCPM-V 2.5, 2.6, 4.0, 4.5) and
/// `qwen2_5_omni`. Any other `model_type` throws ``ImportError/Kind/unsupported``, which
/// ``CheckpointImporter`` answers by planning from the safetensors headers alone.
///
/// Sizes are bounded (widths up to 2^20, 4096 heads, a vocabulary of 2^22, 1024 layers, 1024
/// experts) so that no configured model can overflow the 64-bit counts downstream.
public enum ConfigImporter {
  /// The `model_type` values built from `config.json` alone.
  public static let supportedModelTypes = [
    "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "phi3", "mixtral", "qwen2_moe", "qwen3_moe",
    "minicpmv", "qwen2_5_omni",
  ]

  /// Reads a `config.json` and builds its graph.
  ///
  /// - Parameters:
  ///   - path: the file.
  ///   - name: the graph's name (the model directory's name).
  /// - Throws: ``ImportError`` naming the field and the reason.
  /// - Complexity: O(*n*) in the size of the model's module tree.
  public static func load(contentsOf path: String, name: String) throws(ImportError) -> ModelGraph {
    try graph(from: read(contentsOf: path), name: name)
  }

  /// Reads a `config.json` into a field reader.
  static func read(contentsOf path: String) throws(ImportError) -> ConfigObject {
    try parse(SafetensorsCheckpoint.readJSONFile(at: path, limit: maximumFileLength), file: path)
  }

  /// The largest `config.json` read (real ones are a few kilobytes).
  static let maximumFileLength: Int64 = 16 << 20

  /// Parses the text of a `config.json`.
  static func parse(_ data: Data, file: String) throws(ImportError) -> ConfigObject {
    guard let document = JSONValue.parse(data) else { throw ImportError(.notJSON, file: file, "is not JSON") }
    return try ConfigObject(document, path: "", file: file)
  }

  /// Builds the graph of a parsed `config.json`.
  ///
  /// - Throws: ``ImportError/Kind/unsupported`` for a `model_type` not in
  ///   ``supportedModelTypes``; other kinds for missing or invalid fields.
  static func graph(from config: ConfigObject, name: String) throws(ImportError) -> ModelGraph {
    guard let modelType = try config.string("model_type") else {
      throw config.fail(.unsupported, "model_type", "is missing: the model family is unknown")
    }
    var graph: ModelGraph
    switch modelType {
    case "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "phi3":
      graph = try decoderOnly(config, modelType: modelType, name: name)
    case "mixtral", "qwen2_moe", "qwen3_moe":
      graph = try mixtureOfExperts(config, modelType: modelType, name: name)
    case "minicpmv":
      graph = try minicpmV(config, name: name)
    case "qwen2_5_omni":
      graph = try qwenOmni(config, name: name)
    default:
      throw config.fail(
        .unsupported, "model_type",
        "\"\(ImportError.oneLine(modelType))\" is not a family the importer builds "
          + "(\(supportedModelTypes.joined(separator: ", ")))")
    }
    let (dtype, notes) = try storedDType(config)
    graph.nativeDType = dtype
    graph.estimates += notes
    return graph
  }

  // MARK: - Limits

  /// Hidden and intermediate widths, embedding sizes.
  static let widths: ClosedRange<Int64> = 1...(1 << 20)
  static let headCounts: ClosedRange<Int64> = 1...4096
  static let headDimensions: ClosedRange<Int64> = 1...4096
  static let vocabularies: ClosedRange<Int64> = 1...(1 << 22)
  static let layerCounts: ClosedRange<Int64> = 1...1024
  static let expertCounts: ClosedRange<Int64> = 1...1024
  /// Experts over all layers (layers × experts), which bounds the module tree (and its
  /// placement) to well under a second: the largest public mixtures, Kimi K2 (61 layers × 384
  /// experts = 23,424) and DeepSeek-V3 (61 × 256), fit with room.
  static let maximumExpertModules: Int64 = 1 << 15
  static let imageSizes: ClosedRange<Int64> = 1...16384
  static let patchSizes: ClosedRange<Int64> = 1...1024

  // MARK: - Decoder-only language models

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

  // MARK: - Mixtures of experts

  /// `mixtral`, `qwen2_moe`, `qwen3_moe`: every expert's weights are in the tree (they all take
  /// memory), and a layer's FLOPs count the router, the `num_experts_per_tok` active experts and
  /// any shared expert.
  ///
  /// Mixtral: `block_sparse_moe` (`gate`, `experts.N.{w1,w2,w3}`). Qwen2-MoE: `mlp` (`gate`,
  /// `experts.N.{gate,up,down}_proj` of `moe_intermediate_size`, `shared_expert`,
  /// `shared_expert_gate`), sparse on layers with `(N + 1) % decoder_sparse_step == 0` not in
  /// `mlp_only_layers`, a dense `intermediate_size` MLP elsewhere. Qwen3-MoE: the same without
  /// the shared expert.
  static func mixtureOfExperts(
    _ c: ConfigObject, modelType: String, name: String
  ) throws(ImportError) -> ModelGraph {
    let isMixtral = modelType == "mixtral"
    let expertsKey = isMixtral ? "num_local_experts" : "num_experts"
    let experts = try c.integer(expertsKey, in: expertCounts)
    let active = try c.integer("num_experts_per_tok", in: 1...experts)
    let llm: DecoderLLM
    switch modelType {
    case "mixtral": llm = try decoderLLM(c, family: .mistral, classPrefix: "Mixtral")
    case "qwen2_moe": llm = try decoderLLM(c, family: .qwen2, classPrefix: "Qwen2Moe")
    default: llm = try decoderLLM(c, family: .qwen3, classPrefix: "Qwen3Moe")
    }
    guard Int64(llm.layerCount) * experts <= maximumExpertModules else {
      throw c.fail(
        .tooLarge, expertsKey,
        "\(experts) experts in each of \(llm.layerCount) layers exceed \(maximumExpertModules) expert modules"
      )
    }
    let hidden = llm.hiddenSize
    var expertWidth = llm.intermediateSize
    var sharedWidth: Int64 = 0
    var step: Int64 = 1
    var denseLayers = Set<Int64>()
    if !isMixtral {
      expertWidth = try c.integer("moe_intermediate_size", in: widths)
      step = try c.integer("decoder_sparse_step", in: 1...layerCounts.upperBound, default: 1)
      denseLayers = Set(try c.integers("mlp_only_layers", in: 0...layerCounts.upperBound))
    }
    if modelType == "qwen2_moe" {
      sharedWidth = try c.integer("shared_expert_intermediate_size", in: 0...widths.upperBound)
    }
    func isSparse(_ index: Int) -> Bool {
      !denseLayers.contains(Int64(index)) && (index + 1) % Int(step) == 0
    }

    let prefix = llm.classPrefix
    func gatedMLP(_ name: String, _ width: Int64) -> Module {
      Module(
        name, prefix + "MLP",
        children: [
          .linear("gate_proj", hidden, width, bias: false), .linear("up_proj", hidden, width, bias: false),
          .linear("down_proj", width, hidden, bias: false),
        ])
    }
    let sparseBlock: Module
    if isMixtral {
      sparseBlock = Module(
        "block_sparse_moe", "MixtralSparseMoeBlock",
        children: [
          .linear("gate", hidden, experts, bias: false, quantizable: false),
          .list("experts", count: Int(experts)) { index in
            Module(
              "\(index)", "MixtralBlockSparseTop2MLP",
              children: [
                .linear("w1", hidden, expertWidth, bias: false),
                .linear("w2", expertWidth, hidden, bias: false),
                .linear("w3", hidden, expertWidth, bias: false),
              ])
          },
        ])
    } else {
      var children: [Module] = [
        .linear("gate", hidden, experts, bias: false, quantizable: false),
        .list("experts", count: Int(experts)) { gatedMLP("\($0)", expertWidth) },
      ]
      if modelType == "qwen2_moe" {
        children.append(gatedMLP("shared_expert", sharedWidth))
        children.append(.linear("shared_expert_gate", hidden, 1, bias: false, quantizable: false))
      }
      sparseBlock = Module("mlp", prefix + "SparseMoeBlock", children: children)
    }

    var (module, layers, tied) = llm.build(name: "", path: "")
    mapDecoderLayers(&module) { index, layer in
      guard isSparse(index), let mlp = layer.children.firstIndex(where: { $0.name == "mlp" }) else { return }
      layer.children[mlp] = sparseBlock
    }
    let q = llm.headCount * llm.headDimension
    let kv = llm.kvHeadCount * llm.headDimension
    let attentionElements = hidden * (2 * q + 2 * kv)
    // Per token: the router, the active experts and the shared expert (and its one-output gate).
    let sparseElements =
      hidden * experts + active * 3 * hidden * expertWidth + 3 * hidden * sharedWidth
      + (sharedWidth > 0 ? hidden : 0)
    for index in layers.indices {
      guard layers[index].kind == .decoder,
        let number = Int(layers[index].module.split(separator: ".").last ?? ""),
        isSparse(number)
      else { continue }
      layers[index].flopsPerToken = 2 * (attentionElements + sparseElements)
      layers[index].transientElementsPerToken = DecoderLLM.gatedMLPTransients * max(expertWidth, sharedWidth)
    }
    let shared = sharedWidth > 0 ? " + shared expert" : ""
    return ModelGraph(
      name: name,
      summary: "\(prefix) decoder, \(llm.layerCount) layers, \(experts) experts (top \(active))\(shared)",
      root: module, layers: layers, noSplitModuleClasses: [llm.decoderLayerClass], tiedParameters: tied,
      nativeDType: .bf16, hiddenSize: hidden, vocabularySize: llm.vocabularySize,
      estimates: [
        "every expert's weights are counted in memory, but decode time also counts every expert's bytes as "
          + "read per token (Layer has no field for the active experts' bytes); FLOPs count the "
          + "\(active) active experts"
      ])
  }

  // MARK: - MiniCPM-V

  /// `minicpmv`: `llm` + `vpm` (navit SigLIP from `vision_config`) + `resampler` (`query_num`
  /// queries), sliced per `slice_config`.
  ///
  /// The LLM family follows `version`, as vLLM dispatches it: 2.5 Llama-3, 2.6 Qwen2, 4.0 Llama
  /// (MiniCPM4), 4.5 Qwen3. Without `version`, vLLM's rule applies: 2.0 where `hidden_size` is 2304
  /// and `query_num` 64 (not supported here: timm vision tower), 2.5 otherwise.
  static func minicpmV(_ c: ConfigObject, name: String) throws(ImportError) -> ModelGraph {
    let version: Double
    if let stated = try c.number("version") {
      version = stated
    } else {
      let hidden = try c.optionalInteger("hidden_size", in: widths)
      let queries = try c.optionalInteger("query_num", in: 1...65536)
      version = hidden == 2304 && queries == 64 ? 2.0 : 2.5
    }
    let family: DecoderLLM.Family
    var notes: [String] = []
    switch version {
    case 2.5: family = .llama
    case 2.6: family = .qwen2
    case 4.0:
      family = .llama
      notes.append("MiniCPM-V 4.0's MiniCPM4 LLM is planned with the Llama layout (as vLLM loads it)")
    case 4.5:
      family = .qwen3
      notes.append("the 3-D resampler's temporal parameters are not modelled without safetensors headers")
    default:
      throw c.fail(.unsupported, "version", "MiniCPM-V \(version) is not supported (2.5, 2.6, 4.0, 4.5)")
    }
    let llm = try decoderLLM(c, family: family)
    let v: ConfigObject
    if let stated = try c.object("vision_config") {
      v = stated
    } else {
      v = try ConfigObject(.object([:]), path: "vision_config", file: c.file)
      notes.append("no vision_config: the SigLIP-400M defaults (1152 wide, 27 layers, 980 px) are assumed")
    }
    let patch = try v.integer("patch_size", in: patchSizes, default: 14)
    let image = try v.integer("image_size", in: patch...imageSizes.upperBound, default: 980)
    var visionLayers = try v.integer("num_hidden_layers", in: layerCounts, default: 27)
    if try c.bool("drop_vision_last_layer", default: false) { visionLayers -= 1 }
    let vision = VisionTransformer(
      layout: .siglip, hiddenSize: try v.integer("hidden_size", in: widths, default: 1152),
      intermediateSize: try v.integer("intermediate_size", in: widths, default: 4304),
      headCount: try v.integer("num_attention_heads", in: headCounts, default: 16),
      layerCount: Int(visionLayers),
      patchSize: patch, positionCount: (image / patch) * (image / patch),
      className: "SiglipVisionTransformer",
      blockClassName: "SiglipEncoderLayer")
    let queries = try c.integer("query_num", in: 1...65536, default: version == 2.5 ? 96 : 64)
    var slices = try ConfigObject(.object([:]), path: "slice_config", file: c.file)
    if let stated = try c.object("slice_config") { slices = stated }
    let slicePatch = try slices.integer("patch_size", in: patchSizes, default: 14)
    let sliceSize = try slices.integer(
      "scale_resolution", in: slicePatch...imageSizes.upperBound, default: 448)
    let maximumSlices = try slices.integer("max_slice_nums", in: 0...1024, default: 9)

    var graph = ModelCatalog.minicpm(
      name: name,
      summary: "MiniCPM-V \(version): \(llm.classPrefix) \(llm.layerCount) layers + SigLIP (\(visionLayers) "
        + "layers) + resampler (\(queries) queries)",
      llm: llm, vision: vision,
      resampler: Resampler(
        queryCount: queries, embedDimension: llm.hiddenSize, visionDimension: vision.hiddenSize),
      queries: queries, estimates: notes)
    graph.vision = VisionInput(
      sliceSize: sliceSize, patchSize: slicePatch, maximumSlices: maximumSlices + 1, queriesPerSlice: queries)
    return graph
  }

  // MARK: - Qwen2.5-Omni

  /// `qwen2_5_omni`: `thinker` (`audio_tower`, `visual`, `model`, `lm_head`) from
  /// `thinker_config` (`text_config`, `audio_config`, `vision_config`), `talker` from
  /// `talker_config`, and `token2wav` (when `token2wav_config` is present), in the layout of
  /// ``ModelCatalog``'s `qwen2.5-omni-7b`: the encoders, the talker and token2wav are one layer each.
  static func qwenOmni(_ c: ConfigObject, name: String) throws(ImportError) -> ModelGraph {
    guard let thinker = try c.object("thinker_config") else {
      throw c.fail(.missingField, "thinker_config", "is missing")
    }
    let textConfig = try thinker.object("text_config") ?? thinker
    let thinkerLLM = try decoderLLM(textConfig, family: .qwen2, classPrefix: "Qwen2_5Omni")
    let width = thinkerLLM.hiddenSize
    var notes: [String] = []
    var text = thinkerLLM.build(name: "thinker", path: "thinker")
    text.module.className = "Qwen2_5OmniThinkerForConditionalGeneration"
    text.module.children[0].className = "Qwen2_5OmniThinkerTextModel"
    var encoders: [Module] = []
    var layers: [Layer] = []
    if let a = try thinker.object("audio_config") {
      let audio = AudioEncoder(
        layout: .qwenOmni, modelDimension: try a.integer("d_model", in: widths, default: 1280),
        layerCount: Int(try a.integer("encoder_layers", in: layerCounts, default: 32)),
        headCount: try a.integer("encoder_attention_heads", in: headCounts, default: 20),
        feedForwardSize: try a.integer("encoder_ffn_dim", in: widths, default: 5120),
        melBins: try a.integer("num_mel_bins", in: 1...65536, default: 128),
        positionCount: try a.integer("max_source_positions", in: 1...(1 << 20), default: 1500),
        outputDimension: try a.integer("output_dim", in: widths, default: width)
      ).build(name: "audio_tower", path: "thinker.audio_tower")
      encoders.append(audio.module)
      layers.append(
        ModelCatalog.merged(audio.layers, module: "thinker.audio_tower", kind: .audioBlock, stream: .audio))
    }
    if let v = try thinker.object("vision_config") {
      if try v.optionalInteger("hidden_size", in: widths) == nil {
        notes.append("thinker_config.vision_config has no hidden_size: 1280 (Qwen2.5-VL's ViT) is assumed")
      }
      let visual = QwenVisionTransformer(
        hiddenSize: try v.integer("hidden_size", in: widths, default: 1280),
        intermediateSize: try v.integer("intermediate_size", in: widths, default: 3420),
        headCount: try v.integer("num_heads", in: headCounts, default: 16),
        layerCount: Int(try v.integer("depth", in: layerCounts, default: 32)),
        patchSize: try v.integer("patch_size", in: patchSizes, default: 14),
        temporalPatchSize: try v.integer("temporal_patch_size", in: 1...64, default: 2),
        spatialMergeSize: try v.integer("spatial_merge_size", in: 1...64, default: 2),
        outputDimension: try v.integer("out_hidden_size", in: widths, default: width),
        classPrefix: "Qwen2_5Omni"
      ).build(name: "visual", path: "thinker.visual")
      encoders.append(visual.module)
      layers.append(
        ModelCatalog.merged(visual.layers, module: "thinker.visual", kind: .visionBlock, stream: .vision))
    }
    text.module.children.insert(contentsOf: encoders, at: 0)
    layers += text.layers
    var children = [text.module]
    var noSplit = ["Qwen2_5OmniDecoderLayer", "Qwen2_5OmniVisionEncoder", "Qwen2_5OmniAudioEncoder"]

    if let t = try c.object("talker_config") {
      let talkerLLM = try decoderLLM(t, family: .qwen2, classPrefix: "Qwen2_5Omni")
      let embedding = try t.integer("embedding_size", in: widths, default: width)
      var talker = talkerLLM.build(name: "talker", path: "talker").module
      talker.className = "Qwen2_5OmniTalkerForConditionalGeneration"
      talker.children[0].children[0] = .embedding("embed_tokens", talkerLLM.vocabularySize, embedding)
      talker.children[1] = .linear(
        "codec_head", talkerLLM.hiddenSize, talkerLLM.vocabularySize, bias: false, quantizable: false)
      talker.children.insert(
        .linear("thinker_to_talker_proj", embedding, talkerLLM.hiddenSize, bias: true), at: 0)
      children.append(talker)
      layers.append(
        Layer(
          module: "talker", kind: .speech, stream: .speech,
          flopsPerToken: 2 * Int64(talkerLLM.layerCount) * talkerLLM.matrixElementsPerLayer))
      noSplit.append("Qwen2_5OmniTalkerForConditionalGeneration")
    }
    if try c.object("token2wav_config") != nil {
      children.append(ModelCatalog.opaque("token2wav", "Qwen2_5OmniToken2WavModel", parameters: 420_000_000))
      layers.append(Layer(module: "token2wav", kind: .speech, stream: .speech))
      noSplit.append("Qwen2_5OmniToken2WavModel")
      notes.append(
        "token2wav is counted as 420M parameters (the catalog's estimate) unless safetensors headers say")
    }
    return ModelGraph(
      name: name,
      summary: "Qwen2.5-Omni: thinker (\(thinkerLLM.layerCount) layers) + encoders + talker + token2wav",
      root: Module("", "Qwen2_5OmniForConditionalGeneration", children: children), layers: layers,
      noSplitModuleClasses: noSplit, nativeDType: .bf16, hiddenSize: width,
      vocabularySize: thinkerLLM.vocabularySize,
      vision: VisionInput(sliceSize: 448, patchSize: 14, maximumSlices: 1, queriesPerSlice: 256),
      estimates: notes)
  }

  // MARK: - Dtype and quantization

  /// The stored dtype (`torch_dtype`, or `dtype` as transformers 4.56+ writes it; nested configs'
  /// if the top level has none) and, with a `quantization_config`, the quantized type it maps to.
  ///
  /// GPTQ, AWQ and similar (`bits` 4 or 8), bitsandbytes (`load_in_4bit`, `load_in_8bit`), `fp8`
  /// and compressed-tensors (`config_groups.*.weights`: `num_bits`, `type`) map to int4, int8
  /// or fp8; a group size other than 128 is noted, since ``DType/int4`` assumes 128.
  static func storedDType(_ c: ConfigObject) throws(ImportError) -> (DType, [String]) {
    var notes: [String] = []
    var dtype: DType? = nil
    let nested = ["thinker_config", "text_config", "llm_config"]
    var candidates = [c]
    for key in nested { if let inner = try c.object(key) { candidates.append(inner) } }
    search: for config in candidates {
      for key in ["torch_dtype", "dtype"] {
        guard let text = try config.string(key) else { continue }
        guard let parsed = DType(parsing: text), !parsed.isQuantized else {
          notes.append(
            "\(config.subject(key)) \"\(ImportError.oneLine(text))\" is not a stored type: bf16 is assumed")
          break search
        }
        dtype = parsed
        break search
      }
    }
    if dtype == nil && notes.isEmpty {
      notes.append("config.json states no torch_dtype: bf16 is assumed")
    }
    guard let q = try c.object("quantization_config") else { return (dtype ?? .bf16, notes) }
    let method = try q.string("quant_method") ?? "unknown"
    var bits = try q.optionalInteger("bits", in: 1...64)
    var type = "int"
    var group = try q.optionalInteger("group_size", in: -1...(1 << 30))
    if try q.bool("load_in_4bit", default: false) { bits = 4 }
    if try q.bool("load_in_8bit", default: false) { bits = 8 }
    if method == "fp8" {
      (bits, type) = (8, "float")
    }
    if method == "compressed-tensors", let groups = try q.object("config_groups") {
      for key in groups.fields.keys.sorted() {
        guard let weights = try groups.object(key)?.object("weights") else { continue }
        bits = try weights.optionalInteger("num_bits", in: 1...64)
        type = try weights.string("type") ?? "int"
        group = try weights.optionalInteger("group_size", in: -1...(1 << 30)) ?? group
        break
      }
    }
    let quantized: DType?
    switch (bits, type) {
    case (8?, "float"): quantized = .fp8
    case (8?, _): quantized = .int8
    case (let b?, _) where b <= 4: quantized = .int4
    default: quantized = nil
    }
    guard let quantized else {
      notes.append(
        "quantization_config (\(ImportError.oneLine(method))) is not modelled: planned at \(dtype ?? .bf16)")
      return (dtype ?? .bf16, notes)
    }
    var note = "quantization_config: \(ImportError.oneLine(method))"
    if let bits { note += " \(bits)-bit" }
    if let group { note += ", group size \(group)" }
    note += " -> \(quantized)"
    if let bits, bits < 4 { note += " (\(bits)-bit weights are planned as 4-bit)" }
    if quantized == .int4, let group, group != DType.int4GroupSize {
      note += " (scales estimated for groups of \(DType.int4GroupSize))"
    }
    notes.append(note)
    return (quantized, notes)
  }

  // MARK: - Tree editing

  /// Applies `transform` to every decoder layer (`model.layers.N`) of an `XForCausalLM` module.
  static func mapDecoderLayers(_ causalLM: inout Module, _ transform: (Int, inout Module) -> Void) {
    mapChild("model", of: &causalLM) { model in
      mapChild("layers", of: &model) { list in
        for index in list.children.indices { transform(index, &list.children[index]) }
      }
    }
  }

  /// Applies `transform` to the child named `name`, if there is one.
  static func mapChild(_ name: String, of module: inout Module, _ transform: (inout Module) -> Void) {
    guard let index = module.children.firstIndex(where: { $0.name == name }) else { return }
    transform(&module.children[index])
  }

  /// Gives the named linear children of `child` a bias (`[out]`) where they have none.
  static func addBias(to names: [String], inChild child: String, of layer: inout Module) {
    guard !names.isEmpty else { return }
    mapChild(child, of: &layer) { parent in
      for index in parent.children.indices where names.contains(parent.children[index].name) {
        let linear = parent.children[index]
        guard !linear.parameters.contains(where: { $0.name == "bias" }),
          let rows = linear.parameters.first(where: { $0.name == "weight" })?.shape.first
        else { continue }
        parent.children[index].parameters.append(.parameter("bias", rows))
      }
    }
  }
}

/// A JSON object of `config.json` (or a nested config) with typed, bounded field access; every
/// error names the file and the field's dotted path. A `null` field reads as absent.
struct ConfigObject {
  var fields: [String: JSONValue]
  /// Dotted path of this object in the file (`""` at the top).
  var path: String
  var file: String

  init(_ value: JSONValue, path: String, file: String) throws(ImportError) {
    guard case .object(let fields) = value else {
      throw ImportError(
        .invalidField, file: file, subject: path.isEmpty ? nil : path, "is \(value.kind), not an object")
    }
    self.fields = fields
    self.path = path
    self.file = file
  }

  /// The dotted path of a field.
  func subject(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

  func fail(_ kind: ImportError.Kind, _ key: String, _ reason: String) -> ImportError {
    ImportError(kind, file: file, subject: subject(key), reason)
  }

  /// The field's value; `nil` where it is absent or `null`.
  func value(_ key: String) -> JSONValue? {
    guard let value = fields[key] else { return nil }
    if case .null = value { return nil }
    return value
  }

  /// An integer field within `range`, or `nil` where absent.
  func optionalInteger(_ key: String, in range: ClosedRange<Int64>) throws(ImportError) -> Int64? {
    guard let value = value(key) else { return nil }
    guard case .number(let number) = value, let integer = Int64(exactly: number) else {
      throw fail(.invalidField, key, "is \(SafetensorsHeader.describe(value)), not an integer")
    }
    guard range.contains(integer) else {
      throw fail(
        integer > range.upperBound ? .tooLarge : .invalidField, key,
        "is \(integer), outside \(range.lowerBound)...\(range.upperBound)")
    }
    return integer
  }

  /// A required integer field within `range`.
  func integer(_ key: String, in range: ClosedRange<Int64>) throws(ImportError) -> Int64 {
    guard let integer = try optionalInteger(key, in: range) else {
      throw fail(.missingField, key, "is missing")
    }
    return integer
  }

  /// An integer field within `range`, `fallback` where absent.
  func integer(_ key: String, in range: ClosedRange<Int64>, default fallback: Int64) throws(ImportError)
    -> Int64
  {
    try optionalInteger(key, in: range) ?? fallback
  }

  /// A list of integers within `range` (empty where absent).
  func integers(_ key: String, in range: ClosedRange<Int64>) throws(ImportError) -> [Int64] {
    guard let value = value(key) else { return [] }
    guard case .array(let items) = value else {
      throw fail(.invalidField, key, "is \(value.kind), not an array")
    }
    var result: [Int64] = []
    for item in items {
      guard case .number(let number) = item, let integer = Int64(exactly: number), range.contains(integer)
      else {
        throw fail(
          .invalidField, key, "holds \(SafetensorsHeader.describe(item)), not an integer in \(range)")
      }
      result.append(integer)
    }
    return result
  }

  /// A Boolean field, `fallback` where absent.
  func bool(_ key: String, default fallback: Bool) throws(ImportError) -> Bool {
    guard let value = value(key) else { return fallback }
    guard case .bool(let flag) = value else {
      throw fail(.invalidField, key, "is \(value.kind), not a boolean")
    }
    return flag
  }

  /// A string field, or `nil` where absent.
  func string(_ key: String) throws(ImportError) -> String? {
    guard let value = value(key) else { return nil }
    guard case .string(let text) = value else {
      throw fail(.invalidField, key, "is \(value.kind), not a string")
    }
    return text
  }

  /// A number field (a number or a numeric string, as `version` is written both ways), or `nil`.
  func number(_ key: String) throws(ImportError) -> Double? {
    switch value(key) {
    case nil: return nil
    case .number(let number)?: return number
    case .string(let text)?:
      guard let number = Double(text) else {
        throw fail(.invalidField, key, "\"\(ImportError.oneLine(text))\" is not a number")
      }
      return number
    case let other?: throw fail(.invalidField, key, "is \(other.kind), not a number")
    }
  }

  /// A nested object field, or `nil` where absent.
  func object(_ key: String) throws(ImportError) -> ConfigObject? {
    guard let value = value(key) else { return nil }
    return try ConfigObject(value, path: subject(key), file: file)
  }
}
