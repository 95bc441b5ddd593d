/// A model's chain as vLLM's pipeline stages hold it: the decoder layers, which the stages
/// divide, and what the first and the last stage hold besides.
struct StageChain {
  var decoders: [Layer]
  /// Everything before the first decoder layer, and every layer outside the text model (the
  /// vision tower runs on the first stage).
  var leading: [Layer]
  /// The text layers after the last decoder layer (norm, LM head).
  var trailing: [Layer]

  init(_ model: ModelGraph) {
    let isDecoder = { (layer: Layer) in layer.stream == .text && layer.kind == .decoder }
    decoders = model.layers.filter(isDecoder)
    let first = model.layers.firstIndex(where: isDecoder) ?? model.layers.count
    leading = Array(model.layers[..<first]) + model.layers[first...].filter { $0.stream != .text }
    let last = model.layers.lastIndex(where: isDecoder)
    trailing = last.map { model.layers[($0 + 1)...].filter { $0.stream == .text } } ?? []
  }
}
