import Foundation
import Testing

@testable import Planner

/// Decode reads the experts a batch routes to: `E · (1 − (1 − k/E)^b)` of a layer's `E` routed
/// experts for `b` tokens choosing `k` each; shared experts, the router and attention always;
/// prefill every expert.
@Suite struct RoutedExpertsTests {
  @Test func expectedDistinctExperts() {
    let mixtral = Layer.RoutedExperts(count: 8, active: 2)
    #expect(abs(mixtral.distinct(batch: 1) - 2) < 1e-12)
    #expect(abs(mixtral.distinct(batch: 2) - (8 * (1 - 0.75 * 0.75))) < 1e-12)
    #expect(mixtral.distinct(batch: 1000) > 7.999)
    let qwen3 = Layer.RoutedExperts(count: 128, active: 8)
    #expect(abs(qwen3.distinct(batch: 1) - 8) < 1e-9)
    #expect(qwen3.distinct(batch: 16) < 128 && qwen3.distinct(batch: 16) > 8)
  }

  @Test func theShareIsTheRoutedExpertsParameters() throws {
    let model = try #require(ModelCatalog.entry(named: "mixtral-8x7b")).build()
    let layer = try #require(model.layers.first { $0.kind == .decoder })
    let experts = try #require(layer.routedExperts)
    #expect(experts.count == 8 && experts.active == 2)
    // Mixtral 8x7B (its config.json): 8 experts of three 4096 x 14336 matrices in each layer.
    let routed = 8.0 * 3 * 4096 * 14336
    #expect(abs(experts.share - routed / Double(layer.parameterCount)) < 1e-12)
    #expect(experts.share > 0.95 && experts.share < 1)
    #expect(abs(layer.decodeWeightFraction(batch: 1) - (1 - experts.share + experts.share * 2 / 8)) < 1e-12)
  }

  @Test func sharedExpertsAreAlwaysRead() throws {
    // DeepSeek-V2-Lite: 64 routed experts (top 6) and 2 shared ones per sparse layer; the first is dense.
    let model = try #require(ModelCatalog.entry(named: "deepseek-v2-lite")).build()
    let decoders = model.layers.filter { $0.kind == .decoder }
    #expect(decoders[0].routedExperts == nil)
    let sparse = try #require(decoders[1].routedExperts)
    #expect(sparse.count == 64 && sparse.active == 6)
    let tree = ModuleIndex(model.root)
    let shared = try #require(tree.namedTensors(at: decoders[1].module + ".mlp.shared_experts"))
    let sharedElements = shared.reduce(0.0) { $0 + Double($1.tensor.elementCount) }
    // The shared experts are outside the routed share: at least their part is read at any batch.
    #expect(1 - sparse.share >= sharedElements / Double(decoders[1].parameterCount))
  }

  @Test func decodeReadsTheRoutedExpertsAndPrefillReadsAll() throws {
    let model = try #require(ModelCatalog.entry(named: "mixtral-8x7b")).build()
    let layer = try #require(model.layers.first { $0.kind == .decoder })
    let gpu = try #require(GPUList.lookup("A100-80G"))
    func cost(batch: Int) -> CostModel {
      var workload = Workload()
      workload.batch = batch
      workload.contextTokens = 1
      return CostModel(
        memory: MemoryModel(
          model: model, workload: workload, weightDType: .bf16, computeDType: .bf16, runtime: .roofline))
    }
    let one = cost(batch: 1).decode(layer, on: gpu).seconds
    let many = cost(batch: 256).decode(layer, on: gpu).seconds
    // At batch 1 about a quarter of the bytes (2 of 8 experts); at 256 nearly all.
    #expect(one / many > 0.25 && one / many < 0.30)
    // Prefill reads every expert: the same as the layer without routing.
    var dense = layer
    dense.routedExperts = nil
    #expect(cost(batch: 1).prefill(layer, on: gpu) == cost(batch: 1).prefill(dense, on: gpu))
    #expect(cost(batch: 1).decode(layer, on: gpu) != cost(batch: 1).decode(dense, on: gpu))
  }
}
