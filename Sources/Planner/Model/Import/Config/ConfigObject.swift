import Foundation

/// A JSON object of `config.json` (or a nested config) with typed, bounded field access; every
/// error names the file and the field's dotted path. A `null` field reads as absent.
struct ConfigObject {
  var fields: [String: JSONValue]
  /// Dotted path of this object in the file (`""` at the top).
  var path: String
  var file: String

  init(_ value: JSONValue, path: String, file: String) throws(ImportError) {
    guard case .object(let fields) = value else {
      throw ImportError(
        .invalidField, file: file, subject: path.isEmpty ? nil : path, "is \(value.kind), not an object")
    }
    self.fields = fields
    self.path = path
    self.file = file
  }

  /// The dotted path of a field.
  func subject(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

  func fail(_ kind: ImportError.Kind, _ key: String, _ reason: String) -> ImportError {
    ImportError(kind, file: file, subject: subject(key), reason)
  }

  /// The field's value; `nil` where it is absent or `null`.
  func value(_ key: String) -> JSONValue? {
    guard let value = fields[key] else { return nil }
    if case .null = value { return nil }
    return value
  }

  /// An integer field within `range`, or `nil` where absent.
  func optionalInteger(_ key: String, in range: ClosedRange<Int64>) throws(ImportError) -> Int64? {
    guard let value = value(key) else { return nil }
    guard case .number(let number) = value, let integer = Int64(exactly: number) else {
      throw fail(.invalidField, key, "is \(SafetensorsHeader.describe(value)), not an integer")
    }
    guard range.contains(integer) else {
      throw fail(
        integer > range.upperBound ? .tooLarge : .invalidField, key,
        "is \(integer), outside \(range.lowerBound)...\(range.upperBound)")
    }
    return integer
  }

  /// A required integer field within `range`.
  func integer(_ key: String, in range: ClosedRange<Int64>) throws(ImportError) -> Int64 {
    guard let integer = try optionalInteger(key, in: range) else {
      throw fail(.missingField, key, "is missing")
    }
    return integer
  }

  /// An integer field within `range`, `fallback` where absent.
  func integer(_ key: String, in range: ClosedRange<Int64>, default fallback: Int64) throws(ImportError)
    -> Int64
  {
    try optionalInteger(key, in: range) ?? fallback
  }

  /// A list of integers within `range` (empty where absent).
  func integers(_ key: String, in range: ClosedRange<Int64>) throws(ImportError) -> [Int64] {
    guard let value = value(key) else { return [] }
    guard case .array(let items) = value else {
      throw fail(.invalidField, key, "is \(value.kind), not an array")
    }
    var result: [Int64] = []
    for item in items {
      guard case .number(let number) = item, let integer = Int64(exactly: number), range.contains(integer)
      else {
        throw fail(
          .invalidField, key, "holds \(SafetensorsHeader.describe(item)), not an integer in \(range)")
      }
      result.append(integer)
    }
    return result
  }

  /// A list of strings (empty where absent).
  func strings(_ key: String) throws(ImportError) -> [String] {
    guard let value = value(key) else { return [] }
    guard case .array(let items) = value else {
      throw fail(.invalidField, key, "is \(value.kind), not an array")
    }
    var result: [String] = []
    for item in items {
      guard case .string(let text) = item else {
        throw fail(.invalidField, key, "holds \(SafetensorsHeader.describe(item)), not a string")
      }
      result.append(text)
    }
    return result
  }

  /// A Boolean field, `fallback` where absent.
  func bool(_ key: String, default fallback: Bool) throws(ImportError) -> Bool {
    guard let value = value(key) else { return fallback }
    guard case .bool(let flag) = value else {
      throw fail(.invalidField, key, "is \(value.kind), not a boolean")
    }
    return flag
  }

  /// A string field, or `nil` where absent.
  func string(_ key: String) throws(ImportError) -> String? {
    guard let value = value(key) else { return nil }
    guard case .string(let text) = value else {
      throw fail(.invalidField, key, "is \(value.kind), not a string")
    }
    return text
  }

  /// A number field (a number or a numeric string, as `version` is written both ways), or `nil`.
  func number(_ key: String) throws(ImportError) -> Double? {
    switch value(key) {
    case nil: return nil
    case .number(let number)?: return number
    case .string(let text)?:
      guard let number = Double(text) else {
        throw fail(.invalidField, key, "\"\(ImportError.oneLine(text))\" is not a number")
      }
      return number
    case let other?: throw fail(.invalidField, key, "is \(other.kind), not a number")
    }
  }

  /// A nested object field, or `nil` where absent.
  func object(_ key: String) throws(ImportError) -> ConfigObject? {
    guard let value = value(key) else { return nil }
    return try ConfigObject(value, path: subject(key), file: file)
  }
}
