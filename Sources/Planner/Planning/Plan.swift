/// A plan for any runtime: one header (model, GPUs, workload, runtime, dtypes with their reasons,
/// the verdict and why, the estimate, the ranked remedies, warnings and notes) and the layout of
/// its runtime (a device map, or an engine's parallel groups and settings).
///
/// Read-only: the verdict is the planner's, and a caller cannot change it.
public struct Plan: Sendable, Equatable {
  /// How the runtime lays the model out.
  public enum Layout: Sendable, Equatable {
    /// A `device_map`: contiguous ranges of layers per GPU (transformers, llama.cpp, roofline).
    case deviceMap(DeviceMapLayout)
    /// An engine: tensor x pipeline parallel groups with the engine's settings (vLLM).
    case engine(EngineLayout)
    /// An SGLang server: a tensor-parallel group and its data-parallel replicas.
    case sglang(SGLangLayout)

    public var deviceMap: DeviceMapLayout? { if case .deviceMap(let layout) = self { layout } else { nil } }
    public var engine: EngineLayout? { if case .engine(let layout) = self { layout } else { nil } }
    public var sglang: SGLangLayout? { if case .sglang(let layout) = self { layout } else { nil } }
  }

  /// How fast the plan runs, for every runtime alike.
  public struct Speed: Sendable, Hashable {
    /// One decode step of one sequence.
    public var decodeSecondsPerToken: Double
    public var tokensPerSecond: Double { decodeSecondsPerToken > 0 ? 1 / decodeSecondsPerToken : 0 }
    /// The prefill of one batch of prompts of the workload's context.
    public var prefillSeconds: Double
    /// Encoding one request's (or batch's) images (nil without a vision tower or images).
    public var imageSeconds: Double?
    /// Tokens per second across `throughputBatch` sequences decoding together.
    public var throughputTokensPerSecond: Double
    public var throughputBatch: Int
    /// What bounds decode (`GPU 1 (P4): memory bandwidth`), where the runtime's model names it.
    public var bottleneck: String?
    /// The times above with the range measured ones fall in (the runtime's ``TimeSpread``).
    public var ranges: SpeedRanges
  }

  /// A change that makes a plan that does not fit fit, checked by planning it; best first.
  public struct Remedy: Sendable, Hashable {
    /// What to change and what it costs, in words.
    public var summary: String
    /// The engine settings that start, for an engine's remedy.
    public var engineSettings: ServingRecommendation?
  }

  /// The request as planned.
  public let request: PlanRequest
  public let layout: Layout

  init(_ request: PlanRequest, deviceMap plan: DeviceMapLayout) {
    self.request = request
    layout = .deviceMap(plan)
  }

  init(_ request: PlanRequest, engine plan: EngineLayout) {
    self.request = request
    layout = .engine(plan)
  }

  init(_ request: PlanRequest, sglang plan: SGLangLayout) {
    self.request = request
    layout = .sglang(plan)
  }

  public var model: ModelGraph { request.model }
  public var gpus: [GPU] { request.gpus }
  public var workload: Workload { request.workload }
  public var runtime: Runtime { request.runtime }
  /// The host profile the estimate ran with (the runtime's built-in one or the request's).
  public var profile: RuntimeProfile { request.runtimeProfile }

  // The header, read from the layout (so that it cannot disagree with it).

  /// The dtype weights are stored in, the one everything else runs in, the KV cache's, and why.
  public var weightDType: DType {
    switch layout {
    case .deviceMap(let plan): plan.weightDType
    case .engine(let plan): plan.weightDType
    case .sglang(let plan): plan.weightDType
    }
  }

  public var computeDType: DType {
    switch layout {
    case .deviceMap(let plan): plan.computeDType
    case .engine(let plan): plan.computeDType
    case .sglang(let plan): plan.computeDType
    }
  }

  public var kvDType: DType {
    switch layout {
    case .deviceMap(let plan): plan.workload.kvDType ?? plan.computeDType
    case .engine(let plan): plan.kvDType
    case .sglang(let plan): plan.kvDType
    }
  }

  public var dtypeNotes: [String] {
    switch layout {
    case .deviceMap(let plan): plan.dtypeNotes
    case .engine(let plan): plan.dtypeNotes
    case .sglang(let plan): plan.dtypeNotes
    }
  }

  /// Whether it fits (an engine: whether it starts).
  public var fits: Bool {
    switch layout {
    case .deviceMap(let plan): plan.fits
    case .engine(let plan): plan.starts
    case .sglang(let plan): plan.starts
    }
  }

  /// Why it fits or not, in one line.
  public var verdict: String {
    switch layout {
    case .deviceMap(let plan):
      plan.fits
        ? "\(plan.gpuMemory.formatted()) needed on GPUs, \(plan.gpuCapacity.formatted()) usable"
        : plan.warnings.first ?? "it does not fit"
    case .engine(let plan):
      plan.refusals.first ?? plan.layout.failure.map { "fails in \($0.phase.description): \($0.message)" }
        ?? "starts: \(plan.layout.kvTokens) tokens of KV cache"
    case .sglang(let plan):
      plan.failure.map { "fails at startup: \($0)" }
        ?? "starts: \(plan.kvTokens) tokens of KV cache per replica (mem_fraction_static "
        + "\(SGLangPlanner.format(plan.memFractionStatic)))"
    }
  }

  /// How fast it runs.
  public var speed: Speed {
    switch layout {
    case .deviceMap(let plan):
      Speed(
        decodeSecondsPerToken: plan.estimate.decodeSecondsPerToken,
        prefillSeconds: plan.estimate.prefillSeconds,
        imageSeconds: plan.estimate.imageSeconds,
        throughputTokensPerSecond: plan.estimate.throughputTokensPerSecond,
        throughputBatch: plan.workload.batch,
        bottleneck: plan.estimate.bottleneck(gpus: plan.gpus), ranges: plan.estimate.ranges)
    case .engine(let plan):
      Speed(
        decodeSecondsPerToken: plan.layout.decodeSecondsPerToken, prefillSeconds: plan.layout.prefillSeconds,
        imageSeconds: plan.imageSeconds, throughputTokensPerSecond: plan.layout.throughputTokensPerSecond,
        throughputBatch: plan.layout.throughputBatch, bottleneck: nil,
        ranges: plan.layout.ranges(profile.timeSpread, imageSeconds: plan.imageSeconds))
    case .sglang(let plan):
      Speed(
        decodeSecondsPerToken: plan.decodeSecondsPerToken, prefillSeconds: plan.prefillSeconds,
        imageSeconds: nil,
        throughputTokensPerSecond: plan.throughputTokensPerSecond,
        throughputBatch: max(1, plan.workload.batch) * plan.dataParallel, bottleneck: nil,
        ranges: plan.ranges)
    }
  }

  /// Where it does not fit, the changes that make it fit, best first.
  public var remedies: [Remedy] {
    switch layout {
    case .deviceMap(let plan): plan.advice.map { Remedy(summary: $0) }
    case .engine(let plan):
      plan.recommendations.map { Remedy(summary: $0.summary(against: plan.layout), engineSettings: $0) }
    case .sglang: []
    }
  }

  public var warnings: [String] {
    switch layout {
    case .deviceMap(let plan): plan.warnings
    case .engine(let plan): plan.refusals
    case .sglang(let plan):
      plan.starts && !plan.holdsContext
        ? [
          "the KV cache holds \(plan.kvTokens) tokens, fewer than one request of the context length "
            + "(\(plan.contextLength))"
        ] : []
    }
  }

  public var notes: [String] {
    switch layout {
    case .deviceMap(let plan): plan.notes
    case .engine, .sglang: []
    }
  }
}
