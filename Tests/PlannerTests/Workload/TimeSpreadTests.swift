import Testing

@testable import Planner

/// The built-in spreads: each brackets the estimate, each runtime gets its own, and the roofline's
/// times are bounds.
@Suite struct TimeSpreadTests {
  @Test(arguments: RuntimeProfile.all.map(\.name))
  func everyBuiltInSpreadBracketsTheEstimate(runtime: String) throws {
    let spread = try #require(RuntimeProfile.named(runtime)).timeSpread
    #expect(spread == TimeSpread.builtIn(runtime: runtime))
    #expect(spread.low > 0 && spread.low <= 1, "\(runtime) low \(spread.low)")
    #expect(spread.high >= 1, "\(runtime) high \(spread.high)")
  }

  @Test func eachRuntimeHasItsOwnSpread() {
    #expect(RuntimeProfile.transformers.timeSpread == .transformers)
    #expect(RuntimeProfile.vllm.timeSpread == .vllm)
    #expect(RuntimeProfile.sglang.timeSpread == .vllm)
    #expect(RuntimeProfile.llamaCpp.timeSpread == .llamaCpp)
    #expect(TimeSpread.builtIn(runtime: "something-new") == .unknown)
    // Only the roofline is a bound; every runtime that is predicted has a range around it.
    #expect(RuntimeProfile.roofline.timeSpread.isBound)
    for profile in RuntimeProfile.all where profile.name != "roofline" {
      #expect(!profile.timeSpread.isBound, "\(profile.name)")
      #expect(profile.timeSpread.high > profile.timeSpread.low, "\(profile.name)")
    }
  }

  /// A profile's measured spread replaces the built-in one; clearing it is not possible by
  /// assignment, but a copy of the built-in profile never carries one.
  @Test func settingASpreadOnAProfileKeepsItsName() {
    var profile = RuntimeProfile.transformers
    profile.timeSpread.high = 1.1
    #expect(profile.timeSpread == TimeSpread(low: TimeSpread.transformers.low, high: 1.1))
    #expect(profile.name == "transformers")
    #expect(profile != .transformers)
    #expect(RuntimeProfile.transformers.timeSpread == .transformers)
  }
}
