/// Writes the `python -m sglang.launch_server` command that realises an SGLang plan, with
/// comments on how SGLang sizes its memory; and the plan's table.
public enum SGLangExporter {
  /// Why a plan cannot be exported.
  public struct Refusal: Error, Equatable, CustomStringConvertible {
    public var description: String
  }

  /// The table of an SGLang plan: the layout, SGLang's settings, one GPU's memory, the estimate.
  public static func summary(_ plan: SGLangLayout) -> String {
    let field = TableRenderer.field
    var lines = [
      field(
        "model", "\(plan.model.name): \(TableRenderer.groupedDigits(plan.model.parameterCount)) parameters"),
      field("gpus", gpuNames(plan.gpus)),
      field("dtype", dtypeSummary(plan)),
    ]
    lines += plan.dtypeNotes.map { field("", $0) }
    lines.append(field("runtime", "sglang (SGLang 0.5.23's memory settings)"))
    lines.append(
      field("layout", "tensor parallel \(plan.tensorParallel) x data parallel \(plan.dataParallel)"))
    lines += comments(plan).map { field("", $0) }
    let speed =
      "decode \(DurationFormatting.fixed(plan.decodeSecondsPerToken * 1000, decimals: 2)) ms/token "
      + "\(RangeFormatting.seconds(plan.ranges.decodeSecondsPerToken)) a sequence, "
      + "throughput \(DurationFormatting.fixed(plan.throughputTokensPerSecond, decimals: 1)) tokens/s "
      + "\(RangeFormatting.rate(plan.ranges.throughputTokensPerSecond)) over "
      + "\(plan.dataParallel) replica(s) at batch \(max(1, plan.workload.batch)) each (memory-bandwidth bound)"
    lines.append(field("estimate", speed))
    if let failure = plan.failure {
      lines.append(field("starts", "no: \(failure)"))
    } else {
      lines.append(field("starts", "yes: \(plan.kvTokens) tokens of KV cache per replica"))
      if !plan.holdsContext {
        lines.append(
          field("warning", "fewer KV tokens than one request of --context-length \(plan.contextLength)"))
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The comment lines: the fraction and where it came from, one GPU's memory.
  static func comments(_ plan: SGLangLayout) -> [String] {
    let fraction = SGLangPlanner.format(plan.memFractionStatic)
    var lines: [String] = []
    if let reserve = plan.reserveMiB {
      var line =
        "mem_fraction_static \(fraction): SGLang's default for a \(Int(plan.gpuMiB)) MiB GPU, reserving "
        + "\(Int(reserve.rounded())) MiB (512 + 1.5 x chunked prefill \(plan.chunkedPrefill) + TP/8 GiB + CUDA graphs "
        + "up to batch \(plan.decodeMaxBatch)"
      line += plan.gpuMiB > 60 * 1024 ? ", at least 10 GiB above 60 GiB)" : ")"
      if let tower = SGLangPlanner.visionTower(plan.model) {
        line +=
          ", x \(SGLangPlanner.format(SGLangMemory.visionFactor(layers: tower.layers, width: tower.width))) "
          + "for the \(tower.layers)-layer vision tower"
      }
      lines.append(line)
    } else {
      lines.append("mem_fraction_static \(fraction): as given")
    }
    lines.append(
      "per GPU: weights \(plan.weightsPerGPU.formatted()), KV cache pool \(plan.kvPool.formatted()) "
        + "(\(plan.kvTokens) tokens; context length \(plan.contextLength))")
    return lines
  }

  /// The command for `plan`.
  ///
  /// - Throws: ``Refusal`` where SGLang would not start, or the model has no repository to serve.
  public static func render(_ plan: SGLangLayout) throws(Refusal) -> String {
    if let failure = plan.failure {
      throw Refusal(description: "--format sglang: SGLang would fail: \(failure)")
    }
    guard let repository = plan.model.serving.repository else {
      throw Refusal(
        description: "--format sglang: \(plan.model.name) has no repository or directory to serve")
    }
    if plan.weightDType == .int8 || (plan.weightDType == .int4 && plan.model.quantization == nil) {
      throw Refusal(
        description:
          "--format sglang: the planner exports SGLang for 16-bit, fp8 or pre-quantized checkpoints; "
          + "\(plan.weightDType) weights of an unquantized checkpoint are not exported")
    }
    var flags = ["--model-path \(repository)"]
    if plan.model.serving.remoteCode { flags.append("--trust-remote-code") }
    flags.append("--dtype \(plan.computeDType.torchName)")
    if plan.weightDType == .fp8 && plan.model.quantization == nil { flags.append("--quantization fp8") }
    if plan.kvDType == .fp8 { flags.append("--kv-cache-dtype fp8_e5m2") }
    flags.append("--tp \(plan.tensorParallel)")
    if plan.dataParallel > 1 { flags.append("--dp \(plan.dataParallel)") }
    flags.append("--mem-fraction-static \(SGLangPlanner.format(plan.memFractionStatic))")
    flags.append("--context-length \(plan.contextLength)")
    flags.append("--chunked-prefill-size \(plan.chunkedPrefill)")
    var text =
      "# sglang for \(plan.model.name) on \(gpuNames(plan.gpus)): tensor parallel \(plan.tensorParallel) x data "
      + "parallel \(plan.dataParallel), \(dtypeSummary(plan))\n"
    text += comments(plan).map { "# " + $0 + "\n" }.joined()
    if !plan.holdsContext {
      text += "# warning: fewer KV tokens than one request of the context length\n"
    }
    let used = plan.tensorParallel * plan.dataParallel
    let environment =
      used < plan.gpus.count
      ? "CUDA_VISIBLE_DEVICES=" + (0..<used).map(String.init).joined(separator: ",") + " " : ""
    text += environment + "python -m sglang.launch_server \\\n"
    text += flags.map { "  " + $0 }.joined(separator: " \\\n") + "\n"
    return text
  }

  /// `"bf16"`, `"int4 weights, fp16 compute"`.
  static func dtypeSummary(_ plan: SGLangLayout) -> String {
    plan.weightDType == plan.computeDType
      ? "\(plan.weightDType)" : "\(plan.weightDType) weights, \(plan.computeDType) compute"
  }

  /// `"8 x A100-80G-SXM"`.
  static func gpuNames(_ gpus: [GPU]) -> String {
    GPUList.runs(gpus).map { $0.count == 1 ? $0.gpu.name : "\($0.count) x \($0.gpu.name)" }
      .joined(separator: " + ")
  }
}
