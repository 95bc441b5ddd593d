/// How the output prints an estimate's range (``EstimateRange``), in brackets right after the
/// estimate: `66.10 ms/token [52.88–89.24 ms]`, `15.1 tokens/s [11.2–18.9]`, and `[at best]` for
/// the roofline's bounds. Ends through ``DurationFormatting``, so a range always renders the same
/// text.
enum RangeFormatting {
  /// `"[52.88–89.24 ms]"`; the unit once where both ends share it (`"[950.0 µs–1.28 ms]"` where
  /// not).
  static func seconds(_ range: EstimateRange) -> String {
    if range.isBound { return "[at best]" }
    let low = DurationFormatting.seconds(range.low)
    let high = DurationFormatting.seconds(range.high)
    let lowParts = low.split(separator: " ")
    let highParts = high.split(separator: " ")
    if lowParts.count == 2, highParts.count == 2, lowParts[1] == highParts[1] {
      return "[\(lowParts[0])–\(high)]"
    }
    return "[\(low)–\(high)]"
  }

  /// `"[11.2–18.9]"` (tokens per second).
  static func rate(_ range: EstimateRange) -> String {
    range.isBound
      ? "[at best]" : "[\(DurationFormatting.rate(range.low))–\(DurationFormatting.rate(range.high))]"
  }
}
