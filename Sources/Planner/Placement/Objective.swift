/// What the planner's own placement minimises. Separate from accelerate's parity modes
/// (``AccelerateMode``), which reproduce accelerate instead of planning, so that a runtime
/// without accelerate cannot be asked for one.
public enum Objective: String, Sendable, Hashable, CaseIterable, Codable {
  /// `latency` for one sequence (or a runtime that does not pipeline stages), `throughput` for
  /// several sequences on one that does; on the fewest GPUs that do not make it slower. For an
  /// engine: the layout with the most tokens per second.
  case auto
  /// The fastest single stream (decode time per token).
  case latency
  /// The slowest stage as fast as possible (pipelined tokens per second).
  case throughput
  /// Every GPU's share of its own capacity balanced (for an engine: the most KV cache).
  case memory
}
