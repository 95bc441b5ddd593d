/// What a workload's video and audio add to a model's context: tokens as the model's processors
/// count them, and the thinker's context they make (Docs/Video.md).
///
/// Video and audio tokens count against `--context`; where they leave fewer than
/// ``textTokensKept`` tokens of it for the text, the context is raised to the media tokens plus
/// ``textTokensKept`` (and the plan says so).
public struct MediaTokens: Sendable, Hashable {
  /// Tokens of text (prompt and answer) a raised context keeps beside the media.
  public static let textTokensKept: Int64 = 256

  /// How the model takes video and audio (nil: it takes neither).
  public var input: MediaInput?
  /// One video (nil: no video in the workload, or a model without video input).
  public var video: MediaInput.Video?
  /// Videos per request.
  public var videoCount: Int64
  /// Audio tokens per request.
  public var audioTokens: Int64
  /// Seconds of audio per request.
  public var audioSeconds: Double
  /// The context asked for.
  public var requestedContext: Int64
  /// As asked: seconds of video, frames per second, speech output.
  public var videoSeconds: Double?
  public var fps: Double?
  public var speaks: Bool

  public init(workload: Workload, model: ModelGraph) {
    let input = MediaInput.of(model)
    self.input = input
    requestedContext = Int64(workload.contextTokens)
    videoSeconds = workload.videoSeconds
    fps = workload.videoFPS
    speaks = workload.speaks && input != nil
    videoCount = Int64(max(workload.videos ?? 1, 0))
    if let input, let seconds = workload.videoSeconds, seconds > 0, videoCount > 0 {
      video = input.video(
        seconds: seconds, fps: workload.videoFPS, width: workload.videoResolution.map { Int64($0.width) },
        height: workload.videoResolution.map { Int64($0.height) })
    } else {
      video = nil
    }
    if let input, let seconds = workload.audioSeconds, seconds > 0, input.audioTokensPerSecond > 0 {
      audioSeconds = seconds
      audioTokens = input.audioTokens(seconds: seconds)
    } else {
      audioSeconds = 0
      audioTokens = 0
    }
  }

  /// Video and audio tokens per request.
  public var tokens: Int64 {
    Int64.saturatingProduct(videoCount, video?.tokens ?? 0).saturatingAdd(audioTokens)
  }

  /// The thinker's context per sequence: `--context`, or the media tokens plus
  /// ``textTokensKept`` where that is more.
  public var context: Int64 {
    tokens == 0 ? requestedContext : max(requestedContext, tokens.saturatingAdd(Self.textTokensKept))
  }

  /// The context was raised above `--context` to hold the media.
  public var raisesContext: Bool { context > requestedContext }

  /// Vision-tower patches per request for the video(s).
  public var videoPatches: Int64 {
    guard let video else { return 0 }
    return .saturatingProduct(videoCount, video.sequences, video.patchesPerSequence)
  }

  /// `1 video of 60 s at 2 fps (120 frames, 896x672): 46080 tokens`, `30 s audio: 750 tokens`,
  /// `speech output on`, for the plan's workload line.
  public var descriptions: [String] {
    var parts: [String] = []
    if let video, let input {
      let seconds = Double(video.frames) / max(fps ?? input.defaultFPS, .leastNonzeroMagnitude)
      parts.append(
        "\(videoCount) video\(videoCount == 1 ? "" : "s") of \(Self.number(videoSeconds ?? seconds)) s at "
          + "\(Self.number(fps ?? input.defaultFPS)) fps (\(video.frames) frames, \(video.width)x\(video.height)): "
          + "\(Int64.saturatingProduct(videoCount, video.tokens)) tokens")
    }
    if audioTokens > 0 { parts.append("\(Self.number(audioSeconds)) s audio: \(audioTokens) tokens") }
    if speaks { parts.append("speech output on") }
    return parts
  }

  public static func number(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
  }
}
