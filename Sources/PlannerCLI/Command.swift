import Foundation
import Planner

/// What one run of the CLI prints and how it exits. Pure: tests call it directly.
struct Outcome: Error, Equatable {
  var stdout = ""
  var stderr = ""
  var exitCode: Int32 = 0

  /// `EX_USAGE` from sysexits.h.
  static let usageExitCode: Int32 = 64

  static func failure(_ message: String, code: Int32 = 1) -> Outcome {
    Outcome(stderr: "planner: error: \(message)\n", exitCode: code)
  }
}

enum Command {
  /// A local Hugging Face directory (config.json and safetensors headers), or a catalog name.
  /// A bad directory is exit 1 with the file, field and reason; an unknown name is a usage error
  /// with the closest names.
  static func loadModel(_ name: String) -> Result<ModelGraph, Outcome> {
    let path = NSString(string: name).expandingTildeInPath
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
      do {
        return .success(try CheckpointImporter.load(directory: path))
      } catch {
        return .failure(Outcome.failure(error.description))
      }
    }
    if let entry = ModelCatalog.entry(named: name) { return .success(entry.build()) }
    if name.contains("/") && !name.hasPrefix("/") && !name.hasPrefix(".") && !name.hasPrefix("~")
      && name.split(separator: "/").count == 2
    {
      let hint = ModelCatalog.closestNames(to: name).joined(separator: ", ")
      return .failure(
        Outcome.failure(
          "unknown model '\(EchoedValue(name))': not a local directory nor a catalog name (the planner downloads nothing; "
            + "pass the directory of a downloaded snapshot); closest known: \(hint)",
          code: Outcome.usageExitCode))
    }
    let hint = ModelCatalog.closestNames(to: name).joined(separator: ", ")
    return .failure(
      Outcome.failure(
        "unknown model '\(EchoedValue(name))'; closest known: \(hint) (planner models lists them all, or pass a model directory)",
        code: Outcome.usageExitCode))
  }

  static let version = "planner 0.1.0"

  /// Runs the CLI on `arguments` (without the program name).
  ///
  /// The last safety net of the messages: stderr is one line (control characters escaped, at
  /// most ``EchoedValue/maximumLineLength`` characters), and never empty on a non-zero exit.
  static func run(_ arguments: [String]) -> Outcome {
    var outcome = dispatch(arguments)
    var message = outcome.stderr.hasSuffix("\n") ? String(outcome.stderr.dropLast()) : outcome.stderr
    if message.isEmpty && outcome.exitCode != 0 {
      message = "planner: error: exit \(outcome.exitCode) without a reason (a planner bug: please report it)"
    }
    outcome.stderr = message.isEmpty ? "" : EchoedValue.line(message) + "\n"
    return outcome
  }

  /// Runs the CLI on `arguments`, before the safety net.
  static func dispatch(_ arguments: [String]) -> Outcome {
    let options: Options
    do {
      options = try Options(parsing: arguments)
    } catch {
      return .failure(error.description, code: Outcome.usageExitCode)
    }
    switch options.command {
    case .help: return Outcome(stdout: Options.help)
    case .version: return Outcome(stdout: version + "\n")
    case .listGPUs: return catalogGPUs(options)
    case .listModels: return Outcome(stdout: CatalogListing.models())
    case .benchmark: return Outcome(stdout: Benchmark.run(importing: options.model))
    case .plan: return plan(options)
    }
  }

  static func catalogGPUs(_ options: Options) -> Outcome {
    switch customGPUs(options) {
    case .success(let custom): return Outcome(stdout: CatalogListing.gpus(GPUCatalog.all + custom))
    case .failure(let outcome): return outcome
    }
  }

  static func customGPUs(_ options: Options) -> Result<[GPU], Outcome> {
    var custom: [GPU] = []
    for path in options.gpuSpecs {
      do {
        custom += try GPUSpecFile.load(path: path)
      } catch {
        return .failure(Outcome.failure(error.description))
      }
    }
    return .success(custom)
  }

  /// `--runtime`'s profile, or `--profile FILE`'s: its base runtime with the file's values. A
  /// malformed file is exit 1 with the file, field and reason; a file for another runtime than the
  /// one `--runtime` names is a usage error.
  static func runtimeProfile(_ options: Options) -> Result<RuntimeProfile, Outcome> {
    guard let path = options.profile else { return .success(options.runtime) }
    let profile: RuntimeProfile
    do {
      profile = try ProfileFile.load(path: path)
    } catch {
      return .failure(Outcome.failure(error.description))
    }
    if options.runtimeGiven && profile.name != options.runtime.name {
      return .failure(
        Outcome.failure(
          "--runtime \(options.runtime.name) and --profile \(EchoedValue(path)) (runtime \(profile.name)) differ: "
            + "drop --runtime, or use a profile measured with \(options.runtime.name)",
          code: Outcome.usageExitCode))
    }
    return .success(profile)
  }

  static func plan(_ options: Options) -> Outcome {
    let custom: [GPU]
    switch customGPUs(options) {
    case .success(let gpus): custom = gpus
    case .failure(let outcome): return outcome
    }
    let runtime: RuntimeProfile
    switch runtimeProfile(options) {
    case .success(let profile): runtime = profile
    case .failure(let outcome): return outcome
    }
    let gpus: [GPU]
    do {
      // Custom GPUs come first so that a spec can shadow a catalog name.
      gpus = try GPUList.parse(options.gpus!, catalog: custom + GPUCatalog.all)
    } catch {
      return .failure(error.description, code: Outcome.usageExitCode)
    }
    let model: ModelGraph
    switch loadModel(options.model!) {
    case .success(let loaded): model = loaded
    case .failure(let outcome): return outcome
    }
    if let caps = options.maxMemory {
      for case .gpu(let index) in caps.devices where index >= gpus.count {
        return .failure(
          "--max-memory names GPU \(index) but --gpus lists \(gpus.count) GPU(s) (indices 0 to \(gpus.count - 1))",
          code: Outcome.usageExitCode)
      }
    }
    var topology: Topology?
    if let link = options.link {
      do {
        let overrides = try Topology.overrides(parsing: link, gpuCount: gpus.count)
        topology = Topology(gpus: gpus, all: overrides.all, pairs: overrides.pairs)
      } catch {
        return .failure(
          "bad --link '\(EchoedValue(link))': \(error.description)", code: Outcome.usageExitCode)
      }
    }
    if runtime.name == RuntimeProfile.vllm.name {
      return serve(options, model: model, gpus: gpus, runtime: runtime, topology: topology)
    }
    let request = PlanRequest(
      model: model, gpus: gpus, workload: options.workload, strategy: options.strategy,
      maxMemory: options.maxMemory, runtime: runtime, topology: topology)
    if options.compare {
      do {
        let plans = try Planner.compare(request)
        let text = CompareRenderer.render(plans)
        guard plans.contains(where: \.fits) else {
          let reason = plans.lazy.compactMap(\.warnings.first).first ?? "it does not fit"
          return Outcome(
            stdout: text, stderr: "planner: does not fit with any strategy: \(reason)\n", exitCode: 1)
        }
        return Outcome(stdout: text)
      } catch {
        return .failure(error.description)
      }
    }
    let plan: Plan
    do {
      plan = try Planner.plan(request)
    } catch {
      return .failure(error.description)
    }
    let text: String
    switch options.format {
    case .table: text = TableRenderer.render(plan)
    case .json: text = JSONExporter.render(plan)
    case .deviceMap: text = DeviceMapExporter.render(plan)
    case .llamaCpp: return llamaCpp(plan)
    case .vllm: return .failure("--format vllm needs --runtime vllm", code: Outcome.usageExitCode)
    }
    guard plan.fits else {
      let reason = plan.warnings.first ?? "it does not fit"
      return Outcome(stdout: text, stderr: "planner: does not fit: \(reason)\n", exitCode: 1)
    }
    return Outcome(stdout: text)
  }

  /// A vLLM serving plan: the table, its JSON, or the `vllm serve` command. Exit 1 where vLLM
  /// would not start (the export then prints nothing and says why).
  static func serve(
    _ options: Options, model: ModelGraph, gpus: [GPU], runtime: RuntimeProfile, topology: Topology?
  ) -> Outcome {
    if options.format == .deviceMap {
      return .failure(
        "--format device-map is accelerate's; vLLM takes --format vllm (or table, json)",
        code: Outcome.usageExitCode)
    }
    let request = ServingRequest(
      model: model, gpus: gpus, workload: options.workload, serving: options.serving,
      strategy: options.strategy,
      runtime: runtime, topology: topology)
    let plan: ServingPlan
    do {
      plan = try ServingPlanner.plan(request)
    } catch {
      return .failure(error.description)
    }
    if options.format == .vllm {
      do {
        return Outcome(stdout: try VLLMExporter.render(plan))
      } catch {
        return .failure(error.description)
      }
    }
    let text = options.format == .json ? ServingRenderer.json(plan) : ServingRenderer.render(plan)
    guard plan.starts else {
      let reason =
        plan.refusals.first ?? plan.layout.failure.map { "fails in \($0.phase.description): \($0.message)" }
        ?? ""
      return Outcome(stdout: text, stderr: "planner: vLLM would not start: \(reason)\n", exitCode: 1)
    }
    return Outcome(stdout: text)
  }

  /// `--format llama-cpp`: the llama-server command, or why llama.cpp cannot run the plan (one
  /// line on stderr, exit 1, nothing on stdout).
  static func llamaCpp(_ plan: Plan) -> Outcome {
    do {
      return Outcome(stdout: try LlamaCppExporter.render(plan))
    } catch {
      return .failure("llama.cpp cannot run this plan: \(error.description)")
    }
  }
}
