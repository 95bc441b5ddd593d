/// Where a module can be placed: a GPU by index, host memory, or disk (accelerate's device keys).
public enum Device: Sendable, Hashable, Comparable, CustomStringConvertible, Encodable {
  case gpu(Int)
  case cpu
  case disk

  /// `0`, `"cpu"`, `"disk"`: the value a `device_map` holds.
  public var description: String {
    switch self {
    case .gpu(let index): "\(index)"
    case .cpu: "cpu"
    case .disk: "disk"
    }
  }

  public var isGPU: Bool { if case .gpu = self { true } else { false } }

  /// Encodes as a `device_map` value: the GPU index as a number, `"cpu"` or `"disk"` as a string.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    if case .gpu(let index) = self { try container.encode(index) } else { try container.encode(description) }
  }

  /// GPUs by index, then cpu, then disk: accelerate's fill order.
  public static func < (a: Device, b: Device) -> Bool {
    switch (a, b) {
    case (.gpu(let x), .gpu(let y)): x < y
    case (.gpu, _): true
    case (.cpu, .disk): true
    default: false
    }
  }
}
