/// How a quantization method's kernels change a decode step: not just fewer bytes.
///
/// bitsandbytes under transformers dequantizes on the fly with extra kernels and Python, so its
/// decode is no faster than the 16-bit layer it replaces, and LLM.int8 is much slower. Measured on
/// an H200 (transformers 5.17, bitsandbytes 0.50.2, torch 2.11; Qwen2-7B geometry at 2 and 8 layers,
/// batch 1, the slope per layer; fixtures/measurements/host-cost-interleaved-h200.json, `quant`,
/// from `Scripts/measure_host_cost.py --part quant`):
///
/// | weights | ms per layer | launches per layer | GPU busy per layer |
/// | --- | --- | --- | --- |
/// | bf16 | 1.77 | 45 | 0.202 ms |
/// | LLM.int8 | 6.71 | 103 | 0.343 ms |
/// | NF4 | 1.98 | 40 | 0.194 ms |
///
/// So against the 16-bit layer: LLM.int8 takes 3.79× its host time, NF4 1.12×. Eager decode is
/// host-bound there (a layer's GPU time is a fifth of its host time or less), and the host factor
/// is what the cost model applies. The GPU side keeps the bytes model (the weights read at their own
/// width): on the H200 LLM.int8 kept the GPU busy 1.70× as long as bf16 and NF4 0.96× as long
/// while reading a half and a quarter of the bytes (their kernels are not bandwidth-bound there),
/// but how that time scales on a GPU of other bandwidth and compute was not measured.
///
/// fp8 keeps the bytes model, measured at the matrix level: a Qwen2-7B layer's linears as fp8
/// `torch._scaled_mm` (e4m3, per-tensor scales, the W8A8 path on Ada and Hopper) take 0.54 of their
/// bf16 time at 1 token and 0.56 at 16 on the H200, against 0.50 of the bytes
/// (fixtures/measurements/fp8mm-h200.json, `Scripts/measure_host_cost.py --part fp8mm`;
/// `QuantizedKernelsTests`). transformers' own fine-grained fp8 path was not run (it needs the
/// `kernels` package, which fetches its kernels from the Hub, and the measuring machine has no
/// network), nor were AWQ and GPTQ (their kernel packages are not installed there): they keep the
/// bytes model unmeasured.
public struct QuantizedKernels: Sendable, Hashable {
  /// Host time of a quantized decoder layer over that of the same layer in 16 bits.
  public var hostFactor: Double
  public var name: String

  public static let llmInt8 = QuantizedKernels(hostFactor: 6.71 / 1.77, name: "LLM.int8")
  public static let nf4 = QuantizedKernels(hostFactor: 1.98 / 1.77, name: "NF4")

  /// The measured kernels that run `weight` on `runtime`, if any: bitsandbytes under transformers
  /// (`--dtype int8`/`int4`, or a bitsandbytes checkpoint).
  public static func measured(weight: DType, quantization: Quantization?, runtime: String)
    -> QuantizedKernels?
  {
    guard runtime == RuntimeProfile.transformers.name else { return nil }
    if let quantization, quantization.method != .bitsandbytes { return nil }
    switch weight {
    case .int8: return .llmInt8
    case .int4: return .nf4
    default: return nil
    }
  }
}
