import Foundation
import Testing

@testable import Planner

/// Ranges: each contains its estimate, a rate's range is the inverse of its time's, and the
/// measurements in fixtures/measurements fall inside the ranges the built-in profile predicts,
/// except the miss the README lists (another host's CPU).
@Suite struct EstimateRangeTests {
  static let spreads: [TimeSpread] = [.transformers, .vllm, .sglang, .llamaCpp, .roofline, .unknown]

  @Test func aRangeContainsItsPoint() {
    let seed: UInt64 = 0x5EED_0014
    var generator = SplitMix64(seed: seed)
    for _ in 0..<2000 {
      let seconds = Double.random(in: 1e-7...1e4, using: &generator)
      let spread =
        Bool.random(using: &generator)
        ? Self.spreads.randomElement(using: &generator)!
        : TimeSpread(
          low: Double.random(in: 0.1...1, using: &generator),
          high: Double.random(in: 1...10, using: &generator))
      for range in [
        EstimateRange(seconds: seconds, spread: spread), EstimateRange(rate: 1 / seconds, spread: spread),
      ] {
        #expect(range.low <= range.value && range.value <= range.high, "seed \(seed): \(range)")
        #expect(range.contains(range.value), "seed \(seed): \(range)")
      }
    }
  }

  /// tokens/s at the slowest time is the low end of the rate: 1 / (1.35 × 26 ms) = 28.5 tokens/s.
  @Test func aRateIsTheInverseOfItsTime() {
    let spread = TimeSpread(low: 0.80, high: 1.35)
    let time = EstimateRange(seconds: 0.026, spread: spread)
    let rate = EstimateRange(rate: 1 / 0.026, spread: spread)
    #expect(abs(time.high - 0.0351) < 1e-12)
    #expect(abs(rate.low - 1 / 0.0351) < 1e-9)
    #expect(abs(rate.high - 1 / 0.0208) < 1e-9)
    #expect(!time.contains(0.0352) && !time.contains(0.0207))
  }

  @Test func theRooflineIsABound() {
    let range = EstimateRange(seconds: 0.005, spread: .roofline)
    #expect(range.isBound)
    #expect(range.low == 0.005 && range.high == 0.005)
    #expect(RangeFormatting.seconds(range) == "[at best]")
    #expect(
      RangeFormatting.seconds(EstimateRange(seconds: 0.026, spread: TimeSpread(low: 0.80, high: 1.35)))
        == "[20.80–35.10 ms]")
    #expect(
      RangeFormatting.seconds(EstimateRange(seconds: 0.001, spread: TimeSpread(low: 0.80, high: 1.35)))
        == "[800.0 µs–1.35 ms]")
    #expect(RangeFormatting.rate(EstimateRange(rate: 10, spread: .vllm)) == "[8.0–12.5]")
  }

  /// Every runtime's plan carries ranges around each of its times, computed with the plan.
  @Test(arguments: ["transformers", "vllm", "llama.cpp", "roofline", "sglang"])
  func everyPlanTimeHasARange(runtime: String) throws {
    let model = try #require(ModelCatalog.entry(named: "minicpm-v-2.6")).build()
    let plan = try Planner.plan(
      PlanRequest(
        model: model, gpus: try GPUList.parse("2xA100-80G"),
        runtime: Runtime(try #require(Runtime.Kind(named: runtime)))))
    let speed = plan.speed
    let r = speed.ranges
    let pairs: [(Double, EstimateRange?)] = [
      (speed.decodeSecondsPerToken, r.decodeSecondsPerToken), (speed.tokensPerSecond, r.tokensPerSecond),
      (speed.prefillSeconds, r.prefillSeconds),
      (speed.throughputTokensPerSecond, r.throughputTokensPerSecond),
      (speed.imageSeconds ?? 0, speed.imageSeconds == nil ? nil : r.imageSeconds),
    ]
    for (value, range) in pairs {
      guard let range else { continue }
      #expect(abs(range.value - value) <= 1e-12 * max(1, value), "\(runtime): \(range) for \(value)")
      #expect(range.low <= range.value && range.value <= range.high, "\(runtime): \(range)")
      #expect(range.isBound == (runtime == "roofline"), "\(runtime)")
    }
  }

  // MARK: - Against the measurements

  static func json(_ relative: String) throws -> JSONValue {
    try #require(JSONValue.parse(try Fixtures.data("measurements/" + relative)))
  }

  /// The predicted decode range of the measured geometry (Qwen2-7B, 28 layers, bf16, one GPU,
  /// 512-token prompt) with the built-in transformers profile.
  static func decodeRange(gpu: String, batch: Int = 1) throws -> EstimateRange {
    var workload = Workload()
    workload.batch = batch
    workload.contextTokens = 512 + 64
    workload.dtype = .fixed(.bf16)
    let plan = try Planner.plan(
      PlanRequest(model: CalibrationTests.model, gpus: try GPUList.parse(gpu), workload: workload))
    return plan.speed.ranges.decodeSecondsPerToken
  }

  /// decode-h100.json's 28-layer run (Scripts/measure_decode.py): the median of every round
  /// (26.0, 26.0 and 32.6 ms, the last the run-to-run drift) is inside the predicted range.
  @Test func theH100DecodeRoundsFallInside() throws {
    guard case .array(let runs) = try Self.json("decode-h100.json")["runs"] else {
      throw CocoaError(.coderReadCorrupt)
    }
    let run = try #require(runs.first { $0["layers"]?.number == 28 })
    guard case .array(let medians) = run["decodeMsPerTokenMedians"] else {
      throw CocoaError(.coderReadCorrupt)
    }
    let range = try Self.decodeRange(gpu: "H100-SXM")
    #expect(medians.count == 3)
    for median in medians.compactMap(\.number) {
      #expect(range.contains(median / 1000), "\(median) ms outside \(range)")
    }
  }

  /// Held out: calibrate.py's own H100 run, every round's median at batch 1 and batch 8.
  @Test(arguments: [("decodeBatch1", 1), ("decodeBatch8", 8)])
  func theHeldOutH100RoundsFallInside(key: String, batch: Int) throws {
    let measurement = try #require(try Self.json("calibration-h100.json")[key])
    guard case .array(let medians) = measurement["msPerTokenMedians"] else {
      throw CocoaError(.coderReadCorrupt)
    }
    let range = try Self.decodeRange(gpu: "H100-SXM", batch: batch)
    for median in medians.compactMap(\.number) {
      #expect(range.contains(median / 1000), "\(key): \(median) ms outside \(range)")
    }
  }

  /// The miss: the built-in profile (an H100 host's CPU) predicts the H200 host's one-GPU decode
  /// (17.64 ms, calibration-h200x2.json) 49% slow, and the measurement falls below the range; the
  /// H200 host's profile puts it inside.
  @Test func anotherHostsDecodeIsFlaggedAsAMiss() throws {
    let measured =
      try #require(try Self.json("calibration-h200x2.json")["decodeOneGpu"]?["msPerTokenMedian"]?.number)
      / 1000
    let range = try Self.decodeRange(gpu: "H200")
    #expect(!range.contains(measured))
    #expect(measured < range.low, "\(measured) s against \(range)")
    let profile = try ProfileFile.load(
      path: Fixtures.root.appendingPathComponent("fixtures/profiles/h200-transformers.json").path)
    var workload = Workload()
    workload.contextTokens = 512 + 64
    workload.dtype = .fixed(.bf16)
    let fitted = try Planner.plan(
      PlanRequest(
        model: CalibrationTests.model, gpus: try GPUList.parse("H200"), workload: workload, profile: profile))
    #expect(fitted.speed.ranges.decodeSecondsPerToken.contains(measured))
  }
}
