import Foundation
import Testing

@testable import PlannerCLI

/// `--gpus local` through the built `planner`, with a fake `nvidia-smi` first on `PATH` that
/// replays recorded outputs (fixtures/nvidia-smi).
@Suite struct LocalMachineTests {
  func run(_ arguments: [String], box: String?) throws -> (stdout: String, stderr: String, exitCode: Int32) {
    let process = Process()
    process.executableURL = GoldenTests.productsDirectory.appendingPathComponent("planner")
    process.arguments = arguments
    process.currentDirectoryURL = Fixtures.root
    var environment = ProcessInfo.processInfo.environment
    // The fake first on PATH (the replay script needs cat); without a box, no nvidia-smi at all.
    environment["PATH"] =
      box.map { Fixtures.root.appendingPathComponent("fixtures/nvidia-smi/\($0)").path + ":/usr/bin:/bin" }
      ?? "/nonexistent"
    process.environment = environment
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

  /// A 4090 beside a 3090 over PHB: both matched to the catalog, host-staged (the 4090 has no P2P).
  @Test func aMixedConsumerBox() throws {
    let result = try run(
      ["--gpus", "local", "--model", "qwen2-7b", "--context", "32k", "--batch", "2"],
      box: "consumer-4090-3090")
    #expect(result.exitCode == 0, "\(result.stderr)")
    #expect(
      result.stdout.contains("gpus      1 x RTX4090 (sm_89") && result.stdout.contains("1 x RTX3090 (sm_86"))
    #expect(result.stdout.contains("over PCIe 4.0 via host"), "\(result.stdout)")
  }

  /// `--free-memory` takes the 1377 MiB in use on the 4090 off its usable memory, and says so.
  @Test func freeMemoryOnTheConsumerBox() throws {
    let all = try run(
      ["--gpus", "local", "--model", "qwen2-7b", "--format", "json"], box: "consumer-4090-3090")
    let free = try run(
      ["--gpus", "local", "--model", "qwen2-7b", "--format", "json", "--free-memory"],
      box: "consumer-4090-3090")
    #expect(all.exitCode == 0 && free.exitCode == 0)
    #expect(all.stdout != free.stdout)
    #expect(free.stderr.contains("1377 MiB in use"), "\(free.stderr)")
    #expect(free.stderr.filter { $0 == "\n" }.count == 1)
  }

  /// Eight H100 SXM on NVSwitch (NV18): a 70B model split over NVLink.
  @Test func anEightGPUNVLinkServer() throws {
    let result = try run(["--gpus", "local", "--model", "llama-3-70b"], box: "dgx-8xh100")
    #expect(result.exitCode == 0, "\(result.stderr)")
    #expect(result.stdout.contains("8 x H100-SXM (sm_90"))
    #expect(result.stdout.contains("over NVLink 4"), "\(result.stdout)")
  }

  /// The recorded H200: one GPU, no hop, no note.
  @Test func aRecordedSingleH200() throws {
    let result = try run(["--gpus", "local", "--model", "qwen2-7b"], box: "h200-single")
    #expect(result.exitCode == 0, "\(result.stderr)")
    #expect(result.stdout.contains("1 x H200 (sm_90"))
    #expect(result.stderr.isEmpty)
  }

  @Test func anUnknownCardIsPlannedWithANote() throws {
    let result = try run(["--gpus", "local", "--model", "qwen2-7b", "--dtype", "int8"], box: "unknown-card")
    #expect(result.stdout.contains("NVIDIA RTX A4000"))
    #expect(result.stderr.contains("not in the catalog"), "\(result.stderr)")
  }

  /// No driver: nvidia-smi exits 9 with its message; no nvidia-smi at all. One line, exit 1.
  @Test(arguments: ["no-driver", nil] as [String?])
  func withoutADriverTheErrorSaysSo(box: String?) throws {
    let result = try run(["--gpus", "local", "--model", "qwen2-7b"], box: box)
    #expect(result.exitCode == 1)
    #expect(result.stdout.isEmpty)
    #expect(result.stderr.hasPrefix("planner: error: --gpus local: nvidia-smi"), "\(result.stderr)")
    #expect(
      result.stderr.contains(box == nil ? "not on PATH" : "couldn't communicate with the NVIDIA driver"))
    #expect(result.stderr.contains("--gpus 2x"))
    #expect(result.stderr.filter { $0 == "\n" }.count == 1)
  }

  @Test func freeMemoryNeedsLocal() throws {
    let result = try run(["--gpus", "2xP4", "--model", "qwen2-7b", "--free-memory"], box: nil)
    #expect(result.exitCode == 64)
    #expect(result.stderr.contains("--free-memory") && result.stderr.contains("--gpus local"))
  }
}
