/// The vLLM runtime of ``Planner``: `model + GPUs + engine settings -> layouts -> the best that
/// starts`.
enum ServingPlanner {
  /// Plans the request; where vLLM would not start, also the settings that make it start.
  ///
  /// - Throws: ``PlanningError`` when no plan can be made: no GPU, a dtype the GPUs cannot run,
  ///   or a tensor or pipeline size the model or GPUs do not allow.
  static func plan(_ request: PlanRequest) throws(PlanningError) -> EngineLayout {
    var plan = try replicated(request)
    if !plan.starts && plan.refusals.isEmpty {
      plan.recommendations = recommendations(for: request, plan: plan)
    }
    return plan
  }

  /// Why vLLM cannot run on these GPUs at all.
  static func refusals(_ gpus: [GPU]) -> [String] {
    guard let old = gpus.first(where: { $0.computeCapability < 70 }) else { return [] }
    return [
      "vLLM ships no kernels for \(old.name) (sm_\(old.computeCapability)): its wheels start at sm_70 "
        + "(\"no kernel image is available\", vllm-project/vllm#1431, #8626); "
        + "use --runtime llama.cpp (--format llama-cpp)"
    ]
  }

  /// The best of one engine on every GPU and `d` data-parallel replicas on `n / d` GPUs each (for
  /// each `d` dividing the GPU count, identical GPUs of one node only): replicas where `d ×` a
  /// replica's throughput beats one engine's, or where only they start. `--data-parallel-size`
  /// fixes `d`; fixed tensor or pipeline sizes keep one engine unless it is given.
  static func replicated(_ request: PlanRequest) throws(PlanningError) -> EngineLayout {
    let count = request.gpus.count
    let identical = Set(request.gpus.map(\.name)).count == 1
    if let fixed = request.serving.dataParallel, fixed > 1 {
      guard count % fixed == 0, identical, request.serving.nodes == 1 else {
        throw PlanningError(
          .invalidParallelism,
          "\(fixed) data-parallel replicas need identical GPUs of one node in a multiple of \(fixed) "
            + "(there are \(count))")
      }
      return try replica(request, of: fixed)
    }
    let single = try evaluate(request)
    guard request.serving.dataParallel == nil, identical, request.serving.nodes == 1, count > 1,
      request.serving.tensorParallel == nil, request.serving.pipelineParallel == nil
    else { return single }
    var best = single
    func total(_ plan: EngineLayout) -> Double {
      plan.starts ? plan.layout.throughputTokensPerSecond * Double(plan.dataParallel) : -1
    }
    for replicas in 2...count where count % replicas == 0 {
      guard let candidate = try? replica(request, of: replicas) else { continue }
      // More than 2% more tokens per second: replicas cost a copy of the weights each.
      if total(candidate) > total(best) * 1.02 { best = candidate }
    }
    return best
  }

  /// `replicas` engines, each planned on `count / replicas` of the GPUs.
  static func replica(_ request: PlanRequest, of replicas: Int) throws(PlanningError) -> EngineLayout {
    var one = request
    one.gpus = Array(request.gpus.prefix(request.gpus.count / replicas))
    one.serving.dataParallel = 1
    var plan = try evaluate(one)
    plan.dataParallel = replicas
    plan.gpus = request.gpus
    return plan
  }

  /// The plan for the request's own settings, without recommendations.
  static func evaluate(_ request: PlanRequest) throws(PlanningError) -> EngineLayout {
    let dtypes = try Planner.dtypes(for: request)
    let model = request.model
    var settings = request.serving.resolved(maxPositions: model.serving.maxPositions, gpu: request.gpus.first)
    var memory = VLLMMemory(
      model: model, settings: settings, encoderAttention: request.serving.resolvedEncoderAttention,
      weightDType: dtypes.weight, computeDType: dtypes.compute,
      kvDType: request.workload.kvDType ?? dtypes.compute,
      nonTorch: VLLMMemory.nonTorch(for: request.runtimeProfile))
    var layouts = try ServingSearch(request: request, memory: memory).layouts()
    if request.serving.autoMaxModelLen && settings.version == .v1 && request.serving.maxModelLen == nil {
      // `--max-model-len auto`: the longest length the KV cache holds, at most the model's (the
      // cache's size does not depend on the length, so one more search settles it).
      let longest = min(layouts[0].kvTokens, Int64(settings.maxModelLen))
      if longest > 0 && longest < Int64(settings.maxModelLen) {
        var changed = request.serving
        changed.maxModelLen = Int(longest)
        settings = changed.resolved(maxPositions: model.serving.maxPositions, gpu: request.gpus.first)
        memory.settings = settings
        layouts = try ServingSearch(request: request, memory: memory).layouts()
      }
    }
    // Tensor parallelism stays inside one server: never wider than its GPUs.
    let narrow = layouts.filter { $0.tensorParallel <= max(request.serving.gpusPerNode, 1) }
    if !narrow.isEmpty && request.serving.tensorParallel == nil { layouts = narrow }
    var best = layouts[0]
    if let failure = configurationFailure(settings, model: model) { best.failure = failure }
    var workload = request.workload
    workload.batch = 1
    let image: Double? =
      model.vision != nil && workload.images > 0
      ? imageSeconds(
        model: model, workload: workload, dtypes: dtypes,
        gpu: request.gpus[best.stages[0].gpus[0] % request.gpus.count], runtime: request.runtimeProfile)
      : nil
    return EngineLayout(
      model: model, gpus: request.gpus, nodes: request.serving.nodes, workload: request.workload,
      config: request.serving, settings: settings, weightDType: dtypes.weight, computeDType: dtypes.compute,
      kvDType: memory.kvDType, dtypeNotes: dtypes.notes, strategy: request.strategy, layout: best,
      alternatives: Array(layouts.dropFirst()), refusals: refusals(request.gpus), recommendations: [],
      imageSeconds: image)
  }

  /// The layout search for the request with `settings`.
  static func search(_ request: PlanRequest, settings: ServingConfig.Resolved, dtypes: Planner.DTypes)
    -> ServingSearch
  {
    let memory = VLLMMemory(
      model: request.model, settings: settings, encoderAttention: request.serving.resolvedEncoderAttention,
      weightDType: dtypes.weight, computeDType: dtypes.compute,
      kvDType: request.workload.kvDType ?? dtypes.compute,
      nonTorch: VLLMMemory.nonTorch(for: request.runtimeProfile))
    return ServingSearch(request: request, memory: memory)
  }

  /// The errors vLLM raises on the settings alone, before loading anything.
  static func configurationFailure(_ settings: ServingConfig.Resolved, model: ModelGraph) -> ServingFailure? {
    if let positions = model.serving.maxPositions, Int64(settings.maxModelLen) > positions {
      return ServingFailure(
        phase: .configuration, gpu: nil,
        message:
          "ValueError: User-specified max_model_len (\(settings.maxModelLen)) is greater than the derived "
          + "max_model_len (max_position_embeddings=\(positions) in the model's config.json)")
    }
    // V1 prefills in chunks: fewer batched tokens than the model length are allowed.
    if settings.version == .v0 && settings.maxNumBatchedTokens < settings.maxModelLen {
      return ServingFailure(
        phase: .configuration, gpu: nil,
        message:
          "ValueError: max_num_batched_tokens (\(settings.maxNumBatchedTokens)) is smaller than max_model_len "
          + "(\(settings.maxModelLen)): raise --max-num-batched-tokens or lower --max-model-len")
    }
    if settings.maxNumBatchedTokens < settings.maxNumSeqs {
      return ServingFailure(
        phase: .configuration, gpu: nil,
        message:
          "ValueError: max_num_batched_tokens (\(settings.maxNumBatchedTokens)) must be greater than or equal to "
          + "max_num_seqs (\(settings.maxNumSeqs))")
    }
    return nil
  }

  /// Seconds to encode one request's images on `gpu` (the vision tower is whole on every GPU of
  /// the first stage).
  static func imageSeconds(
    model: ModelGraph, workload: Workload, dtypes: Planner.DTypes, gpu: GPU, runtime: RuntimeProfile
  ) -> Double {
    let cost = CostModel(
      memory: MemoryModel(
        model: model, workload: workload, weightDType: dtypes.weight, computeDType: dtypes.compute,
        runtime: runtime))
    return model.layers.filter { $0.stream == .vision }.reduce(0) { $0 + cost.encode($1, on: gpu).seconds }
  }

  /// Settings that start on the same GPUs: shorter `max_model_len` and fewer `max_num_seqs` than
  /// asked (each pair planned), the longest context first and, for it, the most sequences;
  /// then `--enforce-eager` where only CUDA graphs do not fit.
  static func recommendations(for request: PlanRequest, plan: EngineLayout) -> [ServingRecommendation] {
    if plan.layout.failure?.phase == .configuration { return [] }
    let asked = plan.settings
    // Settings do not change the weights: where no layout loads them, no settings start (and the
    // search below would plan up to 45 settings for nothing).
    if plan.layout.failure?.phase == .loading, let dtypes = try? Planner.dtypes(for: request),
      !search(request, settings: asked, dtypes: dtypes).someLayoutLoadsWeights()
    {
      return []
    }
    let lengths = ([asked.maxModelLen] + [16384, 8192, 4096, 2048]).filter { $0 <= asked.maxModelLen }
    let counts = ([asked.maxNumSeqs] + [128, 64, 32, 16, 8, 4, 2, 1]).filter { $0 <= asked.maxNumSeqs }
    var found: [ServingRecommendation] = []
    var bestCount = 0
    for length in Array(Set(lengths)).sorted(by: >) {
      for count in Array(Set(counts)).sorted(by: >) where count > bestCount {
        var changed = request
        changed.serving.maxModelLen = length
        changed.serving.maxNumSeqs = count
        if request.serving.maxNumBatchedTokens == nil { changed.serving.maxNumBatchedTokens = nil }
        guard let candidate = try? evaluate(changed), candidate.starts else { continue }
        found.append(ServingRecommendation(candidate))
        bestCount = count
        break
      }
      if found.count == 3 || bestCount == asked.maxNumSeqs { break }
    }
    if found.isEmpty && !asked.enforceEager && plan.layout.failure?.phase == .cudaGraphs {
      var changed = request
      changed.serving.enforceEager = true
      if let candidate = try? evaluate(changed), candidate.starts {
        found.append(ServingRecommendation(candidate))
      }
    }
    return found
  }
}
