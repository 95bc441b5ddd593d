import Foundation
import Planner

enum Command {
  /// `--model`'s source (``ModelResolver``: a path, the Hugging Face cache, the catalog) and its
  /// graph. A missing path or a bad file is exit 1 with the file, field and reason; an unknown
  /// name is a usage error with what was tried and the closest names.
  static func loadModel(_ name: String, mmproj: String? = nil) -> Result<(ModelSource, ModelGraph), Outcome> {
    let source: ModelSource
    do {
      source = try ModelResolver().resolve(name)
    } catch {
      return .failure(
        Outcome.failure(error.description, code: error.isUsageError ? Outcome.usageExitCode : 1))
    }
    if mmproj != nil && !source.isGGUF {
      return .failure(Outcome.failure("--mmproj needs a GGUF file as --model", code: Outcome.usageExitCode))
    }
    do {
      return .success((source, try source.load(mmproj: mmproj)))
    } catch {
      return .failure(Outcome.failure(error.description))
    }
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
    case .help: return Outcome(stdout: HelpText.text)
    case .version: return Outcome(stdout: version + "\n")
    case .listGPUs: return catalogGPUs(options)
    case .listModels:
      return Outcome(stdout: options.format == .json ? CatalogListing.modelsJSON() : CatalogListing.models())
    case .benchmark: return Outcome(stdout: Benchmark.run(importing: options.model))
    case .calibrate: return Calibrate.run(options)
    case .plan: return plan(options)
    }
  }

  static func catalogGPUs(_ options: Options) -> Outcome {
    switch customGPUs(options) {
    case .success(let custom):
      let gpus = GPUCatalog.all + custom
      return Outcome(
        stdout: options.format == .json ? CatalogListing.gpusJSON(gpus) : CatalogListing.gpus(gpus))
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

  /// `--profile FILE`'s profile (nil without one) and the runtime the plan is for: `--runtime`'s,
  /// or the profile's base runtime. A malformed file is exit 1 with the file, field and reason; a
  /// file for another runtime than the one `--runtime` names is a usage error.
  static func runtime(_ options: Options) -> Result<(Runtime.Kind, RuntimeProfile?), Outcome> {
    guard let path = options.profile else { return .success((options.runtime, nil)) }
    let profile: RuntimeProfile
    do {
      profile = try ProfileFile.load(path: path)
    } catch {
      return .failure(Outcome.failure(error.description))
    }
    let base = Runtime.Kind(named: profile.name) ?? options.runtime
    if options.runtimeGiven && base != options.runtime {
      return .failure(
        Outcome.failure(
          "--runtime \(options.runtime.rawValue) and --profile \(EchoedValue(path)) (runtime \(profile.name)) differ: "
            + "drop --runtime, or use a profile measured with \(options.runtime.rawValue)",
          code: Outcome.usageExitCode))
    }
    return .success((base, profile))
  }

  /// Plans, then adds what `--gpus local` found worth saying (unknown cards, memory in use) as one
  /// note line on stderr where the plan succeeded.
  static func plan(_ options: Options) -> Outcome {
    var notes: [String] = []
    var outcome = plan(options, notes: &notes)
    if outcome.exitCode == 0 && outcome.stderr.isEmpty && !notes.isEmpty {
      outcome.stderr = "planner: note: " + notes.joined(separator: "; ") + "\n"
    }
    return outcome
  }

  /// `--gpus`: this machine's GPUs for `local` (read from nvidia-smi), else the list, with the
  /// `--gpu-spec` cards before the catalog's so that a spec can shadow a catalog name.
  static func resolveGPUs(_ options: Options, custom: [GPU]) -> Result<([GPU], LocalGPUs?), Outcome> {
    if options.gpus!.lowercased() == LocalMachine.keyword {
      switch LocalMachine.gpus(catalog: custom + GPUCatalog.all, freeMemory: options.freeMemory) {
      case .success(let found): return .success((found.gpus, found))
      case .failure(let outcome): return .failure(outcome)
      }
    }
    do {
      return .success((try GPUList.parse(options.gpus!, catalog: custom + GPUCatalog.all), nil))
    } catch {
      return .failure(.failure(error.description, code: Outcome.usageExitCode))
    }
  }

  static func plan(_ options: Options, notes: inout [String]) -> Outcome {
    let custom: [GPU]
    switch customGPUs(options) {
    case .success(let gpus): custom = gpus
    case .failure(let outcome): return outcome
    }
    var kind: Runtime.Kind
    let profile: RuntimeProfile?
    switch runtime(options) {
    case .success(let chosen): (kind, profile) = chosen
    case .failure(let outcome): return outcome
    }
    let gpus: [GPU]
    let local: LocalGPUs?
    switch resolveGPUs(options, custom: custom) {
    case .success(let found):
      (gpus, local) = found
      if let local { notes = local.notes }
    case .failure(let outcome): return outcome
    }
    let model: ModelGraph
    let source: ModelSource
    switch loadModel(options.model!, mmproj: options.mmproj) {
    case .success(let loaded): (source, model) = loaded
    case .failure(let outcome): return outcome
    }
    // A GGUF file is llama.cpp's: it plans for llama.cpp unless --runtime or --profile says otherwise.
    if source.isGGUF && !options.runtimeGiven && profile == nil { kind = .llamaCpp }
    if let caps = options.maxMemory {
      for case .gpu(let index) in caps.devices where index >= gpus.count {
        return .failure(
          "--max-memory names GPU \(index) but --gpus lists \(gpus.count) GPU(s) (indices 0 to \(gpus.count - 1))",
          code: Outcome.usageExitCode)
      }
    }
    var topology = local?.topology
    if let link = options.link {
      do {
        let overrides = try Topology.overrides(parsing: link, gpuCount: gpus.count)
        // --link overrides what nvidia-smi topo -m said, pair by pair.
        let measured = local?.topology.pairs ?? [:]
        topology = Topology(
          gpus: gpus, all: overrides.all,
          pairs: overrides.all == nil ? measured.merging(overrides.pairs) { $1 } : overrides.pairs)
      } catch {
        return .failure(
          "bad --link '\(EchoedValue(link))': \(error.description)", code: Outcome.usageExitCode)
      }
    }
    let mode = options.strategy.accelerateMode
    let planned: Runtime
    switch kind {
    case .vllm:
      if mode != nil {
        return .failure(
          "--strategy \(options.strategy.rawValue) is accelerate's device_map; vLLM takes auto, latency, "
            + "throughput or memory", code: Outcome.usageExitCode)
      }
      if options.format == .deviceMap {
        return .failure(
          "--format device-map is accelerate's; vLLM takes --format vllm (or table, json)",
          code: Outcome.usageExitCode)
      }
      planned = .vllm(options.serving)
    case .sglang:
      if mode != nil {
        return .failure(
          "--strategy \(options.strategy.rawValue) is accelerate's device_map; SGLang takes auto",
          code: Outcome.usageExitCode)
      }
      planned = .sglang(options.sglang)
    default:
      if options.format == .vllm {
        return .failure("--format vllm needs --runtime vllm", code: Outcome.usageExitCode)
      }
      if options.format == .sglang {
        return .failure("--format sglang needs --runtime sglang", code: Outcome.usageExitCode)
      }
      planned = mode.flatMap { Runtime(kind, accelerate: $0) } ?? Runtime(kind)
    }
    let request = PlanRequest(
      model: model, gpus: gpus, workload: options.workload, runtime: planned,
      objective: options.strategy.objective ?? .auto, maxMemory: options.maxMemory,
      profile: profile, topology: topology, hostMemory: options.hostMemory)
    if options.compare && !kind.isEngine && kind != .sglang {
      let plans: [Plan]
      do {
        plans = try Planner.compare(request)
      } catch {
        return .failure(flagged(error))
      }
      let text = options.format == .json ? JSONExporter.render(plans) : CompareRenderer.render(plans)
      guard plans.contains(where: \.fits) else {
        let reason = plans.lazy.compactMap(\.warnings.first).first ?? "it does not fit"
        return Outcome(
          stdout: text, stderr: "planner: does not fit with any strategy: \(reason)\n", exitCode: 1)
      }
      return Outcome(stdout: text)
    }
    let plan: Plan
    do {
      plan = try Planner.plan(request)
    } catch {
      return .failure(flagged(error))
    }
    let text: String
    switch (options.format, plan.layout) {
    case (.table, _): text = TableRenderer.render(plan)
    case (.json, _): text = JSONExporter.render(plan)
    case (.deviceMap, .deviceMap(let layout)): text = DeviceMapExporter.render(layout)
    case (.llamaCpp, .deviceMap(let layout)): return llamaCpp(layout)
    case (.sglang, .sglang(let layout)):
      do {
        return Outcome(stdout: try SGLangExporter.render(layout))
      } catch {
        return .failure(error.description)
      }
    case (.vllm, .engine(let layout)):
      do {
        return Outcome(stdout: try VLLMExporter.render(layout))
      } catch {
        return .failure(error.description)
      }
    default:
      return .failure(
        "--format \(options.format.rawValue) cannot print a \(plan.runtime.name) plan",
        code: Outcome.usageExitCode)
    }
    guard plan.fits else {
      let what =
        plan.runtime.kind.isEngine
        ? "vLLM would not start" : plan.runtime.kind == .sglang ? "SGLang would not start" : "does not fit"
      return Outcome(stdout: text, stderr: "planner: \(what): \(plan.verdict)\n", exitCode: 1)
    }
    return Outcome(stdout: text)
  }

  /// A planning error with its settings phrased as this CLI's flags (`--dtype bf16: ...; use --dtype
  /// fp16 or auto`).
  static func flagged(_ error: PlanningError) -> String {
    error.render { setting in
      let flag =
        switch setting.name {
        case .gpus: "--gpus"
        case .dtype: "--dtype"
        case .tensorParallel: "--tensor-parallel"
        case .pipelineParallel: "--pipeline-parallel"
        }
      return "\(flag) \(setting.value)"
    }
  }

  /// `--format llama-cpp`: the llama-server command, or why llama.cpp cannot run the plan (one
  /// line on stderr, exit 1, nothing on stdout).
  static func llamaCpp(_ plan: DeviceMapLayout) -> Outcome {
    do {
      return Outcome(stdout: try LlamaCppExporter.render(plan))
    } catch {
      return .failure("llama.cpp cannot run this plan: \(error.description)")
    }
  }
}
