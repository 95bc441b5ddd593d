/// Renders every strategy's plan for the same inputs side by side (`--compare`): layers per
/// device, the fullest GPU, decode time per token, throughput, and the speed-up over accelerate's
/// default (`balanced`, which `device_map="auto"` means today).
public enum CompareRenderer {
  /// The comparison of ``Planner/compare(_:)``'s plans: a row per device map, or an engine's own
  /// table (it lists its other layouts).
  ///
  /// - Complexity: O(*p* · *d*) for *p* plans of *d* devices.
  public static func render(_ plans: [Plan]) -> String {
    let maps = plans.compactMap(\.layout.deviceMap)
    if maps.isEmpty, let first = plans.first, let engine = first.layout.engine {
      return ServingRenderer.render(engine, spread: first.profile.timeSpread)
    }
    return render(maps)
  }

  public static func render(_ plans: [DeviceMapLayout]) -> String {
    guard let first = plans.first else { return "" }
    let w = first.workload
    var lines = [
      TableRenderer.field(
        "model", "\(first.model.name) on \(TableRenderer.gpuSummary(first.gpus))"),
      TableRenderer.field(
        "dtype",
        first.weightDType == first.computeDType
          ? "\(first.weightDType)" : "\(first.weightDType) weights, \(first.computeDType) compute"),
      TableRenderer.field("workload", TableRenderer.workloadSummary(first)),
    ]
    lines += TableRenderer.profileLines(first.runtime)
    lines += [
      "",
      row([
        "strategy", "fits", "GPUs", "fullest", "decode/token", "tokens/s", "throughput", "vs balanced",
        "decode range", "layers per device",
      ]),
    ]
    let baseline = plans.first { $0.strategy == .balanced }?.estimate.decodeSecondsPerToken
    for plan in plans {
      let used = plan.devices.filter { $0.device.isGPU && !$0.modules.isEmpty }.count
      let fullest =
        plan.devices.filter(\.device.isGPU).compactMap { device in
          device.capacity.map { Double(device.memory.total.value) / Double(max($0.value, 1)) }
        }.max() ?? 0
      let layerCounts = plan.devices.compactMap { device -> String? in
        let count = plan.layerDevices.filter { $0 == device.device }.count
        return count > 0 ? "\(device.device):\(count)" : nil
      }
      let speedup = baseline.map {
        DurationFormatting.fixed($0 / plan.estimate.decodeSecondsPerToken, decimals: 2) + "x"
      }
      lines.append(
        row([
          plan.strategy.rawValue, plan.fits ? "yes" : "NO", "\(used)/\(plan.gpus.count)",
          DurationFormatting.fixed(fullest * 100, decimals: 0) + "%",
          DurationFormatting.seconds(plan.estimate.decodeSecondsPerToken),
          DurationFormatting.rate(plan.estimate.tokensPerSecond),
          DurationFormatting.rate(plan.estimate.throughputTokensPerSecond), speedup ?? "-",
          RangeFormatting.seconds(plan.estimate.ranges.decodeSecondsPerToken),
          layerCounts.joined(separator: " "),
        ]))
    }
    lines.append("")
    lines.append(
      TableRenderer.field(
        "note",
        "decode/token is one stream's time per token (decode range: where measured times fall; tokens/s and "
          + "throughput scale with it); throughput counts the batch of \(w.batch); "
          + "sequential, balanced and balanced_low_0 are accelerate's maps, judged by the same memory model"))
    return lines.joined(separator: "\n") + "\n"
  }

  static let widths = [15, 5, 5, 8, 13, 9, 11, 12, 20]

  static func row(_ cells: [String]) -> String {
    var out = ""
    for (index, cell) in cells.enumerated() {
      if index < widths.count {
        out += cell + String(repeating: " ", count: max(1, widths[index] - cell.count + 1))
      } else {
        out += cell
      }
    }
    return out
  }
}
