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

/// The routed-expert reads held to H200 measurements (transformers 5.17, its grouped-GEMM experts,
/// random weights, bf16): `Scripts/measure_host_cost.py --part graphs` (one decode step captured in a
/// CUDA graph and replayed, 128 tokens cached in a static cache of 384, with the distinct experts each
/// layer's tokens routed to; fixtures/measurements/graphs-h200.json) and `--part kernels` (the same
/// step's kernels by name under torch.profiler; kernels-h200.json).
@Suite struct RoutedExpertsMeasuredTests {
  static let graphs = "graphs-h200.json"

  static func configs() throws -> [String: [String: Any]] {
    let part = try #require(try MeasuredGeometry.json(graphs)["graphs"] as? [String: Any])
    return try #require(part["configs"] as? [String: [String: Any]])
  }

  static func byBatch(_ key: String) throws -> [Int: [String: Any]] {
    let points = try #require(try configs()[key]?["byBatch"] as? [[String: Any]], "\(key)")
    return Dictionary(uniqueKeysWithValues: points.map { ($0["batch"] as? Int ?? 0, $0) })
  }

  static func experts(_ arch: String) throws -> Layer.RoutedExperts {
    let model = try MeasuredGeometry.graph(arch, layers: 2, file: graphs)
    return try #require(model.layers.first { $0.kind == .decoder }?.routedExperts)
  }

  /// The distinct experts a batch's tokens routed to against `E · (1 − (1 − k/E)^b)`: Qwen3-30B-A3B's
  /// 128 experts (top 8) within 2% at batch 4 and 16; Mixtral's 8 (top 2) within 20% (a layer
  /// samples only 4 or 16 tokens of 8 experts: 4.5 and 4.7 measured at batch 4 against 5.5).
  @Test func distinctExpertsFollowTheUniformRouter() throws {
    for (arch, keys, tolerance) in [
      ("qwen3moe", ["qwen3moe-4", "qwen3moe-12"], 0.02), ("mixtral", ["mixtral-2", "mixtral-6"], 0.20),
    ] {
      let experts = try Self.experts(arch)
      for key in keys {
        for (batch, point) in try Self.byBatch(key) {
          let measured = try #require(point["distinctExpertsMean"] as? Double)
          let expected = experts.distinct(batch: batch)
          #expect(
            abs(measured / expected - 1) <= tolerance,
            "\(key) batch \(batch): \(measured) against \(expected)")
        }
      }
    }
  }

  /// The experts' grouped GEMM reads what its tokens route to and nothing more: its time per routed
  /// expert is the same at batch 1, 4 and 16 (Mixtral: 136-140 µs an expert, 352 MB, about 2.5 TB/s),
  /// while a read of every expert would take the same time at every batch.
  @Test func expertGEMMTimeFollowsTheRoutedExperts() throws {
    let kernels = try #require(try MeasuredGeometry.json("kernels-h200.json")["kernels"] as? [String: Any])
    let configs = try #require(kernels["configs"] as? [String: [String: Any]])
    let mixtral = try #require(configs["mixtral-2"]?["byBatch"] as? [String: [[String: Any]]])
    let distinct = try Self.byBatch("mixtral-2")
    var perExpert: [Int: Double] = [:]
    for batch in [1, 4, 16] {
      let rows = try #require(mixtral["\(batch)"])
      let grouped = rows.filter { ($0["kernel"] as? String)?.contains("GroupProblemShape") == true }
      #expect(grouped.count == 1, "one grouped GEMM kernel at batch \(batch)")
      let microseconds = try #require(grouped.first?["usPerStep"] as? Double)
      let routed = try #require(distinct[batch]?["distinctExpertsMean"] as? Double) * 2  // 2 layers
      perExpert[batch] = microseconds / routed
    }
    let values = perExpert.values.sorted()
    #expect(values.last! / values.first! < 1.05, "\(perExpert)")
    let one = try #require(perExpert[1]), sixteen = try #require(perExpert[16])
    #expect(sixteen * 8 / (one * 2) > 3.5, "batch 16 reads all 8 experts, batch 1 two of them")
  }

  /// The planner's roofline (the H200's 4.8 TB/s datasheet bandwidth, no overheads) is a bound: every
  /// step replayed from a CUDA graph takes longer (1.9-8.2x: at these sizes a step is half kernel
  /// latency, about 54-100 kernels a layer). Counting every expert as read, as the planner did before,
  /// breaks the bound: Mixtral's 6 layers at batch 1 would take longer than they were measured to.
  @Test func rooflineBoundsEveryGraphStep() throws {
    let h200 = try #require(GPUCatalog.all.first { $0.name == "H200" })
    func roofline(_ model: ModelGraph, batch: Int, cache: Int) throws -> Double {
      var workload = Workload()
      workload.batch = batch
      workload.contextTokens = cache
      workload.dtype = .fixed(.bf16)
      let plan = try Planner.plan(
        PlanRequest(model: model, gpus: [h200], workload: workload, runtime: .roofline(), objective: .latency)
      )
      return plan.speed.decodeSecondsPerToken * 1000
    }
    for (key, entry) in try Self.configs() {
      let arch = try #require(entry["arch"] as? String)
      let layers = try #require(entry["layers"] as? Int)
      let model = try MeasuredGeometry.graph(arch, layers: layers, file: Self.graphs)
      for (batch, point) in try Self.byBatch(key) {
        let measured = try #require(point["graphMs"] as? Double)
        let bound = try roofline(model, batch: batch, cache: try #require(point["cacheTokens"] as? Int))
        #expect(bound < measured, "\(key) batch \(batch): roofline \(bound) ms against \(measured) measured")
      }
    }
    var everyExpert = try MeasuredGeometry.graph("mixtral", layers: 6, file: Self.graphs)
    everyExpert.layers = everyExpert.layers.map { layer in
      var layer = layer
      layer.routedExperts = nil
      return layer
    }
    let measured = try #require(try Self.byBatch("mixtral-6")[1]?["graphMs"] as? Double)
    #expect(try roofline(everyExpert, batch: 1, cache: 384) > measured)
  }
}
