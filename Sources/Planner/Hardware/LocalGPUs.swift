/// The GPUs of this machine (`--gpus local`), from what `nvidia-smi` reports (``NvidiaSMI``).
///
/// Each GPU is the catalog entry its name matches (``GPUList/lookup(_:in:)``, vendor words
/// ignored) when its memory agrees with the entry's within ``memoryTolerance`` (so a 4060 Ti 8 GB,
/// which prints the same name as the 16 GB card, is not taken for it); any other card becomes a
/// custom GPU from what `nvidia-smi` says, with a note that its speeds are placeholders.
public struct LocalGPUs: Sendable {
  /// The GPUs in `nvidia-smi` index order (the order CUDA uses with `CUDA_DEVICE_ORDER=PCI_BUS_ID`).
  public var gpus: [GPU]
  /// The links `topo -m` reports (`NV#` as NVLink, `SYS` as host-staged); pairs missing use the
  /// cards' own inference.
  public var topology: Topology
  /// What the plan should say about them (unknown cards, free memory).
  public var notes: [String]

  /// The largest relative difference between the memory `nvidia-smi` reports and the catalog's
  /// for one card to be that entry: totals differ across drivers by a few hundred MiB (ECC, the
  /// reserved area), while variants sold under one name differ by a third or more.
  public static let memoryTolerance = 0.06

  /// Placeholders for a card the catalog does not know: memory is what `nvidia-smi` says, these
  /// are not (a low-end card's figures, so that times err long). Give `--gpu-spec` for the real ones.
  static let unknownBandwidth = 200e9
  static let unknownFP32FLOPS = 10e12

  /// Builds the GPUs and their links.
  ///
  /// - Parameters:
  ///   - rows: ``NvidiaSMI/parseQuery(_:)``'s rows.
  ///   - connections: ``NvidiaSMI/parseTopology(_:gpuCount:)``'s pairs (empty: inferred links).
  ///   - catalog: the GPUs names may match (the catalog plus custom specs).
  ///   - freeMemory: plan on the memory free now: each card's usable memory less what is in use.
  public init(
    rows: [NvidiaSMI.Row], connections: [Topology.Pair: NvidiaSMI.Connection] = [:],
    catalog: [GPU] = GPUCatalog.all, freeMemory: Bool = false
  ) {
    var gpus: [GPU] = []
    var notes: [String] = []
    for row in rows {
      var gpu: GPU
      if let known = GPUList.lookup(row.name, in: catalog),
        abs(Double(row.memoryTotalMiB) * 1_048_576 / Double(known.memory.value) - 1) <= Self.memoryTolerance
      {
        gpu = known
      } else {
        gpu = Self.unknown(row)
        notes.append(
          "GPU \(row.index) (\(row.name), \(row.memoryTotalMiB) MiB) is not in the catalog: its memory is nvidia-smi's, "
            + "its bandwidth and TFLOPS are placeholders (200 GB/s, 10 TFLOPS); give them with --gpu-spec")
      }
      if freeMemory {
        let used = ByteCount.mebibytes(row.memoryUsedMiB)
        gpu.usableMemory = gpu.usableMemory > used ? gpu.usableMemory - used : .zero
        if row.memoryUsedMiB > 0 {
          notes.append(
            "GPU \(row.index) (\(gpu.name)): \(row.memoryUsedMiB) MiB in use now, planned on the rest (--free-memory)"
          )
        }
      }
      gpus.append(gpu)
    }
    var pairs: [Topology.Pair: Link.Kind] = [:]
    for (pair, connection) in connections {
      if let kind = connection.linkKind { pairs[pair] = kind }
    }
    self.gpus = gpus
    self.topology = Topology(gpus: gpus, pairs: pairs)
    self.notes = notes
  }

  /// A custom GPU from what `nvidia-smi` says of a card the catalog does not know.
  static func unknown(_ row: NvidiaSMI.Row) -> GPU {
    let cc = row.computeCapability ?? 60
    let memory = ByteCount.mebibytes(row.memoryTotalMiB)
    let context = GPUSpecFile.cudaContext(computeCapability: cc)
    // The driver's reserved area is unknown: 512 MiB, as the catalog's estimates assume.
    let reserved = ByteCount.mebibytes(512)
    let usable = memory > context + reserved ? memory - context - reserved : .zero
    let name = String(row.name.prefix(GPUSpecFile.maximumNameLength))
    return GPU(
      name: name, aliases: [], architecture: "unknown (sm_\(cc), from nvidia-smi)", computeCapability: cc,
      memory: memory, usableMemory: usable, bandwidthBytesPerSecond: unknownBandwidth,
      fp32FLOPS: unknownFP32FLOPS, fp16FLOPS: cc >= 70 ? 2 * unknownFP32FLOPS : unknownFP32FLOPS,
      bf16FLOPS: cc >= 80 ? 2 * unknownFP32FLOPS : nil, fp8FLOPS: nil, int8OPS: nil, pcieGeneration: 3,
      nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: false,
      source: "nvidia-smi (memory and compute capability); speeds are placeholders")
  }
}
