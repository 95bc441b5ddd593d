import Testing

@testable import Planner

/// The families added with the data catalog, through their catalog files.
@Suite struct ConfigImporterFamilyTests {
  func model(_ name: String) throws -> ModelGraph { try #require(ModelCatalog.entry(named: name)).build() }

  /// MLA caches the latent and the rotary key: kv_lora_rank + qk_rope_head_dim = 512 + 64 per
  /// token and layer (DeepSeek-V3's config), not heads × head_dim (128 × 2 × 192).
  @Test func deepSeekCachesTheLatent() throws {
    let graph = try model("deepseek-v3")
    let decoders = graph.layers.filter { $0.kind == .decoder }
    #expect(decoders.count == 61)
    #expect(decoders.allSatisfy { $0.kvElementsPerToken == 576 })
    // first_k_dense_replace 3: layers 0-2 are dense, 3 onwards hold 256 experts and one shared.
    #expect(graph.root.descendant(at: "model.layers.2.mlp.experts") == nil)
    // transformers 5.24 fuses the 256 routed experts: gate_up_proj [256, 2 x 2048, 7168].
    let experts = try #require(graph.root.descendant(at: "model.layers.3.mlp.experts"))
    #expect(experts.className == "DeepseekV3Experts")
    #expect(experts.parameters.map(\.shape) == [[256, 4096, 7168], [256, 7168, 2048]])
    // As shipped, per expert: 2048 x 7168 fp8 + 16 x 56 fp32 scales for each of gate_proj and up_proj.
    let perMatrix: Int64 = 2048 * 7168 + 16 * 56 * 4
    #expect(experts.parameters[0].storedBytes == 256 * 2 * perMatrix)
    #expect(
      graph.root.descendant(at: "model.layers.3.mlp.shared_experts.gate_proj")?.parameters.first?.shape == [
        2048, 7168,
      ])
    #expect(
      graph.root.descendant(at: "model.layers.0.self_attn.kv_a_proj_with_mqa")?.parameters.first?.shape == [
        576, 7168,
      ])
    // As shipped, the layers' matrices are block fp8: 1 byte per weight + an fp32 scale per 128 x 128.
    let kvB = try #require(graph.root.descendant(at: "model.layers.0.self_attn.kv_b_proj")?.parameters.first)
    #expect(kvB.shape == [32768, 512])
    #expect(kvB.storedBytes == Int64(32768 * 512 + 256 * 4 * 4))
    #expect(graph.root.descendant(at: "model.embed_tokens")?.parameters.first?.storedBytes == nil)
    let lite = try model("deepseek-v2-lite")
    #expect(lite.root.descendant(at: "model.layers.0.self_attn.q_proj") != nil)
    #expect(lite.root.descendant(at: "model.layers.0.self_attn.q_a_proj") == nil)
  }

  /// gpt-oss-20b's experts as shipped: MXFP4, 4 bits per weight plus one 8-bit scale per 32.
  @Test func gptOssExpertsAreStoredAsMXFP4() throws {
    let graph = try model("gpt-oss-20b")
    let experts = try #require(graph.root.descendant(at: "model.layers.0.mlp.experts"))
    let gateUp = try #require(experts.parameters.first { $0.name == "gate_up_proj" })
    #expect(gateUp.shape == [32, 2880, 5760])
    #expect(gateUp.storedBytes == Int64(282_009_600))  // 32 × 2880 × 5760 × 17 / 32
    #expect(experts.parameters.first { $0.name == "gate_up_proj_bias" }?.storedBytes == nil)
    #expect(graph.root.descendant(at: "model.layers.0.self_attn")?.parameters.map(\.name) == ["sinks"])
    // Stored bytes do not follow the planning dtype.
    #expect(
      graph.weightBytes(weight: .int4, compute: .fp16) < graph.weightBytes(weight: .bf16, compute: .bf16))
    #expect(graph.summary.contains("MXFP4"))
  }

  @Test func gemma3NestsTheTextModel() throws {
    let graph = try model("gemma-3-4b")
    #expect(graph.layers.first?.module == "vision_tower.vision_model.embeddings")
    #expect(graph.layers.contains { $0.module == "language_model.model.layers.33" })
    #expect(
      graph.tiedParameters == [["language_model.lm_head.weight", "language_model.model.embed_tokens.weight"]])
    #expect(graph.vision?.queriesPerSlice == 256)
    let layer = try #require(graph.root.descendant(at: "language_model.model.layers.0.self_attn"))
    #expect(layer.children.map(\.name).suffix(2) == ["q_norm", "k_norm"])
  }

  @Test func qwenVLPutsTheViTFirst() throws {
    let graph = try model("qwen2.5-vl-7b")
    #expect(graph.root.children.map(\.name) == ["visual", "model", "lm_head"])
    #expect(graph.noSplitModuleClasses.contains("Qwen2_5_VLVisionBlock"))
    #expect(graph.vision?.queriesPerSlice == 256)
  }

  /// llava-1.5-7b-hf's text_config names only the vocabulary: LlamaConfig's defaults are used, and said.
  @Test func llavaFillsTransformersDefaults() throws {
    let graph = try model("llava-1.5-7b")
    #expect(graph.hiddenSize == 4096 && graph.vocabularySize == 32064)
    #expect(graph.estimates.contains { $0.contains("LlamaConfig defaults") })
    #expect(graph.root.descendant(at: "vision_tower.vision_model.pre_layrnorm") != nil)
    #expect(
      graph.root.descendant(at: "vision_tower.vision_model.embeddings.position_embedding")?.parameters.first?
        .shape == [577, 1024])
  }
}
