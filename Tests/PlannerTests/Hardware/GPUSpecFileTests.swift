import Foundation
import Testing

@testable import Planner

@Suite struct GPUSpecFileTests {
  static let file = "specs/a4000.json"

  /// The fields of a valid entry, as raw JSON values, in the order they are written.
  static let validFields: [(key: String, json: String)] = [
    ("name", #""RTX-A4000""#), ("aliases", #"["a4000"]"#), ("memoryMiB", "16376"), ("bandwidthGBps", "448"),
    ("fp32TFLOPS", "19.2"), ("fp16TFLOPS", "76.7"), ("computeCapability", #""8.6""#),
  ]

  /// One JSON object: the valid fields with some replaced (a `nil` value removes the field) and
  /// some added at the end.
  static func object(_ changes: [String: String?] = [:]) -> String {
    var fields = validFields.compactMap { field -> String? in
      if let change = changes[field.key] { return change.map { #""\#(field.key)": \#($0)"# } }
      return #""\#(field.key)": \#(field.json)"#
    }
    for (key, value) in changes.sorted(by: { $0.key < $1.key })
    where !validFields.contains(where: { $0.key == key }) {
      if let value { fields.append(#""\#(key)": \#(value)"#) }
    }
    return "{" + fields.joined(separator: ", ") + "}"
  }

  static func parse(_ text: String) throws(GPUSpecFile.Error) -> [GPU] {
    try GPUSpecFile.parse(Data(text.utf8), file: file)
  }

  /// The error a refused text throws (records an issue if it parses).
  static func error(_ text: String) -> GPUSpecFile.Error? {
    do {
      let gpus = try parse(text)
      Issue.record("parsed as \(gpus.map(\.name)); expected an error")
      return nil
    } catch {
      return error
    }
  }

  // MARK: - Valid files

  @Test func singleObjectWithRequiredFieldsOnlyGetsDefaults() throws {
    let gpus = try Self.parse(Self.object())
    try #require(gpus.count == 1)
    let gpu = gpus[0]
    #expect(gpu.name == "RTX-A4000")
    #expect(gpu.aliases == ["a4000"])
    #expect(gpu.computeCapability == 86)
    #expect(gpu.memory == .mebibytes(16_376))
    // Default usable memory: the total less the Ampere (sm_86) CUDA context.
    #expect(gpu.usableMemory == .mebibytes(16_376) - cudaContextAmpere)
    #expect(gpu.bandwidthBytesPerSecond == 448e9)
    #expect(gpu.fp32FLOPS == 19.2 * 1e12)
    #expect(gpu.fp16FLOPS == 76.7 * 1e12)
    #expect(gpu.bf16FLOPS == nil)
    #expect(gpu.fp8FLOPS == nil)
    #expect(gpu.int8OPS == nil)
    #expect(gpu.pcieGeneration == 4)
    #expect(gpu.supportsPeerToPeer)
    #expect(gpu.nvlinkBytesPerSecond == nil)
    #expect(gpu.nvlinkGeneration == nil)
    #expect(gpu.source.contains(Self.file))
  }

  @Test func everyOptionalFieldIsRead() throws {
    let text = Self.object([
      "usableMemoryMiB": "15900", "bf16TFLOPS": "76.7", "fp8TFLOPS": "150", "int8TOPS": "153.4",
      "pcieGeneration": "3", "nvlinkGBps": "112.5", "peerToPeer": "false",
    ])
    let gpu = try #require(try Self.parse(text).first)
    #expect(gpu.usableMemory == .mebibytes(15_900))
    #expect(gpu.bf16FLOPS == 76.7 * 1e12)
    #expect(gpu.fp8FLOPS == 150e12)
    #expect(gpu.int8OPS == 153.4 * 1e12)
    #expect(gpu.pcieGeneration == 3)
    #expect(gpu.nvlinkBytesPerSecond == 112.5e9)
    #expect(!gpu.supportsPeerToPeer)
  }

  @Test func optionalFieldsGivenAsNullTakeTheirDefaults() throws {
    let gpu = try #require(
      try Self.parse(Self.object(["usableMemoryMiB": "null", "pcieGeneration": "null"])).first)
    #expect(gpu.usableMemory == .mebibytes(16_376) - cudaContextAmpere)
    #expect(gpu.pcieGeneration == 4)
  }

  @Test func arrayKeepsEntryOrder() throws {
    let second = """
      {"name": "Big", "memoryMiB": 100000, "bandwidthGBps": 5000, "fp32TFLOPS": 80, "fp16TFLOPS": 1000,
       "computeCapability": "9.0"}
      """
    let gpus = try Self.parse("[\(Self.object()), \(second)]")
    #expect(gpus.map(\.name) == ["RTX-A4000", "Big"])
    #expect(gpus[1].computeCapability == 90)
    #expect(gpus[1].usableMemory == .mebibytes(100_000) - cudaContextHopper)
  }

  /// The CUDA context the default usable memory leaves out, by compute capability.
  @Test(arguments: [
    ("6.1", cudaContextPascal), ("6.0", cudaContextPascal), ("7.0", cudaContextVolta),
    ("7.5", cudaContextTuring),
    ("8.0", cudaContextAmpere), ("8.6", cudaContextAmpere), ("8.9", cudaContextAda),
    ("9.0", cudaContextHopper),
    ("10.0", cudaContextHopper), ("12.0", cudaContextHopper),
  ])
  func defaultUsableMemoryIsMemoryLessTheGenerationsContext(computeCapability: String, context: ByteCount)
    throws
  {
    let gpu = try #require(
      try Self.parse(Self.object(["computeCapability": "\"\(computeCapability)\""])).first)
    #expect(gpu.usableMemory == gpu.memory - context)
    #expect(gpu.computeCapabilityString == computeCapability)
  }

  /// The example the `GPUSpecFile` documentation shows.
  @Test func documentedExampleParses() throws {
    let text = """
      {
        "name": "RTX-A4000", "aliases": ["a4000"], "memoryMiB": 16376, "usableMemoryMiB": 15900,
        "bandwidthGBps": 448, "fp32TFLOPS": 19.2, "fp16TFLOPS": 76.7, "bf16TFLOPS": 76.7,
        "fp8TFLOPS": 0, "int8TOPS": 153.4, "computeCapability": "8.6", "pcieGeneration": 4,
        "nvlinkGBps": 112.5, "peerToPeer": true
      }
      """
    let gpu = try #require(try Self.parse(text).first)
    #expect(gpu.name == "RTX-A4000")
    #expect(gpu.usableMemory == .mebibytes(15_900))
  }

  @Test func loadReadsAFile() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "planner-spec-\(UUID().uuidString).json")
    try Data(Self.object().utf8).write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    let gpus = try GPUSpecFile.load(path: url.path)
    #expect(gpus.map(\.name) == ["RTX-A4000"])
    #expect(gpus[0].source.contains(url.path))
  }

  @Test func loadOfAMissingFileNamesThePath() {
    let path = "/nonexistent/planner/\(UUID().uuidString).json"
    do {
      let gpus = try GPUSpecFile.load(path: path)
      Issue.record("loaded \(gpus.map(\.name))")
    } catch {
      #expect(error.description.contains(path))
      #expect(error.description.contains("cannot read"))
      #expect(!error.description.contains("\n"))
    }
  }

  // MARK: - Refused entries

  /// A field changed to a bad value, and the reason the message must give.
  struct BadField: CustomTestStringConvertible, Sendable {
    var field: String
    /// The raw JSON value, or `nil` to leave the field out.
    var json: String?
    var reason: String
    var testDescription: String { "\(field): \(json ?? "missing")" }
  }

  @Test(arguments: [
    // Missing required fields.
    BadField(field: "name", json: nil, reason: "missing"),
    BadField(field: "memoryMiB", json: nil, reason: "missing (required)"),
    BadField(field: "memoryMiB", json: "null", reason: "missing (required)"),
    BadField(field: "bandwidthGBps", json: nil, reason: "missing (required)"),
    BadField(field: "fp32TFLOPS", json: nil, reason: "missing (required)"),
    BadField(field: "fp16TFLOPS", json: nil, reason: "missing (required)"),
    BadField(field: "computeCapability", json: nil, reason: "missing"),
    // Wrong types.
    BadField(field: "memoryMiB", json: #""16376""#, reason: "must be a number, not a string"),
    BadField(field: "fp16TFLOPS", json: "true", reason: "must be a number, not a boolean"),
    BadField(field: "bandwidthGBps", json: "[448]", reason: "must be a number, not an array"),
    BadField(field: "peerToPeer", json: "1", reason: "must be true or false"),
    BadField(field: "peerToPeer", json: #""yes""#, reason: "must be true or false"),
    BadField(field: "name", json: "5", reason: "not a string"),
    BadField(field: "name", json: #""--""#, reason: "letters or digits"),
    BadField(field: "aliases", json: #""a4000""#, reason: "array of strings"),
    BadField(field: "aliases", json: "[1]", reason: "array of strings"),
    BadField(field: "computeCapability", json: "8.6", reason: "not a string"),
    // Negative, zero, absurd.
    BadField(field: "memoryMiB", json: "-1", reason: "must be positive"),
    BadField(field: "memoryMiB", json: "0", reason: "must be positive"),
    BadField(field: "bandwidthGBps", json: "0", reason: "must be positive"),
    BadField(field: "fp32TFLOPS", json: "-19.2", reason: "must be positive"),
    BadField(field: "bf16TFLOPS", json: "-1", reason: "must be zero or more"),
    BadField(field: "usableMemoryMiB", json: "0", reason: "must be positive"),
    BadField(field: "memoryMiB", json: "1e12", reason: "absurdly large"),
    BadField(field: "usableMemoryMiB", json: "1e12", reason: "absurdly large"),
    BadField(field: "bandwidthGBps", json: "1e7", reason: "absurdly large"),
    BadField(field: "fp16TFLOPS", json: "1e9", reason: "absurdly large"),
    BadField(field: "nvlinkGBps", json: "1e300", reason: "absurdly large"),
    BadField(field: "pcieGeneration", json: "8", reason: "absurdly large"),
    BadField(field: "pcieGeneration", json: "0", reason: "must be positive"),
    BadField(field: "pcieGeneration", json: "3.5", reason: "1 to 7"),
    // Compute capability.
    BadField(field: "computeCapability", json: #""8""#, reason: "not MAJOR.MINOR"),
    BadField(field: "computeCapability", json: #""x.y""#, reason: "not MAJOR.MINOR"),
    BadField(field: "computeCapability", json: #""99.0""#, reason: "not MAJOR.MINOR"),
    BadField(field: "computeCapability", json: #""8.10""#, reason: "not MAJOR.MINOR"),
    BadField(field: "computeCapability", json: #""8.6.1""#, reason: "not MAJOR.MINOR"),
    BadField(field: "computeCapability", json: #""-8.6""#, reason: "not MAJOR.MINOR"),
    BadField(field: "computeCapability", json: #""""#, reason: "not MAJOR.MINOR"),
    // Consistency.
    BadField(field: "usableMemoryMiB", json: "16377", reason: "larger than memoryMiB"),
    BadField(field: "memoryMiB", json: "100", reason: "smaller than a CUDA context"),
    // Unknown field.
    BadField(field: "memoryGiB", json: "16", reason: "unknown field"),
  ])
  func badFieldNamesFileEntryAndField(_ bad: BadField) throws {
    let message = try #require(Self.error(Self.object([bad.field: bad.json]))).description
    #expect(message.contains(Self.file), "\(message)")
    #expect(message.contains("entry 0"), "\(message)")
    #expect(message.contains("field '\(bad.field)'"), "\(message)")
    #expect(message.contains(bad.reason), "\(message)")
    #expect(!message.contains("\n"))
  }

  @Test func errorInALaterEntryNamesThatEntry() throws {
    let bad = Self.object(["memoryMiB": "-5"])
    let message = try #require(Self.error("[\(Self.object()), \(Self.object()), \(bad)]")).description
    #expect(message.contains("entry 2"), "\(message)")
    #expect(message.contains("field 'memoryMiB'"), "\(message)")
  }

  /// A whole file that is refused, and what the message must say.
  @Test(arguments: [
    ("{", "not valid JSON"),
    ("", "not valid JSON"),
    ("name: P4", "not valid JSON"),
    ("[]", "holds no GPU"),
    ("[1, 2]", "entry 0 is a number, not an object"),
    (#"["P4"]"#, "entry 0 is a string, not an object"),
    (#""P4""#, "entry 0 is a string, not an object"),
    ("[[]]", "entry 0 is an array, not an object"),
    ("null", "entry 0 is null, not an object"),
  ])
  func badFileIsRefusedNamingTheFile(text: String, reason: String) throws {
    let message = try #require(Self.error(text)).description
    #expect(message.hasPrefix(Self.file + ":"), "\(message)")
    #expect(message.contains(reason), "\(message)")
  }

  @Test func nonObjectAfterAValidEntryNamesItsIndex() throws {
    let message = try #require(Self.error("[\(Self.object()), true]")).description
    #expect(message.contains("entry 1 is a boolean, not an object"), "\(message)")
  }

  /// A positive memory below one byte must not truncate to a GPU of 0 bytes.
  @Test func positiveMemoryNeverBecomesZeroBytes() {
    do {
      let gpus = try Self.parse(Self.object(["memoryMiB": "1e-9", "usableMemoryMiB": "1e-9"]))
      #expect(gpus.allSatisfy { $0.memory > .zero && $0.usableMemory > .zero })
    } catch {
      #expect(
        error.description.contains("field 'memoryMiB'")
          || error.description.contains("field 'usableMemoryMiB'"))
    }
  }

  @Test func fileOverOneMiBIsRefused() throws {
    let padding = String(repeating: " ", count: 1 << 20)
    let message = try #require(Self.error(Self.object() + padding)).description
    #expect(message.contains("larger than 1 MiB"))
  }

  /// Random values in every field: each file either parses to a sane GPU or is refused; none traps.
  @Test func randomFieldValuesNeverTrap() {
    let values = [
      "null", "true", "false", "0", "-0", "1", "-1", "0.5", "3.5", "7", "8", "1e-300", "1e300", "-1e300",
      "16777216", "16777216.5", "100000", "9007199254740993", #""""#, #""8.6""#, #""x""#, "[]", "{}",
      #"["a"]"#,
    ]
    let keys =
      Self.validFields.map(\.key) + [
        "usableMemoryMiB", "bf16TFLOPS", "fp8TFLOPS", "int8TOPS", "pcieGeneration", "nvlinkGBps",
        "peerToPeer",
      ]
    let baseSeed: UInt64 = 0x5EC_F11E
    for offset in 0..<UInt64(500) {
      let seed = baseSeed &+ offset
      var rng = SplitMix64(seed: seed)
      var changes: [String: String?] = [:]
      for _ in 0..<Int.random(in: 1...3, using: &rng) {
        changes[keys.randomElement(using: &rng)!] = values.randomElement(using: &rng)!
      }
      do {
        for gpu in try Self.parse(Self.object(changes)) {
          #expect(gpu.usableMemory >= .zero, "seed \(seed)")
          #expect(gpu.usableMemory <= gpu.memory, "seed \(seed)")
          #expect((1...7).contains(gpu.pcieGeneration), "seed \(seed)")
        }
      } catch {
        #expect(
          error.description.hasPrefix(Self.file + ": entry 0, field '"), "seed \(seed): \(error.description)")
      }
    }
  }
}
