import Foundation

/// A parsed JSON document, for files whose errors must name the field and the reason
/// (a `Decodable` type only says "data corrupted").
enum JSONValue: Sendable, Hashable, Decodable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let value = try? container.decode(Bool.self) {
      self = .bool(value)
    } else if let value = try? container.decode(Double.self) {
      self = .number(value)
    } else if let value = try? container.decode(String.self) {
      self = .string(value)
    } else if let value = try? container.decode([JSONValue].self) {
      self = .array(value)
    } else {
      self = .object(try container.decode([String: JSONValue].self))
    }
  }

  /// Parses JSON text; `nil` if it is not JSON (or breaks the default limits).
  static func parse(_ data: Data) -> JSONValue? { try? parse(data, limits: Limits()) }

  /// Parses JSON text in one linear pass, within `limits`.
  ///
  /// A key given twice in an object takes its last value, as Python's `json` (and so
  /// transformers and safetensors' Python tools) reads it. Numbers must be finite.
  ///
  /// - Complexity: O(*n*) for *n* bytes; stops at the first value past `limits.values`.
  static func parse(_ data: Data, limits: Limits) throws(ParseError) -> JSONValue {
    let result: Result<JSONValue, ParseError> = data.withUnsafeBytes { raw in
      var parser = JSONParser(bytes: raw.bindMemory(to: UInt8.self), limits: limits)
      do throws(ParseError) {
        return .success(try parser.document())
      } catch {
        return .failure(error)
      }
    }
    return try result.get()
  }

  /// Bounds on a document, so that a small hostile file cannot cost unbounded time or memory.
  struct Limits: Sendable {
    /// Deepest nesting of arrays and objects: JSONDecoder's and Python's recursion limits are
    /// of this order, and no real file nests more than a handful of levels.
    var depth = 512
    /// Most values (scalars, arrays and objects together) in the document.
    var values = Int.max
  }

  /// Why a text is not accepted as JSON.
  enum ParseError: Error, Sendable, Hashable {
    /// Not JSON: the byte offset where the grammar breaks.
    case syntax(offset: Int)
    /// Nested deeper than ``Limits/depth``.
    case tooDeep(limit: Int)
    /// More values than ``Limits/values``.
    case tooManyValues(limit: Int)
  }

  /// A short description of the kind of value, for error messages.
  var kind: String {
    switch self {
    case .null: "null"
    case .bool: "a boolean"
    case .number: "a number"
    case .string: "a string"
    case .array: "an array"
    case .object: "an object"
    }
  }
}

/// A recursive-descent JSON parser over bytes (RFC 8259).
private struct JSONParser {
  let bytes: UnsafeBufferPointer<UInt8>
  let limits: JSONValue.Limits
  var position = 0
  var depth = 0
  var values = 0

  init(bytes: UnsafeBufferPointer<UInt8>, limits: JSONValue.Limits) {
    self.bytes = bytes
    self.limits = limits
  }

  mutating func document() throws(JSONValue.ParseError) -> JSONValue {
    // A UTF-8 byte order mark, as JSONDecoder accepts.
    if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { position = 3 }
    let value = try self.value()
    skipSpace()
    guard position == bytes.count else { throw .syntax(offset: position) }
    return value
  }

  mutating func skipSpace() {
    while position < bytes.count {
      switch bytes[position] {
      case 0x20, 0x09, 0x0A, 0x0D: position += 1
      default: return
      }
    }
  }

  func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

  mutating func expect(_ literal: StaticString) throws(JSONValue.ParseError) {
    let count = literal.utf8CodeUnitCount
    guard position + count <= bytes.count else { throw .syntax(offset: position) }
    for index in 0..<count where bytes[position + index] != literal.utf8Start[index] {
      throw .syntax(offset: position + index)
    }
    position += count
  }

  mutating func value() throws(JSONValue.ParseError) -> JSONValue {
    values += 1
    guard values <= limits.values else { throw .tooManyValues(limit: limits.values) }
    skipSpace()
    guard let byte = peek() else { throw .syntax(offset: position) }
    switch byte {
    case UInt8(ascii: "{"): return try object()
    case UInt8(ascii: "["): return try array()
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "t"):
      try expect("true")
      return .bool(true)
    case UInt8(ascii: "f"):
      try expect("false")
      return .bool(false)
    case UInt8(ascii: "n"):
      try expect("null")
      return .null
    default: return .number(try number())
    }
  }

  mutating func enter() throws(JSONValue.ParseError) {
    depth += 1
    guard depth <= limits.depth else { throw .tooDeep(limit: limits.depth) }
    position += 1
  }

  mutating func object() throws(JSONValue.ParseError) -> JSONValue {
    try enter()
    defer { depth -= 1 }
    // Pairs first, then one dictionary of the right size (no rehashing as it grows).
    var fields: [(String, JSONValue)] = []
    func built() -> JSONValue {
      // The last of duplicated keys wins, as in Python.
      .object(Dictionary(fields, uniquingKeysWith: { _, last in last }))
    }
    skipSpace()
    if peek() == UInt8(ascii: "}") {
      position += 1
      return built()
    }
    while true {
      skipSpace()
      guard peek() == UInt8(ascii: "\"") else { throw .syntax(offset: position) }
      let key = try string()
      skipSpace()
      guard peek() == UInt8(ascii: ":") else { throw .syntax(offset: position) }
      position += 1
      fields.append((key, try value()))
      skipSpace()
      switch peek() {
      case UInt8(ascii: ","): position += 1
      case UInt8(ascii: "}"):
        position += 1
        return built()
      default: throw .syntax(offset: position)
      }
    }
  }

  mutating func array() throws(JSONValue.ParseError) -> JSONValue {
    try enter()
    defer { depth -= 1 }
    var items: [JSONValue] = []
    skipSpace()
    if peek() == UInt8(ascii: "]") {
      position += 1
      return .array(items)
    }
    while true {
      items.append(try value())
      skipSpace()
      switch peek() {
      case UInt8(ascii: ","): position += 1
      case UInt8(ascii: "]"):
        position += 1
        return .array(items)
      default: throw .syntax(offset: position)
      }
    }
  }

  /// A string starting at the opening quote.
  mutating func string() throws(JSONValue.ParseError) -> String {
    let start = position
    position += 1
    // Fast path: no escapes.
    var end = position
    while end < bytes.count && bytes[end] != UInt8(ascii: "\"") && bytes[end] != UInt8(ascii: "\\")
      && bytes[end] >= 0x20
    {
      end += 1
    }
    guard end < bytes.count else { throw .syntax(offset: end) }
    if bytes[end] == UInt8(ascii: "\"") {
      guard let text = String(validating: UnsafeBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
      else { throw .syntax(offset: start) }
      position = end + 1
      return text
    }
    var buffer = Array(bytes[position..<end])
    position = end
    while true {
      guard let byte = peek() else { throw .syntax(offset: position) }
      position += 1
      switch byte {
      case UInt8(ascii: "\""):
        guard let text = String(validating: buffer, as: UTF8.self) else { throw .syntax(offset: start) }
        return text
      case UInt8(ascii: "\\"):
        guard let escape = peek() else { throw .syntax(offset: position) }
        position += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(escape)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
          var scalar = try hex4()
          if (0xD800...0xDBFF).contains(scalar) {
            // A high surrogate must be followed by an escaped low one.
            guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
              bytes[position + 1] == UInt8(ascii: "u")
            else { throw .syntax(offset: position) }
            position += 2
            let low = try hex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw .syntax(offset: position) }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
          }
          guard let unicode = Unicode.Scalar(scalar) else { throw .syntax(offset: position) }
          buffer.append(contentsOf: Array(String(Character(unicode)).utf8))
        default: throw .syntax(offset: position - 1)
        }
      default:
        guard byte >= 0x20 else { throw .syntax(offset: position - 1) }
        buffer.append(byte)
      }
    }
  }

  mutating func hex4() throws(JSONValue.ParseError) -> UInt32 {
    guard position + 4 <= bytes.count else { throw .syntax(offset: position) }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[position]
      let digit: UInt32
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
      default: throw .syntax(offset: position)
      }
      value = value << 4 | digit
      position += 1
    }
    return value
  }

  /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, finite.
  mutating func number() throws(JSONValue.ParseError) -> Double {
    let start = position
    func digits() -> Int {
      let first = position
      while let byte = peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { position += 1 }
      return position - first
    }
    let negative = peek() == UInt8(ascii: "-")
    if negative { position += 1 }
    var integerDigits = 1
    if peek() == UInt8(ascii: "0") {
      position += 1
    } else {
      integerDigits = digits()
      guard integerDigits > 0 else { throw .syntax(offset: start) }
    }
    if peek() == UInt8(ascii: ".") {
      position += 1
      guard digits() > 0 else { throw .syntax(offset: position) }
    }
    if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
      position += 1
      if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
      guard digits() > 0 else { throw .syntax(offset: position) }
    }
    // Integers of up to 15 digits are exact in a Double: no text to convert (a header holds
    // millions of them).
    if integerDigits <= 15 && position - start == integerDigits + (negative ? 1 : 0) {
      var value: Int64 = 0
      for byte in bytes[(start + (negative ? 1 : 0))..<position] {
        value = value * 10 + Int64(byte - UInt8(ascii: "0"))
      }
      return Double(negative ? -value : value)
    }
    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    guard let value = Double(text), value.isFinite else { throw .syntax(offset: start) }
    return value
  }
}
