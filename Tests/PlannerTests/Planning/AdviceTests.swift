import Testing

@testable import Planner

/// The "to fit" advice: every suggested change must really fit when applied, and the context and
/// batch suggestions must be the largest that fit.
@Suite struct AdviceTests {
  static func request(_ model: String, _ gpus: String, configure: (inout PlanRequest) -> Void = { _ in })
    throws
    -> PlanRequest
  {
    var request = PlanRequest(
      model: try #require(ModelCatalog.entry(named: model)).build(), gpus: try GPUList.parse(gpus))
    configure(&request)
    return request
  }

  static func fits(_ request: PlanRequest) -> Bool { (try? Planner.plan(request).fits) ?? false }

  @Test func fixedDTypeThatDoesNotFitSuggestsQuantizationAndAnotherGPU() throws {
    let request = try Self.request("minicpm-v-2.6", "2xP4") { $0.workload.dtype = .fixed(.fp16) }
    let plan = try Planner.plan(request)
    #expect(!plan.fits)
    // Under transformers int4 (NF4), not int8 (LLM.int8, slower): the ladder's order.
    #expect(plan.remedies.map(\.summary).contains { $0.hasPrefix("--dtype int4") })
    #expect(plan.remedies.map(\.summary).contains { $0.hasPrefix("add one P4: --gpus 3xP4") })
    var quantized = request
    quantized.workload.dtype = .fixed(.int4)
    #expect(Self.fits(quantized))
    var more = request
    more.gpus.append(request.gpus[0])
    #expect(Self.fits(more))
  }

  @Test func contextAdviceIsTheLongestThatFits() throws {
    let request = try Self.request("llama-3-8b", "2xT4") {
      $0.workload.dtype = .fixed(.fp16)
      $0.workload.contextTokens = 131_072
    }
    let plan = try Planner.plan(request)
    let line = try #require(plan.remedies.map(\.summary).first { $0.hasPrefix("--context ") })
    let tokens = try #require(Int(line.dropFirst("--context ".count).prefix { $0.isNumber }))
    #expect(tokens % Advice.contextStep == 0)
    var fitting = request
    fitting.workload.contextTokens = tokens
    #expect(Self.fits(fitting))
    var longer = request
    longer.workload.contextTokens = tokens + Advice.contextStep
    #expect(!Self.fits(longer))
  }

  @Test func batchAdviceIsTheLargestThatFits() throws {
    let request = try Self.request("qwen2-7b", "2xT4") {
      $0.workload.dtype = .fixed(.fp16)
      $0.workload.batch = 64
      $0.workload.contextTokens = 8192
    }
    let plan = try Planner.plan(request)
    #expect(!plan.fits)
    let line = try #require(plan.remedies.map(\.summary).first { $0.hasPrefix("--batch ") })
    let batch = try #require(Int(line.dropFirst("--batch ".count).prefix { $0.isNumber }))
    var fitting = request
    fitting.workload.batch = batch
    #expect(Self.fits(fitting))
    var larger = request
    larger.workload.batch = batch + 1
    #expect(!Self.fits(larger))
  }

  /// accelerate's map overflows where the planner's own placement fits: the first advice says so.
  @Test func parityStrategyThatOverflowsSuggestsAuto() throws {
    let request = try Self.request("minicpm-llama3-v-2.5", "2xT4") { $0.strategy = .sequential }
    let plan = try Planner.plan(request)
    #expect(!plan.fits)
    #expect(plan.remedies.map(\.summary).first?.hasPrefix("--strategy auto") == true)
    var auto = request
    auto.strategy = .auto
    #expect(Self.fits(auto))
  }

  @Test func aModelTooLargeForOneMoreGPUNamesHowManyItTakes() throws {
    let request = try Self.request("llama-3-70b", "T4")
    let plan = try Planner.plan(request)
    let line = try #require(plan.remedies.map(\.summary).first { $0.contains("more T4") })
    #expect(line.contains("--gpus 4xT4"))
    #expect(plan.remedies.map(\.summary).contains { $0.hasPrefix("offload ") && $0.contains("s/token") })
  }

  /// Qwen2-7B in bf16 (15.2 GiB) on an RTX 3060 12 GB (11.1 GiB usable) fits neither in bf16 nor
  /// does it need int4: int8 (9.1 GiB) fits too. Which one the advice names is the dtype ladder's
  /// choice for the same request with `--dtype auto`, so the two cannot disagree: under
  /// transformers int4, as bitsandbytes' LLM.int8 decodes slower than NF4 (QuantizedKernels: 3.79x
  /// and 1.12x a 16-bit layer's host time); under llama.cpp and the roofline, whose int8 is not
  /// slower, int8 (the wider, which loses less quality). One `--dtype` line either way.
  @Test(arguments: [
    (Runtime.transformers(), DType.int4), (.llamaCpp(), .int8), (.roofline(), .int8),
  ])
  func dtypeAdviceIsTheLaddersChoice(runtime: Runtime, advised: DType) throws {
    let request = try Self.request("qwen2-7b", "RTX3060-12G") {
      $0.runtime = runtime
      $0.workload.dtype = .fixed(.bf16)
    }
    let plan = try Planner.plan(request)
    #expect(!plan.fits)
    for smaller in [DType.int8, .int4] {
      var quantized = request
      quantized.workload.dtype = .fixed(smaller)
      #expect(Self.fits(quantized), "\(smaller) fits")
    }
    let lines = plan.remedies.map(\.summary).filter { $0.hasPrefix("--dtype ") }
    #expect(lines.count == 1)
    #expect(
      lines.first?.hasPrefix("--dtype \(advised): weight-only quantization (\(advised) weights, ") == true)
    var auto = request
    auto.workload.dtype = .auto
    #expect(try Planner.plan(auto).weightDType == advised)
  }

  /// Under transformers the int4 plan the advice names decodes faster than the int8 one it passes
  /// over: bitsandbytes' LLM.int8 takes 3.79x a 16-bit layer's host time, NF4 1.12x.
  @Test func underTransformersTheAdvisedInt4IsFasterThanInt8() throws {
    func decode(_ dtype: DType) throws -> Double {
      let request = try Self.request("qwen2-7b", "RTX3060-12G") { $0.workload.dtype = .fixed(dtype) }
      return try Planner.plan(request).speed.decodeSecondsPerToken
    }
    #expect(try decode(.int4) < decode(.int8) / 2)
  }

  @Test func aPlanThatFitsHasNoAdvice() throws {
    #expect(try Planner.plan(Self.request("minicpm-v-2.6", "2xP4")).remedies.isEmpty)
  }
}
