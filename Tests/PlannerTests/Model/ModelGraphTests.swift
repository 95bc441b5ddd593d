import Testing

@testable import Planner

/// Canonical names of every catalog model, for table-driven tests.
private let modelNames = ModelCatalog.entries.map(\.name)

@Suite struct ModelGraphTests {
  func model(_ name: String) throws -> ModelGraph {
    try #require(ModelCatalog.entry(named: name), "no model named \(name)").build()
  }

  // MARK: - Every catalog model

  @Test(arguments: modelNames)
  func everyTensorIsCoveredByExactlyOneLayer(name: String) throws {
    let graph = try model(name)
    var coverage: [String: [String]] = [:]
    for layer in graph.layers {
      let tensors = try #require(
        graph.root.namedTensors(at: layer.module), "\(name): \(layer.module) not in the tree")
      #expect(
        !tensors.isEmpty || layer.kind == .head || layer.kind == .rotary,
        "\(name): \(layer.module) holds nothing")
      for tensor in tensors { coverage[tensor.name, default: []].append(layer.module) }
    }
    let all = graph.root.namedTensors().map(\.name)
    #expect(Set(all).count == all.count, "\(name): duplicate tensor names in the tree")
    let uncovered = all.filter { coverage[$0] == nil }
    let twice = coverage.filter { $0.value.count > 1 }.keys.sorted()
    let unknown = Set(coverage.keys).subtracting(all).sorted()
    #expect(uncovered.isEmpty, "\(name): tensors in no layer: \(uncovered.prefix(5))")
    #expect(twice.isEmpty, "\(name): tensors in two layers: \(twice.prefix(5))")
    #expect(unknown.isEmpty, "\(name): layer tensors not in the tree: \(unknown.prefix(5))")
  }

  @Test(arguments: modelNames)
  func chainModulePathsAreUnique(name: String) throws {
    let paths = try model(name).layers.map(\.module)
    #expect(Set(paths).count == paths.count)
    #expect(!paths.contains(""))
  }

  @Test(arguments: modelNames)
  func parameterCountIsTheSumOverLayers(name: String) throws {
    let graph = try model(name)
    #expect(graph.parameterCount == graph.layers.reduce(0) { $0 + $1.parameterCount })
    #expect(graph.parameterCount > 0)
    // Without ties, every parameter of the tree is counted.
    let treeParameters = graph.root.namedTensors().filter { !$0.tensor.isBuffer }.reduce(Int64(0)) {
      $0 + $1.tensor.elementCount
    }
    let tiedDuplicates = graph.tiedParameters.reduce(Int64(0)) { total, group in
      let elements = group.compactMap { name in graph.root.namedTensors(at: name)?.first?.tensor.elementCount
      }
      return total + elements.dropFirst().reduce(0, +)
    }
    #expect(graph.parameterCount == treeParameters - tiedDuplicates)
  }

  @Test(arguments: modelNames)
  func bf16WeightBytesAreTwicePlusBufferElements(name: String) throws {
    let graph = try model(name)
    let tensors = graph.root.namedTensors()
    let integerTensors = tensors.filter { !$0.tensor.isFloatingPoint }.map(\.name)
    try #require(
      integerTensors.isEmpty, "\(name) has integer tensors \(integerTensors); the rule does not apply")
    let bufferElements = tensors.filter(\.tensor.isBuffer).reduce(Int64(0)) { $0 + $1.tensor.elementCount }
    // Tensors sized as stored (gpt-oss's MXFP4 experts) take their stored bytes under any dtype.
    let stored = tensors.filter { $0.tensor.storedBytes != nil }
    let storedElements = stored.reduce(Int64(0)) { $0 + $1.tensor.elementCount }
    let storedBytes = stored.reduce(Int64(0)) { $0 + ($1.tensor.storedBytes ?? 0) }
    let converted = graph.parameterCount + bufferElements - storedElements
    #expect(graph.weightBytes(weight: .bf16, compute: .bf16) == ByteCount(2 * converted + storedBytes))
    #expect(graph.weightBytes(weight: .fp32, compute: .fp32) == ByteCount(4 * converted + storedBytes))
    // The bytes of the whole model are the bytes of its layers.
    let layerBytes = graph.layers.reduce(ByteCount.zero) {
      $0 + $1.weightBytes(weight: .bf16, compute: .bf16)
    }
    #expect(graph.weightBytes(weight: .bf16, compute: .bf16) == layerBytes)
  }

  @Test(arguments: modelNames)
  func quantizedWeightsAreSmaller(name: String) throws {
    let graph = try model(name)
    let int4 = graph.weightBytes(weight: .int4, compute: .fp16)
    let int8 = graph.weightBytes(weight: .int8, compute: .fp16)
    let fp8 = graph.weightBytes(weight: .fp8, compute: .fp16)
    let fp16 = graph.weightBytes(weight: .fp16, compute: .fp16)
    // Where every quantizable matrix is already stored quantized (DeepSeek-V3's fp8 checkpoint),
    // the planning dtype changes nothing.
    let convertible = graph.root.namedTensors().contains {
      $0.tensor.isQuantizable && $0.tensor.storedBytes == nil
    }
    guard convertible else {
      #expect(int4 == fp16 && int8 == fp16 && fp8 == fp16)
      return
    }
    #expect(int4 < int8)
    #expect(int8 < fp16)
    #expect(fp8 < fp16)
    #expect(fp16 == graph.weightBytes(weight: .bf16, compute: .bf16))
    // The decoder matrices dominate: int8 saves at least a third of fp16 (unless the largest are
    // already stored quantized, as gpt-oss's MXFP4 experts are).
    if !graph.root.namedTensors().contains(where: { $0.tensor.storedBytes != nil }) {
      #expect(int8.value * 3 < fp16.value * 2)
    }
  }

  @Test(arguments: modelNames)
  func kvCacheLivesInTextDecoderLayersOnly(name: String) throws {
    let graph = try model(name)
    for layer in graph.layers where layer.kvElementsPerToken > 0 {
      #expect(layer.kind == .decoder && layer.stream == .text, "\(name): \(layer.module)")
    }
    #expect(graph.layers.contains { $0.kvElementsPerToken > 0 })
  }

  @Test(arguments: modelNames)
  func pinsNameAnUnpinnedLayerOfTheChain(name: String) throws {
    let graph = try model(name)
    for layer in graph.layers {
      guard let anchor = layer.pinnedTo else { continue }
      let target = graph.layers.first { $0.module == anchor }
      #expect(target != nil, "\(name): \(layer.module) pinned to \(anchor), which is not a layer")
      #expect(target?.pinnedTo == nil, "\(name): \(anchor) is pinned itself")
    }
  }

  // MARK: - Tied embeddings

  @Test(arguments: ["omnilmm-3b", "minicpm-v-2.0"])
  func tiedModelCountsTheTiedWeightOnceAndPinsTheHead(name: String) throws {
    let graph = try model(name)
    #expect(graph.tiedParameters == [["llm.lm_head.weight", "llm.model.embed_tokens.weight"]])
    let head = try #require(graph.layers.first { $0.module == "llm.lm_head" })
    let embed = try #require(graph.layers.first { $0.module == "llm.model.embed_tokens" })
    #expect(head.pinnedTo == "llm.model.embed_tokens")
    #expect(head.kind == .head)
    // The embedding comes first in traversal order and owns the shared tensor.
    #expect(embed.parameterCount == 122_753 * 2304)
    #expect(head.parameterCount == 0)
    #expect(head.weightBytes(weight: .bf16, compute: .bf16) == .zero)
    // The tree holds the matrix twice; the count holds it once.
    let treeParameters = graph.root.namedTensors().filter { !$0.tensor.isBuffer }.reduce(Int64(0)) {
      $0 + $1.tensor.elementCount
    }
    #expect(graph.parameterCount == treeParameters - 122_753 * 2304)
  }

  @Test func untiedModelHasItsOwnHead() throws {
    let graph = try model("qwen2-7b")
    #expect(graph.tiedParameters.isEmpty)
    let head = try #require(graph.layers.first { $0.module == "lm_head" })
    #expect(head.pinnedTo == nil)
    #expect(head.parameterCount == 3584 * 152_064)
    #expect(graph.layers.allSatisfy { $0.pinnedTo == nil })
  }

  // MARK: - Specific figures

  @Test func qwen2DecoderLayersKeep2x4x128KVElementsPerToken() throws {
    let graph = try model("qwen2-7b")
    let decoders = graph.layers.filter { $0.kind == .decoder }
    #expect(decoders.count == 28)
    #expect(decoders.allSatisfy { $0.kvElementsPerToken == 2 * 4 * 128 })
    #expect(graph.layers.filter { $0.kind != .decoder }.allSatisfy { $0.kvElementsPerToken == 0 })
    #expect(decoders.map(\.module) == (0..<28).map { "model.layers.\($0)" })
  }

  @Test func minicpmV26VisionInputIs1024PatchesPerSliceAndTenSlices() throws {
    let graph = try model("minicpm-v-2.6")
    let vision = try #require(graph.vision)
    #expect(vision.patchesPerSlice == 1024)
    #expect(vision.maximumSlices == 10)
    #expect(vision.queriesPerSlice == 64)
    // The chain runs the vision tower and the resampler before the LLM.
    let streams = graph.layers.map(\.stream)
    let lastVision = try #require(streams.lastIndex(of: .vision))
    let firstText = try #require(streams.firstIndex(of: .text))
    #expect(lastVision < firstText)
    #expect(graph.layers.first?.module == "vpm.embeddings")
    #expect(graph.layers.last?.module == "llm.lm_head")
  }

  @Test func namedTensorsAtAParameterPathFindsTheOneTensor() throws {
    let graph = try model("omnilmm-3b")
    let tensors = try #require(graph.root.namedTensors(at: "vpm.pos_embed"))
    #expect(tensors.map(\.name) == ["vpm.pos_embed"])
    let posEmbed = try #require(tensors.first?.tensor)
    #expect(posEmbed.shape == [1, 729, 1152])
    #expect(posEmbed.elementCount == 729 * 1152)
    #expect(graph.root.namedTensors(at: "vpm.no_such_thing") == nil)
    #expect(graph.root.namedTensors(at: "nowhere") == nil)
  }

  /// A routed expert's tensor holds `.experts.` in its name, fused or per expert, or GGUF's
  /// `_exps`; shared experts and look-alikes do not.
  @Test func routedExpertNames() {
    for name in [
      "model.layers.3.mlp.experts.gate_up_proj", "model.layers.3.mlp.experts.7.down_proj.weight",
      "a..experts.b", "x.exp.experts.y", "blk.3.ffn_gate_exps.weight",
    ] {
      #expect(ModelGraph.isRoutedExpert(name), "\(name)")
    }
    for name in [
      "model.layers.3.mlp.shared_experts.gate_proj.weight", "model.layers.3.mlp.shared_expert.up_proj.weight",
      "model.layers.3.mlp.experts", "experts.gate_up_proj", "model.layers.3.mlp.expertsX.w", ".experts",
      "", "blk.3.ffn_gate_shexp.weight",
    ] {
      #expect(!ModelGraph.isRoutedExpert(name), "\(name)")
    }
  }
}
