/// Saturating arithmetic for sizes, counts and times that come from user input: a 10M-token
/// context at batch 65536 with eager attention asks for more than 2^63 bytes, which must read as
/// "far too much", not trap. Every size derived from input goes through these (and
/// ``ByteCount``'s operators, which call them): the one checked path.
extension Int64 {
  /// The product, or `Int64.max` where it would overflow (all factors are non-negative sizes). A
  /// zero factor anywhere makes the product zero, however large the others (as a tensor with a
  /// zero dimension holds nothing).
  public static func saturatingProduct(_ factors: Int64...) -> Int64 { saturatingProduct(of: factors) }

  /// ``saturatingProduct(_:)`` of a sequence (a tensor's shape).
  public static func saturatingProduct(of factors: some Sequence<Int64>) -> Int64 {
    var result: Int64 = 1
    var saturated = false
    for factor in factors {
      if factor == 0 { return 0 }
      if saturated { continue }
      let (product, overflow) = result.multipliedReportingOverflow(by: factor)
      if overflow {
        // The sign of the product of non-negative sizes; a negative factor never reaches here.
        saturated = true
        result = .max
      } else {
        result = product
      }
    }
    return result
  }

  /// The sum, or `Int64.max` (`Int64.min`) where it would overflow upwards (downwards).
  public func saturatingAdd(_ other: Int64) -> Int64 {
    let (sum, overflow) = addingReportingOverflow(other)
    guard overflow else { return sum }
    return other > 0 ? .max : .min
  }

  /// The difference, or `Int64.max` (`Int64.min`) where it would overflow upwards (downwards).
  public func saturatingSubtract(_ other: Int64) -> Int64 {
    let (difference, overflow) = subtractingReportingOverflow(other)
    guard overflow else { return difference }
    return other < 0 ? .max : .min
  }

  /// A finite or infinite `Double` as an `Int64`, clamped to the range (NaN is 0): for sizes
  /// computed in floating point, such as a budget fraction of a GPU's memory.
  public init(saturating value: Double) {
    if value.isNaN {
      self = 0
    } else if value >= 9_223_372_036_854_775_807.0 {
      self = .max
    } else if value <= -9_223_372_036_854_775_808.0 {
      self = .min
    } else {
      self = Int64(value)
    }
  }
}
