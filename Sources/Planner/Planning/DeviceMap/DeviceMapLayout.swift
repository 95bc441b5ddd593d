/// The planner's answer: where every module goes, what each device holds, whether it fits, and why.
public struct DeviceMapLayout: Sendable, Equatable {
  /// One device's share.
  public struct DevicePlan: Sendable, Equatable {
    public internal(set) var device: Device
    /// The GPU model, for GPUs.
    public internal(set) var gpu: GPU?
    /// The `device_map` keys placed here, in module order.
    public internal(set) var modules: [String]
    /// What the device holds, for people: whole subtrees by their name and runs of numbered
    /// siblings as ranges (`vpm`, `llm.model.layers.0-13`).
    public internal(set) var summary: [String]
    public internal(set) var memory: MemoryBreakdown
    /// What the device may hold (`nil`: unlimited, as host memory the user did not cap).
    public internal(set) var capacity: ByteCount?

    /// Whether the device's memory is within its capacity.
    public var fits: Bool { capacity.map { memory.total <= $0 } ?? true }
  }

  public internal(set) var model: ModelGraph
  public internal(set) var gpus: [GPU]
  public internal(set) var workload: Workload
  public internal(set) var strategy: Strategy
  public internal(set) var runtime: RuntimeProfile
  /// The dtype weights are stored in, and the one everything else runs in.
  public internal(set) var weightDType: DType
  public internal(set) var computeDType: DType
  /// Why the dtypes are what they are (one line each).
  public internal(set) var dtypeNotes: [String]
  /// The `device_map`, in module order.
  public internal(set) var deviceMap: [(module: String, device: Device)]
  /// Every GPU (used or not), then cpu and disk where anything was offloaded.
  public internal(set) var devices: [DevicePlan]
  /// The `max_memory` budgets an accelerate-parity strategy ran with.
  public internal(set) var budgets: MaxMemory?
  /// Whether the plan runs within every device's capacity with nothing left unplaced.
  public internal(set) var fits: Bool
  public internal(set) var warnings: [String]
  /// Why the placement is what it is (a GPU left unused, and why).
  public internal(set) var notes: [String]
  /// Where it does not fit: the changes that would make it fit, each checked by planning it.
  public internal(set) var advice: [String] = []
  /// How fast it runs.
  public internal(set) var estimate: Estimate
  /// Every device boundary of a decode step, in chain order.
  public internal(set) var hops: [Hop]
  /// The device of each layer of the model's chain (nil where the map places none).
  public internal(set) var layerDevices: [Device?]
  /// llama.cpp's `--n-cpu-moe`: the first decoder layers whose routed experts stay in host memory
  /// (0: none), and those experts' bytes.
  public internal(set) var hostExpertLayers = 0
  public internal(set) var hostExpertBytes = ByteCount.zero

  /// Builds the plan of a placement: weights per device at tensor level (a module split by the
  /// map is counted where each tensor goes), KV cache and activations where each layer executes
  /// (an offloaded layer executes on the first GPU, as accelerate's hooks run it), the runtime
  /// reserve on every GPU in use.
  ///
  /// - Complexity: O(*t* · *k*) for *t* tensors and *k* map entries.
  init(problem: PlacementProblem, placement: Placement, strategy: Strategy, dtypeNotes: [String]) {
    let model = problem.model
    var memoryModel = problem.memory
    var weights: [Device: Int64] = [:]
    var unplaced: [String] = []
    let assigned = placement.assign(model.root)
    // Speech output off: the talker and vocoder are freed after loading (MemoryModel.weights(of:)).
    let freed = model.layers.filter { $0.stream == .speech && memoryModel.weights(of: $0) == .zero }
      .map { $0.module + "." }
    var hostExperts: Int64 = 0
    for (index, (name, tensor)) in model.tensors.enumerated() where model.isCounted[index] {
      var bytes =
        freed.contains(where: name.hasPrefix)
        ? 0 : tensor.bytes(weight: memoryModel.weightDType, compute: memoryModel.computeDType)
      if memoryModel.isHostExpert(name) {  // llama.cpp --n-cpu-moe: in host memory, not on the GPU
        hostExperts = hostExperts.saturatingAdd(bytes)
        bytes = 0
      }
      if let device = assigned[index] { weights[device, default: 0] += bytes } else { unplaced.append(name) }
    }
    let executionGPU: Device? = problem.gpus.isEmpty ? nil : .gpu(0)
    var executing: [Device: [Layer]] = [:]
    let layerDevices = model.layers.map { layer in
      placement.device(of: layer.module)
        ?? model.root.namedTensors(at: layer.module)?.lazy.compactMap { placement.device(of: $0.name) }.first
    }
    for (layer, placed) in zip(model.layers, layerDevices) {
      guard let placed else { continue }
      let device = placed.isGPU ? placed : (executionGPU ?? placed)
      executing[device, default: []].append(layer)
    }

    // llama.cpp's input copies as this split gives them (pipeline parallelism or not).
    let decoders = zip(model.layers, layerDevices).filter { $0.0.stream == .text && $0.0.kind == .decoder }
    memoryModel.llamaInputCopies = LlamaCppMemory.inputCopies(
      modelDevices: Set(decoders.compactMap { $0.1 }.filter(\.isGPU)).count,
      everyLayerOffloaded: decoders.allSatisfy { $0.1?.isGPU == true },
      tensorOverrides: memoryModel.hostExpertLayers > 0)
    var devices: [DevicePlan] = []
    let summaries = Self.summaries(of: model, assigned: assigned)
    let offloadTargets = [Device.cpu, .disk].filter { weights[$0] != nil }
    for device in problem.gpus.indices.map(Device.gpu) + offloadTargets {
      let layers = executing[device] ?? []
      var memory = memoryModel.breakdown(of: layers, isGPU: device.isGPU)
      memory.weights = ByteCount(weights[device] ?? 0)
      if device.isGPU && memory.weights.value > 0 && memory.reserve == .zero {
        memory.reserve = memoryModel.runtime.reservePerGPU
      }
      let index: Int? = if case .gpu(let i) = device { i } else { nil }
      devices.append(
        DevicePlan(
          device: device, gpu: index.map { problem.gpus[$0] },
          modules: placement.deviceMap.filter { $0.device == device }.map(\.module),
          summary: summaries[device] ?? [], memory: memory,
          capacity: problem.capacity(of: device)))
    }

    var warnings: [String] = []
    self.notes = placement.notes
    if !unplaced.isEmpty {
      let shown = unplaced.prefix(3).joined(separator: ", ")
      warnings.append(
        "the map places no device for \(unplaced.count) tensor(s) (\(shown)\(unplaced.count > 3 ? ", ..." : "")): "
          + "transformers will refuse to load it")
    }
    for plan in devices where !plan.fits {
      let name = plan.gpu.map { "GPU \(plan.device) (\($0.name))" } ?? "\(plan.device)"
      warnings.append(
        "\(name) needs \(plan.memory.total.formatted()) but has \(plan.capacity!.formatted())"
          + (plan.device.isGPU ? " usable" : " allowed by --max-memory"))
    }
    if memoryModel.workload.attention == .eager,
      let heavy = devices.first(where: {
        $0.device.isGPU && $0.memory.activations.value > $0.memory.total.value / 4
      })
    {
      warnings.append(
        "eager attention materialises \(heavy.memory.activations.formatted()) of activations on GPU \(heavy.device) "
          + "(heads x tokens² scores); --attention sdpa or flash needs none of that")
    }
    if strategy.isAccelerateParity && devices.contains(where: { $0.device.isGPU && !$0.fits }) {
      warnings.append(
        "accelerate fills GPUs by weights only; KV cache, activations and the runtime reserve overflow it: "
          + "--strategy memory counts them, or lower the caps with --max-memory")
    }
    for plan in devices where !plan.device.isGPU {
      let allowed = plan.capacity != nil
      warnings.append(
        "\(plan.memory.weights.formatted()) of weights offloaded to \(plan.device)"
          + (allowed
            ? ": streamed to GPU 0 on every forward pass, very slow"
            : " (add \(plan.device):SIZE to --max-memory to allow offloading)"))
    }

    self.model = model
    self.gpus = problem.gpus
    self.workload = memoryModel.workload
    self.strategy = strategy
    self.runtime = memoryModel.runtime
    self.weightDType = memoryModel.weightDType
    self.computeDType = memoryModel.computeDType
    self.dtypeNotes = dtypeNotes
    self.deviceMap = placement.deviceMap
    self.devices = devices
    self.budgets = placement.budgets
    self.fits = unplaced.isEmpty && devices.allSatisfy { $0.fits && ($0.device.isGPU || $0.capacity != nil) }
    self.warnings = warnings
    self.layerDevices = layerDevices
    self.hostExpertLayers = memoryModel.hostExpertLayers
    self.hostExpertBytes = ByteCount(hostExperts)
    (self.estimate, self.hops) = Estimate.make(problem: problem, layerDevices: layerDevices)
  }

  /// Memory used on all GPUs together.
  public var gpuMemory: ByteCount { devices.filter(\.device.isGPU).reduce(.zero) { $0 + $1.memory.total } }

  /// What all GPUs may hold together.
  public var gpuCapacity: ByteCount {
    devices.filter(\.device.isGPU).reduce(.zero) { $0 + ($1.capacity ?? .zero) }
  }

  /// For every device, the subtrees wholly on it (descending only into mixed ones), in execution
  /// order, with runs of consecutive numbered siblings folded into ranges.
  ///
  /// `assigned` is ``Placement/assign(_:)``'s answer: parameters in pre-order, then buffers in
  /// pre-order, so a walk in the same order finds each tensor's device by position.
  ///
  /// - Complexity: O(*t* + *m* · *k*) for *t* tensors, *m* modules and *k* devices.
  static func summaries(of model: ModelGraph, assigned: [Device?]) -> [Device: [String]] {
    // Bottom-up, in pre-order: each module's first parameter and buffer position, its subtree's
    // size, and whether every tensor of its subtree has one device (`.uniform`) or not.
    enum Placed: Equatable {
      case empty
      case uniform(Device?)
      case mixed
    }
    struct Node {
      var parameterStart: Int
      var bufferStart: Int
      var placed: Placed
      /// Modules in the subtree, itself included.
      var size: Int
    }
    func merge(_ a: Placed, _ b: Placed) -> Placed {
      switch (a, b) {
      case (.empty, _): b
      case (_, .empty): a
      case (.uniform(let x), .uniform(let y)) where x == y: a
      default: .mixed
      }
    }
    var nodes: [Node] = []
    var nextParameter = 0
    func buffers(_ module: Module) -> Int {
      module.buffers.count + module.children.reduce(0) { $0 + buffers($1) }
    }
    var nextBuffer = assigned.count - buffers(model.root)
    func collect(_ module: Module) -> Placed {
      let id = nodes.count
      nodes.append(Node(parameterStart: nextParameter, bufferStart: nextBuffer, placed: .empty, size: 0))
      var placed = Placed.empty
      for _ in module.parameters {
        placed = merge(placed, .uniform(assigned[nextParameter]))
        nextParameter += 1
      }
      for _ in module.buffers {
        placed = merge(placed, .uniform(assigned[nextBuffer]))
        nextBuffer += 1
      }
      for child in module.children { placed = merge(placed, collect(child)) }
      nodes[id].placed = placed
      nodes[id].size = nodes.count - id
      return placed
    }
    _ = collect(model.root)
    // Top-down, once: a uniform subtree is named whole; a mixed one lists its children and its own
    // tensors.
    var names: [Device: [String]] = [:]
    func visit(_ module: Module, _ path: String, _ id: Int) {
      let node = nodes[id]
      switch node.placed {
      case .empty, .uniform(nil): return
      case .uniform(let device?):
        names[device, default: []].append(path.isEmpty ? "(whole model)" : path)
      case .mixed:
        let dot = path.isEmpty ? "" : path + "."
        var child = id + 1
        for submodule in module.children {
          visit(submodule, dot + submodule.name, child)
          child += nodes[child].size
        }
        for (offset, tensor) in module.parameters.enumerated() {
          if let device = assigned[node.parameterStart + offset] {
            names[device, default: []].append(dot + tensor.name)
          }
        }
        for (offset, tensor) in module.buffers.enumerated() {
          if let device = assigned[node.bufferStart + offset] {
            names[device, default: []].append(dot + tensor.name)
          }
        }
      }
    }
    visit(model.root, "", 0)
    // Execution order, not registration order: a name sorts by the first chain layer under it.
    var firstLayer: [String: Int] = [:]
    for (index, layer) in model.layers.enumerated() {
      var prefix = Substring(layer.module)
      while true {
        if firstLayer[String(prefix)] == nil { firstLayer[String(prefix)] = index }
        guard let dot = prefix.lastIndex(of: ".") else { break }
        prefix = prefix[..<dot]
      }
    }
    func first(_ name: String) -> Int {
      if name == "(whole model)" { return 0 }
      if let index = firstLayer[name] { return index }
      // A tensor inside a layer: the layer's position.
      var prefix = Substring(name)
      while let dot = prefix.lastIndex(of: ".") {
        prefix = prefix[..<dot]
        if let index = firstLayer[String(prefix)] { return index }
      }
      return Int.max
    }
    return names.mapValues { list in
      let ordered = list.enumerated().sorted {
        (first($0.element), $0.offset) < (first($1.element), $1.offset)
      }
      return foldingNumberedRuns(ordered.map(\.element))
    }
  }

  /// `["a.0", "a.1", "a.2", "b"]` becomes `["a.0-2", "b"]`.
  static func foldingNumberedRuns(_ names: [String]) -> [String] {
    var result: [String] = []
    var run: (prefix: String, first: Int, last: Int)?
    func flush() {
      if let r = run {
        result.append(r.first == r.last ? "\(r.prefix)\(r.first)" : "\(r.prefix)\(r.first)-\(r.last)")
      }
      run = nil
    }
    for name in names {
      let dot = name.lastIndex(of: ".")
      let prefix = dot.map { String(name[...$0]) } ?? ""
      if let dot, let number = Int(name[name.index(after: dot)...]) {
        if let r = run, r.prefix == prefix, r.last + 1 == number {
          run!.last = number
          continue
        }
        flush()
        run = (prefix, number, number)
      } else {
        flush()
        result.append(name)
      }
    }
    flush()
    return result
  }
}

extension DeviceMapLayout {
  public static func == (a: DeviceMapLayout, b: DeviceMapLayout) -> Bool {
    a.model == b.model && a.gpus == b.gpus && a.workload == b.workload && a.strategy == b.strategy
      && a.runtime == b.runtime && a.weightDType == b.weightDType && a.computeDType == b.computeDType
      && a.dtypeNotes == b.dtypeNotes && a.deviceMap.elementsEqual(b.deviceMap, by: { $0 == $1 })
      && a.devices == b.devices && a.budgets == b.budgets && a.fits == b.fits && a.warnings == b.warnings
      && a.notes == b.notes && a.advice == b.advice && a.estimate == b.estimate && a.hops == b.hops
      && a.layerDevices == b.layerDevices
  }
}
