/// accelerate's own `device_map` modes, reproduced exactly (parity) rather than planned: they fill
/// GPUs by weights only. Only the transformers runtime, which loads with accelerate, takes them.
public enum AccelerateMode: String, Sendable, Hashable, CaseIterable, Codable {
  /// `device_map="sequential"`: fill GPU 0, then GPU 1, ...
  case sequential
  /// `device_map="balanced"` (and `"auto"`).
  case balanced
  /// `device_map="balanced_low_0"`.
  case balancedLow0 = "balanced_low_0"
}
