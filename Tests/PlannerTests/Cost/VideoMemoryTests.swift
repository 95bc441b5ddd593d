import Foundation
import Testing

@testable import Planner

/// Holds the planner's Qwen2.5-Omni-7B video and audio peaks to the H200 measurement
/// (fixtures/measurements/omni-video-h200.json, Scripts/measure_omni_video.py: the thinker built
/// from fixtures/models/qwen2.5-omni-7b/config.json with random bf16 weights, transformers 5.17,
/// torch.cuda.max_memory_allocated) within 10%, for 15, 30 and 60 s of video at 2 fps and 30 s of
/// audio, sdpa and eager; the cases that ran out of memory on the H200 must not fit on it.
@Suite struct VideoMemoryTests {
  struct Measurement: Decodable {
    struct Case: Decodable {
      var `case`: String
      var status: String
      var kind: String?
      var attention: String?
      var seconds: Double?
      var videoTokens: Int64?
      var promptTokens: Int64?
      var peakBytes: Int64?
      var peakAboveStartBytes: Int64?
      var weightsBytes: Int64?
    }
    var cases: [Case]
    var deviceTotalBytes: Int64
  }

  static let decoder: JSONDecoder = {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return decoder
  }()

  static let measurement: Measurement = {
    guard let data = try? Fixtures.data("measurements/omni-video-h200.json"),
      let decoded = try? Self.decoder.decode(Measurement.self, from: data)
    else { fatalError("fixtures/measurements/omni-video-h200.json is missing or malformed") }
    return decoded
  }()

  static let model = ModelCatalog.entry(named: "qwen2.5-omni-7b")!.build()

  /// The memory model the measurement ran: the thinker in bf16, transformers, no speech output.
  static func memory(_ workload: Workload) -> MemoryModel {
    MemoryModel(
      model: model, workload: workload, weightDType: .bf16, computeDType: .bf16, runtime: .transformers)
  }

  static func workload(video: Double?, audio: Double?, attention: String) -> Workload {
    var workload = Workload(contextTokens: 1, attention: Workload.Attention(rawValue: attention)!)
    workload.videoSeconds = video
    workload.audioSeconds = audio
    return workload
  }

  /// The thinker's layers (the measured model has no talker).
  static var thinker: [Layer] { model.layers.filter { $0.stream != .speech } }

  @Test func videoTokensMatchTheMeasuredGrid() {
    for entry in Self.measurement.cases where entry.kind == "prefill" && entry.videoTokens != nil {
      let media = MediaTokens(
        workload: Self.workload(video: entry.seconds, audio: nil, attention: "sdpa"), model: Self.model)
      #expect(media.video?.tokens == entry.videoTokens, "\(entry.case)")
    }
  }

  @Test func prefillPeaksWithinTenPercent() {
    var checked = 0
    for entry in Self.measurement.cases where entry.kind == "prefill" && entry.status == "ok" {
      let isVideo = entry.videoTokens != nil
      let workload = Self.workload(
        video: isVideo ? entry.seconds : nil, audio: isVideo ? nil : entry.seconds,
        attention: entry.attention!)
      let breakdown = Self.memory(workload).breakdown(of: Self.thinker, isGPU: true)
      let predicted = Double((breakdown.total - breakdown.reserve).value)
      let measured = Double(entry.peakBytes!)
      #expect(abs(predicted / measured - 1) < 0.10, "\(entry.case): \(predicted) vs \(measured)")
      checked += 1
    }
    #expect(checked == 6)
  }

  @Test func encoderPeaksWithinTenPercent() {
    var checked = 0
    for entry in Self.measurement.cases where entry.status == "ok" {
      let stream: Layer.Stream
      switch entry.kind {
      case "vision_tower": stream = .vision
      case "audio_tower": stream = .audio
      default: continue
      }
      let workload = Self.workload(
        video: stream == .vision ? entry.seconds : nil, audio: stream == .audio ? entry.seconds : nil,
        attention: entry.attention!)
      let memory = Self.memory(workload)
      let weights = Self.thinker.reduce(ByteCount.zero) { $0 + memory.weights(of: $1) }
      let encoder = Self.thinker.first { $0.stream == stream && $0.kind != .projector }!
      let predicted = Double((weights + memory.transient(of: encoder)).value)
      #expect(abs(predicted / Double(entry.peakBytes!) - 1) < 0.10, "\(entry.case)")
      if stream == .vision {
        // The activations alone, the harder test: within 10% as well.
        let above = Double(memory.transient(of: encoder).value)
        #expect(abs(above / Double(entry.peakAboveStartBytes!) - 1) < 0.10, "\(entry.case) activations")
      }
      checked += 1
    }
    #expect(checked == 8)
  }

  @Test func measuredOutOfMemoryDoesNotFitOnTheH200() {
    var checked = 0
    for entry in Self.measurement.cases where entry.status == "oom" {
      // An out-of-memory case records only its name: prefill-video-ATTENTION-SECONDSs.
      let parts = entry.case.split(separator: "-")
      let seconds = Double(parts[3].dropLast())
      let breakdown = Self.memory(Self.workload(video: seconds, audio: nil, attention: String(parts[2])))
        .breakdown(of: Self.thinker, isGPU: true)
      checked += 1
      #expect(breakdown.total.value > Self.measurement.deviceTotalBytes, "\(entry.case)")
    }
    #expect(checked == 2)
  }

  @Test func weightsWithinOnePercent() {
    let memory = Self.memory(Workload())
    let weights = Double(Self.thinker.reduce(ByteCount.zero) { $0 + memory.weights(of: $1) }.value)
    let measured = Double(Self.measurement.cases.first { $0.weightsBytes != nil }!.weightsBytes!)
    #expect(abs(weights / measured - 1) < 0.01)
  }

  @Test func peaksGrowWithVideoLength() {
    let peaks = [15.0, 30, 60].map {
      Self.memory(Self.workload(video: $0, audio: nil, attention: "sdpa")).breakdown(
        of: Self.model.layers, isGPU: true
      )
      .total
    }
    #expect(peaks[0] < peaks[1] && peaks[1] < peaks[2])
  }

  /// Speech output adds the talker's weights (1.35 G parameters, bf16: 2.70 GB measured) and its
  /// prefill over the context (1.84 GiB above its weights at 11,546 tokens, measured).
  @Test func speechOutputAddsTheTalker() {
    var workload = Self.workload(video: 15, audio: nil, attention: "sdpa")
    let without = Self.memory(workload).breakdown(of: Self.model.layers, isGPU: true)
    workload.audioOutput = true
    let with = Self.memory(workload).breakdown(of: Self.model.layers, isGPU: true)
    #expect(with.weights > without.weights)
    let talker = Self.model.layers.first { $0.module == "talker" }!
    let memory = Self.memory(workload)
    let measuredTalker = Self.measurement.cases.first { $0.case == "talker-prefill-15s" }!
    // The talker's KV cache and prefill transient, without the thinker's kept hidden states.
    let kept = Int64(29) * memory.context * Self.model.hiddenSize * 2
    let predicted = Double(memory.kvCache(of: talker).value + memory.transient(of: talker).value - kept)
    #expect(abs(predicted / Double(measuredTalker.peakAboveStartBytes!) - 1) < 0.10)
  }
}
