import Foundation
import Planner

/// The CLI's own JSON documents (the catalogs; plans and comparisons are ``JSONExporter``'s): `{"kind": KIND, KEY: [...], "schemaVersion": 1}`, written as
/// ``JSONExporter`` writes a plan (pretty-printed, keys sorted, slashes unescaped, a final newline).
enum JSONDocument {
  /// The contract's version, the library's (Docs/JSON.md).
  static let schemaVersion = JSONExporter.schemaVersion

  /// The document of `kind` holding `items` under `key`.
  static func render(kind: String, key: String, items: some Encodable) -> String {
    JSONExporter.encode(Envelope(kind: kind, key: key, items: items))
  }

  struct Envelope<Items: Encodable>: Encodable {
    var kind: String
    var key: String
    var items: Items

    struct Key: CodingKey {
      var stringValue: String
      var intValue: Int? { nil }
      init(_ string: String) { stringValue = string }
      init?(stringValue: String) { self.stringValue = stringValue }
      init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: Key.self)
      try container.encode(JSONDocument.schemaVersion, forKey: Key("schemaVersion"))
      try container.encode(kind, forKey: Key("kind"))
      try container.encode(items, forKey: Key(key))
    }
  }
}
