import Foundation

/// The gemma3 family: Gemma 3 text models (`gemma3_text`) and Gemma 3 with its SigLIP tower
/// (`gemma3`, the text model's fields nested in `text_config`).
extension ConfigImporter {
  /// The text model of Gemma 3: Gemma 2's four norms per layer plus `q_norm` and `k_norm` per
  /// head, tied embeddings by default, and a second rotary embedding (`rotary_emb_local`) for
  /// the sliding-window layers.
  ///
  /// - Parameters:
  ///   - path: where the `Gemma3ForCausalLM` sits (`""`, or `"language_model"` in the
  ///     multimodal model).
  static func gemma3Text(_ c: ConfigObject, path: String) throws(ImportError) -> (
    llm: DecoderLLM, module: Module, layers: [Layer], tied: [[String]], notes: [String]
  ) {
    let llm = try decoderLLM(c, family: .llama, classPrefix: "Gemma3", tiedByDefault: true)
    var (module, layers, tied) = llm.build(name: path, path: path)
    let norm = llm.classPrefix + "RMSNorm"
    let bias = try c.bool("attention_bias", default: false)
    mapDecoderLayers(&module) { _, layer in
      if bias { addBias(to: ["q_proj", "k_proj", "v_proj", "o_proj"], inChild: "self_attn", of: &layer) }
      mapChild("self_attn", of: &layer) { attention in
        attention.children.append(.rmsNorm("q_norm", llm.headDimension, className: norm))
        attention.children.append(.rmsNorm("k_norm", llm.headDimension, className: norm))
      }
      layer.children.append(.rmsNorm("pre_feedforward_layernorm", llm.hiddenSize, className: norm))
      layer.children.append(.rmsNorm("post_feedforward_layernorm", llm.hiddenSize, className: norm))
    }
    mapChild("model", of: &module) { model in
      model.children.append(
        Module(
          "rotary_emb_local", "Gemma3RotaryEmbedding",
          buffers: [.buffer("inv_freq", llm.headDimension / 2, persistent: false)]))
    }
    let dot = path.isEmpty ? "" : path + "."
    if let rotary = layers.firstIndex(where: { $0.kind == .rotary }) {
      layers.insert(
        Layer(module: dot + "model.rotary_emb_local", kind: .rotary, stream: .text), at: rotary + 1)
    }
    var notes: [String] = []
    if let window = try c.optionalInteger("sliding_window", in: 1...(1 << 32)) {
      let pattern = try c.integer("sliding_window_pattern", in: 1...1024, default: 6)
      notes.append(
        "\(pattern - 1) of every \(pattern) layers attend to a \(window)-token window; their KV cache is "
          + "counted for the whole context (an upper bound)")
    }
    return (llm, module, layers, tied, notes)
  }

  /// `gemma3_text` (`Gemma3ForCausalLM`, Gemma 3 1B) and `gemma3`
  /// (`Gemma3ForConditionalGeneration`: `vision_tower.vision_model` SigLIP from
  /// `vision_config`, `multi_modal_projector` (`mm_input_projection_weight [vision, text]`,
  /// `mm_soft_emb_norm`), `language_model` from `text_config`; `mm_tokens_per_image` tokens per
  /// image, 256 in the published configs).
  static func gemma3(_ c: ConfigObject, modelType: String, name: String) throws(ImportError) -> ModelGraph {
    guard modelType == "gemma3" else {
      let text = try gemma3Text(c, path: "")
      return ModelGraph(
        name: name, summary: "Gemma3 decoder, \(text.llm.layerCount) layers, \(attentionSummary(text.llm))",
        root: text.module, layers: text.layers, noSplitModuleClasses: [text.llm.decoderLayerClass],
        tiedParameters: text.tied, nativeDType: .bf16, hiddenSize: text.llm.hiddenSize,
        vocabularySize: text.llm.vocabularySize, estimates: text.notes)
    }
    guard let textConfig = try c.object("text_config") else {
      throw c.fail(.missingField, "text_config", "is missing")
    }
    let text = try gemma3Text(textConfig, path: "language_model")
    var language = text.module
    language.name = "language_model"
    var v = try ConfigObject(.object([:]), path: "vision_config", file: c.file)
    if let stated = try c.object("vision_config") { v = stated }
    let patch = try v.integer("patch_size", in: patchSizes, default: 14)
    let image = try v.integer("image_size", in: patch...imageSizes.upperBound, default: 896)
    let vision = VisionTransformer(
      layout: .siglip, hiddenSize: try v.integer("hidden_size", in: widths, default: 1152),
      intermediateSize: try v.integer("intermediate_size", in: widths, default: 4304),
      headCount: try v.integer("num_attention_heads", in: headCounts, default: 16),
      layerCount: Int(try v.integer("num_hidden_layers", in: layerCounts, default: 27)), patchSize: patch,
      positionCount: (image / patch) * (image / patch), className: "SiglipVisionTransformer",
      blockClassName: "SiglipEncoderLayer")
    let tower = vision.build(name: "vision_model", path: "vision_tower.vision_model")
    let projector = Module(
      "multi_modal_projector", "Gemma3MultiModalProjector",
      parameters: [.parameter("mm_input_projection_weight", vision.hiddenSize, text.llm.hiddenSize)],
      children: [.rmsNorm("mm_soft_emb_norm", vision.hiddenSize, className: "Gemma3RMSNorm")])
    let tokens = try c.integer("mm_tokens_per_image", in: 1...65536, default: 256)
    let root = Module(
      "", "Gemma3ForConditionalGeneration",
      children: [Module("vision_tower", "SiglipVisionModel", children: [tower.module]), projector, language])
    let layers =
      tower.layers
      + [
        Layer(
          module: "multi_modal_projector", kind: .projector, stream: .vision,
          flopsPerToken: 2 * vision.hiddenSize * text.llm.hiddenSize)
      ] + text.layers
    return ModelGraph(
      name: name,
      summary: "Gemma3 decoder, \(text.llm.layerCount) layers, \(attentionSummary(text.llm)) + SigLIP "
        + "(\(vision.layerCount) layers)",
      root: root, layers: layers, noSplitModuleClasses: [text.llm.decoderLayerClass, "SiglipEncoderLayer"],
      tiedParameters: text.tied, nativeDType: .bf16, hiddenSize: text.llm.hiddenSize,
      vocabularySize: text.llm.vocabularySize,
      vision: VisionInput(sliceSize: image, patchSize: patch, maximumSlices: 1, queriesPerSlice: tokens),
      estimates: text.notes)
  }

  /// `MHA 16` or `GQA 16/8`.
  static func attentionSummary(_ llm: DecoderLLM) -> String {
    llm.kvHeadCount == llm.headCount ? "MHA \(llm.headCount)" : "GQA \(llm.headCount)/\(llm.kvHeadCount)"
  }
}
