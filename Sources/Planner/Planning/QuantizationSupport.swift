/// Which runtimes run a pre-quantized checkpoint's kernels on which GPUs, by compute capability,
/// and the dtypes it is planned at: its weights as stored, never re-quantized.
///
/// Sources, per runtime:
/// - vLLM: its "Supported Hardware" table for quantization kernels (docs.vllm.ai, v0.9–v0.15:
///   AWQ Turing+, GPTQ and bitsandbytes Volta+, Marlin Ampere+, FP8 W8A8 Ada+), its FP8 page
///   (v0.32: FP8 checkpoints run weight-only through FP8 Marlin from Turing, sm_75) and its INT4
///   W4A16 page (compressed-tensors int4 from Ampere, sm_80). vLLM runs AWQ and GPTQ in fp16 only.
/// - transformers: AutoAWQ's README (compute capability 7.5, Turing, or later); bitsandbytes'
///   installation guide (v0.48: NF4/FP4 from sm_60, LLM.int8 from sm_75); transformers'
///   fine-grained FP8 quantizer (sm_89 or later); GPTQModel's torch kernel (v1.4.0) runs on any
///   CUDA GPU. compressed-tensors states no minimum: planned as running, with a note.
/// - llama.cpp loads GGUF files only.
enum QuantizationSupport {
  /// The lowest compute capability a runtime runs a quantization at, and whose kernels those are.
  struct Requirement: Equatable {
    /// `nil`: the runtime cannot load the checkpoint at all.
    var minimum: Int?
    var kernels: String
  }

  /// What `runtime` needs to run `quantization`; `nil` where the planner does not check (the
  /// roofline runtime models no kernels).
  static func requirement(_ quantization: Quantization, runtime: Runtime.Kind) -> Requirement? {
    switch runtime {
    case .roofline:
      return nil
    case .llamaCpp:
      return Requirement(minimum: nil, kernels: "llama.cpp loads GGUF files, not safetensors")
    case .vllm, .sglang:
      switch quantization.method {
      case .awq: return Requirement(minimum: 75, kernels: "vLLM's AWQ kernels")
      case .gptq: return Requirement(minimum: 70, kernels: "vLLM's GPTQ kernels")
      case .bitsandbytes: return Requirement(minimum: 70, kernels: "vLLM's bitsandbytes kernels")
      case .fp8: return Requirement(minimum: 75, kernels: "vLLM's FP8 Marlin (weight-only below sm_89)")
      case .compressedTensors:
        return quantization.isFloat
          ? Requirement(minimum: 75, kernels: "vLLM's FP8 Marlin (weight-only below sm_89)")
          : Requirement(minimum: 80, kernels: "vLLM's INT4/INT8 W4A16 kernels (Marlin)")
      }
    case .transformers:
      switch quantization.method {
      case .awq: return Requirement(minimum: 75, kernels: "AutoAWQ's kernels")
      case .gptq: return Requirement(minimum: 0, kernels: "GPTQModel's kernels")
      case .bitsandbytes:
        return quantization.bits <= 4
          ? Requirement(minimum: 60, kernels: "bitsandbytes' NF4/FP4 kernels")
          : Requirement(minimum: 75, kernels: "bitsandbytes' LLM.int8 kernels")
      case .fp8: return Requirement(minimum: 89, kernels: "transformers' fine-grained FP8 kernels")
      case .compressedTensors: return Requirement(minimum: 0, kernels: "the compressed-tensors package")
      }
    }
  }

  /// Whether AWQ and GPTQ kernels compute in fp16 only (vLLM refuses bf16 for them; transformers'
  /// AWQ quantizer casts to fp16).
  static func needsFP16(_ quantization: Quantization) -> Bool {
    quantization.method == .awq || quantization.method == .gptq
  }

  /// The dtypes of a pre-quantized checkpoint: its stored weights, and the compute dtype the
  /// kernels take (`auto`: fp16 for AWQ and GPTQ; else the dtype of the checkpoint's unquantized
  /// tensors, bf16 where none is known, and fp16 on a GPU without bf16).
  ///
  /// - Throws: ``PlanningError`` (`unsupportedDType`) for a GPU below the runtime's kernels, a
  ///   runtime that cannot load the checkpoint, a dtype that would re-quantize it, or bf16 where
  ///   the kernels take fp16 only.
  static func dtypes(
    _ quantization: Quantization, request: PlanRequest
  ) throws(PlanningError) -> Planner.DTypes {
    let runtime = request.runtime.kind
    let stored = quantization.weightDType
    if let requirement = requirement(quantization, runtime: runtime) {
      guard let minimum = requirement.minimum else {
        throw PlanningError(
          .unsupportedDType,
          "the checkpoint is stored as \(quantization): \(requirement.kernels); use a GGUF of the model "
            + "(Q4_K_M) with llama.cpp, or plan this checkpoint for transformers")
      }
      if let old = request.gpus.first(where: { $0.computeCapability < minimum }) {
        throw PlanningError(
          .unsupportedDType,
          "the checkpoint is stored as \(quantization); \(requirement.kernels) need sm_\(minimum) or later and "
            + "\(old.name) is sm_\(old.computeCapability)"
            + alternative(quantization, gpu: old, runtime: runtime))
      }
    }
    let allBF16 = request.gpus.allSatisfy(\.supportsBF16)
    let float = quantization.floatDType.map { $0 == .fp32 ? DType.bf16 : $0 } ?? .bf16
    var compute: DType = needsFP16(quantization) || !allBF16 ? .fp16 : float
    switch request.workload.dtype {
    case .auto:
      break
    case .fixed(let dtype) where !dtype.isQuantized:
      if dtype == .bf16 && needsFP16(quantization) {
        throw PlanningError(
          .unsupportedDType, setting: .init(.dtype, "bf16"),
          "\(quantization.method.rawValue) kernels compute in fp16 only",
          alternatives: [.init(.dtype, "fp16")])
      }
      if dtype == .bf16, let old = request.gpus.first(where: { !$0.supportsBF16 }) {
        throw PlanningError(
          .unsupportedDType, setting: .init(.dtype, "bf16"),
          "\(old.name) (sm_\(old.computeCapability)) has no native bf16",
          alternatives: [.init(.dtype, "fp16")])
      }
      compute = dtype
    case .fixed(let dtype):
      guard dtype == stored else {
        throw PlanningError(
          .unsupportedDType, setting: .init(.dtype, dtype.rawValue),
          "the checkpoint is stored as \(quantization) and is loaded as stored, not re-quantized",
          alternatives: [.init(.dtype, "auto"), .init(.dtype, compute.rawValue)])
      }
    }
    var note =
      "\(quantization): the checkpoint's stored weights, sized exactly from its headers; \(compute) compute"
    if needsFP16(quantization) { note += " (the kernels' dtype)" }
    return Planner.DTypes(weight: stored, compute: compute, notes: [note])
  }

  /// What runs where the kernels do not: bitsandbytes 4-bit under transformers from sm_60, a GGUF on
  /// llama.cpp anywhere.
  static func alternative(_ quantization: Quantization, gpu: GPU, runtime: Runtime.Kind) -> String {
    if runtime == .vllm, let transformers = requirement(quantization, runtime: .transformers)?.minimum,
      gpu.computeCapability >= transformers
    {
      return "; transformers runs it there, or use a GGUF of the model (Q4_K_M) with llama.cpp"
    }
    return "; use a GGUF of the model (Q4_K_M) with llama.cpp, which runs on it"
  }
}
