import Foundation

/// What vLLM's own log says: its startup accounting and its periodic statistics.
extension RuntimeLog {
  /// The lines of a `vllm serve` (or `LLM(...)`) log the planner reads, V1 and V0 spellings:
  ///
  ///     Model loading took 14.99 GiB memory and 9.803794 seconds
  ///     Available KV cache memory: 58.11 GiB
  ///     GPU KV cache size: 476,016 tokens
  ///     Maximum concurrency for 16,384 tokens per request: 29.05x
  ///     Estimated CUDA graph memory: 0.84 GiB total
  ///     Graph capturing finished in 3 secs, took 0.91 GiB
  ///     Engine 000: Avg prompt throughput: 0.0 tokens/s, Avg generation throughput: 213.0 tokens/s,
  ///       Running: 1 reqs, Waiting: 0 reqs, GPU KV cache usage: 0.3%, ...
  ///
  /// With tensor or pipeline parallelism every rank prints its own lines: the weights are the
  /// largest rank's, the available KV cache the smallest (the one that sets the blocks).
  public struct VLLM: Sendable, Hashable {
    /// "Model loading took X GiB" (V1), "Loading model weights took X GB" (V0).
    public var weightsGiB: Double?
    /// "Available KV cache memory: X GiB", the smallest over the ranks; `nil` where the log has
    /// only statistics lines.
    public var availableKVGiB: Double?
    /// "GPU KV cache size: N tokens".
    public var kvTokens: Int64?
    /// "Maximum concurrency for L tokens per request: Kx": L and K.
    public var maxModelLen: Int?
    public var maxConcurrency: Double?
    /// "Estimated CUDA graph memory: X GiB total" (0.18 and later), and what the capture took
    /// ("Graph capturing finished in S secs, took X GiB").
    public var cudaGraphEstimateGiB: Double?
    public var cudaGraphGiB: Double?
    /// `gpu_memory_utilization` where the log prints it ("non-default args: {...
    /// 'gpu_memory_utilization': 0.95", "Requested memory: 0.950000 (util)", "Desired GPU memory
    /// utilization is (0.9, ...").
    public var utilization: Double?
    /// "vLLM API server version X" or "Initializing a V1 LLM engine (vX)".
    public var version: String?
    /// The statistics lines: tokens per second of prompt and generation over the interval, the
    /// requests running and the KV cache in use at its end.
    public var stats: [Stats] = []

    /// One "Avg prompt throughput" line.
    public struct Stats: Sendable, Hashable {
      public var promptTokensPerSecond: Double
      public var generationTokensPerSecond: Double
      public var running: Int
      /// Percent of the KV cache in use.
      public var kvUsagePercent: Double?
    }

    /// The statistics line of steady decoding the planner fits to: no prompt processed in the
    /// interval, requests running and tokens generated; of those, the one with the most requests
    /// running (the latest of equals).
    public var steadyDecode: Stats? {
      stats.filter { $0.promptTokensPerSecond == 0 && $0.running > 0 && $0.generationTokensPerSecond > 0 }
        .reduce(nil) { best, line in (best.map { line.running >= $0.running } ?? true) ? line : best }
    }

    /// The number after `marker` on `line` (thousands separators allowed), if the line has the
    /// marker.
    static func number(after marker: String, in line: Substring) -> Double?? {
      guard let range = line.range(of: marker) else { return .none }
      let rest = line[range.upperBound...].drop { $0 == " " || $0 == "(" }
      let digits = rest.prefix { $0.isNumber || $0 == "." || $0 == "," || $0 == "-" }
      guard let value = Double(digits.filter { $0 != "," }), value.isFinite else { return .some(nil) }
      return .some(value)
    }

    /// Reads the vLLM lines of `lines`.
    ///
    /// - Throws: ``RuntimeLog/Error`` for a memory line without its number, or a negative size.
    static func parse(_ lines: [Substring], file: String) throws(RuntimeLog.Error) -> VLLM {
      var log = VLLM()
      var available: [Double] = []
      for (number, line) in lines.enumerated() {
        func read(_ marker: String, allowNegative: Bool = false) throws(RuntimeLog.Error) -> Double? {
          guard let found = Self.number(after: marker, in: line) else { return nil }
          guard let value = found, allowNegative || value >= 0, abs(value) < 1e9 else {
            throw RuntimeLog.Error(
              description:
                "\(file):\(number + 1): a '\(marker)' line vLLM did not write: \(EchoedValue(String(line)))")
          }
          return value
        }
        for marker in ["Model loading took", "Loading model weights took"] {
          if let gib = try read(marker) { log.weightsGiB = max(log.weightsGiB ?? 0, gib) }
        }
        // Negative where vLLM refuses to start ("No available memory for the cache blocks").
        if let gib = try read("Available KV cache memory:", allowNegative: true) { available.append(gib) }
        if let tokens = try read("GPU KV cache size:") {
          let value = Int64(tokens)
          log.kvTokens = min(log.kvTokens ?? value, value)
        }
        if let length = try read("Maximum concurrency for") {
          log.maxModelLen = Int(length)
          log.maxConcurrency = try read("tokens per request:")
        }
        if let gib = try read("Estimated CUDA graph memory:") { log.cudaGraphEstimateGiB = gib }
        if line.contains("Graph capturing finished"), let gib = try read(", took") { log.cudaGraphGiB = gib }
        for marker in ["'gpu_memory_utilization':", "Requested memory:", "Desired GPU memory utilization is"]
        {
          if let x = try read(marker), x > 0 && x <= 1 { log.utilization = x }
        }
        if log.version == nil, let range = line.range(of: "vLLM API server version ") {
          log.version = String(line[range.upperBound...].prefix { !$0.isWhitespace })
        } else if log.version == nil, let range = line.range(of: "LLM engine (v") {
          log.version = String(line[range.upperBound...].prefix { $0 != ")" })
        }
        if let prompt = try read("Avg prompt throughput:"),
          let generation = try read("Avg generation throughput:"),
          let running = try read("Running:")
        {
          log.stats.append(
            Stats(
              promptTokensPerSecond: prompt, generationTokensPerSecond: generation, running: Int(running),
              kvUsagePercent: try read("GPU KV cache usage:")))
        }
      }
      log.availableKVGiB = available.min()
      guard log.availableKVGiB != nil || log.steadyDecode != nil else {
        throw RuntimeLog.Error(
          description:
            "\(file): a vLLM log with neither an 'Available KV cache memory' line nor a statistics line of steady "
            + "decoding (prompt throughput 0.0, requests running): save what vllm serve prints from its start, and "
            + "while it generates")
      }
      return log
    }
  }
}
