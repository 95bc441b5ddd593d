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
    let expected = Dictionary(
      uniqueKeysWithValues: reference.deviceMap.map { pair -> (String, Device?) in
        guard case .string(let key) = pair[0] else { return ("?", nil) }
        return (key, Fixtures.device(pair[1]))
      })
    let actual = Dictionary(uniqueKeysWithValues: map.map { ($0.module, Optional($0.device)) })
    #expect(actual == expected)
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
}
