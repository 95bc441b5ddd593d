import Planner
import Testing

@testable import PlannerCLI

/// Seeded random command lines, valid and invalid, through the whole CLI in-process: none traps,
/// each ends in 0, 1 or 64, and a failure prints exactly one line on stderr (a success prints
/// nothing there). The seed is in every message, so a failure replays exactly.
@Suite struct OptionLinePropertyTests {
  /// Values each option draws from: mostly valid ones, then the hostile kinds (empty, negative,
  /// out of range, control characters, very long, unknown names).
  static let hostile = [
    "", "-1", "0", "1e3", "abc", "1\n2\n3", "\u{1b}[31mred", "\t", String(repeating: "9", count: 5000),
    "é\u{2028}x",
  ]
  static let values: [String: [String]] = [
    "--gpus": ["2xP4", "1xT4", "2xA100-80G", "4xH100", "P4,T4", "3xL4", "0xP4", "2xNOPE", "2x", "x"],
    "--model": [
      "qwen2-7b", "llama-3-8b", "mistral-7b", "minicpm-v-2.6", "nope", "openbmb/Nope", "/nonexistent",
    ],
    "--strategy": [
      "auto", "latency", "throughput", "memory", "sequential", "balanced", "balanced_low_0", "bogus",
    ],
    "--format": ["table", "json", "device-map", "llama-cpp", "vllm", "yaml"],
    "--dtype": ["auto", "bf16", "fp16", "fp8", "int8", "int4", "fp4"],
    "--kv-dtype": ["bf16", "fp8", "int3"],
    "--context": ["1", "4096", "32768", "10000000", "10000001"],
    "--batch": ["1", "8", "65536", "65537"],
    "--images": ["0", "1", "4", "257"],
    "--slices": ["1", "10", "99"],
    "--attention": ["eager", "sdpa", "flash", "slow"],
    "--runtime": ["transformers", "vllm", "llama.cpp", "roofline", "tgi"],
    "--max-memory": ["0:7GiB", "0:7GiB,cpu:64GiB", "1:10GB", "9:1GiB", "0:", "gpu:1"],
    "--host-memory": ["ddr5-4800x2", "ddr4-3200x8", "120GB/s", "ddr6-9000x2", "fast", "0GB/s"],
    "--link": ["nvlink", "pcie", "host", "network", "0-1:nvlink", "0-0:pcie", "5-6:pcie", "wifi"],
    "--max-num-seqs": ["1", "256", "0"],
    "--max-model-len": ["2048", "0"],
    "--gpu-memory-utilization": ["0.9", "0.5", "1.5", "0"],
    "--tensor-parallel": ["1", "2", "3"],
    "--pipeline-parallel": ["1", "2"],
    "--nodes": ["1", "2"],
    "--profile": ["/nonexistent.json"],
    "--gpu-spec": ["/nonexistent.json"],
  ]
  static let flags = ["--compare", "--enforce-eager", "--bogus", "-x", "--"]

  /// A command line: usually the two required options, then a few others, some values hostile.
  static func commandLine(_ random: inout SplitMix64) -> [String] {
    var arguments: [String] = []
    let options = values.keys.sorted()
    for required in ["--gpus", "--model"] where Int.random(in: 0..<10, using: &random) > 0 {
      arguments += [required, values[required]!.randomElement(using: &random)!]
    }
    for _ in 0..<Int.random(in: 0...4, using: &random) {
      switch Int.random(in: 0..<10, using: &random) {
      case 0: arguments.append(flags.randomElement(using: &random)!)
      case 1:
        arguments += [options.randomElement(using: &random)!, hostile.randomElement(using: &random)!]
      case 2: arguments.append(hostile.randomElement(using: &random)!)
      default:
        let option = options.randomElement(using: &random)!
        arguments += [option, values[option]!.randomElement(using: &random)!]
      }
    }
    return arguments.shuffledPairs(using: &random)
  }

  @Test(arguments: [UInt64(0x11), 0x5EED, 0xC0FFEE])
  func randomCommandLinesEndCleanly(seed: UInt64) {
    var random = SplitMix64(seed: seed)
    var codes: [Int32: Int] = [:]
    for line in 0..<200 {
      let arguments = Self.commandLine(&random)
      let outcome = Command.run(arguments)
      let context = "seed \(seed) line \(line): \(arguments) -> \(outcome.exitCode): \(outcome.stderr)"
      codes[outcome.exitCode, default: 0] += 1
      #expect([0, 1, 64].contains(outcome.exitCode), "\(context)")
      if outcome.exitCode == 0 {
        #expect(outcome.stderr.isEmpty, "\(context)")
      } else {
        #expect(outcome.stderr.hasPrefix("planner: "), "\(context)")
        #expect(outcome.stderr.hasSuffix("\n"), "\(context)")
        #expect(outcome.stderr.filter(\.isNewline).count == 1, "\(context)")
        #expect(outcome.stderr.count <= EchoedValue.maximumLineLength + 1, "\(context)")
      }
    }
    // The generator reaches all three endings, so the property is not vacuous.
    #expect(codes.keys.sorted() == [0, 1, 64], "seed \(seed): exit codes \(codes)")
  }
}

extension Array where Element == String {
  /// The line with its option-value pairs in a random order (the values stay after their option).
  fileprivate func shuffledPairs(using random: inout SplitMix64) -> [String] {
    var groups: [[String]] = []
    for argument in self {
      if argument.hasPrefix("-") || groups.isEmpty || groups[groups.count - 1].count == 2 {
        groups.append([argument])
      } else {
        groups[groups.count - 1].append(argument)
      }
    }
    return groups.shuffled(using: &random).flatMap { $0 }
  }
}
