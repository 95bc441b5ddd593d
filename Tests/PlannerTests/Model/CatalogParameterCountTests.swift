import Foundation
import Testing

@testable import Planner

/// The catalog files' parameter counts against transformers': fixtures/models/catalog-param-counts.json
/// is written by Scripts/count_catalog_params.py, which builds each model on the meta device from
/// the same config.json with transformers' own class and counts its parameters.
@Suite struct CatalogParameterCountTests {
  struct Counted: Decodable {
    var parameters: Int64?
    var reason: String?
  }
  struct Fixture: Decodable {
    var transformers: String
    var models: [String: Counted]
  }

  static let fixture: Fixture? = try? JSONDecoder().decode(
    Fixture.self, from: Fixtures.data("models/catalog-param-counts.json"))

  /// Models the planner counts differently from transformers, each with the reason; empty today.
  static let differences: [String: String] = [:]

  static let fileEntries = ModelCatalog.entries.filter { $0.file != nil }.map(\.name)

  @Test(arguments: fileEntries)
  func parameterCountIsTransformers(name: String) throws {
    let fixture = try #require(Self.fixture, "fixtures/models/catalog-param-counts.json is unreadable")
    let counted = try #require(
      fixture.models[name], "\(name) is not in the fixture: run Scripts/count_catalog_params.py")
    guard let expected = counted.parameters else {
      #expect(counted.reason != nil, "\(name): no count and no reason")
      return
    }
    let model = try #require(ModelCatalog.entry(named: name)).build()
    if let reason = Self.differences[name] {
      #expect(
        model.parameterCount != expected, "\(name) now matches transformers; drop its reason: \(reason)")
    } else {
      #expect(
        model.parameterCount == expected, "\(name): transformers \(fixture.transformers) counts \(expected)")
    }
  }

  @Test func everyFixtureModelIsACatalogFile() throws {
    let fixture = try #require(Self.fixture)
    #expect(Set(fixture.models.keys) == Set(Self.fileEntries))
  }

  /// The counts that are also published or cross-checked elsewhere
  /// (../shared/reference/models-and-gpus.md §1.6) agree with transformers'.
  @Test func fixtureAgreesWithPublishedTotals() throws {
    let fixture = try #require(Self.fixture)
    #expect(fixture.models["llama-3-8b"]?.parameters == 8_030_261_248)
    #expect(fixture.models["llama-3-70b"]?.parameters == 70_553_706_496)
    #expect(fixture.models["qwen2-7b"]?.parameters == 7_615_616_512)
    #expect(fixture.models["qwen2.5-72b"]?.parameters == 72_706_203_648)
    #expect(fixture.models["mistral-7b"]?.parameters == 7_241_732_096)
  }
}
