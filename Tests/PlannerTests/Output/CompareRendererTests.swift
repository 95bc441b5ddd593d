import Testing

@testable import Planner

/// `--compare`: every strategy side by side on the same inputs.
@Suite struct CompareRendererTests {
  @Test func everyStrategyOnceInOrderAtOneDType() throws {
    let request = PlanRequest(
      model: try #require(ModelCatalog.entry(named: "minicpm-v-2.6")).build(),
      gpus: try GPUList.parse("1xT4,1xP4"))
    let plans = try Planner.compare(request)
    #expect(plans.map { $0.layout.deviceMap?.strategy } == Strategy.allCases)
    #expect(Set(plans.map(\.weightDType)).count == 1)
    let text = CompareRenderer.render(plans)
    let rows = text.split(separator: "\n").filter { line in
      Strategy.allCases.contains { line.hasPrefix($0.rawValue + " ") }
    }
    #expect(rows.count == Strategy.allCases.count)
    let balanced = try #require(rows.first { $0.hasPrefix("balanced ") })
    #expect(balanced.contains("1.00x"))
    // auto beats accelerate's default here (it spills to the CPU): a speed-up above 1.
    let auto = try #require(plans.first { $0.layout.deviceMap?.strategy == .auto })
    let accelerate = try #require(plans.first { $0.layout.deviceMap?.strategy == .balanced })
    #expect(auto.fits && !accelerate.fits)
    #expect(auto.speed.decodeSecondsPerToken < accelerate.speed.decodeSecondsPerToken)
  }
}
