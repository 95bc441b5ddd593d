/// The library's entry point, for every runtime: `model + GPUs + workload -> problem -> strategy
/// -> plan`.
///
///     let model = ModelCatalog.entry(named: "minicpm-v-2.6")!.build()
///     let gpus = try GPUList.parse("2xP4")
///     let plan = try Planner.plan(PlanRequest(model: model, gpus: gpus))
///     print(plan.fits, plan.weightDType)   // true int8
public enum Planner {
  /// The dtypes a plan runs in, and why.
  public struct DTypes: Sendable, Hashable {
    public var weight: DType
    public var compute: DType
    public var notes: [String]
  }

  /// Plans the request with its runtime: chooses the dtypes, lays the model out (a device map, or
  /// an engine's parallel groups), estimates it, and where it does not fit, ranks the changes that
  /// would make it fit (``Plan/remedies``, each checked by planning it).
  ///
  /// - Throws: ``PlanningError`` when no plan can be made: no GPU, a dtype the GPUs cannot run, a
  ///   profile measured for another runtime, a parallel layout the model or GPUs do not allow.
  /// - Complexity: a device map, that of the strategy (``Strategy``) a few times, more where
  ///   remedies are searched (a few dozen plans); an engine, O(*g* · *s* · *n*²) for *g* tensor
  ///   parallel sizes, *s* stages and *n* decoder layers. Ties: see each strategy and
  ///   ``ServingSearch``; equal plans keep the earlier split, the fewer GPUs, the smaller tensor
  ///   parallel size.
  public static func plan(_ request: PlanRequest) throws(PlanningError) -> Plan {
    try check(request)
    if case .sglang(let config) = request.runtime {
      return Plan(request, sglang: try SGLangPlanner.plan(request, config: config))
    }
    let mediaNote = mediaContextNote(request)
    if request.runtime.kind.isEngine {
      return Plan(request, engine: try ServingPlanner.plan(request))
    }
    var layout = try deviceMap(request)
    let memory = MemoryModel(
      model: request.model, workload: request.workload, weightDType: layout.weightDType,
      computeDType: layout.computeDType, runtime: layout.runtime)
    layout.notes.insert(contentsOf: (mediaNote.map { [$0] } ?? []) + memory.mediaNotes, at: 0)
    return Plan(request, deviceMap: layout)
  }

  /// The note that says the context was raised where video and audio tokens need more than
  /// `--context` (``MediaTokens/context``: the memory and cost models use the raised one).
  static func mediaContextNote(_ request: PlanRequest) -> String? {
    let media = MediaTokens(workload: request.workload, model: request.model)
    guard media.raisesContext else { return nil }
    return
      "context raised from \(request.workload.contextTokens) to \(media.context) tokens: the video and audio "
      + "take \(media.tokens), and \(MediaTokens.textTokensKept) are kept for text"
  }

  /// Every strategy on the same request and dtypes, for `--compare`: auto, latency, throughput,
  /// memory, then accelerate's sequential, balanced and balanced_low_0. An engine plans its layouts
  /// together (``EngineLayout/alternatives``), so its comparison is its one plan.
  ///
  /// - Complexity: seven device maps (no remedies searched), or one engine plan.
  public static func compare(_ request: PlanRequest) throws(PlanningError) -> [Plan] {
    try check(request)
    if request.runtime.kind.isEngine || request.runtime.kind == .sglang { return [try plan(request)] }
    let dtypes = try dtypes(for: request)
    return Strategy.allCases.map { strategy in
      // Each plan's request is the one that plans it alone: the objective, or accelerate's mode.
      var placed = request
      placed.runtime =
        strategy.accelerateMode.flatMap { Runtime(request.runtime.kind, accelerate: $0) }
        ?? Runtime(request.runtime.kind)
      placed.objective = strategy.objective ?? request.objective
      return Plan(placed, deviceMap: place(placed, dtypes: dtypes, strategy: strategy))
    }
  }

  /// What makes a request unplannable whatever the runtime: no GPU, a profile of another runtime.
  static func check(_ request: PlanRequest) throws(PlanningError) {
    guard !request.gpus.isEmpty else {
      throw PlanningError.noGPU
    }
    if let profile = request.profile, profile.name != request.runtime.name {
      throw PlanningError(
        .profileMismatch,
        "the profile is for runtime \(profile.name), the request for \(request.runtime.name)")
    }
  }

  /// The device map of a request (transformers, llama.cpp, roofline), with its advice.
  static func deviceMap(_ request: PlanRequest) throws(PlanningError) -> DeviceMapLayout {
    let dtypes = try dtypes(for: request)
    var plan = place(request, dtypes: dtypes, strategy: request.strategy)
    // llama.cpp: a mixture-of-experts model that fits with some layers' experts in host memory
    // (`--n-cpu-moe`; before offloading whole layers, which llama.cpp runs on the CPU entirely).
    if !plan.fits, let experts = LlamaCppExperts.plan(request, dtypes: dtypes) { return experts }
    if !plan.fits, !request.strategy.isAccelerateParity, let caps = request.maxMemory,
      caps[.cpu] != nil || caps[.disk] != nil
    {
      // The user gave host memory: where no placement on the GPUs fits, offload the rest as
      // accelerate's sequential map does (the only strategy that offloads), with its cost.
      var offloaded = place(request, dtypes: dtypes, strategy: .sequential)
      if offloaded.fits {
        offloaded.notes.insert(
          "\(request.strategy.rawValue): no placement on the GPUs alone fits; --max-memory allows host memory, so "
            + "the layers that do not fit are offloaded as accelerate's sequential map places them (streamed to the "
            + "GPU every step: the decode time above counts it)", at: 0)
        return offloaded
      }
    }
    if !plan.fits { plan.advice = Advice.changes(thatFit: request, dtypes: dtypes) }
    return plan
  }

  /// The problem for a request at given dtypes.
  static func problem(_ request: PlanRequest, weight: DType, compute: DType) -> PlacementProblem {
    var memory = MemoryModel(
      model: request.model, workload: request.workload, weightDType: weight, computeDType: compute,
      runtime: request.runtimeProfile)
    // llama.cpp: placements search as if the model spans its GPUs (pipeline parallelism's input
    // copies); the plan counts what its own split gives (DeviceMapLayout).
    memory.llamaInputCopies = LlamaCppMemory.inputCopies(
      modelDevices: request.gpus.count, everyLayerOffloaded: true, tensorOverrides: false)
    return PlacementProblem(
      model: request.model, gpus: request.gpus, memory: memory, userMaxMemory: request.maxMemory,
      topology: request.topology, hostMemory: request.hostMemory)
  }

  static func place(_ request: PlanRequest, dtypes: DTypes, strategy: Strategy) -> DeviceMapLayout {
    let problem = problem(request, weight: dtypes.weight, compute: dtypes.compute)
    return DeviceMapLayout(
      problem: problem, placement: strategy.place(problem), strategy: strategy, dtypeNotes: dtypes.notes)
  }

  /// The weight dtype the ladder takes: the first of ``quantizations(_:)`` that fits. `nil` where
  /// none fits.
  static func ladder(request: PlanRequest, fits: (DType) -> Bool) -> DType? {
    quantizations(request).first(where: fits)
  }

  /// The weight-only quantizations to try for a request that does not fit, in the order to take
  /// them: the widest first (it loses the least quality), int8 then int4, except where the
  /// runtime's int8 kernels were measured slower than its int4 ones (``int8IsSlower(_:)``:
  /// bitsandbytes under transformers), where int4 alone (int8 fits nowhere int4 does not, so int4
  /// is faster wherever int8 fits). The ladder and the `--dtype` advice (``Advice``) both take the
  /// first that fits, so they cannot disagree.
  static func quantizations(_ request: PlanRequest) -> [DType] {
    int8IsSlower(request) ? [.int4] : [.int8, .int4]
  }

  /// Whether the runtime's measured int8 kernels take more host time than its int4 ones.
  static func int8IsSlower(_ request: PlanRequest) -> Bool {
    func factor(_ weight: DType) -> Double {
      QuantizedKernels.measured(
        weight: weight, quantization: request.model.quantization, runtime: request.runtimeProfile.name)?
        .hostFactor ?? 1
    }
    return factor(.int8) > factor(.int4)
  }

  /// The dtypes of a `--dtype` the user fixed (bf16 already checked by the caller, whose runtime
  /// words the refusal): fp8 needs sm_89; quantized weights compute in bf16 where the checkpoint is
  /// bf16 and every GPU runs it natively, else in fp16.
  static func fixed(_ dtype: DType, native: DType, gpus: [GPU]) throws(PlanningError) -> DTypes {
    if dtype == .fp8, let old = gpus.first(where: { !$0.supportsFP8 }) {
      throw PlanningError(
        .unsupportedDType, setting: .init(.dtype, "fp8"),
        "\(old.name) (sm_\(old.computeCapability)) has no fp8 (needs sm_89 or later)",
        alternatives: [.init(.dtype, "int8")])
    }
    let allBF16 = gpus.allSatisfy(\.supportsBF16)
    let compute = dtype.isQuantized ? (allBF16 && native == .bf16 ? .bf16 : .fp16) : dtype
    let note =
      dtype.isQuantized ? "\(dtype) weights, \(compute) compute: as requested" : "\(dtype): as requested"
    return DTypes(weight: dtype, compute: compute, notes: [note])
  }

  /// Chooses the dtypes, for every runtime.
  ///
  /// With `dtype` `auto`, the model's native dtype is kept where every GPU runs it natively, and
  /// bf16 falls back to fp16 on GPUs older than compute capability 8.0 (vLLM refuses bf16 there
  /// outright, so a fixed bf16 is an error). For a device map, if that does not fit even placed
  /// memory-balanced, int8 and then int4 weight-only quantization are tried (int4 alone where int8's
  /// kernels are the slower: ``quantizations(_:)``), and the first that fits is used, labelled; if none fits, the 16-bit dtype stays. The dtype is chosen by the best
  /// placement whatever strategy was asked for, so that an accelerate-parity strategy then shows
  /// honestly whether accelerate's own map fits at that dtype. An engine runs the checkpoint's
  /// weights as they are stored: no quantization is chosen for it.
  ///
  /// - Complexity: one memory-balanced placement per dtype tried (the native one, then int8 and int4 where
  ///   it does not fit). Ties: the first dtype that fits, in that order.
  public static func dtypes(for request: PlanRequest) throws(PlanningError) -> DTypes {
    guard !request.gpus.isEmpty else {
      throw PlanningError.noGPU
    }
    if let quantization = request.model.quantization {
      return try QuantizationSupport.dtypes(quantization, request: request)
    }
    let engine = request.runtime.kind.isEngine || request.runtime.kind == .sglang
    let native = request.model.nativeDType
    let noBF16 = request.gpus.first { !$0.supportsBF16 }
    var notes: [String] = []
    let compute: DType
    switch request.workload.dtype {
    case .fixed(let dtype):
      if dtype == .bf16, let old = noBF16 {
        throw
          engine
          ? PlanningError(
            .unsupportedDType, setting: .init(.dtype, "bf16"),
            "vLLM refuses bfloat16 on \(old.name) (sm_\(old.computeCapability)): \"Bfloat16 is only "
              + "supported on GPUs with compute capability of at least 8.0\"",
            alternatives: [.init(.dtype, "fp16")])
          : PlanningError(
            .unsupportedDType, setting: .init(.dtype, "bf16"),
            "\(old.name) (sm_\(old.computeCapability)) has no native bf16",
            alternatives: [.init(.dtype, "fp16"), .init(.dtype, "auto")])
      }
      return try fixed(dtype, native: native, gpus: request.gpus)
    case .auto:
      if native == .bf16, let old = noBF16 {
        compute = .fp16
        notes.append(
          engine
            ? "bf16 -> fp16: vLLM refuses bfloat16 on \(old.name) (sm_\(old.computeCapability))"
            : "bf16 -> fp16: \(old.name) (sm_\(old.computeCapability)) has no native bf16; "
              + "fp16 overflows where bf16 does not (values above 65504 become inf)")
      } else {
        compute = native.isQuantized ? .fp16 : native
        notes.append("\(compute): the checkpoint's dtype, native on every GPU")
      }
    }
    if engine { return DTypes(weight: compute, compute: compute, notes: notes) }
    func fits(_ weight: DType) -> Bool {
      MemoryBalancedStrategy().fits(problem(request, weight: weight, compute: compute))
    }
    let unquantizedProblem = problem(request, weight: compute, compute: compute)
    let unquantized = MemoryBalancedStrategy().solve(unquantizedProblem)
    if unquantized.fullest <= 1 { return DTypes(weight: compute, compute: compute, notes: notes) }
    let capacity = request.gpus.indices.reduce(ByteCount.zero) {
      $0 + (unquantizedProblem.capacity(of: .gpu($1)) ?? .zero)
    }
    if let weight = ladder(request: request, fits: fits) {
      notes.append(
        "\(weight) weight-only quantization: \(compute) does not fit "
          + "(\(unquantized.needed.formatted()) needed, \(capacity.formatted()) usable); "
          + "quality drops slightly, check it on your task")
      if weight == .int4 && int8IsSlower(request) {
        let factor = { (kernels: QuantizedKernels) in
          DurationFormatting.fixed(kernels.hostFactor, decimals: 1)
        }
        notes.append(
          "int4, not int8, under transformers: bitsandbytes' LLM.int8 takes \(factor(.llmInt8))x a 16-bit layer's "
            + "host time and NF4 \(factor(.nf4))x (measured on an H200), so int4 decodes faster wherever it fits"
        )
      }
      return DTypes(weight: weight, compute: compute, notes: notes)
    }
    notes.append("does not fit even with int8 or int4 weight-only quantization")
    return DTypes(weight: compute, compute: compute, notes: notes)
  }
}
