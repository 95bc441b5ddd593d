/// A link between two GPUs: what a hop of activations costs.
///
/// A hop costs `latencySeconds + bytes / bandwidthBytesPerSecond` (one direction). Decode hops
/// carry a few KiB, so they cost latency; prefill hops carry `tokens` times more.
public struct Link: Sendable, Hashable, Codable, CustomStringConvertible {
  public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
    /// NVLink (SXM modules, or a bridge given with `--link`).
    case nvlink
    /// PCIe peer-to-peer: one GPU writes into the other's memory.
    case pcie
    /// PCIe through host memory, where peer-to-peer is off (GeForce cards with the stock driver).
    case host
    /// The network between two nodes.
    case network
  }

  public var kind: Kind
  /// NVLink or PCIe generation (for people); 0 for the network.
  public var generation: Int
  /// One direction, bytes per second.
  public var bandwidthBytesPerSecond: Double
  public var latencySeconds: Double

  /// `"PCIe 3.0 host-staged"`, `"NVLink 4"`.
  public var description: String {
    switch kind {
    case .nvlink: "NVLink \(generation)"
    case .pcie: "PCIe \(generation).0 P2P"
    case .host: "PCIe \(generation).0 via host"
    case .network: "network"
    }
  }

  // MARK: - Constants (one direction; sources in ../shared/reference/models-and-gpus.md §3)

  /// PCIe x16 payload rate per generation: 15.75 / 31.5 / 63 GB/s theoretical (128b/130b). Measured
  /// peer-to-peer reaches about 80% of it: 54.5 GB/s pipelined GPU to GPU at gen5 on an H200 pair
  /// [meas]; so the planner uses 0.8 × theoretical for P2P.
  static func pciePeerToPeer(generation: Int) -> Double {
    let theoretical: Double = generation >= 5 ? 63e9 : generation == 4 ? 31.5e9 : 15.75e9
    return 0.8 * theoretical
  }

  /// Host-staged copies go GPU to host to GPU: gen4 boxes measure 20-22.4 GB/s one way
  /// (NVIDIA/nccl#814, 70% of 31.5); gen3 8-10 GB/s [M]; so 0.6 × theoretical.
  static func pcieHostStaged(generation: Int) -> Double { 0.6 * pciePeerToPeer(generation: generation) / 0.8 }

  /// GPU-side latency of a small peer copy: 1.8-2.3 µs with P2P (NVLink node), 11-20 µs without
  /// (NVIDIA/cuda-samples#230). PCIe P2P round trip ≈ 2 µs.
  static let peerLatencySeconds = 2e-6
  static let hostStagedLatencySeconds = 15e-6
  /// Between nodes: an InfiniBand/RoCE send of a small message, ~5 µs, at 25 GB/s (200 Gb/s HDR),
  /// an estimate for a typical cluster; override with --link.
  static let networkLatencySeconds = 5e-6
  static let networkBandwidth = 25e9

  /// NVLink one-direction bandwidth per generation (total bidirectional / 2): NVLink 1 80 GB/s
  /// (P100), 2 150 (V100), 3 300 (A100), 4 450 (H100/H200); measured 394.6 GB/s one way between
  /// two H200s [meas], so 0.85 × the datasheet.
  static func nvlink(totalBidirectional: Double) -> Double { 0.85 * totalBidirectional / 2 }

  /// The link the planner assumes between two GPUs of one host: NVLink when both are NVLink
  /// modules, PCIe peer-to-peer when both allow it (at the lower generation), host-staged otherwise.
  public static func between(_ a: GPU, _ b: GPU) -> Link {
    let generation = min(a.pcieGeneration, b.pcieGeneration)
    if let x = a.nvlinkBytesPerSecond, let y = b.nvlinkBytesPerSecond, a.nvlinkGeneration != nil,
      b.nvlinkGeneration != nil
    {
      return Link(
        kind: .nvlink, generation: min(a.nvlinkGeneration!, b.nvlinkGeneration!),
        bandwidthBytesPerSecond: nvlink(totalBidirectional: min(x, y)), latencySeconds: peerLatencySeconds)
    }
    if a.supportsPeerToPeer && b.supportsPeerToPeer {
      return Link(
        kind: .pcie, generation: generation, bandwidthBytesPerSecond: pciePeerToPeer(generation: generation),
        latencySeconds: peerLatencySeconds)
    }
    return make(.host, between: a, b)
  }

  /// A link of a given kind between two GPUs (`--link` overrides what `between` infers).
  public static func make(_ kind: Kind, between a: GPU, _ b: GPU) -> Link {
    let generation = min(a.pcieGeneration, b.pcieGeneration)
    switch kind {
    case .nvlink:
      let total = min(a.nvlinkBytesPerSecond ?? 112.5e9, b.nvlinkBytesPerSecond ?? 112.5e9)
      return Link(
        kind: .nvlink, generation: min(a.nvlinkGeneration ?? 3, b.nvlinkGeneration ?? 3),
        bandwidthBytesPerSecond: nvlink(totalBidirectional: total), latencySeconds: peerLatencySeconds)
    case .pcie:
      return Link(
        kind: .pcie, generation: generation, bandwidthBytesPerSecond: pciePeerToPeer(generation: generation),
        latencySeconds: peerLatencySeconds)
    case .host:
      return Link(
        kind: .host, generation: generation, bandwidthBytesPerSecond: pcieHostStaged(generation: generation),
        latencySeconds: hostStagedLatencySeconds)
    case .network:
      return Link(
        kind: .network, generation: 0, bandwidthBytesPerSecond: networkBandwidth,
        latencySeconds: networkLatencySeconds)
    }
  }

  /// Seconds to move `bytes` one way.
  public func seconds(bytes: Int64) -> Double { latencySeconds + Double(bytes) / bandwidthBytesPerSecond }
}
