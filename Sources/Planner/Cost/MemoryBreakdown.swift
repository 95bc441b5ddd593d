/// Bytes on one device, by kind.
public struct MemoryBreakdown: Sendable, Hashable, Codable {
  public var weights: ByteCount = .zero
  public var kvCache: ByteCount = .zero
  public var activations: ByteCount = .zero
  public var reserve: ByteCount = .zero

  public init() {}

  public var total: ByteCount { weights + kvCache + activations + reserve }
}
