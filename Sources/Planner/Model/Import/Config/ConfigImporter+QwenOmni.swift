import Foundation

/// The qwen2_5_omni family: the thinker's vision and audio encoders and its text model.
extension ConfigImporter {
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
}
