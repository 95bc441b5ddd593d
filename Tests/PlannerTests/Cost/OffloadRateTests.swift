import Foundation
import Testing

@testable import Planner

/// accelerate's CPU offload, held to five H200 measurements (transformers 5.17, accelerate 1.15, bf16,
/// 8 layers, the last `k` on the CPU through `dispatch_model`'s hooks):
/// - fixtures/measurements/offload-h200.json (`Scripts/measure_host_cost.py --part offload`): Qwen2-7B
///   geometry, one layer;
/// - fixtures/measurements/offload2-h200.json (`--part offload2`, another session): Qwen2-7B geometry
///   with two and four layers, Llama-3-8B geometry with one and three.
///
/// Every point gives a rate: the offloaded bytes over the extra decode time against the same model
/// with none offloaded. The built-in rate (``RuntimeProfile/transformers``) is their median. The
/// procedure is validated leaving one out: each point is predicted by the planner with the median of
/// the other four, and must fall within 25% of its measurement.
@Suite struct OffloadRateTests {
  struct Point {
    var arch: String
    var offloaded: Int
    var baseMs: Double
    var measuredMs: Double
    var layerBytes: Double
    var rate: Double { layerBytes * Double(offloaded) / ((measuredMs - baseMs) / 1000) }
  }

  static func decodeMs(_ point: [String: Any]) throws -> Double {
    try #require((point["decode"] as? [String: Any])?["msPerToken"] as? Double)
  }

  static func points() throws -> [Point] {
    var points: [Point] = []
    let first = try #require(try MeasuredGeometry.json("offload-h200.json")["offload"] as? [String: Any])
    let firstPoints = try #require(first["points"] as? [[String: Any]])
    let firstBase = try decodeMs(try #require(firstPoints.first { $0["offloadedLayers"] as? Int == 0 }))
    for point in firstPoints where point["where"] as? String == "cpu" {
      points.append(
        Point(
          arch: "qwen2", offloaded: try #require(point["offloadedLayers"] as? Int), baseMs: firstBase,
          measuredMs: try decodeMs(point), layerBytes: try #require(first["layerBytes"] as? Double)))
    }
    let second = try #require(try MeasuredGeometry.json("offload2-h200.json")["offload2"] as? [String: Any])
    let secondPoints = try #require(second["points"] as? [[String: Any]])
    for point in secondPoints where (point["offloadedLayers"] as? Int ?? 0) > 0 {
      let arch = try #require(point["arch"] as? String)
      let base = try #require(
        secondPoints.first { $0["arch"] as? String == arch && $0["offloadedLayers"] as? Int == 0 })
      points.append(
        Point(
          arch: arch, offloaded: try #require(point["offloadedLayers"] as? Int), baseMs: try decodeMs(base),
          measuredMs: try decodeMs(point), layerBytes: try #require(point["layerBytes"] as? Double)))
    }
    return points
  }

  static func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
  }

  /// The planner's decode, in milliseconds, of `arch` at 8 layers on an H200 with the last `offloaded`
  /// decoder layers on the CPU (the measured map: embeddings, norm and head on GPU 0), under the host
  /// profile fitted on that machine with the offload rate `rate`.
  static func predictedMs(_ arch: String, offloaded: Int, rate: Double) throws -> Double {
    let model = try MeasuredGeometry.graph(arch, layers: 8, file: "offload2-h200.json")
    let h200 = try #require(GPUCatalog.all.first { $0.name == "H200" })
    var profile = try ProfileFile.load(
      path: Fixtures.root.appendingPathComponent("fixtures/profiles/h200-launches-transformers.json").path)
    profile.offloadBytesPerSecond = rate
    var workload = Workload()
    workload.contextTokens = 140  // the script's prompt of 128 and a few new tokens
    workload.dtype = .fixed(.bf16)
    let memory = MemoryModel(
      model: model, workload: workload, weightDType: .bf16, computeDType: .bf16, runtime: profile)
    let problem = PlacementProblem(model: model, gpus: [h200], memory: memory, userMaxMemory: nil)
    let decoders = model.layers.indices.filter { model.layers[$0].kind == .decoder }
    let onCPU = Set(decoders.suffix(offloaded))
    let map = model.layers.indices.map { index in
      (module: model.layers[index].module, device: onCPU.contains(index) ? Device.cpu : .gpu(0))
    }
    let plan = DeviceMapLayout(
      problem: problem, placement: Placement(deviceMap: map), strategy: .memory, dtypeNotes: [])
    return plan.estimate.decodeSecondsPerToken * 1000
  }

  @Test func fiveMeasuredPoints() throws {
    let points = try Self.points()
    #expect(points.count == 5)
    // Each measured map did offload: a layer costs tens of milliseconds a step, not the 0.1 ms of a
    // layer read on the GPU.
    for point in points { #expect(point.measuredMs - point.baseMs > 50 * Double(point.offloaded)) }
  }

  /// The built-in rate is the median of the measured ones; they spread from 4.9 to 6.7 GB/s.
  @Test func builtInRateIsTheMedianOfTheMeasuredRates() throws {
    let rates = try Self.points().map(\.rate)
    let builtIn = try #require(RuntimeProfile.transformers.offloadBytesPerSecond)
    #expect(abs(builtIn / Self.median(rates) - 1) < 0.005, "\(builtIn) against \(rates)")
    #expect(rates.allSatisfy { $0 > 4.5e9 && $0 < 7e9 }, "\(rates)")
  }

  /// Leave one out: every point predicted from the other four's median rate, within 25%.
  @Test func everyPointWithinAQuarterFromTheOthers() throws {
    let points = try Self.points()
    for (index, point) in points.enumerated() {
      var others = points
      others.remove(at: index)
      let rate = Self.median(others.map(\.rate))
      let predicted = try Self.predictedMs(point.arch, offloaded: point.offloaded, rate: rate)
      #expect(
        abs(predicted / point.measuredMs - 1) < 0.25,
        "\(point.arch) with \(point.offloaded) on the CPU: \(predicted) ms against \(point.measuredMs) measured"
      )
    }
  }
}
