import Foundation

/// Step 1b: checkpoints that store each expert on its own, read as transformers 5 loads them.
extension CheckpointImporter {
  /// The per-expert projections transformers 5 fuses (`conversion_mapping.py`, 5.24: the
  /// `qwen2_moe` converters, which Qwen3-MoE and DeepSeek V2/V3 share, and `mixtral`'s): each
  /// fused tensor is its sources' per-expert matrices stacked, `gate_up_proj` the first two
  /// concatenated along their rows.
  static let expertProjections: [(fused: String, sources: [String])] = [
    ("gate_up_proj", ["gate_proj", "up_proj"]), ("down_proj", ["down_proj"]),
    ("gate_up_proj", ["w1", "w3"]), ("down_proj", ["w2"]),
  ]

  /// Rewrites the headers of experts stored one per module (`mlp.experts.7.gate_proj.weight`,
  /// Mixtral's `block_sparse_moe.experts.7.w1.weight`) into the fused tensors of the configured
  /// tree (`mlp.experts.gate_up_proj [experts, 2 × width, hidden]`, `mlp.experts.down_proj`), as
  /// transformers 5 does when it loads them: Mixtral's `block_sparse_moe` becomes `mlp`.
  ///
  /// A layer's experts are fused only where every tensor under them is one of those matrices,
  /// every expert `0..<experts` has each source exactly once, and the sources of one fused tensor
  /// share a dtype and a 2-D shape (the two halves of `gate_up_proj` their column count); any other
  /// layout (quantized forms, biases, a missing expert) stays per expert, as stored, with a note.
  /// A fused tensor's `dataOffsets` span its parts' and its `file` is its first part's.
  ///
  /// - Parameters:
  ///   - root: the configured tree; its fused `experts` modules (a `gate_up_proj` parameter, no
  ///     children) say where and how many experts.
  /// - Returns: the tensors and their paths, in the headers' order (a fused tensor where its first
  ///   part was), and notes for the estimates.
  /// - Complexity: O(*t* · *d*) for *t* tensors *d* components deep.
  static func fuseExperts(
    _ tensors: [SafetensorsTensor], paths: [[String]], root: Module
  ) -> (tensors: [SafetensorsTensor], paths: [[String]], notes: [String]) {
    // The fused modules of the configured tree and their expert counts.
    var expertCounts: [String: Int] = [:]
    var stack: [(Module, String)] = [(root, "")]
    while let (module, path) = stack.popLast() {
      if module.name == "experts", module.children.isEmpty,
        let fused = module.parameters.first(where: { $0.name == "gate_up_proj" }), fused.shape.count == 3
      {
        expertCounts[path] = Int(clamping: fused.shape[0])
      }
      for child in module.children {
        stack.append((child, path.isEmpty ? child.name : path + "." + child.name))
      }
    }
    guard !expertCounts.isEmpty else { return (tensors, paths, []) }

    struct Group {
      var prefix: String
      var count: Int
      var members: [Int] = []
      /// For each source name, the tensor index of each expert.
      var parts: [String: [Int?]] = [:]
      var problem: String? = nil
    }
    var groups: [Group] = []
    var groupOf: [String: Int] = [:]
    var tensors = tensors
    var paths = paths
    var owner = [Int?](repeating: nil, count: tensors.count)
    var last: (parts: [String], id: Int)? = nil
    let sourceNames = Set(expertProjections.flatMap { $0.sources })
    for index in tensors.indices {
      // Mixtral's `block_sparse_moe` is transformers 5's `mlp` (its `WeightRenaming`).
      if let j = paths[index].firstIndex(of: "block_sparse_moe") {
        var mlp = paths[index]
        mlp[j] = "mlp"
        if expertCounts[(mlp[...j] + ["experts"]).joined(separator: ".")] != nil {
          paths[index] = mlp
          tensors[index].name = mlp.joined(separator: ".")
        }
      }
      let path = paths[index]
      guard let k = path.firstIndex(of: "experts"), k > 0 else { continue }
      let id: Int
      // A layer's experts are stored one after another: the last group found is tried first.
      if let (parts, known) = last, parts.count == k + 1, parts.elementsEqual(path[...k]) {
        id = known
      } else {
        let prefix = path[...k].joined(separator: ".")
        guard let count = expertCounts[prefix] else { continue }
        if let known = groupOf[prefix] {
          id = known
        } else {
          id = groups.count
          groupOf[prefix] = id
          groups.append(Group(prefix: prefix, count: count))
        }
        last = (Array(path[...k]), id)
      }
      let count = groups[id].count
      groups[id].members.append(index)
      owner[index] = id
      guard groups[id].problem == nil else { continue }
      guard path.count == k + 4, path[k + 3] == "weight", sourceNames.contains(path[k + 2]),
        path[k + 1].utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
        let expert = Int(path[k + 1]), expert < count
      else {
        groups[id].problem = "\(tensors[index].name) is not one expert's weight matrix"
        continue
      }
      let source = path[k + 2]
      if groups[id].parts[source] == nil { groups[id].parts[source] = [Int?](repeating: nil, count: count) }
      if groups[id].parts[source]![expert] != nil {
        groups[id].problem = "\(tensors[index].name) is stored twice"
      } else {
        groups[id].parts[source]![expert] = index
      }
    }
    guard !groups.isEmpty else { return (tensors, paths, []) }

    var fusedAt: [Int: [(SafetensorsTensor, [String])]] = [:]
    var isFused = [Bool](repeating: false, count: groups.count)
    var unfused: [String] = []
    for (id, group) in groups.enumerated() {
      var problem = group.problem
      var made: [(SafetensorsTensor, [String])] = []
      if problem == nil {
        let projections = expertProjections.filter { $0.sources.contains { group.parts[$0] != nil } }
        let used = Set(projections.flatMap(\.sources))
        if Set(group.parts.keys) != used || projections.count != 2 || Set(projections.map(\.fused)).count != 2
        {
          problem = "the experts hold \(group.parts.keys.sorted().joined(separator: ", "))"
        }
        let components = group.prefix.split(separator: ".").map(String.init)
        for projection in projections where problem == nil {
          switch fusedTensor(
            projection, parts: group.parts, count: group.count, tensors: tensors, prefix: group.prefix)
          {
          case .success(let tensor): made.append((tensor, components + [projection.fused]))
          case .failure(let failure): problem = failure.reason
          }
        }
      }
      if let problem {
        unfused.append("\(group.prefix) (\(problem))")
        continue
      }
      isFused[id] = true
      fusedAt[group.members[0]] = made
    }

    var outTensors: [SafetensorsTensor] = []
    var outPaths: [[String]] = []
    outTensors.reserveCapacity(tensors.count)
    outPaths.reserveCapacity(tensors.count)
    for index in tensors.indices {
      if let made = fusedAt[index] {
        for (tensor, path) in made {
          outTensors.append(tensor)
          outPaths.append(path)
        }
      }
      if let id = owner[index], isFused[id] { continue }
      outTensors.append(tensors[index])
      outPaths.append(paths[index])
    }
    var notes: [String] = []
    let fusedCount = isFused.filter { $0 }.count
    if fusedCount > 0 {
      notes.append(
        "the checkpoint stores \(fusedCount) layers' experts one per expert; they are read fused, as "
          + "transformers 5 loads them (experts.gate_up_proj, experts.down_proj)")
    }
    if let first = unfused.first {
      notes.append(
        "\(unfused.count) layers' experts are stored in another form than one weight matrix per expert and "
          + "projection, and are kept per expert, as stored (first: \(ImportError.oneLine(first)))")
    }
    return (outTensors, outPaths, notes)
  }

  /// Why a layer's experts could not be fused.
  struct ExpertsProblem: Error {
    var reason: String
  }

  /// One fused tensor from its per-expert parts, or why not.
  static func fusedTensor(
    _ projection: (fused: String, sources: [String]), parts: [String: [Int?]], count: Int,
    tensors: [SafetensorsTensor], prefix: String
  ) -> Result<SafetensorsTensor, ExpertsProblem> {
    var rows: Int64 = 0
    var columns: Int64? = nil
    var dtype: SafetensorsDType? = nil
    var elements: Int64 = 0
    var lower = Int64.max
    var upper = Int64.min
    var file: String? = nil
    for source in projection.sources {
      guard let slots = parts[source] else {
        return .failure(ExpertsProblem(reason: "no expert holds \(source).weight"))
      }
      var shape: [Int64]? = nil
      for (expert, slot) in slots.enumerated() {
        guard let slot else {
          return .failure(ExpertsProblem(reason: "expert \(expert) has no \(source).weight"))
        }
        let tensor = tensors[slot]
        guard tensor.shape.count == 2, shape == nil || tensor.shape == shape,
          columns == nil || tensor.shape[1] == columns, dtype == nil || tensor.dtype == dtype
        else {
          return .failure(ExpertsProblem(reason: "\(tensor.name) differs in shape or dtype from expert 0's"))
        }
        shape = tensor.shape
        columns = tensor.shape[1]
        dtype = tensor.dtype
        file = file ?? tensor.file
        elements = elements.saturatingAdd(tensor.elementCount)
        lower = min(lower, tensor.dataOffsets.lowerBound)
        upper = max(upper, tensor.dataOffsets.upperBound)
      }
      rows = rows.saturatingAdd(shape![0])
    }
    return .success(
      SafetensorsTensor(
        name: prefix + "." + projection.fused, dtype: dtype!, shape: [Int64(count), rows, columns!],
        elementCount: elements, dataOffsets: lower..<upper, file: file!))
  }
}
