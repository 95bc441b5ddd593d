/// A faithful port of accelerate's `device_map="auto"` machinery (accelerate 1.15.0,
/// `src/accelerate/utils/modeling.py`): `compute_module_sizes`, `get_max_layer_size`,
/// `get_balanced_memory`, `infer_auto_device_map` and `clean_device_map`.
///
/// Parity is the point: given the same module tree, sizes and `max_memory`, these functions
/// return the map accelerate returns, quirks included (the largest layer reserved on the first
/// GPU and on the cpu, the last GPU keeping its whole budget, tied modules placed together, no
/// backtracking). `Scripts/accelerate_reference.py` records accelerate's own answers and the tests
/// hold these functions to them. Docs/Strategies.md explains the algorithm.
enum Accelerate {
  /// Bytes per full name: every tensor's size added to each of its prefixes (`""`, `model`,
  /// `model.layers`, ..., the tensor's own name), like `compute_module_sizes`.
  typealias ModuleSizes = [String: Int64]

  /// A queue entry: a module, or a tensor standing on its own (a direct parameter or buffer).
  enum Item {
    case module(Module)
    case tensor(Tensor)

    var children: [Module] { if case .module(let m) = self { m.children } else { [] } }
    var className: String { if case .module(let m) = self { m.className } else { "Parameter" } }
    var isModule: Bool { if case .module = self { true } else { false } }
  }

  typealias Named = (name: String, item: Item)

  /// `compute_module_sizes(model, dtype)`: a tensor counts once (tied copies after the first are
  /// skipped, as `named_parameters()` skips them) at `bytes(tensor)`.
  ///
  /// - Complexity: O(*t* + *m*) for *t* tensors and *m* modules.
  static func moduleSizes(of root: Module, tied: [[String]], bytes: (Tensor) -> Int64) -> ModuleSizes {
    moduleSizesInOrder(of: root, tied: tied, bytes: bytes).sizes
  }

  /// The names in the order `compute_module_sizes` first touches them (its dict's insertion order).
  static func sizeKeysInOrder(of root: Module, tied: [[String]]) -> [String] {
    moduleSizesInOrder(of: root, tied: tied) { _ in 0 }.order
  }

  /// ``moduleSizes(of:tied:bytes:)`` and ``sizeKeysInOrder(of:tied:)`` in one walk of the tree:
  /// each module's size summed from its subtree on the way back up, instead of every tensor's size
  /// added to each prefix of its dotted name. Where a name is empty or holds a dot (so that
  /// splitting full names would not give the tree's paths), by splitting names, as accelerate does.
  ///
  /// - Complexity: O(*t* + *m*) for *t* tensors and *m* modules.
  static func moduleSizesInOrder(of root: Module, tied: [[String]], bytes: (Tensor) -> Int64) -> (
    sizes: ModuleSizes, order: [String]
  ) {
    let skipped = ModelGraph.duplicateTiedNames(root: root, tied: tied)
    var sizes: ModuleSizes = [:]
    var order = [""]
    var seen: Set<String> = [""]
    var isPlain = true
    // The modules on the path walked whose names are not in `order` yet (a module's name is first
    // touched with the first counted tensor under it, after its ancestors').
    var untouched: [String] = []
    func walk(_ module: Module, _ path: String, buffers: Bool) -> (size: Int64, count: Int) {
      let mark = untouched.count
      if !path.isEmpty { untouched.append(path) }
      let dot = path.isEmpty ? "" : path + "."
      var total: Int64 = 0
      var count = 0
      for tensor in buffers ? module.buffers : module.parameters {
        if tensor.name.isEmpty || tensor.name.contains(".") { isPlain = false }
        let name = dot + tensor.name
        if skipped.contains(name) { continue }
        for ancestor in untouched where seen.insert(ancestor).inserted { order.append(ancestor) }
        untouched.removeAll(keepingCapacity: true)
        if seen.insert(name).inserted { order.append(name) }
        let size = bytes(tensor)
        sizes[name, default: 0] += size
        total += size
        count += 1
      }
      for child in module.children {
        if child.name.isEmpty || child.name.contains(".") { isPlain = false }
        let (size, tensors) = walk(child, dot + child.name, buffers: buffers)
        total += size
        count += tensors
      }
      if untouched.count > mark { untouched.removeLast() }
      if count > 0 && !path.isEmpty { sizes[path, default: 0] += total }
      return (total, count)
    }
    let parameters = walk(root, "", buffers: false)
    let buffers = walk(root, "", buffers: true)
    if parameters.count > 0 { sizes["", default: 0] += parameters.size }
    if buffers.count > 0 { sizes["", default: 0] += buffers.size }
    guard isPlain else { return moduleSizesBySplitting(of: root, skipped: skipped, bytes: bytes) }
    return (sizes, order)
  }

  /// `compute_module_sizes` as accelerate computes it: every tensor's size added to each prefix of
  /// its full name split at the dots.
  ///
  /// - Complexity: O(*t* · *d*) for *t* tensors of depth *d*.
  static func moduleSizesBySplitting(of root: Module, skipped: Set<String>, bytes: (Tensor) -> Int64) -> (
    sizes: ModuleSizes, order: [String]
  ) {
    var sizes: ModuleSizes = [:]
    var seen: Set<String> = [""]
    var order = [""]
    for (name, tensor) in root.namedTensors() where !skipped.contains(name) {
      let size = bytes(tensor)
      sizes["", default: 0] += size
      var prefix = ""
      for part in name.split(separator: ".") {
        prefix += prefix.isEmpty ? String(part) : "." + part
        sizes[prefix, default: 0] += size
        if seen.insert(prefix).inserted { order.append(prefix) }
      }
    }
    return (sizes, order)
  }

  /// accelerate's size of one tensor converted to a float `dtype`: integer tensors keep their
  /// width, float tensors take `min(dtype, own width)` (a target dtype never up-casts), a tensor
  /// with ``Tensor/storedBytes`` those bytes.
  static func acceleratorBytes(_ tensor: Tensor, dtype: DType) -> Int64 {
    if let stored = tensor.storedBytes { return stored }
    guard tensor.isFloatingPoint else { return tensor.elementCount * Int64(tensor.bits) / 8 }
    return tensor.elementCount * Int64(min(dtype.bits, tensor.bits)) / 8
  }

  /// `get_max_layer_size`: the largest "layer" (a module with no children, a no-split module, or
  /// a bare tensor) reachable from `modules`, and every name that reaches that size.
  ///
  /// - Complexity: O(*m*) in the modules visited.
  static func maxLayerSize(_ modules: [Named], sizes: ModuleSizes, noSplit: Set<String>) -> (Int64, [String])
  {
    var maxSize: Int64 = 0
    var names: [String] = []
    var queue = modules[...]
    var stack: [Named] = []
    // Depth-first, children in order: a stack of pending items, the original list behind it.
    while let (name, item) = stack.popLast() ?? queue.popFirst() {
      let children = item.children
      if children.isEmpty || noSplit.contains(item.className) {
        let size = sizes[name] ?? 0
        if size > maxSize {
          maxSize = size
          names = [name]
        } else if size == maxSize {
          names.append(name)
        }
      } else {
        stack += children.reversed().map { (name + "." + $0.name, Item.module($0)) }
      }
    }
    return (maxSize, names)
  }

  /// `named_parameters(recurse=False) + named_children()` of a module being split (accelerate drops
  /// the module's direct buffers here).
  static func splitItems(of module: Module, named name: String) -> [Named] {
    module.parameters.map { (name + "." + $0.name, Item.tensor($0)) }
      + module.children.map { (name + "." + $0.name, Item.module($0)) }
  }

  /// `get_balanced_memory`: caps every GPU but the last at `total / n + buffer`, where `buffer` is
  /// 1.25 × the larger of the first no-split block and the mean "final module".
  ///
  /// - Parameters:
  ///   - userSet: whether the user gave `max_memory` (if not, a lone GPU keeps 10% back).
  ///   - lowZero: `balanced_low_0`: spread over GPUs 1..n-1 and give GPU 0 only the remainder.
  static func balancedMemory(
    root: Module, tied: [[String]], sizes: ModuleSizes, maxMemory: MaxMemory, noSplit: [String],
    userSet: Bool, lowZero: Bool, order: [String]? = nil
  ) -> MaxMemory {
    var memory = maxMemory
    let gpus = memory.entries.filter { $0.device.isGPU && $0.bytes.value > 0 }.map(\.device)
    var lowZero = lowZero
    if gpus.isEmpty { return memory }
    if gpus.count == 1 {
      lowZero = false
      // accelerate L999: "90% is a good compromise" (PR #1798), only when the user set nothing.
      if !userSet, let first = memory.entries.first(where: { $0.device.isGPU }) {
        memory[first.device] = ByteCount(Int64(Double(first.bytes.value) * 0.9))
      }
    }
    let total = sizes[""] ?? 0
    var perGPU = total / Int64(lowZero ? gpus.count - 1 : gpus.count)

    // The first module (in size-dict order) of each no-split class; the largest of those.
    var firstOfClass: [String: Int64] = [:]
    let classes = Set(noSplit)
    let allNames = order ?? sizeKeysInOrder(of: root, tied: tied)
    if !classes.isEmpty {
      for name in allNames where !name.isEmpty {
        let className = root.descendant(at: name)?.className ?? "Parameter"
        if classes.contains(className), firstOfClass[className] == nil {
          firstOfClass[className] = sizes[name]
        }
        if Set(firstOfClass.keys) == classes { break }
      }
    }
    let noSplitBuffer = firstOfClass.values.max() ?? 0

    // Leaves twice: the first pass removes the tensors, the second finds the final modules. Each
    // name's parent (up to its last dot) is found once for both passes.
    let parents = allNames.map { name in name.lastIndex(of: ".").map { String(name[..<$0]) } }
    func leaves(_ keep: [Bool]) -> [Bool] {
      var childCount: [String: Int] = [:]
      for (index, parent) in parents.enumerated() where keep[index] {
        if let parent { childCount[parent, default: 0] += 1 }
      }
      return allNames.indices.map {
        keep[$0] && !allNames[$0].isEmpty && childCount[allNames[$0], default: 0] == 0
      }
    }
    let tensorLeaves = Set(zip(allNames, leaves(allNames.map { _ in true })).filter(\.1).map(\.0))
    let finals = zip(allNames, leaves(allNames.map { !tensorLeaves.contains($0) })).filter(\.1).map(\.0)
    let finalSum = finals.reduce(Int64(0)) { $0 + (sizes[$1] ?? 0) }
    let meanLeaves = Int64(Double(finalSum) / Double(max(finals.count, 1)))
    let buffer = Int64(1.25 * Double(max(noSplitBuffer, meanLeaves)))
    perGPU += buffer

    // "The last device is left with max_memory just in case the buffer is not enough."
    for device in gpus.dropLast() {
      let cap = lowZero && device == .gpu(0) ? memory[.gpu(0)]!.value : perGPU
      memory[device] = ByteCount(min(cap, memory[device]!.value))
    }
    if lowZero {
      // accelerate sums keys 1..<num_devices, assuming contiguous indices (issue #4297).
      let others = (1..<gpus.count).reduce(Int64(0)) { $0 + (memory[.gpu($1)]?.value ?? 0) }
      let minZero = max(0, total - others)
      if let zero = memory[.gpu(0)] { memory[.gpu(0)] = ByteCount(min(minZero, zero.value)) }
    }
    return memory
  }

  /// `infer_auto_device_map` with `clean_result=True` and no fallback allocation.
  ///
  /// Walks the top-level modules in registration order and fills devices in order (GPUs by index,
  /// cpu, disk), never going back. A module that does not fit is split into its direct parameters
  /// and children unless it is a leaf or a no-split class; otherwise the next device is opened.
  /// The first GPU and the cpu keep room for the largest remaining layer.
  ///
  /// - Complexity: O(*m*²) in the worst case for *m* modules (the largest-layer rescans).
  static func inferAutoDeviceMap(
    root: Module, tied: [[String]], sizes: ModuleSizes, maxMemory: MaxMemory, noSplit: [String]
  ) -> [(module: String, device: Device)] {
    let noSplit = Set(noSplit)
    var devices = maxMemory.devices
    if !devices.contains(.disk) { devices.append(.disk) }
    let gpus = devices.filter { $0 != .cpu && $0 != .disk }
    let mainDevices: Set<Device> = gpus.isEmpty ? [.cpu] : [gpus[0], .cpu]

    var queue: [Named] =
      root.parameters.map { ($0.name, Item.tensor($0)) } + root.children.map { ($0.name, Item.module($0)) }
      + root.buffers.map { ($0.name, Item.tensor($0)) }
    var map: [(module: String, device: Device)] = []
    var current = 0
    var used: [Device: Int64] = [:]
    var (maxLayer, maxLayerNames) = maxLayerSize(queue, sizes: sizes, noSplit: noSplit)

    func modulesOnly(_ items: [Named]) -> [Named] { items.filter { $0.item.isModule } }

    while !queue.isEmpty {
      let (name, item) = queue.removeFirst()
      let dotted = name + "."
      maxLayerNames.removeAll { $0 == name || $0.hasPrefix(dotted) }
      if maxLayerNames.isEmpty {
        (maxLayer, maxLayerNames) = maxLayerSize(modulesOnly(queue), sizes: sizes, noSplit: noSplit)
      }
      let moduleSize = sizes[name] ?? 0
      // Tied groups with a member inside this module and one outside; the outside members.
      let relevant = tied.filter { group in
        group.contains { ($0 + ".").contains(dotted) } && !group.allSatisfy { ($0 + ".").contains(dotted) }
      }
      let tiedParams = relevant.flatMap { $0.filter { !($0 + ".").contains(dotted) } }

      let device = devices[current]
      var maxSize: Int64? = device == .disk ? nil : maxMemory[device]?.value
      var reserved: Int64 = 0
      if mainDevices.contains(device), let size = maxSize {
        maxSize = size - maxLayer
        reserved = maxLayer
      }
      // get_module_size_with_ties: add each outside tied parameter's top-level module.
      var sizeWithTies = moduleSize
      var tiedModules: [Named] = []
      for parameter in tiedParams {
        guard let owner = queue.first(where: { parameter.hasPrefix($0.name + ".") }) else { continue }
        tiedModules.append(owner)
        sizeWithTies += (sizes[owner.name] ?? 0) - (sizes[parameter] ?? 0)
      }
      let deviceUsed = used[device, default: 0]

      if maxSize == nil || deviceUsed + sizeWithTies <= maxSize! {
        used[device] = deviceUsed + sizeWithTies
        map.append((name, device))
        for tiedModule in tiedModules {
          queue.removeAll { $0.name == tiedModule.name }
          map.append((tiedModule.name, device))
        }
        continue
      }
      let limit = maxSize!
      if !tiedParams.isEmpty && deviceUsed + moduleSize <= limit {
        // The module fits without its tied modules: split the first tied module that can be split.
        if let tiedModule = tiedModules.first(where: {
          !$0.item.children.isEmpty && !noSplit.contains($0.item.className)
        }), case .module(let module) = tiedModule.item,
          let index = queue.firstIndex(where: { $0.name == tiedModule.name })
        {
          queue =
            [(name, item)] + queue[..<index] + splitItems(of: module, named: tiedModule.name)
            + queue[(index + 1)...]
          (maxLayer, maxLayerNames) = maxLayerSize(modulesOnly(queue), sizes: sizes, noSplit: noSplit)
          continue
        }
      }
      if deviceUsed + moduleSize >= limit, case .module(let module) = item, !module.children.isEmpty,
        !noSplit.contains(module.className)
      {
        queue = splitItems(of: module, named: name) + queue
        (maxLayer, maxLayerNames) = maxLayerSize(modulesOnly(queue), sizes: sizes, noSplit: noSplit)
        continue
      }
      // Nothing fits and nothing can be split: open the next device.
      used[device] = deviceUsed + reserved
      current += 1
      queue.insert((name, item), at: 0)
    }
    return cleaned(map)
  }

  /// `clean_device_map`: collapses every prefix whose entries all share one device into that
  /// prefix (a whole model on GPU 0 becomes `["": 0]`).
  ///
  /// accelerate appends a collapsed key at the end and visits children in `set` order, so its
  /// key order depends on Python's string hashing; here the collapsed key takes the place of its
  /// first entry, which keeps the map in module order. The mapping itself is the same.
  ///
  /// accelerate rescans the whole map for every prefix; here each prefix's entries are split among
  /// its children by their next name component, the same sets as `startswith(prefix + ".")`.
  ///
  /// - Complexity: O(*m* · *d*) for *m* entries *d* components deep.
  static func cleaned(_ map: [(module: String, device: Device)]) -> [(module: String, device: Device)] {
    var names = map.map(\.module)
    var keep = [Bool](repeating: true, count: map.count)
    let parts = map.map {
      $0.module.isEmpty ? [] : $0.module.split(separator: ".", omittingEmptySubsequences: false)
    }
    // `members`: the entries under `name` (every entry for the root, else those named `name.…`),
    // in map order; `depth`: the components of `name`.
    func clean(_ name: String, depth: Int, _ members: [Int]) {
      guard let first = members.first else { return }
      if members.count > 1 && members.allSatisfy({ map[$0].device == map[first].device }) {
        names[first] = name
        for member in members.dropFirst() { keep[member] = false }
        return
      }
      var children: [Substring: [Int]] = [:]
      var order: [Substring] = []
      for member in members where parts[member].count > depth + 1 {
        let component = parts[member][depth]
        if children[component] == nil { order.append(component) }
        children[component, default: []].append(member)
      }
      // An entry exactly one component below `name` is a child with no members of its own.
      for component in order {
        clean(
          name.isEmpty ? String(component) : name + "." + component, depth: depth + 1, children[component]!)
      }
    }
    clean("", depth: 0, Array(map.indices))
    return map.indices.filter { keep[$0] }.map { (names[$0], map[$0].device) }
  }
}
