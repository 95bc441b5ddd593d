/// Seconds for some work, and what bounds it.
public struct Timing: Sendable, Hashable {
  public var seconds: Double
  public var bound: Bound
}
