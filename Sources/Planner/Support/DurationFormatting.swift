import Foundation

/// The one formatter for times and rates in the planner's output: fixed decimals, chosen by
/// magnitude, rounded half away from zero. The same value always renders the same text.
enum DurationFormatting {
  /// `"45.0 µs"`, `"26.04 ms"`, `"1.234 s"`.
  static func seconds(_ value: Double) -> String {
    guard value.isFinite else { return "-" }
    if value < 1e-3 { return fixed(value * 1e6, decimals: 1) + " µs" }
    if value < 1 { return fixed(value * 1e3, decimals: 2) + " ms" }
    return fixed(value, decimals: 3) + " s"
  }

  /// `"38.4"`.
  static func rate(_ value: Double) -> String { value.isFinite ? fixed(value, decimals: 1) : "-" }

  /// Largest magnitude printed in fixed notation: beyond it (a GPU of 1e-15 GB/s takes 10^22 s
  /// a step) the scaled value no longer fits the 64-bit integer the digits are taken from, and
  /// the time is shown in exponent notation (`"1.235e+22 s"`), still deterministic.
  static let largestFixed = 1e15

  static func fixed(_ value: Double, decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    guard abs(value) < largestFixed else { return String(format: "%.3e", value) }
    let scaled = Int64((value * scale).rounded(.toNearestOrAwayFromZero))
    let whole = scaled / Int64(scale)
    let fraction = String(abs(scaled % Int64(scale)))
    let padded = String(repeating: "0", count: max(0, decimals - fraction.count)) + fraction
    return (scaled < 0 && whole == 0 ? "-" : "") + "\(whole)" + (decimals > 0 ? "." + padded : "")
  }

  /// Seconds rounded to the nanosecond, for JSON (so that the last bits of a computation never
  /// show in output).
  static func json(_ value: Double) -> Double { (value * 1e9).rounded(.toNearestOrAwayFromZero) / 1e9 }

  /// `1234567` as `1,234,567`.
  static func groupedDigits(_ n: Int64) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (index, character) in digits.enumerated() {
      if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
      out.append(character)
    }
    return (n < 0 ? "-" : "") + out
  }
}
