import Testing

@testable import Planner

/// Video and audio tokens as the processors count them (qwen-omni-utils' `fetch_video` and
/// `smart_resize`, transformers' `Qwen2_5OmniAudioEncoder._get_feat_extract_output_lengths`),
/// worked by hand.
@Suite struct MediaTokensTests {
  static let omni = ModelCatalog.entry(named: "qwen2.5-omni-7b")!.build()

  static func media(_ build: (inout Workload) -> Void, model: ModelGraph = omni) -> MediaTokens {
    var workload = Workload()
    build(&workload)
    return MediaTokens(workload: workload, model: model)
  }

  @Test func qwenDefaultFrameIsTheCap() {
    // 60 s × 2 fps = 120 frames = 60 groups; 896 × 672 = 768 × 28 × 28: 64 × 48 patches, 768 tokens.
    let media = Self.media { $0.videoSeconds = 60 }
    #expect(media.video?.frames == 120)
    #expect(media.video?.sequences == 60)
    #expect(media.video?.patchesPerSequence == 3072)
    #expect(media.video?.tokens == 46_080)
    #expect(media.context == 46_080 + 256)
    #expect(media.raisesContext)
  }

  @Test func qwen720pIsResizedUnderTheCap() {
    // 1280 × 720 is 921,600 pixels > 602,112: beta = sqrt(921600 / 602112) = 1.2372;
    // floor(720 / 1.2372 / 28) × 28 = 560, floor(1280 / 1.2372 / 28) × 28 = 1008: 20 × 36 = 720 tokens
    // per 2 frames; 10 s at 2 fps = 10 groups.
    let media = Self.media {
      $0.videoSeconds = 10
      $0.videoResolution = .init(width: 1280, height: 720)
    }
    #expect(media.video?.width == 1008)
    #expect(media.video?.height == 560)
    #expect(media.video?.tokens == 7200)
  }

  @Test func qwenTotalPixelsCapShrinksLongVideos() {
    // 300 s × 2 fps = 600 frames: cap = 128000 × 784 × 0.9 × 2 / 600 = 301,056 pixels a frame;
    // 672 × 896 → beta = sqrt(602112 / 301056) = 1.4142: 448 × 616 (16 × 22 units = 352 tokens).
    let media = Self.media { $0.videoSeconds = 300 }
    #expect(media.video?.height == 448)
    #expect(media.video?.width == 616)
    #expect(media.video?.tokens == 105_600)
  }

  @Test func audioIsTwentyFiveTokensASecond() {
    #expect(Self.media { $0.audioSeconds = 30 }.audioTokens == 750)
  }

  @Test func fpsAndVideos() {
    let media = Self.media {
      $0.videoSeconds = 15
      $0.videoFPS = 1
      $0.videos = 2
    }
    // 15 frames → 16 (even): 8 groups × 768 tokens, two videos.
    #expect(media.video?.frames == 16)
    #expect(media.tokens == 2 * 8 * 768)
  }

  @Test func contextLongEnoughIsKept() {
    let media = Self.media {
      $0.videoSeconds = 15
      $0.contextTokens = 32_768
    }
    #expect(media.context == 32_768)
    #expect(!media.raisesContext)
  }

  @Test func miniCPMFramesThroughTheResampler() {
    // One frame a second, at most 64, 64 resampler tokens each.
    let model = ModelCatalog.entry(named: "minicpm-v-2.6")!.build()
    #expect(Self.media({ $0.videoSeconds = 30 }, model: model).tokens == 30 * 64)
    #expect(Self.media({ $0.videoSeconds = 600 }, model: model).tokens == 64 * 64)
  }

  @Test func modelsWithoutMediaTakeNone() {
    let model = ModelCatalog.entry(named: "qwen2-7b")!.build()
    let media = Self.media({ $0.videoSeconds = 60 }, model: model)
    #expect(media.tokens == 0)
    #expect(media.context == 4096)
  }
}
