import Foundation

/// What a runtime's own log says it measured, for correcting the planner's profile with a real run
/// (`planner calibrate --from-log FILE`, ``Calibration``):
///
/// - llama.cpp's timing lines (`llama_perf_context_print` of llama-cli / llama-bench style runs,
///   and llama-server's per-request `prompt eval time` and `eval time` lines). Every such line
///   counts: the totals are summed (milliseconds and tokens), so a server log of many requests
///   gives the mean over all of them.
///
///       prompt eval time =     412.66 ms /   512 tokens (    0.81 ms per token,  1240.73 tokens per second)
///              eval time =    3964.33 ms /   255 runs   (   15.55 ms per token,    64.32 tokens per second)
///
/// - vLLM's startup and statistics lines (``VLLM``): the weights, the available KV cache and its
///   tokens, the CUDA graphs, and the periodic "Avg generation throughput" lines.
public struct RuntimeLog: Sendable, Hashable {
  /// A log that says nothing the planner can use, or a line it cannot read.
  public struct Error: Swift.Error, Equatable, CustomStringConvertible {
    public var description: String
  }

  /// Decode: milliseconds and tokens over every `eval time` line.
  public var decodeMilliseconds: Double = 0
  public var decodeTokens: Int = 0
  /// Prompt processing: milliseconds and tokens over every `prompt eval time` line.
  public var promptMilliseconds: Double = 0
  public var promptTokens: Int = 0
  /// The `eval time` lines read (requests, for a server log).
  public var decodeLines = 0
  /// What a vLLM log printed; `nil` for a llama.cpp log.
  public var vllm: VLLM?

  /// Seconds per generated token, where the log timed any.
  public var decodeSecondsPerToken: Double? {
    decodeTokens > 0 ? decodeMilliseconds / 1000 / Double(decodeTokens) : nil
  }

  /// Largest log read, and most lines: a log is text a person saved, not a dump.
  static let maximumBytes = 64 << 20

  /// Reads a llama.cpp or a vLLM log (a vLLM log is one with an "Available KV cache memory" or
  /// an "Avg generation throughput" line).
  ///
  /// - Throws: ``Error`` naming the file and, for a malformed timing or memory line, its number.
  public static func parse(_ data: Data, file: String) throws(Error) -> RuntimeLog {
    guard data.count <= maximumBytes else {
      throw Error(description: "\(file): larger than \(maximumBytes >> 20) MiB, not a runtime log")
    }
    var log = RuntimeLog()
    let text = String(decoding: data, as: UTF8.self)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    if lines.contains(where: {
      $0.contains("Available KV cache memory:") || $0.contains("Avg generation throughput:")
    }) {
      log.vllm = try VLLM.parse(lines, file: file)
      return log
    }
    for (number, line) in lines.enumerated() {
      guard let range = line.range(of: "eval time =") else { continue }
      let isPrompt = line[..<range.lowerBound].hasSuffix("prompt ")
      // "    412.66 ms /   512 tokens (" or "3964.33 ms /   255 runs   ("
      let rest = line[range.upperBound...]
      let fields = rest.split(whereSeparator: { $0 == " " || $0 == "/" || $0 == "(" })
      guard fields.count >= 4, fields[1] == "ms", let milliseconds = Double(fields[0]),
        milliseconds.isFinite, milliseconds >= 0, let tokens = Int(fields[2]), tokens >= 0,
        tokens <= 1 << 40
      else {
        throw Error(
          description:
            "\(file):\(number + 1): an eval time line llama.cpp did not write: \(EchoedValue(String(line)))")
      }
      if isPrompt {
        log.promptMilliseconds += milliseconds
        log.promptTokens += tokens
      } else {
        log.decodeMilliseconds += milliseconds
        log.decodeTokens += tokens
        log.decodeLines += 1
      }
    }
    guard log.decodeTokens > 0 else {
      throw Error(
        description:
          "\(file): no llama.cpp 'eval time = ... ms / N runs' line with tokens (run llama-cli, llama-server or "
          + "llama-bench and save what it prints) and no vLLM 'Available KV cache memory' line (save what vllm "
          + "serve prints from its start)")
    }
    return log
  }
}
