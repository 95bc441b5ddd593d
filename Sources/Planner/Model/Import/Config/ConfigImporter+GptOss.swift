import Foundation

/// The gpt_oss family (gpt-oss-20b, gpt-oss-120b).
extension ConfigImporter {
  /// `gpt_oss` (transformers `GptOssForCausalLM`): attention with biases and one learned `sinks`
  /// logit per head, and a mixture of experts whose weights are 3-D tensors of one module
  /// (`mlp.experts`: `gate_up_proj [E, hidden, 2 × intermediate]` and `down_proj [E,
  /// intermediate, hidden]` with their biases) behind `mlp.router` (`weight`, `bias`).
  ///
  /// With `quantization_config.quant_method` `mxfp4` (as OpenAI ships both models) the expert
  /// matrices are stored as MXFP4: 4-bit values in blocks of 32 sharing one 8-bit scale, 17/32
  /// bytes per weight, whatever dtype the rest is planned in; everything else is bf16.
  static func gptOss(_ c: ConfigObject, name: String) throws(ImportError) -> ModelGraph {
    let llm = try decoderLLM(c, family: .llama, classPrefix: "GptOss")
    let experts = try c.integer("num_local_experts", in: expertCounts)
    let active = try c.integer("num_experts_per_tok", in: 1...experts)
    let hidden = llm.hiddenSize
    let width = llm.intermediateSize
    let mxfp4 = try c.object("quantization_config")?.string("quant_method") == "mxfp4"
    let window = try c.optionalInteger("sliding_window", in: 1...(1 << 32))
    let layerTypes = try c.strings("layer_types")

    func expertMatrix(_ tensorName: String, _ shape: Int64...) -> Tensor {
      var tensor = Tensor(
        name: tensorName, shape: shape, bits: 32, isFloatingPoint: true, isQuantizable: false,
        isBuffer: false,
        isPersistent: true)
      if mxfp4 {
        let elements = tensor.elementCount
        tensor.storedBytes = elements / 2 + elements / 32
      }
      return tensor
    }
    let moe = Module(
      "mlp", "GptOssMLP",
      children: [
        Module(
          "router", "GptOssTopKRouter",
          parameters: [.parameter("weight", experts, hidden), .parameter("bias", experts)]),
        Module(
          "experts", "GptOssExperts",
          parameters: [
            expertMatrix("gate_up_proj", experts, hidden, 2 * width),
            .parameter("gate_up_proj_bias", experts, 2 * width),
            expertMatrix("down_proj", experts, width, hidden), .parameter("down_proj_bias", experts, hidden),
          ]),
      ])
    var (module, layers, tied) = llm.build(name: "", path: "")
    mapDecoderLayers(&module) { _, layer in
      addBias(to: ["q_proj", "k_proj", "v_proj", "o_proj"], inChild: "self_attn", of: &layer)
      mapChild("self_attn", of: &layer) { $0.parameters.append(.parameter("sinks", llm.headCount)) }
      if let mlp = layer.children.firstIndex(where: { $0.name == "mlp" }) { layer.children[mlp] = moe }
    }
    let q = llm.headCount * llm.headDimension
    let kv = llm.kvHeadCount * llm.headDimension
    let perToken = hidden * (2 * q + 2 * kv) + hidden * experts + active * 3 * hidden * width
    for index in layers.indices where layers[index].kind == .decoder {
      layers[index].flopsPerToken = 2 * perToken
      layers[index].transientElementsPerToken = DecoderLLM.gatedMLPTransients * width
    }
    var notes = [
      "decode time counts every expert's bytes as read per token; FLOPs count the \(active) active experts"
    ]
    if let window, layerTypes.contains("sliding_attention") {
      let sliding = layerTypes.filter { $0 == "sliding_attention" }.count
      notes.append(
        "\(sliding) of \(layerTypes.count) layers attend to a \(window)-token window; their KV cache is "
          + "counted for the whole context (an upper bound)")
    }
    if mxfp4 {
      notes.append(
        "expert weights are MXFP4 as shipped (17/32 bytes each); runtimes without MXFP4 kernels dequantize "
          + "them to bf16 on load")
    }
    return ModelGraph(
      name: name,
      summary: "GptOss decoder, \(llm.layerCount) layers, \(experts) experts (top \(active))"
        + (mxfp4 ? ", MXFP4 experts" : ""),
      root: module, layers: layers, noSplitModuleClasses: [llm.decoderLayerClass], tiedParameters: tied,
      nativeDType: .bf16, hiddenSize: hidden, vocabularySize: llm.vocabularySize, estimates: notes)
  }
}
