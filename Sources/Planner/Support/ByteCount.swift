/// An exact number of bytes.
///
/// Sizes are integers so that arithmetic is exact and output never drifts between machines.
/// Rendering goes through one formatter (``formatted(_:)``) with fixed decimals.
///
///     let size: ByteCount = .gibibytes(7)
///     size.formatted()  // "7.00 GiB"
public struct ByteCount: Sendable, Hashable, Comparable, Codable, AdditiveArithmetic,
  ExpressibleByIntegerLiteral, CustomStringConvertible
{
  /// The number of bytes.
  public var value: Int64

  public init(_ value: Int64) { self.value = value }
  public init(integerLiteral value: Int64) { self.value = value }

  public static let zero = ByteCount(0)
  public static func kibibytes(_ n: Int64) -> ByteCount { ByteCount(n << 10) }
  public static func mebibytes(_ n: Int64) -> ByteCount { ByteCount(n << 20) }
  public static func gibibytes(_ n: Int64) -> ByteCount { ByteCount(n << 30) }

  /// Sums and differences saturate at `Int64.max` and `Int64.min` (sizes derived from extreme
  /// workloads must not trap: a budget less saturated weights less a saturated peak is `Int64.min`).
  public static func + (a: ByteCount, b: ByteCount) -> ByteCount { ByteCount(a.value.saturatingAdd(b.value)) }
  public static func - (a: ByteCount, b: ByteCount) -> ByteCount {
    ByteCount(a.value.saturatingSubtract(b.value))
  }
  public static func * (a: ByteCount, n: Int64) -> ByteCount { ByteCount(.saturatingProduct(a.value, n)) }
  public static func < (a: ByteCount, b: ByteCount) -> Bool { a.value < b.value }

  public init(from decoder: any Decoder) throws {
    value = try decoder.singleValueContainer().decode(Int64.self)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(value)
  }

  public var description: String { formatted() }

  /// Renders the size in binary units with two decimals: `"512 B"`, `"1.50 KiB"`, `"7.45 GiB"`.
  ///
  /// The unit is the largest of KiB, MiB, GiB, TiB that keeps the number at 1 or more. Rounding is
  /// half-up on the exact integer value, so the same size always renders the same text.
  public func formatted() -> String {
    let units: [(String, Int64)] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
    let magnitude = value.magnitude
    for (name, size) in units where magnitude >= UInt64(size) {
      return (value < 0 ? "-" : "") + Self.fixed2(magnitude, per: UInt64(size)) + " " + name
    }
    return "\(value) B"
  }

  /// The size in GiB with two decimals and no unit (`"7.45"`), as vLLM prints its memory lines.
  public var gibibytes: String { (value < 0 ? "-" : "") + Self.fixed2(value.magnitude, per: 1 << 30) }

  /// `n / per` with two decimals, rounded half-up, using integers only.
  static func fixed2(_ n: UInt64, per: UInt64) -> String {
    let (hundredths, overflow) = n.multipliedReportingOverflow(by: 100)
    let scaled = overflow ? (n / per) * 100 + ((n % per) * 100 + per / 2) / per : (hundredths + per / 2) / per
    let whole = scaled / 100
    let fraction = scaled % 100
    return "\(whole)." + (fraction < 10 ? "0" : "") + "\(fraction)"
  }
}
