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

    public var deviceMap: DeviceMapLayout? { if case .deviceMap(let layout) = self { layout } else { nil } }
    public var engine: EngineLayout? { if case .engine(let layout) = self { layout } else { nil } }
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
  /// The dtype weights are stored in, the one everything else runs in, the KV cache's, and why.
  public let weightDType: DType
  public let computeDType: DType
  public let kvDType: DType
  public let dtypeNotes: [String]
  /// Whether it fits (an engine: whether it starts).
  public let fits: Bool
  /// Why it fits or not, in one line.
  public let verdict: String
  public let speed: Speed
  public let remedies: [Remedy]
  public let warnings: [String]
  public let notes: [String]

  public var model: ModelGraph { request.model }
  public var gpus: [GPU] { request.gpus }
  public var workload: Workload { request.workload }
  public var runtime: Runtime { request.runtime }
  /// The host profile the estimate ran with (the runtime's built-in one or the request's).
  public var profile: RuntimeProfile { request.runtimeProfile }

  init(_ request: PlanRequest, deviceMap plan: DeviceMapLayout) {
    self.request = request
    layout = .deviceMap(plan)
    weightDType = plan.weightDType
    computeDType = plan.computeDType
    kvDType = plan.workload.kvDType ?? plan.computeDType
    dtypeNotes = plan.dtypeNotes
    fits = plan.fits
    verdict =
      plan.fits
      ? "\(plan.gpuMemory.formatted()) needed on GPUs, \(plan.gpuCapacity.formatted()) usable"
      : plan.warnings.first ?? "it does not fit"
    let estimate = plan.estimate
    speed = Speed(
      decodeSecondsPerToken: estimate.decodeSecondsPerToken, prefillSeconds: estimate.prefillSeconds,
      imageSeconds: estimate.imageSeconds, throughputTokensPerSecond: estimate.throughputTokensPerSecond,
      throughputBatch: plan.workload.batch, bottleneck: estimate.bottleneck(gpus: plan.gpus))
    remedies = plan.advice.map { Remedy(summary: $0) }
    warnings = plan.warnings
    notes = plan.notes
  }

  init(_ request: PlanRequest, engine plan: EngineLayout) {
    self.request = request
    layout = .engine(plan)
    weightDType = plan.weightDType
    computeDType = plan.computeDType
    kvDType = plan.kvDType
    dtypeNotes = plan.dtypeNotes
    fits = plan.starts
    verdict =
      plan.refusals.first ?? plan.layout.failure.map { "fails in \($0.phase.description): \($0.message)" }
      ?? "starts: \(plan.layout.kvTokens) tokens of KV cache"
    speed = Speed(
      decodeSecondsPerToken: plan.layout.decodeSecondsPerToken, prefillSeconds: plan.layout.prefillSeconds,
      imageSeconds: plan.imageSeconds, throughputTokensPerSecond: plan.layout.throughputTokensPerSecond,
      throughputBatch: plan.layout.throughputBatch, bottleneck: nil)
    remedies = plan.recommendations.map {
      Remedy(summary: $0.summary(against: plan.layout), engineSettings: $0)
    }
    warnings = plan.refusals
    notes = []
  }
}
