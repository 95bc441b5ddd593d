/// The settings of an SGLang server (`python -m sglang.launch_server`) the planner takes; `nil`
/// leaves SGLang's own default (computed from the GPU's memory where SGLang computes it).
public struct SGLangConfig: Sendable, Hashable {
  /// `--tp`: GPUs per tensor-parallel group; `nil`: the smallest group whose KV cache holds one
  /// request of the context length.
  public var tensorParallel: Int?
  /// `--dp`: data-parallel replicas; `nil`: as many as the GPUs hold.
  public var dataParallel: Int?
  /// `--mem-fraction-static`: weights plus KV cache pool as a fraction of the GPU's memory.
  public var memFractionStatic: Double?
  /// `--context-length`: `nil` takes the model's `max_position_embeddings`.
  public var contextLength: Int?
  /// `--chunked-prefill-size`.
  public var chunkedPrefillSize: Int?

  public init(
    tensorParallel: Int? = nil, dataParallel: Int? = nil, memFractionStatic: Double? = nil,
    contextLength: Int? = nil, chunkedPrefillSize: Int? = nil
  ) {
    self.tensorParallel = tensorParallel
    self.dataParallel = dataParallel
    self.memFractionStatic = memFractionStatic
    self.contextLength = contextLength
    self.chunkedPrefillSize = chunkedPrefillSize
  }
}
