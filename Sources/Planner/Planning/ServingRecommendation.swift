/// Settings that make vLLM start, and what they cost against what was asked.
public struct ServingRecommendation: Sendable, Hashable {
  public var maxModelLen: Int
  public var maxNumSeqs: Int
  public var gpuMemoryUtilization: Double
  public var enforceEager: Bool
  /// The layout's KV tokens and `max_model_len` sequences at once under these settings.
  public var kvTokens: Int64
  public var concurrency: Double
  public var tensorParallel: Int
  public var pipelineParallel: Int
}

extension ServingRecommendation {
  /// The settings a plan ran with, and what they gave.
  init(_ plan: ServingPlan) {
    self.init(
      maxModelLen: plan.settings.maxModelLen, maxNumSeqs: plan.settings.maxNumSeqs,
      gpuMemoryUtilization: plan.settings.gpuMemoryUtilization, enforceEager: plan.settings.enforceEager,
      kvTokens: plan.layout.kvTokens, concurrency: plan.concurrency,
      tensorParallel: plan.layout.tensorParallel,
      pipelineParallel: plan.layout.pipelineParallel)
  }
}
