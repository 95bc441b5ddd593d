/// The GGUF side of a llama.cpp plan: the tensor types a plan's dtypes become, and their block
/// sizes (ggml/src/ggml-common.h).
extension LlamaCppExporter {
  /// A GGUF tensor type and its block: `bytes` per `weights` weights (ggml/src/ggml-common.h).
  public struct GGUFType: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var weights: Int64
    public var bytes: Int64

    public var description: String { name }

    public static let f32 = GGUFType(name: "F32", weights: 1, bytes: 4)
    public static let f16 = GGUFType(name: "F16", weights: 1, bytes: 2)
    public static let bf16 = GGUFType(name: "BF16", weights: 1, bytes: 2)
    /// Q8_0 (`block_q8_0`): an fp16 scale and 32 int8 weights.
    public static let q8 = GGUFType(name: "Q8_0", weights: 32, bytes: 34)
    /// Q4_0 (`block_q4_0`): an fp16 scale and 32 4-bit weights.
    public static let q4 = GGUFType(name: "Q4_0", weights: 32, bytes: 18)
    /// Q6_K (`block_q6_K`): 256 weights in 210 bytes (6.5625 bits).
    public static let q6K = GGUFType(name: "Q6_K", weights: 256, bytes: 210)

    /// Bytes of `elements` weights (whole blocks: GGUF rows are multiples of the block).
    func bytes(_ elements: Int64) -> Int64 { .saturatingProduct(elements, bytes) / weights }
  }

  /// The GGUF types of the layers, the output layer and the mmproj for the plan's weight dtype.
  static func types(_ plan: DeviceMapLayout) throws(Refusal) -> (GGUFType, output: GGUFType, mmproj: GGUFType)
  {
    switch plan.weightDType {
    case .fp32: return (.f32, .f32, .f32)
    case .fp16: return (.f16, .f16, .f16)
    case .bf16:
      if let old = plan.gpus.first(where: { !$0.supportsBF16 }) {
        throw Refusal(
          description:
            "bf16 weights on \(old.name) (sm_\(old.computeCapability)): llama.cpp converts BF16 for GPUs before "
            + "sm_80 and the planner does not plan it there; use --dtype fp16")
      }
      return (.bf16, .bf16, .bf16)
    case .int8: return (.q8, .q8, .q8)
    case .int4: return (.q4, .q6K, .q8)
    case .fp8:
      throw Refusal(
        description: "fp8 weights have no GGUF type: use --dtype int8 (Q8_0) or --dtype fp16")
    }
  }

  /// `--cache-type-k/-v` for the plan's KV cache dtype: `nil` where it takes the bytes of
  /// llama.cpp's default f16 (fp16, or bf16 as the compute dtype by default).
  static func cacheType(_ plan: DeviceMapLayout) throws(Refusal) -> String? {
    let requested = plan.workload.kvDType
    switch requested ?? plan.computeDType {
    case .fp16: return nil
    case .bf16: return requested == nil ? nil : "bf16"
    case .fp32: return "f32"
    case .fp8:
      throw Refusal(
        description:
          "llama.cpp has no fp8 KV cache (its 8-bit cache is q8_0, 8.5 bits per value): use --kv-dtype fp16")
    case .int8, .int4:
      throw Refusal(description: "a \(requested ?? plan.computeDType) KV cache is not a llama.cpp cache type")
    }
  }
}
