import Foundation
import Testing

@testable import Planner

/// `planner calibrate --from-log`: llama.cpp's timing lines, or vLLM's startup and statistics
/// lines, read, and a profile fitted so that the plan's numbers are the log's.
@Suite struct CalibrateFromLogTests {
  static let sample = "fixtures/logs/llama-server-format-sample.log"

  @Test func readsEveryTimingLineAndSumsThem() throws {
    let log = try RuntimeLog.parse(
      try Fixtures.data("logs/llama-server-format-sample.log"), file: Self.sample)
    #expect(log.decodeTokens == 510)
    #expect(log.decodeLines == 2)
    #expect(abs(log.decodeMilliseconds - 7954.33) < 1e-9)
    #expect(log.promptTokens == 1024)
    #expect(abs((log.decodeSecondsPerToken ?? 0) - 7.95433 / 510) < 1e-12)
  }

  @Test func readsTheLlamaPerfLinesOfTheCommandLineTools() throws {
    let text = """
      llama_perf_context_print:        load time =    1021.12 ms
      llama_perf_context_print: prompt eval time =     120.00 ms /    10 tokens (   12.00 ms per token,    83.33 tokens per second)
      llama_perf_context_print:        eval time =    1000.00 ms /    99 runs   (   10.10 ms per token,    99.00 tokens per second)
      """
    let log = try RuntimeLog.parse(Data(text.utf8), file: "cli.log")
    #expect(log.decodeTokens == 99 && log.promptTokens == 10)
  }

  @Test func refusesLogsWithoutTimingsAndMalformedLines() {
    #expect(
      throws: RuntimeLog.Error(
        description:
          "empty.log: no llama.cpp 'eval time = ... ms / N runs' line with tokens (run llama-cli, llama-server or llama-bench and save what it prints) and no vLLM 'Available KV cache memory' line (save what vllm serve prints from its start)"
      )
    ) {
      try RuntimeLog.parse(Data("hello\n".utf8), file: "empty.log")
    }
    #expect {
      try RuntimeLog.parse(Data("ok\n       eval time = lots ms / 3 runs\n".utf8), file: "bad.log")
    } throws: { error in
      (error as? RuntimeLog.Error)?.description.hasPrefix("bad.log:2: an eval time line") == true
    }
  }

  @Test func theFittedProfileReproducesTheMeasurement() throws {
    let log = try RuntimeLog.parse(
      try Fixtures.data("logs/llama-server-format-sample.log"), file: Self.sample)
    let model = try #require(ModelCatalog.entry(named: "qwen2.5-7b")).build()
    let request = PlanRequest(model: model, gpus: try GPUList.parse("RTX3090"), runtime: .llamaCpp())
    let fit = try Calibration.fit(log, request: request)
    #expect(fit.fields == [.memoryEfficiency, .computeEfficiency])
    #expect(abs(fit.decodeAfter - fit.measuredDecode) / fit.measuredDecode < 0.01)
    let prefill = try #require(fit.prefillAfter)
    let measured = try #require(fit.measuredPrefill)
    #expect(abs(prefill - measured) / measured < 0.01)
    #expect(fit.decodeBefore != fit.decodeAfter)
    // The profile file it writes is one `--profile` reads back, with the same values.
    let text = ProfileFile.render(fit.profile, fields: fit.fields, measuredOn: "RTX3090", notes: ["n"])
    let reread = try ProfileFile.parse(Data(text.utf8), file: "fitted.json")
    #expect(reread.memoryEfficiency == fit.profile.memoryEfficiency)
    #expect(reread.computeEfficiency == fit.profile.computeEfficiency)
    #expect(reread.name == "llama.cpp")
  }

  @Test func otherRuntimesAreRefused() throws {
    let log = try RuntimeLog.parse(
      try Fixtures.data("logs/llama-server-format-sample.log"), file: Self.sample)
    let model = try #require(ModelCatalog.entry(named: "qwen2.5-7b")).build()
    #expect(throws: PlanningError.self) {
      try Calibration.fit(log, request: PlanRequest(model: model, gpus: try GPUList.parse("RTX3090")))
    }
  }

  // MARK: vLLM

  static let vllmStartup = "logs/vllm-v1-llama-3.1-8b-h100.log"
  static let vllmStats = "logs/vllm-v1-llama-3.2-1b-l40-stats.log"

  @Test func readsVLLMStartupLines() throws {
    // Expected values: the log's own lines (fixtures/logs/vllm-v1-llama-3.1-8b-h100.log).
    let log = try #require(
      try RuntimeLog.parse(try Fixtures.data(Self.vllmStartup), file: Self.vllmStartup).vllm)
    #expect(log.weightsGiB == 14.99)
    #expect(log.availableKVGiB == 58.11)
    #expect(log.kvTokens == 476_016)
    #expect(log.maxModelLen == 16384)
    #expect(log.maxConcurrency == 29.05)
    #expect(log.cudaGraphEstimateGiB == 0.84)
    #expect(log.utilization == 0.95)
    #expect(log.stats.isEmpty && log.steadyDecode == nil)
  }

  @Test func readsVLLMStatisticsLines() throws {
    let log = try #require(try RuntimeLog.parse(try Fixtures.data(Self.vllmStats), file: Self.vllmStats).vllm)
    #expect(log.stats.count == 5)
    #expect(log.availableKVGiB == nil)
    // Steady decoding: prompt 0.0 tokens/s and a request running; the latest of the three.
    let steady = try #require(log.steadyDecode)
    #expect(steady.generationTokensPerSecond == 201.5 && steady.running == 1 && steady.kvUsagePercent == 0.6)
  }

  @Test func refusesMalformedVLLMLines() {
    #expect {
      try RuntimeLog.parse(Data("ok\nINFO Available KV cache memory: lots GiB\n".utf8), file: "bad.log")
    } throws: { error in
      (error as? RuntimeLog.Error)?.description.hasPrefix("bad.log:2: a 'Available KV cache memory:' line")
        == true
    }
    // Startup lines without the KV cache line and no steady decoding: nothing to fit.
    #expect(throws: RuntimeLog.Error.self) {
      try RuntimeLog.parse(
        Data(
          "Avg prompt throughput: 5.0 tokens/s, Avg generation throughput: 1.0 tokens/s, Running: 1 reqs\n"
            .utf8),
        file: "busy.log")
    }
  }

  /// The public Llama-3.1-8B log (vLLM 0.19 on an H100, the fixture test's entry): the profile the
  /// fit writes, read back as `--profile` reads it, makes the plan's KV cache the log's within 2%.
  @Test func theVLLMProfileReproducesTheLogsKVCache() throws {
    let entry = try #require(
      VLLMV1LogTests.logs.first { $0.id == "vllm-v1-llm-d-planner-llama3.1-8b-h100-tp1" })
    let log = try #require(
      try RuntimeLog.parse(try Fixtures.data(Self.vllmStartup), file: Self.vllmStartup).vllm)
    let model = try #require(ModelCatalog.entry(named: "llama-3.1-8b")).build()
    let request = PlanRequest(model: model, gpus: [try VLLMV1LogTests.gpu(entry)], runtime: .vllm())
    let fit = try Calibration.fitVLLM(log, request: request)
    #expect(fit.fields == [.reservePerGPUBytes])
    // Without the profile the plan is the fixture test's prediction (the same ranks), which that
    // test compares with the CUDA-graph estimate added back (vLLM 0.19 did not subtract it).
    let ranks = try VLLMV1LogTests.ranks(entry).ranks
    #expect(fit.kvBefore == ranks.map(\.kvAvailable).min())
    let gib = Double(1 << 30)
    let errorBefore =
      (Double((fit.kvBefore + VLLMMemory.cudaGraphBytes).value) / gib - entry.availableKVGiB)
      / entry.availableKVGiB
    #expect(abs(errorBefore) < 0.10)
    // With the profile, as a file read back.
    let text = ProfileFile.render(fit.profile, fields: fit.fields, measuredOn: "H100", notes: fit.summary)
    let profile = try ProfileFile.parse(Data(text.utf8), file: "fitted.json")
    #expect(profile.name == "vllm")
    var serving = ServingConfig()
    serving.maxModelLen = 16384
    serving.gpuMemoryUtilization = 0.95
    let plan = try Planner.plan(
      PlanRequest(model: model, gpus: request.gpus, runtime: .vllm(serving), profile: profile))
    guard case .engine(let engine) = plan.layout else {
      Issue.record("not a vLLM plan")
      return
    }
    let available = Double(try #require(engine.layout.stages.map(\.memory.kvAvailable).min()).value) / gib
    #expect(abs(available - 58.11) / 58.11 < 0.02)
    #expect(abs(Double(engine.layout.kvTokens) - 476_016) / 476_016 < 0.02)
    // The profile moved the plan: without it, the KV cache differs.
    #expect(fit.kvBefore != fit.kvAfter)
  }

  /// The public Llama-3.2-1B statistics lines (vllm-project/vllm#31353, an L40): the memory
  /// efficiency that makes the plan's decode step at one running request the log's 1 / 201.5 s.
  @Test func theVLLMProfileReproducesTheLogsGenerationThroughput() throws {
    let log = try #require(try RuntimeLog.parse(try Fixtures.data(Self.vllmStats), file: Self.vllmStats).vllm)
    let model = try #require(ModelCatalog.entry(named: "llama-3.2-1b")).build()
    let request = PlanRequest(model: model, gpus: try GPUList.parse("L40"), runtime: .vllm())
    let fit = try Calibration.fitVLLM(log, request: request)
    #expect(fit.fields == [.memoryEfficiency])
    let decode = try #require(fit.decode)
    #expect(decode.running == 1 && abs(decode.measured - 1 / 201.5) < 1e-12)
    #expect(abs(decode.after - decode.measured) / decode.measured < 0.01)
    #expect(decode.before != decode.after)
    let text = ProfileFile.render(fit.profile, fields: fit.fields, measuredOn: "L40", notes: fit.summary)
    let profile = try ProfileFile.parse(Data(text.utf8), file: "fitted.json")
    let plan = try Planner.plan(
      PlanRequest(model: model, gpus: request.gpus, runtime: .vllm(), profile: profile))
    #expect(abs(plan.speed.decodeSecondsPerToken * 201.5 - 1) < 0.02)
  }

  /// A format sample (made-up statistics line, not a measurement) after the real startup lines:
  /// 64 requests decoding at 2,500 tokens/s with 20% of the cache in use fit a memory efficiency
  /// whose plan at batch 64 steps in 64 / 2500 s.
  @Test func theVLLMFitUsesTheRunningBatch() throws {
    let stats =
      "Engine 000: Avg prompt throughput: 0.0 tokens/s, Avg generation throughput: 2500.0 tokens/s, "
      + "Running: 64 reqs, Waiting: 0 reqs, GPU KV cache usage: 20.0%, Prefix cache hit rate: 0.0%\n"
    var data = try Fixtures.data(Self.vllmStartup)
    data.append(Data(stats.utf8))
    let log = try #require(try RuntimeLog.parse(data, file: "sample.log").vllm)
    let model = try #require(ModelCatalog.entry(named: "llama-3.1-8b")).build()
    let fit = try Calibration.fitVLLM(
      log, request: PlanRequest(model: model, gpus: try GPUList.parse("H100"), runtime: .vllm()))
    #expect(fit.fields == [.reservePerGPUBytes, .memoryEfficiency])
    let decode = try #require(fit.decode)
    // 20% of 476,016 tokens over 64 sequences.
    #expect(decode.running == 64 && decode.context == 1487)
    #expect(abs(decode.after - 64.0 / 2500) / (64.0 / 2500) < 0.01)
  }

  @Test func refusesVLLMSizesNoEngineWrites() {
    #expect {
      try RuntimeLog.parse(Data("Available KV cache memory: 99999999999 GiB\n".utf8), file: "huge.log")
    } throws: { error in
      (error as? RuntimeLog.Error)?.description.hasPrefix("huge.log:1: a 'Available KV cache memory:' line")
        == true
    }
    #expect(throws: RuntimeLog.Error.self) {
      try RuntimeLog.parse(
        Data("Available KV cache memory: 1.0 GiB\nModel loading took -3 GiB\n".utf8), file: "negative.log")
    }
  }

  @Test func aVLLMLogCalibratesOnlyVLLM() throws {
    let log = try RuntimeLog.parse(try Fixtures.data(Self.vllmStartup), file: Self.vllmStartup)
    let model = try #require(ModelCatalog.entry(named: "llama-3.1-8b")).build()
    let gpus = try GPUList.parse("H100")
    #expect(throws: PlanningError.self) {
      try Calibration.fit(log, request: PlanRequest(model: model, gpus: gpus, runtime: .llamaCpp()))
    }
    #expect(throws: PlanningError.self) {
      try Calibration.fitVLLM(try #require(log.vllm), request: PlanRequest(model: model, gpus: gpus))
    }
  }
}
