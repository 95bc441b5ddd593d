import Foundation
import Testing

@testable import Planner

/// `planner calibrate --from-log`: llama.cpp's timing lines read, and a profile fitted so that the
/// plan's times are the log's.
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
          "empty.log: no llama.cpp 'eval time = ... ms / N runs' line with tokens (run llama-cli, llama-server or llama-bench and save what it prints)"
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
}
