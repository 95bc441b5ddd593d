/// The SGLang runtime of ``Planner``: tensor parallel groups of the GPUs, replicated by data
/// parallelism, with SGLang's memory settings (``SGLangMemory``).
///
/// Kept small: one layout, tensor parallel only (no pipeline stages) within one node of up to 8
/// GPUs, the smallest group whose KV cache holds one request of the context length (the most
/// replicas); weights and KV bytes per GPU as vLLM shards them (``VLLMMemory``), which SGLang's
/// tensor parallelism matches for dense and MoE layers; speed as the vLLM runtime's bandwidth
/// bound.
enum SGLangPlanner {
  /// GPUs of one node SGLang's tensor parallelism spans at most here.
  static let maxTensorParallel = 8

  static func plan(_ request: PlanRequest, config: SGLangConfig) throws(PlanningError) -> SGLangLayout {
    let dtypes = try Planner.dtypes(for: request)
    let model = request.model
    let heads = model.layers.first { $0.kind == .decoder }?.attentionHeads ?? 1
    let sizes: [Int]
    if let tp = config.tensorParallel {
      guard tp >= 1, tp <= request.gpus.count, heads % Int64(tp) == 0 else {
        throw PlanningError(
          .invalidParallelism, setting: .init(.tensorParallel, "\(tp)"),
          "SGLang needs the \(heads) attention heads divisible by the tensor-parallel size, and at most the "
            + "\(request.gpus.count) GPU(s)")
      }
      sizes = [tp]
    } else {
      sizes = [1, 2, 4, 8].filter {
        $0 <= min(request.gpus.count, maxTensorParallel) && heads % Int64($0) == 0
      }
    }
    guard !sizes.isEmpty else {
      throw PlanningError(.invalidParallelism, "no tensor-parallel size divides the \(heads) attention heads")
    }
    let layouts = sizes.map { layout(request, config: config, dtypes: dtypes, tp: $0) }
    return layouts.first { $0.starts && $0.holdsContext } ?? layouts.first { $0.starts } ?? layouts.last!
  }

  static func layout(_ request: PlanRequest, config: SGLangConfig, dtypes: Planner.DTypes, tp: Int)
    -> SGLangLayout
  {
    let model = request.model
    let smallest = request.gpus.min { $0.cudaTotal < $1.cudaTotal }!
    let gpuMiB = Double(smallest.cudaTotal.value) / 1_048_576
    let defaults = SGLangMemory.defaults(gpuMiB: gpuMiB, tensorParallel: tp)
    let chunk = config.chunkedPrefillSize ?? defaults.chunkedPrefill
    // Multi-head latent attention: the DeepSeek importer says so in the model's summary.
    let mla = model.summary.contains("MLA")
    var reserve: Double?
    let fraction: Double
    if let given = config.memFractionStatic {
      fraction = given
    } else {
      let r = SGLangMemory.reserveMiB(
        gpuMiB: gpuMiB, chunkedPrefill: chunk, decodeMaxBatch: defaults.decodeMaxBatch, tensorParallel: tp,
        pipelineParallel: 1, mla: mla)
      reserve = r
      fraction = SGLangMemory.memFractionStatic(gpuMiB: gpuMiB, reserveMiB: r, vision: visionTower(model))
    }
    let kvDType = request.workload.kvDType ?? dtypes.compute
    var settings = ServingConfig().resolved(maxPositions: model.serving.maxPositions, gpu: smallest)
    settings.maxModelLen =
      config.contextLength ?? Int(model.serving.maxPositions ?? Int64(request.workload.contextTokens))
    let memory = VLLMMemory(
      model: model, settings: settings, encoderAttention: .sdpa, weightDType: dtypes.weight,
      computeDType: dtypes.compute, kvDType: kvDType)
    let contents = memory.contents(of: model.layers, tp: tp)
    // Free memory before loading: what a process can allocate beside its CUDA context.
    let before = Double(smallest.usableMemory.value)
    var pool = Int64(before * fraction) - contents.weights
    if model.vision != nil { pool -= SGLangMemory.visionCacheMiB << 20 }
    var failure: String?
    if Double(contents.weights) >= before {
      failure =
        "torch.OutOfMemoryError loading the weights: \(ByteCount(contents.weights).formatted()) per GPU at tensor "
        + "parallel \(tp), \(smallest.usableMemory.formatted()) free on \(smallest.name)"
    } else if pool <= 0 {
      let minimum = 1 - (before - Double(contents.weights)) / before
      failure =
        "ValueError: Loaded weights leave no GPU memory for the KV cache under --mem-fraction-static="
        + "\(format(fraction)). Raise --mem-fraction-static above \(format((minimum * 1000).rounded(.up) / 1000))"
    }
    let dp = config.dataParallel ?? max(1, request.gpus.count / tp)
    if tp * dp > request.gpus.count {
      failure = "--tp \(tp) x --dp \(dp) needs \(tp * dp) GPUs; --gpus lists \(request.gpus.count)"
    }
    // The bandwidth bound of the vLLM runtime's profile: one GPU streams its weights each step.
    let profile = request.runtimeProfile
    let decode =
      Double(contents.weights) / (smallest.bandwidthBytesPerSecond * profile.memoryEfficiency)
      + profile.hostSecondsPerStep
    let flops = Double(2 * model.parameterCount) * Double(request.workload.contextTokens)
    let prefill = flops / (Double(tp) * smallest.fp16FLOPS * profile.computeEfficiency)
    let batch = Double(max(1, request.workload.batch))
    let throughput = decode > 0 ? batch * Double(dp) / decode : 0
    return SGLangLayout(
      model: model, gpus: request.gpus, workload: request.workload, config: config,
      weightDType: dtypes.weight,
      computeDType: dtypes.compute, kvDType: kvDType, dtypeNotes: dtypes.notes, tensorParallel: tp,
      dataParallel: dp, gpuMiB: gpuMiB, chunkedPrefill: chunk, decodeMaxBatch: defaults.decodeMaxBatch,
      reserveMiB: reserve, memFractionStatic: fraction, contextLength: settings.maxModelLen,
      weightsPerGPU: ByteCount(contents.weights), kvPool: ByteCount(pool),
      kvBytesPerToken: contents.kvBytesPerToken,
      failure: failure, decodeSecondsPerToken: decode, prefillSeconds: prefill,
      throughputTokensPerSecond: throughput,
      ranges: SpeedRanges(
        decodeSecondsPerToken: decode, prefillSeconds: prefill, throughputTokensPerSecond: throughput,
        spread: profile.timeSpread))
  }

  /// The vision tower's blocks and width, as `adjust_mem_fraction_for_vlm` reads them from
  /// `vision_config`; `nil` without one.
  static func visionTower(_ model: ModelGraph) -> (layers: Int64, width: Int64)? {
    guard model.vision != nil else { return nil }
    let blocks = model.layers.filter { $0.stream == .vision && $0.kind == .visionBlock }
    guard let first = blocks.first else { return nil }
    // The width: the block's output, or else its first norm's length.
    var width = first.outputElementsPerToken
    if width == 0 {
      let prefix = first.module + "."
      width =
        model.tensors.first {
          $0.name.hasPrefix(prefix) && $0.name.contains("norm") && $0.tensor.shape.count == 1
        }?.tensor.shape[0] ?? 0
    }
    return (blocks.reduce(0) { $0 + Int64($1.encoderBlocks) }, width)
  }

  /// `0.871`.
  static func format(_ value: Double) -> String {
    var text = String((value * 1000).rounded() / 1000)
    if text.hasSuffix(".0") { text.removeLast(2) }
    return text
  }
}
