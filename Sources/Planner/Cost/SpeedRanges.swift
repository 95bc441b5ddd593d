/// A plan's times with their ranges (``EstimateRange``), computed once with the times under the
/// runtime's ``TimeSpread``: decode per token and the tokens per second it gives one stream, the
/// prefill, image and audio encoding, and the throughput across the batch.
public struct SpeedRanges: Sendable, Hashable {
  public var decodeSecondsPerToken: EstimateRange
  public var tokensPerSecond: EstimateRange
  public var prefillSeconds: EstimateRange
  public var imageSeconds: EstimateRange?
  public var audioSeconds: EstimateRange?
  public var throughputTokensPerSecond: EstimateRange

  /// The ranges of the given times under `spread`; tokens per second is `1 / decode`.
  public init(
    decodeSecondsPerToken decode: Double, prefillSeconds prefill: Double, imageSeconds image: Double? = nil,
    audioSeconds audio: Double? = nil, throughputTokensPerSecond throughput: Double, spread: TimeSpread
  ) {
    decodeSecondsPerToken = EstimateRange(seconds: decode, spread: spread)
    tokensPerSecond = EstimateRange(rate: decode > 0 ? 1 / decode : 0, spread: spread)
    prefillSeconds = EstimateRange(seconds: prefill, spread: spread)
    imageSeconds = image.map { EstimateRange(seconds: $0, spread: spread) }
    audioSeconds = audio.map { EstimateRange(seconds: $0, spread: spread) }
    throughputTokensPerSecond = EstimateRange(rate: throughput, spread: spread)
  }
}
