import Foundation

/// Step 2a: the module tree built from config.json, merged with the headers' tensors (sizes,
/// dtypes and names as stored), every tensor covered.
extension CheckpointImporter {
  /// Replaces the configured graph's tensors with the stored ones.
  static func merge(
    _ graph: ModelGraph, tensors: [SafetensorsTensor], paths: [[String]], quantization: Quantization? = nil
  ) throws(ImportError) -> ModelGraph {
    let (tensors, paths, expertNotes) = fuseExperts(tensors, paths: paths, root: graph.root)
    let root = ModuleNode(graph.root)
    var stored: [String: Tensor] = [:]
    var added: [String] = []
    for (tensor, path) in zip(tensors, paths) {
      var node = root
      node.holdsCheckpoint = true
      for part in path.dropLast() {
        node = node.child(part)
        node.holdsCheckpoint = true
      }
      let role = quantization.flatMap { quantizedRole(path, tensor, $0) }
      let isNew = node.store(
        tensor, named: path[path.count - 1], quantizable: isQuantizableMatrix(path, tensor), role: role)
      if isNew && role == nil { added.append(tensor.name) }
      stored[tensor.name] = makeTensor(path[path.count - 1], tensor, quantizable: false)
    }

    // Configured tensors the headers lack: tied copies follow their stored partner, quantized
    // forms replace the rest where the module holds stored tensors, and others stay as configured.
    var partner: [String: Tensor] = [:]
    for group in graph.tiedParameters {
      guard let first = group.lazy.compactMap({ stored[$0] }).first else { continue }
      for name in group where stored[name] == nil { partner[name] = first }
    }
    var replaced: [String] = []
    var missing: [String] = []
    root.prune(prefix: "") { fullName, tensor, node in
      if tensor.isBuffer || node.seen.contains(tensor.name) { return tensor }
      if let source = partner[fullName] {
        var tied = tensor
        (tied.shape, tied.bits, tied.isFloatingPoint) = (source.shape, source.bits, source.isFloatingPoint)
        return tied
      }
      // A module with stored tensors of its own, or an opaque placeholder whose inside the
      // headers give, stores this tensor in another form.
      if node.seen.count > 0 || (node.holdsCheckpoint && node.builtChildCount == 0) {
        replaced.append(fullName)
        return nil
      }
      missing.append(fullName)
      return tensor
    }
    let module = root.module

    var layers = graph.layers.map { layer in
      var fresh = layer
      fresh.parameterCount = 0
      fresh.tally = TensorTally()
      return fresh
    }
    let newLayers = try coverNewTensors(tensors: tensors, paths: paths, layers: &layers)
    // The tied groups whose every member is still in the tree (no walk where there are none).
    let existing = graph.tiedParameters.isEmpty ? [] : Set(module.namedTensors().map(\.name))
    let tied = graph.tiedParameters.filter { $0.allSatisfy(existing.contains) }
    try checkCoverage(root: module, layers: layers, file: tensors.first?.file ?? graph.name)

    var notes = graph.estimates
    notes.append(
      "tensor sizes and dtypes come from the safetensors headers; FLOPs and KV cache from config.json")
    notes += expertNotes
    if let quantization, !replaced.isEmpty {
      notes.append(
        "\(replaced.count) configured weights are stored as \(quantization) and are counted as the headers "
          + "give them: bytes as stored, parameters as the original model's (first: "
          + "\(ImportError.oneLine(replaced[0])))")
    } else if !replaced.isEmpty {
      notes.append(
        "\(replaced.count) configured tensors are stored in another form (quantized?) and are counted as the "
          + "headers give them (first: \(ImportError.oneLine(replaced[0])))")
    }
    if !missing.isEmpty {
      notes.append(
        "\(missing.count) configured tensors are not in the checkpoint and are counted at config.json's shapes, "
          + "as transformers would initialise them (first: \(ImportError.oneLine(missing[0])))")
    }
    if !added.isEmpty {
      notes.append(
        "\(added.count) stored tensors are not in config.json's model and are counted in their layers "
          + "(first: \(ImportError.oneLine(added[0])))")
    }
    if !newLayers.isEmpty {
      notes.append(
        "\(newLayers.count) modules outside config.json's model were added as layers, 2 FLOPs per "
          + "parameter per token (first: \(ImportError.oneLine(newLayers[0])))")
    }
    var dtype = graph.nativeDType
    if !dtype.isQuantized, let storedType = dominantDType(tensors), storedType != dtype {
      notes.append("the headers store \(storedType), not config.json's \(dtype)")
      dtype = storedType
    }
    var vocabulary = graph.vocabularySize
    if let head = layers.last(where: { $0.kind == .head }),
      let weight = module.namedTensors(at: head.module + ".weight")?.first?.tensor, weight.shape.count == 2
    {
      vocabulary = weight.shape[0]
    }
    return ModelGraph(
      name: graph.name, summary: graph.summary + " (safetensors headers)", root: module, layers: layers,
      noSplitModuleClasses: graph.noSplitModuleClasses, tiedParameters: tied, nativeDType: dtype,
      hiddenSize: graph.hiddenSize, vocabularySize: vocabulary, vision: graph.vision, estimates: notes)
  }

  /// Adds a layer for every stored tensor no layer covers: its shallowest module that holds no
  /// layer (or the tensor itself), placed after the layers it shares the longest prefix with.
  ///
  /// - Returns: the new layers' module paths.
  static func coverNewTensors(
    tensors: [SafetensorsTensor], paths: [[String]], layers: inout [Layer]
  ) throws(ImportError) -> [String] {
    var covered = Set(layers.map(\.module))
    var ancestors = Set<String>()
    for layer in layers {
      let parts = layer.module.split(separator: ".")
      for count in 1..<max(parts.count, 1) { ancestors.insert(parts[..<count].joined(separator: ".")) }
    }
    var units: [String] = []
    var elements: [String: Int64] = [:]
    for (tensor, path) in zip(tensors, paths) {
      var prefix = ""
      var owner: String? = nil
      var candidate: String? = nil
      for (index, part) in path.enumerated() {
        prefix = index == 0 ? part : prefix + "." + part
        if covered.contains(prefix) {
          owner = prefix
          break
        }
        if candidate == nil && (index == path.count - 1 || !ancestors.contains(prefix)) { candidate = prefix }
      }
      if let owner {
        if elements[owner] != nil { elements[owner] = elements[owner]!.saturatingAdd(tensor.elementCount) }
        continue
      }
      let unit = candidate ?? tensor.name
      covered.insert(unit)
      units.append(unit)
      elements[unit] = tensor.elementCount
    }
    guard layers.count + units.count <= maximumLayers else {
      throw ImportError(
        .tooLarge, file: tensors.first?.file ?? "", "more than \(maximumLayers) layers (\(units.count) new)")
    }
    // Each unit goes right after the last layer (in the chain as it grows) sharing the most leading
    // components with it, or at the end. In O(total name length): `last` maps every dotted prefix
    // to the last layer having it, and the chain is kept as a forest of "inserted right after"
    // links, read out at the end (a later insertion after the same layer comes first).
    func prefixes(_ module: String) -> [String] {
      var result: [String] = []
      for part in module.split(separator: ".") {
        result.append(result.isEmpty ? String(part) : result.last! + "." + part)
      }
      return result
    }
    var all = layers
    var followers = [[Int]](repeating: [], count: layers.count)
    var roots = Array(layers.indices)
    var last: [String: Int] = [:]
    for (id, layer) in layers.enumerated() { for prefix in prefixes(layer.module) { last[prefix] = id } }
    var tail = layers.count - 1
    for unit in units {
      let unitPrefixes = prefixes(unit)
      var shared = 0
      while shared < unitPrefixes.count && last[unitPrefixes[shared]] != nil { shared += 1 }
      let anchor = shared > 0 ? last[unitPrefixes[shared - 1]] : nil
      let id = all.count
      let unitKind = kind(ofUnit: unit)
      let stream = all.isEmpty ? .text : all[anchor ?? tail].stream
      let flops = unitKind == .embedding ? 0 : Int64.saturatingProduct(2, elements[unit] ?? 0)
      all.append(Layer(module: unit, kind: unitKind, stream: stream, flopsPerToken: flops))
      followers.append([])
      if let anchor {
        followers[anchor].append(id)
        for prefix in unitPrefixes[..<shared] where last[prefix] == anchor { last[prefix] = id }
        if anchor == tail { tail = id }
      } else {
        roots.append(id)
        tail = id
      }
      for prefix in unitPrefixes[shared...] { last[prefix] = id }
    }
    var order: [Int] = []
    order.reserveCapacity(all.count)
    var stack = Array(roots.reversed())
    while let id = stack.popLast() {
      order.append(id)
      stack.append(contentsOf: followers[id])
    }
    layers = order.map { all[$0] }
    return units
  }

  /// Checks that every layer names a module or tensor of the tree and that every tensor of the
  /// tree is in exactly one layer (what ``ModelGraph`` assumes).
  static func checkCoverage(root: Module, layers: [Layer], file: String) throws(ImportError) {
    var owner: [String: String] = [:]
    let index = ModuleIndex(root)
    for layer in layers {
      guard !layer.module.isEmpty, let tensors = index.namedTensors(at: layer.module) else {
        throw ImportError(
          .invalidField, file: file, subject: layer.module, "names no module or tensor of the model")
      }
      for tensor in tensors {
        if let other = owner.updateValue(layer.module, forKey: tensor.name) {
          throw ImportError(
            .invalidField, file: file, subject: tensor.name,
            "falls in two layers (\(ImportError.oneLine(other)) and \(ImportError.oneLine(layer.module))): "
              + "a tensor name is also a module name")
        }
      }
    }
    for tensor in root.namedTensors() where owner[tensor.name] == nil {
      throw ImportError(
        .invalidField, file: file, subject: tensor.name,
        "belongs to no layer: a tensor name is also a module name")
    }
  }

  /// The floating-point type holding most of the stored elements, if any.
  static func dominantDType(_ tensors: [SafetensorsTensor]) -> DType? {
    var elements: [DType: Int64] = [:]
    for tensor in tensors {
      guard let dtype = tensor.dtype.plannerDType else { continue }
      elements[dtype, default: 0] = elements[dtype, default: 0].saturatingAdd(tensor.elementCount)
    }
    // Ties go to the narrower type, then to the name, so that the answer never depends on order.
    return elements.max { a, b in
      (a.value, -a.key.bits, a.key.rawValue) < (b.value, -b.key.bits, b.key.rawValue)
    }?.key
  }
}
