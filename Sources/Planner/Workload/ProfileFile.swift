import Foundation

/// Reads a host profile (`--profile FILE`): a runtime's constants measured on the user's own
/// machine, as `Scripts/calibrate.py --fit-profile` writes them.
///
///     {
///       "runtime": "transformers",            // required: the base profile (a --runtime name)
///       "measuredOn": "NVIDIA H200, ...",     // optional: one line, shown in the plan
///       "notes": ["fitted to ..."],           // optional: free text (a string or strings), not used
///       "hostSecondsPerLayer": 0.00060055,    // optional overrides of the base profile's fields,
///       "hostSecondsPerDispatchedLayer": 0.000201,  // by their Swift names (Field): seconds,
///       "memoryEfficiency": 0.7,              // fractions in (0, 1], reservePerGPUBytes,
///       "prefillChunkTokens": null,           // booleans, a token count or null
///       "timeSpreadLow": 0.9,                 // optional: measured time / estimate, fastest
///       "timeSpreadHigh": 1.15                //   and slowest (TimeSpread; low <= 1 <= high)
///     }
///
/// Every field the file leaves out keeps the base profile's value, and the profile keeps the base
/// runtime's name (so `--runtime` and the rest of the planner treat it as that runtime); its
/// ``RuntimeProfile/source`` says which file set which fields, for the plan's output. Every error
/// is one line naming the file, the field and the reason.
public enum ProfileFile {
  public struct Error: Swift.Error, Equatable, CustomStringConvertible {
    public var description: String
  }

  /// A field of ``RuntimeProfile`` a file may set, by its key in the file.
  public enum Field: String, CaseIterable, Sendable, Codable {
    case reservePerGPUBytes, memoryEfficiency, computeEfficiency, encoderComputeEfficiency
    case hostSecondsPerEncoderLayer, hostSecondsPerLayer, hostSecondsPerStep, hostSecondsPerHop
    case hostSecondsPerDispatchedLayer, hostSecondsPerMovedInput
    case pipelinesStages, returnsLogitsToFirstGPU, prefillChunkTokens
    /// The measured ``TimeSpread``: the fastest and slowest measured time over the estimate.
    case timeSpreadLow, timeSpreadHigh

    enum Kind { case seconds, efficiency, bytes, flag, tokens, spreadLow, spreadHigh }

    var kind: Kind {
      switch self {
      case .reservePerGPUBytes: .bytes
      case .memoryEfficiency, .computeEfficiency, .encoderComputeEfficiency: .efficiency
      case .hostSecondsPerEncoderLayer, .hostSecondsPerLayer, .hostSecondsPerStep, .hostSecondsPerHop,
        .hostSecondsPerDispatchedLayer, .hostSecondsPerMovedInput:
        .seconds
      case .pipelinesStages, .returnsLogitsToFirstGPU: .flag
      case .prefillChunkTokens: .tokens
      case .timeSpreadLow: .spreadLow
      case .timeSpreadHigh: .spreadHigh
      }
    }

    /// The field's value in `profile`.
    public func value(in profile: RuntimeProfile) -> Value {
      switch self {
      case .reservePerGPUBytes: .integer(profile.reservePerGPU.value)
      case .memoryEfficiency: .number(profile.memoryEfficiency)
      case .computeEfficiency: .number(profile.computeEfficiency)
      case .encoderComputeEfficiency: .number(profile.encoderComputeEfficiency)
      case .hostSecondsPerEncoderLayer: .number(profile.hostSecondsPerEncoderLayer)
      case .hostSecondsPerLayer: .number(profile.hostSecondsPerLayer)
      case .hostSecondsPerStep: .number(profile.hostSecondsPerStep)
      case .hostSecondsPerHop: .number(profile.hostSecondsPerHop)
      case .hostSecondsPerDispatchedLayer: .number(profile.hostSecondsPerDispatchedLayer)
      case .hostSecondsPerMovedInput: .number(profile.hostSecondsPerMovedInput)
      case .pipelinesStages: .bool(profile.pipelinesStages)
      case .returnsLogitsToFirstGPU: .bool(profile.returnsLogitsToFirstGPU)
      case .prefillChunkTokens: profile.prefillChunkTokens.map { .integer(Int64($0)) } ?? .none
      case .timeSpreadLow: .number(profile.timeSpread.low)
      case .timeSpreadHigh: .number(profile.timeSpread.high)
      }
    }

    /// Sets the field of `profile` to a value already validated for its kind.
    func set(_ value: Value, in profile: inout RuntimeProfile) {
      switch (self, value) {
      case (.reservePerGPUBytes, .integer(let bytes)): profile.reservePerGPU = ByteCount(bytes)
      case (.memoryEfficiency, .number(let x)): profile.memoryEfficiency = x
      case (.computeEfficiency, .number(let x)): profile.computeEfficiency = x
      case (.encoderComputeEfficiency, .number(let x)): profile.encoderComputeEfficiency = x
      case (.hostSecondsPerEncoderLayer, .number(let x)): profile.hostSecondsPerEncoderLayer = x
      case (.hostSecondsPerLayer, .number(let x)): profile.hostSecondsPerLayer = x
      case (.hostSecondsPerStep, .number(let x)): profile.hostSecondsPerStep = x
      case (.hostSecondsPerHop, .number(let x)): profile.hostSecondsPerHop = x
      case (.hostSecondsPerDispatchedLayer, .number(let x)): profile.hostSecondsPerDispatchedLayer = x
      case (.hostSecondsPerMovedInput, .number(let x)): profile.hostSecondsPerMovedInput = x
      case (.pipelinesStages, .bool(let flag)): profile.pipelinesStages = flag
      case (.returnsLogitsToFirstGPU, .bool(let flag)): profile.returnsLogitsToFirstGPU = flag
      case (.prefillChunkTokens, .integer(let tokens)): profile.prefillChunkTokens = Int(tokens)
      case (.prefillChunkTokens, .none): profile.prefillChunkTokens = nil
      case (.timeSpreadLow, .number(let x)): profile.timeSpread.low = x
      case (.timeSpreadHigh, .number(let x)): profile.timeSpread.high = x
      default: preconditionFailure("\(rawValue): \(value) is not of the field's kind")
      }
    }

    /// The value for people: `"600.6 µs"`, `"0.7"`, `"256.00 MiB"`, `"true"`, `"none"`.
    public func display(in profile: RuntimeProfile) -> String {
      switch value(in: profile) {
      case .number(let x): kind == .seconds ? DurationFormatting.seconds(x) : "\(x)"
      case .integer(let n): kind == .bytes ? ByteCount(n).formatted() : "\(n)"
      case .bool(let flag): "\(flag)"
      case .none: "none"
      }
    }
  }

  /// A field's value, as the JSON output writes it (seconds rounded to the nanosecond).
  public enum Value: Sendable, Hashable, Encodable {
    case number(Double)
    case integer(Int64)
    case bool(Bool)
    case none

    public func encode(to encoder: any Encoder) throws {
      var container = encoder.singleValueContainer()
      switch self {
      case .number(let x): try container.encode(DurationFormatting.json(x))
      case .integer(let n): try container.encode(n)
      case .bool(let flag): try container.encode(flag)
      case .none: try container.encodeNil()
      }
    }
  }

  /// Where a profile's values came from: the file (as given), the machine it names, and the
  /// fields it set, in ``Field`` order.
  public struct Source: Sendable, Hashable, Codable {
    public var file: String
    public var measuredOn: String?
    public var fields: [Field]
  }

  /// The keys a file may hold besides the fields.
  static let otherKeys = ["runtime", "measuredOn", "notes"]
  /// Every key a file may hold, in the schema's order.
  public static var keys: [String] { otherKeys + Field.allCases.map(\.rawValue) }

  /// Longest `measuredOn` accepted (it is printed on one line of the plan).
  static let maximumMeasuredOnLength = 200
  /// More host time than this for one layer, step or hop is a unit mistake (milliseconds written
  /// as seconds).
  static let maximumSeconds = 1.0
  static let maximumReserveBytes = Double(1 << 40)
  static let maximumChunkTokens = 10_000_000

  /// Smallest efficiency accepted: measured ones are 0.3 to 0.9; below 1% of the datasheet peak
  /// is a mis-measurement that would make every time absurd.
  static let minimumEfficiency = 0.01
  /// Widest spread accepted: a measured time 10x faster or slower than the estimate is a broken
  /// measurement or a broken profile, not a spread.
  static let maximumSpread = 10.0

  /// A profile file that sets `fields` of `profile` (the format ``parse(_:file:)`` reads), keys in
  /// the schema's order.
  public static func render(
    _ profile: RuntimeProfile, fields: [Field], measuredOn: String?, notes: [String]
  ) -> String {
    func quoted(_ text: String) -> String {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.withoutEscapingSlashes]
      let data = (try? encoder.encode(text)) ?? Data("\"\"".utf8)
      return String(decoding: data, as: UTF8.self)
    }
    var lines = ["  \"runtime\": \(quoted(profile.name))"]
    if let measuredOn { lines.append("  \"measuredOn\": \(quoted(measuredOn))") }
    if !notes.isEmpty {
      lines.append("  \"notes\": [\n" + notes.map { "    " + quoted($0) }.joined(separator: ",\n") + "\n  ]")
    }
    for field in Field.allCases where fields.contains(field) {
      let data = (try? JSONEncoder().encode(field.value(in: profile))) ?? Data("null".utf8)
      lines.append("  \"\(field.rawValue)\": " + String(decoding: data, as: UTF8.self))
    }
    return "{\n" + lines.joined(separator: ",\n") + "\n}\n"
  }

  /// Reads and validates the file.
  public static func load(path: String) throws(Error) -> RuntimeProfile {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw Error(description: "--profile \(path): cannot read the file (does it exist?)")
    }
    return try parse(data, file: path)
  }

  /// Validates the JSON text of a profile file: the base runtime's profile with the file's fields.
  public static func parse(_ data: Data, file: String) throws(Error) -> RuntimeProfile {
    guard data.count <= 1 << 20 else {
      throw Error(description: "\(file): larger than 1 MiB, not a runtime profile")
    }
    guard let json = JSONValue.parse(data) else {
      if let (key, token) = nonFiniteNumber(in: data) {
        throw Error(
          description:
            "\(file): field '\(EchoedValue(key))': must be a finite number (got \(EchoedValue(token)))")
      }
      throw Error(description: "\(file): not valid JSON")
    }
    guard case .object(let object) = json else {
      throw Error(description: "\(file): the profile is \(json.kind), not an object")
    }
    func fail(_ field: String, _ reason: String) -> Error {
      Error(description: "\(file): field '\(EchoedValue(field))': \(reason)")
    }
    if let unknown = object.keys.sorted().first(where: { !keys.contains($0) }) {
      let ranked = closestKeys(to: unknown)
      throw fail(
        unknown,
        "unknown field; did you mean '\(ranked[0])'? (valid fields, closest first: "
          + ranked.joined(separator: ", ") + ")")
    }
    let runtimes = RuntimeProfile.all.map(\.name).joined(separator: ", ")
    guard let raw = object["runtime"] else {
      throw fail("runtime", "missing (required: the base runtime, one of \(runtimes))")
    }
    guard case .string(let name) = raw else { throw fail("runtime", "must be a string, not \(raw.kind)") }
    guard var profile = RuntimeProfile.named(name) else {
      throw fail("runtime", "unknown runtime '\(EchoedValue(name))' (choose one of: \(runtimes))")
    }
    var measuredOn: String?
    if let raw = object["measuredOn"] {
      guard case .string(let text) = raw else {
        throw fail("measuredOn", "must be a string, not \(raw.kind)")
      }
      guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
        throw fail("measuredOn", "must be one line of text (no line breaks or control characters)")
      }
      guard text.count <= maximumMeasuredOnLength else {
        throw fail("measuredOn", "longer than \(maximumMeasuredOnLength) characters (put details in 'notes')")
      }
      measuredOn = text.isEmpty ? nil : text
    }
    if let raw = object["notes"] {
      switch raw {
      case .string: break
      case .array(let items) where items.allSatisfy({ if case .string = $0 { true } else { false } }): break
      default: throw fail("notes", "must be a string or an array of strings")
      }
    }
    var fields: [Field] = []
    for field in Field.allCases {
      guard let raw = object[field.rawValue] else { continue }
      field.set(try value(of: field, raw, fail: fail), in: &profile)
      fields.append(field)
    }
    profile.source = Source(file: file, measuredOn: measuredOn, fields: fields)
    return profile
  }

  /// Validates one field's JSON value for the field's kind.
  static func value(of field: Field, _ raw: JSONValue, fail: (String, String) -> Error) throws(Error) -> Value
  {
    let key = field.rawValue
    switch field.kind {
    case .flag:
      guard case .bool(let flag) = raw else { throw fail(key, "must be true or false, not \(raw.kind)") }
      return .bool(flag)
    case .tokens:
      if raw == .null { return .none }
      guard case .number(let n) = raw else {
        throw fail(key, "must be a whole number of tokens or null (no chunking), not \(raw.kind)")
      }
      guard n.isFinite, n == n.rounded(.down), n >= 1, n <= Double(maximumChunkTokens) else {
        throw fail(key, "must be a whole number from 1 to \(maximumChunkTokens), or null (got \(n))")
      }
      return .integer(Int64(n))
    case .seconds, .efficiency, .bytes, .spreadLow, .spreadHigh:
      guard case .number(let x) = raw else { throw fail(key, "must be a number, not \(raw.kind)") }
      guard x.isFinite else { throw fail(key, "must be a finite number (got \(x))") }
      switch field.kind {
      case .spreadLow:
        guard x > 0, x <= 1, x >= 1 / maximumSpread else {
          throw fail(
            key,
            "must be in [\(1 / maximumSpread), 1]: the fastest measured time over the estimate (got \(x))")
        }
        return .number(x)
      case .spreadHigh:
        guard x >= 1, x <= maximumSpread else {
          throw fail(
            key, "must be in [1, \(maximumSpread)]: the slowest measured time over the estimate (got \(x))")
        }
        return .number(x)
      case .efficiency:
        guard x > 0, x <= 1 else {
          throw fail(key, "must be in (0, 1], a fraction of the datasheet peak (got \(x))")
        }
        guard x >= minimumEfficiency else {
          throw fail(
            key,
            "\(x) is absurdly small (at least \(minimumEfficiency) of the datasheet peak): a mis-measurement?"
          )
        }
        return .number(x)
      case .bytes:
        guard x >= 0 else { throw fail(key, "must be zero or more (got \(x))") }
        guard x == x.rounded(.down) else { throw fail(key, "must be a whole number of bytes (got \(x))") }
        guard x <= maximumReserveBytes else {
          throw fail(key, "\(x) bytes is absurdly large (at most \(Int64(maximumReserveBytes)))")
        }
        return .integer(Int64(x))
      default:
        guard x >= 0 else { throw fail(key, "must be zero or more seconds (got \(x))") }
        guard x <= maximumSeconds else {
          throw fail(key, "\(x) s is more than a second: values are in seconds (0.00063 is 0.63 ms)")
        }
        return .number(x)
      }
    }
  }

  /// The first `"key": value` whose value is `NaN`, `Infinity` or a number too large for a
  /// `Double` (what Python's `json.dump` writes for non-finite floats, and what the JSON parser
  /// refuses without naming the field).
  static func nonFiniteNumber(in data: Data) -> (key: String, token: String)? {
    let pattern = #""([^"\\]*)"\s*:\s*([-+]?(?:NaN|Infinity|[0-9][0-9.]*[eE][-+]?[0-9]+))"#
    guard let regex = try? Regex(pattern) else { return nil }
    let text = String(decoding: data, as: UTF8.self)
    for match in text.matches(of: regex) {
      guard let key = match.output[1].substring, let token = match.output[2].substring else { continue }
      if let x = Double(token), x.isFinite { continue }
      return (String(key), String(token))
    }
    return nil
  }

  /// Every key, the closest spelling to `key` first (edit distance, case and punctuation
  /// ignored; ties in schema order).
  static func closestKeys(to key: String) -> [String] {
    let query = Array(NameMatching.normalized(key))
    return keys.enumerated().map { index, name in
      (
        distance: NameMatching.editDistance(query, Array(NameMatching.normalized(name))), index: index,
        name: name
      )
    }.sorted { ($0.distance, $0.index) < ($1.distance, $1.index) }.map(\.name)
  }
}
