/// The changes that make a video or audio request fit, ranked: attention that needs no score
/// matrices, a shorter video, fewer frames a second, smaller frames, no speech output.
extension Advice {
  static func mediaChanges(
    _ request: PlanRequest, fits: (PlanRequest) -> DeviceMapLayout?, cost: (DeviceMapLayout) -> String
  ) -> [String] {
    let media = MediaTokens(workload: request.workload, model: request.model)
    guard let input = media.input, media.video != nil || media.audioTokens > 0 || media.speaks else {
      return []
    }
    var advice: [String] = []
    if request.workload.attention == .eager {
      var changed = request
      changed.workload.attention = .flash
      if let plan = fits(changed) {
        advice.append(
          "--attention flash (or sdpa): no heads x tokens² score matrices in the thinker or the vision tower "
            + "(\(cost(plan)))")
      }
    }
    if let seconds = request.workload.videoSeconds, media.video != nil, seconds >= 2 {
      // The longest whole number of seconds that fits.
      var low = 0
      var high = Int(seconds.rounded(.up)) - 1
      while low < high {
        let middle = (low + high + 1) / 2
        var changed = request
        changed.workload.videoSeconds = Double(middle)
        if fits(changed) != nil { low = middle } else { high = middle - 1 }
      }
      if low > 0 {
        var changed = request
        changed.workload.videoSeconds = Double(low)
        advice.append("--video-seconds \(low): the longest video that fits (\(cost(fits(changed)!)))")
      }
      let fps = request.workload.videoFPS ?? input.defaultFPS
      for lower in [fps / 2, fps / 4] where lower >= 0.25 {
        var changed = request
        changed.workload.videoFPS = lower
        if let plan = fits(changed) {
          advice.append("--fps \(MediaTokens.number(lower)): fewer frames (\(cost(plan)))")
          break
        }
      }
      for (w, h) in [(640, 480), (448, 336)] {
        var changed = request
        changed.workload.videoResolution = .init(width: w, height: h)
        if MediaTokens(workload: changed.workload, model: request.model).video?.tokens ?? 0
          >= media.video?.tokens ?? 0
        {
          continue
        }
        if let plan = fits(changed) {
          advice.append("--video-resolution \(w)x\(h): smaller frames (\(cost(plan)))")
          break
        }
      }
    }
    if media.speaks {
      var changed = request
      changed.workload.audioOutput = false
      if let plan = fits(changed) {
        advice.append("without --audio-output: text only, the talker and vocoder freed (\(cost(plan)))")
      }
    }
    return advice
  }
}
