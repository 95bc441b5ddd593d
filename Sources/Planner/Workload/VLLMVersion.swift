/// The vLLM engine whose startup the planner models.
///
/// - ``v1``: vLLM 0.33 (the V1 engine, the default since 0.8 and the only one since 0.10):
///   chunked prefill, a profile run of `max_num_batched_tokens` spread over the requests with
///   attention skipped, multimodal dummy items from the encoder cache budget, CUDA graphs captured
///   and budgeted before the KV cache, utilization 0.92 by default
///   (../shared/reference/engines-2026.md, read from vLLM 0.33.0's source).
/// - ``v0``: vLLM 0.5/0.6 (the V0 engine): one full prefill per sequence, each with its dummy
///   image, attention included, CUDA graphs captured after the KV cache and not budgeted,
///   utilization 0.9 (anchor-runtimes.md §C). The seed's MiniCPM-V 2.6 out-of-memory on a 48 GB
///   card happened there.
public enum VLLMVersion: String, Sendable, Hashable, Codable, CaseIterable {
  case v0 = "0.6"
  case v1 = "0.33"

  /// `0.33 (V1)`, `0.6 (V0)`.
  public var label: String { self == .v1 ? "0.33 (V1)" : "0.6 (V0)" }

  /// Parses `0.33`, `v1`, `0.6`, `0.5`, `v0` (any 0.5.x/0.6.x is V0; 0.7 and later are V1).
  public init?(parsing text: String) {
    let lowered = text.lowercased()
    switch lowered {
    case "v1", "1": self = .v1
    case "v0", "0": self = .v0
    default:
      let parts = lowered.split(separator: ".")
      guard parts.count >= 2, parts[0] == "0", let minor = Int(parts[1]) else { return nil }
      if minor == 5 || minor == 6 {
        self = .v0
      } else if minor >= 7 {
        self = .v1
      } else {
        return nil
      }
    }
  }
}
