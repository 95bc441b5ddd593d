/// Renders a plan as the table a person reads: model, GPUs, dtype and why, workload, one row per
/// device, then whether it fits and the warnings.
///
/// Output is deterministic: fixed column widths, sizes through ``ByteCount/formatted()``.
public enum TableRenderer {
  /// The table of any plan: a device map's devices, or an engine's layout (``ServingRenderer``).
  ///
  /// - Complexity: O(*d* + *m*) for *d* devices and *m* map entries.
  public static func render(_ plan: Plan) -> String {
    switch plan.layout {
    case .deviceMap(let layout): render(layout)
    case .engine(let layout): ServingRenderer.render(layout, spread: plan.profile.timeSpread)
    case .sglang(let layout): SGLangExporter.summary(layout)
    }
  }

  public static func render(_ plan: DeviceMapLayout) -> String {
    var lines: [String] = []
    let model = plan.model
    lines.append(
      field("model", "\(model.name): \(groupedDigits(model.parameterCount)) parameters (\(model.summary))"))
    lines += model.estimates.map { field("", "estimate: " + $0) }
    lines.append(field("gpus", gpuSummary(plan.gpus)))
    let dtype =
      plan.weightDType == plan.computeDType
      ? "\(plan.weightDType)" : "\(plan.weightDType) weights, \(plan.computeDType) compute"
    lines.append(field("dtype", dtype))
    lines += plan.dtypeNotes.map { field("", $0) }
    lines.append(field("workload", workloadSummary(plan)))
    lines += profileLines(plan.runtime)
    lines.append(field("strategy", strategySummary(plan.strategy)))
    lines.append("")

    let header = [
      "device", "gpu", "weights", "kv cache", "activations", "reserve", "total", "capacity", "used",
    ]
    lines.append(row(header) + "  layers")
    for device in plan.devices {
      let m = device.memory
      let used = device.capacity.map { percent(m.total, of: $0) } ?? "-"
      let cells = [
        device.device.description, device.gpu?.name ?? "-", m.weights.formatted(), m.kvCache.formatted(),
        m.activations.formatted(), m.reserve.formatted(), m.total.formatted(),
        device.capacity.map { $0.formatted() } ?? "unlimited", used,
      ]
      let layers = device.summary.isEmpty ? "(unused)" : device.summary.joined(separator: ", ")
      lines.append(row(cells) + "  " + layers)
    }
    lines.append("")
    lines.append(
      field(
        "fits",
        (plan.fits ? "yes" : "NO") + ": \(plan.gpuMemory.formatted()) needed on GPUs, "
          + "\(plan.gpuCapacity.formatted()) usable"))
    lines += estimateLines(plan)
    lines += plan.notes.map { field("note", $0) }
    lines += plan.warnings.map { field("warning", $0) }
    lines += plan.advice.map { field("to fit", $0) }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The estimate, each time with its range, the bottleneck and the hops (parts of the decode
  /// time, without ranges of their own).
  static func estimateLines(_ plan: DeviceMapLayout) -> [String] {
    let e = plan.estimate
    let r = e.ranges
    let w = plan.workload
    var parts = [
      "decode \(DurationFormatting.seconds(e.decodeSecondsPerToken))/token \(RangeFormatting.seconds(r.decodeSecondsPerToken)) "
        + "(\(DurationFormatting.rate(e.tokensPerSecond)) tokens/s \(RangeFormatting.rate(r.tokensPerSecond)))",
      "prefill of \(w.batch) x \(MediaTokens(workload: w, model: plan.model).context) tokens \(DurationFormatting.seconds(e.prefillSeconds)) "
        + RangeFormatting.seconds(r.prefillSeconds),
    ]
    let media = MediaTokens(workload: w, model: plan.model)
    if let image = e.imageSeconds, let range = r.imageSeconds {
      parts.append(
        "\(media.video == nil ? "images" : "video") \(DurationFormatting.seconds(image)) \(RangeFormatting.seconds(range))"
      )
    }
    if let audio = e.audioSeconds, let range = r.audioSeconds {
      parts.append("audio \(DurationFormatting.seconds(audio)) \(RangeFormatting.seconds(range))")
    }
    parts.append(
      "throughput \(DurationFormatting.rate(e.throughputTokensPerSecond)) tokens/s "
        + "\(RangeFormatting.rate(r.throughputTokensPerSecond)) at batch \(w.batch)")
    var lines = [field("estimate", parts.joined(separator: ", "))]
    lines.append(field("bottleneck", e.bottleneck(gpus: plan.gpus)))
    for hop in plan.hops {
      lines.append(
        field(
          "hop",
          "GPU \(hop.from) -> GPU \(hop.to) over \(hop.link): \(DurationFormatting.seconds(hop.seconds)) per token (\(hop.carries))"
        ))
    }
    return lines
  }

  static let columnWidths = [6, 14, 11, 11, 11, 11, 11, 11, 5]

  /// Cells padded to `widths`: the first two columns (names) left-aligned, numbers right-aligned.
  static func row(_ cells: [String], widths: [Int] = columnWidths) -> String {
    zip(cells, widths).enumerated().map { index, pair in
      let (cell, width) = pair
      let padding = String(repeating: " ", count: max(0, width - cell.count))
      // Text columns align left, numbers right.
      return index < 2 ? cell + padding : padding + cell
    }.joined(separator: "  ")
  }

  static func field(_ name: String, _ value: String) -> String {
    name.padding(toLength: 10) + value
  }

  /// `8,099,175,152`.
  public static func groupedDigits(_ n: Int64) -> String { DurationFormatting.groupedDigits(n) }

  /// `"94%"`, rounded half up (in floating point: a total can be far beyond 2^63 / 100 bytes).
  static func percent(_ part: ByteCount, of whole: ByteCount) -> String {
    guard whole.value > 0 else { return "-" }
    let value = (Double(part.value) * 100 / Double(whole.value)).rounded(.toNearestOrAwayFromZero)
    return value < 1e6 ? "\(Int64(value))%" : ">999999%"
  }

  /// `"2 x P4 (sm_61, 7.14 GiB usable, 192 GB/s)"`, runs of one kind grouped in index order.
  static func gpuSummary(_ gpus: [GPU]) -> String {
    GPUList.runs(gpus).map { group in
      let gbps = Int64(group.gpu.bandwidthBytesPerSecond / 1e9)
      return "\(group.count) x \(group.gpu.name) (\(group.gpu.targetName), "
        + "\(group.gpu.usableMemory.formatted()) usable, \(gbps) GB/s)"
    }.joined(separator: " + ")
  }

  static func workloadSummary(_ plan: DeviceMapLayout) -> String {
    let w = plan.workload
    let media = MediaTokens(workload: w, model: plan.model)
    var parts = ["batch \(w.batch)", "context \(media.context) tokens"]
    parts += media.descriptions
    if let vision = plan.model.vision, w.images > 0, media.video == nil {
      let slices = w.slicesPerImage.map { min(Int64($0), vision.maximumSlices) } ?? vision.maximumSlices
      parts.append("\(w.images) image\(w.images == 1 ? "" : "s") x \(slices) slice\(slices == 1 ? "" : "s")")
    }
    parts.append("\(w.attention.rawValue) attention")
    if let kv = w.kvDType { parts.append("\(kv) KV cache") }
    parts.append("\(plan.runtime.name) runtime")
    return parts.joined(separator: ", ")
  }

  /// Where a host profile file (`--profile`) set the runtime's values: the file, the machine it
  /// was measured on, and each value it set. Nothing for a built-in profile.
  static func profileLines(_ runtime: RuntimeProfile) -> [String] {
    guard let source = runtime.source else { return [] }
    let measured = source.measuredOn.map { ", measured on " + $0 } ?? ""
    let values =
      source.fields.isEmpty
      ? "sets nothing (the \(runtime.name) defaults)"
      : "sets " + source.fields.map { "\($0.rawValue) \($0.display(in: runtime))" }.joined(separator: ", ")
    return [field("profile", "\(runtime.name) from \(source.file)\(measured)"), field("", values)]
  }

  static func strategySummary(_ strategy: Strategy) -> String {
    switch strategy {
    case .auto: "auto (fastest plan for the workload, on the fewest GPUs that do not make it slower)"
    case .latency: "latency (fastest single-stream decode)"
    case .throughput: "throughput (slowest pipeline stage as fast as possible)"
    case .memory: "memory (contiguous layers, fullest GPU as empty as possible)"
    case .sequential: "sequential (accelerate device_map=\"sequential\", by weights only)"
    case .balanced: "balanced (accelerate device_map=\"balanced\" / \"auto\", by weights only)"
    case .balancedLow0: "balanced_low_0 (accelerate device_map=\"balanced_low_0\", by weights only)"
    }
  }
}

extension String {
  func padding(toLength length: Int) -> String {
    count >= length ? self + " " : self + String(repeating: " ", count: length - count)
  }
}
