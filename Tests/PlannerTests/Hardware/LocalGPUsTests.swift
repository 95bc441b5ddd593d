import Testing

@testable import Planner

@Suite struct LocalGPUsTests {
  func row(_ index: Int, _ name: String, _ total: Int64, used: Int64 = 0, cc: Int? = 89) -> NvidiaSMI.Row {
    NvidiaSMI.Row(
      index: index, name: name, memoryTotalMiB: total, memoryUsedMiB: used,
      pciBusID: "00000000:0\(index):00.0",
      computeCapability: cc)
  }

  @Test func namesAsNvidiaSMIPrintsThemMatchTheCatalog() {
    let local = LocalGPUs(rows: [
      row(0, "NVIDIA GeForce RTX 4090", 24564), row(1, "NVIDIA GeForce RTX 3090", 24576, cc: 86),
      row(2, "Tesla T4", 15360, cc: 75), row(3, "NVIDIA H100 80GB HBM3", 81559, cc: 90),
    ])
    #expect(local.gpus.map(\.name) == ["RTX4090", "RTX3090", "T4", "H100-SXM"])
    #expect(local.notes.isEmpty)
  }

  /// A card whose memory disagrees with the entry its name matches is not taken for it.
  @Test func aCardWithOtherMemoryThanItsNamesakeIsCustom() {
    let local = LocalGPUs(rows: [row(0, "NVIDIA GeForce RTX 4090", 12288)])
    #expect(local.gpus[0].name == "NVIDIA GeForce RTX 4090")
    #expect(local.gpus[0].memory == .mebibytes(12288))
    #expect(local.notes.count == 1)
  }

  /// An unknown card: memory and compute capability from nvidia-smi, speeds flagged as placeholders.
  @Test func anUnknownCardBecomesACustomSpecWithANote() throws {
    let local = LocalGPUs(rows: [row(0, "NVIDIA RTX A4000", 16376, cc: 86)])
    let gpu = local.gpus[0]
    #expect(gpu.memory == .mebibytes(16376))
    #expect(gpu.computeCapability == 86)
    #expect(gpu.supportsBF16)
    #expect(gpu.usableMemory < gpu.memory)
    let note = try #require(local.notes.first)
    #expect(note.contains("not in the catalog") && note.contains("--gpu-spec"), "\(note)")
  }

  /// `--free-memory` plans on usable memory less what is in use now.
  @Test func freeMemorySubtractsWhatIsInUse() {
    let all = LocalGPUs(rows: [row(0, "NVIDIA GeForce RTX 4090", 24564, used: 4096)])
    let free = LocalGPUs(rows: [row(0, "NVIDIA GeForce RTX 4090", 24564, used: 4096)], freeMemory: true)
    #expect(all.gpus[0].usableMemory - free.gpus[0].usableMemory == .mebibytes(4096))
    #expect(free.notes.contains { $0.contains("4096 MiB in use") })
    let full = LocalGPUs(rows: [row(0, "NVIDIA GeForce RTX 4090", 24564, used: 24564)], freeMemory: true)
    #expect(full.gpus[0].usableMemory == .zero)
  }

  /// The matrix decides NVLink and cross-socket links: two SXM H100s that `topo -m` shows behind
  /// a host bridge are not given NVLink, and a SYS pair is host-staged.
  @Test func theMatrixOverridesTheInferredLinks() {
    let rows = [
      row(0, "NVIDIA H100 80GB HBM3", 81559, cc: 90), row(1, "NVIDIA H100 80GB HBM3", 81559, cc: 90),
    ]
    let inferred = LocalGPUs(rows: rows)
    #expect(inferred.topology.link(from: 0, to: 1).kind == .nvlink)
    let nvlink = LocalGPUs(rows: rows, connections: [Topology.Pair(0, 1): .nvlink(links: 18)])
    #expect(nvlink.topology.link(from: 0, to: 1).kind == .nvlink)
    let sys = LocalGPUs(rows: rows, connections: [Topology.Pair(0, 1): .sys])
    #expect(sys.topology.link(from: 0, to: 1).kind == .host)
    // A PCIe path leaves it to the cards: the 4090 has no peer-to-peer, so host-staged.
    let consumer = LocalGPUs(
      rows: [row(0, "NVIDIA GeForce RTX 4090", 24564), row(1, "NVIDIA GeForce RTX 3090", 24576, cc: 86)],
      connections: [Topology.Pair(0, 1): .phb])
    #expect(consumer.topology.link(from: 0, to: 1).kind == .host)
  }
}
