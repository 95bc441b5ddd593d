import Foundation
import Testing

@testable import Planner

/// Writes `config.json` and a checkpoint of the graph that config builds, then imports the directory.
private func roundTrip(
  _ config: String, edit: (inout [StoredTensor]) -> Void = { _ in }, shards: Int = 1
) throws -> (configured: ModelGraph, imported: ModelGraph) {
  let scratch = try ScratchDirectory()
  defer { scratch.remove() }
  let configured = try importConfig(config, name: scratch.url.lastPathComponent)
  var tensors = storedTensors(of: configured)
  edit(&tensors)
  try scratch.write(config, to: "config.json")
  try writeCheckpoint(tensors, in: scratch, shards: shards)
  return (configured, try CheckpointImporter.load(directory: scratch.path))
}

/// Bytes of stored tensors.
private func byteTotal(_ tensors: [StoredTensor]) -> Int64 { tensors.reduce(0) { $0 + $1.byteCount } }

@Suite struct CheckpointImporterTests {
  // MARK: - Every family, small

  @Test(arguments: Configs.small.map(\.family))
  func smallCheckpointMatchesItsConfig(family: String) throws {
    let config = try #require(Configs.small.first { $0.family == family }).config
    let (configured, imported) = try roundTrip(config)
    #expect(imported.parameterCount == configured.parameterCount)
    #expect(imported.layers.map(\.module) == configured.layers.map(\.module))
    #expect(imported.layers.map(\.parameterCount) == configured.layers.map(\.parameterCount))
    #expect(imported.layers.map(\.flopsPerToken) == configured.layers.map(\.flopsPerToken))
    #expect(imported.tensors.map(\.name) == configured.tensors.map(\.name))
    #expect(imported.tiedParameters == configured.tiedParameters)
    #expect(imported.nativeDType == .bf16)
    // Stored tensors take the checkpoint's width; buffers stay as built.
    for (name, tensor) in imported.tensors where !tensor.isBuffer {
      #expect(tensor.bits == 16, "\(family): \(name)")
    }
    #expect(
      imported.weightBytes(weight: .bf16, compute: .bf16)
        == configured.weightBytes(weight: .bf16, compute: .bf16))
  }

  @Test func shardedCheckpointReadsEveryShard() throws {
    let (configured, imported) = try roundTrip(Configs.small[0].config, shards: 3)
    #expect(imported.parameterCount == configured.parameterCount)
  }

  // MARK: - Full size, no data

  @Test func fullSizeQwen2SparseCheckpointImportsExactly() throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    let catalog = ModelCatalog.qwen2(name: "qwen2-7b")
    let tensors = storedTensors(of: catalog)
    #expect(byteTotal(tensors) == 15_231_233_024)
    try writeCheckpoint(tensors, in: scratch)
    // Headers alone (no config.json): the tree comes from the names.
    let fromHeaders = try CheckpointImporter.load(directory: scratch.path)
    #expect(fromHeaders.parameterCount == 7_615_616_512)
    #expect(fromHeaders.layers.filter { $0.kind == .decoder }.count == 28)
    #expect(fromHeaders.layers.first?.module == "model.embed_tokens")
    #expect(fromHeaders.layers.last?.module == "lm_head")
    #expect(fromHeaders.hiddenSize == 3584 && fromHeaders.vocabularySize == 152064)
    // With config.json: the catalog's graph, sized by the headers.
    try scratch.write(Configs.qwen2x7B, to: "config.json")
    let imported = try CheckpointImporter.load(directory: scratch.path)
    #expect(imported.parameterCount == 7_615_616_512)
    #expect(imported.parameterCount == catalog.parameterCount)
    #expect(imported.layers.map(\.module) == catalog.layers.map(\.module))
    #expect(
      imported.weightBytes(weight: .bf16, compute: .bf16)
        == catalog.weightBytes(weight: .bf16, compute: .bf16))
    #expect(imported.name == scratch.url.lastPathComponent)
  }

  @Test func fullSizeMiniCPMV26ShardedCheckpointImportsExactly() throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    let catalog = try #require(ModelCatalog.entry(named: "minicpm-v-2.6")).build()
    let tensors = storedTensors(of: catalog)
    // The checkpoint's byte total (RK index metadata.total_size).
    #expect(byteTotal(tensors) == 16_198_350_304)
    try writeCheckpoint(tensors, in: scratch, shards: 4)
    try scratch.write(Configs.minicpmV(), to: "config.json")
    let imported = try CheckpointImporter.load(directory: scratch.path)
    #expect(imported.parameterCount == 8_099_175_152)
    #expect(imported.layers.map(\.module) == catalog.layers.map(\.module))
    #expect(imported.root.namedTensors(at: "llm.lm_head.weight")?.first?.tensor.shape == [151666, 3584])
    #expect(imported.vision == catalog.vision)
    // What `vllm serve` needs: the directory, remote code (auto_map), max_position_embeddings.
    #expect(imported.serving.repository == scratch.path)
    #expect(imported.serving.remoteCode)
    #expect(imported.serving.maxPositions == 32768)
  }

  @Test func servingFactsComeFromTheTextConfig() throws {
    let nested = try ConfigImporter.parse(
      Data(#"{"auto_map": {"AutoModel": "x.Y"}, "llm_config": {"max_position_embeddings": 8192}}"#.utf8),
      file: "c.json")
    let facts = try CheckpointImporter.servingFacts(config: nested, directory: "~/models/x")
    #expect(facts == ServingFacts(repository: "~/models/x", maxPositions: 8192, remoteCode: true))
    let plain = try ConfigImporter.parse(Data(#"{"max_position_embeddings": 32768}"#.utf8), file: "c.json")
    #expect(
      try CheckpointImporter.servingFacts(config: plain, directory: "d")
        == ServingFacts(repository: "d", maxPositions: 32768, remoteCode: false))
    #expect(throws: ImportError.self) {
      try CheckpointImporter.servingFacts(
        config: try ConfigImporter.parse(Data(#"{"max_position_embeddings": -1}"#.utf8), file: "c.json"),
        directory: "d")
    }
  }

  @Test func truncatedFullSizeCheckpointIsRejected() throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    let (json, _) = safetensorsHeader(storedTensors(of: ModelCatalog.qwen2(name: "qwen2-7b")))
    try writeSafetensors(headerJSON: json, dataLength: 4096, to: scratch.file("model.safetensors"))
    try scratch.write(Configs.qwen2x7B, to: "config.json")
    let error = try #require(throws: ImportError.self) {
      try CheckpointImporter.load(directory: scratch.path)
    }
    #expect(error.kind == .truncated)
    #expect(error.file.hasSuffix("model.safetensors"))
    #expect(error.description.contains("the file is truncated"))
  }

  // MARK: - Headers differ from the config

  @Test func tiedHeadMayBeStoredOrNot() throws {
    let gemma = try #require(Configs.small.first { $0.family == "gemma" }).config
    let (configured, withoutHead) = try roundTrip(gemma)
    #expect(withoutHead.tiedParameters == [["lm_head.weight", "model.embed_tokens.weight"]])
    #expect(withoutHead.parameterCount == configured.parameterCount)
    #expect(withoutHead.root.namedTensors(at: "lm_head.weight")?.first?.tensor.bits == 16)
    let (_, withHead) = try roundTrip(gemma) { $0.append(StoredTensor("lm_head.weight", "BF16", [256, 64])) }
    #expect(withHead.parameterCount == configured.parameterCount)
    #expect(withHead.layers.last?.pinnedTo == "model.embed_tokens")
  }

  @Test func untiedHeadMissingFromTheCheckpointIsCountedAndNoted() throws {
    let (configured, imported) = try roundTrip(Configs.small[0].config) {
      $0.removeAll { $0.name == "lm_head.weight" }
    }
    #expect(imported.parameterCount == configured.parameterCount)
    #expect(
      imported.estimates.contains {
        $0.contains("1 configured tensors are not in the checkpoint") && $0.contains("lm_head.weight")
      })
  }

  @Test func headerShapesWinOverTheConfig() throws {
    // The checkpoint's vocabulary is 300, not config.json's 256.
    let (configured, imported) = try roundTrip(Configs.small[2].config) { tensors in
      for index in tensors.indices
      where ["lm_head.weight", "model.embed_tokens.weight"].contains(tensors[index].name) {
        tensors[index].shape = [300, 64]
      }
    }
    #expect(imported.parameterCount == configured.parameterCount + 2 * 44 * 64)
    #expect(imported.vocabularySize == 300)
  }

  @Test func storedDTypeDecidesTheNativeDType() throws {
    let (_, imported) = try roundTrip(Configs.small[0].config) { tensors in
      for index in tensors.indices { tensors[index].dtype = "F16" }
    }
    #expect(imported.nativeDType == .fp16)
    #expect(imported.estimates.contains("the headers store fp16, not config.json's bf16"))
  }

  @Test func quantizedCheckpointIsSizedByItsPackedTensors() throws {
    let config = Configs.decoder(
      "llama", hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 128, vocabulary: 256,
      extra: "\"quantization_config\": {\"quant_method\": \"gptq\", \"bits\": 4, \"group_size\": 32}")
    var stored: [StoredTensor] = []
    let (configured, imported) = try roundTrip(config) { tensors in
      // GPTQ: every block matrix becomes qweight (int32, 8 per word), qzeros, scales and g_idx.
      tensors = tensors.flatMap { tensor -> [StoredTensor] in
        guard tensor.name.contains(".layers."), tensor.name.hasSuffix("proj.weight") else {
          return [StoredTensor(tensor.name, "F16", tensor.shape)]
        }
        let module = String(tensor.name.dropLast(".weight".count))
        let (rows, columns) = (tensor.shape[0], tensor.shape[1])
        return [
          StoredTensor(module + ".qweight", "I32", [columns / 8, rows]),
          StoredTensor(module + ".qzeros", "I32", [columns / 32, rows / 8]),
          StoredTensor(module + ".scales", "F16", [columns / 32, rows]),
          StoredTensor(module + ".g_idx", "I32", [columns]),
        ]
      }
      stored = tensors
    }
    #expect(imported.nativeDType == .int4)
    #expect(configured.nativeDType == .int4)
    #expect(
      imported.root.descendant(at: "model.layers.0.self_attn.q_proj")?.parameters.map(\.name) == [
        "qweight", "qzeros", "scales", "g_idx",
      ])
    // Packed tensors keep their bytes; float ones (scales, norms, embeddings, the rotary buffer) are
    // at the compute type.
    let buffers = imported.tensors.filter(\.tensor.isBuffer).reduce(Int64(0)) { $0 + $1.tensor.elementCount }
    #expect(buffers == 8)
    #expect(imported.weightBytes(weight: .int4, compute: .fp16) == ByteCount(byteTotal(stored) + 2 * buffers))
    #expect(imported.weightBytes(weight: .fp16, compute: .fp16) == ByteCount(byteTotal(stored) + 2 * buffers))
    #expect(
      imported.estimates.contains { $0.hasPrefix("14 configured weights are stored as gptq int4, group 32") })
    #expect(imported.parameterCount == configured.parameterCount)
    // config.json's estimate of the quantized sizes goes: the headers give them.
    #expect(!imported.estimates.contains { $0.contains("group size 32 -> int4") })
    #expect(configured.estimates.contains { $0.contains("group size 32 -> int4") })
    #expect(imported.layers.map(\.flopsPerToken) == configured.layers.map(\.flopsPerToken))
  }

  @Test func storedTensorsOutsideTheConfiguredModelAreKept() throws {
    let (configured, imported) = try roundTrip(Configs.small[0].config) { tensors in
      tensors.append(StoredTensor("model.layers.1.self_attn.rotary_emb.inv_freq", "F32", [8]))
      tensors.append(StoredTensor("mtp.proj.weight", "BF16", [64, 64]))
      tensors.append(StoredTensor("mtp.norm.weight", "BF16", [64]))
    }
    #expect(imported.parameterCount == configured.parameterCount + 8 + 64 * 64 + 64)
    let layer = try #require(imported.layers.first { $0.module == "model.layers.1" })
    #expect(
      layer.parameterCount == configured.layers.first { $0.module == "model.layers.1" }!.parameterCount + 8)
    let mtp = try #require(imported.layers.last)
    #expect(mtp.module == "mtp")
    #expect(mtp.flopsPerToken == 2 * (64 * 64 + 64))
    #expect(imported.estimates.contains { $0.hasPrefix("3 stored tensors are not in config.json's model") })
    #expect(imported.estimates.contains { $0.hasPrefix("1 modules outside config.json's model were added") })
  }

  @Test func omniPlaceholderGivesWayToStoredToken2Wav() throws {
    let omni = try #require(Configs.small.first { $0.family == "qwen2_5_omni" }).config
    let (configured, imported) = try roundTrip(omni) { tensors in
      tensors.removeAll { $0.name.hasPrefix("token2wav.") }
      tensors.append(
        StoredTensor("token2wav.code2wav_dit_model.transformer_blocks.0.attn.to_q.weight", "BF16", [16, 16]))
      tensors.append(StoredTensor("token2wav.code2wav_bigvgan_model.conv_pre.weight", "BF16", [8, 4, 7]))
    }
    #expect(imported.parameterCount == configured.parameterCount - 420_000_000 + 256 + 224)
    let token2wav = try #require(imported.layers.first { $0.module == "token2wav" })
    #expect(token2wav.parameterCount == 256 + 224)
  }

  // MARK: - Unknown families

  @Test func unknownFamilyIsPlannedFromTheHeaders() throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    try scratch.write(
      "{\"model_type\": \"gpt2\", \"architectures\": [\"GPT2LMHeadModel\"], \"n_embd\": 64, \"n_head\": 4}",
      to: "config.json")
    var tensors: [StoredTensor] = []
    for block in 0..<3 {
      let h = "transformer.h.\(block)."
      tensors += [
        StoredTensor(h + "ln_1.weight", "F32", [64]),
        StoredTensor(h + "attn.c_attn.weight", "F32", [64, 192]),
        StoredTensor(h + "attn.c_proj.weight", "F32", [64, 64]),
        StoredTensor(h + "mlp.c_fc.weight", "F32", [64, 256]),
        StoredTensor(h + "mlp.c_proj.weight", "F32", [256, 64]),
      ]
    }
    tensors += [
      StoredTensor("transformer.ln_f.weight", "F32", [64]),
      StoredTensor("transformer.wpe.weight", "F32", [32, 64]),
      StoredTensor("transformer.wte.weight", "F32", [100, 64]),
      StoredTensor("lm_head.weight", "F32", [100, 64]),
    ]
    // Names sorted, as save_file writes them.
    try writeSafetensors(tensors.sorted { $0.name < $1.name }, to: scratch.file("model.safetensors"))
    let graph = try CheckpointImporter.load(directory: scratch.path)
    #expect(
      graph.layers.map(\.module) == [
        "transformer.wpe", "transformer.wte", "transformer.h.0", "transformer.h.1", "transformer.h.2",
        "transformer.ln_f", "lm_head",
      ])
    #expect(graph.layers.map(\.kind) == [.embedding, .embedding, .decoder, .decoder, .decoder, .norm, .head])
    #expect(graph.parameterCount == tensors.reduce(0) { $0 + $1.shape.reduce(1, *) })
    #expect(graph.noSplitModuleClasses == ["ImportedBlock"])
    #expect(graph.root.className == "GPT2LMHeadModel")
    #expect(graph.root.descendant(at: "transformer.h.1")?.className == "ImportedBlock")
    #expect(graph.root.descendant(at: "transformer.h")?.className == "ModuleList")
    #expect(graph.nativeDType == .fp32)
    #expect(graph.hiddenSize == 64 && graph.vocabularySize == 100)
    let block = graph.layers[2]
    #expect(block.flopsPerToken == 2 * block.parameterCount)
    #expect(block.kvElementsPerToken == 2 * 64)
    #expect(block.attentionHeads == 4)
    #expect(graph.estimates.contains { $0.contains("\"gpt2\" is not a family the importer builds") })
    #expect(graph.estimates.contains { $0.contains("FLOPs are 2 per parameter per token") })
    // Matrices inside blocks quantize; norms and embeddings do not.
    #expect(
      graph.root.namedTensors(at: "transformer.h.0.mlp.c_fc.weight")?.first?.tensor.isQuantizable == true)
    #expect(graph.root.namedTensors(at: "transformer.h.0.ln_1.weight")?.first?.tensor.isQuantizable == false)
    #expect(graph.root.namedTensors(at: "transformer.wte.weight")?.first?.tensor.isQuantizable == false)
  }

  @Test func tensorsBesideBlocksStandAlone() throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    try writeSafetensors(
      [
        StoredTensor("vit.pos_embed", "BF16", [1, 4, 8]),
        StoredTensor("vit.blocks.0.fc.weight", "BF16", [8, 8]),
        StoredTensor("vit.blocks.1.fc.weight", "BF16", [8, 8]),
        StoredTensor("vit.patch.proj.weight", "BF16", [8, 3, 2, 2]),
        StoredTensor("vit.patch.proj.bias", "BF16", [8]), StoredTensor("vit.patch.norm.weight", "BF16", [8]),
      ], to: scratch.file("model.safetensors"))
    let graph = try CheckpointImporter.load(directory: scratch.path)
    #expect(
      graph.layers.map(\.module) == [
        "vit.pos_embed", "vit.blocks.0", "vit.blocks.1", "vit.patch.proj", "vit.patch.norm",
      ])
    #expect(graph.parameterCount == 32 + 64 + 64 + 96 + 8 + 8)
    #expect(graph.estimates.contains { $0.contains("hidden size") })
  }

  // MARK: - Bad directories

  @Test func missingDirectoryConfigAndCheckpointAreErrors() throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    let nowhere = try #require(throws: ImportError.self) {
      try CheckpointImporter.load(directory: scratch.file("nowhere").path)
    }
    #expect(nowhere.kind == .unreadable)
    #expect(nowhere.description.hasSuffix("nowhere: no such directory"))
    let empty = try #require(throws: ImportError.self) {
      try CheckpointImporter.load(directory: scratch.path)
    }
    #expect(empty.kind == .missingField)
    #expect(empty.description.contains("config.json: not found, and the directory has no safetensors file"))
    try scratch.write("{}", to: "file")
    let file = try #require(throws: ImportError.self) {
      try CheckpointImporter.load(directory: scratch.file("file").path)
    }
    #expect(file.description.contains("is not a directory"))
    // An unknown family without headers cannot be planned.
    try scratch.write("{\"model_type\": \"bert\"}", to: "config.json")
    let unknown = try #require(throws: ImportError.self) {
      try CheckpointImporter.load(directory: scratch.path)
    }
    #expect(unknown.kind == .unsupported)
  }

  @Test func indexNamingAMissingShardFailsTheImport() throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    try scratch.write(Configs.small[0].config, to: "config.json")
    try scratch.write(
      "{\"weight_map\": {\"lm_head.weight\": \"gone.safetensors\"}}", to: "model.safetensors.index.json")
    let error = try #require(throws: ImportError.self) {
      try CheckpointImporter.load(directory: scratch.path)
    }
    #expect(error.kind == .missingShard)
  }

  @Test(arguments: [
    ("model..weight", "an empty component"), (".weight", "an empty component"),
    (Array(repeating: "a", count: 70).joined(separator: "."), "modules deep"),
  ])
  func namesThatAreNotModulePathsAreRejected(name: String, reason: String) throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    try writeSafetensors([StoredTensor(name, "F16", [2])], to: scratch.file("model.safetensors"))
    let error = try #require(throws: ImportError.self) {
      try CheckpointImporter.load(directory: scratch.path)
    }
    #expect(error.description.contains(reason), "\(error)")
  }

  @Test func tensorNamedLikeAModuleIsAnErrorNotATrap() throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    try writeSafetensors(
      [
        StoredTensor("a.b", "F16", [2]), StoredTensor("a.b.c", "F16", [2]),
        StoredTensor("a.layers.0.w", "F16", [2]),
      ], to: scratch.file("model.safetensors"))
    let error = try #require(throws: ImportError.self) {
      try CheckpointImporter.load(directory: scratch.path)
    }
    #expect(error.description.contains("a tensor name is also a module name"), "\(error)")
  }

  /// Random tensor names from a small alphabet never trap the grouping: every import either fails
  /// with an ImportError or counts exactly the stored elements.
  @Test func randomNamesNeverTrap() throws {
    let seed: UInt64 = 0x7E45_0125
    var rng = SplitMix64(seed: seed)
    let parts = [
      "model", "layers", "blocks", "h", "0", "1", "2", "mlp", "norm", "embed", "head", "weight", "bias",
    ]
    var imported = 0
    for round in 0..<300 {
      var names = Set<String>()
      for _ in 0..<Int.random(in: 1...12, using: &rng) {
        let depth = Int.random(in: 1...6, using: &rng)
        names.insert((0..<depth).map { _ in parts.randomElement(using: &rng)! }.joined(separator: "."))
      }
      var offset: Int64 = 0
      let tensors = names.sorted().map { name -> SafetensorsTensor in
        let count = Int64.random(in: 0...6, using: &rng)
        defer { offset += 2 * count }
        return SafetensorsTensor(
          name: name, dtype: .bf16, shape: [count], elementCount: count,
          dataOffsets: offset..<(offset + 2 * count),
          file: "random-\(round)")
      }
      do {
        let graph = try CheckpointImporter.graph(
          config: nil, tensors: tensors, name: "random", directory: "/tmp")
        imported += 1
        #expect(
          graph.parameterCount == tensors.reduce(0) { $0 + $1.elementCount }, "seed \(seed) round \(round)")
        #expect(Set(graph.layers.map(\.module)).count == graph.layers.count, "seed \(seed) round \(round)")
      } catch {
        #expect(!error.description.contains("\n"), "seed \(seed)")
      }
    }
    #expect(imported > 0)
  }
}
