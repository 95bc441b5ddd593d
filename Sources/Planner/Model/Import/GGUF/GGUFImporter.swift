import Foundation

/// Plans a GGUF model file (llama.cpp's format) from its header: the architecture and sizes from
/// the metadata, every tensor's exact bytes from its ggml type.
///
///     let graph = try GGUFImporter.load(path: "~/models/qwen2-7b-Q4_K_M.gguf")
///     graph.layers[1].module   // "blk.0"
///
/// - The chain is llama.cpp's: the input layer (`token_embd`, and any other `*embd*`/`rope*`
///   tensors), the blocks `blk.N` in index order (decoder layers), then the other tensors
///   (`output_norm`), and the output layer `output` last. Without `output.weight` the output
///   layer is `token_embd`'s (tied, counted once).
/// - A tensor's bytes are the file's (``Tensor/storedBytes``): whole blocks of its ggml type, so a
///   mixed file (Q4_K_M: Q4_K with Q6_K and F32) is sized per tensor, whatever dtype the plan
///   names. The weight bytes of the graph equal the file's tensor bytes.
/// - Heads, KV heads, key and value lengths, the embedding and feed-forward lengths and the context
///   come from `{arch}.*` metadata (per-layer arrays allowed); the vocabulary from the tokenizer's
///   token list. FLOPs are 2 per weight per token, experts (`*_exps`) counted at
///   `expert_used_count / expert_count`.
/// - Split files (`name-00001-of-00003.gguf`): every shard's header is read. An mmproj (the vision
///   tower and projector) joins as one vision layer, `mmproj`.
public enum GGUFImporter {
  /// Whether a path names a GGUF file (by its extension).
  public static func isGGUF(_ path: String) -> Bool { path.lowercased().hasSuffix(".gguf") }

  /// Imports a GGUF file, the other shards of a split file, and an mmproj.
  ///
  /// - Parameters:
  ///   - path: the `.gguf` file (`~` is expanded); for a split file, any shard.
  ///   - mmproj: the mmproj file; `nil` takes the only `mmproj*.gguf` beside the model, if there is
  ///     exactly one.
  /// - Throws: ``ImportError`` naming the file, the key or tensor and the reason.
  /// - Complexity: O(*h*) in the headers' bytes; the tensor data is never read.
  public static func load(path: String, mmproj: String? = nil) throws(ImportError) -> ModelGraph {
    let expanded = NSString(string: path).expandingTildeInPath
    let shards = try shardPaths(expanded)
    var headers: [GGUFHeader] = []
    for shard in shards { headers.append(try GGUFHeader.read(contentsOf: shard)) }
    var projector: GGUFHeader? = nil
    var notes: [String] = []
    if let mmproj {
      projector = try GGUFHeader.read(contentsOf: NSString(string: mmproj).expandingTildeInPath)
    } else {
      let found = siblingProjectors(of: expanded)
      if found.count == 1 {
        projector = try GGUFHeader.read(contentsOf: found[0])
      } else if found.count > 1 {
        notes.append(
          "\(found.count) mmproj files beside the model: none is planned (pass --mmproj FILE)")
      }
    }
    var graph = try graph(headers: headers, mmproj: projector, name: modelName(expanded))
    graph.estimates += notes
    graph.serving.repository = expanded
    graph.serving.ggufModel = shards.count > 1 ? shards[0] : path
    graph.serving.ggufMMProj = projector?.file
    return graph
  }

  /// The name of the model: the file's name without `.gguf` and a split suffix.
  static func modelName(_ path: String) -> String {
    var name = ImportPath(path).lastPathComponent
    if isGGUF(name) { name = String(name.dropLast(5)) }
    if let split = splitSuffix(name) { name = String(name.dropLast(split.suffixLength)) }
    return name
  }

  /// `-00001-of-00003` at the end of a name: the shard's number, the count and the suffix's length.
  static func splitSuffix(_ name: String) -> (number: Int, count: Int, suffixLength: Int)? {
    let parts = name.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count >= 4, parts[parts.count - 2] == "of" else { return nil }
    let numberText = parts[parts.count - 3]
    let countText = parts[parts.count - 1]
    guard numberText.count == 5, countText.count == 5, numberText.allSatisfy(\.isASCII),
      countText.allSatisfy(\.isASCII), let number = Int(numberText), let count = Int(countText),
      number >= 1, number <= count
    else { return nil }
    return (number, count, numberText.count + countText.count + 5)
  }

  /// Every shard of a split file, in order (the path alone for a single file).
  static func shardPaths(_ path: String) throws(ImportError) -> [String] {
    let file = ImportPath(path).lastPathComponent
    guard isGGUF(file), let split = splitSuffix(String(file.dropLast(5))) else { return [path] }
    let prefix = String(path.dropLast(5 + split.suffixLength))
    return (1...split.count).map { String(format: "%@-%05d-of-%05d.gguf", prefix, $0, split.count) }
  }

  /// `mmproj*.gguf` files in the model's directory.
  static func siblingProjectors(of path: String) -> [String] {
    let directory = (path as NSString).deletingLastPathComponent
    let names =
      (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
    return names.filter { $0.lowercased().hasPrefix("mmproj") && isGGUF($0) }.sorted().map {
      directory.isEmpty ? $0 : ImportPath(directory).appending($0)
    }
  }

  // MARK: - The graph

  /// The module of the mmproj's tensors.
  static let projectorModule = "mmproj"

  /// Metadata of the first header, read with bounds.
  struct Metadata {
    let header: GGUFHeader
    let architecture: String

    func value(_ suffix: String) -> GGUFValue? { header.value("\(architecture).\(suffix)") }

    /// A scalar or per-layer integer: one value per layer index, or one for all.
    func integers(_ suffix: String, _ range: ClosedRange<Int64>, allowZero: Bool = false) throws(ImportError)
      -> [Int64]?
    {
      let key = "\(architecture).\(suffix)"
      guard let value = header.value(key) else { return nil }
      let values: [GGUFValue]
      switch value {
      case .array(_, let count, let kept):
        guard count > 0, Int64(kept.count) == count else {
          throw ImportError(
            .invalidField, file: header.file, subject: key,
            "an array of \(count) values, not per-layer integers")
        }
        values = kept
      default: values = [value]
      }
      var result: [Int64] = []
      for element in values {
        guard let number = element.integer, range.contains(number) || (allowZero && number == 0) else {
          throw ImportError(
            .invalidField, file: header.file, subject: key,
            "must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        result.append(number)
      }
      return result
    }

    func integer(_ suffix: String, _ range: ClosedRange<Int64>) throws(ImportError) -> Int64? {
      guard let values = try integers(suffix, range) else { return nil }
      guard values.count == 1 else {
        throw ImportError(
          .invalidField, file: header.file, subject: "\(architecture).\(suffix)",
          "must be one integer, not an array")
      }
      return values[0]
    }
  }

  /// Where a top-level tensor group runs: 0 before the blocks, 2 after them, 3 last (the output).
  static func rank(ofGroup group: String) -> (rank: Int, kind: Layer.Kind) {
    if group == "output" { return (3, .head) }
    if group.contains("rope") { return (0, .rotary) }
    if group.contains("embd") || group.hasPrefix("token") { return (0, .embedding) }
    if group.contains("norm") { return (2, .norm) }
    return (2, .projector)
  }

  /// The block index of `blk.N.…`, `nil` for other names; throws for a malformed `blk.` name.
  static func blockIndex(_ parts: [Substring], _ tensor: GGUFTensorInfo) throws(ImportError) -> Int? {
    guard parts[0] == "blk" else { return nil }
    guard parts.count >= 3, parts[1].count <= 6, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
      let index = Int(parts[1]), index < CheckpointImporter.maximumLayers, String(index) == parts[1]
    else {
      // `blk.01` would be a second module beside `blk.1`, outside every layer.
      throw ImportError(
        .invalidField, file: tensor.file, subject: tensor.name,
        "is not a tensor of a numbered block (blk.N.name, N below \(CheckpointImporter.maximumLayers), "
          + "no leading zeros)")
    }
    return index
  }

  /// The planner's tensor for a stored one: its bytes as stored, its shape PyTorch's way round.
  static func makeTensor(_ name: String, _ info: GGUFTensorInfo) -> Tensor {
    Tensor(
      name: name, shape: info.dimensions.reversed(),
      bits: Int(min(info.type.blockBytes * 8 / info.type.blockElements, 64)),
      isFloatingPoint: info.type.isFloatingPoint, isQuantizable: false, isBuffer: false, isPersistent: true,
      storedBytes: info.byteCount)
  }

  /// The planner's dtype for a ggml type.
  static func plannerDType(_ type: GGMLType) -> DType? {
    switch type.name {
    case "F32", "F64": .fp32
    case "F16": .fp16
    case "BF16": .bf16
    case "I8", "I16", "I32", "I64": nil
    case "Q8_0", "Q8_1", "Q8_K": .int8
    default: .int4
    }
  }

  /// Builds the graph of a model's headers (one per shard, in order) and an optional mmproj.
  static func graph(headers: [GGUFHeader], mmproj: GGUFHeader?, name: String) throws(ImportError)
    -> ModelGraph
  {
    guard let first = headers.first else {
      throw ImportError(.missingField, file: name, "no GGUF file to plan from")
    }
    try checkSplit(headers)
    guard case .string(let architecture)? = first.value("general.architecture"), !architecture.isEmpty else {
      throw ImportError(
        .missingField, file: first.file, subject: "general.architecture", "missing, or not a string")
    }
    let meta = Metadata(header: first, architecture: architecture)
    let arch = ImportError.oneLine(architecture)
    guard let hidden = try meta.integer("embedding_length", ConfigImporter.widths) else {
      throw ImportError(.missingField, file: first.file, subject: "\(arch).embedding_length", "missing")
    }

    // Tensors: every name a module path, no tensor also a module, total elements bounded.
    let tensors = headers.flatMap(\.tensors)
    var names = Set<String>()
    var total: Int64 = 0
    for tensor in tensors {
      guard names.insert(tensor.name).inserted else {
        throw ImportError(.invalidField, file: tensor.file, subject: tensor.name, "is in two shards")
      }
      total = total.saturatingAdd(tensor.elementCount)
      guard total <= CheckpointImporter.maximumElements else {
        throw ImportError(
          .tooLarge, file: tensor.file, subject: tensor.name,
          "the model claims more than \(CheckpointImporter.maximumElements) elements")
      }
    }
    let paths = try modulePaths(tensors, names: names)
    for (tensor, parts) in zip(tensors, paths) {
      if parts[0] == Substring(projectorModule) && mmproj != nil {
        throw ImportError(
          .invalidField, file: tensor.file, subject: tensor.name, "is named like the mmproj's tensors")
      }
    }

    // The tree and the units of the chain.
    let root = ModuleNode(name: "", className: "GGUFModel")
    let blockList = ModuleNode(name: "blk", className: "ModuleList")
    var blocks: [Int: [Int]] = [:]
    var groups: [String: [Int]] = [:]
    var groupOrder: [String] = []
    for (index, (tensor, parts)) in zip(tensors, paths).enumerated() {
      if let block = try blockIndex(parts, tensor) {
        if blocks[block] == nil {
          blocks[block] = []
        }
        blocks[block]!.append(index)
      } else {
        let group = String(parts[0])
        if groups[group] == nil {
          groups[group] = []
          groupOrder.append(group)
        }
        groups[group]!.append(index)
      }
    }
    let blockIndices = blocks.keys.sorted()
    if !blockIndices.isEmpty {
      root.append(blockList)
      for block in blockIndices { blockList.append(ModuleNode(name: "\(block)", className: "GGUFBlock")) }
    }
    for (tensor, parts) in zip(tensors, paths) {
      var node = root
      for part in parts.dropLast() { node = node.child(String(part)) }
      node.parameters.append(makeTensor(String(parts[parts.count - 1]), tensor))
    }

    // Sizes from the metadata.
    let headsPerLayer = try meta.integers("attention.head_count", ConfigImporter.headCounts, allowZero: true)
    let kvPerLayer = try meta.integers("attention.head_count_kv", ConfigImporter.headCounts, allowZero: true)
    let ffnPerLayer = try meta.integers("feed_forward_length", ConfigImporter.widths, allowZero: true)
    let keyLength = try meta.integer("attention.key_length", ConfigImporter.headDimensions)
    let valueLength = try meta.integer("attention.value_length", ConfigImporter.headDimensions)
    let expertCount = try meta.integer("expert_count", 0...ConfigImporter.expertCounts.upperBound)
    let expertsUsed = try meta.integer("expert_used_count", 0...ConfigImporter.expertCounts.upperBound)
    let expertWidth = try meta.integer("expert_feed_forward_length", ConfigImporter.widths)
    let context = try meta.integer("context_length", 1...(1 << 32))
    let blockCount = try meta.integer("block_count", 0...Int64(CheckpointImporter.maximumLayers))
    func perLayer(_ values: [Int64]?, _ layer: Int) -> Int64? {
      guard let values else { return nil }
      return values.count == 1 ? values[0] : (layer < values.count ? values[layer] : nil)
    }
    var vocabulary: Int64 = 0
    if case .array(.string, let count, _)? = first.value("tokenizer.ggml.tokens") {
      vocabulary = count
    } else if let stated = try meta.integer("vocab_size", ConfigImporter.vocabularies) {
      vocabulary = stated
    } else if let embedding = tensors.first(where: { $0.name == "token_embd.weight" }),
      embedding.dimensions.count == 2
    {
      vocabulary = embedding.dimensions[1]
    }
    vocabulary = min(vocabulary, ConfigImporter.vocabularies.upperBound)

    var notes = [
      "tensor sizes and types come from the GGUF header exactly (\(headers.count) file\(headers.count == 1 ? "" : "s")); "
        + "FLOPs are 2 per weight per token; the KV cache from \(arch).attention metadata",
      "weights take the file's bytes whatever the dtype: the dtype is the compute and KV cache type",
    ]
    if let blockCount, Int(blockCount) != blockIndices.count {
      notes.append(
        "\(arch).block_count is \(blockCount) but the file holds \(blockIndices.count) blocks: the blocks are planned"
      )
    }
    let expertFraction: Double =
      if let expertCount, let expertsUsed, expertCount > 0, expertsUsed <= expertCount {
        Double(expertsUsed) / Double(expertCount)
      } else { 1 }

    // The chain.
    var layers: [Layer] = []
    func groupLayer(_ group: String) -> Layer {
      let kind = rank(ofGroup: group).kind
      let elements = groups[group]!.reduce(Int64(0)) { $0.saturatingAdd(tensors[$1].elementCount) }
      return Layer(
        module: group, kind: kind, stream: .text,
        flopsPerToken: kind == .embedding || kind == .rotary ? 0 : .saturatingProduct(2, elements),
        transientElementsPerToken: kind == .embedding ? hidden : 0)
    }
    let ordered = groupOrder.enumerated().sorted { a, b in
      (rank(ofGroup: a.element).rank, a.offset) < (rank(ofGroup: b.element).rank, b.offset)
    }.map(\.element)
    for group in ordered where rank(ofGroup: group).rank == 0 { layers.append(groupLayer(group)) }
    var headsFound: Int64 = 0
    for block in blockIndices {
      var dense: Int64 = 0
      var experts: Int64 = 0
      for index in blocks[block]! {
        if tensors[index].name.contains("_exps") {
          experts = experts.saturatingAdd(tensors[index].elementCount)
        } else {
          dense = dense.saturatingAdd(tensors[index].elementCount)
        }
      }
      let active = dense.saturatingAdd(Int64(saturating: Double(experts) * expertFraction))
      let heads = perLayer(headsPerLayer, block) ?? 0
      let kvHeads = perLayer(kvPerLayer, block) ?? heads
      let keyWidth = keyLength ?? (heads > 0 ? hidden / heads : 0)
      let valueWidth = valueLength ?? keyWidth
      // A block with routed experts (`ffn_*_exps`): its MLP step is one expert's, per expert used.
      let routed = experts > 0 && (expertCount ?? 0) > 0 && (expertsUsed ?? 0) > 0
      let ffn =
        routed ? (expertWidth ?? perLayer(ffnPerLayer, block) ?? 0) : perLayer(ffnPerLayer, block) ?? 0
      headsFound = max(headsFound, heads)
      var decoder = Layer(
        module: "blk.\(block)", kind: .decoder, stream: .text, flopsPerToken: .saturatingProduct(2, active),
        kvElementsPerToken: .saturatingProduct(kvHeads, keyWidth.saturatingAdd(valueWidth)),
        transientElementsPerToken: .saturatingProduct(DecoderLLM.gatedMLPTransients, ffn),
        attentionHeads: heads, attentionFLOPsPerContextToken: .saturatingProduct(4, heads, keyWidth))
      if routed, let expertCount, let expertsUsed {
        decoder.routedExperts = Layer.RoutedExperts(count: Int(expertCount), active: Int(expertsUsed))
      }
      layers.append(decoder)
    }
    if headsFound == 0 && !blockIndices.isEmpty {
      notes.append("\(arch).attention.head_count is missing: no KV cache is planned")
    }
    for group in ordered where rank(ofGroup: group).rank == 2 { layers.append(groupLayer(group)) }
    var tied: [[String]] = []
    if groups["output"] != nil {
      layers.append(groupLayer("output"))
    } else if groups["token_embd"] != nil, names.contains("token_embd.weight") {
      // llama.cpp uses the input embeddings as the output layer (a second copy on its GPU).
      let embedding = tensors.first { $0.name == "token_embd.weight" }!
      root.child("output").parameters.append(makeTensor("weight", embedding))
      tied = [["token_embd.weight", "output.weight"]]
      layers.append(
        Layer(
          module: "output", kind: .head, stream: .text,
          flopsPerToken: .saturatingProduct(2, embedding.elementCount),
          pinnedTo: "token_embd"))
      notes.append(
        "no output.weight: the output layer is token_embd (tied, counted once; llama.cpp puts a copy of it on the "
          + "output layer's GPU)")
    }

    if let mmproj {
      let node = root.child(projectorModule)
      node.className = "GGUFProjector"
      var elements: Int64 = 0
      let projectorPaths = try modulePaths(mmproj.tensors, names: Set(mmproj.tensors.map(\.name)))
      for (tensor, parts) in zip(mmproj.tensors, projectorPaths) {
        var child = node
        for part in parts.dropLast() { child = child.child(String(part)) }
        child.parameters.append(makeTensor(String(parts[parts.count - 1]), tensor))
        elements = elements.saturatingAdd(tensor.elementCount)
      }
      layers.insert(
        Layer(
          module: projectorModule, kind: .projector, stream: .vision,
          flopsPerToken: .saturatingProduct(2, elements)),
        at: 0)
      notes.append(
        "the mmproj (\(ImportError.oneLine(ImportPath(mmproj.file).lastPathComponent))) is one vision layer of its "
          + "file's exact bytes; image encoding time is not estimated")
    }
    guard layers.count <= CheckpointImporter.maximumLayers else {
      throw ImportError(.tooLarge, file: first.file, "more than \(CheckpointImporter.maximumLayers) layers")
    }

    // The dtype: the planner's type of the most bytes of block weights.
    var bytesByType: [String: Int64] = [:]
    for index in blocks.values.joined() {
      bytesByType[tensors[index].type.name, default: 0] = bytesByType[tensors[index].type.name, default: 0]
        .saturatingAdd(tensors[index].byteCount)
    }
    let mix = bytesByType.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
    let dominant = mix.lazy.compactMap { GGMLType.named($0.key).flatMap(plannerDType) }.first ?? .fp16
    let typeList = mix.prefix(4).map(\.key).joined(separator: ", ")
    var graph = ModelGraph(
      name: name,
      summary: "\(arch), \(blockIndices.count) blocks\(typeList.isEmpty ? "" : ", \(typeList)") (GGUF)"
        + (mmproj == nil ? "" : " + mmproj"),
      root: root.module, layers: layers, noSplitModuleClasses: blockIndices.isEmpty ? [] : ["GGUFBlock"],
      tiedParameters: tied, nativeDType: dominant, hiddenSize: hidden, vocabularySize: vocabulary,
      estimates: notes)
    graph.serving = ServingFacts(maxPositions: context)
    return graph
  }

  /// Deepest tensor name accepted (components); GGUF names are a handful deep
  /// (`v.blk.0.attn_q.weight`).
  static let maximumNameDepth = 16

  /// The dotted components of every tensor name (`names` holds them all), checked to be a module
  /// path: no empty component, at most ``maximumNameDepth`` deep, and no tensor inside another
  /// tensor's name (`a.b` beside `a.b.c`), which would leave a tensor outside every layer.
  ///
  /// - Complexity: O(*t* × *d* × *l*) for *t* names of *d* components and *l* bytes, all bounded.
  static func modulePaths(_ tensors: [GGUFTensorInfo], names: Set<String>) throws(ImportError)
    -> [[Substring]]
  {
    var paths: [[Substring]] = []
    paths.reserveCapacity(tensors.count)
    for tensor in tensors {
      let parts = tensor.name.split(separator: ".", omittingEmptySubsequences: false)
      guard parts.count <= maximumNameDepth else {
        throw ImportError(
          .tooLarge, file: tensor.file, subject: tensor.name, "is more than \(maximumNameDepth) modules deep")
      }
      guard !parts.contains(where: \.isEmpty) else {
        throw ImportError(
          .invalidField, file: tensor.file, subject: tensor.name, "is not a dotted name (an empty component)")
      }
      var prefix = ""
      for part in parts.dropLast() {
        prefix = prefix.isEmpty ? String(part) : prefix + "." + part
        if names.contains(prefix) {
          throw ImportError(
            .invalidField, file: tensor.file, subject: tensor.name,
            "lies inside another tensor's name (\(ImportError.oneLine(prefix)))")
        }
      }
      paths.append(parts)
    }
    return paths
  }

  /// Checks the shards' `split.no` and `split.count` where they state them.
  static func checkSplit(_ headers: [GGUFHeader]) throws(ImportError) {
    guard headers.count > 1 else { return }
    for (index, header) in headers.enumerated() {
      if let count = header.value("split.count")?.integer, count != Int64(headers.count) {
        throw ImportError(
          .invalidField, file: header.file, subject: "split.count",
          "is \(count), but the names say \(headers.count)")
      }
      if let number = header.value("split.no")?.integer, number != Int64(index) {
        throw ImportError(
          .invalidField, file: header.file, subject: "split.no", "is \(number), but the name says \(index)")
      }
    }
    if let stated = headers[0].value("split.tensors.count")?.integer {
      let found = headers.reduce(0) { $0 + $1.tensors.count }
      guard stated == Int64(found) else {
        throw ImportError(
          .invalidField, file: headers[0].file, subject: "split.tensors.count",
          "is \(stated), but the shards hold \(found) tensors")
      }
    }
  }
}
