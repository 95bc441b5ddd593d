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
  /// The host's memory bandwidth (llama.cpp computes what it keeps in host memory at this rate).
  public var hostMemory: HostMemory

  public init(
    model: ModelGraph, gpus: [GPU], memory: MemoryModel, userMaxMemory: MaxMemory?, topology: Topology? = nil,
    hostMemory: HostMemory = .desktop
  ) {
    self.model = model
    self.gpus = gpus
    self.memory = memory
    self.userMaxMemory = userMaxMemory
    self.topology = topology ?? Topology(gpus: gpus)
    self.hostMemory = hostMemory
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
