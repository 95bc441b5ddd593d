/// What a serving runtime (vLLM, llama.cpp) needs to know about a model beyond its layers.
public struct ServingFacts: Sendable, Hashable, Codable {
  /// The Hugging Face repository id (`openbmb/MiniCPM-V-2_6`) or the local directory the model
  /// was read from: what `vllm serve` is given.
  public var repository: String?
  /// `max_position_embeddings` of the text model: vLLM's default `max_model_len`.
  public var maxPositions: Int64?
  /// Whether loading needs the checkpoint's own Python code (`auto_map` in config.json:
  /// `--trust-remote-code`).
  public var remoteCode = false
  /// The GGUF file the model was read from (the first shard of a split file), for llama.cpp's
  /// `-m`; `nil` for other models.
  public var ggufModel: String?
  /// The mmproj GGUF read with it, for `--mmproj`.
  public var ggufMMProj: String?

  public init(repository: String? = nil, maxPositions: Int64? = nil, remoteCode: Bool = false) {
    self.repository = repository
    self.maxPositions = maxPositions
    self.remoteCode = remoteCode
  }
}
