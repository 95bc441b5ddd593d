import Foundation
import Testing

@testable import Planner

/// `auto` honours `cpu` in `--max-memory`: where nothing fits on the GPUs alone, it offloads the
/// rest (as accelerate's sequential map does) instead of printing an all-GPU map that does not fit.
@Suite struct AutoOffloadTests {
  static let qwen = ModelCatalog.entry(named: "qwen2-7b")!.build()

  static func plan(_ caps: String) throws -> DeviceMapLayout {
    let gpus = try GPUList.parse("T4")
    let request = PlanRequest(
      model: Self.qwen, gpus: gpus, workload: Workload(dtype: .fixed(.fp16)),
      maxMemory: try MaxMemory(parsing: caps))
    return try #require(try Planner.plan(request).layout.deviceMap)
  }

  @Test func offloadsWhenHostMemoryIsGiven() throws {
    let plan = try Self.plan("0:10GiB,cpu:64GiB")
    #expect(plan.fits)
    let cpu = try #require(plan.devices.first { $0.device == .cpu })
    #expect(cpu.memory.weights > .zero)
    #expect(plan.notes.first?.hasPrefix("auto: no placement on the GPUs alone fits") == true)
    // Offloaded layers are streamed every step: far slower than the GPU alone would be.
    #expect(plan.estimate.decodeSecondsPerToken > 0.3)
  }

  @Test func withoutHostMemoryItStillDoesNotFit() throws {
    let plan = try Self.plan("0:10GiB")
    #expect(!plan.fits)
    #expect(!plan.devices.contains { $0.device == .cpu })
  }
}
