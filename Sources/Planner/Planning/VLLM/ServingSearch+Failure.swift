/// The first error vLLM raises starting a layout, in the order it would meet them.
extension ServingSearch {
  /// The first error vLLM raises starting the layout, in the order it would meet them.
  func failure(of layout: ServingLayout) -> ServingFailure? {
    let settings = memory.settings
    for stage in layout.stages where stage.memory.weights + stage.memory.nonTorch > stage.memory.usable {
      let m = stage.memory
      return ServingFailure(
        phase: .loading, gpu: stage.gpus[0],
        message:
          "torch.OutOfMemoryError: CUDA out of memory loading the weights: \(m.weights.formatted()) on each "
          + "GPU of the stage, \(m.usable.formatted()) usable")
    }
    for stage in layout.stages
    where stage.memory.weights + stage.memory.activationPeak + stage.memory.nonTorch > stage.memory.usable {
      let m = stage.memory
      let what =
        m.dummyImages > 0 && m.encoderPeak >= m.activationPeak - m.encoderPeak
        ? "\(m.dummyImages) dummy images through the vision tower (\(memory.encoderAttention.rawValue) attention) "
          + "need \(m.encoderPeak.formatted())"
        : "a forward of \(settings.maxNumBatchedTokens) tokens needs \(m.activationPeak.formatted())"
      return ServingFailure(
        phase: .profiling, gpu: stage.gpus[0],
        message:
          "torch.OutOfMemoryError: CUDA out of memory in the profiling run: \(what), "
          + "\((m.usable - m.weights - m.nonTorch).formatted()) is left after the weights")
    }
    if let stage = layout.stages.first(where: { $0.memory.blocks <= 0 }) {
      return ServingFailure(
        phase: .kvCache, gpu: stage.gpus[0],
        message:
          "ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when "
          + "initializing the engine. (\(stage.memory.kvAvailable.formatted()) left of "
          + "\(stage.memory.budget.formatted()))")
    }
    if layout.kvTokens < Int64(settings.maxModelLen) {
      let stage = layout.stages.min { $0.memory.blocks < $1.memory.blocks }!
      if settings.version == .v1 {
        // `_check_enough_kv_cache_memory` (`v1/core/kv_cache_planning.py`).
        let perToken = stage.memory.blockBytes / Int64(ServingConfig.blockSize)
        let needed = ByteCount(.saturatingProduct(perToken, Int64(settings.maxModelLen)))
        return ServingFailure(
          phase: .kvCache, gpu: stage.gpus[0],
          message:
            "ValueError: To serve at least one request with the model's max seq len (\(settings.maxModelLen)), "
            + "(\(needed.gibibytes) GiB KV cache is needed, which is larger than the available KV cache memory "
            + "(\(stage.memory.kvAvailable.gibibytes) GiB). Based on the available memory, the estimated maximum "
            + "model length is \(layout.kvTokens). Try increasing `gpu_memory_utilization` or decreasing "
            + "`max_model_len` when initializing the engine.")
      }
      return ServingFailure(
        phase: .kvCache, gpu: stage.gpus[0],
        message:
          "ValueError: The model's max seq len (\(settings.maxModelLen)) is larger than the maximum number of tokens "
          + "that can be stored in KV cache (\(layout.kvTokens)). Try increasing `gpu_memory_utilization` or "
          + "decreasing `max_model_len` when initializing the engine.")
    }
    for stage in layout.stages where stage.memory.cudaGraphs > stage.memory.freeForGraphs {
      return ServingFailure(
        phase: .cudaGraphs, gpu: stage.gpus[0],
        message:
          "torch.OutOfMemoryError: CUDA out of memory capturing CUDA graphs: about "
          + "\(stage.memory.cudaGraphs.formatted()) needed, \(max(.zero, stage.memory.freeForGraphs).formatted()) "
          + "free after the KV cache: lower --gpu-memory-utilization or use --enforce-eager")
    }
    return nil
  }
}
