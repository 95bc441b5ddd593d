import Foundation

/// Edits of a built module tree to match a family's checkpoint.
extension ConfigImporter {
  /// Applies `transform` to every decoder layer (`model.layers.N`) of an `XForCausalLM` module.
  static func mapDecoderLayers(_ causalLM: inout Module, _ transform: (Int, inout Module) -> Void) {
    mapChild("model", of: &causalLM) { model in
      mapChild("layers", of: &model) { list in
        for index in list.children.indices { transform(index, &list.children[index]) }
      }
    }
  }

  /// Applies `transform` to the child named `name`, if there is one.
  static func mapChild(_ name: String, of module: inout Module, _ transform: (inout Module) -> Void) {
    guard let index = module.children.firstIndex(where: { $0.name == name }) else { return }
    transform(&module.children[index])
  }

  /// Gives the named linear children of `child` a bias (`[out]`) where they have none.
  static func addBias(to names: [String], inChild child: String, of layer: inout Module) {
    guard !names.isEmpty else { return }
    mapChild(child, of: &layer) { parent in
      for index in parent.children.indices where names.contains(parent.children[index].name) {
        let linear = parent.children[index]
        guard !linear.parameters.contains(where: { $0.name == "bias" }),
          let rows = linear.parameters.first(where: { $0.name == "weight" })?.shape.first
        else { continue }
        parent.children[index].parameters.append(.parameter("bias", rows))
      }
    }
  }

  /// Adds transformers 5's copy of the rotary `inv_freq` buffer, `original_inv_freq` (same shape,
  /// float32, non-persistent; `…RotaryEmbedding.__init__` in 5.24), to `model.rotary_emb`.
  static func addOriginalInverseFrequencies(_ causalLM: inout Module) {
    mapChild("model", of: &causalLM) { model in
      mapChild("rotary_emb", of: &model) { rotary in
        guard var copy = rotary.buffers.first(where: { $0.name == "inv_freq" }),
          !rotary.buffers.contains(where: { $0.name == "original_inv_freq" })
        else { return }
        copy.name = "original_inv_freq"
        rotary.buffers.append(copy)
      }
    }
  }
}
