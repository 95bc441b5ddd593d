import Foundation
import Planner

/// `planner calibrate --from-log FILE --gpus G --model M`: the llama.cpp profile that makes the
/// planner's decode and prompt times the log's, as a `--profile` file on stdout.
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
    let request = PlanRequest(
      model: model, gpus: gpus, workload: options.workload, runtime: .llamaCpp(), maxMemory: options.maxMemory
    )
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
}
