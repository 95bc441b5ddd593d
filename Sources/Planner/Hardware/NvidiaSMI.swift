/// Parses what `nvidia-smi` prints about the GPUs of this machine (running it is the caller's
/// job: the CLI runs it, tests replay recorded outputs).
///
/// - ``query``: the arguments of the query ``parseQuery(_:)`` reads.
/// - ``parseTopology(_:gpuCount:)`` reads `nvidia-smi topo -m`.
public enum NvidiaSMI {
  /// One GPU as `nvidia-smi --query-gpu` reports it.
  public struct Row: Sendable, Hashable {
    public var index: Int
    /// The product name (`NVIDIA GeForce RTX 4090`).
    public var name: String
    public var memoryTotalMiB: Int64
    public var memoryUsedMiB: Int64
    public var pciBusID: String
    /// `major * 10 + minor`; `nil` where the driver printed none (`[N/A]`, drivers before R510).
    public var computeCapability: Int?

    public init(
      index: Int, name: String, memoryTotalMiB: Int64, memoryUsedMiB: Int64, pciBusID: String,
      computeCapability: Int?
    ) {
      self.index = index
      self.name = name
      self.memoryTotalMiB = memoryTotalMiB
      self.memoryUsedMiB = memoryUsedMiB
      self.pciBusID = pciBusID
      self.computeCapability = computeCapability
    }
  }

  /// Why an output was refused: the line and the reason.
  public struct ParseError: Error, Equatable, CustomStringConvertible {
    public var description: String
  }

  /// The arguments of the GPU query.
  public static let query = [
    "--query-gpu=index,name,memory.total,memory.used,pci.bus_id,compute_cap", "--format=csv,noheader,nounits",
  ]

  /// The arguments of the topology matrix.
  public static let topology = ["topo", "-m"]

  /// Most GPUs accepted from one machine (the largest NVLink domains in one host have 8 to 16).
  public static let maximumGPUs = 64

  /// Parses the query's CSV: `0, NVIDIA GeForce RTX 4090, 24564, 1234, 00000000:01:00.0, 8.9`.
  ///
  /// - Complexity: O(*t*) in the text's length.
  public static func parseQuery(_ text: String) throws(ParseError) -> [Row] {
    var rows: [Row] = []
    for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
      let trimmed = Self.trimmed(line)
      guard !trimmed.isEmpty else { continue }
      let fields = trimmed.split(separator: ",", omittingEmptySubsequences: false).map(Self.trimmed)
      func fail(_ reason: String) -> ParseError {
        ParseError(
          description: "nvidia-smi --query-gpu line \(number + 1) '\(EchoedValue(String(line)))': \(reason)")
      }
      guard fields.count == 6 else {
        throw fail("expected 6 fields (index, name, memory.total, memory.used, pci.bus_id, compute_cap)")
      }
      guard let index = Int(fields[0]), (0..<maximumGPUs).contains(index) else { throw fail("bad index") }
      guard !fields[1].isEmpty, fields[1].count <= GPUSpecFile.maximumNameLength else {
        throw fail("bad name")
      }
      guard let total = Int64(fields[2]), total > 0, total <= 16 * 1024 * 1024 else {
        throw fail("bad memory.total (MiB)")
      }
      // A GPU the driver cannot read prints [N/A] or [Unknown Error] for used memory: count it as 0.
      let used = Int64(fields[3]).map { min(max($0, 0), total) } ?? 0
      rows.append(
        Row(
          index: index, name: fields[1], memoryTotalMiB: total, memoryUsedMiB: used, pciBusID: fields[4],
          computeCapability: computeCapability(fields[5])))
      guard rows.count <= maximumGPUs else { throw fail("more than \(maximumGPUs) GPUs") }
    }
    guard !rows.isEmpty else { throw ParseError(description: "nvidia-smi --query-gpu listed no GPU") }
    return rows.sorted { $0.index < $1.index }
  }

  /// `8.9` as 89; `nil` for anything else.
  static func computeCapability(_ text: String) -> Int? {
    let parts = text.split(separator: ".")
    guard parts.count == 2, parts.allSatisfy({ $0.allSatisfy(\.isASCII) }), let major = Int(parts[0]),
      let minor = Int(parts[1]), (1...20).contains(major), (0...9).contains(minor)
    else { return nil }
    return major * 10 + minor
  }

  /// How two GPUs are connected, as `topo -m` says it.
  public enum Connection: Sendable, Hashable {
    /// `NV#`: a bonded set of # NVLinks (or an NVSwitch fabric).
    case nvlink(links: Int)
    /// `PIX`: at most one PCIe bridge.
    case pix
    /// `PXB`: several PCIe bridges, not the host bridge.
    case pxb
    /// `PHB`: through a PCIe host bridge (the CPU).
    case phb
    /// `NODE`: between host bridges within one NUMA node.
    case node
    /// `SYS`: across NUMA nodes (QPI/UPI, Infinity Fabric between sockets).
    case sys

    init?(_ text: String) {
      switch text {
      case "PIX": self = .pix
      case "PXB": self = .pxb
      case "PHB": self = .phb
      case "NODE": self = .node
      case "SYS": self = .sys
      default:
        guard text.hasPrefix("NV"), let links = Int(text.dropFirst(2)), (1...64).contains(links) else {
          return nil
        }
        self = .nvlink(links: links)
      }
    }

    /// The link kind the planner uses: NVLink for `NV#`; host-staged for `SYS` (peer-to-peer
    /// across sockets is slow or off); `nil` for the PCIe paths, where ``Link/between(_:_:)``
    /// decides from the cards (peer-to-peer where both allow it, else host-staged).
    public var linkKind: Link.Kind? {
      switch self {
      case .nvlink: .nvlink
      case .sys: .host
      case .pix, .pxb, .phb, .node: nil
      }
    }
  }

  /// Parses the GPU rows of `topo -m` for the first `gpuCount` GPUs: the connection of every pair.
  ///
  /// Columns are tab-separated; the header names them (`GPU0`, `GPU1`, ..., `NIC0`, `CPU
  /// Affinity`); terminal escape codes around the header are ignored; NIC rows and the legend are
  /// skipped.
  public static func parseTopology(_ text: String, gpuCount: Int) throws(ParseError) -> [Topology.Pair:
    Connection]
  {
    let lines = text.split(whereSeparator: \.isNewline).map { withoutEscapes(String($0)) }
    guard
      let header = lines.first(where: { $0.split(separator: "\t").contains { Self.trimmed($0) == "GPU0" } })
    else { throw ParseError(description: "nvidia-smi topo -m: no GPU0 column") }
    let columns = header.split(separator: "\t", omittingEmptySubsequences: false).map(Self.trimmed)
    var connections: [Topology.Pair: Connection] = [:]
    for line in lines {
      let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map(Self.trimmed)
      guard let first = cells.first, first.hasPrefix("GPU"), let row = Int(first.dropFirst(3)),
        (0..<gpuCount).contains(row)
      else { continue }
      // The row's cells line up with the header's columns after its leading empty cell.
      for (position, column) in columns.enumerated() where column.hasPrefix("GPU") {
        guard let other = Int(column.dropFirst(3)), (0..<gpuCount).contains(other), other != row,
          position < cells.count
        else { continue }
        guard let connection = Connection(cells[position]) else {
          throw ParseError(
            description:
              "nvidia-smi topo -m: GPU\(row) to GPU\(other) is '\(EchoedValue(cells[position]))', not NV#, PIX, PXB, PHB, NODE or SYS"
          )
        }
        connections[Topology.Pair(row, other)] = connection
      }
    }
    for a in 0..<gpuCount {
      for b in (a + 1)..<max(a + 1, gpuCount) where connections[Topology.Pair(a, b)] == nil {
        throw ParseError(description: "nvidia-smi topo -m: no entry for GPU\(a) and GPU\(b)")
      }
    }
    return connections
  }

  /// The text without leading and trailing spaces and tabs.
  static func trimmed(_ text: Substring) -> String {
    String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
  }

  /// The text without ANSI escape sequences (`ESC [ 4 m`).
  static func withoutEscapes(_ text: String) -> String {
    var result = ""
    var escaping = false
    for character in text {
      if character == "\u{1B}" {
        escaping = true
      } else if escaping {
        if character.isLetter { escaping = false }
      } else {
        result.append(character)
      }
    }
    return result
  }
}
