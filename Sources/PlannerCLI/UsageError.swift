import Planner

/// A usage error: one line naming the bad input and the fix; exit 64 (`EX_USAGE`).
struct UsageError: Error, Equatable, CustomStringConvertible {
  var description: String
}
