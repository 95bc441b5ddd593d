import Foundation
import Planner

/// `planner calibrate --from-log FILE --gpus G --model M`: the profile that makes the planner's
/// numbers the log's, as a `--profile` file on stdout: llama.cpp's decode and prompt times, or
/// vLLM's KV cache and generation throughput.
enum Calibrate {
  static func run(_ options: Options) -> Outcome {
    let custom: [GPU]
    switch Command.customGPUs(options) {
    case .success(let gpus): custom = gpus
    case .failure(let outcome): return outcome
    }
    let gpus: [GPU]
    switch Command.resolveGPUs(options, custom: custom) {
    case .success(let found): gpus = found.0
    case .failure(let outcome): return outcome
    }
    let model: ModelGraph
    switch Command.loadModel(options.model!, mmproj: options.mmproj) {
    case .success(let loaded): model = loaded.1
    case .failure(let outcome): return outcome
    }
    let path = options.fromLog!
    guard let data = FileManager.default.contents(atPath: NSString(string: path).expandingTildeInPath) else {
      return .failure("--from-log \(EchoedValue(path)): cannot read the file (does it exist?)")
    }
    let log: RuntimeLog
    do {
      log = try RuntimeLog.parse(data, file: path)
    } catch {
      return .failure(error.description)
    }
    if let vllm = log.vllm { return runVLLM(vllm, options: options, gpus: gpus, model: model, path: path) }
    if options.runtimeGiven && options.runtime != .llamaCpp {
      return .failure(
        "--from-log \(EchoedValue(path)): a llama.cpp log (no vLLM 'Available KV cache memory' line): leave out "
          + "--runtime \(options.runtime.rawValue)", code: Outcome.usageExitCode)
    }
    let request = PlanRequest(
      model: model, gpus: gpus, workload: options.workload, runtime: .llamaCpp(),
      maxMemory: options.maxMemory,
      hostMemory: options.hostMemory)
    let fit: Calibration.Fit
    do {
      fit = try Calibration.fit(log, request: request)
    } catch {
      return .failure(Command.flagged(error))
    }
    let notes =
      ["fitted by planner calibrate to \(EchoedValue(path)): \(model.name) on \(options.gpus!)"]
      + fit.summary(decodeTokens: log.decodeTokens, promptTokens: log.promptTokens)
    let text = ProfileFile.render(
      fit.profile, fields: fit.fields, measuredOn: "\(options.gpus!) (planner calibrate --from-log)",
      notes: notes)
    return Outcome(stdout: text)
  }

  /// The vLLM profile that makes the plan's KV cache (and decode, where the log has statistics
  /// lines) the log's.
  static func runVLLM(_ log: RuntimeLog.VLLM, options: Options, gpus: [GPU], model: ModelGraph, path: String)
    -> Outcome
  {
    if options.runtimeGiven && options.runtime != .vllm {
      return .failure(
        "--from-log \(EchoedValue(path)): a vLLM log: use --runtime vllm (or leave --runtime out)",
        code: Outcome.usageExitCode)
    }
    let request = PlanRequest(
      model: model, gpus: gpus, workload: options.workload, runtime: .vllm(options.serving))
    let fit: Calibration.VLLMFit
    do {
      fit = try Calibration.fitVLLM(log, request: request)
    } catch {
      return .failure(Command.flagged(error))
    }
    let version = log.version.map { " (vLLM \($0))" } ?? ""
    let notes =
      ["fitted by planner calibrate to \(EchoedValue(path))\(version): \(model.name) on \(options.gpus!)"]
      + fit.summary
    let text = ProfileFile.render(
      fit.profile, fields: fit.fields, measuredOn: "\(options.gpus!) (planner calibrate --from-log)",
      notes: notes)
    return Outcome(stdout: text)
  }
}
