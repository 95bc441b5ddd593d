import Foundation

/// Renders a vLLM serving plan for people (a table) and for launchers (JSON).
public enum ServingRenderer {
  typealias Table = TableRenderer

  /// The table of an engine's plan; its times carry their ranges under `spread` (the plan's
  /// ``RuntimeProfile/timeSpread``).
  ///
  /// - Complexity: O(*s* + *a*) for *s* stages and *a* alternative layouts.
  public static func render(_ plan: EngineLayout, spread: TimeSpread) -> String {
    var lines: [String] = []
    let model = plan.model
    lines.append(
      Table.field(
        "model", "\(model.name): \(Table.groupedDigits(model.parameterCount)) parameters (\(model.summary))"))
    lines += model.estimates.map { Table.field("", "estimate: " + $0) }
    let nodes = plan.nodes > 1 ? "\(plan.nodes) nodes of " : ""
    lines.append(Table.field("gpus", nodes + gpuSummary(plan.gpus)))
    lines.append(Table.field("dtype", dtypeSummary(plan)))
    lines += plan.dtypeNotes.map { Table.field("", $0) }
    lines.append(Table.field("vllm", settingsSummary(plan.settings, kv: plan.kvDType)))
    if let line = profilingSummary(plan) { lines.append(Table.field("", line)) }
    lines.append(
      Table.field(
        "layout",
        (plan.dataParallel > 1 ? "data parallel \(plan.dataParallel) x " : "") + layoutSummary(plan.layout)
          + " ("
          + strategySummary(plan.strategy) + ")"))
    lines.append("")
    lines.append(
      stageRow(["stage", "gpus", "weights", "profile peak", "non-torch", "kv cache", "budget"]) + "  layers")
    for (index, stage) in plan.layout.stages.enumerated() {
      let m = stage.memory
      lines.append(
        stageRow([
          "\(index)", gpuRange(stage.gpus), m.weights.formatted(), m.activationPeak.formatted(),
          m.nonTorch.formatted(), m.kvCache.formatted(), m.budget.formatted(),
        ]) + "  " + layers(of: stage, in: plan).joined(separator: ", "))
    }
    lines.append(
      Table.field(
        "",
        "memory per GPU of the stage; budget = the GPU's total x gpu_memory_utilization "
          + utilization(plan.settings.gpuMemoryUtilization)))
    lines.append("")
    lines += outcomeLines(plan, spread: spread)
    return lines.joined(separator: "\n") + "\n"
  }

  /// Whether it starts, what it holds, how fast it runs, and what to change where it does not start.
  static func outcomeLines(_ plan: EngineLayout, spread: TimeSpread) -> [String] {
    var lines: [String] = []
    let layout = plan.layout
    for refusal in plan.refusals { lines.append(Table.field("starts", "NO: " + refusal)) }
    if !plan.refusals.isEmpty { return lines }
    if let failure = layout.failure {
      let gpu = failure.gpu.map { " on GPU \($0)" } ?? ""
      lines.append(Table.field("starts", "NO: fails in \(failure.phase.description)\(gpu)"))
      lines.append(Table.field("", failure.message))
    } else {
      lines.append(
        Table.field(
          "starts",
          "yes: KV cache of \(Table.groupedDigits(layout.kvTokens)) tokens (\(Table.groupedDigits(layout.blocks)) "
            + "blocks of \(ServingConfig.blockSize)): \(concurrency(plan.concurrency)) sequences of "
            + "\(plan.settings.maxModelLen) tokens at once"))
    }
    if layout.starts, let (counts, blocks) = layout.defaultPartition {
      let tokens = blocks * Int64(ServingConfig.blockSize)
      let theirs = max(0, Double(tokens) / Double(plan.settings.maxModelLen))
      lines.append(
        Table.field(
          "partition",
          "VLLM_PP_LAYER_PARTITION=\(layout.partition.map(String.init).joined(separator: ",")); vLLM's default "
            + "\(counts.map(String.init).joined(separator: ",")) leaves \(Table.groupedDigits(max(0, tokens))) KV tokens "
            + "(\(concurrency(theirs)) sequences)"))
    }
    if plan.starts { lines.append(Table.field("estimate", estimateSummary(plan, layout, spread: spread))) }
    for alternative in plan.alternatives.prefix(4) {
      lines.append(
        Table.field(
          "also", layoutSummary(alternative) + ": " + alternativeSummary(plan, alternative, spread: spread)))
    }
    for fix in plan.recommendations {
      lines.append(Table.field("fix", fix.summary(against: plan.layout)))
    }
    if !plan.starts && plan.recommendations.isEmpty && layout.failure?.phase != .configuration {
      lines.append(
        Table.field(
          "fix",
          "no max_model_len >= 2048 or max_num_seqs fits: more GPUs, or an int4 (AWQ) checkpoint (--dtype int4)"
        ))
    }
    if plan.settings.enforceEager {
      lines.append(
        Table.field(
          "note", "--enforce-eager: no CUDA graphs; decode is slower than estimated (host time per layer)"))
    }
    return lines
  }

  /// The estimate, each time with its range (all-reduces are part of the decode time, without a
  /// range of their own).
  static func estimateSummary(_ plan: EngineLayout, _ layout: ServingLayout, spread: TimeSpread) -> String {
    let context = min(plan.workload.contextTokens, plan.settings.maxModelLen)
    let r = layout.ranges(spread, imageSeconds: plan.imageSeconds)
    var parts = [
      "decode \(DurationFormatting.seconds(layout.decodeSecondsPerToken))/token \(RangeFormatting.seconds(r.decodeSecondsPerToken)) at batch 1 "
        + "(\(DurationFormatting.rate(1 / layout.decodeSecondsPerToken)) tokens/s \(RangeFormatting.rate(r.tokensPerSecond)))",
      "\(DurationFormatting.rate(layout.throughputTokensPerSecond)) tokens/s \(RangeFormatting.rate(r.throughputTokensPerSecond)) "
        + "across \(layout.throughputBatch) sequence\(layout.throughputBatch == 1 ? "" : "s") of \(context) tokens",
      "prefill of \(context) tokens \(DurationFormatting.seconds(layout.prefillSeconds)) \(RangeFormatting.seconds(r.prefillSeconds))",
    ]
    if let image = plan.imageSeconds, let range = r.imageSeconds {
      parts.append("images \(DurationFormatting.seconds(image)) \(RangeFormatting.seconds(range))")
    }
    if layout.allReduceSeconds > 0 {
      parts.append("all-reduces \(DurationFormatting.seconds(layout.allReduceSeconds))/token")
    }
    if plan.dataParallel > 1 {
      parts.append(
        "\(plan.dataParallel) replicas: \(DurationFormatting.rate(layout.throughputTokensPerSecond * Double(plan.dataParallel))) "
          + "tokens/s \(RangeFormatting.rate(r.throughputTokensPerSecond.scaled(by: Double(plan.dataParallel)))) in all"
      )
    }
    return parts.joined(separator: ", ")
  }

  static func alternativeSummary(_ plan: EngineLayout, _ layout: ServingLayout, spread: TimeSpread) -> String
  {
    if let failure = layout.failure { return "does not start (\(failure.phase.description))" }
    let sequences = Double(layout.kvTokens) / Double(plan.settings.maxModelLen)
    let r = layout.ranges(spread)
    return
      "decode \(DurationFormatting.seconds(layout.decodeSecondsPerToken))/token \(RangeFormatting.seconds(r.decodeSecondsPerToken)), "
      + "\(DurationFormatting.rate(layout.throughputTokensPerSecond)) tokens/s \(RangeFormatting.rate(r.throughputTokensPerSecond)) "
      + "across \(layout.throughputBatch), "
      + "\(concurrency(sequences)) sequences of \(plan.settings.maxModelLen)"
  }

  // MARK: - Pieces

  static func concurrency(_ value: Double) -> String { DurationFormatting.fixed(value, decimals: 2) }
  static func utilization(_ value: Double) -> String { DurationFormatting.fixed(value, decimals: 2) }

  static func gpuSummary(_ gpus: [GPU]) -> String {
    GPUList.runs(gpus).map { group in
      "\(group.count) x \(group.gpu.name) (\(group.gpu.targetName), "
        + "\(group.gpu.cudaTotal.formatted()) total)"
    }.joined(separator: " + ")
  }

  static func dtypeSummary(_ plan: EngineLayout) -> String {
    let weights =
      plan.weightDType == plan.computeDType
      ? "\(plan.weightDType)" : "\(plan.weightDType) weights, \(plan.computeDType) compute"
    return weights + (plan.kvDType != plan.computeDType ? ", \(plan.kvDType) KV cache" : "")
  }

  static func settingsSummary(_ s: ServingConfig.Resolved, kv: DType) -> String {
    "vLLM \(s.version.label): max_model_len \(s.maxModelLen), max_num_seqs \(s.maxNumSeqs), max_num_batched_tokens "
      + "\(s.maxNumBatchedTokens), gpu_memory_utilization \(utilization(s.gpuMemoryUtilization)), "
      + (s.enforceEager ? "eager (no CUDA graphs)" : "CUDA graphs")
  }

  static func profilingSummary(_ plan: EngineLayout) -> String? {
    guard let vision = plan.model.vision else { return nil }
    let images = plan.layout.stages[0].memory.dummyImages
    guard images > 0 else { return nil }
    return
      "the profiling run sends \(images) dummy image\(images == 1 ? "" : "s") (\(vision.sliceSize) px) through "
      + "the vision tower, \(plan.config.resolvedEncoderAttention.rawValue) attention"
  }

  static func layoutSummary(_ layout: ServingLayout) -> String {
    "tensor parallel \(layout.tensorParallel) x pipeline parallel \(layout.pipelineParallel)"
  }

  static func strategySummary(_ strategy: Strategy) -> String {
    switch strategy {
    case .latency: "latency: fastest single sequence"
    case .memory: "memory: most KV cache"
    default: "\(strategy.rawValue): most tokens per second across the sequences that fit"
    }
  }

  static func gpuRange(_ gpus: [Int]) -> String {
    gpus.count == 1 ? "\(gpus[0])" : "\(gpus.first!)-\(gpus.last!)"
  }

  /// `vpm, resampler, llm.model.embed_tokens, llm.model.layers.0-13`: non-text parts by their
  /// top module, text layers by name, numbered runs folded.
  static func layers(of stage: ServingLayout.Stage, in plan: EngineLayout) -> [String] {
    let chain = StageChain(plan.model)
    guard !chain.decoders.isEmpty else { return ["(whole model)"] }
    var names: [String] = []
    if stage.decoderLayers.lowerBound == 0 {
      for layer in chain.leading where layer.stream != .text {
        let top = String(layer.module.split(separator: ".").first ?? "")
        if !names.contains(top) { names.append(top) }
      }
      names += chain.leading.filter { $0.stream == .text && $0.kind != .rotary }.map(\.module)
    }
    names += chain.decoders[stage.decoderLayers].map(\.module)
    if stage.decoderLayers.upperBound == chain.decoders.count {
      names += chain.trailing.filter { $0.kind != .rotary }.map(\.module)
    }
    return DeviceMapLayout.foldingNumberedRuns(names)
  }

  static let stageWidths = [5, 5, 11, 12, 11, 11, 11]

  static func stageRow(_ cells: [String]) -> String { Table.row(cells, widths: stageWidths) }
}
