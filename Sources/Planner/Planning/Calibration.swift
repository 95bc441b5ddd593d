/// Corrects a runtime's profile with what a real run measured (`planner calibrate --from-log`):
/// the memory efficiency that makes the plan's decode time the log's, and the compute efficiency
/// that makes its prefill the log's prompt processing.
///
/// The planner's decode time falls as the memory efficiency rises (the host terms stay), and its
/// prefill as the compute efficiency rises, so each is found by bisection on (0.01, 1] to 0.1%.
/// The workload is the log's: one sequence whose context is the mean prompt plus the mean
/// generation per request.
public enum Calibration {
  /// The fitted profile and how the plan's times moved.
  public struct Fit: Sendable {
    public var profile: RuntimeProfile
    /// The fields the fit changed, in ``ProfileFile/Field`` order.
    public var fields: [ProfileFile.Field]
    public var measuredDecode: Double
    public var decodeBefore: Double
    public var decodeAfter: Double
    public var measuredPrefill: Double?
    public var prefillBefore: Double?
    public var prefillAfter: Double?
    /// Where a value hit a bound of its range, what that means.
    public var notes: [String]

    /// The measured and predicted times in words, for the profile's notes.
    public func summary(decodeTokens: Int, promptTokens: Int) -> [String] {
      let ms = DurationFormatting.seconds
      var lines = [
        "decode: measured \(ms(measuredDecode))/token over \(decodeTokens) tokens; the built-in profile predicted "
          + "\(ms(decodeBefore)), this one \(ms(decodeAfter))"
      ]
      if let measuredPrefill, let prefillBefore, let prefillAfter {
        lines.append(
          "prompt: measured \(ms(measuredPrefill)) per request over \(promptTokens) tokens; built-in "
            + "\(ms(prefillBefore)), this one \(ms(prefillAfter))")
      }
      return lines + notes
    }
  }

  /// Fits `request`'s profile to `log`.
  ///
  /// - Throws: ``PlanningError`` where the request cannot be planned, or its runtime is not
  ///   llama.cpp (the only runtime whose logs the planner reads so far).
  /// - Complexity: about 25 plans per fitted field.
  public static func fit(_ log: RuntimeLog, request: PlanRequest) throws(PlanningError) -> Fit {
    guard request.runtime.kind == .llamaCpp else {
      throw PlanningError(
        .profileMismatch, "a llama.cpp log calibrates the llama.cpp runtime, not \(request.runtime.name)")
    }
    var request = request
    let requests = max(log.decodeLines, 1)
    let prompt = log.promptTokens / requests
    let generated = log.decodeTokens / requests
    request.workload.batch = 1
    request.workload.contextTokens = max(prompt + generated, 1)
    let base = request.runtimeProfile
    func plan(_ profile: RuntimeProfile) throws(PlanningError) -> Plan.Speed {
      var changed = request
      changed.profile = profile
      return try Planner.plan(changed).speed
    }
    let before = try plan(base)
    let measured = log.decodeSecondsPerToken ?? before.decodeSecondsPerToken
    var notes: [String] = []
    var profile = base
    var fields: [ProfileFile.Field] = []

    /// The value in [low, high] at which `seconds(value)` (falling) equals `target`.
    func solve(
      _ target: Double, low: Double, high: Double, _ seconds: (Double) throws(PlanningError) -> Double
    ) throws(PlanningError) -> (value: Double, clamped: Bool) {
      if try seconds(high) > target { return (high, true) }
      if try seconds(low) < target { return (low, true) }
      var (lo, hi) = (low, high)
      while hi - lo > 0.001 {
        let mid = (lo + hi) / 2
        if try seconds(mid) > target { lo = mid } else { hi = mid }
      }
      return ((lo + hi) / 2, false)
    }

    let decode = try solve(measured, low: ProfileFile.minimumEfficiency, high: 1) {
      (x: Double) throws(PlanningError) in
      var p = base
      p.memoryEfficiency = x
      return try plan(p).decodeSecondsPerToken
    }
    profile.memoryEfficiency = (decode.value * 1000).rounded() / 1000
    fields.append(.memoryEfficiency)
    if decode.clamped {
      notes.append(
        decode.value >= 1
          ? "decode is faster than the GPUs' datasheet bandwidth allows for this model: is it the same model, "
            + "quantization and GPU?"
          : "decode is slower than 1% of the bandwidth explains: the host or offloaded layers bound it")
    }

    var measuredPrefill: Double?
    var prefillBefore: Double?
    var prefillAfter: Double?
    if log.promptTokens > 0 && prompt > 0 {
      let target = log.promptMilliseconds / 1000 / Double(requests)
      measuredPrefill = target
      var prefillRequest = request
      prefillRequest.workload.contextTokens = prompt
      func prefill(_ p: RuntimeProfile) throws(PlanningError) -> Double {
        var changed = prefillRequest
        changed.profile = p
        return try Planner.plan(changed).speed.prefillSeconds
      }
      let fitted = try solve(target, low: ProfileFile.minimumEfficiency, high: 1) {
        (x: Double) throws(PlanningError) in
        var p = profile
        p.computeEfficiency = x
        return try prefill(p)
      }
      profile.computeEfficiency = (fitted.value * 1000).rounded() / 1000
      fields.append(.computeEfficiency)
      if fitted.clamped {
        notes.append("prompt processing is outside what 1% to 100% of the datasheet FLOP/s explains")
      }
      prefillBefore = try prefill(base)
      prefillAfter = try prefill(profile)
    }

    let after = try plan(profile)
    return Fit(
      profile: profile, fields: fields, measuredDecode: measured, decodeBefore: before.decodeSecondsPerToken,
      decodeAfter: after.decodeSecondsPerToken, measuredPrefill: measuredPrefill,
      prefillBefore: prefillBefore,
      prefillAfter: prefillAfter, notes: notes)
  }
}
