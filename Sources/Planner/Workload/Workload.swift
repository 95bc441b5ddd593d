/// What the model will be asked to do: how many sequences, how long, with how many images, in
/// which dtype and with which attention kernel.
///
///     var workload = Workload()
///     workload.contextTokens = 8192
///     workload.dtype = .fixed(.fp16)
public struct Workload: Sendable, Hashable, Codable {
  /// Attention implementation. Eager attention materialises the `heads × tokens²` score matrix
  /// (in the activation dtype and again in fp32 for the softmax); sdpa and flash-attention do not.
  public enum Attention: String, Sendable, Hashable, Codable, CaseIterable {
    case eager, sdpa, flash
  }

  /// The weight dtype: the planner's choice (`auto`) or the user's.
  public enum DTypeChoice: Sendable, Hashable, Codable {
    case auto
    case fixed(DType)
  }

  /// Sequences in flight at once.
  public var batch: Int = 1
  /// Tokens per sequence (prompt and output); sizes the KV cache, and the prompt is taken to fill
  /// it for the prefill activation peak (the worst case).
  public var contextTokens: Int = 4096
  /// Images per request for models with a vision tower.
  public var images: Int = 1
  /// Slices per image (overview included); `nil` means the model's maximum.
  public var slicesPerImage: Int?
  public var attention: Attention = .sdpa
  public var dtype: DTypeChoice = .auto
  /// The KV cache dtype; `nil` means the compute dtype.
  public var kvDType: DType?

  public init(
    batch: Int = 1, contextTokens: Int = 4096, images: Int = 1, slicesPerImage: Int? = nil,
    attention: Attention = .sdpa, dtype: DTypeChoice = .auto, kvDType: DType? = nil
  ) {
    self.batch = batch
    self.contextTokens = contextTokens
    self.images = images
    self.slicesPerImage = slicesPerImage
    self.attention = attention
    self.dtype = dtype
    self.kvDType = kvDType
  }
}
