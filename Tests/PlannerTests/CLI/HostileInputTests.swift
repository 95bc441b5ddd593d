import Foundation
import Testing

@testable import Planner
@testable import PlannerCLI

/// Issue 11's reproducers, each through the whole CLI in-process: hostile input never traps,
/// ends in exit 1 or 64, and says why on exactly one line of stderr. (Their timings are in
/// Scripts/bench_hostile.sh, against a release build.)
@Suite struct HostileInputTests {
  /// The CLI's outcome, checked to be a refusal: exit 1 or 64, one line on stderr.
  @discardableResult
  func refused(_ arguments: [String], code: Int32? = nil, mentions: String) -> Outcome {
    let outcome = Command.run(arguments)
    #expect([1, 64].contains(outcome.exitCode), "\(outcome.stderr)")
    if let code { #expect(outcome.exitCode == code, "\(outcome.stderr)") }
    #expect(outcome.stderr.hasSuffix("\n"))
    #expect(outcome.stderr.filter(\.isNewline).count == 1, "\(outcome.stderr)")
    #expect(outcome.stderr.contains(mentions), "\(outcome.stderr)")
    return outcome
  }

  static let gpus = ["--gpus", "2xA100-80G"]

  /// A config.json as JSON text from a dictionary (keys sorted, so the text is deterministic).
  func json(_ object: [String: Any]) throws -> String {
    String(
      decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
  }

  func llama(_ extra: [String: Any] = [:]) -> [String: Any] {
    var config: [String: Any] = [
      "model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
      "num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 256, "torch_dtype": "bfloat16",
    ]
    config.merge(extra) { _, new in new }
    return config
  }

  // MARK: - Traps

  /// 1. A zero dimension after dimensions whose product passes Int64: safetensors refuses the
  /// shape (its checked product fails first), and the planner's element count saturates
  /// rather than trapping wherever such a shape reaches it.
  @Test func zeroDimensionAfterAnOverflowingProduct() throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    let header =
      #"{"w.weight": {"dtype": "F32", "shape": [4294967296, 4294967296, 0], "data_offsets": [0, 0]}}"#
    try writeSafetensors(headerJSON: header, dataLength: 0, to: scratch.file("model.safetensors"))
    refused(Self.gpus + ["--model", scratch.path], code: 1, mentions: "more elements than Int64 can count")
    let tensor = Tensor.parameter("w", 4_294_967_296, 4_294_967_296, 0)
    #expect(tensor.elementCount == 0)
    #expect(Tensor.parameter("w", 4_294_967_296, 4_294_967_296, 2).elementCount == .max)
  }

  /// 2. 4096 KV heads of 4096 dimensions at a 10M context and batch 65536: the KV cache saturates,
  /// and weights plus it must too.
  @Test func weightsPlusASaturatedKVCache() throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    try scratch.write(
      try json(
        llama([
          "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 4096,
          "num_key_value_heads": 4096,
          "head_dim": 4096, "intermediate_size": 14336, "vocab_size": 32000,
        ])), to: "config.json")
    refused(
      Self.gpus + ["--model", scratch.path, "--context", "10000000", "--batch", "65536"], code: 1,
      mentions: "does not fit")
  }

  /// 3. vLLM's budget less weights larger than the GPU less a saturated vision peak.
  @Test func vllmBudgetAfterASaturatedVisionPeak() throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    try scratch.write(
      try json(
        llama([
          "model_type": "minicpmv", "hidden_size": 8192, "num_hidden_layers": 80, "num_attention_heads": 64,
          "num_key_value_heads": 8, "intermediate_size": 28672, "vocab_size": 152064, "version": 2.6,
          "query_num": 4,
          "slice_config": ["max_slice_nums": 9, "patch_size": 1, "scale_resolution": 16384],
          "vision_config": [
            "hidden_size": 8, "image_size": 16384, "intermediate_size": 16, "num_attention_heads": 2,
            "num_hidden_layers": 1, "patch_size": 1,
          ],
        ])), to: "config.json")
    refused(
      Self.gpus + ["--model", scratch.path, "--runtime", "vllm"], code: 1, mentions: "vLLM would not start")
    let large = ByteCount(-5) - ByteCount(.max) - ByteCount(.max)
    #expect(large.value == .min)
  }

  /// 4. A time too large for the digits of a 64-bit integer prints, and the inputs that made
  /// one (a GPU of 1e-15 GB/s, an efficiency of 1e-300) are refused as absurd.
  @Test func veryLargeTimes() throws {
    #expect(
      DurationFormatting.seconds(1.2345e22) == "1.234e+22 s"
        || DurationFormatting.seconds(1.2345e22) == "1.235e+22 s")
    #expect(DurationFormatting.seconds(1e300).hasSuffix("e+300 s"))
    #expect(DurationFormatting.rate(1e300).hasSuffix("e+300"))
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    try scratch.write(
      #"{"name": "slowpoke", "memoryMiB": 81920, "bandwidthGBps": 1e-15, "fp32TFLOPS": 19.5, "#
        + #""fp16TFLOPS": 312, "computeCapability": "8.0"}"#, to: "gpu.json")
    refused(
      ["--gpus", "2xslowpoke", "--gpu-spec", scratch.file("gpu.json").path, "--model", "qwen2-7b"], code: 1,
      mentions: "'bandwidthGBps': 1e-15 is absurdly small")
    try scratch.write(#"{"runtime": "transformers", "memoryEfficiency": 1e-300}"#, to: "profile.json")
    refused(
      Self.gpus + ["--model", "qwen2-7b", "--profile", scratch.file("profile.json").path], code: 1,
      mentions: "'memoryEfficiency': 1e-300 is absurdly small")
  }

  // MARK: - Blow-ups: bounded before use

  /// 128 layers × 1024 experts (a 690-byte config) is refused before the module tree is built.
  @Test(arguments: [false, true])
  func expertsBeyondTheBound(compare: Bool) throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    try scratch.write(
      try json(
        llama([
          "model_type": "qwen2_moe", "num_hidden_layers": 128, "num_experts": 1024, "num_experts_per_tok": 8,
          "moe_intermediate_size": 64, "shared_expert_intermediate_size": 128, "decoder_sparse_step": 1,
          "mlp_only_layers": [Int](),
        ])), to: "config.json")
    refused(
      Self.gpus + ["--model", scratch.path] + (compare ? ["--compare"] : []), code: 1,
      mentions: "exceed \(ConfigImporter.maximumExpertModules) expert modules")
  }

  /// A header of more tensors than any checkpoint, and one whose `__metadata__` holds ten million
  /// numbers, are refused while parsing.
  @Test func headersBeyondTheBounds() throws {
    let tooMany = (0...SafetensorsHeader.maximumTensors).map {
      "\"t\($0)\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,0]}"
    }
    let values = "{" + tooMany.joined(separator: ",") + "}"
    #expect(throws: ImportError.self) {
      try SafetensorsHeader.parse(json: Data(values.utf8), dataLength: 0, file: "m.safetensors")
    }
    let numbers = Array(repeating: "0", count: SafetensorsHeader.maximumHeaderValues).joined(separator: ",")
    let metadata = #"{"__metadata__": {"x": ["# + numbers + "]}}"
    do {
      _ = try SafetensorsHeader.parse(json: Data(metadata.utf8), dataLength: 0, file: "m.safetensors")
      Issue.record("a header of \(SafetensorsHeader.maximumHeaderValues) numbers was accepted")
    } catch {
      #expect(error.kind == .tooLarge)
      #expect(error.description.contains("JSON values"))
    }
  }

  /// A GPU spec whose name is a megabyte long, and 1024 of that GPU, is refused at the name.
  @Test func longGPUSpecName() throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    let name = String(repeating: "a", count: 1_000_000)
    try scratch.write(
      #"{"name": ""# + name + #"", "memoryMiB": 81920, "bandwidthGBps": 2000, "fp32TFLOPS": 19.5, "#
        + #""fp16TFLOPS": 312, "computeCapability": "8.0"}"#, to: "gpu.json")
    let outcome = refused(
      ["--gpus", "1024xa", "--gpu-spec", scratch.file("gpu.json").path, "--model", "qwen2-7b"], code: 1,
      mentions: "more than the \(GPUSpecFile.maximumNameLength) accepted")
    #expect(outcome.stderr.count < 400)
  }

  /// Extra top-level tensors join the chain as layers in one near-linear pass, in the order the
  /// quadratic insertion gave: each after the last layer sharing the most leading components.
  @Test func newLayersGoAfterTheirLongestSharedPrefix() throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    let config = try json(llama())
    let configured = try importConfig(config, name: scratch.url.lastPathComponent)
    var tensors = storedTensors(of: configured)
    tensors += [
      StoredTensor("model.extra.weight", "BF16", [4]), StoredTensor("lonely.weight", "BF16", [4]),
      StoredTensor("model.layers.0.adapter.weight", "BF16", [4]),
      StoredTensor("model.other.weight", "BF16", [4]),
    ]
    try scratch.write(config, to: "config.json")
    try writeCheckpoint(tensors, in: scratch)
    let imported = try CheckpointImporter.load(directory: scratch.path)
    let modules = imported.layers.map(\.module)
    // The same rule, quadratically: the reference for the near-linear one.
    var expected = configured.layers.map(\.module)
    for unit in ["model.extra", "lonely", "model.other"] {
      let parts = unit.split(separator: ".")
      var best = (shared: 0, index: expected.count - 1)
      for (index, module) in expected.enumerated() {
        let shared = zip(parts, module.split(separator: ".")).prefix { $0 == $1 }.count
        if shared > 0 && shared >= best.shared { best = (shared, index) }
      }
      expected.insert(unit, at: best.shared > 0 ? best.index + 1 : expected.count)
    }
    #expect(modules == expected)
  }

  // MARK: - Messages

  @Test func compareThatFitsNowhereSaysSo() {
    let outcome = refused(
      ["--gpus", "1xP4", "--model", "qwen2.5-72b", "--compare"], code: 1,
      mentions: "does not fit with any strategy")
    #expect(!outcome.stdout.isEmpty)
  }

  @Test func valuesWithNewlinesAreEscaped() {
    refused(
      Self.gpus + ["--model", "qwen2-7b", "--batch", "1\n2\n3\n4"], code: 64, mentions: "'1\\n2\\n3\\n4'")
  }

  @Test func longValuesAreCut() {
    let outcome = refused(
      Self.gpus + ["--model", "qwen2-7b", "--batch", String(repeating: "9", count: 131_000)], code: 64,
      mentions: "--batch")
    #expect(outcome.stderr.count <= EchoedValue.maximumLineLength + 2)
  }

  @Test func echoedValueEscapesAndCuts() {
    #expect(EchoedValue("a\nb\tc\r\u{1b}[31m\u{2028}").description == "a\\nb\\tc\\r\\u{1b}[31m\\u{2028}")
    #expect(
      EchoedValue(String(repeating: "x", count: 81)).description == String(repeating: "x", count: 80) + "…")
    #expect(EchoedValue(String(repeating: "x", count: 80)).description == String(repeating: "x", count: 80))
    #expect(EchoedValue.line("one\ntwo") == "one\\ntwo")
  }

  @Test func emptySafetensorsIsNamed() throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    try Data().write(to: scratch.file("model.safetensors"))
    refused(
      Self.gpus + ["--model", scratch.path], code: 1, mentions: "model.safetensors: is empty (0 bytes)")
  }

  @Test func symlinkLoopIsNamed() throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    try FileManager.default.createSymbolicLink(
      atPath: scratch.file("model.safetensors").path, withDestinationPath: "model.safetensors")
    refused(
      Self.gpus + ["--model", scratch.path], code: 1, mentions: "model.safetensors: is a symbolic link loop")
    try FileManager.default.createSymbolicLink(
      atPath: scratch.file("config.json").path, withDestinationPath: "config.json")
    refused(Self.gpus + ["--model", scratch.path], code: 1, mentions: "config.json: is a symbolic link loop")
  }

  /// Python's json (and so transformers) keeps the last of duplicated keys.
  @Test func duplicatedKeysTakeTheLastValue() throws {
    let text = try json(llama())
    let duplicated = String(text.dropLast()) + #", "num_hidden_layers": 5}"#
    let graph = try importConfig(duplicated)
    #expect(graph.layers.filter { $0.kind == .decoder }.count == 5)
    #expect(JSONValue.parse(Data(#"{"a": 1, "a": {"b": 2}, "a": 3}"#.utf8)) == .object(["a": .number(3)]))
  }
}
