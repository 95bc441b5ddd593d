/// A time or a rate the planner estimates, with the range measured ones fall in: the point
/// estimate, and `low ... high` from the runtime's ``TimeSpread``.
///
///     let decode = EstimateRange(seconds: 0.0264, spread: .transformers)   // 21.1 ... 35.6 ms
///     let rate = EstimateRange(rate: 1 / 0.0264, spread: .transformers)     // 28.1 ... 47.3 tokens/s
///
/// A rate (tokens per second) is the inverse of a time, so its low end comes from the time's high
/// end. `low <= value <= high` always holds for finite values.
public struct EstimateRange: Sendable, Hashable {
  /// The point estimate (seconds, or tokens per second).
  public var value: Double
  public var low: Double
  public var high: Double
  /// Whether the estimate is a bound (the roofline's "at best"), not a prediction.
  public var isBound: Bool

  /// A time: `spread.low × seconds ... spread.high × seconds`.
  public init(seconds: Double, spread: TimeSpread) {
    value = seconds
    low = seconds * spread.low
    high = seconds * spread.high
    isBound = spread.isBound
  }

  /// A rate (work per second): `rate / spread.high ... rate / spread.low`.
  public init(rate: Double, spread: TimeSpread) {
    value = rate
    low = rate / spread.high
    high = rate / spread.low
    isBound = spread.isBound
  }

  /// Whether `measured` falls inside the range (a miss where it does not).
  public func contains(_ measured: Double) -> Bool { low <= measured && measured <= high }

  /// The range scaled by `factor` (replicas side by side, a batch of sequences).
  public func scaled(by factor: Double) -> EstimateRange {
    var range = self
    range.value *= factor
    range.low *= factor
    range.high *= factor
    return range
  }
}
