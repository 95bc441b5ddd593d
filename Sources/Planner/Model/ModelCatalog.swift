/// The models the planner knows by name.
///
/// Most are data: a Hugging Face `config.json` in `catalog/models/` (embedded in the library as
/// ``ModelCatalogFiles``) read by ``ConfigImporter``, the same importer as a user's checkpoint, so
/// adding a model is adding a file (Docs/Models.md). The models whose composition no
/// `config.json` states (MiniCPM-V 1.0/2.0 and OmniLMM with timm towers, MiniCPM-o with Whisper
/// and ChatTTS, Qwen2.5-Omni's talker and token2wav) are built here in Swift from their published
/// hyperparameters (../shared/reference/models-and-gpus.md §1; tags [V] verified, [X]
/// cross-checked by an exact byte total, [T] third-party copy, [M] unverified); anything such an
/// entry assumes is listed in its ``ModelGraph/estimates``.
public enum ModelCatalog {
  /// A catalog entry: a canonical name, the names people also type, where its numbers come from,
  /// and how to build the graph.
  public struct Entry: Sendable {
    public var name: String
    public var aliases: [String]
    /// Where the hyperparameters come from (a config.json and its copy, or the reference notes).
    public var source: String
    /// The catalog file the entry is read from (`catalog/models/NAME.json`); `nil` for the
    /// models built in Swift.
    public var file: String?
    public var build: @Sendable () -> ModelGraph

    /// An entry whose graph carries its repository (the first alias with a `/`) and `serving`.
    init(
      name: String, aliases: [String], serving: ServingFacts = ServingFacts(), source: String,
      file: String? = nil, build: @escaping @Sendable () -> ModelGraph
    ) {
      self.name = name
      self.aliases = aliases
      self.source = source
      self.file = file
      var serving = serving
      serving.repository = serving.repository ?? aliases.first { $0.contains("/") }
      let facts = serving
      self.build = {
        var graph = build()
        graph.serving = facts
        return graph
      }
    }

    /// This entry with `repository` as its serving repository (the Hugging Face id the user
    /// typed, so that exports serve exactly those weights).
    func serving(repository: String) -> Entry {
      var entry = self
      let build = self.build
      entry.build = {
        var graph = build()
        graph.serving.repository = repository
        return graph
      }
      return entry
    }
  }

  /// `max_position_embeddings` and `auto_map` as the published config.json files state them
  /// (../shared/reference/models-and-gpus.md §1 for MiniCPM-V 2.6 [V]; the others are the
  /// Instruct checkpoints' configs as served, [M] from memory unless marked).
  static func facts(_ positions: Int64, remoteCode: Bool = false) -> ServingFacts {
    ServingFacts(maxPositions: positions, remoteCode: remoteCode)
  }

  /// The models built in Swift, in the order `planner models` lists them (before the files).
  static let builtEntries: [Entry] = [
    Entry(
      name: "minicpm-v-2.6", aliases: ["openbmb/MiniCPM-V-2_6", "minicpmv2.6"],
      serving: facts(32768, remoteCode: true), source: reference("§1.1, §1.2"), build: minicpmV26),
    Entry(
      name: "minicpm-o-2.6", aliases: ["openbmb/MiniCPM-o-2_6"], serving: facts(32768, remoteCode: true),
      source: reference("§1.3"), build: minicpmO26),
    Entry(
      name: "minicpm-v-4.5", aliases: ["openbmb/MiniCPM-V-4_5"], serving: facts(40960, remoteCode: true),
      source: reference("§1.3"), build: minicpmV45),
    Entry(
      name: "minicpm-llama3-v-2.5", aliases: ["openbmb/MiniCPM-Llama3-V-2_5", "minicpm-v-2.5"],
      serving: facts(8192, remoteCode: true), source: reference("§1.3"), build: minicpmV25),
    Entry(
      name: "minicpm-v-2.0", aliases: ["openbmb/MiniCPM-V-2", "minicpm-v-2"],
      serving: facts(4096, remoteCode: true), source: reference("§1.3"), build: { minicpmV1(version: 2) }),
    Entry(
      name: "omnilmm-3b", aliases: ["openbmb/OmniLMM-3B", "minicpm-v-1.0", "openbmb/MiniCPM-V"],
      serving: facts(4096, remoteCode: true), source: reference("§1.3"), build: { minicpmV1(version: 1) }),
    Entry(
      name: "omnilmm-12b", aliases: ["openbmb/OmniLMM-12B"], serving: facts(32768, remoteCode: true),
      source: reference("§1.4"), build: omnilmm12B),
    Entry(
      name: "qwen2.5-omni-7b", aliases: ["Qwen/Qwen2.5-Omni-7B"], serving: facts(32768),
      source: reference("§1.5"), build: qwen25Omni7B),
  ]

  static func reference(_ sections: String) -> String {
    "../shared/reference/models-and-gpus.md \(sections)"
  }

  /// Every entry, in the order `planner models` lists them: the models built in Swift, then the
  /// catalog files in natural order of their names.
  public static let entries: [Entry] = builtEntries + fileEntries

  // MARK: - Plain LLMs (§1.6)

  /// Qwen2-7B and Qwen2.5-7B share every dimension [V/T]; 7,615,616,512 parameters [X].
  static func qwen2(name: String) -> ModelGraph {
    causalLM(
      name: name, summary: "Qwen2 decoder, 28 layers, GQA 28/4",
      DecoderLLM(
        family: .qwen2, hiddenSize: 3584, layerCount: 28, headCount: 28, kvHeadCount: 4,
        intermediateSize: 18944, vocabularySize: 152064))
  }

  /// Qwen2.5-72B [T]; 72,706,203,648 parameters [X].
  static func qwen25x72B() -> ModelGraph {
    causalLM(
      name: "qwen2.5-72b", summary: "Qwen2 decoder, 80 layers, GQA 64/8",
      DecoderLLM(
        family: .qwen2, hiddenSize: 8192, layerCount: 80, headCount: 64, kvHeadCount: 8,
        intermediateSize: 29568, vocabularySize: 152064))
  }

  /// Llama-3-8B (8,030,261,248) and Llama-3-70B (70,553,706,496) [T][X].
  static func llama3(name: String, large: Bool) -> ModelGraph {
    causalLM(
      name: name,
      summary: large ? "Llama decoder, 80 layers, GQA 64/8" : "Llama decoder, 32 layers, GQA 32/8",
      DecoderLLM(
        family: .llama, hiddenSize: large ? 8192 : 4096, layerCount: large ? 80 : 32,
        headCount: large ? 64 : 32, kvHeadCount: 8, intermediateSize: large ? 28672 : 14336,
        vocabularySize: 128256))
  }

  /// Mistral-7B-v0.1 [T]; 7,241,732,096 parameters [X].
  static func mistral7B() -> ModelGraph {
    causalLM(
      name: "mistral-7b", summary: "Mistral decoder, 32 layers, GQA 32/8",
      DecoderLLM(
        family: .mistral, hiddenSize: 4096, layerCount: 32, headCount: 32, kvHeadCount: 8,
        intermediateSize: 14336, vocabularySize: 32000))
  }

  static func causalLM(name: String, summary: String, _ llm: DecoderLLM) -> ModelGraph {
    let (module, layers, tied) = llm.build(name: "", path: "")
    return ModelGraph(
      name: name, summary: summary, root: module, layers: layers,
      noSplitModuleClasses: [llm.decoderLayerClass],
      tiedParameters: tied, nativeDType: .bf16, hiddenSize: llm.hiddenSize, vocabularySize: llm.vocabularySize
    )
  }

  // MARK: - MiniCPM-V (§1.2, §1.3)

  /// The SigLIP-so400m "navit" tower of MiniCPM-V 2.5/2.6/o-2.6/4.5: 27 layers, 1152 wide,
  /// position table 70 × 70 (980 px) [V][X].
  static let navitSigLIP = VisionTransformer(
    layout: .siglip, hiddenSize: 1152, intermediateSize: 4304, headCount: 16, layerCount: 27, patchSize: 14,
    positionCount: 4900, className: "SiglipVisionTransformer", blockClassName: "SiglipEncoderLayer")

  /// Slices of 448 px, 14 px patches, at most 9 slices plus the overview, 64 (or 96) tokens each [V].
  static func minicpmSlices(queries: Int64) -> VisionInput {
    VisionInput(sliceSize: 448, patchSize: 14, maximumSlices: 10, queriesPerSlice: queries)
  }

  /// Assembles `MiniCPMV`: `llm`, `vpm`, `resampler` (+ `apm`, `audio_projection_layer`, `tts`
  /// for MiniCPM-o), registered in that order; executed vision first, then the LLM.
  static func minicpm(
    name: String, summary: String, llm: DecoderLLM, vision: VisionTransformer, resampler: Resampler,
    queries: Int64, extraNoSplit: [String] = [], estimates: [String],
    audio: (encoder: AudioEncoder, projector: Module, tts: Module)? = nil
  ) -> ModelGraph {
    let text = llm.build(name: "llm", path: "llm")
    let vpm = vision.build(name: "vpm", path: "vpm")
    let sampler = resampler.build(name: "resampler", path: "resampler")
    var children = [text.module, vpm.module, sampler.module]
    var layers = vpm.layers + sampler.layers
    if let audio {
      let apm = audio.encoder.build(name: "apm", path: "apm")
      children += [apm.module, audio.projector, audio.tts]
      layers += apm.layers
      layers.append(
        Layer(
          module: "audio_projection_layer", kind: .projector, stream: .audio,
          flopsPerToken: 2 * audio.projector.namedTensors().reduce(0) { $0 + $1.tensor.elementCount }))
      layers += text.layers
      layers.append(Layer(module: "tts", kind: .speech, stream: .speech))
    } else {
      layers += text.layers
    }
    return ModelGraph(
      name: name, summary: summary, root: Module("", "MiniCPMV", children: children), layers: layers,
      noSplitModuleClasses: [llm.decoderLayerClass] + extraNoSplit, tiedParameters: text.tied,
      nativeDType: .bf16, hiddenSize: llm.hiddenSize, vocabularySize: llm.vocabularySize,
      vision: minicpmSlices(queries: queries), estimates: estimates)
  }

  /// MiniCPM-V 2.6: Qwen2-7B geometry with vocabulary 151666 + navit SigLIP + resampler (64
  /// queries); 8,099,175,152 parameters, the checkpoint's exact byte total [X].
  static func minicpmV26() -> ModelGraph {
    minicpm(
      name: "minicpm-v-2.6", summary: "Qwen2-7B + SigLIP-400M (27 layers) + resampler",
      llm: DecoderLLM(
        family: .qwen2, hiddenSize: 3584, layerCount: 28, headCount: 28, kvHeadCount: 4,
        intermediateSize: 18944, vocabularySize: 151666),
      vision: navitSigLIP, resampler: Resampler(queryCount: 64, embedDimension: 3584, visionDimension: 1152),
      queries: 64, estimates: [])
  }

  /// MiniCPM-Llama3-V 2.5: Llama-3-8B + navit SigLIP + resampler with 96 queries; 8,537,092,336
  /// parameters by analytic count (vocabulary 128256 and the 96 queries are [M]/[V via llama.cpp]).
  static func minicpmV25() -> ModelGraph {
    minicpm(
      name: "minicpm-llama3-v-2.5", summary: "Llama-3-8B + SigLIP-400M (27 layers) + resampler (96 queries)",
      llm: DecoderLLM(
        family: .llama, hiddenSize: 4096, layerCount: 32, headCount: 32, kvHeadCount: 8,
        intermediateSize: 14336, vocabularySize: 128256),
      vision: navitSigLIP, resampler: Resampler(queryCount: 96, embedDimension: 4096, visionDimension: 1152),
      queries: 96, estimates: ["vocabulary 128256 is assumed from Llama-3-8B (not read from the checkpoint)"])
  }

  /// MiniCPM-V 4.5: Qwen3-8B + SigLIP2-400M (27 layers) + resampler; "8.7B" officially.
  static func minicpmV45() -> ModelGraph {
    minicpm(
      name: "minicpm-v-4.5", summary: "Qwen3-8B + SigLIP2-400M (27 layers) + resampler",
      llm: DecoderLLM(
        family: .qwen3, hiddenSize: 4096, layerCount: 36, headCount: 32, kvHeadCount: 8, headDimension: 128,
        intermediateSize: 12288, vocabularySize: 151748),
      vision: navitSigLIP, resampler: Resampler(queryCount: 64, embedDimension: 4096, visionDimension: 1152),
      queries: 64,
      estimates: [
        "vocabulary 151748 is an estimate (Qwen3-8B has 151936)",
        "the 3-D resampler's temporal parameters are not modelled (small)",
      ])
  }

  /// MiniCPM-o 2.6: MiniCPM-V 2.6's layout on Qwen2.5-7B (vocabulary 151700 [T]) plus a
  /// Whisper-medium encoder (`apm`), an audio projector and ChatTTS (`tts`, about 200M).
  static func minicpmO26() -> ModelGraph {
    let projector = Module(
      "audio_projection_layer", "MultiModalProjector",
      children: [.linear("linear1", 1024, 3584, bias: true), .linear("linear2", 3584, 3584, bias: true)])
    let tts = opaque("tts", "ConditionalChatTTS", parameters: 200_000_000)
    return minicpm(
      name: "minicpm-o-2.6", summary: "Qwen2.5-7B + SigLIP-400M + resampler + Whisper-medium + ChatTTS",
      llm: DecoderLLM(
        family: .qwen2, hiddenSize: 3584, layerCount: 28, headCount: 28, kvHeadCount: 4,
        intermediateSize: 18944, vocabularySize: 151700),
      vision: navitSigLIP, resampler: Resampler(queryCount: 64, embedDimension: 3584, visionDimension: 1152),
      queries: 64, extraNoSplit: ["WhisperEncoderLayer"],
      estimates: [
        "vocabulary 151700 and the Whisper-medium encoder dimensions are from third-party copies",
        "tts (ChatTTS) is counted as 200M parameters, the size the MiniCPM-o docs give",
      ],
      audio: (
        AudioEncoder(
          layout: .whisper, modelDimension: 1024, layerCount: 24, headCount: 16, feedForwardSize: 4096,
          melBins: 80),
        projector, tts
      ))
  }

  /// MiniCPM-V 1.0 (= OmniLMM-3B) and 2.0: MiniCPM-2.4B (tied embeddings) + timm SigLIP-400M with
  /// its last block dropped (26 blocks) + resampler (64 queries, 2304 wide).
  static func minicpmV1(version: Int) -> ModelGraph {
    let llm = DecoderLLM(
      family: .minicpm, hiddenSize: 2304, layerCount: 40, headCount: 36, kvHeadCount: 36,
      intermediateSize: 5760, vocabularySize: 122753, tiedEmbeddings: true, maxPositions: 4096)
    let vision = VisionTransformer(
      layout: .timm, hiddenSize: 1152, intermediateSize: 4304, headCount: 16, layerCount: 26, patchSize: 14,
      positionCount: 729, className: "VisionTransformer", blockClassName: "Block")
    var graph = minicpm(
      name: version == 1 ? "omnilmm-3b" : "minicpm-v-2.0",
      summary: "MiniCPM-2.4B + SigLIP-400M (26 blocks) + resampler"
        + (version == 1 ? " (MiniCPM-V 1.0)" : ""),
      llm: llm, vision: vision,
      resampler: Resampler(
        queryCount: 64, embedDimension: 2304, visionDimension: 1152, cachedPositions: false),
      queries: 64,
      estimates: [
        "vocabulary 122753 and 4096 cached rotary positions per layer are unverified",
        "the resampler's position table is assumed to be a learned 64 x 2304 parameter",
      ])
    if version == 1 {
      // MiniCPM-V 1.0 takes one 448 px image, no slicing [M].
      graph.vision = VisionInput(sliceSize: 448, patchSize: 14, maximumSlices: 1, queriesPerSlice: 64)
    }
    return graph
  }

  // MARK: - OmniLMM-12B (§1.4)

  /// OmniLMM-12B: Zephyr-7B-β (Mistral) with `vision_tower` (EVA02-E, 63 blocks) and `resampler`
  /// inside `model`; 11.6B officially.
  static func omnilmm12B() -> ModelGraph {
    let llm = DecoderLLM(
      family: .mistral, hiddenSize: 4096, layerCount: 32, headCount: 32, kvHeadCount: 8,
      intermediateSize: 14336,
      vocabularySize: 32000, classPrefix: "Mistral")
    var text = llm.build(name: "", path: "")
    let eva = VisionTransformer(
      layout: .timm, hiddenSize: 1792, intermediateSize: 15360, headCount: 16, layerCount: 63, patchSize: 14,
      positionCount: 257, className: "Eva", blockClassName: "EvaBlock")
    let tower = eva.build(name: "vision_tower", path: "model.vision_tower")
    let sampler = Resampler(
      queryCount: 64, embedDimension: 4096, visionDimension: 1792, cachedPositions: false
    )
    .build(name: "resampler", path: "model.resampler")
    text.module.className = "OmniLMMForCausalLM"
    text.module.children[0].className = "OmniLMMModel"
    text.module.children[0].children += [tower.module, sampler.module]
    return ModelGraph(
      name: "omnilmm-12b", summary: "Zephyr-7B (Mistral) + EVA02-E (63 blocks) + resampler",
      root: text.module,
      layers: tower.layers + sampler.layers + text.layers,
      noSplitModuleClasses: ["MistralDecoderLayer", "EvaBlock", "Resampler"], nativeDType: .bf16,
      hiddenSize: 4096, vocabularySize: 32000,
      vision: VisionInput(sliceSize: 448, patchSize: 14, maximumSlices: 1, queriesPerSlice: 64),
      estimates: [
        "EVA02-E dimensions come from timm's model name; the query count and image size are unverified",
        "the vocabulary grows by a few added image tokens that are not counted",
        "with tune_clip=False the vision tower is not a registered submodule and a device_map cannot move it",
      ])
  }

  // MARK: - Qwen2.5-Omni-7B (§1.5)

  /// Qwen2.5-Omni-7B in transformers 4.5x layout: `thinker` (`audio_tower`, `visual`, `model`,
  /// `lm_head`), `talker`, `token2wav`. The audio and vision encoders, the talker and token2wav
  /// are each a no-split unit in transformers, so each is one layer of the chain.
  static func qwen25Omni7B() -> ModelGraph {
    let thinkerLLM = DecoderLLM(
      family: .qwen2, hiddenSize: 3584, layerCount: 28, headCount: 28, kvHeadCount: 4,
      intermediateSize: 18944,
      vocabularySize: 152064, classPrefix: "Qwen2_5Omni")
    var text = thinkerLLM.build(name: "thinker", path: "thinker")
    let audio = AudioEncoder(
      layout: .qwenOmni, modelDimension: 1280, layerCount: 32, headCount: 20, feedForwardSize: 5120,
      melBins: 128,
      outputDimension: 3584
    ).build(name: "audio_tower", path: "thinker.audio_tower")
    let visual = QwenVisionTransformer(
      hiddenSize: 1280, intermediateSize: 3420, headCount: 16, layerCount: 32, outputDimension: 3584,
      classPrefix: "Qwen2_5Omni"
    ).build(name: "visual", path: "thinker.visual")
    text.module.className = "Qwen2_5OmniThinkerForConditionalGeneration"
    text.module.children[0].className = "Qwen2_5OmniThinkerTextModel"
    text.module.children.insert(contentsOf: [audio.module, visual.module], at: 0)

    let talkerLLM = DecoderLLM(
      family: .qwen2, hiddenSize: 896, layerCount: 24, headCount: 12, kvHeadCount: 4, headDimension: 128,
      intermediateSize: 18944, vocabularySize: 8448, classPrefix: "Qwen2_5Omni")
    var talker = talkerLLM.build(name: "talker", path: "talker").module
    talker.className = "Qwen2_5OmniTalkerForConditionalGeneration"
    talker.children[0].children[0] = .embedding("embed_tokens", 8448, 3584)
    talker.children[1] = .linear("codec_head", 896, 8448, bias: false, quantizable: false)
    talker.children.insert(.linear("thinker_to_talker_proj", 3584, 896, bias: true), at: 0)
    let token2wav = opaque("token2wav", "Qwen2_5OmniToken2WavModel", parameters: 420_000_000)

    let root = Module(
      "", "Qwen2_5OmniForConditionalGeneration", children: [text.module, talker, token2wav])
    let layers =
      [
        merged(audio.layers, module: "thinker.audio_tower", kind: .audioBlock, stream: .audio),
        merged(visual.layers, module: "thinker.visual", kind: .visionBlock, stream: .vision),
      ] + text.layers
      + [
        Layer(
          module: "talker", kind: .speech, stream: .speech,
          flopsPerToken: 2 * 24 * talkerLLM.matrixElementsPerLayer),
        Layer(module: "token2wav", kind: .speech, stream: .speech),
      ]
    return ModelGraph(
      name: "qwen2.5-omni-7b",
      summary: "Qwen2.5-7B thinker + audio encoder + Qwen2.5-VL ViT + talker + token2wav",
      root: root, layers: layers,
      noSplitModuleClasses: [
        "Qwen2_5OmniDecoderLayer", "Qwen2_5OmniVisionEncoder", "Qwen2_5OmniAudioEncoder",
        "Qwen2_5OmniTalkerForConditionalGeneration", "Qwen2_5OmniToken2WavModel",
      ],
      nativeDType: .bf16, hiddenSize: 3584, vocabularySize: 152064,
      vision: VisionInput(sliceSize: 448, patchSize: 14, maximumSlices: 1, queriesPerSlice: 256),
      estimates: [
        "talker dimensions (12 heads, 4 KV heads, 18944 intermediate) differ between third-party copies",
        "token2wav is counted as 420M parameters so that the total matches the published 10.7B",
        "transformers 5.x renames the thinker's modules (thinker.model.language_model.layers.N)",
      ])
  }

  // MARK: - Helpers

  /// A module whose inside is not modelled: one 1-D parameter of the estimated size.
  static func opaque(_ name: String, _ className: String, parameters: Int64) -> Module {
    Module(name, className, parameters: [.parameter("estimated_parameters", parameters)])
  }

  /// One chain layer standing for a no-split encoder: FLOPs add up, transients and heads are the
  /// largest of its parts.
  static func merged(_ parts: [Layer], module: String, kind: Layer.Kind, stream: Layer.Stream) -> Layer {
    var layer = Layer(
      module: module, kind: kind, stream: stream, flopsPerToken: parts.reduce(0) { $0 + $1.flopsPerToken },
      transientElementsPerToken: parts.map(\.transientElementsPerToken).max() ?? 0,
      attentionHeads: parts.map(\.attentionHeads).max() ?? 0,
      attentionFLOPsPerContextToken: parts.reduce(0) { $0 + $1.attentionFLOPsPerContextToken })
    layer.encoderBlocks = parts.filter { $0.kind == .visionBlock || $0.kind == .audioBlock }.count
    return layer
  }
}
