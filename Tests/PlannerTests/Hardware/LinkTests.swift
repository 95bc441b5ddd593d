import Testing

@testable import Planner

@Suite struct LinkTests {
  static func gpu(_ name: String) throws -> GPU {
    try #require(GPUCatalog.all.first { $0.name == name })
  }

  static func isClose(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * max(abs(a), abs(b)) }

  // MARK: - Inferred links

  /// What `Link.between` infers for a pair of catalog cards.
  struct Case: Sendable, CustomTestStringConvertible {
    var a: String
    var b: String
    var kind: Link.Kind
    var generation: Int
    var bandwidth: Double
    var latency: Double
    var description: String

    var testDescription: String { "\(a) + \(b): \(description)" }
  }

  static let cases: [Case] = [
    // NVLink 4: 900 GB/s both ways, 450 one way, 85% of it measured.
    Case(
      a: "H100-SXM", b: "H100-SXM", kind: .nvlink, generation: 4, bandwidth: 0.85 * 450e9, latency: 2e-6,
      description: "NVLink 4"),
    Case(
      a: "A100-80G-SXM", b: "A100-80G-SXM", kind: .nvlink, generation: 3, bandwidth: 0.85 * 300e9,
      latency: 2e-6, description: "NVLink 3"),
    // PCIe 4.0 x16: 31.5 GB/s, 80% peer to peer.
    Case(
      a: "A100-80G-PCIe", b: "A100-80G-PCIe", kind: .pcie, generation: 4, bandwidth: 0.8 * 31.5e9,
      latency: 2e-6, description: "PCIe 4.0 P2P"),
    // GeForce: no P2P, staged through the host at 60% of 31.5 GB/s.
    Case(
      a: "RTX4090", b: "RTX4090", kind: .host, generation: 4, bandwidth: 0.6 * 31.5e9, latency: 15e-6,
      description: "PCIe 4.0 via host"),
    Case(
      a: "P4", b: "T4", kind: .pcie, generation: 3, bandwidth: 0.8 * 15.75e9, latency: 2e-6,
      description: "PCIe 3.0 P2P"),
    // The lower generation of the two.
    Case(
      a: "P4", b: "A100-80G-PCIe", kind: .pcie, generation: 3, bandwidth: 0.8 * 15.75e9, latency: 2e-6,
      description: "PCIe 3.0 P2P"),
    Case(
      a: "H100-PCIe", b: "H100-PCIe", kind: .pcie, generation: 5, bandwidth: 0.8 * 63e9, latency: 2e-6,
      description: "PCIe 5.0 P2P"),
    // NVLink needs both ends: an SXM module and a PCIe card talk over PCIe.
    Case(
      a: "H100-SXM", b: "H100-PCIe", kind: .pcie, generation: 5, bandwidth: 0.8 * 63e9, latency: 2e-6,
      description: "PCIe 5.0 P2P"),
    // P2P needs both ends too.
    Case(
      a: "RTX4090", b: "L40S", kind: .host, generation: 4, bandwidth: 0.6 * 31.5e9, latency: 15e-6,
      description: "PCIe 4.0 via host"),
  ]

  @Test(arguments: cases)
  func inferredLink(_ expected: Case) throws {
    let a = try Self.gpu(expected.a)
    let b = try Self.gpu(expected.b)
    for link in [Link.between(a, b), Link.between(b, a)] {
      #expect(link.kind == expected.kind)
      #expect(link.generation == expected.generation)
      #expect(Self.isClose(link.bandwidthBytesPerSecond, expected.bandwidth))
      #expect(link.latencySeconds == expected.latency)
      #expect(link.description == expected.description)
    }
  }

  @Test func topologyUsesTheInferredLinkForEveryPair() throws {
    let gpus = [try Self.gpu("H100-SXM"), try Self.gpu("H100-SXM"), try Self.gpu("H100-PCIe")]
    let topology = Topology(gpus: gpus)
    #expect(topology.link(from: 0, to: 1).kind == .nvlink)
    #expect(topology.link(from: 1, to: 0).kind == .nvlink)
    #expect(topology.link(from: 0, to: 2).kind == .pcie)
    #expect(topology.link(from: 2, to: 1) == Link.between(gpus[2], gpus[1]))
  }

  // MARK: - Overrides

  @Test func overrideOfEveryPair() throws {
    let parsed = try Topology.overrides(parsing: "pcie", gpuCount: 2)
    #expect(parsed.all == .pcie)
    #expect(parsed.pairs.isEmpty)
    #expect(try Topology.overrides(parsing: "NVLink", gpuCount: 2).all == .nvlink)
  }

  @Test func overridesOfSomePairs() throws {
    let parsed = try Topology.overrides(parsing: "0-1:nvlink,2-1:HOST", gpuCount: 3)
    #expect(parsed.all == nil)
    #expect(parsed.pairs == [Topology.Pair(0, 1): .nvlink, Topology.Pair(1, 2): .host])
  }

  /// An override applies in both directions; other pairs keep the inferred link.
  @Test func topologyAppliesOverrides() throws {
    let a100 = try Self.gpu("A100-80G-PCIe")
    let gpus = [a100, a100, a100]
    let parsed = try Topology.overrides(parsing: "0-1:nvlink,1-2:host", gpuCount: 3)
    let topology = Topology(gpus: gpus, all: parsed.all, pairs: parsed.pairs)
    #expect(topology.link(from: 0, to: 1).kind == .nvlink)
    #expect(topology.link(from: 1, to: 0).kind == .nvlink)
    // A PCIe card with a bridge: NVLink 3 at 112.5 GB/s total, 85% of half of it.
    #expect(topology.link(from: 0, to: 1).generation == 3)
    #expect(Self.isClose(topology.link(from: 0, to: 1).bandwidthBytesPerSecond, 0.85 * 112.5e9 / 2))
    #expect(topology.link(from: 2, to: 1) == Link.make(.host, between: a100, a100))
    #expect(topology.link(from: 2, to: 1).latencySeconds == 15e-6)
    #expect(topology.link(from: 0, to: 2) == Link.between(a100, a100))

    let everywhere = Topology(gpus: gpus, all: .network, pairs: [Topology.Pair(0, 2): .pcie])
    #expect(everywhere.link(from: 0, to: 1).kind == .network)
    #expect(everywhere.link(from: 2, to: 0).kind == .pcie)
  }

  /// Rejected `--link` values, each with a one-line message naming the item.
  @Test(arguments: [
    ("0-0:pcie", 2, "'0-0:pcie'"),
    ("0-5:pcie", 2, "outside 0 to 1"),
    ("0-1:foo", 2, "is not I-J:KIND"),
    ("0-1", 2, "is not I-J:KIND"),
    ("0:1:pcie", 2, "is not I-J:KIND"),
    ("a-b:pcie", 2, "is not I-J:KIND"),
    ("0-1:pcie,1-2:nvlink", 2, "'1-2:nvlink' names GPUs outside 0 to 1"),
    ("bogus", 2, "is not I-J:KIND"),
  ])
  func rejectedOverrides(text: String, gpuCount: Int, message: String) {
    let error = #expect(throws: Topology.ParseError.self) {
      try Topology.overrides(parsing: text, gpuCount: gpuCount)
    }
    let description = error?.description ?? ""
    #expect(description.contains(message), "\(description)")
    #expect(!description.contains("\n"), "\(description)")
  }

  @Test func messageForAKindListsTheKinds() {
    let error = #expect(throws: Topology.ParseError.self) {
      try Topology.overrides(parsing: "0-1:foo", gpuCount: 2)
    }
    #expect(
      error?.description
        == "'0-1:foo' is not I-J:KIND (for example 0-1:nvlink; kinds: nvlink, pcie, host, network)")
  }

  /// `0-0` names GPU 0 twice: both ends are inside 0 to 1, so the message should say that a
  /// link joins two different GPUs.
  @Test func messageForALinkFromAGPUToItself() {
    do {
      _ = try Topology.overrides(parsing: "0-0:pcie", gpuCount: 2)
      Issue.record("0-0:pcie accepted")
    } catch {
      do {
        #expect(!error.description.contains("outside"), "\(error.description)")
      }
    }
  }

  /// Negative or doubled-dash ends are typos, not GPU numbers.
  @Test(arguments: ["-0-1:pcie", "0--1:pcie", "0-1-:pcie"])
  func malformedEndsAreRejected(text: String) {
    do {
      #expect(throws: Topology.ParseError.self) { try Topology.overrides(parsing: text, gpuCount: 2) }
    }
  }

  // MARK: - Hop cost

  /// Seconds are latency plus bytes over bandwidth.
  @Test func secondsAreLatencyPlusTransfer() throws {
    let link = Link.between(try Self.gpu("P4"), try Self.gpu("P4"))
    #expect(Self.isClose(link.seconds(bytes: 0), 2e-6))
    #expect(Self.isClose(link.seconds(bytes: 12_600_000), 2e-6 + 1e-3))
  }

  /// A 7 KiB decode hop (Qwen2-7B, batch 1, fp16) costs about its latency: on PCIe 5.0 the
  /// transfer is under 10% of the link's time, and with transformers' host time per hop under 10%
  /// of the hop even on PCIe 3.0. (On a bare PCIe 3.0 link it is 22%: 0.57 µs of 2.57 µs.)
  @Test func decodeHopCostsAboutItsLatency() throws {
    let bytes: Int64 = 7 * 1024
    let gen5 = Link.between(try Self.gpu("H100-PCIe"), try Self.gpu("H100-PCIe"))
    let transfer5 = Double(bytes) / gen5.bandwidthBytesPerSecond
    #expect(transfer5 < 0.1 * gen5.seconds(bytes: bytes))

    let gen3 = Link.between(try Self.gpu("P4"), try Self.gpu("P4"))
    let model = try #require(ModelCatalog.entry(named: "qwen2-7b")).build()
    let memory = MemoryModel(
      model: model, workload: Workload(), weightDType: .fp16, computeDType: .fp16, runtime: .transformers)
    let hop = CostModel(memory: memory).hop(bytes: bytes, on: gen3)
    let transfer3 = Double(bytes) / gen3.bandwidthBytesPerSecond
    #expect(transfer3 < 0.1 * hop)
    #expect(Self.isClose(hop, gen3.latencySeconds + transfer3 + 22e-6))
  }
}
