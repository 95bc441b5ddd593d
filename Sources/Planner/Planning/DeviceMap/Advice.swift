/// The smallest changes that make a request fit, each checked by planning it: weight-only
/// quantization, a shorter context, a smaller batch, one more GPU of a named kind, or offloading
/// to host memory with its cost per token.
enum Advice {
  /// Contexts are searched in steps of this many tokens.
  static let contextStep = 256
  /// More GPUs than this are not suggested (a cluster, not a box).
  static let maximumGPUsAdvised = 16

  /// The changes that fit, in the order the issue asks for: dtype, context, batch, one more GPU,
  /// CPU offload. Each line says what to pass and what it costs.
  ///
  /// - Complexity: a few dozen plans (a binary search over the context and the batch).
  static func changes(thatFit request: PlanRequest, dtypes: Planner.DTypes) -> [String] {
    var advice: [String] = []
    // accelerate's maps depend on the model, the dtypes and the budgets, not on the context or the
    // batch the probes change: each distinct one is placed once and judged under every workload.
    var accelerateMaps: [PlacementKey: Placement] = [:]
    // Its module sizes depend on the dtypes alone: computed once per pair for every budget probed.
    var moduleSizes: [[DType]: (sizes: Accelerate.ModuleSizes, order: [String])] = [:]
    func fits(_ changed: PlanRequest) -> DeviceMapLayout? {
      let plan: DeviceMapLayout
      if changed.strategy.isAccelerateParity {
        guard let dtypes = try? Planner.dtypes(for: changed) else { return nil }
        let problem = Planner.problem(changed, weight: dtypes.weight, compute: dtypes.compute)
        let key = PlacementKey(
          strategy: changed.strategy, weight: dtypes.weight, compute: dtypes.compute,
          budgets: problem.accelerateMaxMemory, userSet: problem.userMaxMemory != nil)
        let placement: Placement
        if let known = accelerateMaps[key] {
          placement = known
        } else {
          let pair = [dtypes.weight, dtypes.compute]
          let sizes = moduleSizes[pair] ?? AccelerateStrategy.moduleSizes(problem)
          moduleSizes[pair] = sizes
          placement = AccelerateStrategy(strategy: changed.strategy).place(problem, sizes: sizes)
          accelerateMaps[key] = placement
        }
        plan = DeviceMapLayout(
          problem: problem, placement: placement, strategy: changed.strategy, dtypeNotes: dtypes.notes)
      } else {
        guard let planned = try? Planner.plan(withoutAdvice: changed) else { return nil }
        plan = planned
      }
      return plan.fits ? plan : nil
    }
    func cost(_ plan: DeviceMapLayout) -> String {
      "\(plan.weightDType) weights, \(DurationFormatting.seconds(plan.estimate.decodeSecondsPerToken))/token, "
        + "\(plan.gpuMemory.formatted()) on GPUs"
    }

    // accelerate's map overflows where the planner's own placement fits.
    if request.strategy.isAccelerateParity {
      var changed = request
      changed.strategy = .auto
      if let plan = fits(changed) {
        advice.append(
          "--strategy auto: the same GPUs, placed with KV cache and activations counted (\(cost(plan)))")
      }
    }

    // Video and audio: attention, video length, frame rate and size, speech output.
    advice += mediaChanges(request, fits: fits, cost: cost)

    // A smaller weight dtype, where the user fixed a larger one: the one the dtype ladder would take
    // (int4 before int8 where int8's kernels are the slower, as bitsandbytes' under transformers).
    if case .fixed(let dtype) = request.workload.dtype {
      for smaller in Planner.quantizations(request) where smaller.bits < dtype.bits {
        var changed = request
        changed.workload.dtype = .fixed(smaller)
        if let plan = fits(changed) {
          advice.append("--dtype \(smaller): weight-only quantization (\(cost(plan)))")
          break
        }
      }
    }
    // The longest context that fits, to a multiple of contextStep.
    if request.workload.contextTokens > contextStep {
      var low = 0
      var high = request.workload.contextTokens / contextStep
      while low < high {
        let middle = (low + high + 1) / 2
        var changed = request
        changed.workload.contextTokens = middle * contextStep
        if fits(changed) != nil { low = middle } else { high = middle - 1 }
      }
      if low > 0 {
        var changed = request
        changed.workload.contextTokens = low * contextStep
        advice.append(
          "--context \(low * contextStep): the longest context that fits (\(cost(fits(changed)!)))")
      }
    }
    // The largest batch that fits.
    if request.workload.batch > 1 {
      var low = 0
      var high = request.workload.batch - 1
      while low < high {
        let middle = (low + high + 1) / 2
        var changed = request
        changed.workload.batch = middle
        if fits(changed) != nil { low = middle } else { high = middle - 1 }
      }
      if low > 0 { advice.append("--batch \(low): the largest batch that fits") }
    }
    // One more GPU of a kind already there (the smallest that is enough); failing that, how many
    // of the largest kind there it takes.
    let kinds = request.gpus.reduce(into: [GPU]()) { kinds, gpu in
      if !kinds.contains(where: { $0.name == gpu.name }) { kinds.append(gpu) }
    }.sorted { ($0.usableMemory, $0.name) < ($1.usableMemory, $1.name) }
    var added = false
    for gpu in kinds {
      var changed = request
      changed.gpus.append(gpu)
      changed.topology = nil
      if let plan = fits(changed) {
        advice.append("add one \(gpu.name): --gpus \(gpuList(changed.gpus)) (\(cost(plan)))")
        added = true
        break
      }
    }
    if !added, let largest = kinds.last {
      var changed = request
      changed.topology = nil
      while changed.gpus.count < maximumGPUsAdvised {
        changed.gpus.append(largest)
        if let plan = fits(changed) {
          advice.append(
            "\(changed.gpus.count - request.gpus.count) more \(largest.name): --gpus \(gpuList(changed.gpus)) "
              + "(\(cost(plan)))")
          break
        }
      }
    }
    // Offload to host memory, as accelerate does.
    if request.maxMemory?[.cpu] == nil {
      var changed = request
      changed.strategy = .sequential
      var caps =
        request.maxMemory
        ?? MaxMemory(request.gpus.indices.map { (Device.gpu($0), request.gpus[$0].usableMemory) })
      caps[.cpu] = ByteCount(PlacementProblem.unlimitedHostMemory)
      changed.maxMemory = caps
      if let plan = fits(changed), let offloaded = plan.devices.first(where: { $0.device == .cpu }) {
        advice.append(
          "offload \(offloaded.memory.weights.formatted()) to host memory "
            + "(--strategy sequential --max-memory ...,cpu:SIZE): \(cost(plan)), streamed over PCIe every step"
        )
      }
    }
    return advice
  }

  /// What accelerate's placement of one model depends on (``AccelerateStrategy``).
  struct PlacementKey: Hashable {
    var strategy: Strategy
    var weight: DType
    var compute: DType
    var budgets: MaxMemory
    var userSet: Bool
  }

  /// `2xP4,1xT4` for a GPU list.
  static func gpuList(_ gpus: [GPU]) -> String {
    GPUList.runs(gpus).map { "\($0.count)x\($0.gpu.name)" }.joined(separator: ",")
  }
}

extension Planner {
  /// ``plan(_:)`` without the advice search (the advice search's own probes).
  static func plan(withoutAdvice request: PlanRequest) throws(PlanningError) -> DeviceMapLayout {
    place(request, dtypes: try dtypes(for: request), strategy: request.strategy)
  }
}
