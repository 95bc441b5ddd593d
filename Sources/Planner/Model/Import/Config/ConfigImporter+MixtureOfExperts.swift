import Foundation

/// The mixture-of-experts families: mixtral, qwen2_moe, qwen3_moe.
extension ConfigImporter {
  /// `mixtral`, `qwen2_moe`, `qwen3_moe`: every expert's weights are in the tree (they all take
  /// memory), and a layer's FLOPs count the router, the `num_experts_per_tok` active experts and
  /// any shared expert.
  ///
  /// The tree is transformers 5's (5.24), which fuses each layer's experts into one module of two
  /// 3-D parameters (``fusedExperts(className:experts:hidden:width:)``) and loads checkpoints stored
  /// per expert into it (``CheckpointImporter`` fuses their headers the same way). Mixtral: `mlp`
  /// (`gate`, `experts`; transformers 4 named it `block_sparse_moe`). Qwen2-MoE: `mlp` (`gate`,
  /// `experts` of `moe_intermediate_size`, `shared_expert`, `shared_expert_gate`), sparse on
  /// layers with `(N + 1) % decoder_sparse_step == 0` not in `mlp_only_layers`, a dense
  /// `intermediate_size` MLP elsewhere. Qwen3-MoE: `mlp` (`experts`, then `gate`), no shared
  /// expert.
  static func mixtureOfExperts(
    _ c: ConfigObject, modelType: String, name: String
  ) throws(ImportError) -> ModelGraph {
    let isMixtral = modelType == "mixtral"
    // transformers 5 writes Qwen's `num_experts` as `num_local_experts` (its `attribute_map`).
    let expertsKey =
      isMixtral || (c.value("num_experts") == nil && c.value("num_local_experts") != nil)
      ? "num_local_experts" : "num_experts"
    let experts = try c.integer(expertsKey, in: expertCounts)
    let active = try c.integer("num_experts_per_tok", in: 1...experts)
    let llm: DecoderLLM
    switch modelType {
    case "mixtral": llm = try decoderLLM(c, family: .mistral, classPrefix: "Mixtral")
    case "qwen2_moe": llm = try decoderLLM(c, family: .qwen2, classPrefix: "Qwen2Moe")
    default: llm = try decoderLLM(c, family: .qwen3, classPrefix: "Qwen3Moe")
    }
    guard Int64(llm.layerCount) * experts <= maximumExpertModules else {
      throw c.fail(
        .tooLarge, expertsKey,
        "\(experts) experts in each of \(llm.layerCount) layers exceed \(maximumExpertModules) expert modules"
      )
    }
    let hidden = llm.hiddenSize
    var expertWidth = llm.intermediateSize
    var sharedWidth: Int64 = 0
    var step: Int64 = 1
    var denseLayers = Set<Int64>()
    if !isMixtral {
      expertWidth = try c.integer("moe_intermediate_size", in: widths)
      step = try c.integer("decoder_sparse_step", in: 1...layerCounts.upperBound, default: 1)
      denseLayers = Set(try c.integers("mlp_only_layers", in: 0...layerCounts.upperBound))
    }
    if modelType == "qwen2_moe" {
      sharedWidth = try c.integer("shared_expert_intermediate_size", in: 0...widths.upperBound)
    }
    func isSparse(_ index: Int) -> Bool {
      !denseLayers.contains(Int64(index)) && (index + 1) % Int(step) == 0
    }

    let prefix = llm.classPrefix
    func gatedMLP(_ name: String, _ width: Int64) -> Module {
      Module(
        name, prefix + "MLP",
        children: [
          .linear("gate_proj", hidden, width, bias: false), .linear("up_proj", hidden, width, bias: false),
          .linear("down_proj", width, hidden, bias: false),
        ])
    }
    let sparseBlock = Module(
      "mlp", prefix + "SparseMoeBlock",
      children: Self.sparseBlockChildren(
        modelType: modelType, prefix: prefix, hidden: hidden, experts: experts, expertWidth: expertWidth,
        shared: modelType == "qwen2_moe" ? gatedMLP("shared_expert", sharedWidth) : nil))
    var (module, layers, tied) = llm.build(name: "", path: "")
    addOriginalInverseFrequencies(&module)
    mapDecoderLayers(&module) { index, layer in
      guard isSparse(index), let mlp = layer.children.firstIndex(where: { $0.name == "mlp" }) else { return }
      layer.children[mlp] = sparseBlock
    }
    let q = llm.headCount * llm.headDimension
    let kv = llm.kvHeadCount * llm.headDimension
    let attentionElements = hidden * (2 * q + 2 * kv)
    // Per token: the router, the active experts and the shared expert (and its one-output gate).
    let sparseElements =
      hidden * experts + active * 3 * hidden * expertWidth + 3 * hidden * sharedWidth
      + (sharedWidth > 0 ? hidden : 0)
    for index in layers.indices {
      guard layers[index].kind == .decoder,
        let number = Int(layers[index].module.split(separator: ".").last ?? ""),
        isSparse(number)
      else { continue }
      layers[index].flopsPerToken = 2 * (attentionElements + sparseElements)
      layers[index].routedExperts = Layer.RoutedExperts(count: Int(experts), active: Int(active))
      layers[index].transientElementsPerToken = DecoderLLM.gatedMLPTransients * max(expertWidth, sharedWidth)
    }
    let shared = sharedWidth > 0 ? " + shared expert" : ""
    return ModelGraph(
      name: name,
      summary: "\(prefix) decoder, \(llm.layerCount) layers, \(experts) experts (top \(active))\(shared)",
      root: module, layers: layers, noSplitModuleClasses: [llm.decoderLayerClass], tiedParameters: tied,
      nativeDType: .bf16, hiddenSize: hidden, vocabularySize: llm.vocabularySize,
      estimates: [
        "every expert's weights are counted in memory; decode reads the experts a batch routes to (uniform "
          + "routing of \(active) of \(experts) per token), prefill all of them; FLOPs count the \(active) active experts"
      ])
  }

  /// transformers 5's sparse block children, in registration order (`modeling_<family>.py`).
  static func sparseBlockChildren(
    modelType: String, prefix: String, hidden: Int64, experts: Int64, expertWidth: Int64, shared: Module?
  ) -> [Module] {
    let fused = fusedExperts(
      className: prefix + "Experts", experts: experts, hidden: hidden, width: expertWidth)
    let gate = router(className: prefix + "TopKRouter", experts: experts, hidden: hidden)
    switch modelType {
    case "qwen3_moe": return [fused, gate]
    case "qwen2_moe":
      return [gate, fused] + (shared.map { [$0] } ?? [])
        + [.linear("shared_expert_gate", hidden, 1, bias: false, quantizable: false)]
    default: return [gate, fused]
    }
  }

  /// transformers 5's fused experts (`Qwen3MoeExperts`, `MixtralExperts`, `DeepseekV3Experts`, …):
  /// `gate_up_proj [experts, 2 × width, hidden]` and `down_proj [experts, hidden, width]`, the
  /// per-expert `gate_proj`/`w1` and `up_proj`/`w3` stacked and concatenated, `down_proj`/`w2`
  /// stacked (its `act_fn` child holds no tensor and is left out, as for the dense MLPs).
  static func fusedExperts(className: String, experts: Int64, hidden: Int64, width: Int64) -> Module {
    Module(
      "experts", className,
      parameters: [
        .parameter("gate_up_proj", experts, 2 * width, hidden, quantizable: true),
        .parameter("down_proj", experts, hidden, width, quantizable: true),
      ])
  }

  /// transformers 5's router (`…TopKRouter`): one `weight [experts, hidden]`.
  static func router(className: String, experts: Int64, hidden: Int64) -> Module {
    Module("gate", className, parameters: [.parameter("weight", experts, hidden)])
  }
}
