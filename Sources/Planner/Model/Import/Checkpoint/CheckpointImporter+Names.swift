import Foundation

/// Step 1 of importing a checkpoint: tensor names to module paths, blocks and layer kinds.
extension CheckpointImporter {
  /// Deepest tensor name accepted (components); PyTorch names are a handful deep.
  static let maximumNameDepth = 64
  /// Most chain layers an imported graph may have: config.json allows 1,024 decoder layers, and
  /// real chains have at most a few hundred (Llama 3.1 405B: 126 decoder layers and 3 others);
  /// four times the configured bound keeps every placement pass over the chain well under a
  /// second.
  static let maximumLayers = 4096
  /// Most elements a checkpoint may claim (2^53), so that every byte and FLOP count downstream fits
  /// in 64 bits.
  static let maximumElements: Int64 = 1 << 53

  /// The dotted components of every tensor name, checked to be a module path.
  static func modulePaths(of tensors: [SafetensorsTensor]) throws(ImportError) -> [[String]] {
    var total: Int64 = 0
    var paths: [[String]] = []
    paths.reserveCapacity(tensors.count)
    let dot = UInt8(ascii: ".")
    for index in tensors.indices {
      let name = tensors[index].name
      // Split on the UTF-8 bytes: a dot is never part of a multi-byte character.
      var parts: [String] = []
      var depthExceeded = false
      var hasEmpty = false
      let utf8 = name.utf8
      var start = utf8.startIndex
      var position = start
      while true {
        if position == utf8.endIndex || utf8[position] == dot {
          if position == start { hasEmpty = true }
          guard parts.count < maximumNameDepth else {
            depthExceeded = true
            break
          }
          parts.append(String(Substring(utf8[start..<position])))
          if position == utf8.endIndex { break }
          position = utf8.index(after: position)
          start = position
        } else {
          position = utf8.index(after: position)
        }
      }
      guard !depthExceeded else {
        throw ImportError(
          .tooLarge, file: tensors[index].file, subject: name, "is more than \(maximumNameDepth) modules deep"
        )
      }
      guard !hasEmpty else {
        throw ImportError(
          .invalidField, file: tensors[index].file, subject: name,
          "is not a dotted module path (an empty component)")
      }
      total = total.saturatingAdd(tensors[index].elementCount)
      guard total <= maximumElements else {
        throw ImportError(
          .tooLarge, file: tensors[index].file, subject: name,
          "the checkpoint claims more than \(maximumElements) elements")
      }
      paths.append(parts)
    }
    return paths
  }

  /// List names whose numbered children are repeated blocks (`model.layers.3`, `blocks.0`,
  /// GPT-2's `transformer.h.0`, BERT's `encoder.layer.0`).
  static let blockListNames: Set<String> = ["layers", "blocks", "h", "layer"]

  /// The number of components of the outermost repeated block containing the tensor
  /// (`model.layers.3.mlp.up_proj.weight` → 3: `model.layers.3`), if any.
  static func blockDepth(_ path: [String]) -> Int? {
    guard path.count >= 3 else { return nil }
    for index in 1..<(path.count - 1)
    where blockListNames.contains(path[index - 1]) && path[index].allSatisfy(\.isASCII)
      && Int(path[index]).map({ $0 >= 0 }) == true
    {
      return index + 1
    }
    return nil
  }

  /// Whether a stored tensor is a matrix a weight-only quantizer would replace: a 2-D
  /// floating-point `weight` inside a repeated block, not a norm or an embedding.
  static func isQuantizableMatrix(_ path: [String], _ tensor: SafetensorsTensor) -> Bool {
    guard tensor.dtype.isFloatingPoint, tensor.shape.count == 2, path.last == "weight",
      blockDepth(path) != nil
    else { return false }
    return !path.dropLast().contains { $0.lowercased().contains("norm") || $0.lowercased().contains("embed") }
  }

  /// The planner's tensor for a stored one.
  static func makeTensor(_ name: String, _ tensor: SafetensorsTensor, quantizable: Bool) -> Tensor {
    Tensor(
      name: name, shape: tensor.shape, bits: tensor.dtype.bits, isFloatingPoint: tensor.dtype.isFloatingPoint,
      isQuantizable: quantizable, isBuffer: false, isPersistent: true)
  }

  /// What a layer outside the repeated blocks is, from its name: embeddings run first and heads
  /// last in a header-only chain.
  static func kind(ofUnit path: String) -> Layer.Kind {
    let last = (path.split(separator: ".").last.map(String.init) ?? path).lowercased()
    if last.contains("embed") || ["wte", "wpe", "tok_embeddings", "word_embeddings"].contains(last) {
      return .embedding
    }
    if last.contains("head") { return .head }
    if last.contains("norm") || last == "ln_f" || last.hasPrefix("ln_") { return .norm }
    return .projector
  }
}
