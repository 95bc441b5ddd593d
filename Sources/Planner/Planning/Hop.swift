/// A device boundary the activations cross, with its cost per decode step.
public struct Hop: Sendable, Hashable {
  public var from: Device
  public var to: Device
  public var link: Link
  /// Seconds per decode step (latency, bytes over the link, the runtime's host time).
  public var seconds: Double
  /// Why the hop exists: `"activations"`, or `"logits back to GPU 0"`.
  public var carries: String
}
