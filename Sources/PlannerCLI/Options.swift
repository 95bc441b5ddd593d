import Planner

/// A usage error: one line naming the bad input and the fix; exit 64 (`EX_USAGE`).
struct UsageError: Error, Equatable, CustomStringConvertible {
  var description: String
}

/// The parsed command line.
struct Options: Equatable {
  enum Command: Equatable {
    case plan
    case listGPUs
    case listModels
    case benchmark
    case help
    case version
  }

  enum Format: String, CaseIterable {
    case table, json
    case deviceMap = "device-map"
    case llamaCpp = "llama-cpp"
    case vllm
  }

  var command: Command = .plan
  var gpus: String?
  var model: String?
  var gpuSpecs: [String] = []
  var strategy: Strategy = .auto
  var format: Format = .table
  var maxMemory: MaxMemory?
  var workload = Workload()
  var runtime: RuntimeProfile = .transformers
  /// Whether `--runtime` was given: a format may imply a runtime only where it was not, and a
  /// `--profile` file for another runtime is a usage error.
  var runtimeGiven = false
  /// `--profile FILE`: the runtime's values measured on the user's host (read when planning).
  var profile: String?
  /// vLLM's engine settings, and the serving options given (which need `--runtime vllm`).
  var serving = ServingConfig()
  var servingOptions: [String] = []
  var attentionGiven = false
  /// `--link`, parsed once the GPU count is known.
  var link: String?
  var compare = false

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
        case "plan": command = .plan
        case "help": command = .help
        default:
          throw UsageError(
            description:
              "unknown command '\(EchoedValue(argument))' (commands: plan, gpus, models; see planner --help)")
        }
        continue
      }
      var name = argument
      var inlineValue: String?
      if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
        name = String(argument[..<equals])
        inlineValue = String(argument[argument.index(after: equals)...])
      }
      func value() throws(UsageError) -> String {
        if let inlineValue { return inlineValue }
        guard let next = iterator.next(), !next.hasPrefix("--") else {
          throw UsageError(description: "missing value for '\(EchoedValue(name))' (see planner --help)")
        }
        return next
      }
      if inlineValue != nil && ["--help", "--version"].contains(name) {
        throw UsageError(description: "'\(EchoedValue(name))' takes no value (see planner --help)")
      }
      switch name {
      case "-h", "--help": command = .help
      case "--version": command = .version
      case "--gpus": gpus = try value()
      case "--model", "-m": model = try value()
      case "--gpu-spec": gpuSpecs.append(try value())
      case "--strategy":
        let text = try value()
        guard let parsed = Strategy(rawValue: text.lowercased()) else {
          throw UsageError(
            description:
              "unknown strategy '\(EchoedValue(text))' (choose one of: \(Strategy.allCases.map(\.rawValue).joined(separator: ", ")))"
          )
        }
        strategy = parsed
      case "--format":
        let text = try value()
        guard let parsed = Format(rawValue: text.lowercased()) else {
          throw UsageError(
            description:
              "unknown format '\(EchoedValue(text))' (choose one of: \(Format.allCases.map(\.rawValue).joined(separator: ", ")))"
          )
        }
        format = parsed
      case "--dtype":
        let text = try value()
        if text.lowercased() == "auto" {
          workload.dtype = .auto
        } else if let dtype = DType(parsing: text) {
          workload.dtype = .fixed(dtype)
        } else {
          throw UsageError(
            description:
              "unknown dtype '\(EchoedValue(text))' (choose one of: auto, fp32, bf16, fp16, fp8, int8, int4)")
        }
      case "--kv-dtype":
        let text = try value()
        guard let dtype = DType(parsing: text), [.fp32, .bf16, .fp16, .fp8].contains(dtype) else {
          throw UsageError(
            description:
              "unknown KV cache dtype '\(EchoedValue(text))' (choose one of: fp32, bf16, fp16, fp8)")
        }
        workload.kvDType = dtype
      case "--context":
        workload.contextTokens = try Self.integer(try value(), for: name, in: 1...Self.maximumContext)
      case "--batch": workload.batch = try Self.integer(try value(), for: name, in: 1...Self.maximumBatch)
      case "--images": workload.images = try Self.integer(try value(), for: name, in: 0...Self.maximumImages)
      case "--slices": workload.slicesPerImage = try Self.integer(try value(), for: name, in: 1...64)
      case "--attention":
        let text = try value()
        guard let attention = Workload.Attention(rawValue: text.lowercased()) else {
          throw UsageError(
            description: "unknown attention '\(EchoedValue(text))' (choose one of: eager, sdpa, flash)")
        }
        workload.attention = attention
        attentionGiven = true
      case "--runtime":
        let text = try value()
        guard let profile = RuntimeProfile.named(text) else {
          throw UsageError(
            description:
              "unknown runtime '\(EchoedValue(text))' (choose one of: \(RuntimeProfile.all.map(\.name).joined(separator: ", ")))"
          )
        }
        runtime = profile
        runtimeGiven = true
      case "--max-model-len":
        serving.maxModelLen = try Self.integer(try value(), for: name, in: 1...Self.maximumContext)
        servingOptions.append(name)
      case "--max-num-seqs":
        serving.maxNumSeqs = try Self.integer(try value(), for: name, in: 1...Self.maximumBatch)
        servingOptions.append(name)
      case "--max-num-batched-tokens":
        serving.maxNumBatchedTokens = try Self.integer(try value(), for: name, in: 1...Self.maximumContext)
        servingOptions.append(name)
      case "--gpu-memory-utilization":
        let text = try value()
        guard let fraction = Double(text), fraction > 0, fraction <= 1 else {
          throw UsageError(
            description:
              "bad value '\(EchoedValue(text))' for \(name): use a fraction above 0 and at most 1, for example 0.9"
          )
        }
        serving.gpuMemoryUtilization = fraction
        servingOptions.append(name)
      case "--enforce-eager":
        serving.enforceEager = true
        servingOptions.append(name)
      case "--tensor-parallel", "--tensor-parallel-size", "-tp":
        serving.tensorParallel = try Self.integer(try value(), for: name, in: 1...1024)
        servingOptions.append(name)
      case "--pipeline-parallel", "--pipeline-parallel-size", "-pp":
        serving.pipelineParallel = try Self.integer(try value(), for: name, in: 1...1024)
        servingOptions.append(name)
      case "--nodes":
        serving.nodes = try Self.integer(try value(), for: name, in: 1...1024)
        servingOptions.append(name)
      case "--profile": profile = try value()
      case "--link": link = try value()
      case "--compare": compare = true
      case "--max-memory":
        let text = try value()
        do {
          maxMemory = try MaxMemory(parsing: text)
        } catch {
          throw UsageError(description: "bad --max-memory '\(EchoedValue(text))': \(error.description)")
        }
      default:
        throw UsageError(description: "unknown option '\(EchoedValue(argument))' (see planner --help)")
      }
    }
    if format == .llamaCpp {
      if runtimeGiven && runtime != .llamaCpp {
        throw UsageError(
          description:
            "--runtime \(runtime.name) with --format llama-cpp: the export is a llama.cpp plan; use --runtime "
            + "llama.cpp, or leave --runtime out")
      }
      if compare {
        throw UsageError(description: "--format llama-cpp exports one plan: leave out --compare")
      }
      runtime = .llamaCpp
    }
    if format == .vllm {
      if runtimeGiven && runtime != .vllm {
        throw UsageError(
          description: "--format vllm plans for vLLM; drop --runtime \(runtime.name) or use --runtime vllm")
      }
      runtime = .vllm
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
    if command == .plan {
      guard gpus != nil else { throw UsageError(description: "missing --gpus (for example --gpus 2xP4)") }
      guard model != nil else {
        throw UsageError(description: "missing --model (for example --model minicpm-v-2.6)")
      }
    }
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

  static let help = """
    planner: where each layer of a model goes on your GPUs, and whether it fits.

    Usage:
      planner --gpus LIST --model NAME [options]
      planner gpus            list the GPUs the planner knows
      planner models          list the models the planner knows
      planner benchmark       time the planner itself (build with -c release); with
                              --model DIR, also the import of that directory

    Required:
      --gpus LIST             GPUs in device index order: 2xP4,1xT4 or 4090,3090
      --model NAME|DIR        a catalog model (planner models), e.g. minicpm-v-2.6, or a local
                              Hugging Face directory (config.json and safetensors headers)

    Options:
      --strategy NAME         auto (default), latency, throughput, memory, sequential, balanced,
                              balanced_low_0 (the last three reproduce accelerate's device_map)
      --compare               every strategy side by side on the same inputs
      --runtime NAME          transformers (default), vllm, llama.cpp, roofline
      --profile FILE          the runtime's values measured on your host (JSON from
                              Scripts/calibrate.py --fit-profile; see README)
      --link KIND             links between GPUs: nvlink, pcie, host, network for all pairs,
                              or per pair: 0-1:nvlink,1-2:host (default: inferred per GPU model)
      --dtype TYPE            auto (default), fp32, bf16, fp16, fp8, int8, int4
      --context N             tokens per sequence, prompt and output (default 4096)
      --batch N               sequences in flight (default 1)
      --images N              images per request, vision models (default 1)
      --slices N              slices per image, overview included (default: the model's maximum)
      --attention KIND        eager, sdpa (default), flash
      --kv-dtype TYPE         KV cache dtype (default: the compute dtype)
      --max-memory SPEC       caps in accelerate's syntax: 0:7GiB,1:7GiB,cpu:64GiB
                              (GiB/MiB = 2^30/2^20, GB/MB = 10^9/10^6; cpu/disk allow offloading)
      --gpu-spec FILE         add custom GPUs from a JSON file (see README)
      --format FORMAT         table (default), json, device-map, llama-cpp (the llama-server
                              command; implies --runtime llama.cpp), vllm (the vllm serve
                              command; implies --runtime vllm)

    vLLM (with --runtime vllm or --format vllm; defaults are vLLM's):
      --max-model-len N       tokens per sequence (default: the model's max_position_embeddings)
      --max-num-seqs N        sequences scheduled at once (default 256)
      --max-num-batched-tokens N  tokens per forward pass (default max(max-model-len, 2048))
      --gpu-memory-utilization F  fraction of each GPU's memory vLLM may use (default 0.9)
      --enforce-eager         no CUDA graphs
      --tensor-parallel N     fix the tensor parallel size (default: the planner chooses)
      --pipeline-parallel N   fix the pipeline parallel size (default: the planner chooses)
      --nodes N               nodes, each with the GPUs of --gpus, joined by the network
                              (tensor parallel inside a node, pipeline across; Ray)
      --kv-dtype fp8          --kv-cache-dtype fp8; --attention is the vision tower's in the
                              profiling run (default eager, as vLLM 0.5 ran MiniCPM-V's)
      -h, --help              show this help
      --version               show the version

    Exit status: 0 planned and fits; 1 does not fit or cannot plan; 64 usage error.

    """
}
