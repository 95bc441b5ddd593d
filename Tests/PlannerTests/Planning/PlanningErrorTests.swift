import Testing

@testable import Planner
@testable import PlannerCLI

/// Library errors carry a kind, the setting at fault and the settings that work, in words that name
/// no CLI flag; the CLI phrases them as its flags.
@Suite struct PlanningErrorTests {
  static let qwen = ModelCatalog.entry(named: "qwen2-7b")!.build()

  static func error(_ request: PlanRequest) -> PlanningError? {
    do {
      _ = try Planner.plan(request)
      return nil
    } catch {
      return error
    }
  }

  @Test func bf16OnPascal() throws {
    var workload = Workload()
    workload.dtype = .fixed(.bf16)
    let error = try #require(
      Self.error(PlanRequest(model: Self.qwen, gpus: try GPUList.parse("2xP4"), workload: workload)))
    #expect(error.kind == .unsupportedDType)
    #expect(error.setting == .init(.dtype, "bf16"))
    #expect(error.alternatives == [.init(.dtype, "fp16"), .init(.dtype, "auto")])
    #expect(error.description == "dtype bf16: P4 (sm_61) has no native bf16; use dtype fp16 or auto")
    #expect(Command.flagged(error) == "--dtype bf16: P4 (sm_61) has no native bf16; use --dtype fp16 or auto")
  }

  @Test func everyKindNamesNoFlag() throws {
    var bf16 = Workload()
    bf16.dtype = .fixed(.bf16)
    var fp8 = Workload()
    fp8.dtype = .fixed(.fp8)
    var tensor = ServingConfig()
    tensor.tensorParallel = 3
    var pipeline = ServingConfig()
    pipeline.pipelineParallel = 5
    let cases: [(PlanRequest, PlanningError.Kind)] = [
      (PlanRequest(model: Self.qwen, gpus: []), .noGPU),
      (PlanRequest(model: Self.qwen, gpus: try GPUList.parse("T4"), workload: fp8), .unsupportedDType),
      (
        PlanRequest(model: Self.qwen, gpus: try GPUList.parse("T4"), workload: bf16, runtime: .vllm()),
        .unsupportedDType
      ),
      (
        PlanRequest(model: Self.qwen, gpus: try GPUList.parse("4xA100-80G"), runtime: .vllm(tensor)),
        .invalidParallelism
      ),
      (
        PlanRequest(model: Self.qwen, gpus: try GPUList.parse("4xA100-80G"), runtime: .vllm(pipeline)),
        .invalidParallelism
      ),
      (
        PlanRequest(model: Self.qwen, gpus: try GPUList.parse("T4"), runtime: .llamaCpp(), profile: .vllm),
        .profileMismatch
      ),
    ]
    for (request, kind) in cases {
      let error = try #require(Self.error(request), "\(kind)")
      #expect(error.kind == kind)
      #expect(!error.description.contains("--"), "\(error.description)")
    }
  }
}
