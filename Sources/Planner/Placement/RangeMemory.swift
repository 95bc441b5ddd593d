/// Incremental memory of a growing range of units on one GPU: each extension is O(1).
struct RangeMemory {
  var fixed: Int64 = 0
  var peak: Int64 = 0
  var runsText = false

  mutating func add(_ term: (fixed: Int64, transient: Int64, runsText: Bool)) {
    fixed = fixed.saturatingAdd(term.fixed)
    peak = max(peak, term.transient)
    runsText = runsText || term.runsText
  }

  func total(residual: Int64, reserve: Int64) -> Int64 {
    fixed.saturatingAdd(peak).saturatingAdd(runsText ? residual : 0).saturatingAdd(reserve)
  }
}
