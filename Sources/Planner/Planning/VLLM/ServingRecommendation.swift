/// Settings that make vLLM start, and what they cost against what was asked.
public struct ServingRecommendation: Sendable, Hashable {
  public internal(set) var maxModelLen: Int
  public internal(set) var maxNumSeqs: Int
  public internal(set) var gpuMemoryUtilization: Double
  public internal(set) var enforceEager: Bool
  /// The layout's KV tokens and `max_model_len` sequences at once under these settings.
  public internal(set) var kvTokens: Int64
  public internal(set) var concurrency: Double
  public internal(set) var tensorParallel: Int
  public internal(set) var pipelineParallel: Int
}

extension ServingRecommendation {
  /// The settings a plan ran with, and what they gave.
  init(_ plan: EngineLayout) {
    self.init(
      maxModelLen: plan.settings.maxModelLen, maxNumSeqs: plan.settings.maxNumSeqs,
      gpuMemoryUtilization: plan.settings.gpuMemoryUtilization, enforceEager: plan.settings.enforceEager,
      kvTokens: plan.layout.kvTokens, concurrency: plan.concurrency,
      tensorParallel: plan.layout.tensorParallel,
      pipelineParallel: plan.layout.pipelineParallel)
  }
}

extension ServingRecommendation {
  /// The settings as vLLM's flags, the layout where it differs from `asked`'s, and what they give:
  /// `--max-model-len 8192 --max-num-seqs 16: 3.20 sequences of 8192 tokens at once (26,224 KV tokens)`.
  public func summary(against asked: ServingLayout) -> String {
    var flags = ["--max-model-len \(maxModelLen)", "--max-num-seqs \(maxNumSeqs)"]
    if enforceEager { flags.append("--enforce-eager") }
    let layout =
      tensorParallel != asked.tensorParallel || pipelineParallel != asked.pipelineParallel
      ? " with tensor parallel \(tensorParallel) x pipeline parallel \(pipelineParallel)" : ""
    return flags.joined(separator: " ") + layout
      + ": \(DurationFormatting.fixed(concurrency, decimals: 2)) sequences of "
      + "\(maxModelLen) tokens at once (\(DurationFormatting.groupedDigits(kvTokens)) KV tokens)"
  }
}
