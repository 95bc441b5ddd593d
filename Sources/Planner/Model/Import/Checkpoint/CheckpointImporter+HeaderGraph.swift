import Foundation

/// Step 2b: an unknown family planned from its safetensors headers alone (repeated blocks
/// become layers).
extension CheckpointImporter {
  /// A unit of a header-only chain: a repeated block, or a module (or tensor) outside the blocks.
  struct Unit {
    var path: String
    /// The block list (`model.layers`) and index, for blocks.
    var list: String?
    var index: Int
    /// Header position of the unit's first tensor.
    var position: Int
    var tensors: [Int] = []
  }

  /// Builds the graph of a checkpoint whose family is unknown, from the tensor names.
  static func headerGraph(
    tensors: [SafetensorsTensor], paths: [[String]], config: ConfigObject?, name: String, fallback: String?,
    quantization: Quantization? = nil
  ) throws(ImportError) -> ModelGraph {
    let file = tensors.first?.file ?? name
    // Blocks first: their ancestors decide how the other tensors group.
    var unitOf = [String?](repeating: nil, count: tensors.count)
    var blockAncestors = Set<String>()
    var blockPaths = Set<String>()
    for (index, path) in paths.enumerated() {
      guard let depth = blockDepth(path) else { continue }
      // The name up to its depth-th dot: the components joined, without joining them.
      let name = tensors[index].name
      var dots = 0
      var end = name.endIndex
      for position in name.utf8.indices where name.utf8[position] == UInt8(ascii: ".") {
        dots += 1
        if dots == depth {
          end = position
          break
        }
      }
      let block = String(name[..<end])
      unitOf[index] = block
      if blockPaths.insert(block).inserted {
        // Each block is a layer: refuse at the first one past the bound, before any grouping.
        guard blockPaths.count <= maximumLayers else {
          throw ImportError(.tooLarge, file: file, "more than \(maximumLayers) layers (blocks)")
        }
        for count in 1..<depth { blockAncestors.insert(path[..<count].joined(separator: ".")) }
      }
    }
    // Other tensors group by their parent module, unless it holds blocks (then each tensor stands
    // alone); a group inside another group joins the outer one.
    var groups = Set<String>()
    for (index, path) in paths.enumerated() where unitOf[index] == nil {
      let parent = path.dropLast().joined(separator: ".")
      if parent.isEmpty || blockAncestors.contains(parent) {
        unitOf[index] = tensors[index].name
      } else {
        groups.insert(parent)
      }
    }
    for (index, path) in paths.enumerated() where unitOf[index] == nil {
      var prefix = ""
      for part in path.dropLast() {
        prefix = prefix.isEmpty ? part : prefix + "." + part
        if groups.contains(prefix) {
          unitOf[index] = prefix
          break
        }
      }
    }

    var units: [String: Unit] = [:]
    for (index, path) in paths.enumerated() {
      let unit = unitOf[index] ?? tensors[index].name
      if units[unit] == nil {
        var list: String? = nil
        var number = 0
        if blockPaths.contains(unit), let depth = blockDepth(path) {
          list = path[..<(depth - 1)].joined(separator: ".")
          number = Int(path[depth - 1]) ?? 0
        }
        units[unit] = Unit(path: unit, list: list, index: number, position: index)
      }
      units[unit]!.tensors.append(index)
    }
    guard units.count <= maximumLayers else {
      throw ImportError(.tooLarge, file: file, "more than \(maximumLayers) layers (\(units.count))")
    }
    // A list's blocks stay together, at the list's first position, in index order.
    var listPosition: [String: Int] = [:]
    for unit in units.values {
      if let list = unit.list { listPosition[list] = min(listPosition[list] ?? .max, unit.position) }
    }
    func rank(_ unit: Unit) -> Int {
      guard unit.list == nil else { return 1 }
      switch kind(ofUnit: unit.path) {
      case .embedding: return 0
      case .head: return 2
      default: return 1
      }
    }
    let ordered = units.values.sorted { a, b in
      let keyA = (rank(a), a.list.map { listPosition[$0]! } ?? a.position, a.index, a.path)
      let keyB = (rank(b), b.list.map { listPosition[$0]! } ?? b.position, b.index, b.path)
      return keyA < keyB
    }

    // The tree.
    let architecture = config?.value("architectures").flatMap { value -> String? in
      guard case .array(let names) = value, case .string(let first)? = names.first else { return nil }
      return first
    }
    let root = ModuleNode(name: "", className: architecture ?? "ImportedModel")
    for (tensor, path) in zip(tensors, paths) {
      var node = root
      for part in path.dropLast() { node = node.child(part) }
      _ = node.store(
        tensor, named: path[path.count - 1], quantizable: isQuantizableMatrix(path, tensor),
        role: quantization.flatMap { quantizedRole(path, tensor, $0) })
    }
    for path in blockPaths {
      var node = root
      let parts = path.split(separator: ".").map(String.init)
      for (index, part) in parts.enumerated() {
        node = node.child(part)
        if index == parts.count - 2 { node.className = "ModuleList" }
      }
      node.className = "ImportedBlock"
    }
    let module = root.module

    // Dimensions: config.json's where it states them, else the embedding's or the head's shape.
    func stated(_ keys: [String], _ range: ClosedRange<Int64>) throws(ImportError) -> Int64? {
      for key in keys { if let value = try config?.optionalInteger(key, in: range) { return value } }
      return nil
    }
    var notes: [String] = []
    if let fallback { notes.append(fallback) }
    notes.append(
      "the module tree, layers and sizes come from the safetensors headers; FLOPs are 2 per parameter per "
        + "token; the chain is in the headers' order (embeddings first, heads last)")
    // The widest embedding gives the hidden size, the head the vocabulary (each the other's fallback).
    let embedding = ordered.filter { $0.list == nil && kind(ofUnit: $0.path) == .embedding }.flatMap { unit in
      unit.tensors.map { tensors[$0] }.filter { $0.shape.count == 2 }
    }.max { $0.elementCount < $1.elementCount }
    let head = ordered.first { $0.list == nil && kind(ofUnit: $0.path) == .head }.flatMap { unit in
      unit.tensors.map { tensors[$0] }.first { $0.shape.count == 2 }
    }
    let widths = ConfigImporter.widths
    var hidden =
      try stated(["hidden_size", "n_embd", "d_model", "dim"], widths) ?? (embedding ?? head)?.shape[1] ?? 0
    var vocabulary =
      try stated(["vocab_size", "n_vocab", "padded_vocab_size"], ConfigImporter.vocabularies)
      ?? (head ?? embedding)?.shape[0] ?? 0
    if hidden == 0 {
      // The most common width of the blocks' matrices.
      var counts: [Int64: Int] = [:]
      for unit in ordered where unit.list != nil {
        for index in unit.tensors where tensors[index].shape.count == 2 {
          counts[tensors[index].shape[1], default: 0] += 1
        }
      }
      hidden = counts.max { ($0.value, -$0.key) < ($1.value, -$1.key) }?.key ?? 0
      notes.append("the hidden size \(hidden) is a guess from the blocks' matrices")
    }
    // Widths from shapes are bounded as configured ones are, so that hop sizes cannot overflow.
    if hidden > widths.upperBound || vocabulary > ConfigImporter.vocabularies.upperBound {
      notes.append(
        "the hidden size \(hidden) or vocabulary \(vocabulary) read from a shape is out of bounds: capped")
      hidden = min(hidden, widths.upperBound)
      vocabulary = min(vocabulary, ConfigImporter.vocabularies.upperBound)
    }
    let heads = try stated(["num_attention_heads", "n_head", "num_heads"], ConfigImporter.headCounts)
    let kvHeads =
      try stated(["num_key_value_heads", "multi_query_group_num", "n_head_kv"], ConfigImporter.headCounts)
      ?? heads
    let headDimension = try stated(["head_dim"], ConfigImporter.headDimensions) ?? heads.map { hidden / $0 }
    if heads == nil {
      notes.append("attention heads and KV cache per layer are estimated from the blocks' shapes")
    }

    var layers: [Layer] = []
    for unit in ordered {
      let elements = unit.tensors.reduce(Int64(0)) { $0.saturatingAdd(tensors[$1].elementCount) }
      guard unit.list != nil else {
        let unitKind = kind(ofUnit: unit.path)
        layers.append(
          Layer(
            module: unit.path, kind: unitKind, stream: .text,
            flopsPerToken: unitKind == .embedding ? 0 : .saturatingProduct(2, elements),
            transientElementsPerToken: unitKind == .embedding ? hidden : 0))
        continue
      }
      let blockTensors = unit.tensors.map { (paths[$0], tensors[$0]) }
      let attention = attentionWidths(blockTensors, hidden: hidden)
      var kv = attention.kv
      var queries = attention.query
      var headCount = queries / 128
      if let heads, let kvHeads, let headDimension {
        kv = Int64.saturatingProduct(kvHeads, headDimension)
        queries = Int64.saturatingProduct(heads, headDimension)
        headCount = heads
      }
      let widest = blockTensors.filter { $0.1.shape.count == 2 }.map { $0.1.shape.max() ?? 0 }.max() ?? 0
      layers.append(
        Layer(
          module: unit.path, kind: .decoder, stream: .text, flopsPerToken: .saturatingProduct(2, elements),
          kvElementsPerToken: .saturatingProduct(2, kv),
          transientElementsPerToken: .saturatingProduct(DecoderLLM.gatedMLPTransients, widest),
          attentionHeads: max(headCount, 1), attentionFLOPsPerContextToken: .saturatingProduct(4, queries)))
    }
    if Set(ordered.compactMap(\.list)).count > 1 {
      notes.append("several lists of blocks: all are planned as text decoder layers with a KV cache")
    }
    try checkCoverage(root: module, layers: layers, file: file)

    var dtype = dominantDType(tensors) ?? .bf16
    if let config {
      let (configured, quantizationNotes) = try ConfigImporter.storedDType(config)
      if configured.isQuantized {
        dtype = configured
        notes += quantizationNotes.filter { $0.hasPrefix("quantization_config") }
      }
    }
    let blockCount = ordered.filter { $0.list != nil }.count
    return ModelGraph(
      name: name, summary: "\(architecture ?? "unknown model"), \(blockCount) blocks (safetensors headers)",
      root: module, layers: layers, noSplitModuleClasses: blockCount > 0 ? ["ImportedBlock"] : [],
      nativeDType: dtype, hiddenSize: hidden, vocabularySize: vocabulary, estimates: notes)
  }

  /// Query and key/value widths of a block from its attention matrices: `k_proj`/`key`/`wk` rows,
  /// or a third of a fused `qkv` matrix (assuming as many KV heads as query heads); the hidden
  /// size where there is neither.
  static func attentionWidths(
    _ tensors: [([String], SafetensorsTensor)], hidden: Int64
  ) -> (query: Int64, kv: Int64) {
    var query: Int64? = nil
    var kv: Int64? = nil
    for (path, tensor) in tensors where path.last == "weight" && tensor.shape.count == 2 {
      let module = path.count >= 2 ? path[path.count - 2] : ""
      switch module {
      case "q_proj", "query", "wq": query = tensor.shape[0]
      case "k_proj", "key", "wk": kv = tensor.shape[0]
      case "qkv_proj", "query_key_value", "Wqkv", "qkv", "c_attn":
        let third = (tensor.shape.max() ?? 0) / 3
        query = query ?? third
        kv = kv ?? third
      default: continue
      }
    }
    return (query ?? kv ?? hidden, kv ?? query ?? hidden)
  }
}
