/// Saturating arithmetic for sizes that come from user input: a 10M-token context at batch 65536
/// with eager attention asks for more than 2^63 bytes, which must read as "far too much", not trap.
extension Int64 {
  /// The product, or `Int64.max` where it would overflow (all factors are non-negative sizes).
  static func saturatingProduct(_ factors: Int64...) -> Int64 {
    var result: Int64 = 1
    for factor in factors {
      let (product, overflow) = result.multipliedReportingOverflow(by: factor)
      if overflow { return .max }
      result = product
    }
    return result
  }

  /// The sum, or `Int64.max` where it would overflow.
  func saturatingAdd(_ other: Int64) -> Int64 {
    let (sum, overflow) = addingReportingOverflow(other)
    return overflow ? .max : sum
  }
}
