import Planner

/// The parsed command line.
struct Options: Equatable {
  enum Command: Equatable {
    case plan
    case listGPUs
    case listModels
    case benchmark
    case calibrate
    case help
    case version

    /// The formats the command prints; `planner help` and `--version` print text whatever
    /// `--format` says.
    var formats: [Format] {
      switch self {
      case .plan, .help, .version: Format.allCases
      case .listGPUs, .listModels: [.table, .json]
      case .benchmark: [.table]
      case .calibrate: [.json]
      }
    }

    /// The command word: `gpus`.
    var word: String {
      switch self {
      case .plan: "plan"
      case .listGPUs: "gpus"
      case .listModels: "models"
      case .benchmark: "benchmark"
      case .calibrate: "calibrate"
      case .help: "help"
      case .version: "--version"
      }
    }
  }

  /// The formats `--compare` prints.
  static let compareFormats: [Format] = [.table, .json]

  enum Format: String, CaseIterable {
    case table, json
    case deviceMap = "device-map"
    case llamaCpp = "llama-cpp"
    case vllm
    case sglang
  }

  var command: Command = .plan
  var gpus: String?
  var model: String?
  var gpuSpecs: [String] = []
  /// `--mmproj FILE`: the vision projector of a GGUF model.
  var mmproj: String?
  var strategy: Strategy = .auto
  var format: Format = .table
  var maxMemory: MaxMemory?
  /// `--host-memory SPEC`: the host's memory bandwidth (llama.cpp's CPU work).
  var hostMemory: HostMemory = .desktop
  var workload = Workload()
  var runtime: Runtime.Kind = .transformers
  /// SGLang's settings (`--runtime sglang`); `sglangGiven`: an SGLang option was typed.
  var sglang = SGLangConfig()
  var sglangGiven: String?
  /// Whether `--runtime` was given: a format may imply a runtime only where it was not, and a
  /// `--profile` file for another runtime is a usage error.
  var runtimeGiven = false
  /// `--profile FILE`: the runtime's values measured on the user's host (read when planning).
  var profile: String?
  /// `planner calibrate --from-log FILE`: the runtime's log to fit a profile to.
  var fromLog: String?
  /// vLLM's engine settings, and the serving options given (which need `--runtime vllm`).
  var serving = ServingConfig()
  var servingOptions: [String] = []
  var attentionGiven = false
  /// `--link`, parsed once the GPU count is known.
  var link: String?
  var compare = false
  /// `--free-memory`: with `--gpus local`, plan on the memory free now.
  var freeMemory = false

  static let maximumContext = 10_000_000
  static let maximumBatch = 65_536
  static let maximumImages = 256

  /// Parses the arguments after the program name.
  init(parsing arguments: some Sequence<String>) throws(UsageError) {
    var iterator = arguments.makeIterator()
    var first = true
    while let argument = iterator.next() {
      defer { first = false }
      if first && !argument.hasPrefix("-") {
        switch argument {
        case "gpus": command = .listGPUs
        case "models": command = .listModels
        case "benchmark": command = .benchmark
        case "calibrate":
          command = .calibrate
          format = .json
          runtime = .llamaCpp
        case "plan": command = .plan
        case "help": command = .help
        default:
          throw UsageError(
            description:
              "unknown command '\(EchoedValue(argument))' (commands: plan, gpus, models, calibrate; see planner --help)"
          )
        }
        continue
      }
      var spelling = argument
      var inlineValue: String?
      if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
        spelling = String(argument[..<equals])
        inlineValue = String(argument[argument.index(after: equals)...])
      }
      guard let spec = OptionSpec.named(spelling) else {
        let hint = OptionSpec.suggestion(for: spelling).map { "; did you mean \($0)?" } ?? ""
        throw UsageError(description: "unknown option '\(EchoedValue(argument))'\(hint) (see planner --help)")
      }
      var value = ""
      switch spec.kind {
      case .flag:
        if inlineValue != nil {
          throw UsageError(
            description:
              "'\(spelling)' takes no value (got '\(EchoedValue(argument))'): give '\(spelling)' alone, or leave it out"
          )
        }
      case .valued, .repeatable:
        if let inlineValue {
          value = inlineValue
        } else if let next = iterator.next(), !next.hasPrefix("--") {
          value = next
        } else {
          throw UsageError(description: "missing value for '\(spelling)' (see planner --help)")
        }
      }
      try spec.apply(&self, value, spelling)
      if spec.group == .vllm { servingOptions.append(spelling) }
    }
    if compare && !Self.compareFormats.contains(format) {
      throw UsageError(description: "--format \(format.rawValue) exports one plan: leave out --compare")
    }
    if !command.formats.contains(format) {
      throw UsageError(
        description:
          "planner \(command.word) prints \(command.formats.map(\.rawValue).joined(separator: " or ")), "
          + "not --format \(format.rawValue)")
    }
    if format == .llamaCpp {
      if runtimeGiven && runtime != .llamaCpp {
        throw UsageError(
          description:
            "--runtime \(runtime.rawValue) with --format llama-cpp: the export is a llama.cpp plan; use --runtime "
            + "llama.cpp, or leave --runtime out")
      }
      runtime = .llamaCpp
    }
    if format == .vllm {
      if runtimeGiven && runtime != .vllm {
        throw UsageError(
          description:
            "--format vllm plans for vLLM; drop --runtime \(runtime.rawValue) or use --runtime vllm")
      }
      runtime = .vllm
    }
    if format == .sglang {
      if runtimeGiven && runtime != .sglang {
        throw UsageError(
          description:
            "--format sglang plans for SGLang; drop --runtime \(runtime.rawValue) or use --runtime sglang")
      }
      runtime = .sglang
    }
    if let option = sglangGiven, runtime != .sglang {
      throw UsageError(
        description: "\(option) is an SGLang setting: add --runtime sglang (or --format sglang)")
    }
    if runtime == .vllm {
      if attentionGiven { serving.encoderAttention = workload.attention }
      if strategy.isAccelerateParity {
        throw UsageError(
          description:
            "--strategy \(strategy.rawValue) reproduces accelerate's device_map; vLLM places layers by tensor and "
            + "pipeline parallel sizes: use auto, latency, throughput or memory")
      }
    } else if let option = servingOptions.first {
      throw UsageError(description: "\(option) is a vLLM setting: add --runtime vllm (or --format vllm)")
    }
    if freeMemory && gpus?.lowercased() != "local" {
      throw UsageError(
        description: "--free-memory reads the memory in use from nvidia-smi: use it with --gpus local")
    }
    if command == .calibrate {
      guard fromLog != nil else {
        throw UsageError(
          description:
            "planner calibrate needs --from-log FILE (a llama.cpp log with its eval time lines, or a vLLM log)"
        )
      }
      if runtimeGiven && runtime != .llamaCpp && runtime != .vllm {
        throw UsageError(
          description:
            "planner calibrate reads llama.cpp and vLLM logs: use --runtime llama.cpp or vllm, or leave it out"
        )
      }
    }
    if command == .plan || command == .calibrate {
      guard gpus != nil else { throw UsageError(description: "missing --gpus (for example --gpus 2xP4)") }
      guard model != nil else {
        throw UsageError(description: "missing --model (for example --model minicpm-v-2.6)")
      }
    }
  }

  /// A token count: a whole number, or one followed by `k`/`K` for 1024 tokens (`32k` is 32768,
  /// as model cards write context lengths).
  static func tokens(_ text: String, for option: String, in range: ClosedRange<Int>) throws(UsageError) -> Int
  {
    guard let last = text.last, last == "k" || last == "K" else {
      return try integer(text, for: option, in: range)
    }
    let digits = text.dropLast()
    guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
      let thousands = Int(digits),
      thousands <= range.upperBound / 1024, range.contains(thousands * 1024)
    else {
      throw UsageError(
        description:
          "bad value '\(EchoedValue(text))' for \(option): use a whole number from \(range.lowerBound) to "
          + "\(range.upperBound), or thousands of 1024 tokens such as 32k")
    }
    return thousands * 1024
  }

  static func seconds(_ text: String, for option: String, in range: ClosedRange<Double>) throws(UsageError)
    -> Double
  {
    guard let value = Double(text), value.isFinite, range.contains(value) else {
      throw UsageError(
        description:
          "bad value '\(EchoedValue(text))' for \(option): use a number from \(MediaTokens.number(range.lowerBound)) to \(MediaTokens.number(range.upperBound))"
      )
    }
    return value
  }

  static func integer(_ text: String, for option: String, in range: ClosedRange<Int>) throws(UsageError)
    -> Int
  {
    guard let value = Int(text), range.contains(value) else {
      throw UsageError(
        description:
          "bad value '\(EchoedValue(text))' for \(option): use a whole number from \(range.lowerBound) to \(range.upperBound)"
      )
    }
    return value
  }
}
