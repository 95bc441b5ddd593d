import Foundation
import Testing

@testable import Planner

/// Paths and loaders for the files under fixtures/.
enum Fixtures {
  /// The package root, found from this file's path (Tests/PlannerTests/TestSupport/Fixtures.swift).
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  static func data(_ relativePath: String) throws -> Data {
    try Data(contentsOf: root.appendingPathComponent("fixtures").appendingPathComponent(relativePath))
  }

  /// A module tree as `Scripts/accelerate_reference.py` dumps it.
  struct DumpedModule: Decodable {
    struct DumpedTensor: Decodable {
      var name: String
      var shape: [Int64]
      var dtype: String
      var persistent: Bool?
    }
    var name: String
    var `class`: String
    var parameters: [DumpedTensor]
    var buffers: [DumpedTensor]
    var children: [DumpedModule]

    /// The planner's `Module` for this dump.
    var module: Module {
      func tensor(_ t: DumpedTensor, buffer: Bool) -> Tensor {
        let bits: Int =
          switch t.dtype {
          case "float64", "int64": 64
          case "float32", "int32": 32
          case "float16", "bfloat16", "int16": 16
          case "bool": 1
          default: 8
          }
        return Tensor(
          name: t.name, shape: t.shape, bits: bits,
          isFloatingPoint: t.dtype.hasPrefix("float") || t.dtype == "bfloat16",
          isQuantizable: false, isBuffer: buffer, isPersistent: t.persistent ?? true)
      }
      return Module(
        name, self.class, parameters: parameters.map { tensor($0, buffer: false) },
        buffers: buffers.map { tensor($0, buffer: true) }, children: children.map(\.module))
    }
  }

  /// `fixtures/accelerate/modules-<model>.json`.
  struct ModuleDump: Decodable {
    var model: String
    var parameterCount: Int64
    var noSplitModuleClasses: [String]
    var tiedParameters: [[String]]
    var root: DumpedModule
    var moduleSizes: [String: [String: Int64]]
  }

  static func moduleDump(_ model: String) throws -> ModuleDump {
    try JSONDecoder().decode(ModuleDump.self, from: data("accelerate/modules-\(model).json"))
  }

  /// One case of `fixtures/accelerate/device-maps.json`.
  struct DeviceMapCase: Decodable, CustomTestStringConvertible {
    var name: String
    var model: String
    var dtype: String
    var strategy: String
    var noSplitModuleClasses: [String]
    var maxMemory: [[JSONValue]]
    var effectiveMaxMemory: [[JSONValue]]
    var deviceMap: [[JSONValue]]
    var uncoveredTensors: [String]

    var testDescription: String { name }

    /// The map accelerate returned, module to device.
    var expectedDeviceMap: [String: Device?] {
      Dictionary(
        uniqueKeysWithValues: deviceMap.map { pair -> (String, Device?) in
          guard case .string(let key) = pair[0] else { return ("?", nil) }
          return (key, Fixtures.device(pair[1]))
        })
    }
  }

  struct DeviceMapFile: Decodable {
    var cases: [DeviceMapCase]
  }

  static let deviceMapCases: [DeviceMapCase] = {
    do {
      return try JSONDecoder().decode(DeviceMapFile.self, from: data("accelerate/device-maps.json")).cases
    } catch {
      fatalError("fixtures/accelerate/device-maps.json: \(error)")
    }
  }()

  static func device(_ value: JSONValue) -> Device? {
    switch value {
    case .number(let n): .gpu(Int(n))
    case .string("cpu"): .cpu
    case .string("disk"): .disk
    case .string(let s): Int(s).map(Device.gpu)
    default: nil
    }
  }

  static func maxMemory(_ pairs: [[JSONValue]]) -> MaxMemory {
    MaxMemory(
      pairs.compactMap { pair in
        guard pair.count == 2, let device = device(pair[0]), case .number(let bytes) = pair[1] else {
          return nil
        }
        return (device, ByteCount(Int64(bytes)))
      })
  }
}
