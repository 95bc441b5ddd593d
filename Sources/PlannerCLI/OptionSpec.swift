import Foundation
import Planner

/// One command-line option: every spelling the parser accepts, what `--help` says of it, and what
/// it does to the parsed ``Options``.
///
/// ``all`` is the only list of options: the parser, `--help` and the "did you mean" hint for a
/// misspelt option all read it, so they cannot drift apart.
struct OptionSpec: Sendable {
  enum Kind: Sendable {
    /// Takes no value: `--compare`. `--compare=no` is a usage error.
    case flag
    /// Takes a value, as the next argument or after `=`; a later one replaces an earlier one.
    case valued
    /// Takes a value each time it is given, and every value counts: `--gpu-spec`.
    case repeatable
  }

  /// The sections of `--help`, in order.
  enum Group: CaseIterable, Sendable {
    case required, general, vllm, other

    var heading: String {
      switch self {
      case .required: "Required:"
      case .general: "Options:"
      case .vllm: "vLLM (with --runtime vllm or --format vllm; defaults are vLLM's):"
      case .other: "Other:"
      }
    }

    /// Lines the help prints after the group's options.
    var note: [String] {
      switch self {
      case .vllm:
        [
          "--kv-dtype fp8 is vLLM's --kv-cache-dtype fp8; --attention is the vision tower's in the",
          "profiling run (default eager, as vLLM 0.5 ran MiniCPM-V's)",
        ]
      default: []
      }
    }
  }

  /// What the option does to the options parsed so far, given its value (empty for a flag) and
  /// the spelling typed (for messages).
  typealias Apply = @Sendable (inout Options, _ value: String, _ spelling: String) throws(UsageError) -> Void

  /// The canonical spelling, used in messages and the README: `--model`.
  var name: String
  /// Other spellings the parser accepts: `-m`.
  var aliases: [String] = []
  /// What the value is, in `--help`: `N`, `FILE`; `nil` for a flag.
  var placeholder: String?
  var kind: Kind
  var group: Group
  /// `--help`'s description, one string per line.
  var help: [String]
  /// Values people type as options of their own (`--json` for `--format json`): the "did you
  /// mean" hint offers `--format json` for them.
  var choices: [String] = []
  var apply: Apply

  var spellings: [String] { [name] + aliases }

  /// `-m, --model NAME|DIR`: short aliases first, then the name, long aliases and the placeholder.
  var label: String {
    let short = aliases.filter { !$0.hasPrefix("--") }
    let long = aliases.filter { $0.hasPrefix("--") }
    return (short + [name] + long).joined(separator: ", ") + (placeholder.map { " " + $0 } ?? "")
  }

  /// The option spelt `spelling` (exactly: options are case-sensitive).
  static func named(_ spelling: String) -> OptionSpec? {
    all.first { $0.spellings.contains(spelling) }
  }

  /// The spelling closest to an unknown option by edit distance (case, `-` and `_` ignored), or a
  /// valued option with its value where the unknown option is one of its ``choices``; `nil` where
  /// nothing is close (about a third of the letters may differ, not all of them).
  static func suggestion(for unknown: String) -> String? {
    let query = Array(NameMatching.normalized(unknown))
    let candidates =
      all.flatMap { spec in spec.spellings.map { (typed: $0, shown: $0) } }
      + all.flatMap { spec in spec.choices.map { (typed: $0, shown: "\(spec.name) \($0)") } }
    var best: (distance: Int, shown: String)?
    for candidate in candidates {
      let distance = NameMatching.editDistance(query, Array(NameMatching.normalized(candidate.typed)))
      if distance < best?.distance ?? .max { best = (distance, candidate.shown) }
    }
    guard let best, best.distance <= max(1, (query.count + 1) / 3), best.distance < query.count else {
      return nil
    }
    return best.shown
  }

  // MARK: - The options

  static let all: [OptionSpec] = [
    // Required
    OptionSpec(
      name: "--gpus", placeholder: "LIST", kind: .valued, group: .required,
      help: [
        "GPUs in device index order: 2xP4,1xT4, 4090,3090, \"2 x P4\", P4x2;",
        "local: this machine's GPUs (nvidia-smi)",
      ]
    ) { options, value, _ in options.gpus = value },
    OptionSpec(
      name: "--model", aliases: ["-m"], placeholder: "NAME|DIR", kind: .valued, group: .required,
      help: [
        "a catalog model (planner models), e.g. minicpm-v-2.6, or a local",
        "Hugging Face directory (config.json and safetensors headers),",
        "or a GGUF file (its header; split files read every shard)",
      ]
    ) { options, value, _ in options.model = value },
    OptionSpec(
      name: "--mmproj", placeholder: "FILE", kind: .valued, group: .general,
      help: ["the mmproj GGUF of a GGUF --model", "(default: the only mmproj*.gguf beside the model)"]
    ) { options, value, _ in options.mmproj = value },

    // Options
    OptionSpec(
      name: "--strategy", placeholder: "NAME", kind: .valued, group: .general,
      help: [
        "auto (default), latency, throughput, memory, sequential, balanced,",
        "balanced_low_0 (the last three reproduce accelerate's device_map)",
      ],
      choices: Strategy.allCases.map(\.rawValue)
    ) { options, value, _ throws(UsageError) in
      guard let parsed = Strategy(rawValue: value.lowercased()) else {
        throw UsageError(
          description:
            "unknown strategy '\(EchoedValue(value))' (choose one of: \(Strategy.allCases.map(\.rawValue).joined(separator: ", ")))"
        )
      }
      options.strategy = parsed
    },
    OptionSpec(
      name: "--compare", kind: .flag, group: .general,
      help: ["every strategy side by side on the same inputs (table or json)"]
    ) { options, _, _ in options.compare = true },
    OptionSpec(
      name: "--runtime", placeholder: "NAME", kind: .valued, group: .general,
      help: ["transformers (default), vllm, llama.cpp, roofline"],
      choices: Runtime.Kind.allCases.map(\.rawValue)
    ) { options, value, _ throws(UsageError) in
      guard let kind = Runtime.Kind(named: value) else {
        throw UsageError(
          description:
            "unknown runtime '\(EchoedValue(value))' (choose one of: \(Runtime.Kind.allCases.map(\.rawValue).joined(separator: ", ")))"
        )
      }
      options.runtime = kind
      options.runtimeGiven = true
    },
    OptionSpec(
      name: "--profile", placeholder: "FILE", kind: .valued, group: .general,
      help: [
        "the runtime's values measured on your host (JSON from",
        "Scripts/calibrate.py --fit-profile; see Docs/Calibration.md)",
      ]
    ) { options, value, _ in options.profile = value },
    OptionSpec(
      name: "--from-log", placeholder: "FILE", kind: .valued, group: .general,
      help: [
        "planner calibrate: a llama.cpp or vLLM log to fit",
        "a --profile file to (printed on stdout; see Docs/Calibration.md)",
      ]
    ) { options, value, _ in options.fromLog = value },
    OptionSpec(
      name: "--link", placeholder: "KIND", kind: .valued, group: .general,
      help: [
        "links between GPUs: nvlink, pcie, host, network for all pairs,",
        "or per pair: 0-1:nvlink,1-2:host (default: inferred per GPU model)",
      ]
    ) { options, value, _ in options.link = value },
    OptionSpec(
      name: "--dtype", placeholder: "TYPE", kind: .valued, group: .general,
      help: ["auto (default), fp32, bf16, fp16, fp8, int8, int4"],
      choices: ["fp32", "bf16", "fp16", "fp8", "int8", "int4"]
    ) { options, value, _ throws(UsageError) in
      if value.lowercased() == "auto" {
        options.workload.dtype = .auto
      } else if let dtype = DType(parsing: value) {
        options.workload.dtype = .fixed(dtype)
      } else {
        throw UsageError(
          description:
            "unknown dtype '\(EchoedValue(value))' (choose one of: auto, fp32, bf16, fp16, fp8, int8, int4)")
      }
    },
    OptionSpec(
      name: "--context", placeholder: "N", kind: .valued, group: .general,
      help: ["tokens per sequence, prompt and output (default 4096);", "32k or 32K is 32 x 1024 = 32768"]
    ) { options, value, spelling throws(UsageError) in
      options.workload.contextTokens = try Options.tokens(
        value, for: spelling, in: 1...Options.maximumContext)
    },
    OptionSpec(
      name: "--batch", placeholder: "N", kind: .valued, group: .general,
      help: ["sequences in flight (default 1)"]
    ) { options, value, spelling throws(UsageError) in
      options.workload.batch = try Options.integer(value, for: spelling, in: 1...Options.maximumBatch)
    },
    OptionSpec(
      name: "--images", placeholder: "N", kind: .valued, group: .general,
      help: ["images per request, vision models (default 1)"]
    ) { options, value, spelling throws(UsageError) in
      options.workload.images = try Options.integer(value, for: spelling, in: 0...Options.maximumImages)
    },
    OptionSpec(
      name: "--slices", placeholder: "N", kind: .valued, group: .general,
      help: ["slices per image, overview included (default: the model's maximum)"]
    ) { options, value, spelling throws(UsageError) in
      options.workload.slicesPerImage = try Options.integer(value, for: spelling, in: 1...64)
    },
    OptionSpec(
      name: "--video-seconds", placeholder: "S", kind: .valued, group: .general,
      help: ["seconds of video per request (Qwen2.5-Omni, MiniCPM-V/o 2.6; Docs/Video.md)"]
    ) { options, value, spelling throws(UsageError) in
      options.workload.videoSeconds = try Options.seconds(value, for: spelling, in: 0.1...86_400)
    },
    OptionSpec(
      name: "--fps", placeholder: "F", kind: .valued, group: .general,
      help: ["video frames sampled per second (default: the model's, 2 for Qwen2.5-Omni)"]
    ) { options, value, spelling throws(UsageError) in
      options.workload.videoFPS = try Options.seconds(value, for: spelling, in: 0.01...120)
    },
    OptionSpec(
      name: "--video-resolution", placeholder: "WxH", kind: .valued, group: .general,
      help: ["video frame size before the processor's resize (default: its largest frame)"]
    ) { options, value, spelling throws(UsageError) in
      let sides = value.lowercased().split(separator: "x", omittingEmptySubsequences: false)
      guard sides.count == 2, let w = Int(sides[0]), let h = Int(sides[1]), (1...32_768).contains(w),
        (1...32_768).contains(h)
      else {
        throw UsageError(
          description:
            "bad value '\(EchoedValue(value))' for \(spelling): use WIDTHxHEIGHT in pixels, such as 1280x720")
      }
      options.workload.videoResolution = .init(width: w, height: h)
    },
    OptionSpec(
      name: "--videos", placeholder: "N", kind: .valued, group: .general,
      help: ["videos per request (default 1 with --video-seconds)"]
    ) { options, value, spelling throws(UsageError) in
      options.workload.videos = try Options.integer(value, for: spelling, in: 0...Options.maximumImages)
    },
    OptionSpec(
      name: "--audio-seconds", placeholder: "S", kind: .valued, group: .general,
      help: ["seconds of audio input per request (Qwen2.5-Omni, MiniCPM-o 2.6)"]
    ) { options, value, spelling throws(UsageError) in
      options.workload.audioSeconds = try Options.seconds(value, for: spelling, in: 0.1...86_400)
    },
    OptionSpec(
      name: "--audio-output", kind: .flag, group: .general,
      help: ["speech output: load and run the talker and vocoder (off by default)"]
    ) { options, _, _ in options.workload.audioOutput = true },
    OptionSpec(
      name: "--attention", placeholder: "KIND", kind: .valued, group: .general,
      help: ["eager, sdpa (default), flash"],
      choices: Workload.Attention.allCases.map(\.rawValue)
    ) { options, value, _ throws(UsageError) in
      guard let attention = Workload.Attention(rawValue: value.lowercased()) else {
        throw UsageError(
          description: "unknown attention '\(EchoedValue(value))' (choose one of: eager, sdpa, flash)")
      }
      options.workload.attention = attention
      options.attentionGiven = true
    },
    OptionSpec(
      name: "--kv-dtype", placeholder: "TYPE", kind: .valued, group: .general,
      help: ["KV cache dtype: fp32, bf16, fp16, fp8 (default: the compute dtype)"]
    ) { options, value, _ throws(UsageError) in
      guard let dtype = DType(parsing: value), [.fp32, .bf16, .fp16, .fp8].contains(dtype) else {
        throw UsageError(
          description: "unknown KV cache dtype '\(EchoedValue(value))' (choose one of: fp32, bf16, fp16, fp8)"
        )
      }
      options.workload.kvDType = dtype
    },
    OptionSpec(
      name: "--max-memory", placeholder: "SPEC", kind: .valued, group: .general,
      help: [
        "caps in accelerate's syntax: 0:7GiB,1:7GiB,cpu:64GiB",
        "(GiB/MiB = 2^30/2^20, GB/MB = 10^9/10^6; cpu/disk allow offloading)",
      ]
    ) { options, value, _ throws(UsageError) in
      do throws(MaxMemory.ParseError) {
        options.maxMemory = try MaxMemory(parsing: value)
      } catch {
        throw UsageError(description: "bad --max-memory '\(EchoedValue(value))': \(error.description)")
      }
    },
    OptionSpec(
      name: "--host-memory", placeholder: "SPEC", kind: .valued, group: .general,
      help: [
        "the host's memory, where llama.cpp computes layers and experts kept",
        "there: ddr5-4800x2 (default: two channels), ddr4-3200x8, or 120GB/s",
      ]
    ) { options, value, _ throws(UsageError) in
      do throws(HostMemory.ParseError) {
        options.hostMemory = try HostMemory(parsing: value)
      } catch {
        throw UsageError(description: "bad --host-memory '\(EchoedValue(value))': \(error.description)")
      }
    },
    OptionSpec(
      name: "--free-memory", kind: .flag, group: .general,
      help: ["with --gpus local: plan on the memory free now (total - used)"]
    ) { options, _, _ in options.freeMemory = true },
    OptionSpec(
      name: "--gpu-spec", placeholder: "FILE", kind: .repeatable, group: .general,
      help: ["add custom GPUs from a JSON file (see Docs/GPUSpecs.md)"]
    ) { options, value, _ in options.gpuSpecs.append(value) },
    OptionSpec(
      name: "--format", placeholder: "FORMAT", kind: .valued, group: .general,
      help: [
        "table (default), json, device-map, llama-cpp (the llama-server",
        "command; implies --runtime llama.cpp), vllm (the vllm serve",
        "command; implies --runtime vllm), sglang (the sglang.launch_server",
        "command; implies --runtime sglang); planner gpus, planner models",
        "and --compare print table or json",
      ],
      choices: Options.Format.allCases.map(\.rawValue)
    ) { options, value, _ throws(UsageError) in
      guard let parsed = Options.Format(rawValue: value.lowercased()) else {
        throw UsageError(
          description:
            "unknown format '\(EchoedValue(value))' (choose one of: \(Options.Format.allCases.map(\.rawValue).joined(separator: ", ")))"
        )
      }
      options.format = parsed
    },

    OptionSpec(
      name: "--mem-fraction-static", placeholder: "F", kind: .valued, group: .general,
      help: [
        "SGLang (--runtime sglang): weights + KV pool as a fraction of GPU", "memory (default: SGLang's own)",
      ]
    ) { options, value, spelling throws(UsageError) in
      guard let fraction = Double(value), fraction > 0, fraction < 1 else {
        throw UsageError(
          description:
            "bad value '\(EchoedValue(value))' for \(spelling): use a fraction above 0 and below 1, for example 0.85"
        )
      }
      options.sglang.memFractionStatic = fraction
      options.sglangGiven = spelling
    },

    // vLLM: each needs --runtime vllm (the parser records the spellings given)
    OptionSpec(
      name: "--vllm-version", placeholder: "V", kind: .valued, group: .vllm,
      help: ["the vLLM modelled: 0.33 (V1, default) or 0.6 (V0; also 0.5)"]
    ) { options, value, spelling throws(UsageError) in
      guard let version = VLLMVersion(parsing: value) else {
        throw UsageError(
          description:
            "bad value '\(EchoedValue(value))' for \(spelling): use 0.33 (the V1 engine) or 0.6 (V0)")
      }
      options.serving.version = version
    },
    OptionSpec(
      name: "--max-model-len", placeholder: "N", kind: .valued, group: .vllm,
      help: ["tokens per sequence, or auto (V1: the longest that fits; default: the model's)"]
    ) { options, value, spelling throws(UsageError) in
      if value.lowercased() == "auto" {
        options.serving.autoMaxModelLen = true
        return
      }
      options.serving.maxModelLen = try Options.integer(value, for: spelling, in: 1...Options.maximumContext)
    },
    OptionSpec(
      name: "--max-num-seqs", placeholder: "N", kind: .valued, group: .vllm,
      help: ["sequences scheduled at once (default: V1 1024 on 70 GiB GPUs, else 256)"]
    ) { options, value, spelling throws(UsageError) in
      options.serving.maxNumSeqs = try Options.integer(value, for: spelling, in: 1...Options.maximumBatch)
    },
    OptionSpec(
      name: "--max-num-batched-tokens", placeholder: "N", kind: .valued, group: .vllm,
      help: [
        "tokens per forward pass (default: V1 2048/8192/16384 by GPU memory;", "V0 max(max-model-len, 2048))",
      ]
    ) { options, value, spelling throws(UsageError) in
      options.serving.maxNumBatchedTokens = try Options.integer(
        value, for: spelling, in: 1...Options.maximumContext)
    },
    OptionSpec(
      name: "--gpu-memory-utilization", placeholder: "F", kind: .valued, group: .vllm,
      help: ["fraction of each GPU's memory vLLM may use (default: V1 0.92, V0 0.9)"]
    ) { options, value, spelling throws(UsageError) in
      guard let fraction = Double(value), fraction > 0, fraction <= 1 else {
        throw UsageError(
          description:
            "bad value '\(EchoedValue(value))' for \(spelling): use a fraction above 0 and at most 1, for example 0.9"
        )
      }
      options.serving.gpuMemoryUtilization = fraction
    },
    OptionSpec(
      name: "--enforce-eager", kind: .flag, group: .vllm,
      help: ["no CUDA graphs"]
    ) { options, _, _ in options.serving.enforceEager = true },
    OptionSpec(
      name: "--kv-cache-memory-bytes", placeholder: "B", kind: .valued, group: .vllm,
      help: ["V1: the KV cache per GPU in bytes, instead of what the profile leaves"]
    ) { options, value, spelling throws(UsageError) in
      options.serving.kvCacheMemoryBytes = Int64(
        try Options.integer(value, for: spelling, in: 1...(1 << 50)))
    },
    OptionSpec(
      name: "--limit-mm-per-prompt", placeholder: "N", kind: .valued, group: .vllm,
      help: ["V1: images per prompt in the profile run: N or vLLM's '{\"image\": N}' (default 1)"]
    ) { options, value, spelling throws(UsageError) in
      var text = value
      if value.hasPrefix("{") {
        // vLLM's JSON form, image only: {"image": N}.
        let parts = value.dropFirst().dropLast().split(separator: ":", omittingEmptySubsequences: false)
        guard value.hasSuffix("}"), parts.count == 2,
          parts[0].trimmingCharacters(in: .whitespaces) == "\"image\""
        else {
          throw UsageError(
            description: "bad value '\(EchoedValue(value))' for \(spelling): use N or '{\"image\": N}'")
        }
        text = parts[1].trimmingCharacters(in: .whitespaces)
      }
      options.serving.limitMMPerPrompt = try Options.integer(text, for: spelling, in: 0...1024)
    },
    OptionSpec(
      name: "--skip-mm-profiling", kind: .flag, group: .vllm,
      help: ["V1: no multimodal step in the profile run"]
    ) { options, _, _ in options.serving.skipMMProfiling = true },
    OptionSpec(
      name: "--tensor-parallel", aliases: ["--tensor-parallel-size", "-tp"], placeholder: "N", kind: .valued,
      group: .vllm,
      help: ["fix the tensor parallel size (default: the planner chooses)"]
    ) { options, value, spelling throws(UsageError) in
      options.serving.tensorParallel = try Options.integer(value, for: spelling, in: 1...1024)
    },
    OptionSpec(
      name: "--pipeline-parallel", aliases: ["--pipeline-parallel-size", "-pp"], placeholder: "N",
      kind: .valued, group: .vllm,
      help: ["fix the pipeline parallel size (default: the planner chooses)"]
    ) { options, value, spelling throws(UsageError) in
      options.serving.pipelineParallel = try Options.integer(value, for: spelling, in: 1...1024)
    },
    OptionSpec(
      name: "--data-parallel-size", aliases: ["-dp"], placeholder: "N", kind: .valued, group: .vllm,
      help: [
        "engines side by side, each on its share of the GPUs (default: the planner",
        "chooses replicas where they serve more tokens per second)",
      ]
    ) { options, value, spelling throws(UsageError) in
      options.serving.dataParallel = try Options.integer(value, for: spelling, in: 1...1024)
    },
    OptionSpec(
      name: "--gpus-per-node", placeholder: "N", kind: .valued, group: .vllm,
      help: ["GPUs of one server: tensor parallel stays within them (default 8)"]
    ) { options, value, spelling throws(UsageError) in
      options.serving.gpusPerNode = try Options.integer(value, for: spelling, in: 1...1024)
    },
    OptionSpec(
      name: "--nodes", placeholder: "N", kind: .valued, group: .vllm,
      help: [
        "nodes, each with the GPUs of --gpus, joined by the network",
        "(tensor parallel inside a node, pipeline across; Ray)",
      ]
    ) { options, value, spelling throws(UsageError) in
      options.serving.nodes = try Options.integer(value, for: spelling, in: 1...1024)
    },

    // Other
    OptionSpec(
      name: "--help", aliases: ["-h"], kind: .flag, group: .other, help: ["show this help"]
    ) { options, _, _ in options.command = .help },
    OptionSpec(
      name: "--version", kind: .flag, group: .other, help: ["show the version"]
    ) { options, _, _ in options.command = .version },
  ]
}
