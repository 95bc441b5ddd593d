import Planner
import Testing

@testable import PlannerCLI

/// The option table is the one source of the parser, `--help` and the "did you mean" hint.
@Suite struct OptionTableTests {
  static let required = ["--gpus", "2xP4", "--model", "qwen2-7b"]

  /// A value each valued option accepts, other than its default.
  static let sampleValues: [String: String] = [
    "--gpus": "T4", "--model": "mistral-7b", "--strategy": "memory", "--runtime": "llama.cpp",
    "--profile": "host.json", "--mmproj": "mmproj.gguf", "--link": "nvlink", "--dtype": "fp16",
    "--context": "8192", "--batch": "4",
    "--images": "2", "--slices": "5", "--video-seconds": "30", "--fps": "1", "--video-resolution": "1280x720",
    "--videos": "2", "--audio-seconds": "30", "--attention": "flash", "--kv-dtype": "fp8",
    "--max-memory": "0:7GiB", "--host-memory": "ddr5-4800x8", "--gpu-spec": "mine.json",
    "--format": "device-map",
    "--max-model-len": "4096", "--max-num-seqs": "32", "--max-num-batched-tokens": "8192",
    "--gpu-memory-utilization": "0.95", "--mem-fraction-static": "0.85", "--tensor-parallel": "2",
    "--pipeline-parallel": "2", "--nodes": "2",
    "--vllm-version": "0.6", "--kv-cache-memory-bytes": "1000000000", "--limit-mm-per-prompt": "2",
    "--from-log": "llama.log", "--data-parallel-size": "2", "--gpus-per-node": "4",
  ]

  /// Every spelling of every option, with its option.
  static let spellings: [(spelling: String, spec: String)] = OptionSpec.all.flatMap { spec in
    spec.spellings.map { ($0, spec.name) }
  }

  static func spec(_ name: String) throws -> OptionSpec { try #require(OptionSpec.named(name)) }

  /// The arguments an option is tried with: the required ones, and `--runtime vllm` for vLLM's
  /// (`--runtime sglang` for SGLang's).
  static func base(_ name: String) throws -> [String] {
    if name == "--free-memory" { return required + ["--gpus", "local"] }
    if name == "--mem-fraction-static" { return required + ["--runtime", "sglang"] }
    return try spec(name).group == .vllm ? required + ["--runtime", "vllm"] : required
  }

  /// The base arguments and option `name` spelt `spelling`, with a sample value.
  static func arguments(_ name: String, spelling: String, equalsForm: Bool = false) throws -> [String] {
    let base = try base(name)
    guard try spec(name).kind != .flag else { return base + [spelling] }
    let value = try #require(sampleValues[name], "no sample value for \(name)")
    return base + (equalsForm ? ["\(spelling)=\(value)"] : [spelling, value])
  }

  @Test func spellingsAreUnique() {
    let all = Self.spellings.map(\.spelling)
    #expect(Set(all).count == all.count, "\(all)")
  }

  @Test func everyOptionIsDescribed() {
    for spec in OptionSpec.all {
      #expect(!spec.help.isEmpty, "\(spec.name)")
      #expect((spec.placeholder == nil) == (spec.kind == .flag), "\(spec.name)")
    }
  }

  /// `--help` prints every spelling the parser accepts, on the option's own line.
  @Test(arguments: spellings.map(\.spelling))
  func helpListsEverySpelling(_ spelling: String) throws {
    let spec = try #require(OptionSpec.named(spelling))
    let line = try #require(
      HelpText.text.split(separator: "\n").first { $0.hasPrefix("  " + spec.label) },
      "no help line for \(spec.label)")
    let words = line.split(whereSeparator: { $0 == " " || $0 == "," })
    #expect(words.contains(Substring(spelling)), "\(line)")
  }

  @Test func helpListsTheAliasesTheParserAccepts() {
    for alias in ["-m", "-tp", "-pp", "--tensor-parallel-size", "--pipeline-parallel-size", "-h"] {
      let help = Command.run(["--help"]).stdout
      #expect(help.contains(" \(alias),") || help.contains(" \(alias) N\n"), "\(alias)")
    }
    #expect(HelpText.text.contains("(see Docs/GPUSpecs.md); repeatable"))
  }

  /// Each spelling of an option parses to what its name does, in both the space and `=` forms.
  @Test(arguments: spellings.map(\.spelling))
  func everySpellingParses(_ spelling: String) throws {
    let name = try #require(OptionSpec.named(spelling)).name
    var expected = try Options(parsing: Self.arguments(name, spelling: name))
    var actual = try Options(parsing: Self.arguments(name, spelling: spelling))
    #expect(actual.servingOptions == expected.servingOptions.map { _ in spelling })
    (expected.servingOptions, actual.servingOptions) = ([], [])
    #expect(actual == expected)
    #expect(actual != (try Options(parsing: Self.base(name))), "\(spelling) changed nothing")
    if spelling.hasPrefix("--") && OptionSpec.named(spelling)?.kind != .flag {
      var equals = try Options(parsing: Self.arguments(name, spelling: spelling, equalsForm: true))
      equals.servingOptions = []
      #expect(equals == actual)
    }
  }

  /// A flag given a value after `=` is a usage error naming the flag.
  @Test(
    arguments: OptionSpec.all.filter { $0.kind == .flag }.flatMap(\.spellings).filter { $0.hasPrefix("--") })
  func flagWithAValueIsAUsageError(_ flag: String) throws {
    let error = try #require(OptionsTests.usageError(try Self.base(flag) + ["\(flag)=false"]))
    #expect(error.description.hasPrefix("'\(flag)' takes no value"), "\(error)")
  }

  @Test func repeatableOptionKeepsEveryValue() throws {
    #expect(try Self.spec("--gpu-spec").kind == .repeatable)
    let options = try Options(parsing: Self.required + ["--gpu-spec", "a.json", "--gpu-spec=b.json"])
    #expect(options.gpuSpecs == ["a.json", "b.json"])
  }

  /// The values the hint offers as `--format json` are values the option accepts.
  @Test func choicesParse() throws {
    for spec in OptionSpec.all {
      for choice in spec.choices {
        _ = try Options(parsing: Self.required + [spec.name, choice])
      }
    }
  }

  @Test(arguments: [
    ("--tensor-paralel", "--tensor-parallel"),
    ("--tensor-parallel-sise", "--tensor-parallel-size"),
    ("--modle", "--model"),
    ("--gpu", "--gpus"),
    ("--contxt", "--context"),
    ("--Max-Memory", "--max-memory"),
    ("--tp", "-tp"),
    ("--json", "--format json"),
    ("--device-map", "--format device-map"),
    ("--fp16", "--dtype fp16"),
    ("--balanced", "--strategy balanced"),
  ])
  func misspeltOptionGetsTheClosest(_ unknown: String, _ suggestion: String) {
    #expect(OptionSpec.suggestion(for: unknown) == suggestion)
  }

  @Test(arguments: ["--bogus", "-x", "--foo", "--x"])
  func nothingCloseGetsNoHint(_ unknown: String) {
    #expect(OptionSpec.suggestion(for: unknown) == nil)
  }
}
