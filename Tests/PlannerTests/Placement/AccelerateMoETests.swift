import Foundation
import Testing

@testable import Planner

/// Mixture-of-experts models as transformers 5 builds them (each layer's experts fused into one
/// module), against accelerate 1.16 on the same models: fixtures written by
/// Scripts/accelerate_reference_moe.py (transformers 5.24, meta device). The trees here are the
/// planner's own, built by ``ConfigImporter`` from the `config.json` transformers wrote, so these
/// tests hold the tree and the port together to accelerate.
@Suite struct AccelerateMoETests {
  static let models = ["qwen3-moe-small", "mixtral-small", "qwen2-moe-small", "deepseek-v3-small"]

  struct Dump: Decodable {
    var parameterCount: Int64
    var noSplitModuleClasses: [String]
    var moduleSizes: [String: [String: Int64]]
    var moduleSizeOrder: [String]
  }

  static func data(_ model: String) throws -> Data {
    try Fixtures.data("accelerate/moe/modules-\(model).json")
  }

  /// The planner's graph of the model, from the `config.json` transformers wrote.
  static func graph(_ model: String) throws -> ModelGraph {
    let object = try #require(try JSONSerialization.jsonObject(with: data(model)) as? [String: Any])
    let config = try JSONSerialization.data(withJSONObject: try #require(object["config"]))
    return try ConfigImporter.graph(from: ConfigImporter.parse(config, file: model), name: model)
  }

  static let cases: [Fixtures.DeviceMapCase] = {
    do {
      return try JSONDecoder().decode(
        Fixtures.DeviceMapFile.self, from: Fixtures.data("accelerate/moe/device-maps.json")
      )
      .cases
    } catch {
      fatalError("fixtures/accelerate/moe/device-maps.json: \(error)")
    }
  }()

  /// The tree is transformers 5's: every `compute_module_sizes` key, its value and its order, the
  /// no-split classes and the parameter count.
  @Test(arguments: models)
  func treeMatchesTransformers5(model: String) throws {
    let dump = try JSONDecoder().decode(Dump.self, from: Self.data(model))
    let graph = try Self.graph(model)
    let (sizes, order) = Accelerate.moduleSizesInOrder(of: graph.root, tied: graph.tiedParameters) {
      Accelerate.acceleratorBytes($0, dtype: .bf16)
    }
    let expected = try #require(dump.moduleSizes["bfloat16"])
    let differ = expected.keys.filter { sizes[$0] != expected[$0] }.sorted()
    let extra = sizes.keys.filter { expected[$0] == nil }.sorted()
    #expect(differ.isEmpty, "sizes differ: \(differ.prefix(5))")
    #expect(extra.isEmpty, "keys not in transformers: \(extra.prefix(5))")
    #expect(order == dump.moduleSizeOrder)
    #expect(graph.noSplitModuleClasses == dump.noSplitModuleClasses)
    #expect(graph.parameterCount == dump.parameterCount)
    // The fused experts: one module of two 3-D parameters per MoE layer.
    #expect(sizes.keys.contains { $0.hasSuffix(".mlp.experts.gate_up_proj") })
    #expect(!sizes.keys.contains { $0.contains(".experts.0") })
  }

  /// `get_balanced_memory` and `infer_auto_device_map` on the planner's tree, every recorded case.
  @Test(arguments: cases)
  func deviceMapMatchesAccelerate(_ reference: Fixtures.DeviceMapCase) throws {
    let graph = try Self.graph(reference.model)
    let (sizes, order) = Accelerate.moduleSizesInOrder(of: graph.root, tied: graph.tiedParameters) {
      Accelerate.acceleratorBytes($0, dtype: .bf16)
    }
    var budgets = Fixtures.maxMemory(reference.maxMemory)
    if reference.strategy != "sequential" {
      budgets = Accelerate.balancedMemory(
        root: graph.root, tied: graph.tiedParameters, sizes: sizes, maxMemory: budgets,
        noSplit: graph.noSplitModuleClasses, userSet: true, lowZero: reference.strategy == "balanced_low_0",
        order: order)
    }
    #expect(budgets == Fixtures.maxMemory(reference.effectiveMaxMemory), "budgets")
    let map = Accelerate.inferAutoDeviceMap(
      root: graph.root, tied: graph.tiedParameters, sizes: sizes, maxMemory: budgets,
      noSplit: graph.noSplitModuleClasses)
    let actual = Dictionary(uniqueKeysWithValues: map.map { ($0.module, Optional($0.device)) })
    #expect(actual == reference.expectedDeviceMap)
    #expect(map.count == reference.deviceMap.count)
  }
}
