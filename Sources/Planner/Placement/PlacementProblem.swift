/// Everything a placement strategy needs, with every dtype and budget decision already made:
/// the model, the GPUs in index order, the memory model for the chosen dtypes and workload, and
/// the caps per device.
public struct PlacementProblem: Sendable {
  public var model: ModelGraph
  /// The GPUs in device index order.
  public var gpus: [GPU]
  public var memory: MemoryModel
  /// The user's `--max-memory`, if given.
  public var userMaxMemory: MaxMemory?
  /// The links between the GPUs.
  public var topology: Topology

  public init(
    model: ModelGraph, gpus: [GPU], memory: MemoryModel, userMaxMemory: MaxMemory?, topology: Topology? = nil
  ) {
    self.model = model
    self.gpus = gpus
    self.memory = memory
    self.userMaxMemory = userMaxMemory
    self.topology = topology ?? Topology(gpus: gpus)
  }

  /// The cost model for this problem's dtypes, workload and runtime.
  public var cost: CostModel { CostModel(memory: memory) }

  /// What a device may hold: a GPU's usable memory capped by `--max-memory`; cpu and disk only
  /// where `--max-memory` names them (offloading is opt-in).
  public func capacity(of device: Device) -> ByteCount? {
    switch device {
    case .gpu(let index):
      guard gpus.indices.contains(index) else { return nil }
      let usable = gpus[index].usableMemory
      return userMaxMemory?[device].map { min($0, usable) } ?? usable
    case .cpu, .disk:
      return userMaxMemory?[device]
    }
  }

  /// The budgets accelerate would run with: the user's `max_memory` as given, or (as
  /// `get_max_memory()` does) every GPU's free memory after the CUDA context and the host's RAM,
  /// taken here as unlimited since the planner cannot see it.
  public var accelerateMaxMemory: MaxMemory {
    if let userMaxMemory { return userMaxMemory }
    return MaxMemory(
      gpus.indices.map { (Device.gpu($0), gpus[$0].usableMemory) } + [
        (.cpu, ByteCount(Self.unlimitedHostMemory))
      ])
  }

  /// Stands for "host RAM, assumed sufficient" (2^60 bytes: larger than any model, far from overflow).
  static let unlimitedHostMemory: Int64 = 1 << 60
}

/// A placement: which device each module goes to, as a `device_map`.
public struct Placement: Sendable {
  /// Module path (or `""` for the whole model) to device, in module order.
  public var deviceMap: [(module: String, device: Device)]
  /// The budgets the strategy ran with, where it used accelerate's.
  public var budgets: MaxMemory?
  /// What the strategy wants the user to know (why a GPU is left unused).
  public var notes: [String]

  /// The map's keys, for lookups.
  let index: [String: Device]

  public init(deviceMap: [(module: String, device: Device)], budgets: MaxMemory? = nil, notes: [String] = [])
  {
    self.deviceMap = deviceMap
    self.budgets = budgets
    self.notes = notes
    index = Dictionary(deviceMap.map { ($0.module, $0.device) }, uniquingKeysWith: { first, _ in first })
  }

  /// The device of every tensor of the tree, in `namedTensors()` order, resolved in one walk: a
  /// tensor goes where its nearest ancestor (or itself) has a key. The walk follows the map's
  /// keys as a trie of name components, so no full name is built.
  ///
  /// - Complexity: O(*m* + *t*) for *m* modules and *t* tensors.
  public func assign(_ root: Module) -> [Device?] {
    final class Trie {
      var device: Device?
      var children: [Substring: Trie] = [:]
    }
    let trie = Trie()
    for (module, device) in deviceMap {
      var node = trie
      if !module.isEmpty {
        for part in module.split(separator: ".") {
          if let next = node.children[part] {
            node = next
          } else {
            let next = Trie()
            node.children[part] = next
            node = next
          }
        }
      }
      if node.device == nil { node.device = device }
    }
    var parameters: [Device?] = []
    var buffers: [Device?] = []
    func walk(_ module: Module, _ node: Trie?, _ inherited: Device?) {
      let here = node?.device ?? inherited
      for tensor in module.parameters {
        parameters.append(node?.children[Substring(tensor.name)]?.device ?? here)
      }
      for tensor in module.buffers { buffers.append(node?.children[Substring(tensor.name)]?.device ?? here) }
      for child in module.children { walk(child, node?.children[Substring(child.name)], here) }
    }
    walk(root, trie, nil)
    return parameters + buffers
  }

  /// The device of a full tensor or module name: the entry whose key is the longest prefix of it
  /// (`""` covers everything); `nil` where no key covers it.
  ///
  /// - Complexity: O(*d*) dictionary lookups for a name of *d* components.
  public func device(of name: String) -> Device? {
    var prefix = Substring(name)
    while true {
      if let device = index[String(prefix)] { return device }
      guard let dot = prefix.lastIndex(of: ".") else { break }
      prefix = prefix[..<dot]
    }
    return index[""]
  }
}

/// How to place a model: one strategy per family, behind one seam.
public enum Strategy: String, Sendable, Hashable, CaseIterable, Codable {
  /// The planner's default: `latency` for one sequence (or a runtime that does not pipeline
  /// stages), `throughput` for several sequences on one that does; on the fewest GPUs that do
  /// not make it slower.
  case auto
  /// Minimise single-stream decode time per token, within the memory caps.
  case latency
  /// Minimise the slowest stage (pipelined throughput), within the memory caps.
  case throughput
  /// Contiguous layers per GPU, balancing each GPU's share of its own capacity (weights, KV cache,
  /// activations and reserve all counted).
  case memory
  /// accelerate's `device_map="sequential"`: fill GPU 0, then GPU 1, ...
  case sequential
  /// accelerate's `device_map="balanced"` (and `"auto"`).
  case balanced
  /// accelerate's `device_map="balanced_low_0"`.
  case balancedLow0 = "balanced_low_0"

  /// Whether this strategy reproduces accelerate (by weights only) rather than planning the workload.
  public var isAccelerateParity: Bool { self == .sequential || self == .balanced || self == .balancedLow0 }

  /// Places the problem's model.
  public func place(_ problem: PlacementProblem) -> Placement {
    switch self {
    case .auto: CostAwareStrategy(objective: autoObjective(for: problem), keepsHeadroom: true).place(problem)
    case .latency: CostAwareStrategy(objective: .latency).place(problem)
    case .throughput: throughputPlacement(problem)
    case .memory: MemoryBalancedStrategy().place(problem)
    case .sequential, .balanced, .balancedLow0: AccelerateStrategy(strategy: self).place(problem)
    }
  }

  /// The slowest stage where the runtime pipelines stages; where it does not (transformers runs
  /// one GPU at a time), throughput is the batch over the whole step, which the latency plan
  /// already minimises.
  func throughputPlacement(_ problem: PlacementProblem) -> Placement {
    guard !problem.memory.runtime.pipelinesStages else {
      return CostAwareStrategy(objective: .throughput).place(problem)
    }
    var placement = CostAwareStrategy(objective: .latency).place(problem)
    placement.notes.insert(
      "\(problem.memory.runtime.name) runs one GPU at a time, so throughput is the batch over the whole step: "
        + "the fastest step is also the best throughput (--runtime vllm pipelines stages)", at: 0)
    return placement
  }

  /// What `auto` minimises: the slowest stage when several sequences flow through a runtime that
  /// pipelines stages, else the time per step.
  func autoObjective(for problem: PlacementProblem) -> ChainPartition.Objective {
    problem.memory.workload.batch > 1 && problem.memory.runtime.pipelinesStages ? .throughput : .latency
  }
}
