import Foundation
import Testing

@testable import Planner

/// The vLLM serving planner: its memory accounting against vLLM's rules and against
/// measurements, the layout search against brute force, and the predicted startup outcomes of
/// the seed scenarios.
@Suite struct ServingTests {
  static let minicpm = ModelCatalog.entry(named: "minicpm-v-2.6")!.build()
  static let qwen = ModelCatalog.entry(named: "qwen2-7b")!.build()
  static let llama70 = ModelCatalog.entry(named: "llama-3-70b")!.build()

  static func request(
    _ model: ModelGraph, _ gpus: String, _ change: (inout ServingConfig) -> Void = { _ in }
  ) throws -> PlanRequest {
    // These tests hold the V0 model (vLLM 0.5/0.6); V1's are in ServingV1Tests.
    var serving = ServingConfig(version: .v0)
    change(&serving)
    return PlanRequest(model: model, gpus: try GPUList.parse(gpus), runtime: .vllm(serving))
  }

  static func memory(_ model: ModelGraph, _ change: (inout ServingConfig) -> Void = { _ in }) -> VLLMMemory {
    var serving = ServingConfig(version: .v0)
    change(&serving)
    return VLLMMemory(
      model: model, settings: serving.resolved(maxPositions: model.serving.maxPositions),
      encoderAttention: .eager,
      weightDType: .bf16, computeDType: .bf16, kvDType: .bf16)
  }

  // MARK: - vLLM's rules

  @Test(arguments: [
    (28, 2, [14, 14]), (28, 3, [9, 10, 9]), (30, 4, [7, 8, 8, 7]), (80, 3, [27, 27, 26]),
    (80, 16, Array(repeating: 5, count: 16)),
    (5, 5, [1, 1, 1, 1, 1]),
  ])
  func defaultPartitionIsGetPPIndices(layers: Int, stages: Int, expected: [Int]) {
    // Examples from anchor-runtimes.md §C.5 (28 layers: [14,14], [9,10,9]; 30 over 4: [7,8,8,7]).
    #expect(vllmDefaultPartition(layers: layers, stages: stages) == expected)
  }

  @Test func kvCachePerTokenReplicatesHeadsBeyondTheirCount() {
    let memory = Self.memory(Self.qwen)
    let layer = Self.qwen.layers.first { $0.kind == .decoder }!
    #expect(layer.kvHeads == 4 && layer.headDimension == 128)
    // 2 x 4 heads x 128 x 2 bytes = 2048 B per layer; x 28 layers = 56 KiB per token (Ollama's
    // worked example for the same geometry, anchor-runtimes.md §A.1).
    #expect(memory.kvBytesPerToken(of: layer, tp: 1) == 2048)
    #expect(Self.qwen.layers.reduce(0) { $0 + memory.kvBytesPerToken(of: $1, tp: 1) } == 57_344)
    #expect(memory.kvBytesPerToken(of: layer, tp: 2) == 1024)
    #expect(memory.kvBytesPerToken(of: layer, tp: 4) == 512)
    // tp 7 > 4 KV heads: one replicated head per GPU.
    #expect(memory.kvBytesPerToken(of: layer, tp: 7) == 512)
  }

  @Test func tensorParallelShardsWeightsAndReplicatesKVProjections() {
    let memory = Self.memory(Self.qwen)
    let layer = Self.qwen.layers.first { $0.kind == .decoder }!
    let whole = memory.weights(of: layer, tp: 1)
    #expect(memory.weights(of: layer, tp: 2) == whole / 2)
    #expect(memory.weights(of: layer, tp: 4) == whole / 4)
    // At tp 7 each GPU holds one of the 4 KV heads' k and v (3584 x 128 each, bf16) instead of
    // 4/7 of one: 3/7 of a head's pair more.
    let pair: Int64 = 2 * 128 * 3584 * 2
    #expect(memory.weights(of: layer, tp: 7) == whole / 7 + pair * 3 / 7)
    let norm = Self.qwen.layers.first { $0.kind == .norm }!
    #expect(memory.weights(of: norm, tp: 4) == memory.weights(of: norm, tp: 1))
  }

  @Test(
    arguments: [
      (nil, nil, 256), (4096, nil, 64), (2048, nil, 32), (4096, 32, 32), (32768, 128, 128),
    ] as [(Int?, Int?, Int)])
  func profilingImagesAreCappedByTokensPerImage(maxModelLen: Int?, maxNumSeqs: Int?, images: Int) {
    // "max_model_len 4096 -> 64 images; 2048 -> 32", 256 at the defaults (anchor-runtimes.md §C.4).
    let memory = Self.memory(Self.minicpm) {
      $0.maxModelLen = maxModelLen
      $0.maxNumSeqs = maxNumSeqs
    }
    #expect(memory.profileSequences.images == images)
  }

  @Test(arguments: ["eager", "sdpa"])
  func visionTowerProfilingPeakWithinTenPercentOfMeasured(mode: String) throws {
    let data = try Fixtures.data("measurements/vision-profile-h100.json")
    let json = try #require(JSONValue.parse(data))
    guard case .array(let points) = json["modes"]?[mode]?["points"] else {
      throw CocoaError(.coderReadCorrupt)
    }
    #expect(points.count == 6)
    for point in points {
      let slices = Int(try #require(point["slices"]?.number))
      // The 1-slice point was the process's first forward: 62.8 MB with one-time allocations,
      // where calibration-h100.json measured the same forward at 28.1 MB (and the 16-256 points
      // scale exactly linearly). The profiling run is about the large batches.
      guard slices >= 16 else { continue }
      let measured = try #require(point["peakAllocatedAboveWeightsAndInputBytes"]?.number)
      var workload = Workload()
      workload.batch = slices
      workload.slicesPerImage = 1
      workload.attention = mode == "eager" ? .eager : .sdpa
      let memory = MemoryModel(
        model: Self.minicpm, workload: workload, weightDType: .bf16, computeDType: .bf16, runtime: .vllm)
      let predicted = Self.minicpm.layers.filter { $0.stream == .vision && $0.kind != .projector }
        .map { memory.transient(of: $0).value }.max()!
      let error = (Double(predicted) - measured) / measured
      #expect(
        abs(error) < 0.10, "\(mode) \(slices) slices: predicted \(predicted), measured \(Int64(measured))")
    }
  }

  @Test(arguments: [("allreduce-h200x2.json", 2), ("allreduce-h200x4.json", 4)])
  func allReduceWithinFifteenPercentOfMeasuredGraphReplay(file: String, gpus: Int) throws {
    let data = try Fixtures.data("measurements/" + file)
    let json = try #require(JSONValue.parse(data))
    guard case .array(let rows) = json["cudaGraph"]?["rows"] else { throw CocoaError(.coderReadCorrupt) }
    let link = Link.between(GPUList.lookup("H200")!, GPUList.lookup("H200")!)
    var checked = 0
    for row in rows {
      let bytes = try #require(row["bytes"]?.number)
      guard bytes >= 7168 && bytes <= 524_288 else { continue }  // decode sizes, batch 1 to 32
      let measured = try #require(row["perOpInLongGraphMedianUs"]?.number) * 1e-6
      let predicted = AllReduce.seconds(bytes: Int64(bytes), gpus: gpus, link: link)
      #expect(abs(predicted - measured) / measured < 0.15, "\(Int(bytes)) B: \(predicted) vs \(measured)")
      checked += 1
    }
    #expect(checked >= 6)
    #expect(AllReduce.seconds(bytes: 1 << 20, gpus: 1, link: link) == 0)
  }

  // MARK: - Layouts

  @Test func tensorParallelSizesFollowTheHeads() throws {
    // MiniCPM-V 2.6: 28 heads, 4 KV heads: tp 1, 2, 4, 7 on 8 GPUs of a node; 3 and 8 refused.
    let request = try Self.request(Self.minicpm, "8xA100-80G")
    let search = ServingSearch(request: request, memory: Self.memory(Self.minicpm))
    let allowed = (1...8).filter { search.tensorParallelProblem($0) == nil }
    #expect(allowed == [1, 2, 4])  // 7 does not divide the 8 GPUs of the node
    // 7 divides the 28 heads but not the 4 KV heads: vLLM's `QKVParallelLinear` computes the
    // replicas as `divide(tp, kv_heads)`, which asserts.
    #expect(
      search.tensorParallelProblem(7)
        == "minicpm-v-2.6 has 4 KV heads: tensor parallel size 7 neither divides them nor is a multiple")
    #expect(
      search.tensorParallelProblem(3)
        == "minicpm-v-2.6 has 28 attention heads, not divisible by tensor parallel size 3")
    #expect(throws: PlanningError.self) {
      try ServingPlanner.plan(try Self.request(Self.minicpm, "8xA100-80G") { $0.tensorParallel = 8 })
    }
  }

  /// Every contiguous partition of the decoder layers over the stages, judged as the search
  /// judges: the most KV blocks on the weakest stage (capped at what max_num_seqs can use),
  /// then the slowest stage as fast as possible.
  @Test(arguments: ["3090,4090", "A6000,3090", "4090,3090,A10"])
  func partitionMatchesBruteForce(gpus: String) throws {
    let request = try Self.request(Self.qwen, gpus) { $0.maxModelLen = 8192 }
    let plan = try ServingPlanner.plan(request)
    let layout = try #require(
      ([plan.layout] + plan.alternatives).first { $0.tensorParallel == 1 })
    let search = ServingSearch(request: request, memory: Self.memory(Self.qwen) { $0.maxModelLen = 8192 })
    let pp = layout.pipelineParallel
    let count = search.decoders.count
    func rank(_ s: Int, _ range: Range<Int>) -> RankMemory {
      var layers = Array(search.decoders[range])
      if s == 0 { layers = search.leading + layers }
      if s == pp - 1 { layers += search.trailing }
      return search.memory.rank(
        gpu: search.gpu(s), tp: 1, contents: search.memory.contents(of: layers, tp: 1))
    }
    var partitions: [[Int]] = [[]]
    for _ in 0..<pp {
      partitions = partitions.flatMap { prefix in
        (1...count).map { prefix + [$0] }.filter { $0.reduce(0, +) <= count }
      }
    }
    partitions = partitions.filter { $0.reduce(0, +) == count }
    func ranges(_ counts: [Int]) -> [Range<Int>] {
      var start = 0
      return counts.map { n in
        defer { start += n }
        return start..<(start + n)
      }
    }
    func blocks(_ p: [Int]) -> Int64 { ranges(p).enumerated().map { rank($0, $1).blocks }.min()! }
    let bestBlocks = partitions.map(blocks).max()!
    // KV first: no partition holds more, and the plan reaches the best up to what 256 sequences
    // of 4096 tokens can use.
    let floor = min(bestBlocks, Int64(256 * 4096 / 16))
    #expect(layout.blocks <= bestBlocks)
    #expect(layout.blocks >= floor)
    #expect(blocks(layout.partition) == layout.blocks)
    // Then speed: among the partitions that keep `floor`, none has a faster slowest stage (at the
    // micro-batch the search used: the sequences that fit, over the stages).
    let micro = (layout.throughputBatch + pp - 1) / pp
    let costs = (0..<pp).map { search.stageCost(group: [$0], batch: micro, context: 4096) }
    func slowest(_ p: [Int]) -> Double {
      ranges(p).enumerated().map { costs[$0].seconds($1, first: $0 == 0, last: $0 == pp - 1) }.max()!
    }
    let fastest = partitions.filter { blocks($0) >= floor }.map(slowest).min()!
    #expect(abs(slowest(layout.partition) - fastest) <= 1e-12 * fastest)
  }

  // MARK: - The seed scenarios

  @Test func minicpmDefaultsOnA48GBCardFailInProfilingAndTheFixesStart() throws {
    let plan = try ServingPlanner.plan(try Self.request(Self.minicpm, "A6000"))
    #expect(!plan.starts)
    #expect(plan.layout.failure?.phase == .profiling)
    #expect(plan.layout.stages[0].memory.dummyImages == 256)
    // 256 slices x 16 heads x 1024^2 scores x 10 bytes, plus 4 hidden states of 1152: 40.0 GiB
    // and 2.25 GiB, over 40 GB either way (the ~70 GB peak of vllm#7721 on an A800, weights included).
    #expect(plan.layout.stages[0].memory.encoderPeak.value > 40 << 30)
    #expect(!plan.recommendations.isEmpty)
    for fix in plan.recommendations {
      let checked = try ServingPlanner.plan(
        try Self.request(Self.minicpm, "A6000") {
          $0.maxModelLen = fix.maxModelLen
          $0.maxNumSeqs = fix.maxNumSeqs
        })
      #expect(checked.starts)
      #expect(checked.layout.kvTokens == fix.kvTokens)
    }
  }

  @Test func minicpmOnA3090WithTheCommunityFixStarts() throws {
    // vllm-project/vllm#4087: max_num_seqs 32, max_model_len 4096 on a 24 GB 3090.
    let plan = try ServingPlanner.plan(
      try Self.request(Self.minicpm, "3090") {
        $0.maxNumSeqs = 32
        $0.maxModelLen = 4096
      })
    #expect(plan.starts)
    let m = plan.layout.stages[0].memory
    // vLLM's arithmetic: the KV cache is what the budget leaves, in whole blocks.
    #expect(m.budget.value == Int64(Double(m.total.value) * 0.9))
    let left = m.budget - m.weights - m.activationPeak - m.nonTorch
    #expect(m.kvCache <= left && left.value < m.kvCache.value + m.blockBytes)
    #expect(plan.layout.kvTokens >= 4096)
    let defaults = try ServingPlanner.plan(try Self.request(Self.minicpm, "3090"))
    #expect(!defaults.starts)
  }

  @Test func pascalIsRefusedWithTheRuntimeThatRunsThere() throws {
    let plan = try ServingPlanner.plan(try Self.request(Self.qwen, "2xP4"))
    #expect(!plan.starts)
    #expect(plan.refusals.first?.contains("use --runtime llama.cpp") == true)
    #expect(plan.weightDType == .fp16)
    #expect(throws: VLLMExporter.Refusal.self) { try VLLMExporter.render(plan) }
  }

  @Test func twoNodesKeepTensorParallelInsideANode() throws {
    let request = try Self.request(Self.llama70, "8xA100-80G") { $0.nodes = 2 }
    let plan = try ServingPlanner.plan(request)
    #expect(plan.starts)
    #expect(plan.layout.tensorParallel == 8 && plan.layout.pipelineParallel == 2)
    #expect(plan.layout.stages.map(\.node) == [0, 1])
    for layout in [plan.layout] + plan.alternatives {
      for stage in layout.stages { #expect(Set(stage.gpus.map { $0 / 8 }).count == 1) }
    }
    let text = try VLLMExporter.render(plan)
    #expect(text.contains("ray start --head --port=6379"))
    #expect(text.contains("--tensor-parallel-size 8 \\\n  --pipeline-parallel-size 2"))
    #expect(text.contains("--distributed-executor-backend ray"))
  }

  @Test func unevenGPUsGetAnUnevenPartitionExported() throws {
    // A 48 GB card beside a 24 GB one: the even split would leave the small card's KV cache the
    // bottleneck; the planned one moves layers to the large card.
    let plan = try ServingPlanner.plan(try Self.request(Self.qwen, "A6000,3090") { $0.maxModelLen = 8192 })
    #expect(plan.starts)
    let (counts, blocks) = try #require(plan.layout.defaultPartition)
    #expect(counts == [14, 14])
    #expect(plan.layout.partition[0] > 14)
    #expect(plan.layout.blocks > blocks)
    let text = try VLLMExporter.render(plan)
    #expect(
      text.contains(
        "export VLLM_PP_LAYER_PARTITION=\(plan.layout.partition.map(String.init).joined(separator: ","))"))
    #expect(text.contains("--pipeline-parallel-size 2"))
  }

  @Test func configurationErrorsComeFirst() throws {
    let long = try ServingPlanner.plan(try Self.request(Self.qwen, "A100-80G") { $0.maxModelLen = 65536 })
    #expect(long.layout.failure?.phase == .configuration)
    #expect(long.recommendations.isEmpty)
    let batched = try ServingPlanner.plan(
      try Self.request(Self.qwen, "A100-80G") {
        $0.maxModelLen = 8192
        $0.maxNumBatchedTokens = 4096
      })
    #expect(batched.layout.failure?.message.hasPrefix("ValueError: max_num_batched_tokens (4096)") == true)
  }
}
