/// Writes the `vllm serve` command line, with its environment, that realises a serving plan;
/// for several nodes, the Ray steps around it. Refuses plans vLLM cannot run.
public enum VLLMExporter {
  /// Why a plan cannot be exported.
  public struct Refusal: Error, Equatable, CustomStringConvertible {
    public var description: String
  }

  /// - Complexity: O(*s*) for *s* pipeline stages.
  public static func render(_ plan: EngineLayout) throws(Refusal) -> String {
    if let refusal = plan.refusals.first { throw Refusal(description: "--format vllm: " + refusal) }
    if let failure = plan.layout.failure {
      let fix = plan.recommendations.first.map {
        "; try --max-model-len \($0.maxModelLen) --max-num-seqs \($0.maxNumSeqs)"
          + ($0.enforceEager ? " --enforce-eager" : "")
      }
      throw Refusal(
        description: "--format vllm: vLLM would fail in \(failure.phase.description): \(failure.message)"
          + (fix ?? ""))
    }
    let prequantized = plan.model.quantization
    if plan.weightDType == .int8 && prequantized == nil {
      throw Refusal(
        description:
          "--format vllm: vLLM has no int8 weight-only quantization of an unquantized checkpoint; use --dtype fp8 "
          + "(sm_89 or later), --dtype int4 with an AWQ checkpoint, or 16-bit weights")
    }
    guard let repository = plan.model.serving.repository else {
      throw Refusal(description: "--format vllm: \(plan.model.name) has no repository or directory to serve")
    }
    let layout = plan.layout
    let s = plan.settings
    let config = plan.config
    var flags = [repository]
    if plan.model.serving.remoteCode { flags.append("--trust-remote-code") }
    flags.append("--dtype \(plan.computeDType.torchName)")
    // A pre-quantized checkpoint names its method in config.json, and vLLM picks the fastest kernel
    // for it (Marlin from sm_80); forcing `--quantization` would pin the slower one.
    if prequantized == nil && plan.weightDType == .int4 { flags.append("--quantization awq") }
    if prequantized == nil && plan.weightDType == .fp8 { flags.append("--quantization fp8") }
    if plan.kvDType == .fp8 { flags.append("--kv-cache-dtype fp8") }
    if layout.tensorParallel > 1 { flags.append("--tensor-parallel-size \(layout.tensorParallel)") }
    if layout.pipelineParallel > 1 { flags.append("--pipeline-parallel-size \(layout.pipelineParallel)") }
    if plan.dataParallel > 1 { flags.append("--data-parallel-size \(plan.dataParallel)") }
    flags.append("--max-model-len \(s.maxModelLen)")
    flags.append("--max-num-seqs \(s.maxNumSeqs)")
    if config.maxNumBatchedTokens != nil { flags.append("--max-num-batched-tokens \(s.maxNumBatchedTokens)") }
    flags.append("--gpu-memory-utilization \(DurationFormatting.fixed(s.gpuMemoryUtilization, decimals: 2))")
    if s.enforceEager { flags.append("--enforce-eager") }
    if let bytes = s.kvCacheMemoryBytes { flags.append("--kv-cache-memory-bytes \(bytes)") }
    if s.version == .v1 && plan.model.vision != nil && config.limitMMPerPrompt != nil {
      flags.append("--limit-mm-per-prompt '{\"image\": \(s.limitMMPerPrompt)}'")
    }
    if s.skipMMProfiling { flags.append("--skip-mm-profiling") }
    if plan.nodes > 1 { flags.append("--distributed-executor-backend ray") }

    var environment: [String] = []
    let used = layout.tensorParallel * layout.pipelineParallel * plan.dataParallel
    if plan.nodes == 1 && used < plan.gpus.count {
      environment.append("CUDA_VISIBLE_DEVICES=" + (0..<used).map(String.init).joined(separator: ","))
    }
    if layout.defaultPartition != nil {
      environment.append(
        "VLLM_PP_LAYER_PARTITION=" + layout.partition.map(String.init).joined(separator: ","))
    }

    var lines = [
      "# vLLM plan for \(plan.model.name): tensor parallel \(layout.tensorParallel) x pipeline parallel "
        + "\(layout.pipelineParallel)\(plan.dataParallel > 1 ? " x data parallel \(plan.dataParallel)" : "") on \(plan.nodes > 1 ? "\(plan.nodes) nodes of " : "")"
        + ServingRenderer.gpuSummary(plan.gpus),
      "# KV cache \(TableRenderer.groupedDigits(layout.kvTokens)) tokens\(plan.dataParallel > 1 ? " per replica" : ""): \(ServingRenderer.concurrency(plan.concurrency)) "
        + "sequences of \(s.maxModelLen) tokens at once; "
        + "decode \(DurationFormatting.seconds(layout.decodeSecondsPerToken))/token at batch 1",
    ]
    if let prequantized {
      lines.append(
        "# \(prequantized) weights as the checkpoint stores them (vLLM reads its quantization_config)")
    } else if plan.weightDType == .int4 {
      lines.append("# int4 weights: serve an AWQ checkpoint of the model (replace the repository below)")
    }
    if plan.config.version == .v0 && plan.config.resolvedEncoderAttention != .eager
      && plan.model.vision != nil
    {
      lines.append("# assumes a vLLM whose vision tower uses memory-efficient attention (0.6 or later)")
    }
    let command = (["vllm serve " + flags[0]] + flags.dropFirst().map { "  " + $0 }).joined(
      separator: " \\\n")
    if plan.nodes > 1 {
      lines += [
        "# 1. on every node: the same vLLM and model path, the network between nodes reachable (NCCL_SOCKET_IFNAME"
          + " or GLOO_SOCKET_IFNAME if several interfaces)"
          + (s.version == .v1 ? "; Ray is not a dependency of vLLM 0.33: pip install ray" : ""),
        "# 2. on the head node (node 0):",
        "ray start --head --port=6379",
        "# 3. on each of the other \(plan.nodes - 1) node(s):",
        "ray start --address=HEAD_NODE_IP:6379",
        "# 4. on the head node, once `ray status` shows \(used) GPUs:",
      ]
    }
    lines += environment.map { "export " + $0 }
    lines.append(command)
    if plan.nodes > 1 && s.version == .v1 {
      // vLLM 0.33 also starts several nodes itself (`--nnodes`, `--node-rank`, `--master-addr`,
      // `--headless` on the other nodes; they parse in its own argument parser).
      let flagsWithoutRay = flags.dropFirst().filter { !$0.hasPrefix("--distributed-executor-backend") }
      let same = flagsWithoutRay.joined(separator: " ")
      lines += [
        "# or without Ray (vLLM 0.33 starts the nodes itself), the same flags without --distributed-executor-backend:",
        "#   node 0: vllm serve \(flags[0]) \(same) --nnodes \(plan.nodes) --node-rank 0 --master-addr HEAD_NODE_IP",
      ]
      for rank in 1..<plan.nodes {
        lines.append(
          "#   node \(rank): vllm serve \(flags[0]) \(same) --nnodes \(plan.nodes) --node-rank \(rank) "
            + "--master-addr HEAD_NODE_IP --headless")
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
