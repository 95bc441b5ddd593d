/// A device boundary the activations cross, with its cost per decode step.
public struct Hop: Sendable, Hashable {
  public internal(set) var from: Device
  public internal(set) var to: Device
  public internal(set) var link: Link
  /// Seconds per decode step (latency, bytes over the link, the runtime's host time).
  public internal(set) var seconds: Double
  /// Why the hop exists: `"activations"`, or `"logits back to GPU 0"`.
  public internal(set) var carries: String
}
