import Testing

@testable import Planner

@Suite struct CostModelTests {
  static func gpu(_ name: String) throws -> GPU {
    try #require(GPUCatalog.all.first { $0.name == name })
  }

  static func qwen2() throws -> ModelGraph {
    try #require(ModelCatalog.entry(named: "qwen2-7b")).build()
  }

  /// Qwen2-7B's first decoder layer.
  static func decoderLayer(of model: ModelGraph) throws -> Layer {
    try #require(model.layers.first { $0.kind == .decoder })
  }

  static func cost(
    _ model: ModelGraph, runtime: RuntimeProfile = .transformers, batch: Int = 1, context: Int = 4096,
    dtype: DType = .fp16
  ) -> CostModel {
    var workload = Workload()
    workload.batch = batch
    workload.contextTokens = context
    workload.dtype = .fixed(dtype)
    return CostModel(
      memory: MemoryModel(
        model: model, workload: workload, weightDType: dtype, computeDType: dtype, runtime: runtime))
  }

  static func isClose(_ a: Double, _ b: Double, tolerance: Double = 1e-12) -> Bool {
    abs(a - b) <= tolerance * max(abs(a), abs(b))
  }

  /// KV elements per token of a Qwen2-7B layer: keys and values of 4 KV heads of 128.
  static let qwenKVElementsPerToken: Int64 = 2 * 4 * 128

  // MARK: - Decode

  /// A P4 reads a Qwen2-7B layer in about 3.5 ms, far above transformers' 0.91 ms host time and
  /// the 0.2 ms its FLOPs take: memory-bound, bytes over the efficient bandwidth.
  @Test func decodeOnAMemoryBoundCardIsBytesOverEfficientBandwidth() throws {
    let model = try Self.qwen2()
    let layer = try Self.decoderLayer(of: model)
    let cost = Self.cost(model)
    let p4 = try Self.gpu("P4")
    let weights = cost.memory.weights(of: layer).value
    // fp16: two bytes per parameter (a decoder layer has no buffers).
    #expect(weights == 2 * layer.parameterCount)
    let kv = cost.memory.kvCache(of: layer).value
    #expect(kv == Self.qwenKVElementsPerToken * 2 * 4096)
    let timing = cost.decode(layer, on: p4)
    #expect(timing.bound == .memory)
    #expect(Self.isClose(timing.seconds, Double(weights + kv) / (192e9 * 0.70)))
    #expect(timing.seconds > 3e-3 && timing.seconds < 4e-3)
  }

  /// An H100 reads the layer in 0.2 ms: under transformers the 0.91 ms of host time per layer
  /// bounds it; with vLLM's CUDA graphs (no host time) the bandwidth does.
  @Test func decodeOnAFastCardIsHostBoundUnderTransformers() throws {
    let model = try Self.qwen2()
    let layer = try Self.decoderLayer(of: model)
    let h100 = try Self.gpu("H100-SXM")

    let transformers = Self.cost(model).decode(layer, on: h100)
    #expect(transformers.bound == .host)
    #expect(transformers.seconds == 0.91e-3)

    let vllm = Self.cost(model, runtime: .vllm)
    let timing = vllm.decode(layer, on: h100)
    #expect(timing.bound == .memory)
    let bytes = vllm.memory.weights(of: layer).value + vllm.memory.kvCache(of: layer).value
    #expect(Self.isClose(timing.seconds, Double(bytes) / (3350e9 * 0.80)))
    #expect(timing.seconds < 0.91e-3)
  }

  /// Host time applies to decoder layers only: the norm and head of the same model are not
  /// host-bound on the H100.
  @Test func hostTimeAppliesToDecoderLayersOnly() throws {
    let model = try Self.qwen2()
    let h100 = try Self.gpu("H100-SXM")
    let cost = Self.cost(model)
    for layer in model.layers where layer.kind != .decoder {
      let timing = cost.decode(layer, on: h100)
      #expect(timing.bound != .host, "\(layer.module)")
      #expect(timing.seconds < 0.91e-3, "\(layer.module)")
    }
  }

  /// The embedding reads only the looked-up rows (`batch × hidden`), not the whole table.
  @Test func decodeOfTheEmbeddingReadsOnlyTheLookedUpRows() throws {
    let model = try Self.qwen2()
    let embedding = try #require(model.layers.first { $0.kind == .embedding })
    let p4 = try Self.gpu("P4")
    let cost = Self.cost(model, batch: 3)
    let timing = cost.decode(embedding, on: p4)
    #expect(Self.isClose(timing.seconds, Double(3 * 3584 * 2) / (192e9 * 0.70)))
  }

  // MARK: - Peak rates

  /// Pascal sm_61 computes fp16 in fp32; a T4 computes it on its tensor cores.
  @Test func pascalComputesFP16AtTheFP32Rate() throws {
    let p4 = try Self.gpu("P4")
    #expect(p4.computeCapability == 61)
    #expect(p4.peakFLOPS(computing: .fp16) == p4.fp32FLOPS)
    #expect(p4.peakFLOPS(computing: .fp16) != p4.fp16FLOPS)
    // Quantized weights are multiplied in the 16-bit compute type: the same rate.
    #expect(p4.peakFLOPS(computing: .int8) == p4.fp32FLOPS)
    let t4 = try Self.gpu("T4")
    #expect(t4.peakFLOPS(computing: .fp16) == t4.fp16FLOPS)
    #expect(t4.peakFLOPS(computing: .fp16) != t4.fp32FLOPS)
    // No native bf16 below sm_80: the better of the fp16 and fp32 rates.
    #expect(t4.peakFLOPS(computing: .bf16) == t4.fp16FLOPS)
  }

  /// The rule is the architecture's, not the catalog's numbers: an sm_61 card (say from a spec
  /// file) that claims a high fp16 rate still computes fp16 at its fp32 rate.
  @Test func anySM61CardComputesFP16AtTheFP32Rate() throws {
    var card = try Self.gpu("P40")
    card.fp16FLOPS = 4 * card.fp32FLOPS
    #expect(card.peakFLOPS(computing: .fp16) == card.fp32FLOPS)
    card.computeCapability = 60
    #expect(card.peakFLOPS(computing: .fp16) == card.fp16FLOPS)
  }

  /// The cost model uses that rate: a 4096-token fp16 prefill on a P4 is compute-bound at the
  /// fp32 rate (at the crippled fp16 rate it would take 60 times longer).
  @Test func prefillOnAP4UsesTheFP32Rate() throws {
    let model = try Self.qwen2()
    let layer = try Self.decoderLayer(of: model)
    let cost = Self.cost(model)
    let timing = cost.prefill(layer, on: try Self.gpu("P4"))
    #expect(timing.bound == .compute)
    let flops =
      4096 * (Double(layer.flopsPerToken) + Double(layer.attentionFLOPsPerContextToken) * 4096 / 2)
    #expect(Self.isClose(timing.seconds, flops / (5.5e12 * 0.50)))
  }

  @Test func prefillOfALongPromptIsComputeBoundOnAnA100() throws {
    let model = try Self.qwen2()
    let layer = try Self.decoderLayer(of: model)
    let a100 = try Self.gpu("A100-80G-SXM")
    let timing = Self.cost(model).prefill(layer, on: a100)
    #expect(timing.bound == .compute)
    let flops =
      4096 * (Double(layer.flopsPerToken) + Double(layer.attentionFLOPsPerContextToken) * 4096 / 2)
    #expect(Self.isClose(timing.seconds, flops / (a100.peakFLOPS(computing: .fp16) * 0.50)))
  }

  // MARK: - Context and batch

  /// Doubling the context adds one more context's KV cache to read, nothing else.
  @Test(arguments: [1024, 4096, 16_384])
  func decodeGrowsWithContextByTheKVRead(context: Int) throws {
    let model = try Self.qwen2()
    let layer = try Self.decoderLayer(of: model)
    let p4 = try Self.gpu("P4")
    let short = Self.cost(model, context: context).decode(layer, on: p4)
    let long = Self.cost(model, context: 2 * context).decode(layer, on: p4)
    #expect(long.seconds > short.seconds)
    let kv = Double(Self.qwenKVElementsPerToken * 2 * Int64(context))
    #expect(Self.isClose(long.seconds - short.seconds, kv / (192e9 * 0.70), tolerance: 1e-9))
  }

  /// A batch reads the weights once and each sequence's KV cache: `batch` sequences cost one
  /// weight read plus `batch` KV reads, not `batch` times one sequence.
  @Test(arguments: [2, 4, 16])
  func decodeReadsTheWeightsOncePerBatch(batch: Int) throws {
    let model = try Self.qwen2()
    let layer = try Self.decoderLayer(of: model)
    let p4 = try Self.gpu("P4")
    let one = Self.cost(model).decode(layer, on: p4)
    let many = Self.cost(model, batch: batch).decode(layer, on: p4)
    #expect(many.bound == .memory)
    let kv = Double(Self.qwenKVElementsPerToken * 2 * 4096)
    #expect(
      Self.isClose(many.seconds - one.seconds, Double(batch - 1) * kv / (192e9 * 0.70), tolerance: 1e-9))
    #expect(many.seconds < Double(batch) * one.seconds)
  }

  /// FLOPs scale with the batch: 512 sequences on a P4 are compute-bound at 512 times one
  /// sequence's FLOPs.
  @Test func decodeFLOPsScaleWithTheBatch() throws {
    let model = try Self.qwen2()
    let layer = try Self.decoderLayer(of: model)
    let p4 = try Self.gpu("P4")
    let timing = Self.cost(model, batch: 512).decode(layer, on: p4)
    #expect(timing.bound == .compute)
    let flops = 512 * (Double(layer.flopsPerToken) + Double(layer.attentionFLOPsPerContextToken) * 4096)
    #expect(Self.isClose(timing.seconds, flops / (5.5e12 * 0.50)))
  }

  // MARK: - Hops

  @Test func hopBytesOfQwen2() throws {
    let model = try Self.qwen2()
    let layer = try Self.decoderLayer(of: model)
    let cost = Self.cost(model)
    #expect(cost.hopBytes(after: layer, phase: .decode) == 3584 * 2)
    #expect(cost.hopBytes(after: layer, phase: .prefill) == 3584 * 2 * 4096)
    // fp32 activations are twice as wide, and a batch of 3 three times as many.
    #expect(Self.cost(model, dtype: .fp32).hopBytes(after: layer, phase: .decode) == 3584 * 4)
    #expect(Self.cost(model, batch: 3).hopBytes(after: layer, phase: .decode) == 3 * 3584 * 2)
  }

  @Test func hopAddsTheRuntimesHostTimeToTheLink() throws {
    let model = try Self.qwen2()
    let link = Link.between(try Self.gpu("A100-80G-PCIe"), try Self.gpu("A100-80G-PCIe"))
    let seconds = Self.cost(model).hop(bytes: 7168, on: link)
    #expect(Self.isClose(seconds, 2e-6 + 7168 / 25.2e9 + 22e-6))
    #expect(
      Self.isClose(Self.cost(model, runtime: .vllm).hop(bytes: 7168, on: link), 2e-6 + 7168 / 25.2e9 + 20e-6))
  }

  // MARK: - Estimate

  /// A plan of Qwen2-7B in fp16 on `gpus`, layers from `split` on (in chain order) on GPU 1.
  static func plan(gpus: [GPU], split: Int?, runtime: RuntimeProfile) throws -> (
    DeviceMapLayout, PlacementProblem
  ) {
    let model = try qwen2()
    var workload = Workload()
    workload.dtype = .fixed(.fp16)
    let memory = MemoryModel(
      model: model, workload: workload, weightDType: .fp16, computeDType: .fp16, runtime: runtime)
    let problem = PlacementProblem(model: model, gpus: gpus, memory: memory, userMaxMemory: nil)
    let map = model.layers.enumerated().map { index, layer in
      (module: layer.module, device: Device.gpu(split.map { index >= $0 ? 1 : 0 } ?? 0))
    }
    let plan = DeviceMapLayout(
      problem: problem, placement: Placement(deviceMap: map), strategy: .memory, dtypeNotes: [])
    return (plan, problem)
  }

  @Test func estimateOnOneGPUHasNoHops() throws {
    let h100 = try Self.gpu("H100-SXM")
    var workload = Workload()
    workload.dtype = .fixed(.fp16)
    let viaPlanner = try Planner.plan(
      PlanRequest(model: try Self.qwen2(), gpus: [h100], workload: workload, objective: .latency))
    #expect(viaPlanner.weightDType == .fp16)
    #expect(viaPlanner.layout.deviceMap?.hops.isEmpty == true)
    let (plan, problem) = try Self.plan(gpus: [h100], split: nil, runtime: .transformers)
    #expect(plan.hops.isEmpty)
    let layers = problem.model.layers.filter { $0.stream == .text }
    let expected =
      layers.reduce(0.0) { $0 + problem.cost.decode($1, on: h100).seconds } + 0.50e-3
    #expect(Self.isClose(plan.estimate.decodeSecondsPerToken, expected, tolerance: 1e-9))
    #expect(Self.isClose(viaPlanner.speed.decodeSecondsPerToken, expected, tolerance: 1e-9))
    #expect(plan.estimate.bottleneckDevice == .gpu(0))
    #expect(plan.estimate.bottleneckBound == .host)
  }

  /// Split after decoder layer 13 over PCIe: one activation hop of `hidden × 2` bytes, and under
  /// transformers the fp32 logits (`vocab × 4` bytes) back to GPU 0; vLLM has no logits hop.
  @Test(arguments: ["transformers", "vllm"])
  func estimateOnTwoGPUsHasTheActivationAndLogitsHops(runtimeName: String) throws {
    let runtime = try #require(RuntimeProfile.named(runtimeName))
    let a100 = try Self.gpu("A100-80G-PCIe")
    let model = try Self.qwen2()
    let split = try #require(model.layers.firstIndex { $0.module == "model.layers.14" })
    let (plan, problem) = try Self.plan(gpus: [a100, a100], split: split, runtime: runtime)
    let link = Link.between(a100, a100)
    let activation = problem.cost.hop(bytes: 3584 * 2, on: link)
    let logits = problem.cost.hop(bytes: 152_064 * 4, on: link)

    let expectedCount = runtime.returnsLogitsToFirstGPU ? 2 : 1
    try #require(plan.hops.count == expectedCount, "\(plan.hops)")
    #expect(plan.hops[0].from == .gpu(0) && plan.hops[0].to == .gpu(1))
    #expect(plan.hops[0].carries == "activations")
    #expect(Self.isClose(plan.hops[0].seconds, activation))
    if runtime.returnsLogitsToFirstGPU {
      #expect(plan.hops[1].from == .gpu(1) && plan.hops[1].to == .gpu(0))
      #expect(plan.hops[1].carries == "logits")
      #expect(Self.isClose(plan.hops[1].seconds, logits))
    }
    let layers = problem.model.layers.filter { $0.stream == .text }
    let expected =
      layers.reduce(0.0) { $0 + problem.cost.decode($1, on: a100).seconds } + activation
      + (runtime.returnsLogitsToFirstGPU ? logits : 0) + runtime.hostSecondsPerStep
      // accelerate's hooks on every text layer, once the map spans two GPUs.
      + Double(layers.count) * runtime.hostSecondsPerDispatchedLayer
      // ... and copy rotary cos/sin to the 14 layers on GPU 0 and position_ids to the 14 on GPU 1
      // (rotary_emb with the last layers, its own two inputs from GPU 0): 44 tensors.
      + 44 * runtime.hostSecondsPerMovedInput
    #expect(Self.isClose(plan.estimate.decodeSecondsPerToken, expected, tolerance: 1e-9))
    #expect(plan.estimate.stageSeconds.map(\.device) == [.gpu(0), .gpu(1)])
    // The prefill hop carries the whole prompt's activations.
    let prefillHop = problem.cost.hop(bytes: 3584 * 2 * 4096, on: link)
    let prefill = layers.reduce(0.0) { $0 + problem.cost.prefill($1, on: a100).seconds }
    #expect(Self.isClose(plan.estimate.prefillSeconds, prefill + prefillHop, tolerance: 1e-9))
  }
}
