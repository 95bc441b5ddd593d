import Foundation
import Testing

@testable import Planner

/// `config.json` texts of real models (dimensions from ../shared/reference/models-and-gpus.md §1
/// and the models' published configs), and of small test models.
enum Configs {
  static func decoder(
    _ modelType: String, hidden: Int, layers: Int, heads: Int, kvHeads: Int, intermediate: Int,
    vocabulary: Int,
    extra: String = ""
  ) -> String {
    """
    {"model_type": "\(modelType)", "hidden_size": \(hidden), "num_hidden_layers": \(layers),
     "num_attention_heads": \(heads), "num_key_value_heads": \(kvHeads), "intermediate_size": \(intermediate),
     "vocab_size": \(vocabulary), "torch_dtype": "bfloat16"\(extra.isEmpty ? "" : ", " + extra)}
    """
  }

  static let qwen2x7B = decoder(
    "qwen2", hidden: 3584, layers: 28, heads: 28, kvHeads: 4, intermediate: 18944, vocabulary: 152064,
    extra: "\"tie_word_embeddings\": false")
  static let llama3x8B = decoder(
    "llama", hidden: 4096, layers: 32, heads: 32, kvHeads: 8, intermediate: 14336, vocabulary: 128256)
  static let mistral7B = decoder(
    "mistral", hidden: 4096, layers: 32, heads: 32, kvHeads: 8, intermediate: 14336, vocabulary: 32000)
  static let gemma2B = decoder(
    "gemma", hidden: 2048, layers: 18, heads: 8, kvHeads: 1, intermediate: 16384, vocabulary: 256000,
    extra: "\"head_dim\": 256")
  static let gemma2x2B = decoder(
    "gemma2", hidden: 2304, layers: 26, heads: 8, kvHeads: 4, intermediate: 9216, vocabulary: 256000,
    extra: "\"head_dim\": 256")
  static let phi3Mini = decoder(
    "phi3", hidden: 3072, layers: 32, heads: 32, kvHeads: 32, intermediate: 8192, vocabulary: 32064)
  static let mixtral8x7B = decoder(
    "mixtral", hidden: 4096, layers: 32, heads: 32, kvHeads: 8, intermediate: 14336, vocabulary: 32000,
    extra: "\"num_local_experts\": 8, \"num_experts_per_tok\": 2")
  static let qwen15MoE = decoder(
    "qwen2_moe", hidden: 2048, layers: 24, heads: 16, kvHeads: 16, intermediate: 5632, vocabulary: 151936,
    extra: """
      "num_experts": 60, "num_experts_per_tok": 4, "moe_intermediate_size": 1408,
      "shared_expert_intermediate_size": 5632, "decoder_sparse_step": 1, "mlp_only_layers": []
      """)

  /// MiniCPM-V 2.6: the Qwen2 LLM fields at the top, then the vision tower, queries and slices.
  static func minicpmV(
    version: String = "2.6", hidden: Int = 3584, layers: Int = 28, heads: Int = 28, kvHeads: Int = 4,
    intermediate: Int = 18944, vocabulary: Int = 151666, queries: Int = 64,
    vision: String = """
    {"hidden_size": 1152, "image_size": 980, "intermediate_size": 4304, "model_type": "siglip",
     "num_attention_heads": 16, "num_hidden_layers": 27, "patch_size": 14}
    """
  ) -> String {
    """
    {"architectures": ["MiniCPMV"], "model_type": "minicpmv", "version": \(version),
     "hidden_size": \(hidden), "num_hidden_layers": \(layers), "num_attention_heads": \(heads),
     "num_key_value_heads": \(kvHeads), "intermediate_size": \(intermediate), "vocab_size": \(vocabulary),
     "tie_word_embeddings": false, "torch_dtype": "bfloat16", "query_num": \(queries),
     "max_position_embeddings": 32768, "auto_map": {"AutoModel": "modeling_minicpmv.MiniCPMV"},
     "drop_vision_last_layer": false, "image_size": 448, "patch_size": 14,
     "slice_config": {"max_slice_nums": 9, "model_type": "minicpmv", "patch_size": 14, "scale_resolution": 448},
     "vision_config": \(vision)}
    """
  }

  /// Qwen2.5-Omni-7B's nested configs (transformers 4.52 layout).
  static func qwenOmni(talkerHeads: Int = 12, token2wav: Bool = true) -> String {
    """
    {"architectures": ["Qwen2_5OmniModel"], "model_type": "qwen2_5_omni", "torch_dtype": "bfloat16",
     "thinker_config": {
       "audio_config": {"d_model": 1280, "encoder_attention_heads": 20, "encoder_ffn_dim": 5120,
                        "encoder_layers": 32, "num_mel_bins": 128, "max_source_positions": 1500, "output_dim": 3584},
       "vision_config": {"depth": 32, "hidden_size": 1280, "intermediate_size": 3420, "num_heads": 16,
                         "out_hidden_size": 3584, "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2},
       "text_config": {"hidden_size": 3584, "num_hidden_layers": 28, "num_attention_heads": 28,
                       "num_key_value_heads": 4, "intermediate_size": 18944, "vocab_size": 152064,
                       "tie_word_embeddings": false}},
     "talker_config": {"hidden_size": 896, "num_hidden_layers": 24, "num_attention_heads": \(talkerHeads),
                       "num_key_value_heads": 4, "head_dim": 128, "intermediate_size": 18944, "vocab_size": 8448,
                       "embedding_size": 3584}\(token2wav ? ", \"token2wav_config\": {}" : "")}
    """
  }

  /// Small models of every family, for files that stay tiny.
  static let small: [(family: String, config: String)] = [
    (
      "llama",
      decoder("llama", hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 128, vocabulary: 256)
    ),
    (
      "mistral",
      decoder("mistral", hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 128, vocabulary: 256)
    ),
    (
      "qwen2",
      decoder("qwen2", hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 128, vocabulary: 256)
    ),
    (
      "qwen3",
      decoder(
        "qwen3", hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 128, vocabulary: 256,
        extra: "\"head_dim\": 32")
    ),
    (
      "gemma",
      decoder(
        "gemma", hidden: 64, layers: 2, heads: 4, kvHeads: 1, intermediate: 128, vocabulary: 256,
        extra: "\"head_dim\": 32")
    ),
    (
      "gemma2",
      decoder(
        "gemma2", hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 128, vocabulary: 256,
        extra: "\"head_dim\": 32")
    ),
    (
      "phi3", decoder("phi3", hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 128, vocabulary: 256)
    ),
    (
      "mixtral",
      decoder(
        "mixtral", hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 128, vocabulary: 256,
        extra: "\"num_local_experts\": 4, \"num_experts_per_tok\": 2")
    ),
    (
      "qwen2_moe",
      decoder(
        "qwen2_moe", hidden: 64, layers: 3, heads: 4, kvHeads: 4, intermediate: 128,
        vocabulary: 256,
        extra: """
          "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 32,
          "shared_expert_intermediate_size": 128, "mlp_only_layers": [1]
          """)
    ),
    (
      "qwen3_moe",
      decoder(
        "qwen3_moe", hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 128,
        vocabulary: 256,
        extra: "\"num_experts\": 4, \"num_experts_per_tok\": 2, \"moe_intermediate_size\": 32")
    ),
    (
      "minicpmv",
      minicpmV(
        hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 128, vocabulary: 256, queries: 8,
        vision: """
          {"hidden_size": 32, "image_size": 56, "intermediate_size": 48, "num_attention_heads": 2,
           "num_hidden_layers": 2, "patch_size": 14}
          """)
    ),
    (
      "qwen2_5_omni",
      """
      {"model_type": "qwen2_5_omni", "torch_dtype": "bfloat16",
       "thinker_config": {
         "audio_config": {"d_model": 32, "encoder_attention_heads": 2, "encoder_ffn_dim": 64, "encoder_layers": 2,
                          "num_mel_bins": 8, "max_source_positions": 10, "output_dim": 64},
         "vision_config": {"depth": 2, "hidden_size": 32, "intermediate_size": 48, "num_heads": 2,
                           "out_hidden_size": 64, "patch_size": 14},
         "text_config": {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                         "num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 256}},
       "talker_config": {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
                         "num_key_value_heads": 1, "head_dim": 16, "intermediate_size": 64, "vocab_size": 48,
                         "embedding_size": 64},
       "token2wav_config": {}}
      """
    ),
  ]
}

/// Builds a graph from `config.json` text.
func importConfig(_ text: String, name: String = "test") throws(ImportError) -> ModelGraph {
  try ConfigImporter.graph(from: ConfigImporter.parse(Data(text.utf8), file: "config.json"), name: name)
}

@Suite struct ConfigImporterTests {
  /// A config text with a short name for the test log.
  struct Named: CustomTestStringConvertible, Sendable {
    var label: String
    var text: String
    var expected: Int64 = 0
    var testDescription: String { label }
  }

  /// Published or catalog-exact totals (§1), from `config.json` alone.
  @Test(arguments: [
    Named(label: "Qwen2-7B", text: Configs.qwen2x7B, expected: 7_615_616_512),
    Named(label: "Llama-3-8B", text: Configs.llama3x8B, expected: 8_030_261_248),
    Named(label: "Mistral-7B", text: Configs.mistral7B, expected: 7_241_732_096),
    Named(label: "Gemma-2B (tied)", text: Configs.gemma2B, expected: 2_506_172_416),
    Named(label: "Gemma-2-2B (tied)", text: Configs.gemma2x2B, expected: 2_614_341_888),
    Named(label: "Phi-3-mini", text: Configs.phi3Mini, expected: 3_821_079_552),
    Named(label: "Mixtral-8x7B", text: Configs.mixtral8x7B, expected: 46_702_792_704),
    Named(label: "Qwen1.5-MoE-A2.7B", text: Configs.qwen15MoE, expected: 14_315_784_192),
    Named(label: "MiniCPM-V 2.6", text: Configs.minicpmV(), expected: 8_099_175_152),
    Named(
      label: "MiniCPM-Llama3-V 2.5",
      text: Configs.minicpmV(
        version: "2.5", hidden: 4096, layers: 32, heads: 32, kvHeads: 8, intermediate: 14336,
        vocabulary: 128256,
        queries: 96),
      expected: 8_537_092_336),
  ])
  func parameterCountMatchesPublishedTotal(_ model: Named) throws {
    #expect(try importConfig(model.text).parameterCount == model.expected)
  }

  /// The imported trees are the catalog's, module for module and layer for layer.
  @Test(arguments: [
    Named(label: "qwen2-7b", text: Configs.qwen2x7B), Named(label: "llama-3-8b", text: Configs.llama3x8B),
    Named(label: "mistral-7b", text: Configs.mistral7B),
    Named(label: "minicpm-v-2.6", text: Configs.minicpmV()),
    Named(label: "qwen2.5-omni-7b", text: Configs.qwenOmni()),
  ])
  func importedGraphIsTheCatalogs(_ model: Named) throws {
    let catalog = try #require(ModelCatalog.entry(named: model.label)).build()
    let imported = try importConfig(model.text, name: model.label)
    #expect(imported.root == catalog.root)
    #expect(imported.layers == catalog.layers)
    #expect(imported.noSplitModuleClasses == catalog.noSplitModuleClasses)
    #expect(imported.tiedParameters == catalog.tiedParameters)
    #expect(imported.parameterCount == catalog.parameterCount)
    #expect(imported.hiddenSize == catalog.hiddenSize && imported.vocabularySize == catalog.vocabularySize)
  }

  @Test func minicpmVReadsQueriesAndSlices() throws {
    let graph = try importConfig(Configs.minicpmV())
    #expect(
      graph.vision == VisionInput(sliceSize: 448, patchSize: 14, maximumSlices: 10, queriesPerSlice: 64))
    #expect(graph.layers.first?.module == "vpm.embeddings")
    #expect(graph.layers.contains { $0.module == "llm.model.layers.27" })
    #expect(graph.layers.contains { $0.module == "vpm.encoder.layers.26" })
    #expect(graph.layers.last?.module == "llm.lm_head")
    let v25 = try importConfig(
      Configs.minicpmV(
        version: "\"2.5\"", hidden: 4096, layers: 32, heads: 32, kvHeads: 8, intermediate: 14336,
        vocabulary: 128256, queries: 96))
    #expect(v25.noSplitModuleClasses.first == "LlamaDecoderLayer")
    #expect(v25.vision?.queriesPerSlice == 96)
  }

  @Test func gemmaTiesTheHeadToTheEmbedding() throws {
    let graph = try importConfig(Configs.gemma2B)
    #expect(graph.tiedParameters == [["lm_head.weight", "model.embed_tokens.weight"]])
    #expect(graph.layers.last?.pinnedTo == "model.embed_tokens")
    #expect(graph.noSplitModuleClasses == ["GemmaDecoderLayer"])
    #expect(
      graph.root.descendant(at: "model.layers.0.self_attn.k_proj")?.parameters.first?.shape == [256, 2048])
    let untied = try importConfig(
      Configs.gemma2B.replacingOccurrences(of: "}", with: ", \"tie_word_embeddings\": false}"))
    #expect(untied.tiedParameters.isEmpty)
    #expect(untied.parameterCount == 2_506_172_416 + 256000 * 2048)
  }

  @Test func gemma2HasFourNormsPerLayer() throws {
    let layer = try #require(importConfig(Configs.gemma2x2B).root.descendant(at: "model.layers.0"))
    #expect(
      layer.children.map(\.name) == [
        "self_attn", "mlp", "input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
        "post_feedforward_layernorm",
      ])
    #expect(layer.className == "Gemma2DecoderLayer")
    #expect(layer.children[5].className == "Gemma2RMSNorm")
  }

  @Test func phi3FusesQKVAndGateUp() throws {
    let graph = try importConfig(Configs.phi3Mini)
    let attention = try #require(graph.root.descendant(at: "model.layers.0.self_attn"))
    #expect(attention.children.map(\.name) == ["o_proj", "qkv_proj"])
    #expect(attention.children[1].parameters.map(\.shape) == [[9216, 3072]])
    let mlp = try #require(graph.root.descendant(at: "model.layers.0.mlp"))
    #expect(mlp.children.map(\.name) == ["gate_up_proj", "down_proj"])
    #expect(mlp.children[0].parameters.map(\.shape) == [[16384, 3072]])
    #expect(graph.layers[1].flopsPerToken == 2 * (113_252_352 - 2 * 3072))
  }

  @Test func mixtralHoldsEveryExpertButCountsActiveFLOPs() throws {
    let graph = try importConfig(Configs.mixtral8x7B)
    // transformers 5.24's MixtralSparseMoeBlock: `mlp` (4.x's `block_sparse_moe`), router then
    // fused experts (modeling_mixtral.py).
    let moe = try #require(graph.root.descendant(at: "model.layers.31.mlp"))
    #expect(moe.className == "MixtralSparseMoeBlock")
    #expect(moe.children.map(\.name) == ["gate", "experts"])
    #expect(moe.children.map(\.className) == ["MixtralTopKRouter", "MixtralExperts"])
    #expect(moe.children[1].parameters.map(\.shape) == [[8, 2 * 14336, 4096], [8, 4096, 14336]])
    let layer = try #require(graph.layers.first { $0.module == "model.layers.0" })
    #expect(layer.parameterCount == 1_451_270_144)
    // Attention (41,943,040) + router (32,768) + two of eight experts (2 × 176,160,768).
    #expect(layer.flopsPerToken == 2 * (41_943_040 + 32_768 + 2 * 176_160_768))
    #expect(graph.estimates.contains { $0.contains("active experts") })
    #expect(graph.noSplitModuleClasses == ["MixtralDecoderLayer"])
  }

  @Test func qwen2MoESparseStepAndDenseLayers() throws {
    let small = try #require(Configs.small.first { $0.family == "qwen2_moe" }).config
    let graph = try importConfig(small)
    #expect(graph.root.descendant(at: "model.layers.0.mlp")?.className == "Qwen2MoeSparseMoeBlock")
    #expect(graph.root.descendant(at: "model.layers.1.mlp")?.className == "Qwen2MoeMLP")
    #expect(graph.root.descendant(at: "model.layers.2.mlp.shared_expert_gate") != nil)
    // transformers 5.24's Qwen2MoeSparseMoeBlock: gate, fused experts, shared_expert, shared_expert_gate.
    #expect(
      graph.root.descendant(at: "model.layers.2.mlp")?.children.map(\.name) == [
        "gate", "experts", "shared_expert", "shared_expert_gate",
      ])
    #expect(
      graph.root.descendant(at: "model.layers.2.mlp.experts")?.parameters.map(\.shape) == [
        [4, 64, 64], [4, 64, 32],
      ])
    let every2 = try importConfig(
      small.replacingOccurrences(of: "\"mlp_only_layers\": [1]", with: "\"decoder_sparse_step\": 2"))
    #expect(every2.root.descendant(at: "model.layers.0.mlp")?.className == "Qwen2MoeMLP")
    #expect(every2.root.descendant(at: "model.layers.1.mlp")?.className == "Qwen2MoeSparseMoeBlock")
  }

  @Test func attentionAndMLPBiases() throws {
    let llama = try importConfig(
      Configs.decoder(
        "llama", hidden: 64, layers: 1, heads: 4, kvHeads: 2, intermediate: 128, vocabulary: 256,
        extra: "\"attention_bias\": true, \"mlp_bias\": true"))
    for name in ["self_attn.q_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.down_proj"] {
      #expect(
        llama.root.descendant(at: "model.layers.0." + name)?.parameters.map(\.name) == ["weight", "bias"])
    }
    let qwen2 = try importConfig(Configs.small[2].config)
    #expect(
      qwen2.root.descendant(at: "model.layers.0.self_attn.k_proj")?.parameters.map(\.shape) == [
        [32, 64], [32],
      ])
    #expect(qwen2.root.descendant(at: "model.layers.0.self_attn.o_proj")?.parameters.count == 1)
  }

  @Test(arguments: Configs.small.map(\.family))
  func everySmallFamilyBuilds(family: String) throws {
    let config = try #require(Configs.small.first { $0.family == family }).config
    let graph = try importConfig(config)
    #expect(graph.parameterCount > 0)
    #expect(graph.nativeDType == .bf16)
    let paths = graph.layers.map(\.module)
    #expect(Set(paths).count == paths.count)
    // Every tensor in exactly one layer.
    var owners: [String: Int] = [:]
    for layer in graph.layers {
      for tensor in try #require(graph.root.namedTensors(at: layer.module)) {
        owners[tensor.name, default: 0] += 1
      }
    }
    #expect(owners.count == graph.root.namedTensors().count)
    #expect(owners.values.allSatisfy { $0 == 1 })
  }

  // MARK: - Dtypes and quantization

  @Test(arguments: [
    ("\"torch_dtype\": \"float16\"", DType.fp16), ("\"dtype\": \"float32\"", .fp32),
    ("\"dtype\": \"bfloat16\"", .bf16),
    ("\"quantization_config\": {\"quant_method\": \"gptq\", \"bits\": 4, \"group_size\": 128}", .int4),
    ("\"quantization_config\": {\"quant_method\": \"awq\", \"bits\": 4, \"group_size\": 64}", .int4),
    ("\"quantization_config\": {\"quant_method\": \"bitsandbytes\", \"load_in_8bit\": true}", .int8),
    ("\"quantization_config\": {\"quant_method\": \"bitsandbytes\", \"load_in_4bit\": true}", .int4),
    ("\"quantization_config\": {\"quant_method\": \"fp8\", \"fmt\": \"e4m3\"}", .fp8),
    (
      "\"quantization_config\": {\"quant_method\": \"compressed-tensors\", \"config_groups\": {\"group_0\": "
        + "{\"weights\": {\"num_bits\": 8, \"type\": \"int\"}}}}", .int8
    ),
  ])
  func readsTheStoredDType(field: String, expected: DType) throws {
    let text = """
      {"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
       "intermediate_size": 128, "vocab_size": 256, \(field)}
      """
    let graph = try importConfig(text)
    #expect(graph.nativeDType == expected)
    if field.contains("group_size\": 64") {
      #expect(
        graph.estimates.contains { $0.contains("group size 64 -> int4 (scales estimated for groups of 128)") }
      )
    }
  }

  @Test func missingDTypeIsNoted() throws {
    let graph = try importConfig(
      """
      {"model_type": "qwen2", "hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
       "intermediate_size": 128, "vocab_size": 256, "head_dim": null}
      """)
    #expect(graph.nativeDType == .bf16)
    #expect(graph.estimates.contains { $0.contains("no torch_dtype") })
    // num_key_value_heads defaults to the heads, head_dim (null) to hidden / heads.
    #expect(graph.layers[1].kvElementsPerToken == 2 * 4 * 16)
  }

  // MARK: - Errors

  struct BadConfig: CustomTestStringConvertible, Sendable {
    var label: String
    var text: String
    var kind: ImportError.Kind
    var message: String
    var testDescription: String { label }
  }

  static let badConfigs: [BadConfig] = [
    BadConfig(
      label: "not JSON", text: "{model_type: llama}", kind: .notJSON, message: "config.json: is not JSON"),
    BadConfig(
      label: "not an object", text: "[]", kind: .invalidField,
      message: "config.json: is an array, not an object"),
    BadConfig(
      label: "no model_type", text: "{}", kind: .unsupported,
      message: "config.json: model_type: is missing: the model family is unknown"),
    BadConfig(
      label: "unknown model_type", text: "{\"model_type\": \"gpt2\"}", kind: .unsupported,
      message: "config.json: model_type: \"gpt2\" is not a family the importer builds"),
    BadConfig(
      label: "missing hidden_size", text: "{\"model_type\": \"llama\"}", kind: .missingField,
      message: "config.json: hidden_size: is missing"),
    BadConfig(
      label: "hidden_size a string",
      text: "{\"model_type\": \"qwen2\", \"hidden_size\": \"64\"}", kind: .invalidField,
      message: "config.json: hidden_size: is the string \"64\", not an integer"),
    BadConfig(
      label: "zero heads",
      text: "{\"model_type\": \"qwen2\", \"hidden_size\": 64, \"num_attention_heads\": 0}",
      kind: .invalidField, message: "config.json: num_attention_heads: is 0, outside 1...4096"),
    BadConfig(
      label: "absurd layer count",
      text: Configs.decoder(
        "llama", hidden: 64, layers: 1_000_000_000, heads: 4, kvHeads: 4, intermediate: 8, vocabulary: 8),
      kind: .tooLarge, message: "config.json: num_hidden_layers: is 1000000000, outside 1...1024"),
    BadConfig(
      label: "heads wider than hidden",
      text: Configs.decoder(
        "llama", hidden: 2, layers: 1, heads: 4, kvHeads: 4, intermediate: 8, vocabulary: 8),
      kind: .invalidField, message: "num_attention_heads: 4 heads leave 0 dimensions each of hidden_size 2"),
    BadConfig(
      label: "too many experts in all",
      text: Configs.decoder(
        "mixtral", hidden: 64, layers: 1024, heads: 4, kvHeads: 4, intermediate: 8, vocabulary: 8,
        extra: "\"num_local_experts\": 1024, \"num_experts_per_tok\": 2"),
      kind: .tooLarge, message: "num_local_experts: 1024 experts in each of 1024 layers exceed 32768"),
    BadConfig(
      label: "more active experts than experts",
      text: Configs.decoder(
        "mixtral", hidden: 64, layers: 1, heads: 4, kvHeads: 4, intermediate: 8, vocabulary: 8,
        extra: "\"num_local_experts\": 2, \"num_experts_per_tok\": 3"),
      kind: .tooLarge, message: "num_experts_per_tok: is 3, outside 1...2"),
    BadConfig(
      label: "nested field",
      text: Configs.minicpmV(vision: "{\"hidden_size\": -1}"), kind: .invalidField,
      message: "config.json: vision_config.hidden_size: is -1, outside 1...1048576"),
    BadConfig(
      label: "vision_config not an object", text: Configs.minicpmV(vision: "7"), kind: .invalidField,
      message: "config.json: vision_config: is a number, not an object"),
    BadConfig(
      label: "unsupported MiniCPM-V version", text: Configs.minicpmV(version: "9.9"), kind: .unsupported,
      message: "config.json: version: MiniCPM-V 9.9 is not supported"),
    BadConfig(
      label: "omni without thinker", text: "{\"model_type\": \"qwen2_5_omni\"}", kind: .missingField,
      message: "config.json: thinker_config: is missing"),
    BadConfig(
      label: "mlp_only_layers not integers",
      text: Configs.qwen15MoE.replacingOccurrences(
        of: "\"mlp_only_layers\": []", with: "\"mlp_only_layers\": [\"x\"]"),
      kind: .invalidField, message: "config.json: mlp_only_layers: holds the string \"x\""),
  ]

  @Test(arguments: badConfigs)
  func badConfigGivesOneLineError(_ bad: BadConfig) throws {
    let error = try #require(throws: ImportError.self) { try importConfig(bad.text) }
    #expect(error.kind == bad.kind)
    #expect(error.description.contains(bad.message), "\(error)")
    #expect(!error.description.contains("\n"))
  }

  /// Random field values (in and out of range, wrong types) never trap.
  @Test func randomConfigsNeverTrap() throws {
    let seed: UInt64 = 0xC0F1_6000
    var rng = SplitMix64(seed: seed)
    let keys = [
      "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim",
      "intermediate_size", "vocab_size", "num_local_experts", "num_experts", "num_experts_per_tok",
      "moe_intermediate_size", "shared_expert_intermediate_size", "decoder_sparse_step", "query_num",
    ]
    let values = [
      "0", "1", "2", "3", "7", "64", "-1", "1e300", "0.5", "null", "\"8\"", "[]", "{}", "true", "4096",
      "1048576",
    ]
    var built = 0
    for _ in 0..<600 {
      let family = ConfigImporter.supportedModelTypes.randomElement(using: &rng)!
      var fields = ["\"model_type\": \"\(family)\""]
      for key in keys where Int.random(in: 0..<4, using: &rng) > 0 {
        let value =
          Int.random(in: 0..<3, using: &rng) == 0
          ? values.randomElement(using: &rng)! : "\(Int.random(in: 1...8, using: &rng))"
        fields.append("\"\(key)\": \(value)")
      }
      if family == "minicpmv" {
        fields.append("\"vision_config\": {\"num_hidden_layers\": 1, \"hidden_size\": 8}")
      }
      if family == "qwen2_5_omni" {
        fields.append("\"thinker_config\": {\(fields.dropFirst().joined(separator: ", "))}")
      }
      do {
        let graph = try importConfig("{" + fields.joined(separator: ", ") + "}")
        built += 1
        #expect(graph.parameterCount >= 0, "seed \(seed)")
      } catch {
        #expect(!error.description.contains("\n"), "seed \(seed)")
      }
    }
    #expect(built > 0)
  }
}
