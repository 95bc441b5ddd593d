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

  /// Fits `request`'s profile to a llama.cpp log's decode and prompt times (a vLLM log:
  /// ``fitVLLM(_:request:)``).
  ///
  /// - Throws: ``PlanningError`` where the request cannot be planned, or its runtime is not the
  ///   log's.
  /// - Complexity: about 25 plans per fitted field.
  public static func fit(_ log: RuntimeLog, request: PlanRequest) throws(PlanningError) -> Fit {
    guard log.vllm == nil else {
      throw PlanningError(.profileMismatch, "a vLLM log calibrates the vLLM runtime (--runtime vllm)")
    }
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

    let decode = try Self.solve(measured, low: ProfileFile.minimumEfficiency, high: 1) {
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
      let fitted = try Self.solve(target, low: ProfileFile.minimumEfficiency, high: 1) {
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

  /// The value in [low, high] at which `seconds(value)` (falling) equals `target`.
  static func solve(
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

  /// The vLLM profile that makes the plan's KV cache the log's, and its decode the log's
  /// generation throughput where the log has statistics lines of steady decoding.
  ///
  /// - KV cache: the plan's smallest "available KV cache" against the log's; the difference
  ///   moves the profile's `reservePerGPUBytes`, which for vLLM replaces the planner's non-torch
  ///   estimate (``VLLMMemory/nonTorch(for:)``): whatever the log's engine held beside the
  ///   planner's weights and profile peak (its NCCL buffers, a sampler or encoder peak the planner
  ///   does not model, the CUDA-graph estimate where that version did not subtract it). Where the
  ///   planner already leaves less than the log (the reserve would be negative), it stays 0 and the
  ///   note says so. `--max-model-len` and `--gpu-memory-utilization` default to the log's.
  /// - Decode: the statistics line of steady decoding (``RuntimeLog/VLLM/steadyDecode``), `N`
  ///   requests running and `G` tokens/s generated: a step is `N / G` seconds, over sequences of
  ///   the KV cache in use spread over them (`usage × KV tokens / N`, or `--context` where the log
  ///   has no KV cache size); the memory efficiency is fitted so the plan's step at batch `N` is
  ///   that (batch 1: its decode latency; more: its throughput at `--max-num-seqs N`).
  public static func fitVLLM(_ log: RuntimeLog.VLLM, request: PlanRequest) throws(PlanningError) -> VLLMFit {
    guard case .vllm(var serving) = request.runtime else {
      throw PlanningError(
        .profileMismatch, "a vLLM log calibrates the vLLM runtime, not \(request.runtime.name)")
    }
    if serving.maxModelLen == nil { serving.maxModelLen = log.maxModelLen }
    if serving.gpuMemoryUtilization == nil { serving.gpuMemoryUtilization = log.utilization }
    var request = request
    request.runtime = .vllm(serving)
    let base = request.runtimeProfile
    func engine(_ profile: RuntimeProfile, _ change: (inout PlanRequest) -> Void = { _ in })
      throws(PlanningError)
      -> EngineLayout
    {
      var changed = request
      changed.profile = profile
      change(&changed)
      guard case .engine(let layout) = try Planner.plan(changed).layout else {
        throw PlanningError(.profileMismatch, "a vLLM log calibrates the vLLM runtime")
      }
      return layout
    }
    func available(_ layout: EngineLayout) -> ByteCount {
      layout.layout.stages.map(\.memory.kvAvailable).min() ?? .zero
    }
    var notes: [String] = []
    var fields: [ProfileFile.Field] = []
    var profile = base
    let before = try engine(base)
    var logged: ByteCount?
    let predicted = available(before)
    if let gib = log.availableKVGiB {
      let bytes = ByteCount(Int64((gib * Double(1 << 30)).rounded()))
      logged = bytes
      let reserve = VLLMMemory.nonTorch(for: base) + predicted - bytes
      profile.reservePerGPU = max(reserve, .zero)
      var source =
        profile.source ?? ProfileFile.Source(file: "planner calibrate", measuredOn: nil, fields: [])
      if !source.fields.contains(.reservePerGPUBytes) { source.fields.append(.reservePerGPUBytes) }
      profile.source = source
      fields.append(.reservePerGPUBytes)
      if reserve < .zero {
        notes.append(
          "the planner leaves \((ByteCount.zero - reserve).formatted()) less KV cache than the log even with no "
            + "non-torch memory: its weights or profile peak are larger than this engine's")
      }
    } else {
      notes.append("no 'Available KV cache memory' line: the KV cache reserve not fitted")
    }
    let plannedWeights = before.layout.stages.map(\.memory.weights).max() ?? .zero
    if let gib = log.weightsGiB, gib > 0 {
      let planned = Double(plannedWeights.value) / Double(1 << 30)
      if abs(planned - gib) / gib > 0.05 {
        notes.append(
          "weights: the log loaded \(gib) GiB per GPU, the plan \(plannedWeights.formatted()): is it the same "
            + "model, dtype, quantization and tensor/pipeline parallel sizes (--runtime vllm --tensor-parallel-size)?"
        )
      }
    }
    if let estimate = log.cudaGraphEstimateGiB {
      notes.append(
        "CUDA graphs: the log estimated \(estimate) GiB; the planner subtracts its own "
          + "\(VLLMMemory.cudaGraphBytes.formatted()) before the KV cache, as vLLM 0.33 does, and the reserve takes "
          + "up the difference (where this vLLM did not subtract its estimate, the planner's whole figure)")
    }
    var after = try engine(profile)

    var decode: VLLMFit.Decode?
    if let line = log.steadyDecode {
      let running = line.running
      let measured = Double(running) / line.generationTokensPerSecond
      var context = request.workload.contextTokens
      if let tokens = log.kvTokens, let usage = line.kvUsagePercent, usage > 0 {
        context = max(1, Int(usage / 100 * Double(tokens) / Double(running)))
      }
      func step(_ p: RuntimeProfile) throws(PlanningError) -> Double {
        let layout = try engine(p) { (changed: inout PlanRequest) in
          changed.workload.contextTokens = context
          if running > 1 {
            var settings = serving
            settings.maxNumSeqs = running
            changed.runtime = .vllm(settings)
          }
        }
        if running == 1 { return layout.layout.decodeSecondsPerToken }
        // Where the KV cache holds fewer than `running` sequences of `context`, the plan's batch
        // is smaller: its step is still batch / throughput.
        let batch = layout.layout.throughputBatch
        return layout.layout.throughputTokensPerSecond > 0
          ? Double(batch) / layout.layout.throughputTokensPerSecond : .infinity
      }
      let stepBefore = try step(base)
      let fitted = try solve(measured, low: ProfileFile.minimumEfficiency, high: 1) {
        (x: Double) throws(PlanningError) in
        var p = profile
        p.memoryEfficiency = x
        return try step(p)
      }
      profile.memoryEfficiency = (fitted.value * 1000).rounded() / 1000
      fields.append(.memoryEfficiency)
      if fitted.clamped {
        notes.append(
          fitted.value >= 1
            ? "decode is faster than the GPUs' datasheet bandwidth allows for this model: is it the same model, "
              + "quantization and GPU?"
            : "decode is slower than 1% of the bandwidth explains: the host or something else bounds it")
      }
      decode = VLLMFit.Decode(
        running: running, context: context, measured: measured, before: stepBefore, after: try step(profile))
      after = try engine(profile)
    } else {
      notes.append(
        "no statistics line of steady decoding (prompt 0.0 tokens/s, requests running): memory efficiency not fitted"
      )
    }
    return VLLMFit(
      profile: profile, fields: fields, loggedKV: logged, kvBefore: predicted, kvAfter: available(after),
      loggedTokens: log.kvTokens, tokensBefore: before.layout.kvTokens, tokensAfter: after.layout.kvTokens,
      decode: decode, notes: notes)
  }

  /// A profile fitted to a vLLM log, and how the plan moved.
  public struct VLLMFit: Sendable {
    public var profile: RuntimeProfile
    /// The fields the fit changed, in ``ProfileFile/Field`` order.
    public var fields: [ProfileFile.Field]
    /// Available KV cache per GPU (the smallest): logged (where the log has it), planned with the
    /// built-in profile and with this one.
    public var loggedKV: ByteCount?
    public var kvBefore: ByteCount
    public var kvAfter: ByteCount
    /// KV cache tokens: logged ("GPU KV cache size"), planned before and after.
    public var loggedTokens: Int64?
    public var tokensBefore: Int64
    public var tokensAfter: Int64
    /// The decode step fitted to, where the log had one.
    public var decode: Decode?
    public var notes: [String]

    /// A step of `running` sequences of `context` tokens: measured, planned before and after, in
    /// seconds.
    public struct Decode: Sendable {
      public var running: Int
      public var context: Int
      public var measured: Double
      public var before: Double
      public var after: Double
    }

    /// What was measured and predicted, in words, for the profile's notes.
    public var summary: [String] {
      var lines: [String] = []
      if let loggedKV {
        lines.append(
          "KV cache: logged \(loggedKV.formatted()) available per GPU"
            + (loggedTokens.map { " (\($0) tokens)" } ?? "") + "; the built-in profile planned "
            + "\(kvBefore.formatted()) (\(tokensBefore) tokens), this one \(kvAfter.formatted()) (\(tokensAfter) tokens)"
        )
      }
      if let decode {
        let ms = DurationFormatting.seconds
        lines.append(
          "decode: \(decode.running) running over \(decode.context) tokens each, measured \(ms(decode.measured)) a "
            + "step; built-in \(ms(decode.before)), this one \(ms(decode.after))")
      }
      return lines + notes
    }
  }
}
