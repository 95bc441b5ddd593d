import Foundation
import Planner
import Testing

@testable import PlannerCLI

@Suite struct OptionsTests {
  static let required = ["--gpus", "2xP4", "--model", "qwen2-7b"]

  /// The usage error `arguments` throw (records an issue if they parse).
  static func usageError(_ arguments: [String]) -> UsageError? {
    do {
      let options = try Options(parsing: arguments)
      Issue.record("\(arguments) parsed as \(options); expected a usage error")
      return nil
    } catch {
      return error
    }
  }

  // MARK: - Defaults and commands

  @Test func defaults() throws {
    let options = try Options(parsing: Self.required)
    #expect(options.command == .plan)
    #expect(options.gpus == "2xP4")
    #expect(options.model == "qwen2-7b")
    #expect(options.gpuSpecs.isEmpty)
    #expect(options.strategy == .auto)
    #expect(options.format == .table)
    #expect(options.maxMemory == nil)
    #expect(options.workload == Workload())
    #expect(options.workload.contextTokens == 4096)
    #expect(options.workload.batch == 1)
    #expect(options.workload.images == 1)
    #expect(options.workload.slicesPerImage == nil)
    #expect(options.workload.attention == .sdpa)
    #expect(options.workload.dtype == .auto)
    #expect(options.workload.kvDType == nil)
  }

  @Test func optionOrderDoesNotMatter() throws {
    let a = try Options(parsing: ["--model", "qwen2-7b", "--context", "8", "--gpus", "2xP4"])
    let b = try Options(parsing: ["--context", "8", "--gpus", "2xP4", "--model", "qwen2-7b"])
    #expect(a == b)
  }

  @Test func laterValueOfAnOptionWins() throws {
    let options = try Options(parsing: Self.required + ["--context", "8", "--context", "16", "--gpus", "T4"])
    #expect(options.workload.contextTokens == 16)
    #expect(options.gpus == "T4")
  }

  /// Command words and flags, and the command each selects.
  @Test(arguments: [
    (["gpus"], Options.Command.listGPUs),
    (["models"], .listModels),
    (["help"], .help),
    (["--help"], .help),
    (["-h"], .help),
    (["--version"], .version),
    (["plan"] + required, .plan),
    (required + ["--help"], .help),
    (["--gpus", "P4", "--version"], .version),
    (["gpus", "--gpu-spec", "mine.json"], .listGPUs),
  ])
  func commandIsSelected(arguments: [String], expected: Options.Command) throws {
    #expect(try Options(parsing: arguments).command == expected)
  }

  @Test func listCommandsNeedNoGPUsOrModel() throws {
    let options = try Options(parsing: ["gpus", "--gpu-spec", "a.json", "--gpu-spec", "b.json"])
    #expect(options.gpuSpecs == ["a.json", "b.json"])
    #expect(options.gpus == nil)
    #expect(options.model == nil)
  }

  // MARK: - Every option, space and `=` forms

  /// An option with its value and what it must change in the defaults.
  struct Setting: CustomTestStringConvertible, Sendable {
    var option: String
    var value: String
    var apply: @Sendable (inout Options) -> Void
    var testDescription: String { "\(option) \(value)" }
  }

  static let settings: [Setting] = [
    Setting(option: "--gpus", value: "4090,3090") { $0.gpus = "4090,3090" },
    Setting(option: "--model", value: "minicpm-v-2.6") { $0.model = "minicpm-v-2.6" },
    Setting(option: "--gpu-spec", value: "custom.json") { $0.gpuSpecs = ["custom.json"] },
    Setting(option: "--strategy", value: "memory") { $0.strategy = .memory },
    Setting(option: "--strategy", value: "sequential") { $0.strategy = .sequential },
    Setting(option: "--strategy", value: "balanced") { $0.strategy = .balanced },
    Setting(option: "--strategy", value: "balanced_low_0") { $0.strategy = .balancedLow0 },
    Setting(option: "--strategy", value: "Balanced") { $0.strategy = .balanced },
    Setting(option: "--strategy", value: "auto") { $0.strategy = .auto },
    Setting(option: "--format", value: "json") { $0.format = .json },
    Setting(option: "--format", value: "device-map") { $0.format = .deviceMap },
    Setting(option: "--format", value: "TABLE") { $0.format = .table },
    Setting(option: "--dtype", value: "fp16") { $0.workload.dtype = .fixed(.fp16) },
    Setting(option: "--dtype", value: "bfloat16") { $0.workload.dtype = .fixed(.bf16) },
    Setting(option: "--dtype", value: "int4") { $0.workload.dtype = .fixed(.int4) },
    Setting(option: "--dtype", value: "AUTO") { $0.workload.dtype = .auto },
    Setting(option: "--kv-dtype", value: "fp8") { $0.workload.kvDType = .fp8 },
    Setting(option: "--kv-dtype", value: "fp32") { $0.workload.kvDType = .fp32 },
    Setting(option: "--context", value: "8192") { $0.workload.contextTokens = 8192 },
    Setting(option: "--context", value: "1") { $0.workload.contextTokens = 1 },
    Setting(option: "--context", value: "10000000") { $0.workload.contextTokens = 10_000_000 },
    // k is 1024 tokens, as model cards write context lengths (32k = 32768).
    Setting(option: "--context", value: "32k") { $0.workload.contextTokens = 32 * 1024 },
    Setting(option: "--context", value: "128K") { $0.workload.contextTokens = 131_072 },
    Setting(option: "--context", value: "9765k") { $0.workload.contextTokens = 9_999_360 },
    Setting(option: "--batch", value: "4") { $0.workload.batch = 4 },
    Setting(option: "--batch", value: "65536") { $0.workload.batch = 65_536 },
    Setting(option: "--images", value: "0") { $0.workload.images = 0 },
    Setting(option: "--images", value: "256") { $0.workload.images = 256 },
    Setting(option: "--slices", value: "5") { $0.workload.slicesPerImage = 5 },
    Setting(option: "--attention", value: "eager") {
      $0.workload.attention = .eager
      $0.attentionGiven = true
    },
    Setting(option: "--attention", value: "flash") {
      $0.workload.attention = .flash
      $0.attentionGiven = true
    },
    Setting(option: "--max-memory", value: "cpu:64GiB,0:7GiB") {
      $0.maxMemory = MaxMemory([(.gpu(0), .gibibytes(7)), (.cpu, .gibibytes(64))])
    },
    Setting(option: "--host-memory", value: "DDR4-3200x8") {
      $0.hostMemory = HostMemory(generation: 4, megaTransfers: 3200, channels: 8)
    },
  ]

  @Test(arguments: settings, [false, true])
  func optionSetsItsValue(_ setting: Setting, equalsForm: Bool) throws {
    var expected = try Options(parsing: Self.required)
    setting.apply(&expected)
    let option = equalsForm ? ["\(setting.option)=\(setting.value)"] : [setting.option, setting.value]
    let actual = try Options(parsing: Self.required + option)
    #expect(actual == expected)
  }

  /// vLLM's settings: each needs `--runtime vllm` (or `--format vllm`).
  static let servingSettings: [Setting] = [
    Setting(option: "--max-model-len", value: "4096") { $0.serving.maxModelLen = 4096 },
    Setting(option: "--max-num-seqs", value: "32") { $0.serving.maxNumSeqs = 32 },
    Setting(option: "--max-num-batched-tokens", value: "8192") { $0.serving.maxNumBatchedTokens = 8192 },
    Setting(option: "--gpu-memory-utilization", value: "0.95") { $0.serving.gpuMemoryUtilization = 0.95 },
    Setting(option: "--gpu-memory-utilization", value: "1") { $0.serving.gpuMemoryUtilization = 1 },
    Setting(option: "--tensor-parallel", value: "2") { $0.serving.tensorParallel = 2 },
    Setting(option: "--tensor-parallel-size", value: "4") { $0.serving.tensorParallel = 4 },
    Setting(option: "--pipeline-parallel", value: "2") { $0.serving.pipelineParallel = 2 },
    Setting(option: "--nodes", value: "2") { $0.serving.nodes = 2 },
    Setting(option: "--attention", value: "flash") {
      $0.workload.attention = .flash
      $0.attentionGiven = true
      $0.serving.encoderAttention = .flash
    },
  ]

  @Test(arguments: servingSettings, [false, true])
  func servingOptionSetsItsValue(_ setting: Setting, equalsForm: Bool) throws {
    let base = Self.required + ["--runtime", "vllm"]
    var expected = try Options(parsing: base)
    setting.apply(&expected)
    let option = equalsForm ? ["\(setting.option)=\(setting.value)"] : [setting.option, setting.value]
    var actual = try Options(parsing: base + option)
    actual.servingOptions = []
    #expect(actual == expected)
  }

  @Test(arguments: [
    (["--max-num-seqs", "32"], "--max-num-seqs is a vLLM setting: add --runtime vllm (or --format vllm)"),
    (
      ["--nodes", "2", "--runtime", "llama.cpp"],
      "--nodes is a vLLM setting: add --runtime vllm (or --format vllm)"
    ),
    (
      ["--format", "vllm", "--runtime", "transformers"],
      "--format vllm plans for vLLM; drop --runtime transformers or use --runtime vllm"
    ),
    (
      ["--runtime", "vllm", "--strategy", "balanced"],
      "--strategy balanced reproduces accelerate's device_map; vLLM places layers by tensor and pipeline "
        + "parallel sizes: use auto, latency, throughput or memory"
    ),
    (
      ["--runtime", "vllm", "--gpu-memory-utilization", "1.5"],
      "bad value '1.5' for --gpu-memory-utilization: use a fraction above 0 and at most 1, for example 0.9"
    ),
    (
      ["--runtime", "vllm", "--gpu-memory-utilization", "0"],
      "bad value '0' for --gpu-memory-utilization: use a fraction above 0 and at most 1, for example 0.9"
    ),
  ])
  func servingOptionsAreChecked(arguments: [String], message: String) {
    #expect(throws: UsageError(description: message)) { try Options(parsing: Self.required + arguments) }
  }

  @Test func formatVLLMImpliesTheRuntime() throws {
    let options = try Options(parsing: Self.required + ["--format", "vllm", "--enforce-eager"])
    #expect(options.runtime == .vllm)
    #expect(options.serving.enforceEager)
    #expect(options.serving.encoderAttention == nil)
  }

  @Test func shortModelOption() throws {
    let options = try Options(parsing: ["--gpus", "P4", "-m", "mistral-7b"])
    #expect(options.model == "mistral-7b")
  }

  @Test func equalsFormKeepsLaterEqualsSigns() throws {
    let options = try Options(parsing: ["--gpus=2xP4", "--model=a=b"])
    #expect(options.gpus == "2xP4")
    #expect(options.model == "a=b")
  }

  @Test func valueThatLooksLikeANegativeNumberIsTakenAsTheValue() {
    // `-1` is not an option: it is the value, and it is out of range.
    let error = Self.usageError(Self.required + ["--batch", "-1"])
    #expect(error?.description.contains("bad value '-1' for --batch") == true)
  }

  // MARK: - Usage errors

  /// Arguments that are a usage error, and what the one-line message must name.
  struct Bad: CustomTestStringConvertible, Sendable {
    var arguments: [String]
    var mentions: [String]
    var testDescription: String { arguments.joined(separator: " ") }
  }

  static let badArguments: [Bad] = [
    Bad(arguments: required + ["--bogus"], mentions: ["unknown option '--bogus'", "--help"]),
    Bad(arguments: required + ["--bogus=1"], mentions: ["unknown option '--bogus=1'"]),
    Bad(arguments: required + ["-x"], mentions: ["unknown option '-x'"]),
    Bad(arguments: ["frobnicate"], mentions: ["unknown command 'frobnicate'", "plan, gpus, models"]),
    Bad(arguments: ["--gpus"], mentions: ["missing value for '--gpus'"]),
    Bad(arguments: ["--gpus", "--model", "qwen2-7b"], mentions: ["missing value for '--gpus'"]),
    Bad(arguments: ["--gpus", "P4", "--model"], mentions: ["missing value for '--model'"]),
    Bad(arguments: ["--gpus", "P4", "-m"], mentions: ["missing value for '-m'"]),
    Bad(arguments: required + ["--context", "--batch", "2"], mentions: ["missing value for '--context'"]),
    Bad(arguments: required + ["--max-memory"], mentions: ["missing value for '--max-memory'"]),
    Bad(
      arguments: required + ["--host-memory", "fast"],
      mentions: ["bad --host-memory 'fast'", "not a memory spec", "ddr5-4800x2"]),
    Bad(
      arguments: required + ["--context", "0"], mentions: ["bad value '0' for --context", "1 to 10000000"]),
    Bad(arguments: required + ["--context", "abc"], mentions: ["bad value 'abc' for --context"]),
    Bad(
      arguments: required + ["--context", "99999999999"],
      mentions: ["bad value '99999999999' for --context"]),
    Bad(arguments: required + ["--context", "10000001"], mentions: ["bad value '10000001' for --context"]),
    Bad(arguments: required + ["--context", "4.5k"], mentions: ["bad value '4.5k' for --context", "32k"]),
    Bad(arguments: required + ["--context", "k"], mentions: ["bad value 'k' for --context"]),
    Bad(arguments: required + ["--context", "-4k"], mentions: ["bad value '-4k' for --context"]),
    Bad(
      arguments: required + ["--context", "9766k"], mentions: ["bad value '9766k' for --context", "10000000"]),
    Bad(arguments: required + ["--context", "99999999999999999999k"], mentions: ["bad value"]),
    Bad(arguments: required + ["--context="], mentions: ["bad value '' for --context"]),
    Bad(arguments: required + ["--batch", "-1"], mentions: ["bad value '-1' for --batch", "1 to 65536"]),
    Bad(arguments: required + ["--batch", "0"], mentions: ["bad value '0' for --batch"]),
    Bad(arguments: required + ["--batch", "1.5"], mentions: ["bad value '1.5' for --batch"]),
    Bad(arguments: required + ["--images", "257"], mentions: ["bad value '257' for --images", "0 to 256"]),
    Bad(arguments: required + ["--slices", "0"], mentions: ["bad value '0' for --slices", "1 to 64"]),
    Bad(
      arguments: required + ["--strategy", "fastest"],
      mentions: ["unknown strategy 'fastest'", "balanced_low_0"]),
    Bad(arguments: required + ["--format", "yaml"], mentions: ["unknown format 'yaml'", "device-map"]),
    Bad(arguments: required + ["--dtype", "int3"], mentions: ["unknown dtype 'int3'", "int4"]),
    Bad(arguments: required + ["--kv-dtype", "int8"], mentions: ["unknown KV cache dtype 'int8'"]),
    Bad(arguments: required + ["--kv-dtype", "auto"], mentions: ["unknown KV cache dtype 'auto'"]),
    Bad(arguments: required + ["--attention", "paged"], mentions: ["unknown attention 'paged'", "eager"]),
    Bad(
      arguments: required + ["--max-memory", "0:7XB"], mentions: ["bad --max-memory '0:7XB'", "not a size"]),
    Bad(
      arguments: required + ["--max-memory", "gpu0:1GiB"], mentions: ["bad --max-memory", "not a device"]),
    Bad(arguments: required + ["--max-memory=0:1GiB,0:2GiB"], mentions: ["bad --max-memory", "twice"]),
    Bad(arguments: [], mentions: ["missing --gpus", "2xP4"]),
    Bad(arguments: ["plan"], mentions: ["missing --gpus"]),
    Bad(arguments: ["--model", "qwen2-7b"], mentions: ["missing --gpus"]),
    Bad(arguments: ["--gpus", "2xP4"], mentions: ["missing --model", "minicpm-v-2.6"]),
    Bad(
      arguments: required + ["--contxt", "8"],
      mentions: ["unknown option '--contxt'", "did you mean --context?"]),
    Bad(
      arguments: required + ["--json"], mentions: ["unknown option '--json'", "did you mean --format json?"]),
    Bad(
      arguments: required + ["--runtime", "vllm", "--enforce-eager=false"],
      mentions: ["'--enforce-eager' takes no value", "--enforce-eager=false"]),
    Bad(arguments: required + ["--compare=no"], mentions: ["'--compare' takes no value"]),
    Bad(arguments: ["--help=yes"], mentions: ["'--help' takes no value"]),
    Bad(arguments: ["--version=1"], mentions: ["'--version' takes no value"]),
    Bad(
      arguments: ["gpus", "--format", "vllm"],
      mentions: ["planner gpus prints table or json, not --format vllm"]),
    Bad(
      arguments: ["models", "--format", "device-map"],
      mentions: ["planner models prints table or json, not --format device-map"]),
    Bad(
      arguments: ["benchmark", "--format", "json"],
      mentions: ["planner benchmark prints table, not --format json"]),
    Bad(arguments: required + ["--compare", "--format", "device-map"], mentions: ["leave out --compare"]),
    Bad(arguments: required + ["--compare", "--format", "vllm"], mentions: ["leave out --compare"]),
    Bad(arguments: required + ["--compare", "--format", "llama-cpp"], mentions: ["leave out --compare"]),
  ]

  @Test(arguments: badArguments)
  func usageErrorIsOneLineNamingTheProblem(_ bad: Bad) throws {
    let error = try #require(Self.usageError(bad.arguments))
    #expect(!error.description.contains("\n"))
    for mention in bad.mentions {
      #expect(error.description.contains(mention), "\(error.description) should mention \(mention)")
    }
  }

  // MARK: - Command.run

  /// Usage errors through the whole command: exit 64, nothing on stdout, one error line on stderr.
  @Test(
    arguments: badArguments.map(\.arguments) + [
      ["--gpus", "2xP5", "--model", "qwen2-7b"],
      ["--gpus", "", "--model", "qwen2-7b"],
      ["--gpus", "2xP4", "--model", "minicpm-v-2.7"],
      ["--gpus", "2xP4", "--model", "qwen2-7b", "--max-memory", "5:1GiB"],
    ])
  func usageErrorExits64WithOneLineOnStderr(arguments: [String]) {
    let outcome = Command.run(arguments)
    #expect(outcome.exitCode == 64)
    #expect(outcome.stdout.isEmpty)
    #expect(outcome.stderr.hasPrefix("planner: error: "), "\(outcome.stderr)")
    #expect(outcome.stderr.hasSuffix("\n"))
    #expect(outcome.stderr.filter { $0 == "\n" }.count == 1, "\(outcome.stderr)")
  }

  @Test func unknownOptionIsNamedOnStderr() {
    let outcome = Command.run(Self.required + ["--bogus"])
    #expect(outcome.stderr == "planner: error: unknown option '--bogus' (see planner --help)\n")
  }

  @Test func misspeltOptionGetsTheClosestOnStderr() {
    let outcome = Command.run(Self.required + ["--runtime", "vllm", "--tensor-paralel", "2"])
    #expect(outcome.exitCode == 64)
    #expect(
      outcome.stderr
        == "planner: error: unknown option '--tensor-paralel'; did you mean --tensor-parallel? (see planner --help)\n"
    )
  }

  @Test func helpListsEveryAliasTheParserAccepts() throws {
    let help = Command.run(["--help"]).stdout
    for line in [
      "  -m, --model NAME|DIR", "  -tp, --tensor-parallel, --tensor-parallel-size N",
      "  -pp, --pipeline-parallel",
    ] {
      #expect(help.contains(line), "\(line)")
    }
    for alias in [["-m", "qwen2-7b"], ["-tp", "2"], ["-pp", "2"], ["--pipeline-parallel-size", "2"]] {
      _ = try Options(parsing: ["--gpus", "2xP4", "--model", "qwen2-7b", "--runtime", "vllm"] + alias)
    }
  }

  // MARK: - JSON listings and comparisons

  /// `text` parsed as a JSON object (records an issue if it is not one).
  static func jsonObject(_ text: String) -> [String: Any] {
    let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    if object == nil { Issue.record("not a JSON object: \(text.prefix(200))") }
    return object ?? [:]
  }

  @Test func gpusListInJSON() {
    let outcome = Command.run(["gpus", "--format", "json", "--gpu-spec", "fixtures/gpu-specs/a4000.json"])
    #expect(outcome.exitCode == 0, "\(outcome.stderr)")
    let document = Self.jsonObject(outcome.stdout)
    #expect(document["schemaVersion"] as? Int == 1)
    #expect(document["kind"] as? String == "gpus")
    let gpus = document["gpus"] as? [[String: Any]] ?? []
    #expect(gpus.compactMap { $0["name"] as? String } == (GPUCatalog.all.map(\.name) + ["RTX-A4000"]))
    let p4 = gpus.first ?? [:]
    #expect(p4["memoryBytes"] as? Int64 == GPUCatalog.all[0].memory.value)
    #expect(p4["usableMemoryBytes"] as? Int64 == GPUCatalog.all[0].usableMemory.value)
    #expect(p4["bandwidthGBps"] as? Double == 192)
    #expect(p4["computeCapability"] as? String == "6.1")
    #expect(p4["aliases"] as? [String] == GPUCatalog.all[0].aliases)
  }

  @Test func modelsListInJSON() {
    let outcome = Command.run(["models", "--format", "json"])
    #expect(outcome.exitCode == 0)
    let document = Self.jsonObject(outcome.stdout)
    #expect(document["schemaVersion"] as? Int == 1)
    #expect(document["kind"] as? String == "models")
    let models = document["models"] as? [[String: Any]] ?? []
    #expect(models.compactMap { $0["name"] as? String } == ModelCatalog.entries.map(\.name))
    for (model, entry) in zip(models, ModelCatalog.entries) {
      let graph = entry.build()
      #expect(model["parameters"] as? Int64 == graph.parameterCount)
      #expect(model["aliases"] as? [String] == entry.aliases)
      #expect(model["estimates"] as? [String] == graph.estimates)
    }
  }

  /// `--compare --format json`: every strategy's plan, each as `--format json --strategy S` prints
  /// it.
  @Test func compareInJSON() throws {
    let arguments = ["--gpus", "1xT4,1xP4", "--model", "minicpm-v-2.6"]
    let outcome = Command.run(arguments + ["--compare", "--format", "json"])
    #expect(outcome.exitCode == Command.run(arguments + ["--compare"]).exitCode)
    let document = Self.jsonObject(outcome.stdout)
    #expect(document["schemaVersion"] as? Int == 1)
    #expect(document["kind"] as? String == "compare")
    let plans = try #require(document["plans"] as? [[String: Any]])
    #expect(
      plans.compactMap { ($0["layout"] as? [String: Any])?["strategy"] as? String }
        == Strategy.allCases.map(\.rawValue))
    // Planner.compare searches no remedies; the rest is the single plan's.
    for (var plan, strategy) in zip(plans, Strategy.allCases) {
      var single = Self.jsonObject(
        Command.run(arguments + ["--format", "json", "--strategy", strategy.rawValue]).stdout)
      (plan["remedies"], single["remedies"]) = (nil, nil)
      let written = [plan, single].map {
        try? JSONSerialization.data(withJSONObject: $0, options: .sortedKeys)
      }
      #expect(written[0] != nil && written[0] == written[1], "\(strategy)")
    }
  }

  @Test func maxMemoryForAGPUNotListedIsAUsageError() {
    let outcome = Command.run(["--gpus", "2xP4", "--model", "qwen2-7b", "--max-memory", "5:1GiB"])
    #expect(outcome.exitCode == 64)
    #expect(outcome.stderr.contains("GPU 5"), "\(outcome.stderr)")
    #expect(outcome.stderr.contains("2 GPU"), "\(outcome.stderr)")
    // The last listed GPU is fine.
    let fine = Command.run(["--gpus", "2xP4", "--model", "qwen2-7b", "--max-memory", "1:1GiB"])
    #expect(fine.exitCode != 64, "\(fine.stderr)")
  }

  @Test func unknownModelSuggestsTheClosestName() {
    let outcome = Command.run(["--gpus", "2xP4", "--model", "minicpm-v-2.7"])
    #expect(outcome.exitCode == 64)
    #expect(outcome.stderr.contains("unknown model 'minicpm-v-2.7'"), "\(outcome.stderr)")
    #expect(outcome.stderr.contains("minicpm-v-2.6"), "\(outcome.stderr)")
    #expect(outcome.stderr.contains("planner models"))
  }

  @Test func unknownGPUIsAUsageErrorNamingTheClosest() {
    let outcome = Command.run(["--gpus", "2xP5", "--model", "qwen2-7b"])
    #expect(outcome.exitCode == 64)
    #expect(outcome.stderr.contains("unknown GPU 'P5'"))
    #expect(outcome.stderr.contains("P4"))
  }

  @Test(arguments: [
    ["--gpus", "2xP4", "--model", "qwen2-7b", "--gpu-spec", "/nonexistent/planner-spec.json"],
    ["gpus", "--gpu-spec", "/nonexistent/planner-spec.json"],
  ])
  func missingGPUSpecFileExits1(arguments: [String]) {
    let outcome = Command.run(arguments)
    #expect(outcome.exitCode == 1)
    #expect(outcome.stdout.isEmpty)
    #expect(
      outcome.stderr.hasPrefix("planner: error: --gpu-spec /nonexistent/planner-spec.json"),
      "\(outcome.stderr)")
    #expect(outcome.stderr.filter { $0 == "\n" }.count == 1)
  }

  @Test func versionExits0() {
    let outcome = Command.run(["--version"])
    #expect(outcome == Outcome(stdout: "planner 0.1.0\n", stderr: "", exitCode: 0))
    #expect(outcome.stdout == Command.version + "\n")
  }

  @Test(arguments: [["--help"], ["-h"], ["help"], ["--gpus", "P4", "--help"]])
  func helpGoesToStdoutAndExits0(arguments: [String]) {
    let outcome = Command.run(arguments)
    #expect(outcome.exitCode == 0)
    #expect(outcome.stderr.isEmpty)
    #expect(outcome.stdout == HelpText.text)
    #expect(outcome.stdout.contains("--max-memory"))
  }

  // MARK: - User input never traps

  /// The largest values the options accept, in JSON: the plan is computed and rendered without a
  /// trap (it does not fit, so the command exits 1).
  @Test func largestAcceptedWorkloadDoesNotTrapInJSON() async {
    await #expect(processExitsWith: .success) {
      let outcome = Command.run([
        "--gpus", "2xH200", "--model", "qwen2-7b", "--context", "10000000", "--batch", "65536", "--format",
        "json",
      ])
      precondition(outcome.exitCode == 1 && outcome.stderr.hasPrefix("planner: does not fit"))
    }
  }

  /// Accepted options whose workload overflows 64-bit byte arithmetic: sizes saturate, and the
  /// command exits with a status instead of trapping (found by an earlier version of this test).
  @Test func largestAcceptedWorkloadDoesNotTrap() async {
    await #expect(processExitsWith: .success) {
      let outcome = Command.run([
        "--gpus", "2xH200", "--model", "qwen2-7b", "--context", "10000000", "--batch", "65536",
      ])
      precondition(outcome.exitCode == 1)
    }
  }

  @Test func largestAcceptedEagerWorkloadDoesNotTrap() async {
    await #expect(processExitsWith: .success) {
      let outcome = Command.run([
        "--gpus", "2xH200", "--model", "qwen2-7b", "--context", "1000000", "--attention", "eager",
        "--batch", "65536",
      ])
      precondition(outcome.exitCode == 1)
    }
  }

  @Test func listCommandsExit0() {
    let gpus = Command.run(["gpus"])
    #expect(gpus.exitCode == 0)
    #expect(gpus.stderr.isEmpty)
    for gpu in GPUCatalog.all { #expect(gpus.stdout.contains(gpu.name)) }
    let models = Command.run(["models"])
    #expect(models.exitCode == 0)
    for entry in ModelCatalog.entries { #expect(models.stdout.contains(entry.name)) }
  }
}
