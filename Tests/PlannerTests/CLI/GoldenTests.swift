import Foundation
import Testing

/// Runs every case in fixtures/golden/ through the built `planner` executable and compares stdout,
/// stderr and the exit status byte for byte.
///
/// A case file is:
///
///     args: --gpus 2xP4 --model minicpm-v-2.6
///     exit: 0
///     --- stdout
///     ...
///     --- stderr
///     ...
///
/// `PLANNER_RECORD=1 swift test` rewrites every case from the current build and then fails on
/// purpose, so that a re-record is always reviewed in the diff. To add a case, write a file with
/// only its `args:` line and record.
@Suite struct GoldenTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var name: String
    var arguments: [String]
    var exitCode: Int32
    var stdout: String
    var stderr: String

    var testDescription: String { name }

    static let directory = Fixtures.root.appendingPathComponent("fixtures/golden")

    static func load(_ url: URL) throws -> Case {
      let text = try String(contentsOf: url, encoding: .utf8)
      var lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...]
      guard let argsLine = lines.popFirst(), argsLine.hasPrefix("args:") else {
        throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: url.path])
      }
      let arguments = argsLine.dropFirst("args:".count).split(separator: " ").map(String.init)
      var exitCode: Int32 = 0
      if let line = lines.first, line.hasPrefix("exit:") {
        exitCode = Int32(line.dropFirst("exit:".count).trimmingCharacters(in: .whitespaces)) ?? -1
        lines = lines.dropFirst()
      }
      let body = lines.joined(separator: "\n")
      let stdoutMarker = "--- stdout\n"
      let stderrMarker = "--- stderr\n"
      var stdout = ""
      var stderr = ""
      if let out = body.range(of: stdoutMarker), let err = body.range(of: stderrMarker, options: .backwards) {
        stdout = String(body[out.upperBound..<err.lowerBound])
        stderr = String(body[err.upperBound...])
      }
      return Case(
        name: url.deletingPathExtension().lastPathComponent, arguments: arguments, exitCode: exitCode,
        stdout: stdout, stderr: stderr)
    }

    var fileText: String {
      "args: \(arguments.joined(separator: " "))\nexit: \(exitCode)\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
    }
  }

  static let cases: [Case] = {
    let urls =
      (try? FileManager.default.contentsOfDirectory(at: Case.directory, includingPropertiesForKeys: nil))
      ?? []
    return urls.filter { $0.pathExtension == "txt" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
      .compactMap { try? Case.load($0) }
  }()

  /// The directory of the built products (the test runner sits beside the `planner` executable).
  static var productsDirectory: URL {
    let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = runner.deletingLastPathComponent()
    // On macOS the runner is inside a bundle: .../debug/X.xctest/Contents/MacOS/X.
    while directory.path.contains(".xctest") { directory.deleteLastPathComponent() }
    return directory
  }

  static func run(_ arguments: [String]) throws -> (stdout: String, stderr: String, exitCode: Int32) {
    let process = Process()
    process.executableURL = productsDirectory.appendingPathComponent("planner")
    process.arguments = arguments
    process.currentDirectoryURL = Fixtures.root
    // Hub ids resolve in the test cache, whatever the machine's own cache holds.
    process.environment = ProcessInfo.processInfo.environment.merging(["HF_HUB_CACHE": "fixtures/hf-cache"]) {
      $1
    }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (
      String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self),
      process.terminationStatus
    )
  }

  @Test func thereAreEnoughCases() {
    #expect(Self.cases.count >= 20)
  }

  @Test(arguments: cases)
  func matchesGolden(_ golden: Case) throws {
    let actual = try Self.run(golden.arguments)
    if ProcessInfo.processInfo.environment["PLANNER_RECORD"] == "1" {
      var recorded = golden
      (recorded.stdout, recorded.stderr, recorded.exitCode) = (actual.stdout, actual.stderr, actual.exitCode)
      try recorded.fileText.write(
        to: Case.directory.appendingPathComponent(golden.name + ".txt"), atomically: true, encoding: .utf8)
      Issue.record(
        "re-recorded \(golden.name); review the diff (git diff fixtures/golden) and run again without PLANNER_RECORD"
      )
      return
    }
    #expect(actual.exitCode == golden.exitCode, "exit status")
    #expect(actual.stdout == golden.stdout, "stdout: \(Self.firstDifference(golden.stdout, actual.stdout))")
    #expect(actual.stderr == golden.stderr, "stderr: \(Self.firstDifference(golden.stderr, actual.stderr))")
  }

  /// Every sample in the README and in Docs/ that shows a command (a code block starting
  /// `$ planner ARGS`) is the output of the golden case with those arguments, stdout then stderr:
  /// the documentation cannot drift from what the planner prints.
  @Test func readmeSamplesAreGoldenOutputs() throws {
    let docs = try FileManager.default.contentsOfDirectory(
      at: Fixtures.root.appendingPathComponent("Docs"), includingPropertiesForKeys: nil
    ).filter { $0.pathExtension == "md" }
    var count = 0
    for page in [Fixtures.root.appendingPathComponent("README.md")] + docs {
      let text = try String(contentsOf: page, encoding: .utf8)
      let blocks = text.components(separatedBy: "```\n$ planner ").dropFirst()
      count += blocks.count
      for block in blocks {
        let arguments = String(block.prefix { $0 != "\n" })
        let body = String(block.dropFirst(arguments.count + 1).prefix { _ in true })
        let sample = String(body[..<(body.range(of: "```")?.lowerBound ?? body.endIndex)])
        let golden = try #require(
          Self.cases.first { $0.arguments.joined(separator: " ") == arguments },
          "no golden case for: \(arguments) (\(page.lastPathComponent))")
        #expect(
          sample == golden.stdout + golden.stderr || sample == golden.stdout,
          "\(page.lastPathComponent) sample for \(arguments): \(Self.firstDifference(golden.stdout + golden.stderr, sample))"
        )
      }
    }
    #expect(count >= 4)
  }

  /// `"line 12:\n- expected\n+ actual"` for the first line that differs.
  static func firstDifference(_ expected: String, _ actual: String) -> String {
    let a = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let b = actual.split(separator: "\n", omittingEmptySubsequences: false)
    for index in 0..<max(a.count, b.count) {
      let x = index < a.count ? String(a[index]) : "<end>"
      let y = index < b.count ? String(b[index]) : "<end>"
      if x != y { return "line \(index + 1):\n- \(x)\n+ \(y)" }
    }
    return "same"
  }
}
