/// Kernels an eager PyTorch decoder layer launches per decode step: what its host time scales with.
///
/// Eager decode is host-bound (the GPU reads a 7B layer in 0.1-0.2 ms, the host takes about a
/// millisecond to issue it), and the host time of a layer is proportional to the kernels it
/// launches: a layer with four norms instead of two, softcapping, or a router and its experts costs
/// that much more. Counted by torch.profiler (runtime-API launch calls per decode step, batch 1,
/// transformers 5.17, torch 2.11, sdpa; Gemma-2 eager as transformers runs it with softcapping) on
/// an H200: fixtures/measurements/host-cost-h200.json, `Scripts/measure_host_cost.py --part arch`,
/// the slope between 4 and 12 layers.
///
/// Classes that were not measured are counted from their tensors with the structure those
/// measurements give (``structural(norms:linears:routedExperts:)``): a fixed 23 launches (rotary
/// embedding of q and k, the cache update, attention, the MLP's activation and product, the two
/// residual adds), one per linear layer outside the routed experts, 7.5 per RMS norm (its float
/// cast, square, mean, add, rsqrt, two products and cast back; 7 or 8 by the profiler) and 14 for
/// a block of routed experts (router softmax, top-k, renormalisation and the grouped products).
/// It reproduces the seven sdpa measurements within 5% (EagerLaunchesTests).
public enum EagerLaunches {
  /// The reference layer, whose host time a profile's ``RuntimeProfile/hostSecondsPerLayer`` is:
  /// Llama's and Qwen2's decoder layer (45 launches each by the profiler), the geometry every
  /// committed host profile was fitted on.
  public static let reference = 45.0

  /// Launches per decode step by decoder-layer class, as measured (see the type's comment).
  public static let measured: [String: Double] = [
    "LlamaDecoderLayer": 45, "Qwen2DecoderLayer": 45, "Phi3DecoderLayer": 42, "Qwen3DecoderLayer": 61,
    "Gemma2DecoderLayer": 80, "Qwen3MoeDecoderLayer": 70, "Qwen2MoeDecoderLayer": 63,
    "MixtralDecoderLayer": 58,
  ]

  /// The structural count (see the type's comment).
  public static func structural(norms: Int, linears: Int, routedExperts: Bool) -> Double {
    23 + Double(linears) + 7.5 * Double(norms) + (routedExperts ? 14 : 0)
  }

  /// Launches of a decoder layer of class `className` with these tensors (names relative to
  /// anything; a norm is a one-dimensional `…norm….weight`, a linear layer a two-dimensional
  /// `weight` outside `.experts.`).
  static func decoderLayer(className: String?, tensors: [(name: String, tensor: Tensor)]) -> Double {
    if let className, let count = measured[className] { return count }
    var norms = 0
    var linears = 0
    var experts = false
    for (name, tensor) in tensors where !tensor.isBuffer {
      if name.contains(".experts.") {
        experts = true
        continue
      }
      guard name.hasSuffix("weight") else { continue }
      let leaf = name.split(separator: ".").dropLast().last.map(String.init) ?? ""
      if tensor.shape.count == 1 && leaf.lowercased().contains("norm") {
        norms += 1
      } else if tensor.shape.count == 2 && !leaf.contains("embed") {
        linears += 1
      }
    }
    return structural(norms: norms, linears: linears, routedExperts: experts)
  }
}
