import Foundation
import Testing

@testable import Planner

/// Holds the planner's predictions to measurements on real GPUs (Scripts/calibrate.py and
/// Scripts/measure_decode.py, raw data in fixtures/measurements/), within the calibration
/// targets: weights within 1%, peak memory within 10%, time within 15%. Constants fitted to a
/// point are checked on the points not used in the fit; a change to the cost or memory model that
/// drifts from reality fails here.
@Suite struct CalibrationTests {
  /// The H100 measurements.
  static let h100: JSONValue = {
    guard let data = try? Fixtures.data("measurements/calibration-h100.json"),
      let json = JSONValue.parse(data)
    else {
      fatalError("fixtures/measurements/calibration-h100.json is missing or not JSON")
    }
    return json
  }()

  /// The measured model: Qwen2-7B geometry with MiniCPM-V 2.6's vocabulary, untied.
  static let model = ModelCatalog.causalLM(
    name: "qwen2-7b-geometry", summary: "measured geometry",
    DecoderLLM(
      family: .qwen2, hiddenSize: 3584, layerCount: 28, headCount: 28, kvHeadCount: 4,
      intermediateSize: 18944,
      vocabularySize: 151666))

  static let gpu = GPUList.lookup("H100-SXM")!

  static func relativeError(_ predicted: Double, _ measured: Double) -> Double {
    (predicted - measured) / measured
  }

  static func memory(batch: Int, context: Int, attention: Workload.Attention = .sdpa) -> MemoryModel {
    var workload = Workload()
    workload.batch = batch
    workload.contextTokens = context
    workload.attention = attention
    return MemoryModel(
      model: model, workload: workload, weightDType: .bf16, computeDType: .bf16, runtime: .transformers)
  }

  /// One single-GPU plan of the measured model.
  static func plan(runtime: RuntimeProfile, batch: Int = 1, context: Int) -> DeviceMapLayout {
    var workload = Workload()
    workload.batch = batch
    workload.contextTokens = context
    workload.dtype = .fixed(.bf16)
    let request = PlanRequest(
      model: model, gpus: [gpu], workload: workload, runtime: Runtime(Runtime.Kind(named: runtime.name)!),
      profile: runtime)
    return try! Planner.plan(request).layout.deviceMap!
  }

  @Test func weightsWithinOnePercent() throws {
    guard case .array(let entries) = Self.h100["weights"] else { throw CocoaError(.coderReadCorrupt) }
    let entry = try #require(
      entries.first { $0["model"] == .string("qwen2-7b") && $0["dtype"] == .string("bf16") })
    let measured = try #require(entry["allocatedBytes"]?.number)
    let predicted = Double(Self.model.weightBytes(weight: .bf16, compute: .bf16).value)
    #expect(
      abs(Self.relativeError(predicted, measured)) < 0.01, "predicted \(predicted), measured \(measured)")
  }

  /// Peak memory above the weights during `generate` (prompt of `context` tokens, 8 new): the KV
  /// cache of `context + 8` tokens plus the prefill's activation peak, at every grid point.
  @Test func peakMemoryWithinTenPercent() throws {
    guard case .array(let points) = Self.h100["peakGrid"]?["points"] else {
      throw CocoaError(.coderReadCorrupt)
    }
    #expect(points.count >= 10)
    // Points too large for the GPU were skipped by the script (no measurement).
    for point in points {
      guard let measured = point["peakAboveWeightsBytes"]?.number else { continue }
      let batch = try #require(point["batch"]?.number)
      let context = try #require(point["context"]?.number)
      let memory = Self.memory(batch: Int(batch), context: Int(context) + 8)
      let breakdown = memory.breakdown(of: Self.model.layers, isGPU: true)
      let predicted = Double((breakdown.kvCache + breakdown.activations).value)
      let error = Self.relativeError(predicted, measured)
      #expect(
        abs(error) < 0.10, "batch \(batch) context \(context): predicted \(predicted), measured \(measured)")
    }
  }

  @Test func eagerPeakMemoryWithinTenPercent() throws {
    guard case .array(let points) = Self.h100["peakEager"] else { throw CocoaError(.coderReadCorrupt) }
    #expect(points.count >= 2)
    for point in points {
      let context = try #require(point["context"]?.number)
      let measured = try #require(point["peakAboveWeightsBytes"]?.number)
      let memory = Self.memory(batch: 1, context: Int(context) + 8, attention: .eager)
      let breakdown = memory.breakdown(of: Self.model.layers, isGPU: true)
      let predicted = Double((breakdown.kvCache + breakdown.activations).value)
      #expect(
        abs(Self.relativeError(predicted, measured)) < 0.10, "eager \(context): \(predicted) vs \(measured)")
    }
  }

  /// Eager transformers decode: the host time per layer was fitted on an earlier run
  /// (decode-h100.json); this run is held out.
  @Test(arguments: ["decodeBatch1", "decodeBatch8"])
  func transformersDecodeWithinFifteenPercent(key: String) throws {
    let measurement = try #require(Self.h100[key])
    let measured = try #require(measurement["msPerTokenMedian"]?.number) / 1000
    let batch = Int(try #require(measurement["batch"]?.number))
    let prompt = Int(try #require(measurement["promptTokens"]?.number))
    let predicted = Self.plan(runtime: .transformers, batch: batch, context: prompt + 64).estimate
      .decodeSecondsPerToken
    #expect(
      abs(Self.relativeError(predicted, measured)) < 0.15,
      "\(key): predicted \(predicted) s, measured \(measured) s")
  }

  /// The hardware floor (all weights read by matrix-vector products from a CUDA graph) against the
  /// graph-replaying runtime profile.
  @Test func cudaGraphFloorWithinFifteenPercent() throws {
    guard case .array(let points) = Self.h100["floor"] else { throw CocoaError(.coderReadCorrupt) }
    let point = try #require(points.first { $0["batch"]?.number == 1 })
    let measured = try #require(point["graphReplayMsMedian"]?.number) / 1000
    var workload = Workload()
    workload.contextTokens = 1
    workload.dtype = .fixed(.bf16)
    let engine = try Planner.plan(
      PlanRequest(model: Self.model, gpus: [Self.gpu], workload: workload, runtime: .vllm()))
    let predicted = engine.speed.decodeSecondsPerToken - RuntimeProfile.vllm.hostSecondsPerStep
    #expect(
      abs(Self.relativeError(predicted, measured)) < 0.15,
      "floor: predicted \(predicted) s, measured \(measured) s")
  }

  /// Prefill of 512 tokens (host-bound) and of 2048 and 4096 tokens (compute-bound).
  @Test(arguments: [512, 2048, 4096])
  func prefillWithinFifteenPercent(tokens: Int) throws {
    guard case .array(let points) = Self.h100["prefill"] else { throw CocoaError(.coderReadCorrupt) }
    let point = try #require(points.first { $0["tokens"]?.number == Double(tokens) })
    let measured = try #require(point["msMedian"]?.number) / 1000
    let predicted = Self.plan(runtime: .transformers, context: tokens).estimate.prefillSeconds
    #expect(
      abs(Self.relativeError(predicted, measured)) < 0.15, "prefill \(tokens): \(predicted) vs \(measured)")
  }

  /// SigLIP-400M on batches of 448 px slices. The encoder constants were fitted to 1 and 16
  /// slices; 4 and 10 are held out.
  @Test(arguments: [1, 4, 10, 16])
  func visionTowerWithinFifteenPercent(slices: Int) throws {
    guard case .array(let batches) = Self.h100["vision"]?["batches"] else {
      throw CocoaError(.coderReadCorrupt)
    }
    let point = try #require(batches.first { $0["slices"]?.number == Double(slices) })
    let measured = try #require(point["msMedian"]?.number) / 1000
    let minicpm = try #require(ModelCatalog.entry(named: "minicpm-v-2.6")).build()
    // At most 10 slices an image (MiniCPM-V's maximum): 16 slices are two images of 8.
    var workload = Workload()
    workload.images = slices > 10 ? 2 : 1
    workload.slicesPerImage = slices / workload.images
    let memory = MemoryModel(
      model: minicpm, workload: workload, weightDType: .bf16, computeDType: .bf16, runtime: .transformers)
    let cost = CostModel(memory: memory)
    // The measured tower: embeddings, the 27 blocks, the final norm (no resampler).
    let predicted = minicpm.layers.filter { $0.stream == .vision && $0.kind != .projector }
      .reduce(0.0) { $0 + cost.encode($1, on: Self.gpu).seconds }
    #expect(
      abs(Self.relativeError(predicted, measured)) < 0.15, "\(slices) slices: \(predicted) vs \(measured)")
  }
}

/// What accelerate's hooks copy between two H200s per decode step, counted by
/// `Scripts/calibrate.py --part split-sweep` (fixtures/measurements/split-sweep-h200x2.json).
@Suite struct SplitSweepTests {
  static let sweep: JSONValue = {
    guard let data = try? Fixtures.data("measurements/split-sweep-h200x2.json"),
      let json = JSONValue.parse(data)
    else {
      fatalError("fixtures/measurements/split-sweep-h200x2.json is missing or not JSON")
    }
    return json
  }()

  /// The tensors the hooks moved into the text layers, as the cost model counts them
  /// (``CostModel/movedInputs(layers:devices:)``), on every measured map: the rotary cos/sin and
  /// position_ids per decoder layer, rotary_emb's own two inputs. The hidden state into the first
  /// layer on GPU 1 (a hop) and the logits back (the logits hop) are not counted there.
  @Test func movedInputsAreWhatTheHooksMoved() throws {
    guard case .array(let configurations) = Self.sweep["decodeSweep"] else {
      throw CocoaError(.coderReadCorrupt)
    }
    #expect(configurations.count == 8)
    let model = CalibrationTests.model
    for entry in configurations {
      let name = try #require(entry["name"].flatMap { if case .string(let s) = $0 { s } else { nil } })
      let moved = try #require(entry["perDecodeStep"]?["hookMovedTensors"])
      guard case .object(let byArgument) = moved else { throw CocoaError(.coderReadCorrupt) }
      let total = byArgument.values.compactMap(\.number).reduce(0, +)
      var devices: [Device?] = model.layers.map { _ in .gpu(0) }
      if case .object(let map) = entry["deviceMap"] ?? .null {
        devices = model.layers.map { layer in (map[layer.module]?.number).map { .gpu(Int($0)) } }
      }
      #expect(!devices.contains(nil), "\(name): a layer has no device")
      let split = devices.contains(.gpu(1))
      let hops = split ? 2.0 : 0  // the hidden state into GPU 1 and the logits back
      #expect(
        Double(CostModel.movedInputs(layers: model.layers, devices: devices)) == total - hops,
        "\(name): measured \(byArgument)")
    }
  }
}

extension JSONValue {
  subscript(key: String) -> JSONValue? {
    if case .object(let fields) = self { return fields[key] }
    return nil
  }

  var number: Double? { if case .number(let value) = self { value } else { nil } }
}
