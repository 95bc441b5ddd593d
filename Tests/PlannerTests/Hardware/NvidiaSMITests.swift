import Foundation
import Testing

@testable import Planner

/// Parsing recorded `nvidia-smi` outputs (fixtures/nvidia-smi; see its README for where each
/// recording comes from).
@Suite struct NvidiaSMITests {
  func recorded(_ box: String, _ file: String) throws -> String {
    String(decoding: try Fixtures.data("nvidia-smi/\(box)/\(file)"), as: UTF8.self)
  }

  /// Recorded byte for byte on an H200 (driver 580.159.04): one GPU, a one-cell matrix.
  @Test func aRecordedH200Parses() throws {
    let rows = try NvidiaSMI.parseQuery(try recorded("h200-single", "query.csv"))
    #expect(
      rows == [
        NvidiaSMI.Row(
          index: 0, name: "NVIDIA H200", memoryTotalMiB: 143_771, memoryUsedMiB: 0,
          pciBusID: "00000000:00:06.0",
          computeCapability: 90)
      ])
    let text = try recorded("h200-single", "topo.txt")
    #expect(text.contains("\u{1B}[4mGPU0"))
    #expect(try NvidiaSMI.parseTopology(text, gpuCount: 1).isEmpty)
    // The catalog's H200 total is this machine's (143771 MiB), so it matches.
    #expect(LocalGPUs(rows: rows).gpus.map(\.name) == ["H200"])
  }

  @Test func theQueryOfAMixedConsumerBoxParses() throws {
    let rows = try NvidiaSMI.parseQuery(try recorded("consumer-4090-3090", "query.csv"))
    #expect(rows.count == 2)
    #expect(
      rows[0]
        == NvidiaSMI.Row(
          index: 0, name: "NVIDIA GeForce RTX 4090", memoryTotalMiB: 24564, memoryUsedMiB: 1377,
          pciBusID: "00000000:01:00.0", computeCapability: 89))
    #expect(rows[1].name == "NVIDIA GeForce RTX 3090")
    #expect(rows[1].computeCapability == 86)
  }

  /// The header of `topo -m` carries terminal escape codes (`ESC[4m ... ESC[0m`) even when piped.
  @Test func aPHBMatrixWithEscapeCodesParses() throws {
    let text = try recorded("consumer-4090-3090", "topo.txt")
    #expect(text.contains("\u{1B}[4m"))
    let pairs = try NvidiaSMI.parseTopology(text, gpuCount: 2)
    #expect(pairs == [Topology.Pair(0, 1): .phb])
  }

  /// Eight NVSwitch-connected H100s: every pair NV18; the NIC columns and rows are ignored.
  @Test func anEightGPUNVLinkServerParses() throws {
    let rows = try NvidiaSMI.parseQuery(try recorded("dgx-8xh100", "query.csv"))
    #expect(rows.map(\.index) == Array(0..<8))
    #expect(Set(rows.map(\.name)) == ["NVIDIA H100 80GB HBM3"])
    let pairs = try NvidiaSMI.parseTopology(try recorded("dgx-8xh100", "topo.txt"), gpuCount: 8)
    #expect(pairs.count == 28)
    #expect(pairs.values.allSatisfy { $0 == .nvlink(links: 18) })
  }

  @Test(arguments: [
    ("PIX", NvidiaSMI.Connection.pix), ("PXB", .pxb), ("PHB", .phb), ("NODE", .node), ("SYS", .sys),
    ("NV4", .nvlink(links: 4)), ("NV12", .nvlink(links: 12)),
  ])
  func everyConnectionKindParses(text: String, expected: NvidiaSMI.Connection) throws {
    let matrix = "\tGPU0\tGPU1\tCPU Affinity\nGPU0\t X \t\(text)\t0-7\nGPU1\t\(text)\t X \t0-7\n"
    #expect(try NvidiaSMI.parseTopology(matrix, gpuCount: 2) == [Topology.Pair(0, 1): expected])
  }

  /// NVLink and cross-socket paths decide the link; PCIe paths leave it to the cards.
  @Test func connectionsMapToLinkKinds() {
    #expect(NvidiaSMI.Connection.nvlink(links: 18).linkKind == .nvlink)
    #expect(NvidiaSMI.Connection.sys.linkKind == .host)
    #expect([NvidiaSMI.Connection.pix, .pxb, .phb, .node].allSatisfy { $0.linkKind == nil })
  }

  @Test(arguments: [
    "", "0, NVIDIA GeForce RTX 4090, 24564", "x, NVIDIA T4, 15360, 0, 00000000:01:00.0, 7.5",
    "0, NVIDIA T4, -5, 0, 00000000:01:00.0, 7.5", "0, , 15360, 0, 00000000:01:00.0, 7.5",
    "99, NVIDIA T4, 15360, 0, 00000000:01:00.0, 7.5",
  ])
  func aMalformedQueryIsRefusedWithTheLine(text: String) {
    #expect(throws: NvidiaSMI.ParseError.self) { try NvidiaSMI.parseQuery(text) }
  }

  /// Fields the driver cannot read print `[N/A]`: used memory counts as 0, compute capability unknown.
  @Test func notAvailableFieldsAreTolerated() throws {
    let rows = try NvidiaSMI.parseQuery("0, Tesla P4, 7680, [N/A], 00000000:03:00.0, [N/A]\n")
    #expect(rows[0].memoryUsedMiB == 0)
    #expect(rows[0].computeCapability == nil)
  }

  @Test func aMatrixMissingAPairOrWithAnUnknownCellIsRefused() {
    #expect(throws: NvidiaSMI.ParseError.self) { try NvidiaSMI.parseTopology("no matrix here", gpuCount: 2) }
    #expect(throws: NvidiaSMI.ParseError.self) {
      try NvidiaSMI.parseTopology("\tGPU0\tGPU1\nGPU0\t X \tWARP\nGPU1\tWARP\t X \n", gpuCount: 2)
    }
    #expect(throws: NvidiaSMI.ParseError.self) {
      try NvidiaSMI.parseTopology("\tGPU0\tGPU1\tGPU2\nGPU0\t X \tPHB\nGPU1\tPHB\t X \n", gpuCount: 3)
    }
  }
}

/// Random outputs built from the pieces real ones contain never trap and answer in bounded time.
@Suite struct NvidiaSMIHostileTests {
  static let pieces = [
    "GPU0", "GPU1", "GPU-1", "GPU99999999999999999999", "\t", " X ", "NV18", "NV0", "NV", "PHB", "SYS", "\n",
    ",", "0", "-1", "24564", "8.9", "9.9.9", "[N/A]", "NVIDIA GeForce RTX 4090", "\u{1B}[4m", "\u{1B}",
    "CPU Affinity",
    "NIC0", "", "00000000:01:00.0",
  ]

  @Test func randomOutputsNeverTrap() {
    var random = SplitMix64(seed: 12)
    for _ in 0..<3000 {
      var text = ""
      for _ in 0..<Int(random.next() % 40) {
        text += Self.pieces[Int(random.next() % UInt64(Self.pieces.count))]
      }
      _ = try? NvidiaSMI.parseQuery(text)
      _ = try? NvidiaSMI.parseTopology(text, gpuCount: Int(random.next() % 9))
    }
  }
}
