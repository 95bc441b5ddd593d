import Foundation
import Testing

@testable import Planner

/// The Swift port of accelerate against accelerate itself (fixtures written by
/// Scripts/accelerate_reference.py from accelerate 1.15.0 on models built on the meta device).
@Suite struct AccelerateTests {
  static let models = ["qwen2-7b", "llama-3-8b", "mistral-7b", "minicpm-v-2.6", "tied-llama-2.4b"]
  static let dtypes: [String: DType] = ["bfloat16": .bf16, "float16": .fp16, "float32": .fp32]

  /// `compute_module_sizes` for every key, every dtype, every model.
  @Test(arguments: models)
  func moduleSizesMatchAccelerate(model: String) throws {
    let dump = try Fixtures.moduleDump(model)
    let root = dump.root.module
    for (dtypeName, expected) in dump.moduleSizes {
      let dtype = try #require(Self.dtypes[dtypeName])
      let sizes = Accelerate.moduleSizes(of: root, tied: dump.tiedParameters) {
        Accelerate.acceleratorBytes($0, dtype: dtype)
      }
      #expect(sizes == expected, "\(model) \(dtypeName)")
    }
  }

  /// `get_balanced_memory` and `infer_auto_device_map` for every recorded case.
  @Test(arguments: Fixtures.deviceMapCases)
  func deviceMapMatchesAccelerate(_ reference: Fixtures.DeviceMapCase) throws {
    let dump = try Fixtures.moduleDump(reference.model)
    let root = dump.root.module
    let dtype = try #require(Self.dtypes[reference.dtype])
    let sizes = Accelerate.moduleSizes(of: root, tied: dump.tiedParameters) {
      Accelerate.acceleratorBytes($0, dtype: dtype)
    }
    var budgets = Fixtures.maxMemory(reference.maxMemory)
    if reference.strategy != "sequential" {
      budgets = Accelerate.balancedMemory(
        root: root, tied: dump.tiedParameters, sizes: sizes, maxMemory: budgets,
        noSplit: reference.noSplitModuleClasses, userSet: true,
        lowZero: reference.strategy == "balanced_low_0")
    }
    #expect(budgets == Fixtures.maxMemory(reference.effectiveMaxMemory), "budgets")

    let map = Accelerate.inferAutoDeviceMap(
      root: root, tied: dump.tiedParameters, sizes: sizes, maxMemory: budgets,
      noSplit: reference.noSplitModuleClasses)
    let actual = Dictionary(uniqueKeysWithValues: map.map { ($0.module, Optional($0.device)) })
    #expect(actual == reference.expectedDeviceMap)
    #expect(map.count == reference.deviceMap.count)
  }

  /// The catalog's own trees are the trees transformers builds: every size key agrees.
  @Test(arguments: ["qwen2-7b", "llama-3-8b", "mistral-7b", "minicpm-v-2.6"])
  func catalogTreeMatchesTransformers(model: String) throws {
    let dump = try Fixtures.moduleDump(model)
    let graph = try #require(ModelCatalog.entry(named: model)).build()
    let sizes = Accelerate.moduleSizes(of: graph.root, tied: graph.tiedParameters) {
      Accelerate.acceleratorBytes($0, dtype: .bf16)
    }
    let expected = try #require(dump.moduleSizes["bfloat16"])
    let missing = expected.keys.filter { sizes[$0] != expected[$0] }.sorted()
    let extra = sizes.keys.filter { expected[$0] == nil }.sorted()
    #expect(missing.isEmpty, "sizes differ: \(missing.prefix(5))")
    #expect(extra.isEmpty, "keys not in transformers: \(extra.prefix(5))")
    #expect(graph.noSplitModuleClasses == dump.noSplitModuleClasses)
    #expect(graph.parameterCount == dump.parameterCount)
  }

  /// `clean_device_map` as accelerate writes it (every prefix rescans the whole map), the oracle
  /// for the port's one-pass version.
  static func cleanedByRescanning(_ map: [(module: String, device: Device)]) -> [(
    module: String, device: Device
  )] {
    var map = map
    func clean(_ moduleName: String) {
      let prefix = moduleName.isEmpty ? "" : moduleName + "."
      let matching = map.indices.filter { map[$0].module.hasPrefix(prefix) }
      let values = Set(matching.map { map[$0].device })
      if values.count == 1, matching.count > 1 {
        let first = matching[0]
        map[first] = (moduleName, map[first].device)
        let drop = Set(matching.dropFirst())
        map = map.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
      }
      let depth = moduleName.isEmpty ? 1 : moduleName.split(separator: ".").count + 1
      var children: [String] = []
      for (module, _) in map where module.hasPrefix(prefix) && module.count > moduleName.count {
        let child = module.split(separator: ".").prefix(depth).joined(separator: ".")
        if !children.contains(child) { children.append(child) }
      }
      for child in children { clean(child) }
    }
    clean("")
    return map
  }

  /// Random placements of random trees (leaves in pre-order, 1 to 3 devices): the one-pass
  /// `cleaned` gives the rescanning oracle's map, key for key and in order.
  @Test func cleanedMatchesTheRescanningOracle() {
    var random = SplitMix64(seed: 15)
    for _ in 0..<300 {
      var names: [String] = []
      func grow(_ path: String, depth: Int) {
        let children =
          depth == 0 ? Int.random(in: 1...4, using: &random) : Int.random(in: 0...3, using: &random)
        if children == 0 || depth == 4 {
          names.append(path)
          return
        }
        for child in 0..<children { grow(path.isEmpty ? "m\(child)" : path + ".\(child)", depth: depth + 1) }
      }
      grow("", depth: 0)
      let devices = Int.random(in: 1...3, using: &random)
      // Devices fill in order, as accelerate's are.
      var device = 0
      let map = names.map { name -> (module: String, device: Device) in
        if device < devices - 1 && Int.random(in: 0..<4, using: &random) == 0 { device += 1 }
        return (name, .gpu(device))
      }
      let expected = Self.cleanedByRescanning(map)
      let actual = Accelerate.cleaned(map)
      #expect(actual.map(\.module) == expected.map(\.module), "\(map)")
      #expect(actual.map(\.device) == expected.map(\.device))
    }
  }
}
