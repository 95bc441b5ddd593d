/// What to plan: a model on GPUs for a workload, run by a runtime, placed for an objective. One
/// request type for every runtime.
public struct PlanRequest: Sendable, Equatable {
  public var model: ModelGraph
  /// The GPUs in device index order (for an engine: the GPUs of one node).
  public var gpus: [GPU]
  public var workload: Workload
  /// The runtime, with its own settings (accelerate's mode for transformers, the engine settings
  /// for vLLM).
  public var runtime: Runtime
  /// What the planner minimises.
  public var objective: Objective
  /// Caps per device in accelerate's form (device-map runtimes).
  public var maxMemory: MaxMemory?
  /// The runtime's host times measured on the user's machine (``ProfileFile``); `nil` takes the
  /// runtime's built-in profile. Its base runtime must be the request's.
  public var profile: RuntimeProfile?
  /// The links between the GPUs; `nil` infers them from the GPU models.
  public var topology: Topology?
  /// The host's memory bandwidth, where llama.cpp computes what it keeps in host memory.
  public var hostMemory: HostMemory

  public init(
    model: ModelGraph, gpus: [GPU], workload: Workload = Workload(), runtime: Runtime = .transformers(),
    objective: Objective = .auto, maxMemory: MaxMemory? = nil, profile: RuntimeProfile? = nil,
    topology: Topology? = nil, hostMemory: HostMemory = .desktop
  ) {
    self.model = model
    self.gpus = gpus
    self.workload = workload
    self.runtime = runtime
    self.objective = objective
    self.maxMemory = maxMemory
    self.profile = profile
    self.topology = topology
    self.hostMemory = hostMemory
  }

  /// The host profile the cost model runs with.
  var runtimeProfile: RuntimeProfile { profile ?? runtime.kind.builtInProfile }

  /// The strategy that places a device map: accelerate's mode where transformers reproduces one,
  /// else the objective. The advice search sets it to probe accelerate's sequential fill for a
  /// CPU offload, whatever the runtime.
  var strategy: Strategy {
    get { strategyOverride ?? runtime.accelerateMode.map(Strategy.init) ?? Strategy(objective) }
    set { strategyOverride = newValue }
  }
  private var strategyOverride: Strategy?

  /// The engine settings (vLLM's); changing them keeps the runtime.
  var serving: ServingConfig {
    get { runtime.engineSettings }
    set { if case .vllm = runtime { runtime = .vllm(newValue) } }
  }
}
