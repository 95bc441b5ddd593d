import Foundation
import Testing

@testable import PlannerCLI

/// Every JSON document the CLI prints follows `Docs/plan.schema.json` (schema version 1).
@Suite struct JSONContractTests {
  static var validator: JSONSchemaValidator {
    let url = Fixtures.root.appendingPathComponent("Docs/plan.schema.json")
    return try! JSONSchemaValidator(schema: try! Data(contentsOf: url))
  }

  /// The goldens that print JSON (`--format json`), and commands that print the other kinds.
  static let documents: [(name: String, arguments: [String])] = {
    let goldens =
      (try? FileManager.default.contentsOfDirectory(atPath: GoldenTests.Case.directory.path)) ?? []
    var cases: [(String, [String])] = goldens.sorted().compactMap { file in
      guard let golden = try? GoldenTests.Case.load(GoldenTests.Case.directory.appendingPathComponent(file)),
        golden.arguments.joined(separator: " ").contains("--format json")
      else { return nil }
      return (golden.name, golden.arguments)
    }
    cases += [
      (
        "compare t4+p4", ["--gpus", "1xT4,1xP4", "--model", "minicpm-v-2.6", "--compare", "--format", "json"]
      ),
      (
        "vllm that does not start",
        ["--gpus", "A6000", "--model", "minicpm-v-2.6", "--runtime", "vllm", "--format", "json"]
      ),
      ("does not fit", ["--gpus", "T4", "--model", "llama-3-70b", "--format", "json"]),
      ("llama.cpp", ["--gpus", "2xP4", "--model", "qwen2-7b", "--runtime", "llama.cpp", "--format", "json"]),
      (
        "video and audio",
        [
          "--gpus", "H200", "--model", "qwen2.5-omni-7b", "--video-seconds", "30", "--audio-seconds", "30",
          "--audio-output", "--format", "json",
        ]
      ),
    ]
    return cases
  }()

  @Test func theGoldensIncludeJSON() {
    #expect(Self.documents.count >= 7)
  }

  @Test(arguments: documents.map(\.name))
  func validatesAgainstTheSchema(name: String) throws {
    let arguments = try #require(Self.documents.first { $0.name == name }).arguments
    let outcome = Command.run(arguments)
    let document = try JSONSchemaValidator.parse(outcome.stdout)
    #expect(Self.validator.errors(of: document) == [], "\(arguments.joined(separator: " "))")
    #expect((document as? [String: Any])?["schemaVersion"] as? Int == 1)
  }

  /// The validator is not vacuous: a document missing a key, with a key the schema does not know,
  /// with a wrong type or an unknown layout kind is refused.
  @Test func brokenDocumentsAreRefused() throws {
    let text = Command.run(["--gpus", "2xP4", "--model", "minicpm-v-2.6", "--format", "json"]).stdout
    let valid = try #require(try JSONSchemaValidator.parse(text) as? [String: Any])
    #expect(Self.validator.errors(of: valid) == [])
    var missing = valid
    missing["fits"] = nil
    #expect(Self.validator.errors(of: missing).contains { $0.contains("required key fits") })
    var extra = valid
    extra["surprise"] = 1
    #expect(Self.validator.errors(of: extra).contains { $0.contains("surprise") })
    var wrongType = valid
    wrongType["fits"] = "yes"
    #expect(!Self.validator.errors(of: wrongType).isEmpty)
    var layout = try #require(valid["layout"] as? [String: Any])
    layout["kind"] = "cluster"
    var unknownLayout = valid
    unknownLayout["layout"] = layout
    #expect(!Self.validator.errors(of: unknownLayout).isEmpty)
    var version = valid
    version["schemaVersion"] = 2
    #expect(!Self.validator.errors(of: version).isEmpty)
    var estimate = try #require(valid["estimate"] as? [String: Any])
    estimate["decodeSecondsPerTokenRange"] = ["low": 0.05]
    var halfRange = valid
    halfRange["estimate"] = estimate
    #expect(Self.validator.errors(of: halfRange).contains { $0.contains("required key high") })
  }

  /// Every time and rate in `estimate` (and in an engine's alternatives) has its `…Range` sibling,
  /// `low <= value <= high`; the keys launchers read are unchanged.
  @Test(arguments: documents.map(\.name))
  func everyEstimateHasItsRange(name: String) throws {
    let arguments = try #require(Self.documents.first { $0.name == name }).arguments
    let document = try #require(
      try JSONSchemaValidator.parse(Command.run(arguments).stdout) as? [String: Any])
    // The catalogs (`planner gpus`, `planner models`) have no estimate.
    guard ["plan", "compare"].contains(document["kind"] as? String) else { return }
    let plans = (document["plans"] as? [[String: Any]]) ?? [document]
    var checked = 0
    for plan in plans {
      var entries = [try #require(plan["estimate"] as? [String: Any])]
      entries += ((plan["layout"] as? [String: Any])?["alternatives"] as? [[String: Any]]) ?? []
      for entry in entries {
        for key in [
          "decodeSecondsPerToken", "tokensPerSecond", "prefillSeconds", "imageSeconds",
          "throughputTokensPerSecond",
        ] {
          guard let value = (entry[key] as? NSNumber)?.doubleValue else { continue }
          let range = try #require(entry[key + "Range"] as? [String: Any], "\(name): \(key)Range")
          let low = try #require((range["low"] as? NSNumber)?.doubleValue)
          let high = try #require((range["high"] as? NSNumber)?.doubleValue)
          #expect(low <= value && value <= high, "\(name): \(key) \(value) outside \(low)...\(high)")
          checked += 1
        }
      }
    }
    #expect(checked >= 4)
  }
}
