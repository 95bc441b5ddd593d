/// What to plan: a model on GPUs for a workload, with a strategy.
public struct PlanRequest: Sendable {
  public var model: ModelGraph
  /// The GPUs in device index order.
  public var gpus: [GPU]
  public var workload: Workload
  public var strategy: Strategy
  /// The user's `--max-memory`, in accelerate's form.
  public var maxMemory: MaxMemory?
  public var runtime: RuntimeProfile

  public init(
    model: ModelGraph, gpus: [GPU], workload: Workload = Workload(), strategy: Strategy = .auto,
    maxMemory: MaxMemory? = nil, runtime: RuntimeProfile = .transformers
  ) {
    self.model = model
    self.gpus = gpus
    self.workload = workload
    self.strategy = strategy
    self.maxMemory = maxMemory
    self.runtime = runtime
  }
}

/// Why a request cannot be planned at all (as opposed to a plan that does not fit).
public struct PlanningError: Error, Equatable, CustomStringConvertible {
  public var description: String
}

/// The library's entry point: `model + GPUs + workload -> problem -> strategy -> plan`.
///
///     let model = ModelCatalog.entry(named: "minicpm-v-2.6")!.build()
///     let gpus = try GPUList.parse("2xP4")
///     let plan = try Planner.plan(PlanRequest(model: model, gpus: gpus))
///     print(plan.fits, plan.weightDType)   // true int8
public enum Planner {
  /// Plans the request.
  ///
  /// With `dtype` `auto`, the model's native dtype is kept where every GPU runs it natively, and
  /// bf16 falls back to fp16 on GPUs older than compute capability 8.0. If that does not fit
  /// even placed memory-balanced, int8 and then int4 weight-only quantization are tried, and the
  /// first that fits is used, labelled; if none fits, the 16-bit plan is returned with
  /// `fits == false`. The requested strategy then places the model at the chosen dtype.
  ///
  /// - Throws: ``PlanningError`` when no plan can be made: no GPU, or a dtype the GPUs cannot run.
  /// - Complexity: that of the strategy, at most three times.
  public static func plan(_ request: PlanRequest) throws(PlanningError) -> Plan {
    guard !request.gpus.isEmpty else {
      throw PlanningError(description: "no GPU given: use --gpus (for example 2xP4)")
    }
    let native = request.model.nativeDType
    let noBF16 = request.gpus.first { !$0.supportsBF16 }
    var notes: [String] = []
    let compute: DType
    var candidates: [DType]
    switch request.workload.dtype {
    case .auto:
      if native == .bf16, let old = noBF16 {
        compute = .fp16
        notes.append(
          "bf16 -> fp16: \(old.name) (sm_\(old.computeCapability)) has no native bf16; "
            + "fp16 overflows where bf16 does not (values above 65504 become inf)")
      } else {
        compute = native.isQuantized ? .fp16 : native
        notes.append("\(compute): the checkpoint's dtype, native on every GPU")
      }
      candidates = [compute, .int8, .int4]
    case .fixed(let dtype):
      if dtype == .bf16, let old = noBF16 {
        throw PlanningError(
          description:
            "--dtype bf16: \(old.name) (sm_\(old.computeCapability)) has no native bf16; use --dtype fp16 or auto"
        )
      }
      if dtype == .fp8, let old = request.gpus.first(where: { !$0.supportsFP8 }) {
        throw PlanningError(
          description:
            "--dtype fp8: \(old.name) (sm_\(old.computeCapability)) has no fp8 (needs sm_89 or later); use int8"
        )
      }
      compute = dtype.isQuantized ? (noBF16 == nil && native == .bf16 ? .bf16 : .fp16) : dtype
      candidates = [dtype]
      notes.append(
        dtype.isQuantized ? "\(dtype) weights, \(compute) compute: as requested" : "\(dtype): as requested")
    }

    // The dtype is the first candidate that fits when placed well (memory-balanced), whatever
    // strategy was asked for: a parity strategy then shows honestly whether accelerate's own map
    // fits at that dtype, instead of quantizing because accelerate placed badly.
    func problem(_ weight: DType) -> PlacementProblem {
      let memory = MemoryModel(
        model: request.model, workload: request.workload, weightDType: weight, computeDType: compute,
        runtime: request.runtime)
      return PlacementProblem(
        model: request.model, gpus: request.gpus, memory: memory, userMaxMemory: request.maxMemory)
    }
    func bestPlan(_ weight: DType) -> Plan {
      let p = problem(weight)
      return Plan(problem: p, placement: Strategy.memory.place(p), strategy: .memory, dtypeNotes: [])
    }
    let unquantized = bestPlan(candidates[0])
    var chosen = candidates[0]
    if !unquantized.fits {
      if let weight = candidates.dropFirst().first(where: { bestPlan($0).fits }) {
        chosen = weight
        notes.append(
          "\(weight) weight-only quantization: \(candidates[0]) does not fit "
            + "(\(unquantized.gpuMemory.formatted()) needed, \(unquantized.gpuCapacity.formatted()) usable); "
            + "quality drops slightly, check it on your task")
      } else if candidates.count > 1 {
        notes.append("does not fit even with int8 or int4 weight-only quantization")
      }
    }
    let final = problem(chosen)
    return Plan(
      problem: final, placement: request.strategy.place(final), strategy: request.strategy, dtypeNotes: notes)
  }
}
