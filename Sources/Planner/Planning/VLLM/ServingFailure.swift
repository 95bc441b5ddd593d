/// An error vLLM would raise while starting, predicted: when it happens and what it says.
public struct ServingFailure: Sendable, Hashable, Codable {
  /// When vLLM meets the error (stable names in JSON; ``description`` for people).
  public enum Phase: String, Sendable, Hashable, Codable, CustomStringConvertible {
    case configuration, loading, profiling, kvCache, cudaGraphs

    public var description: String {
      switch self {
      case .configuration: "checking the configuration"
      case .loading: "loading the weights"
      case .profiling: "the profiling run"
      case .kvCache: "allocating the KV cache"
      case .cudaGraphs: "capturing CUDA graphs"
      }
    }
  }

  public internal(set) var phase: Phase
  /// The GPU it happens on (the first, where several do).
  public internal(set) var gpu: Int?
  /// vLLM's message, with the planner's numbers.
  public internal(set) var message: String
}
