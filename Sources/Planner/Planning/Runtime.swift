/// The runtime a plan is for, with the settings only that runtime takes: one ``PlanRequest``
/// plans every runtime, and a setting a runtime does not have cannot be given to it (accelerate's
/// modes place device maps, engine settings are vLLM's).
///
///     PlanRequest(model: model, gpus: gpus, runtime: .vllm(ServingConfig()))
public enum Runtime: Sendable, Hashable {
  /// Eager PyTorch with accelerate's hooks, one GPU at a time; `accelerate` reproduces one of
  /// accelerate's own `device_map` modes instead of the planner's objective.
  case transformers(accelerate: AccelerateMode? = nil)
  /// A vLLM engine: tensor x pipeline parallel groups, memory sized by its startup profiling.
  case vllm(ServingConfig = ServingConfig())
  /// llama.cpp (`llama-server`): layers split over the GPUs by `--tensor-split`; `accelerate`
  /// places the split as accelerate would (to see what llama.cpp makes of such a map).
  case llamaCpp(accelerate: AccelerateMode? = nil)
  /// Datasheet peaks with no host overheads: the bound no runtime beats.
  case roofline(accelerate: AccelerateMode? = nil)
  /// An SGLang server: tensor-parallel groups replicated by data parallelism, memory as SGLang
  /// sizes it (`mem_fraction_static`).
  case sglang(SGLangConfig = SGLangConfig())

  /// The runtime without its settings.
  public enum Kind: String, Sendable, Hashable, CaseIterable, Codable {
    case transformers, vllm
    case llamaCpp = "llama.cpp"
    case roofline
    case sglang

    /// The runtime's built-in host profile (efficiencies, overheads, reserve).
    public var builtInProfile: RuntimeProfile {
      switch self {
      case .transformers: .transformers
      case .vllm: .vllm
      case .llamaCpp: .llamaCpp
      case .roofline: .roofline
      case .sglang: .sglang
      }
    }

    /// Whether the runtime is an engine (parallel groups and engine settings) rather than a
    /// device map of layers.
    public var isEngine: Bool { self == .vllm }

    /// The kind of a runtime name as people type it (`llama.cpp`, `llamacpp`, `vLLM`).
    public init?(named name: String) {
      let key = NameMatching.normalized(name)
      guard let kind = Self.allCases.first(where: { NameMatching.normalized($0.rawValue) == key }) else {
        return nil
      }
      self = kind
    }
  }

  public var kind: Kind {
    switch self {
    case .transformers: .transformers
    case .vllm: .vllm
    case .llamaCpp: .llamaCpp
    case .roofline: .roofline
    case .sglang: .sglang
    }
  }

  /// `transformers`, `vllm`, `llama.cpp`, `roofline`, `sglang`.
  public var name: String { kind.rawValue }

  /// The runtime of a kind, with default settings.
  public init(_ kind: Kind) {
    switch kind {
    case .transformers: self = .transformers()
    case .vllm: self = .vllm()
    case .llamaCpp: self = .llamaCpp()
    case .roofline: self = .roofline()
    case .sglang: self = .sglang()
    }
  }

  /// The device-map runtime of a kind placed by one of accelerate's modes; nil for an engine,
  /// which takes none.
  public init?(_ kind: Kind, accelerate mode: AccelerateMode) {
    switch kind {
    case .transformers: self = .transformers(accelerate: mode)
    case .llamaCpp: self = .llamaCpp(accelerate: mode)
    case .roofline: self = .roofline(accelerate: mode)
    case .vllm, .sglang: return nil
    }
  }

  /// accelerate's mode, where a device map reproduces one.
  public var accelerateMode: AccelerateMode? {
    switch self {
    case .transformers(let mode), .llamaCpp(let mode), .roofline(let mode): mode
    case .vllm, .sglang: nil
    }
  }

  /// The engine settings of a vLLM plan (vLLM's defaults for the other runtimes, which take none).
  public var engineSettings: ServingConfig {
    if case .vllm(let settings) = self { settings } else { ServingConfig() }
  }
}
