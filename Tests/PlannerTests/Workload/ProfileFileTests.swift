import Foundation
import Testing

@testable import Planner
@testable import PlannerCLI

/// Host profile files (`--profile FILE`): loading, override semantics, every error, the CLI, and
/// the committed profiles against the measurements they were and were not fitted to.
@Suite struct ProfileFileTests {
  static let file = "profiles/mine.json"

  static func parse(_ text: String) throws(ProfileFile.Error) -> RuntimeProfile {
    try ProfileFile.parse(Data(text.utf8), file: file)
  }

  /// The message a refused text gives (records an issue if it parses).
  static func error(_ text: String) -> String? {
    do {
      let profile = try parse(text)
      Issue.record("parsed as \(profile); expected an error")
      return nil
    } catch {
      return error.description
    }
  }

  /// `{"runtime": "transformers", <fields>}`.
  static func transformers(_ fields: String) -> String { #"{"runtime": "transformers", \#(fields)}"# }

  static func fixturePath(_ relative: String) -> String {
    Fixtures.root.appendingPathComponent("fixtures").appendingPathComponent(relative).path
  }

  // MARK: - Loading and override semantics

  @Test func runtimeAloneIsTheBaseProfileWithASource() throws {
    for base in RuntimeProfile.all {
      var profile = try Self.parse(#"{"runtime": "\#(base.name)"}"#)
      #expect(profile.source == ProfileFile.Source(file: Self.file, measuredOn: nil, fields: []))
      profile.source = nil
      #expect(profile == base)
    }
    #expect(try Self.parse(#"{"runtime": "LlamaCpp"}"#).name == "llama.cpp")
  }

  @Test func everyFieldOverridesItsValueAndNothingElse() throws {
    let values: [(ProfileFile.Field, String, ProfileFile.Value)] = [
      (.reservePerGPUBytes, "134217728", .integer(134_217_728)),
      (.memoryEfficiency, "0.55", .number(0.55)),
      (.computeEfficiency, "1", .number(1)),
      (.encoderComputeEfficiency, "0.25", .number(0.25)),
      (.hostSecondsPerEncoderLayer, "0.0001", .number(0.0001)),
      (.hostSecondsPerLayer, "0.00063", .number(0.00063)),
      (.hostSecondsPerStep, "0", .number(0)),
      (.hostSecondsPerHop, "1.5e-5", .number(1.5e-5)),
      (.hostSecondsPerDispatchedLayer, "0.0003", .number(0.0003)),
      (.hostSecondsPerMovedInput, "2e-5", .number(2e-5)),
      (.pipelinesStages, "true", .bool(true)),
      (.returnsLogitsToFirstGPU, "false", .bool(false)),
      (.prefillChunkTokens, "1024", .integer(1024)),
      (.timeSpreadLow, "0.9", .number(0.9)),
      (.timeSpreadHigh, "1.1", .number(1.1)),
    ]
    #expect(values.map(\.0) == ProfileFile.Field.allCases)
    for (field, json, value) in values {
      let profile = try Self.parse(Self.transformers(#""\#(field.rawValue)": \#(json)"#))
      #expect(field.value(in: profile) == value, "\(field)")
      #expect(profile.source?.fields == [field])
      #expect(profile.name == "transformers")
      for other in ProfileFile.Field.allCases where other != field {
        #expect(other.value(in: profile) == other.value(in: .transformers), "\(field) changed \(other)")
      }
    }
    // null: the whole prompt at once; on vllm that changes its 2048-token chunks.
    let vllm = try Self.parse(#"{"runtime": "vllm", "prefillChunkTokens": null}"#)
    #expect(RuntimeProfile.vllm.prefillChunkTokens == 2048)
    #expect(vllm.prefillChunkTokens == nil)
    #expect(vllm.name == "vllm")
  }

  @Test func fieldsKeepSchemaOrderAndMeasuredOnAndNotesAreKept() throws {
    let profile = try Self.parse(
      #"""
      {"hostSecondsPerHop": 2e-5, "notes": ["a", "b"], "measuredOn": "my box, 8 cores",
       "hostSecondsPerLayer": 0.0004, "runtime": "transformers"}
      """#)
    #expect(profile.source?.fields == [.hostSecondsPerLayer, .hostSecondsPerHop])
    #expect(profile.source?.measuredOn == "my box, 8 cores")
    #expect(try Self.parse(Self.transformers(#""notes": "one line""#)).source?.fields == [])
    #expect(try Self.parse(Self.transformers(#""measuredOn": """#)).source?.measuredOn == nil)
  }

  @Test func displayAndJSONValues() throws {
    let profile = try Self.parse(
      Self.transformers(
        #""hostSecondsPerLayer": 0.00060055, "memoryEfficiency": 0.6, "reservePerGPUBytes": 536870912, "#
          + #""pipelinesStages": true, "prefillChunkTokens": null"#))
    #expect(ProfileFile.Field.hostSecondsPerLayer.display(in: profile) == "600.6 µs")
    #expect(ProfileFile.Field.memoryEfficiency.display(in: profile) == "0.6")
    #expect(ProfileFile.Field.reservePerGPUBytes.display(in: profile) == "512.00 MiB")
    #expect(ProfileFile.Field.pipelinesStages.display(in: profile) == "true")
    #expect(ProfileFile.Field.prefillChunkTokens.display(in: profile) == "none")
    #expect(TableRenderer.profileLines(.transformers).isEmpty)
    #expect(
      TableRenderer.profileLines(profile) == [
        "profile   transformers from profiles/mine.json",
        "          sets reservePerGPUBytes 512.00 MiB, memoryEfficiency 0.6, hostSecondsPerLayer 600.6 µs, "
          + "pipelinesStages true, prefillChunkTokens none",
      ])
    #expect(
      TableRenderer.profileLines(try Self.parse(#"{"runtime": "vllm", "measuredOn": "box"}"#)) == [
        "profile   vllm from profiles/mine.json, measured on box",
        "          sets nothing (the vllm defaults)",
      ])
  }

  @Test func committedProfilesLoad() throws {
    let h200 = try ProfileFile.load(path: Self.fixturePath("profiles/h200-transformers.json"))
    #expect(h200.name == "transformers")
    #expect(
      h200.source?.fields == [.hostSecondsPerLayer, .hostSecondsPerHop, .hostSecondsPerDispatchedLayer])
    #expect(h200.source?.measuredOn?.hasPrefix("NVIDIA H200 host") == true)
    #expect(h200.hostSecondsPerLayer == 0.000600555)
    #expect(h200.hostSecondsPerStep == RuntimeProfile.transformers.hostSecondsPerStep)
    let h100 = try ProfileFile.load(path: Self.fixturePath("profiles/h100-transformers.json"))
    #expect(h100.source?.fields == [.hostSecondsPerLayer, .hostSecondsPerStep])
    #expect(h100.hostSecondsPerDispatchedLayer == RuntimeProfile.transformers.hostSecondsPerDispatchedLayer)
  }

  /// A measured spread in the file replaces the runtime's built-in one, end by end, and the plan's
  /// ranges use it (a 26.44 ms estimate with 0.9 to 1.1 is 23.80 to 29.08 ms, by hand).
  @Test func aMeasuredSpreadIsReadAndApplied() throws {
    let both = try Self.parse(Self.transformers(#""timeSpreadLow": 0.9, "timeSpreadHigh": 1.1"#))
    #expect(both.timeSpread == TimeSpread(low: 0.9, high: 1.1))
    #expect(both.source?.fields == [.timeSpreadLow, .timeSpreadHigh])
    let high = try Self.parse(#"{"runtime": "llama.cpp", "timeSpreadHigh": 2}"#)
    #expect(high.timeSpread == TimeSpread(low: TimeSpread.llamaCpp.low, high: 2))
    #expect(try Self.parse(#"{"runtime": "vllm"}"#).timeSpread == .vllm)

    var workload = Workload()
    workload.dtype = .fixed(.bf16)
    let model = try #require(ModelCatalog.entry(named: "qwen2-7b")).build()
    let gpus = try GPUList.parse("H100")
    let plan = try Planner.plan(PlanRequest(model: model, gpus: gpus, workload: workload, profile: both))
    let decode = plan.speed.ranges.decodeSecondsPerToken
    #expect(decode.value == plan.speed.decodeSecondsPerToken)
    #expect(abs(decode.low - 0.9 * decode.value) < 1e-15)
    #expect(abs(decode.high - 1.1 * decode.value) < 1e-15)
    let builtIn = try Planner.plan(PlanRequest(model: model, gpus: gpus, workload: workload))
    #expect(builtIn.speed.decodeSecondsPerToken == plan.speed.decodeSecondsPerToken)
    #expect(builtIn.speed.ranges.decodeSecondsPerToken.high > decode.high)
    let json = JSONExporter.render(plan)
    #expect(json.contains(#""timeSpreadHigh" : 1.1"#))
    #expect(json.contains(#""timeSpreadLow" : 0.9"#))
  }

  // MARK: - Errors

  @Test func fileLevelErrors() throws {
    #expect(
      throws: ProfileFile.Error(description: "--profile /no/such.json: cannot read the file (does it exist?)")
    ) {
      try ProfileFile.load(path: "/no/such.json")
    }
    #expect(Self.error("{") == "profiles/mine.json: not valid JSON")
    #expect(Self.error("[1]") == "profiles/mine.json: the profile is an array, not an object")
    #expect(Self.error(#""transformers""#) == "profiles/mine.json: the profile is a string, not an object")
    let huge = Self.transformers(#""notes": ""# + String(repeating: "x", count: 1 << 20) + #"""#)
    #expect(Self.error(huge) == "profiles/mine.json: larger than 1 MiB, not a runtime profile")
  }

  @Test func unknownFieldsNameTheClosestFirstAndListEveryValidOne() throws {
    let message = try #require(Self.error(Self.transformers(#""hostSecondPerLayer": 0.001"#)))
    #expect(
      message
        == "profiles/mine.json: field 'hostSecondPerLayer': unknown field; did you mean 'hostSecondsPerLayer'? "
        + "(valid fields, closest first: hostSecondsPerLayer, hostSecondsPerStep, hostSecondsPerHop, "
        + "hostSecondsPerEncoderLayer, hostSecondsPerMovedInput, hostSecondsPerDispatchedLayer, reservePerGPUBytes, "
        + "pipelinesStages, "
        + "measuredOn, notes, computeEfficiency, timeSpreadLow, runtime, memoryEfficiency, timeSpreadHigh, "
        + "prefillChunkTokens, "
        + "encoderComputeEfficiency, returnsLogitsToFirstGPU)")
    for key in ProfileFile.keys { #expect(message.contains(key)) }
    // The RuntimeProfile property that the file spells differently, and the first unknown key by name.
    #expect(
      Self.error(Self.transformers(#""reservePerGPU": 1"#))?.hasPrefix(
        "profiles/mine.json: field 'reservePerGPU': unknown field; did you mean 'reservePerGPUBytes'?")
        == true)
    #expect(
      Self.error(#"{"zzz": 1, "name": "transformers"}"#)?.hasPrefix(
        "profiles/mine.json: field 'name': unknown field; did you mean 'notes'?") == true)
  }

  @Test(arguments: [
    (
      #"{"hostSecondsPerLayer": 0.001}"#,
      "field 'runtime': missing (required: the base runtime, one of transformers, vllm, llama.cpp, roofline, sglang)"
    ),
    (#"{"runtime": 1}"#, "field 'runtime': must be a string, not a number"),
    (
      #"{"runtime": "tgi"}"#,
      "field 'runtime': unknown runtime 'tgi' (choose one of: transformers, vllm, llama.cpp, roofline, sglang)"
    ),
    (#"{"runtime": "transformers", "measuredOn": 3}"#, "field 'measuredOn': must be a string, not a number"),
    (
      #"{"runtime": "transformers", "measuredOn": "a\nb"}"#,
      "field 'measuredOn': must be one line of text (no line breaks or control characters)"
    ),
    (#"{"runtime": "transformers", "notes": 3}"#, "field 'notes': must be a string or an array of strings"),
    (
      #"{"runtime": "transformers", "notes": ["a", 1]}"#,
      "field 'notes': must be a string or an array of strings"
    ),
    (
      #"{"runtime": "transformers", "hostSecondsPerLayer": "0.6 ms"}"#,
      "field 'hostSecondsPerLayer': must be a number, not a string"
    ),
    (
      #"{"runtime": "transformers", "hostSecondsPerStep": null}"#,
      "field 'hostSecondsPerStep': must be a number, not null"
    ),
    (
      #"{"runtime": "transformers", "hostSecondsPerHop": -1e-6}"#,
      "field 'hostSecondsPerHop': must be zero or more seconds (got -1e-06)"
    ),
    (
      #"{"runtime": "transformers", "hostSecondsPerLayer": 630}"#,
      "field 'hostSecondsPerLayer': 630.0 s is more than a second: values are in seconds (0.00063 is 0.63 ms)"
    ),
    (
      #"{"runtime": "transformers", "memoryEfficiency": 0}"#,
      "field 'memoryEfficiency': must be in (0, 1], a fraction of the datasheet peak (got 0.0)"
    ),
    (
      #"{"runtime": "transformers", "computeEfficiency": 70}"#,
      "field 'computeEfficiency': must be in (0, 1], a fraction of the datasheet peak (got 70.0)"
    ),
    (
      #"{"runtime": "transformers", "encoderComputeEfficiency": -0.5}"#,
      "field 'encoderComputeEfficiency': must be in (0, 1], a fraction of the datasheet peak (got -0.5)"
    ),
    (
      #"{"runtime": "transformers", "reservePerGPUBytes": -1}"#,
      "field 'reservePerGPUBytes': must be zero or more (got -1.0)"
    ),
    (
      #"{"runtime": "transformers", "reservePerGPUBytes": 1.5}"#,
      "field 'reservePerGPUBytes': must be a whole number of bytes (got 1.5)"
    ),
    (
      #"{"runtime": "transformers", "reservePerGPUBytes": 1e13}"#,
      "field 'reservePerGPUBytes': 10000000000000.0 bytes is absurdly large (at most 1099511627776)"
    ),
    (
      #"{"runtime": "transformers", "timeSpreadLow": 1.2}"#,
      "field 'timeSpreadLow': must be in [0.1, 1]: the fastest measured time over the estimate (got 1.2)"
    ),
    (
      #"{"runtime": "transformers", "timeSpreadLow": 0}"#,
      "field 'timeSpreadLow': must be in [0.1, 1]: the fastest measured time over the estimate (got 0.0)"
    ),
    (
      #"{"runtime": "transformers", "timeSpreadHigh": 0.9}"#,
      "field 'timeSpreadHigh': must be in [1, 10.0]: the slowest measured time over the estimate (got 0.9)"
    ),
    (
      #"{"runtime": "vllm", "timeSpreadHigh": "1.2"}"#,
      "field 'timeSpreadHigh': must be a number, not a string"
    ),
    (
      #"{"runtime": "transformers", "pipelinesStages": 1}"#,
      "field 'pipelinesStages': must be true or false, not a number"
    ),
    (
      #"{"runtime": "transformers", "prefillChunkTokens": 0}"#,
      "field 'prefillChunkTokens': must be a whole number from 1 to 10000000, or null (got 0.0)"
    ),
    (
      #"{"runtime": "transformers", "prefillChunkTokens": 512.5}"#,
      "field 'prefillChunkTokens': must be a whole number from 1 to 10000000, or null (got 512.5)"
    ),
    (
      #"{"runtime": "transformers", "prefillChunkTokens": "512"}"#,
      "field 'prefillChunkTokens': must be a whole number of tokens or null (no chunking), not a string"
    ),
    (
      #"{"runtime": "transformers", "hostSecondsPerLayer": NaN}"#,
      "field 'hostSecondsPerLayer': must be a finite number (got NaN)"
    ),
    (
      #"{"runtime": "transformers", "hostSecondsPerStep": Infinity}"#,
      "field 'hostSecondsPerStep': must be a finite number (got Infinity)"
    ),
    (
      #"{"runtime": "transformers", "memoryEfficiency": -Infinity}"#,
      "field 'memoryEfficiency': must be a finite number (got -Infinity)"
    ),
    (
      #"{"runtime": "transformers", "hostSecondsPerHop": 1e999}"#,
      "field 'hostSecondsPerHop': must be a finite number (got 1e999)"
    ),
  ])
  func fieldErrors(text: String, reason: String) throws {
    #expect(Self.error(text) == "profiles/mine.json: " + reason)
  }

  @Test func measuredOnIsShort() throws {
    let long = String(repeating: "x", count: 201)
    #expect(
      Self.error(Self.transformers(#""measuredOn": "\#(long)""#))
        == "profiles/mine.json: field 'measuredOn': longer than 200 characters (put details in 'notes')")
  }

  // MARK: - CLI

  /// Runs the CLI (paths in `arguments` are absolute: tests run in parallel, in any directory).
  static func run(_ arguments: [String]) -> Outcome { Command.run(arguments) }

  @Test func optionsTakeTheProfilePath() throws {
    let options = try Options(parsing: ["--gpus", "H200", "--model", "qwen2-7b", "--profile", "p.json"])
    #expect(options.profile == "p.json")
    #expect(!options.runtimeGiven)
    #expect(
      try Options(parsing: ["--gpus", "H200", "--model", "qwen2-7b", "--runtime", "vllm"]).runtimeGiven)
  }

  @Test func cliPlansWithTheProfileAndSaysSo() throws {
    let path = Self.fixturePath("profiles/h200-transformers.json")
    let outcome = Self.run(["--gpus", "H200", "--model", "qwen2-7b", "--profile", path])
    #expect(outcome.exitCode == 0, "\(outcome.stderr)")
    #expect(outcome.stdout.contains("\nprofile   transformers from \(path), measured on NVIDIA H200 host"))
    #expect(outcome.stdout.contains("sets hostSecondsPerLayer 600.6 µs, hostSecondsPerHop 21.4 µs"))
    // The same runtime named twice is fine.
    let same = Self.run([
      "--gpus", "H200", "--model", "qwen2-7b", "--runtime", "transformers", "--profile", path,
    ])
    #expect(same == outcome)
    let json = Self.run(["--gpus", "H200", "--model", "qwen2-7b", "--profile", path, "--format", "json"])
    let document = try #require(JSONValue.parse(Data(json.stdout.utf8)))
    #expect(document["runtime"]?["name"] == .string("transformers"))
    let entry = try #require(document["runtime"]?["profile"])
    #expect(entry["file"] == .string(path))
    #expect(entry["overrides"]?["hostSecondsPerLayer"] == .number(0.000600555))
    #expect(entry["overrides"]?["hostSecondsPerStep"] == nil)
    let plain = Self.run(["--gpus", "H200", "--model", "qwen2-7b", "--format", "json"])
    #expect(JSONValue.parse(Data(plain.stdout.utf8))?["runtime"]?["profile"] == nil)
    let compare = Self.run(["--gpus", "2xH200", "--model", "qwen2-7b", "--profile", path, "--compare"])
    #expect(compare.stdout.contains("\nprofile   transformers from \(path)"))
  }

  @Test func cliRefusesAProfileForAnotherRuntime() throws {
    let path = Self.fixturePath("profiles/h200-transformers.json")
    let outcome = Self.run(["--gpus", "H200", "--model", "qwen2-7b", "--runtime", "vllm", "--profile", path])
    #expect(outcome.exitCode == Outcome.usageExitCode)
    #expect(
      outcome.stderr
        == "planner: error: --runtime vllm and --profile \(path) (runtime transformers) differ: drop --runtime, "
        + "or use a profile measured with vllm\n")
  }

  @Test func cliExitsOneOnAMalformedFile() throws {
    let path = Self.fixturePath("profiles/bad/typo.json")
    let outcome = Self.run(["--gpus", "H200", "--model", "qwen2-7b", "--profile", path])
    #expect(outcome.exitCode == 1)
    #expect(outcome.stdout.isEmpty)
    #expect(
      outcome.stderr.hasPrefix(
        "planner: error: \(path): field 'hostSecondPerLayer': unknown field; did you mean 'hostSecondsPerLayer'?"
      ))
    let missing = Self.run(["--gpus", "H200", "--model", "qwen2-7b", "--profile", "/no/such.json"])
    #expect(missing.exitCode == 1)
  }

  // MARK: - The committed profiles against the measurements

  static func json(_ relative: String) throws -> JSONValue {
    try #require(JSONValue.parse(try Fixtures.data(relative)))
  }

  static func profile(_ name: String) throws -> RuntimeProfile {
    try ProfileFile.load(path: fixturePath("profiles/\(name)"))
  }

  /// The measured geometry with `layers` decoder layers.
  static func model(layers: Int) -> ModelGraph {
    ModelCatalog.causalLM(
      name: "qwen2-7b-geometry", summary: "measured geometry",
      DecoderLLM(
        family: .qwen2, hiddenSize: 3584, layerCount: layers, headCount: 28, kvHeadCount: 4,
        intermediateSize: 18944, vocabularySize: 151666))
  }

  /// Decode seconds per token of the measured geometry, batch 1, 512-token prompt, on `gpus`,
  /// layers from `model.layers.<split>` on (and everything after them) on GPU 1; `rotary_emb` with
  /// them (accelerate's order), or on GPU 0 where `rotaryOnFirst`.
  static func decode(
    gpu: String, layers: Int = 28, split: Int? = nil, rotaryOnFirst: Bool = false, batch: Int = 1,
    runtime: RuntimeProfile
  ) throws -> Double {
    let model = Self.model(layers: layers)
    let card = try #require(GPUList.lookup(gpu))
    var workload = Workload()
    workload.batch = batch
    workload.contextTokens = 512 + 64
    workload.dtype = .fixed(.bf16)
    let memory = MemoryModel(
      model: model, workload: workload, weightDType: .bf16, computeDType: .bf16, runtime: runtime)
    let gpus = split == nil ? [card] : [card, card]
    let problem = PlacementProblem(model: model, gpus: gpus, memory: memory, userMaxMemory: nil)
    let first = split.flatMap { index in model.layers.firstIndex { $0.module == "model.layers.\(index)" } }
    let map = model.layers.enumerated().map { index, layer in
      let second = first.map { index >= $0 } ?? false
      return (
        module: layer.module, device: Device.gpu(second && !(rotaryOnFirst && layer.kind == .rotary) ? 1 : 0)
      )
    }
    return DeviceMapLayout(
      problem: problem, placement: Placement(deviceMap: map), strategy: .memory, dtypeNotes: []
    )
    .estimate.decodeSecondsPerToken
  }

  static func relativeError(_ predicted: Double, _ measured: Double) -> Double {
    (predicted - measured) / measured
  }

  /// The fit inverts the planner's cost model, so the planner given the profile reproduces the
  /// points the profile was fitted to (a drift between Scripts/calibrate.py's assumptions and the
  /// cost model fails here).
  @Test func profilesReproduceThePointsTheyWereFittedTo() throws {
    let h200 = try Self.profile("h200-transformers.json")
    let multi = try Self.json("measurements/calibration-h200x2.json")
    let oneGPU = try #require(multi["decodeOneGpu"]?["msPerTokenMedian"]?.number) / 1000
    let predicted = try Self.decode(gpu: "H200", runtime: h200)
    #expect(abs(Self.relativeError(predicted, oneGPU)) < 0.001, "H200 one GPU: \(predicted) vs \(oneGPU)")

    let h100 = try Self.profile("h100-transformers.json")
    let runs = try Self.json("measurements/decode-h100.json")
    guard case .array(let entries) = runs["runs"] else { throw CocoaError(.coderReadCorrupt) }
    for run in entries {
      let layers = Int(try #require(run["layers"]?.number))
      guard case .array(let medians) = run["decodeMsPerTokenMedians"] else {
        throw CocoaError(.coderReadCorrupt)
      }
      let sorted = medians.compactMap(\.number).sorted()
      let measured = sorted[sorted.count / 2] / 1000
      let predicted = try Self.decode(gpu: "H100-SXM", layers: layers, runtime: h100)
      #expect(
        abs(Self.relativeError(predicted, measured)) < 0.001,
        "H100 \(layers) layers: \(predicted) vs \(measured)")
    }
  }

  /// Held out: calibrate.py's own H100 run (decodeBatch1, decodeBatch8) was not in the H100 fit.
  @Test(arguments: ["decodeBatch1", "decodeBatch8"])
  func h100ProfileWithinFifteenPercentOnHeldOutRun(key: String) throws {
    let measurement = try #require(try Self.json("measurements/calibration-h100.json")[key])
    let measured = try #require(measurement["msPerTokenMedian"]?.number) / 1000
    let batch = Int(try #require(measurement["batch"]?.number))
    let predicted = try Self.decode(
      gpu: "H100-SXM", batch: batch, runtime: try Self.profile("h100-transformers.json"))
    #expect(abs(Self.relativeError(predicted, measured)) < 0.15, "\(key): \(predicted) vs \(measured)")
  }

  /// What the H200 profile fixes: the built-in constants (an H100 host's) predict the H200 host's
  /// one-GPU decode 49% too slow; the profile fits it.
  @Test func h200ProfileFixesTheOneGPUDecode() throws {
    let measured =
      try #require(
        try Self.json("measurements/calibration-h200x2.json")["decodeOneGpu"]?["msPerTokenMedian"]?.number)
      / 1000
    let before = try Self.decode(gpu: "H200", runtime: .transformers)
    let after = try Self.decode(gpu: "H200", runtime: try Self.profile("h200-transformers.json"))
    #expect(Self.relativeError(before, measured) > 0.4)
    #expect(abs(Self.relativeError(after, measured)) < 0.01)
  }

  /// Held out: the split over two H200s (14 + 14 layers, accelerate's map) was not in the H200 fit.
  /// With the inputs the hooks copy between the GPUs (44 tensors a step at the built-in 15.6 µs,
  /// measured by `--part split-sweep`, not fitted here) the planner predicts it 13.3% low: within
  /// the 15% target, still under. About 3.8 ms of that run's split stay unexplained; the sweep run
  /// (below) does not show them (Docs/Measurements.md).
  @Test func h200ProfileOnTheHeldOutSplit() throws {
    let measured =
      try #require(
        try Self.json("measurements/calibration-h200x2.json")["decodeSplit"]?["msPerTokenMedian"]?.number)
      / 1000
    let profile = try Self.profile("h200-transformers.json")
    #expect(profile.hostSecondsPerMovedInput == RuntimeProfile.transformers.hostSecondsPerMovedInput)
    let predicted = try Self.decode(gpu: "H200", split: 14, runtime: profile)
    let error = Self.relativeError(predicted, measured)
    #expect(predicted < measured)
    #expect(abs(error) < 0.15, "\(predicted) s vs \(measured) s, \(error)")
  }

  /// Held out: the six split maps of `--part split-sweep` (7 + 21, 14 + 14, 21 + 7 layers, rotary_emb
  /// on GPU 0 and on GPU 1), against the profile fitted to the same run's one-GPU decodes (without
  /// and with hooks) and its copy of a layer's inputs.
  @Test func h200SweepProfileOnTheHeldOutSplits() throws {
    let profile = try Self.profile("h200-sweep-transformers.json")
    guard case .array(let sweep) = try Self.json("measurements/split-sweep-h200x2.json")["decodeSweep"] else {
      throw CocoaError(.coderReadCorrupt)
    }
    var splits = 0
    for entry in sweep {
      let onFirst = Int(try #require(entry["layersOnGpu0"]?.number))
      guard onFirst < 28 else { continue }
      let measured = try #require(entry["msPerTokenMedian"]?.number) / 1000
      let rotaryOnFirst = try #require(entry["rotaryEmbGpu"]?.number) == 0
      let predicted = try Self.decode(
        gpu: "H200", split: onFirst, rotaryOnFirst: rotaryOnFirst, runtime: profile)
      let error = Self.relativeError(predicted, measured)
      #expect(abs(error) < 0.15, "\(entry["name"]!): \(predicted) s vs \(measured) s, \(error)")
      splits += 1
    }
    #expect(splits == 6)
  }

  /// The committed profiles are what Scripts/calibrate.py --fit-profile writes from the committed raw
  /// data (where python3 is on the PATH; the fit needs no torch).
  @Test(.enabled(if: ProfileFileTests.python3 != nil))
  func committedProfilesAreWhatTheScriptWrites() throws {
    for (name, raw) in [
      ("h100-transformers.json", ["fixtures/measurements/decode-h100.json"]),
      ("h200-transformers.json", ["fixtures/measurements/calibration-h200x2.json"]),
      ("h200-sweep-transformers.json", ["fixtures/measurements/split-sweep-h200x2.json"]),
    ] {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: try #require(Self.python3))
      process.arguments = ["Scripts/calibrate.py", "--fit-profile"] + raw
      process.currentDirectoryURL = Fixtures.root
      let out = Pipe()
      process.standardOutput = out
      try process.run()
      let written = out.fileHandleForReading.readDataToEndOfFile()
      process.waitUntilExit()
      #expect(process.terminationStatus == 0)
      #expect(written == (try Fixtures.data("profiles/\(name)")), "\(name) differs from the script's output")
    }
  }

  static let python3: String? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    return path.split(separator: ":").map { "\($0)/python3" }.first {
      FileManager.default.isExecutableFile(atPath: $0)
    }
  }()
}
