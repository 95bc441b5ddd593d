import Testing

@testable import Planner

/// The bounded layout search against the exhaustive one: the same layouts (partition, blocks,
/// estimate) on random models, GPUs, settings and objectives, and the O(1) stage memory against
/// ``VLLMMemory/rank(gpu:tp:contents:)`` on every range.
@Suite struct ServingSearchTests {
  /// A random instance: a Llama-shaped model (or MiniCPM-V, with its vision tower on the first stage)
  /// whose decoder layers get random transient widths and, sometimes, a layer without KV cache (then
  /// the search falls back to the exhaustive one); 1 to 8 GPUs of up to three kinds; random settings.
  static func request(seed: UInt64) -> PlanRequest {
    var random = SplitMix64(seed: seed)
    var model: ModelGraph
    if random.next() % 5 == 0 {
      model = ModelCatalog.entry(named: "minicpm-v-2.6")!.build()
    } else {
      let heads = [8, 16, 32][Int(random.next() % 3)]
      let kv = [1, 2, 4, 8].filter { heads % $0 == 0 }[Int(random.next() % 4)]
      let hidden = Int64(128 * heads) * Int64(1 + random.next() % 4)
      model = ModelCatalog.causalLM(
        name: "random-\(seed)", summary: "random",
        DecoderLLM(
          family: .llama, hiddenSize: hidden, layerCount: Int(2 + random.next() % 40),
          headCount: Int64(heads),
          kvHeadCount: Int64(kv), intermediateSize: hidden * Int64(2 + random.next() % 3),
          vocabularySize: Int64(1000 + random.next() % 150_000)))
    }
    let decoders = model.layers.indices.filter {
      model.layers[$0].kind == .decoder && model.layers[$0].stream == .text
    }
    if random.next() % 2 == 0 {
      for i in decoders where random.next() % 3 == 0 {
        model.layers[i].transientElementsPerToken *= Int64(1 + random.next() % 3)
      }
    }
    if random.next() % 6 == 0, let i = decoders.randomElement(using: &random) {
      model.layers[i].kvElementsPerToken = 0
    }
    let kinds = ["A100-80G", "L40S", "A10", "T4", "RTX4090", "H100"].shuffled(using: &random)
    let counts = [1, 2, 4, 8][Int(random.next() % 4)]
    let kindCount = Int(1 + random.next() % 3)
    var gpus: [GPU] = []
    for k in 0..<kindCount { gpus += (try? GPUList.parse("\(max(1, counts / kindCount))x\(kinds[k])")) ?? [] }
    var serving = ServingConfig()
    serving.maxModelLen = [nil, 2048, 8192, 32768][Int(random.next() % 4)]
    serving.maxNumSeqs = [nil, 8, 64][Int(random.next() % 3)]
    serving.gpuMemoryUtilization = [0.9, 0.6, 0.97][Int(random.next() % 3)]
    serving.nodes = random.next() % 4 == 0 ? 2 : 1
    var workload = Workload()
    workload.contextTokens = [512, 4096, 32768][Int(random.next() % 3)]
    workload.dtype = [.auto, .fixed(.int4), .fixed(.fp8)][Int(random.next() % 3)]
    let objective = Objective.allCases[Int(random.next() % UInt64(Objective.allCases.count))]
    return PlanRequest(
      model: model, gpus: gpus, workload: workload, runtime: .vllm(serving), objective: objective)
  }

  /// Every layout's search and the memory behind it, for the request.
  static func searches(_ request: PlanRequest) -> (ServingSearch, [[[Int]]])? {
    guard let dtypes = try? Planner.dtypes(for: request) else { return nil }
    let settings = request.serving.resolved(
      maxPositions: request.model.serving.maxPositions, gpu: request.gpus.first)
    let search = ServingPlanner.search(request, settings: settings, dtypes: dtypes)
    let total = search.perNode * search.nodes
    let groups = (1...search.perNode).compactMap { tp -> [[Int]]? in
      guard search.tensorParallelProblem(tp) == nil, total / tp <= search.decoders.count else { return nil }
      return search.groups(tp: tp, pp: total / tp)
    }
    return (search, groups)
  }

  @Test(arguments: 0..<120)
  func boundedSearchIsTheExhaustiveSearch(seed: Int) throws {
    let request = Self.request(seed: UInt64(seed))
    guard let (search, layouts) = Self.searches(request) else { return }
    for groups in layouts {
      let bounded = search.evaluate(groups: groups)
      let exhaustive = search.evaluate(groups: groups, exhaustive: true)
      #expect(bounded == exhaustive, "seed \(seed), tp \(groups[0].count) x pp \(groups.count)")
    }
  }

  @Test(arguments: 0..<40)
  func stageMemoryIsRankOnEveryRange(seed: Int) throws {
    let request = Self.request(seed: UInt64(seed) &+ 1000)
    guard let (search, layouts) = Self.searches(request) else { return }
    for groups in layouts {
      let tp = groups[0].count
      let memory = search.memory
      let stages = ServingSearch.StageMemory(
        memory: memory, tp: tp, cards: groups.map { search.gpu($0[0]) },
        leading: memory.contents(of: search.leading, tp: tp),
        trailing: memory.contents(of: search.trailing, tp: tp),
        decoders: search.decoders.map { memory.contents(of: [$0], tp: tp) })
      let n = search.decoders.count
      for s in 0..<groups.count {
        for a in 0..<n {
          for b in (a + 1)...n {
            // The contents summed layer by layer, as the search summed them before prefix sums.
            var contents = VLLMMemory.Contents()
            if s == 0 { contents = contents + memory.contents(of: search.leading, tp: tp) }
            contents = contents + memory.contents(of: search.decoders[a..<b], tp: tp)
            if s == groups.count - 1 { contents = contents + memory.contents(of: search.trailing, tp: tp) }
            let rank = memory.rank(gpu: search.gpu(groups[s][0]), tp: tp, contents: contents)
            #expect(
              stages.blocks(s, a..<b) == ServingSearch.blocks(rank), "seed \(seed), stage \(s), \(a)..<\(b)")
          }
        }
      }
    }
  }

  @Test func blocksRankAStageShortOfMemoryBelowEveryStageThatStarts() {
    // 3 blocks of 1 MiB; short by 1 MiB and a byte: -1 - 1 (MiB, truncated toward zero).
    #expect(ServingSearch.blocks(available: 3 << 20, blockBytes: 1 << 20) == 3)
    #expect(ServingSearch.blocks(available: -(1 << 20) - 1, blockBytes: 1 << 20) == -2)
    #expect(ServingSearch.blocks(available: 0, blockBytes: 1 << 20) == -1)
    #expect(ServingSearch.blocks(available: Int64.min, blockBytes: 1) == -1 + Int64.min / (1 << 20))
  }
}
