import Foundation

/// The llava and llava_next families: a CLIP vision tower, a two-layer projector and a Llama or
/// Mistral text model.
extension ConfigImporter {
  /// `llava` (`LlavaForConditionalGeneration`, LLaVA-1.5) and `llava_next`
  /// (`LlavaNextForConditionalGeneration`, LLaVA-NeXT / 1.6), in the checkpoint layout:
  /// `vision_tower.vision_model` (CLIP: `embeddings` with `class_embedding`, `pre_layrnorm`,
  /// `encoder.layers.N`, `post_layernorm`) from `vision_config`, `multi_modal_projector`
  /// (`linear_1`, `linear_2`), LLaVA-NeXT's `image_newline`, and `language_model` from
  /// `text_config` (`llama` or `mistral`; fields it leaves out take transformers' `LlamaConfig`
  /// or `MistralConfig` defaults, as the llava-hf configs rely on).
  ///
  /// An image is one 336 px view for LLaVA-1.5 (576 tokens), the overview and up to 4 tiles for
  /// LLaVA-NeXT (the 2 × 2 grid of `image_grid_pinpoints` at 672 px).
  static func llava(_ c: ConfigObject, modelType: String, name: String) throws(ImportError) -> ModelGraph {
    let next = modelType == "llava_next"
    let prefix = next ? "LlavaNext" : "Llava"
    guard var text = try c.object("text_config") else {
      throw c.fail(.missingField, "text_config", "is missing")
    }
    let textType = try text.string("model_type") ?? "llama"
    var defaulted: [String] = []
    for (key, value) in textDefaults(textType) where text.value(key) == nil {
      text.fields[key] = .number(Double(value))
      defaulted.append(key)
    }
    let family: DecoderLLM.Family = textType == "mistral" ? .mistral : .llama
    let llm = try decoderLLM(text, family: family)
    let textPart = llm.build(name: "language_model", path: "language_model")
    guard let v = try c.object("vision_config") else {
      throw c.fail(.missingField, "vision_config", "is missing")
    }
    let hidden = try v.integer("hidden_size", in: widths, default: 1024)
    let patch = try v.integer("patch_size", in: patchSizes, default: 14)
    let image = try v.integer("image_size", in: patch...imageSizes.upperBound, default: 336)
    let clip = VisionTransformer(
      layout: .siglip, hiddenSize: hidden,
      intermediateSize: try v.integer("intermediate_size", in: widths, default: 4096),
      headCount: try v.integer("num_attention_heads", in: headCounts, default: 16),
      layerCount: Int(try v.integer("num_hidden_layers", in: layerCounts, default: 24)), patchSize: patch,
      positionCount: (image / patch) * (image / patch) + 1, className: "CLIPVisionTransformer",
      blockClassName: "CLIPEncoderLayer")
    var tower = clip.build(name: "vision_model", path: "vision_tower.vision_model")
    // CLIP: a class token, a patch embedding without bias, and a norm before the encoder.
    mapChild("embeddings", of: &tower.module) { embeddings in
      embeddings.className = "CLIPVisionEmbeddings"
      embeddings.parameters = [.parameter("class_embedding", hidden)]
      mapChild("patch_embedding", of: &embeddings) { $0.parameters.removeAll { $0.name == "bias" } }
    }
    tower.module.children.insert(.layerNorm("pre_layrnorm", hidden), at: 1)
    tower.layers.insert(
      Layer(
        module: "vision_tower.vision_model.pre_layrnorm", kind: .visionNorm, stream: .vision,
        outputElementsPerToken: hidden), at: 1)
    let projector = Module(
      "multi_modal_projector", prefix + "MultiModalProjector",
      children: [
        .linear("linear_1", hidden, llm.hiddenSize, bias: true),
        .linear("linear_2", llm.hiddenSize, llm.hiddenSize, bias: true),
      ])
    let root = Module(
      "", prefix + "ForConditionalGeneration",
      parameters: next ? [.parameter("image_newline", llm.hiddenSize)] : [],
      children: [
        Module("vision_tower", "CLIPVisionModel", children: [tower.module]), projector, textPart.module,
      ])
    var layers = tower.layers
    layers.append(
      Layer(
        module: "multi_modal_projector", kind: .projector, stream: .vision,
        flopsPerToken: 2 * (hidden + llm.hiddenSize) * llm.hiddenSize))
    if next { layers.append(Layer(module: "image_newline", kind: .projector, stream: .vision)) }
    layers += textPart.layers
    var notes: [String] = []
    if !defaulted.isEmpty {
      notes.append(
        "text_config leaves out \(defaulted.sorted().joined(separator: ", ")): transformers' "
          + "\(family == .mistral ? "MistralConfig" : "LlamaConfig") defaults are used")
    }
    let tokens = (image / patch) * (image / patch)
    return ModelGraph(
      name: name,
      summary:
        "\(next ? "LLaVA-NeXT" : "LLaVA"): \(llm.classPrefix) decoder, \(llm.layerCount) layers + CLIP "
        + "(\(clip.layerCount) layers)",
      root: root, layers: layers, noSplitModuleClasses: [llm.decoderLayerClass, "CLIPEncoderLayer"],
      tiedParameters: textPart.tied, nativeDType: .bf16, hiddenSize: llm.hiddenSize,
      vocabularySize: llm.vocabularySize,
      vision: VisionInput(
        sliceSize: image, patchSize: patch, maximumSlices: next ? 5 : 1, queriesPerSlice: tokens),
      estimates: notes)
  }

  /// transformers' `LlamaConfig` and `MistralConfig` defaults (Llama-2-7B's and Mistral-7B's
  /// sizes) for the fields a llava `text_config` may leave out.
  static func textDefaults(_ modelType: String) -> [(String, Int64)] {
    let shared: [(String, Int64)] = [
      ("hidden_size", 4096), ("num_hidden_layers", 32), ("num_attention_heads", 32), ("vocab_size", 32000),
    ]
    if modelType == "mistral" { return shared + [("intermediate_size", 14336), ("num_key_value_heads", 8)] }
    return shared + [("intermediate_size", 11008)]
  }
}
