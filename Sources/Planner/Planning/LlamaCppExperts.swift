/// llama.cpp's `--n-cpu-moe N` as a way to fit a mixture-of-experts model: the routed experts of
/// the first `N` layers stay in host memory and run on the CPU (common/arg.cpp: the tensor
/// override `blk\.i\.ffn_(up|down|gate)_exps` to the CPU for every layer `i < N`), the rest of
/// every layer (attention, router, shared experts) on the GPUs.
///
/// What it costs: each decode step reads the routed experts its tokens choose from host memory at
/// host bandwidth (``HostMemory``, `--host-memory`), where the GPU would have read them at its own;
/// prefill copies the host experts to
/// the GPU for every micro-batch (ggml's scheduler offloads an op on CPU weights to the GPU for
/// batches of 32 tokens and more, `op_offload`), over PCIe.
enum LlamaCppExperts {
  /// Micro-batches of llama.cpp's default `n_ubatch` a prefill of the workload takes.
  static func microBatches(_ workload: Workload) -> Double {
    let tokens = Int64(workload.batch) * Int64(workload.contextTokens)
    return Double((tokens + LlamaCppMemory.defaultMicroBatch - 1) / LlamaCppMemory.defaultMicroBatch)
  }

  /// The llama.cpp plan with the routed experts of the first `N` decoder layers in host memory, for
  /// the smallest `N` that fits; `nil` where the runtime is not llama.cpp, the strategy reproduces
  /// accelerate, the model has no routed experts, or not even every layer's experts on the host fit.
  ///
  /// - Complexity: O(log *n*) placements for *n* decoder layers.
  static func plan(_ request: PlanRequest, dtypes: Planner.DTypes) -> DeviceMapLayout? {
    guard request.runtime.kind == .llamaCpp, !request.strategy.isAccelerateParity else { return nil }
    let decoders = request.model.layers.filter { $0.stream == .text && $0.kind == .decoder }
    guard decoders.contains(where: { ($0.routedExperts?.share ?? 0) > 0 }) else { return nil }
    func problem(_ count: Int) -> PlacementProblem {
      var problem = Planner.problem(request, weight: dtypes.weight, compute: dtypes.compute)
      problem.memory.hostExpertLayers = count
      problem.memory.llamaInputCopies = 1  // a tensor override turns pipeline parallelism off
      return problem
    }
    func layout(_ problem: PlacementProblem) -> DeviceMapLayout {
      DeviceMapLayout(
        problem: problem, placement: request.strategy.place(problem), strategy: request.strategy,
        dtypeNotes: dtypes.notes)
    }
    func attempt(_ count: Int) -> DeviceMapLayout { layout(problem(count)) }
    // As `auto` does, leave a tenth of every GPU free where a count allows it, else fill them.
    let fill = 1 - CostAwareStrategy.autoHeadroom
    func roomy(_ layout: DeviceMapLayout) -> Bool {
      layout.fits
        && layout.devices.allSatisfy { device in
          device.capacity.map { Double(device.memory.total.value) <= fill * Double($0.value) } ?? true
        }
    }
    let everyLayer = attempt(decoders.count)
    let test: (DeviceMapLayout) -> Bool = roomy(everyLayer) ? roomy : { $0.fits }
    guard test(everyLayer) else { return nil }
    // Fewer host layers never need less GPU memory: the smallest count that fits.
    var (low, high) = (1, decoders.count)
    while low < high {
      let middle = (low + high) / 2
      if test(attempt(middle)) { high = middle } else { low = middle + 1 }
    }
    let chosen = problem(high)
    var plan = layout(chosen)
    plan.notes.insert(note(plan, cost: chosen.cost, hostMemory: chosen.hostMemory), at: 0)
    return plan
  }

  /// What `--n-cpu-moe` does to a plan, and what the estimate counts for it (``Estimate``: the CPU
  /// time in the stage of the GPU that runs each layer, the copies in the prefill).
  static func note(_ layout: DeviceMapLayout, cost: CostModel, hostMemory: HostMemory) -> String {
    let hostLayers = layout.model.layers.filter { $0.stream == .text && $0.kind == .decoder }
      .prefix(layout.hostExpertLayers)
    let read = hostLayers.reduce(0.0) { $0 + cost.hostExpertRead($1) }
    let first = hostLayers.first?.module ?? "", last = hostLayers.last?.module ?? ""
    return
      "--n-cpu-moe \(layout.hostExpertLayers): the model fits on the GPUs only with the routed experts of the first "
      + "\(layout.hostExpertLayers) layers (\(first == last ? first : "\(first) to \(last)"), "
      + "\(layout.hostExpertBytes.formatted())) in host memory; llama.cpp computes them on the CPU, reading "
      + "\(ByteCount(Int64(read.rounded())).formatted()) a step from host memory (\(hostMemory); "
      + "--host-memory sets it), +\(DurationFormatting.seconds(read / hostMemory.bytesPerSecond)) a "
      + "token; prefill copies them to the GPU for every "
      + "\(LlamaCppMemory.defaultMicroBatch)-token micro-batch"
  }
}
