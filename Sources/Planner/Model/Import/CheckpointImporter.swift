import Foundation

/// Plans a local Hugging Face model directory: `config.json` and the safetensors headers.
///
///     let graph = try CheckpointImporter.load(directory: "~/models/MiniCPM-V-2_6")
///     graph.layers.first?.module   // "vpm.embeddings"
///
/// - With `config.json` of a known family (``ConfigImporter/supportedModelTypes``) the graph is
///   built by the family's builder, then the headers replace every tensor's shape and dtype
///   (`bits` from the stored type): sizes are the checkpoint's exactly. A configured tensor the
///   headers lack is dropped where its module holds other stored tensors (a quantized form such
///   as `qweight`/`scales` replaced it) and kept otherwise (transformers would initialise it);
///   stored tensors the builder lacks join the tree, inside their layer or as new layers.
/// - With an unknown `model_type`, or no `config.json`, the tree comes from the tensor names:
///   each `*.layers.N.` / `*.blocks.N.` / `*.h.N.` / `*.layer.N.` prefix is one layer (no-split
///   class `ImportedBlock`), every other tensor belongs to its parent module (the shallowest such
///   module, or the tensor itself beside a list of blocks), in the headers' order with
///   embeddings first and heads last; FLOPs are 2 per parameter per token.
/// - With `config.json` alone, sizes are the configured ones.
public enum CheckpointImporter {
  /// Imports a model directory.
  ///
  /// - Parameter directory: the directory (`~` is expanded); its name becomes the graph's name.
  /// - Returns: the graph; its ``ModelGraph/estimates`` say what was not read from the files.
  /// - Throws: ``ImportError`` naming the file, the tensor or field and the reason.
  /// - Complexity: O(*h* + *t* log *t* + *m*) for headers of *h* bytes, *t* tensors and a module tree
  ///   of *m* nodes; only headers are read.
  public static func load(directory: String) throws(ImportError) -> ModelGraph {
    let path = NSString(string: directory).expandingTildeInPath
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw ImportError(.unreadable, file: path, "no such directory")
    }
    guard isDirectory.boolValue else {
      throw ImportError(.unreadable, file: path, "is not a directory (give the model's directory)")
    }
    let base = ImportPath(path)
    let configPath = base.appending("config.json")
    var config: ConfigObject? = nil
    if FileManager.default.fileExists(atPath: configPath) {
      config = try ConfigImporter.read(contentsOf: configPath)
    } else if case let reason = ImportPath.missingReason(configPath), reason != "no such file" {
      throw ImportError(.unreadable, file: configPath, reason)
    }
    let tensors = try SafetensorsCheckpoint.tensors(inDirectory: path)
    var model = try graph(config: config, tensors: tensors, name: base.lastPathComponent, directory: path)
    model.serving = try servingFacts(config: config, directory: directory)
    return model
  }

  /// What a serving runtime needs from `config.json`: the directory to serve, the text model's
  /// `max_position_embeddings` (at the top, or in `text_config`, `llm_config` or
  /// `thinker_config.text_config`), and whether `auto_map` asks for the checkpoint's own code.
  static func servingFacts(config: ConfigObject?, directory: String) throws(ImportError) -> ServingFacts {
    var facts = ServingFacts(repository: directory)
    guard let config else { return facts }
    facts.remoteCode = config.value("auto_map") != nil
    var candidates = [config]
    for key in ["text_config", "llm_config", "thinker_config"] {
      if let nested = try config.object(key) {
        candidates.append(nested)
        if let text = try nested.object("text_config") { candidates.append(text) }
      }
    }
    for candidate in candidates {
      if let positions = try candidate.optionalInteger("max_position_embeddings", in: 1...(1 << 32)) {
        facts.maxPositions = positions
        break
      }
    }
    return facts
  }

  /// The graph of a parsed `config.json` (if any) and a checkpoint's tensors.
  static func graph(
    config: ConfigObject?, tensors: [SafetensorsTensor], name: String, directory: String
  ) throws(ImportError) -> ModelGraph {
    guard config != nil || !tensors.isEmpty else {
      throw ImportError(
        .missingField, file: ImportPath(directory).appending("config.json"),
        "not found, and the directory has no safetensors file to plan from")
    }
    let paths = try modulePaths(of: tensors)
    var configured: ModelGraph? = nil
    var fallback: String? = nil
    if let config {
      do throws(ImportError) {
        configured = try ConfigImporter.graph(from: config, name: name)
      } catch {
        guard error.kind == .unsupported, !tensors.isEmpty else { throw error }
        fallback = error.description
      }
    }
    if var configured {
      guard !tensors.isEmpty else {
        configured.estimates.append("sizes come from config.json alone (no safetensors headers)")
        return configured
      }
      return try merge(configured, tensors: tensors, paths: paths)
    }
    return try headerGraph(tensors: tensors, paths: paths, config: config, name: name, fallback: fallback)
  }

  // MARK: - Names

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
    for tensor in tensors {
      let parts = tensor.name.split(separator: ".", omittingEmptySubsequences: false)
      guard parts.count <= maximumNameDepth else {
        throw ImportError(
          .tooLarge, file: tensor.file, subject: tensor.name, "is more than \(maximumNameDepth) modules deep")
      }
      guard !parts.contains(where: \.isEmpty) else {
        throw ImportError(
          .invalidField, file: tensor.file, subject: tensor.name,
          "is not a dotted module path (an empty component)")
      }
      total = total.saturatingAdd(tensor.elementCount)
      guard total <= maximumElements else {
        throw ImportError(
          .tooLarge, file: tensor.file, subject: tensor.name,
          "the checkpoint claims more than \(maximumElements) elements")
      }
      paths.append(parts.map(String.init))
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

  // MARK: - Config graph + headers

  /// Replaces the configured graph's tensors with the stored ones.
  static func merge(
    _ graph: ModelGraph, tensors: [SafetensorsTensor], paths: [[String]]
  ) throws(ImportError) -> ModelGraph {
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
      let isNew = node.store(
        tensor, named: path[path.count - 1], quantizable: isQuantizableMatrix(path, tensor))
      if isNew { added.append(tensor.name) }
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
    let existing = Set(module.namedTensors().map(\.name))
    let tied = graph.tiedParameters.filter { $0.allSatisfy(existing.contains) }
    try checkCoverage(root: module, layers: layers, file: tensors.first?.file ?? graph.name)

    var notes = graph.estimates
    notes.append(
      "tensor sizes and dtypes come from the safetensors headers; FLOPs and KV cache from config.json")
    if !replaced.isEmpty {
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

  // MARK: - Headers alone

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
    tensors: [SafetensorsTensor], paths: [[String]], config: ConfigObject?, name: String, fallback: String?
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
      _ = node.store(tensor, named: path[path.count - 1], quantizable: isQuantizableMatrix(path, tensor))
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

/// A mutable module tree with indexed children, for editing a ``Module`` tensor by tensor.
final class ModuleNode {
  let name: String
  var className: String
  var parameters: [Tensor]
  var buffers: [Tensor]
  var children: [ModuleNode] = []
  var childIndex: [String: Int] = [:]
  /// Where each direct tensor is: in `buffers` or `parameters`, at which index.
  var tensorIndex: [String: (isBuffer: Bool, index: Int)] = [:]
  /// Whether this module or a descendant holds a stored tensor.
  var holdsCheckpoint = false
  /// Children the builder gave the module (0 for a leaf or an opaque placeholder).
  var builtChildCount = 0
  /// Local names of this module's tensors that the headers gave.
  var seen = Set<String>()

  init(name: String, className: String, parameters: [Tensor] = [], buffers: [Tensor] = []) {
    self.name = name
    self.className = className
    self.parameters = parameters
    self.buffers = buffers
    for (index, tensor) in buffers.enumerated() { tensorIndex[tensor.name] = (true, index) }
    for (index, tensor) in parameters.enumerated() { tensorIndex[tensor.name] = (false, index) }
  }

  convenience init(_ module: Module) {
    self.init(
      name: module.name, className: module.className, parameters: module.parameters, buffers: module.buffers)
    for child in module.children { append(ModuleNode(child)) }
    builtChildCount = module.children.count
  }

  func append(_ child: ModuleNode) {
    if childIndex[child.name] == nil { childIndex[child.name] = children.count }
    children.append(child)
  }

  /// The child of that name, created (class `ImportedModule`) where absent.
  func child(_ name: String) -> ModuleNode {
    if let index = childIndex[name] { return children[index] }
    let node = ModuleNode(name: name, className: "ImportedModule")
    append(node)
    return node
  }

  /// Gives a direct tensor the stored shape and dtype, adding it as a parameter where the module
  /// has no tensor of that name.
  ///
  /// - Returns: whether the tensor is new to the module.
  func store(_ stored: SafetensorsTensor, named name: String, quantizable: Bool) -> Bool {
    seen.insert(name)
    func update(_ tensor: inout Tensor) {
      tensor.shape = stored.shape
      tensor.bits = stored.dtype.bits
      tensor.isFloatingPoint = stored.dtype.isFloatingPoint
      tensor.isQuantizable = tensor.isQuantizable && stored.dtype.isFloatingPoint
      tensor.isPersistent = true
    }
    switch tensorIndex[name] {
    case (false, let index)?: update(&parameters[index])
    case (true, let index)?: update(&buffers[index])
    case nil:
      tensorIndex[name] = (false, parameters.count)
      parameters.append(CheckpointImporter.makeTensor(name, stored, quantizable: quantizable))
      return true
    }
    return false
  }

  /// Keeps, edits or drops every parameter: `decide(fullName, tensor, module)` returns the tensor
  /// to keep, or `nil` to drop it. Buffers are offered too.
  func prune(prefix: String, _ decide: (String, Tensor, ModuleNode) -> Tensor?) {
    let dot = prefix.isEmpty ? "" : prefix + "."
    parameters = parameters.compactMap { decide(dot + $0.name, $0, self) }
    buffers = buffers.compactMap { decide(dot + $0.name, $0, self) }
    for child in children { child.prune(prefix: dot + child.name, decide) }
  }

  /// The value tree.
  var module: Module {
    Module(name, className, parameters: parameters, buffers: buffers, children: children.map(\.module))
  }
}
