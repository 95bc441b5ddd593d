import Foundation
import Planner
import Testing

/// The library as a launcher sees it: `import Planner` without `@testable`, so only the public
/// API compiles here. The README's Swift example is pasted below verbatim, and a test keeps the two
/// equal.
@Suite struct ReadmeExampleTests {
  @Test func readmeExample() throws {
    // README example begins
    let model = ModelCatalog.entry(named: "minicpm-v-2.6")!.build()
    let gpus = try GPUList.parse("2xP4")
    let plan = try Planner.plan(PlanRequest(model: model, gpus: gpus))
    print(plan.fits, plan.weightDType, plan.speed.decodeSecondsPerToken)
    let a6000 = try GPUList.parse("A6000")
    let v0 = ServingConfig(version: .v0)  // vLLM 0.6; the default is 0.33 (V1)
    let vllm = try Planner.plan(PlanRequest(model: model, gpus: a6000, runtime: .vllm(v0)))
    print(vllm.fits, vllm.verdict, vllm.remedies.first?.summary ?? "")
    // README example ends
    #expect(plan.fits && plan.weightDType == .int4)
    #expect(plan.layout.deviceMap?.devices.count == 2)
    #expect(!vllm.fits && !vllm.remedies.isEmpty && vllm.layout.engine != nil)
  }

  /// The example above is the README's, line for line.
  @Test func readmeShowsThisExample() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    let source = try String(contentsOfFile: #filePath, encoding: .utf8)
    let trimmed = { (text: Substring) in text.trimmingCharacters(in: .whitespaces) }
    let example = source.components(separatedBy: "// README example begins\n")[1]
      .components(separatedBy: "// README example ends")[0].split(separator: "\n").map(trimmed)
    let block = try #require(readme.components(separatedBy: "```swift\n").dropFirst().first)
      .components(separatedBy: "```")[0].split(separator: "\n").map(trimmed)
    #expect(block.filter { $0 != "import Planner" && !$0.isEmpty } == example.filter { !$0.isEmpty })
  }

  /// A launcher can tell the runtimes' settings apart by type: accelerate's modes are for device
  /// maps only, and every plan has one header.
  @Test func oneRequestTypeForEveryRuntime() throws {
    let model = ModelCatalog.entry(named: "qwen2-7b")!.build()
    let gpus = try GPUList.parse("2xT4")
    let kinds: [Runtime] = [.transformers(accelerate: .balanced), .llamaCpp(), .roofline(), .vllm()]
    for runtime in kinds {
      let plan = try Planner.plan(
        PlanRequest(model: model, gpus: gpus, runtime: runtime, objective: .latency))
      #expect(plan.runtime == runtime)
      #expect(plan.speed.decodeSecondsPerToken > 0)
      // Every time has its range, public; the roofline's are bounds.
      let decode = plan.speed.ranges.decodeSecondsPerToken
      #expect(
        decode.low <= plan.speed.decodeSecondsPerToken && plan.speed.decodeSecondsPerToken <= decode.high)
      #expect(decode.isBound == (runtime.kind == .roofline))
      #expect(plan.profile.timeSpread == TimeSpread.builtIn(runtime: runtime.name))
      #expect((plan.layout.engine != nil) == runtime.kind.isEngine)
    }
    #expect(Runtime(.vllm, accelerate: .balanced) == nil)
  }
}

/// What a launcher holds: plans compare by value, and encode as the JSON contract.
@Suite struct PlanValueTests {
  @Test func plansAreValuesThatEncodeAsTheContract() throws {
    let model = ModelCatalog.entry(named: "minicpm-v-2.6")!.build()
    let request = PlanRequest(model: model, gpus: try GPUList.parse("1xT4,1xP4"))
    let plan = try Planner.plan(request)
    #expect(plan == (try Planner.plan(request)))
    var other = request
    other.objective = .memory
    #expect(plan != (try Planner.plan(other)))
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    #expect(String(decoding: try encoder.encode(plan), as: UTF8.self) + "\n" == JSONExporter.render(plan))
    let document = try JSONSerialization.jsonObject(with: try encoder.encode(plan)) as? [String: Any]
    #expect(document?["schemaVersion"] as? Int == JSONExporter.schemaVersion)
  }
}
