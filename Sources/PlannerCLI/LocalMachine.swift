import Foundation
import Planner

/// Runs `nvidia-smi` for `--gpus local` (the library parses what it prints: ``NvidiaSMI``,
/// ``LocalGPUs``).
enum LocalMachine {
  /// The `--gpus` value that asks for this machine's GPUs.
  static let keyword = "local"

  /// Longest output read from one `nvidia-smi` call: a 64-GPU matrix is under 64 KiB.
  static let maximumOutput = 1 << 20

  /// The GPUs and links of this machine. Without `nvidia-smi`, or when it fails, one line saying
  /// so and how to name the GPUs instead (exit 1). A topology that cannot be read leaves the links
  /// to the planner's inference, with a note.
  static func gpus(catalog: [GPU], freeMemory: Bool) -> Result<LocalGPUs, Outcome> {
    let query: String
    switch run(NvidiaSMI.query) {
    case .success(let text): query = text
    case .failure(let outcome): return .failure(outcome)
    }
    let rows: [NvidiaSMI.Row]
    do {
      rows = try NvidiaSMI.parseQuery(query)
    } catch {
      return .failure(Outcome.failure("--gpus local: \(error.description)"))
    }
    var notes: [String] = []
    var connections: [Topology.Pair: NvidiaSMI.Connection] = [:]
    if rows.count > 1 {
      switch run(NvidiaSMI.topology) {
      case .success(let text):
        do {
          connections = try NvidiaSMI.parseTopology(text, gpuCount: rows.count)
        } catch {
          notes.append("links inferred from the cards: \(error.description)")
        }
      case .failure(let outcome):
        notes.append(
          "links inferred from the cards: nvidia-smi topo -m failed (\(outcome.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))"
        )
      }
    }
    var local = LocalGPUs(rows: rows, connections: connections, catalog: catalog, freeMemory: freeMemory)
    local.notes += notes
    return .success(local)
  }

  /// `nvidia-smi ARGUMENTS`'s standard output, found on `PATH`.
  static func run(_ arguments: [String]) -> Result<String, Outcome> {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    let found = path.split(separator: ":").map { "\($0)/nvidia-smi" }.first {
      FileManager.default.isExecutableFile(atPath: $0)
    }
    guard let executable = found else {
      return .failure(
        Outcome.failure(
          "--gpus local: nvidia-smi is not on PATH (no NVIDIA driver on this machine?); name the GPUs instead, "
            + "for example --gpus 2xRTX4090 (planner gpus lists them)"))
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    do {
      try process.run()
    } catch {
      return .failure(
        Outcome.failure("--gpus local: cannot run \(executable): \(error.localizedDescription)"))
    }
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      let said =
        String(decoding: (stderr.isEmpty ? stdout : stderr).prefix(400), as: UTF8.self)
        .split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
      let command = (["nvidia-smi"] + arguments.prefix(1).map { String($0.prefix { $0 != "=" }) }).joined(
        separator: " ")
      return .failure(
        Outcome.failure(
          "--gpus local: \(command) failed (exit \(process.terminationStatus)): \(said.prefix(200))"
            + "; name the GPUs instead, for example --gpus 2xRTX4090"))
    }
    guard stdout.count <= maximumOutput else {
      return .failure(Outcome.failure("--gpus local: nvidia-smi printed more than 1 MiB"))
    }
    return .success(String(decoding: stdout, as: UTF8.self))
  }
}
