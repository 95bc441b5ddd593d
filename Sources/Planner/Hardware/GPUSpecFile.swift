import Foundation

/// Reads custom GPUs from a JSON file (`--gpu-spec FILE`).
///
/// The file holds one object or an array of objects:
///
///     {
///       "name": "RTX-A4000",          // required; used in --gpus
///       "aliases": ["a4000"],         // optional
///       "memoryMiB": 16376,           // required: nvidia-smi total
///       "usableMemoryMiB": 15900,     // optional: default memory less a CUDA context for its generation
///       "bandwidthGBps": 448,         // required: memory bandwidth, GB/s (10^9)
///       "fp32TFLOPS": 19.2,           // required
///       "fp16TFLOPS": 76.7,           // required: tensor-core fp16, fp32 accumulate
///       "bf16TFLOPS": 76.7,           // optional; omit where bf16 is not native
///       "fp8TFLOPS": 0, "int8TOPS": 153.4,   // optional; 0 or absent: not supported
///       "computeCapability": "8.6",   // required
///       "pcieGeneration": 4,          // optional, default 4
///       "nvlinkGBps": 112.5,          // optional: total NVLink bandwidth
///       "peerToPeer": true            // optional, default true
///     }
///
/// Every error names the file, the entry, the field and the reason.
public enum GPUSpecFile {
  public struct Error: Swift.Error, Equatable, CustomStringConvertible {
    public var description: String
  }

  /// Longest name or alias accepted: the longest `nvidia-smi` names ("NVIDIA RTX 6000 Ada
  /// Generation", "NVIDIA H100 80GB HBM3") are under 32 characters; a longer one is not a name,
  /// and every table row, message and 1,024-GPU list repeats it.
  public static let maximumNameLength = 64
  /// Most aliases of one GPU: the catalog's busiest entry has a handful.
  public static let maximumAliases = 32
  /// Most GPUs in one file: far more than there are GPU models.
  public static let maximumEntries = 256

  /// Largest memory accepted (16 TiB): anything larger is a typo.
  static let maximumMemoryMiB: Double = 16 * 1024 * 1024
  /// Largest bandwidth accepted, GB/s.
  static let maximumBandwidthGBps: Double = 100_000
  /// Smallest bandwidth accepted, GB/s: the slowest CUDA cards (GT 710, DDR3) have 14 GB/s; less
  /// is a typo (a unit slip) that would make every time absurd.
  static let minimumBandwidthGBps: Double = 1
  /// Smallest rate accepted where a card has it, TFLOPS: the slowest CUDA cards have about 0.3.
  static let minimumTFLOPS: Double = 0.01
  /// Largest rate accepted, TFLOPS.
  static let maximumTFLOPS: Double = 100_000

  /// Reads and validates the file.
  public static func load(path: String) throws(Error) -> [GPU] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw Error(description: "--gpu-spec \(path): cannot read the file (does it exist?)")
    }
    return try parse(data, file: path)
  }

  /// Validates the JSON text of a spec file.
  public static func parse(_ data: Data, file: String) throws(Error) -> [GPU] {
    guard data.count <= 1 << 20 else {
      throw Error(description: "\(file): larger than 1 MiB, not a GPU spec")
    }
    guard let json = JSONValue.parse(data) else { throw Error(description: "\(file): not valid JSON") }
    let objects: [JSONValue]
    if case .array(let array) = json { objects = array } else { objects = [json] }
    guard !objects.isEmpty else { throw Error(description: "\(file): the array holds no GPU") }
    guard objects.count <= maximumEntries else {
      throw Error(description: "\(file): \(objects.count) GPUs, more than the \(maximumEntries) accepted")
    }
    var gpus: [GPU] = []
    for (index, object) in objects.enumerated() {
      guard case .object(let fields) = object else {
        throw Error(description: "\(file): entry \(index) is \(object.kind), not an object")
      }
      gpus.append(try gpu(from: fields, file: file, entry: index))
    }
    return gpus
  }

  static func gpu(from fields: [String: JSONValue], file: String, entry: Int) throws(Error) -> GPU {
    func fail(_ field: String, _ reason: String) -> Error {
      Error(description: "\(file): entry \(entry), field '\(field)': \(reason)")
    }
    func number(
      _ field: String, required: Bool, maximum: Double, minimum: Double = 0, allowZero: Bool = false
    ) throws(Error) -> Double? {
      guard let raw = fields[field], raw != .null else {
        if required { throw fail(field, "missing (required)") }
        return nil
      }
      guard case .number(let value) = raw else { throw fail(field, "must be a number, not \(raw.kind)") }
      guard value.isFinite, allowZero ? value >= 0 : value > 0 else {
        throw fail(field, "must be \(allowZero ? "zero or more" : "positive") (got \(value))")
      }
      guard value <= maximum else {
        throw fail(field, "\(value) is absurdly large (at most \(Int64(maximum)))")
      }
      guard value == 0 || value >= minimum else {
        throw fail(field, "\(value) is absurdly small (at least \(minimum)\(allowZero ? ", or 0" : ""))")
      }
      return value
    }
    let known: Set<String> = [
      "name", "aliases", "memoryMiB", "usableMemoryMiB", "bandwidthGBps", "fp32TFLOPS", "fp16TFLOPS",
      "bf16TFLOPS",
      "fp8TFLOPS", "int8TOPS", "computeCapability", "pcieGeneration", "nvlinkGBps", "peerToPeer",
    ]
    if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
      throw fail(
        String(describing: EchoedValue(unknown)),
        "unknown field (known: \(known.sorted().joined(separator: ", ")))")
    }
    guard case .string(let name) = fields["name"] else {
      throw fail("name", "missing or not a string with letters or digits")
    }
    guard name.count <= maximumNameLength else {
      throw fail(
        "name",
        "'\(EchoedValue(name))' is \(name.count) characters, more than the \(maximumNameLength) accepted")
    }
    guard !NameMatching.normalized(name).isEmpty else {
      throw fail("name", "missing or not a string with letters or digits")
    }
    var aliases: [String] = []
    if let raw = fields["aliases"] {
      guard case .array(let items) = raw else { throw fail("aliases", "must be an array of strings") }
      guard items.count <= maximumAliases else {
        throw fail("aliases", "\(items.count) aliases, more than the \(maximumAliases) accepted")
      }
      for item in items {
        guard case .string(let alias) = item else { throw fail("aliases", "must be an array of strings") }
        guard alias.count <= maximumNameLength else {
          throw fail(
            "aliases",
            "'\(EchoedValue(alias))' is \(alias.count) characters, more than the \(maximumNameLength) accepted"
          )
        }
        aliases.append(alias)
      }
    }
    guard case .string(let ccText) = fields["computeCapability"] else {
      throw fail("computeCapability", "missing or not a string like \"8.6\"")
    }
    let ccParts = ccText.split(separator: ".")
    guard ccParts.count == 2, let major = Int(ccParts[0]), let minor = Int(ccParts[1]),
      (3...20).contains(major),
      (0...9).contains(minor)
    else {
      throw fail("computeCapability", "'\(EchoedValue(ccText))' is not MAJOR.MINOR (for example \"8.6\")")
    }
    let cc = major * 10 + minor
    let memoryMiB = try number("memoryMiB", required: true, maximum: maximumMemoryMiB)!
    guard memoryMiB >= 1 else { throw fail("memoryMiB", "must be at least 1 MiB (got \(memoryMiB))") }
    let memory = ByteCount(Int64(memoryMiB * 1_048_576))
    let usable: ByteCount
    if let usableMiB = try number("usableMemoryMiB", required: false, maximum: maximumMemoryMiB) {
      guard usableMiB <= memoryMiB else { throw fail("usableMemoryMiB", "larger than memoryMiB") }
      guard usableMiB >= 1 else { throw fail("usableMemoryMiB", "must be at least 1 MiB (got \(usableMiB))") }
      usable = ByteCount(Int64(usableMiB * 1_048_576))
    } else {
      usable = memory - cudaContext(computeCapability: cc)
      guard usable.value > 0 else { throw fail("memoryMiB", "smaller than a CUDA context") }
    }
    let pcie = try number("pcieGeneration", required: false, maximum: 7) ?? 4
    guard pcie == pcie.rounded(.down), pcie >= 1 else { throw fail("pcieGeneration", "must be 1 to 7") }
    var peerToPeer = true
    if let raw = fields["peerToPeer"] {
      guard case .bool(let flag) = raw else { throw fail("peerToPeer", "must be true or false") }
      peerToPeer = flag
    }
    /// An optional rate: absent, null or 0 mean the card lacks it.
    func optionalRate(_ field: String) throws(Error) -> Double? {
      let value = try number(
        field, required: false, maximum: maximumTFLOPS, minimum: minimumTFLOPS, allowZero: true)
      return value.flatMap { $0 > 0 ? $0 * 1e12 : nil }
    }
    let nvlink = try number(
      "nvlinkGBps", required: false, maximum: maximumBandwidthGBps, minimum: minimumBandwidthGBps)
    return GPU(
      name: name, aliases: aliases, architecture: "custom (sm_\(cc))", computeCapability: cc, memory: memory,
      usableMemory: usable,
      bandwidthBytesPerSecond: try number(
        "bandwidthGBps", required: true, maximum: maximumBandwidthGBps, minimum: minimumBandwidthGBps)! * 1e9,
      fp32FLOPS: try number("fp32TFLOPS", required: true, maximum: maximumTFLOPS, minimum: minimumTFLOPS)!
        * 1e12,
      fp16FLOPS: try number("fp16TFLOPS", required: true, maximum: maximumTFLOPS, minimum: minimumTFLOPS)!
        * 1e12,
      bf16FLOPS: try optionalRate("bf16TFLOPS"), fp8FLOPS: try optionalRate("fp8TFLOPS"),
      int8OPS: try optionalRate("int8TOPS"),
      pcieGeneration: Int(pcie), nvlinkGeneration: nvlink == nil ? nil : 0,
      nvlinkBytesPerSecond: nvlink.map { $0 * 1e9 },
      supportsPeerToPeer: peerToPeer, source: "custom spec \(file)")
  }

  /// The NVLink generation whose total bandwidth (GB/s) a spec gives: 900 and up is NVLink 4
  /// (H100), 600 NVLink 3 (A100), 300 NVLink 2 (V100), less NVLink 1 or a bridge.
  static func nvlinkGeneration(totalGBps: Double) -> Int {
    switch totalGBps {
    case 900...: 4
    case 600...: 3
    case 300...: 2
    default: 1
    }
  }

  /// The CUDA context the catalog assumes for a compute capability's generation.
  static func cudaContext(computeCapability cc: Int) -> ByteCount {
    switch cc {
    case ..<70: cudaContextPascal
    case 70..<75: cudaContextVolta
    case 75..<80: cudaContextTuring
    case 80..<89: cudaContextAmpere
    case 89..<90: cudaContextAda
    default: cudaContextHopper
    }
  }
}
