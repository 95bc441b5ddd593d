/// Why a request cannot be planned at all (as opposed to a plan that does not fit).
public struct PlanningError: Error, Equatable, CustomStringConvertible {
  public var description: String
}
