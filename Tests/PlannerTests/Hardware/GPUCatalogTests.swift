import Testing

@testable import Planner

/// Canonical names of every catalog entry, for table-driven tests.
private let catalogNames = GPUCatalog.all.map(\.name)

@Suite struct GPUCatalogTests {
  /// The catalog entry named `name` (canonical name or alias, matched as the catalog lookup matches).
  func gpu(_ name: String) throws -> GPU {
    let key = NameMatching.normalized(name)
    return try #require(
      GPUCatalog.all.first { ([$0.name] + $0.aliases).contains { NameMatching.normalized($0) == key } },
      "no GPU named \(name)")
  }

  @Test func namesAndAliasesAreUniqueAfterNormalisation() {
    var owner: [String: String] = [:]
    for gpu in GPUCatalog.all {
      for spelling in [gpu.name] + gpu.aliases {
        let key = NameMatching.normalized(spelling)
        #expect(!key.isEmpty, "\(gpu.name): empty spelling \(spelling)")
        if let other = owner[key] {
          Issue.record("\(spelling) (\(gpu.name)) collides with a spelling of \(other)")
        }
        owner[key] = gpu.name
      }
    }
  }

  @Test(arguments: [
    "P4", "P40", "P100", "V100-16G-SXM2", "V100-32G-SXM2", "V100-16G-PCIe", "V100-32G-PCIe", "T4",
    "RTX2080Ti", "RTX3090", "RTX4090", "A6000", "A10", "A10G", "L4", "L40S", "A100-40G-SXM", "A100-80G-SXM",
    "A100-40G-PCIe", "A100-80G-PCIe", "H100-SXM", "H100-PCIe", "H200",
  ])
  func requiredGPUIsPresentByCanonicalName(name: String) {
    #expect(GPUCatalog.all.contains { $0.name == name })
  }

  /// Spellings people type, and the card each must mean.
  @Test(arguments: [
    ("a100", "A100-80G-SXM"), ("A100-80GB-SXM4", "A100-80G-SXM"), ("a100-40gb", "A100-40G-SXM"),
    ("a100-pcie", "A100-80G-PCIe"), ("v100", "V100-16G-SXM2"), ("v100-32g", "V100-32G-SXM2"),
    ("h100", "H100-SXM"), ("h100-sxm5", "H100-SXM"), ("h200-141g", "H200"), ("rtx-3090", "RTX3090"),
    ("3090", "RTX3090"), ("GeForce RTX 4090", "RTX4090"), ("2080ti", "RTX2080Ti"), ("tesla-p4", "P4"),
    ("Tesla T4", "T4"), ("rtx-a6000", "A6000"), ("NVIDIA H100 80GB HBM3", "H100-SXM"),
    ("NVIDIA A100-SXM4-80GB", "A100-80G-SXM"), ("NVIDIA GeForce RTX 3090", "RTX3090"),
  ])
  func aliasNamesTheIntendedGPU(spelling: String, expected: String) throws {
    #expect(try gpu(spelling).name == expected)
  }

  @Test(arguments: catalogNames)
  func usableMemoryIsPositiveAndBelowTotal(name: String) throws {
    let card = try gpu(name)
    #expect(card.usableMemory > .zero)
    #expect(card.usableMemory < card.memory)
    // The driver reserve and the context together stay under 2 GiB on every card.
    #expect(card.memory - card.usableMemory < .gibibytes(2))
  }

  @Test(arguments: catalogNames)
  func nativeTypesFollowComputeCapability(name: String) throws {
    let card = try gpu(name)
    #expect((card.bf16FLOPS != nil) == (card.computeCapability >= 80))
    #expect((card.fp8FLOPS != nil) == (card.computeCapability >= 89))
    #expect(card.supportsBF16 == (card.bf16FLOPS != nil))
    #expect(card.supportsFP8 == (card.fp8FLOPS != nil))
  }

  @Test(arguments: catalogNames)
  func ratesArePositiveAndOrdered(name: String) throws {
    let card = try gpu(name)
    #expect(card.bandwidthBytesPerSecond > 0)
    #expect(card.fp32FLOPS > 0)
    if card.computeCapability != 61 {
      #expect(card.fp16FLOPS >= card.fp32FLOPS)
    }
    if let bf16 = card.bf16FLOPS { #expect(bf16 == card.fp16FLOPS) }
    // fp8 runs at twice fp16; datasheets round each figure (L40S: 362 and 733 TFLOPS), hence 3%.
    if let fp8 = card.fp8FLOPS { #expect(abs(fp8 / card.fp16FLOPS - 2) < 0.03) }
    // int8: none on sm_60 only; tensor cores or DP4A everywhere else.
    #expect((card.int8OPS == nil) == (card.computeCapability == 60))
  }

  @Test(arguments: catalogNames)
  func linksAreConsistent(name: String) throws {
    let card = try gpu(name)
    #expect((card.nvlinkGeneration == nil) == (card.nvlinkBytesPerSecond == nil))
    #expect(card.pcieGeneration >= 3 && card.pcieGeneration <= 5)
    if let generation = card.nvlinkGeneration { #expect((1...5).contains(generation)) }
  }

  @Test func pascalSm61RunsFP16AtOneSixtyFourth() throws {
    for name in ["P4", "P40"] {
      let card = try gpu(name)
      #expect(card.computeCapability == 61)
      #expect(card.fp16FLOPS < card.fp32FLOPS / 32)
      #expect(card.bf16FLOPS == nil)
      // DP4A: four int8 operations per fp32 lane.
      let int8 = try #require(card.int8OPS)
      #expect(abs(int8 / card.fp32FLOPS - 4) < 0.01)
    }
    for name in ["P100", "P100-SXM2"] {
      let card = try gpu(name)
      #expect(card.computeCapability == 60)
      // Twice fp32; the datasheet rounds each figure (9.3 and 18.7 TFLOPS), hence 2%.
      #expect(abs(card.fp16FLOPS / card.fp32FLOPS - 2) < 0.02)
      #expect(card.int8OPS == nil)
    }
  }

  @Test func verifiedFiguresAreExact() throws {
    #expect(try gpu("H100-SXM").memory == .mebibytes(81_559))
    #expect(try gpu("H200").memory == .mebibytes(143_771))
    #expect(try gpu("H200").usableMemory == ByteCount(150_109_880_320) - cudaContextHopper)
    #expect(try gpu("A100-80G-SXM").memory == .mebibytes(81_920))
    #expect(try gpu("A100-40G-SXM").memory == .mebibytes(40_960))
    #expect(try gpu("T4").memory == .mebibytes(15_360))
    #expect(try gpu("A10G").memory == .mebibytes(23_028))
    #expect(try gpu("A10").memory == ByteCount(24_146_608_128))
    #expect(try gpu("RTX3090").memory == .mebibytes(24_576))
    #expect(try gpu("RTX4090").memory == .mebibytes(24_564))
    #expect(try gpu("P4").bandwidthBytesPerSecond == 192e9)
    #expect(try gpu("A100-80G-SXM").bandwidthBytesPerSecond == 2039e9)
    #expect(try gpu("H200").bandwidthBytesPerSecond == 4800e9)
    #expect(try gpu("T4").computeCapability == 75)
    #expect(try gpu("T4").computeCapabilityString == "7.5")
    #expect(try gpu("H100-SXM").fp16FLOPS == 989e12)
  }

  @Test func interconnectFollowsTheFormFactor() throws {
    #expect(try gpu("P100-SXM2").nvlinkBytesPerSecond == 160e9)
    #expect(try gpu("V100-16G-SXM2").nvlinkBytesPerSecond == 300e9)
    #expect(try gpu("A100-80G-SXM").nvlinkBytesPerSecond == 600e9)
    #expect(try gpu("H100-SXM").nvlinkBytesPerSecond == 900e9)
    #expect(try gpu("H200").nvlinkGeneration == 4)
    // PCIe cards: optional bridges are not links here.
    for name in ["V100-16G-PCIe", "A100-80G-PCIe", "H100-PCIe", "RTX3090", "A6000"] {
      #expect(try gpu(name).nvlinkGeneration == nil, "\(name)")
    }
    // Stock GeForce drivers disable PCIe peer-to-peer.
    for name in ["RTX2080Ti", "RTX3090", "RTX4090"] {
      #expect(try !gpu(name).supportsPeerToPeer, "\(name)")
    }
    #expect(try gpu("A100-40G-PCIe").supportsPeerToPeer)
  }

  /// `planner gpus` lists by generation, then memory.
  @Test func catalogIsOrderedByGenerationThenMemory() {
    let generations = ["Pascal", "Volta", "Turing", "Ampere", "Ada", "Hopper", "Blackwell", "CDNA2", "CDNA3"]
    let keys = GPUCatalog.all.map { card in
      (generations.firstIndex { card.architecture.hasPrefix($0) } ?? -1, card.memory)
    }
    #expect(keys.allSatisfy { $0.0 >= 0 })
    for (a, b) in zip(keys, keys.dropFirst()) {
      #expect(a.0 < b.0 || (a.0 == b.0 && a.1 <= b.1))
    }
  }

  /// Every source carries a confidence tag: [T] third-party copy, [M] from memory of the
  /// datasheet, [meas] measured (the older entries through ref §2, the newer ones directly).
  @Test(arguments: catalogNames)
  func sourceNamesItsEvidence(name: String) throws {
    let card = try gpu(name)
    #expect(["[T]", "[M]", "[meas]"].contains { card.source.contains($0) }, "\(card.source)")
  }

  /// The cards people asked for by name (issue 12), by the spellings they type and the names
  /// nvidia-smi or rocm-smi print.
  @Test(arguments: [
    ("L40", "L40"), ("NVIDIA L40", "L40"), ("L40S", "L40S"), ("A40", "A40"), ("RTX 6000 Ada", "RTX6000Ada"),
    ("6000ada", "RTX6000Ada"), ("NVIDIA RTX 6000 Ada Generation", "RTX6000Ada"), ("RTX 4080", "RTX4080"),
    ("4070 Ti", "RTX4070Ti"), ("4060ti-16g", "RTX4060Ti-16G"), ("RTX 3060", "RTX3060-12G"),
    ("3080", "RTX3080"),
    ("3080 Ti", "RTX3080Ti"), ("A10G", "A10G"), ("H100 PCIe", "H100-PCIe"), ("H100 NVL", "H100-NVL"),
    ("NVIDIA H100 NVL", "H100-NVL"), ("GH200", "GH200"), ("H20", "H20"), ("L20", "L20"), ("B200", "B200"),
    ("MI250X", "MI250X"), ("MI300X", "MI300X"), ("AMD Instinct MI300X", "MI300X"),
  ])
  func cardsPeopleTypeAreKnown(spelling: String, expected: String) {
    #expect(GPUList.lookup(spelling)?.name == expected)
  }

  /// AMD cards name their ROCm target, and run bf16 (and fp8 on CDNA3) natively.
  @Test func amdCardsAreROCm() throws {
    let mi300x = try gpu("MI300X")
    #expect(mi300x.isROCm && mi300x.rocmTarget == "gfx942" && mi300x.targetName == "gfx942")
    #expect(mi300x.computeCapabilityString == "gfx942")
    #expect(mi300x.supportsBF16 && mi300x.supportsFP8)
    let mi250x = try gpu("MI250X")
    #expect(mi250x.rocmTarget == "gfx90a" && mi250x.supportsBF16 && !mi250x.supportsFP8)
    #expect(GPUCatalog.all.filter(\.isROCm).map(\.name) == ["MI250X", "MI300X"])
    #expect(try gpu("H100-SXM").targetName == "sm_90")
  }

  /// Unknown AMD names are offered AMD cards, not Pascal ones (MI300X once suggested P100 and V100).
  @Test func amdNamesSuggestAMDCards() {
    let closest = GPUList.closestNames(to: "MI325X")
    #expect(closest.first == "MI300X", "\(closest)")
    #expect(!closest.contains("P100") && !closest.contains("V100-16G-SXM2"), "\(closest)")
  }

  /// Figures checked against the datasheet tables quoted in the catalog's comments (third-party
  /// copies: mullet.se for the L40, hmc-tech.com for the A40, zexron.com for the MI250X).
  @Test func newEntriesMatchTheirQuotedTables() throws {
    #expect(try gpu("L40").fp16FLOPS == 181.05e12)
    #expect(try gpu("L40").bandwidthBytesPerSecond == 864e9)
    #expect(try gpu("A40").bandwidthBytesPerSecond == 696e9)
    #expect(try gpu("A40").bf16FLOPS == 149.7e12)
    // One GCD of a 383 TFLOPS, 3.2 TB/s, 128 GB module.
    #expect(try gpu("MI250X").fp16FLOPS * 2 == 383e12)
    #expect(try gpu("MI250X").memory == .gibibytes(64))
    #expect(try gpu("B200").nvlinkGeneration == 5)
    #expect(try gpu("H100-NVL").nvlinkGeneration == nil)
  }
}
