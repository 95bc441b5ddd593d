/// Memory caps per device in accelerate's `max_memory` form (`0:7GiB,1:7GiB,cpu:64GiB`).
///
/// Entries are kept in accelerate's order: GPUs by ascending index, then `cpu`, then `disk`.
public struct MaxMemory: Sendable, Hashable {
  public private(set) var entries: [(device: Device, bytes: ByteCount)]

  public init(_ entries: [(device: Device, bytes: ByteCount)]) {
    self.entries = entries.sorted { $0.device < $1.device }
  }

  public subscript(device: Device) -> ByteCount? {
    get { entries.first { $0.device == device }?.bytes }
    set {
      entries.removeAll { $0.device == device }
      if let newValue { entries.append((device, newValue)) }
      entries.sort { $0.device < $1.device }
    }
  }

  public var devices: [Device] { entries.map(\.device) }

  public static func == (a: MaxMemory, b: MaxMemory) -> Bool {
    a.entries.elementsEqual(b.entries) { $0.device == $1.device && $0.bytes == $1.bytes }
  }

  public func hash(into hasher: inout Hasher) {
    for (device, bytes) in entries {
      hasher.combine(device)
      hasher.combine(bytes)
    }
  }

  /// Why a `--max-memory` text was refused.
  public struct ParseError: Error, Equatable, CustomStringConvertible {
    public var description: String
  }

  /// Parses `0:7GiB,1:7.5GiB,cpu:64GB,disk:200GB`.
  ///
  /// Sizes follow accelerate's `convert_file_size_to_int`: `GiB`/`MiB`/`KiB` are powers of 2,
  /// `GB`/`MB`/`KB` powers of 10, a lowercase final `b` (`5Gb`) means bits, and a fractional
  /// size is truncated to whole bytes. A bare number is bytes.
  ///
  /// - Complexity: O(*t*) in the text's length.
  public init(parsing text: String) throws(ParseError) {
    var entries: [(Device, ByteCount)] = []
    for item in text.split(separator: ",", omittingEmptySubsequences: false) {
      let parts = item.split(separator: ":", omittingEmptySubsequences: false)
      guard parts.count == 2 else {
        throw ParseError(
          description: "'\(EchoedValue(item))' is not DEVICE:SIZE (for example 0:7GiB or cpu:64GiB)")
      }
      let key = parts[0].trimmingSpaces.lowercased()
      let device: Device
      switch key {
      case "cpu": device = .cpu
      case "disk": device = .disk
      default:
        guard let index = Int(key), index >= 0, index < 4096 else {
          throw ParseError(
            description:
              "'\(EchoedValue(parts[0]))' is not a device: use a GPU index (0, 1, ...), cpu or disk")
        }
        device = .gpu(index)
      }
      guard !entries.contains(where: { $0.0 == device }) else {
        throw ParseError(description: "device \(device) is given twice")
      }
      guard let bytes = Self.bytes(parsing: parts[1].trimmingSpaces) else {
        throw ParseError(
          description:
            "'\(EchoedValue(parts[1]))' is not a size: use a number with GiB, MiB, KiB, GB, MB or KB (7GiB, 7500MB)"
        )
      }
      entries.append((device, bytes))
    }
    self.init(entries)
  }

  /// accelerate's `convert_file_size_to_int` (utils/modeling.py, 1.15.0), plus bare byte counts.
  static func bytes(parsing text: String) -> ByteCount? {
    let units: [(suffix: String, scale: Double, decimal: Bool)] = [
      ("GIB", 1_073_741_824, false), ("MIB", 1_048_576, false), ("KIB", 1024, false),
      ("GB", 1e9, true), ("MB", 1e6, true), ("KB", 1e3, true),
    ]
    if let plain = Int64(text), plain >= 0 { return ByteCount(plain) }
    for unit in units where text.uppercased().hasSuffix(unit.suffix) {
      let number = text.dropLast(unit.suffix.count)
      guard let value = Double(number), value.isFinite, value >= 0, value * unit.scale < 9.0e18 else {
        return nil
      }
      let bytes = Int64(value * unit.scale)
      return ByteCount(unit.decimal && text.hasSuffix("b") ? bytes / 8 : bytes)
    }
    return nil
  }
}

extension Substring {
  var trimmingSpaces: String {
    String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
  }
}
