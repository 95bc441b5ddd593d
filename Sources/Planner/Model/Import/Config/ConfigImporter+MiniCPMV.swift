import Foundation

/// The minicpmv family: MiniCPM-V 2.x and MiniCPM-o (SigLIP, resampler, Qwen2 or Llama 3).
extension ConfigImporter {
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
}
