import Foundation

/// The qwen2_5_vl family: Qwen2.5-VL (a Qwen2 text model and the Qwen2.5-VL ViT).
extension ConfigImporter {
  /// `qwen2_5_vl` (`Qwen2_5_VLForConditionalGeneration`, checkpoint layout): `visual` (patch
  /// embedding, `blocks.N`, `merger` to the text width) from `vision_config` (`depth`,
  /// `hidden_size`, `intermediate_size`, `num_heads`, `out_hidden_size`), then `model` and
  /// `lm_head` from the top level (or `text_config` where a newer config nests it). An image of
  /// 448 × 448 px is 1024 patches, merged 2 × 2 into 256 tokens.
  static func qwen25VL(_ c: ConfigObject, name: String) throws(ImportError) -> ModelGraph {
    let textConfig = try c.object("text_config") ?? c
    let llm = try decoderLLM(textConfig, family: .qwen2, classPrefix: "Qwen2_5_VL")
    guard let v = try c.object("vision_config") else {
      throw c.fail(.missingField, "vision_config", "is missing")
    }
    let merge = try v.integer("spatial_merge_size", in: 1...64, default: 2)
    let patch = try v.integer("patch_size", in: patchSizes, default: 14)
    let visual = QwenVisionTransformer(
      hiddenSize: try v.integer("hidden_size", in: widths),
      intermediateSize: try v.integer("intermediate_size", in: widths),
      headCount: try v.integer("num_heads", in: headCounts),
      layerCount: Int(try v.integer("depth", in: layerCounts)), patchSize: patch,
      temporalPatchSize: try v.integer("temporal_patch_size", in: 1...64, default: 2),
      spatialMergeSize: merge,
      outputDimension: try v.integer("out_hidden_size", in: widths, default: llm.hiddenSize),
      classPrefix: "Qwen2_5_VL"
    ).build(name: "visual", path: "visual")
    var (module, layers, tied) = llm.build(name: "", path: "")
    module.className = "Qwen2_5_VLForConditionalGeneration"
    module.children[0].className = "Qwen2_5_VLModel"
    module.children.insert(visual.module, at: 0)
    let slice: Int64 = 448
    return ModelGraph(
      name: name,
      summary: "Qwen2.5-VL: Qwen2 decoder, \(llm.layerCount) layers, \(attentionSummary(llm)) + ViT "
        + "(\(visual.layers.filter { $0.kind == .visionBlock }.count) blocks)",
      root: module, layers: visual.layers + layers,
      noSplitModuleClasses: [llm.decoderLayerClass, "Qwen2_5_VLVisionBlock"], tiedParameters: tied,
      nativeDType: .bf16, hiddenSize: llm.hiddenSize, vocabularySize: llm.vocabularySize,
      vision: VisionInput(
        sliceSize: slice, patchSize: patch, maximumSlices: 1,
        queriesPerSlice: (slice / patch) * (slice / patch) / (merge * merge)),
      estimates: [
        "images are planned at 448 x 448 px (256 tokens); Qwen2.5-VL takes any resolution, and its tokens grow "
          + "with the pixels"
      ])
  }
}
