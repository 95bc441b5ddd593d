import Foundation

/// A validator for the subset of JSON Schema (draft 2020-12) that `Docs/plan.schema.json` uses:
/// `type`, `const`, `enum`, `properties`, `required`, `additionalProperties` (false or a schema),
/// `items`, `minimum`, `oneOf` and local `$ref`s (`#/$defs/name`). Anything else in a schema is
/// refused, so the schema cannot silently use a keyword this validator ignores.
struct JSONSchemaValidator {
  let root: [String: Any]

  static let keywords: Set<String> = [
    "$schema", "$id", "title", "description", "$defs", "type", "const", "enum", "properties", "required",
    "additionalProperties", "items", "minimum", "oneOf", "$ref",
  ]

  init(schema data: Data) throws {
    guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw CocoaError(.coderReadCorrupt)
    }
    self.root = root
  }

  /// Parses JSON text into Foundation values (`NSNumber` for numbers and booleans, told apart by
  /// ``isBoolean(_:)``).
  static func parse(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
  }

  /// Every violation, as `path: reason`; empty when the value is valid.
  func errors(of value: Any) -> [String] { errors(of: value, against: root, at: "$") }

  static func isBoolean(_ value: Any) -> Bool { String(describing: type(of: value)).contains("Boolean") }

  static func number(_ value: Any) -> Double? {
    guard !isBoolean(value), let number = value as? NSNumber else { return nil }
    return number.doubleValue
  }

  static func isInteger(_ value: Any) -> Bool {
    guard let number = value as? NSNumber, !isBoolean(value) else { return false }
    let type = String(cString: number.objCType)
    return type != "d" && type != "f" || number.doubleValue.rounded() == number.doubleValue
  }

  static func typeName(_ value: Any) -> String {
    if value is NSNull { return "null" }
    if isBoolean(value) { return "boolean" }
    if isInteger(value) { return "integer" }
    if number(value) != nil { return "number" }
    if value is String { return "string" }
    if value is [Any] { return "array" }
    if value is [String: Any] { return "object" }
    return "unknown"
  }

  static func matches(_ value: Any, type name: String) -> Bool {
    let actual = typeName(value)
    return actual == name || (name == "number" && actual == "integer")
  }

  static func equal(_ a: Any, _ b: Any) -> Bool {
    if isBoolean(a) || isBoolean(b) { return isBoolean(a) && isBoolean(b) && (a as? Bool) == (b as? Bool) }
    if let x = number(a), let y = number(b) { return x == y }
    if let x = a as? String, let y = b as? String { return x == y }
    return false
  }

  func resolve(_ schema: [String: Any]) -> [String: Any] {
    guard let ref = schema["$ref"] as? String else { return schema }
    let name = String(ref.dropFirst("#/$defs/".count))
    guard ref.hasPrefix("#/$defs/"), let defs = root["$defs"] as? [String: Any],
      let target = defs[name] as? [String: Any]
    else { return ["$unresolved": ref] }
    return resolve(target)
  }

  func errors(of value: Any, against raw: [String: Any], at path: String) -> [String] {
    let schema = resolve(raw)
    if let ref = schema["$unresolved"] { return ["\(path): unresolved $ref \(ref)"] }
    var found: [String] = []
    for key in schema.keys where !Self.keywords.contains(key) {
      found.append("\(path): the schema uses \(key), which this validator does not check")
    }
    if let type = schema["type"] as? String, !Self.matches(value, type: type) {
      return found + ["\(path): \(Self.typeName(value)), expected \(type)"]
    }
    if let constant = schema["const"], !Self.equal(value, constant) {
      found.append("\(path): \(value), expected \(constant)")
    }
    if let options = schema["enum"] as? [Any], !options.contains(where: { Self.equal(value, $0) }) {
      found.append("\(path): \(value) is not one of \(options)")
    }
    if let minimum = (schema["minimum"] as? NSNumber)?.doubleValue, let number = Self.number(value),
      number < minimum
    {
      found.append("\(path): \(number) is below the minimum \(minimum)")
    }
    if let options = schema["oneOf"] as? [[String: Any]] {
      let results = options.map { errors(of: value, against: $0, at: path) }
      let passing = results.filter(\.isEmpty).count
      if passing != 1 { found.append("\(path): matches \(passing) of the oneOf schemas, expected exactly 1") }
      // Where none matches, the reasons of the closest one.
      if passing == 0, let closest = results.min(by: { $0.count < $1.count }) { found += closest }
    }
    if let object = value as? [String: Any] {
      let properties = schema["properties"] as? [String: Any] ?? [:]
      for name in schema["required"] as? [String] ?? [] where object[name] == nil {
        found.append("\(path): required key \(name) is missing")
      }
      for (key, item) in object.sorted(by: { $0.key < $1.key }) {
        if let property = properties[key] as? [String: Any] {
          found += errors(of: item, against: property, at: "\(path).\(key)")
        } else if let additional = schema["additionalProperties"] {
          if let extra = additional as? [String: Any] {
            found += errors(of: item, against: extra, at: "\(path).\(key)")
          } else if Self.isBoolean(additional), additional as? Bool == false {
            found.append("\(path): key \(key) is not in the schema")
          }
        }
      }
    }
    if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
      for (index, item) in array.enumerated() {
        found += errors(of: item, against: items, at: "\(path)[\(index)]")
      }
    }
    return found
  }
}
