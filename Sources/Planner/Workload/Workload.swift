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
  /// Seconds of video per request (nil: none); a video replaces the request's images.
  public var videoSeconds: Double?
  /// Frames sampled per second of video; `nil` means the model's processor default.
  public var videoFPS: Double?
  /// Frame size before the processor's resize; `nil` means the processor's largest frame.
  public var videoResolution: VideoResolution?
  /// Videos per request.
  public var videos: Int?
  /// Seconds of audio input per request (nil: none).
  public var audioSeconds: Double?
  /// Speech output (the talker and token2wav loaded and run); off by default.
  public var audioOutput: Bool?

  /// A video frame size in pixels.
  public struct VideoResolution: Sendable, Hashable, Codable {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) {
      self.width = width
      self.height = height
    }
  }

  /// Speech output is on.
  public var speaks: Bool { audioOutput ?? false }

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
