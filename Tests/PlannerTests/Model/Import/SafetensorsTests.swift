import Foundation
import Testing

@testable import Planner

// MARK: - Helpers shared by the importer tests

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct ScratchDirectory {
  let url: URL

  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("planner-import-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  var path: String { url.path }

  func file(_ name: String) -> URL { url.appendingPathComponent(name) }

  func write(_ text: String, to name: String) throws {
    try Data(text.utf8).write(to: file(name))
  }

  func remove() { try? FileManager.default.removeItem(at: url) }
}

/// A tensor to write into a synthetic safetensors file.
struct StoredTensor: Sendable {
  var name: String
  var dtype: String
  var shape: [Int64]

  init(_ name: String, _ dtype: String, _ shape: [Int64]) {
    self.name = name
    self.dtype = dtype
    self.shape = shape
  }

  /// Bytes of the tensor (shape × dtype width).
  var byteCount: Int64 {
    let bits = Int64(SafetensorsDType(rawValue: dtype)?.bits ?? 8)
    return shape.reduce(1, *) * bits / 8
  }
}

/// JSON text of a string, escaped.
func jsonString(_ text: String) -> String {
  let data = try! JSONEncoder().encode(text)
  return String(decoding: data, as: UTF8.self)
}

/// The header JSON of tensors laid out one after another, in the given order.
func safetensorsHeader(_ tensors: [StoredTensor], metadata: [String: String] = [:]) -> (
  json: String, dataLength: Int64
) {
  var offset: Int64 = 0
  var entries: [String] = []
  if !metadata.isEmpty {
    let fields = metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)): \(jsonString($0.value))" }
    entries.append("\"__metadata__\": {\(fields.joined(separator: ", "))}")
  }
  for tensor in tensors {
    let end = offset + tensor.byteCount
    let shape = tensor.shape.map(String.init).joined(separator: ", ")
    entries.append(
      "\(jsonString(tensor.name)): {\"dtype\": \"\(tensor.dtype)\", \"shape\": [\(shape)], "
        + "\"data_offsets\": [\(offset), \(end)]}")
    offset = end
  }
  return ("{" + entries.joined(separator: ", ") + "}", offset)
}

/// Writes a safetensors file: the 8-byte length, the header, and `dataLength` bytes of data made
/// by extending the file (sparse, so a full-size checkpoint costs no disk).
func writeSafetensors(headerJSON: String, dataLength: Int64, to url: URL, headerLength: UInt64? = nil) throws
{
  let json = Data(headerJSON.utf8)
  var bytes = Data()
  var length = headerLength ?? UInt64(json.count)
  for _ in 0..<8 {
    bytes.append(UInt8(length & 0xFF))
    length >>= 8
  }
  bytes.append(json)
  try bytes.write(to: url)
  let handle = try FileHandle(forWritingTo: url)
  try handle.truncate(atOffset: UInt64(bytes.count) + UInt64(dataLength))
  try handle.close()
}

/// Writes tensors laid out one after another into a valid safetensors file.
func writeSafetensors(_ tensors: [StoredTensor], to url: URL, metadata: [String: String] = [:]) throws {
  let (json, length) = safetensorsHeader(tensors, metadata: metadata)
  try writeSafetensors(headerJSON: json, dataLength: length, to: url)
}

/// The tensors a checkpoint of `graph` stores: its parameters and persistent buffers, without the
/// later names of tied tensors (as `save_pretrained` writes them).
func storedTensors(of graph: ModelGraph, dtype: String = "BF16") -> [StoredTensor] {
  zip(graph.tensors, graph.isCounted).compactMap { entry, counted in
    guard counted, entry.tensor.isPersistent else { return nil }
    return StoredTensor(entry.name, dtype, entry.tensor.shape)
  }
}

/// Writes `tensors` as `shards` files named by a `model.safetensors.index.json` (or one
/// `model.safetensors` when `shards` is 1).
func writeCheckpoint(_ tensors: [StoredTensor], in directory: ScratchDirectory, shards: Int = 1) throws {
  guard shards > 1 else {
    try writeSafetensors(tensors, to: directory.file("model.safetensors"))
    return
  }
  var map: [String] = []
  let size = (tensors.count + shards - 1) / shards
  for shard in 0..<shards {
    let name = String(format: "model-%05d-of-%05d.safetensors", shard + 1, shards)
    let part = Array(tensors.dropFirst(shard * size).prefix(size))
    try writeSafetensors(part, to: directory.file(name))
    map += part.map { "\(jsonString($0.name)): \(jsonString(name))" }
  }
  try directory.write(
    "{\"metadata\": {\"total_size\": 0}, \"weight_map\": {\(map.joined(separator: ", "))}}",
    to: "model.safetensors.index.json")
}

// MARK: - Tests

@Suite struct SafetensorsTests {
  @Test func readsDTypesShapesAndOffsetsInByteOrder() throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    let url = scratch.file("model.safetensors")
    try writeSafetensors(
      [
        StoredTensor("b.weight", "F32", [4, 2]), StoredTensor("a.bias", "BF16", [3]),
        StoredTensor("mask", "BOOL", [5]), StoredTensor("scale", "F8_E4M3", [2, 0]),
        StoredTensor("ids", "I64", []),
      ], to: url, metadata: ["format": "pt"])
    let header = try SafetensorsHeader.read(contentsOf: url.path)
    #expect(header.tensors.map(\.name) == ["b.weight", "a.bias", "mask", "scale", "ids"])
    #expect(header.tensors.map(\.dtype) == [.f32, .bf16, .bool, .f8e4m3, .i64])
    #expect(header.tensors.map(\.shape) == [[4, 2], [3], [5], [2, 0], []])
    #expect(header.tensors.map(\.elementCount) == [8, 3, 5, 0, 1])
    #expect(header.tensors.map(\.dataOffsets) == [0..<32, 32..<38, 38..<43, 43..<43, 43..<51])
    #expect(header.metadata == ["format": "pt"])
    #expect(header.dataLength == 51)
  }

  @Test func readsOnlyTheHeaderOfAFullSizeSparseFile() throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    let url = scratch.file("model.safetensors")
    // 8 GiB of data that was never written.
    try writeSafetensors([StoredTensor("w", "BF16", [65536, 65536])], to: url)
    let header = try SafetensorsHeader.read(contentsOf: url.path)
    #expect(header.tensors.first?.elementCount == 1 << 32)
    #expect(header.dataLength == 1 << 33)
  }

  /// A bad file: the header text (or raw bytes), the data length, the kind and what the message names.
  struct BadFile: CustomTestStringConvertible, Sendable {
    var label: String
    var header: String
    var dataLength: Int64 = 0
    /// Overrides the 8-byte length (for lengths past the end or beyond the limit).
    var headerLength: UInt64? = nil
    /// Writes only these raw bytes instead (a file shorter than 8 bytes).
    var raw: [UInt8]? = nil
    var kind: ImportError.Kind
    var subject: String?
    var mentions: String
    var testDescription: String { label }
  }

  static let badFiles: [BadFile] = [
    BadFile(
      label: "shorter than 8 bytes", header: "", raw: [1, 0, 0], kind: .truncated, mentions: "shorter than"),
    BadFile(
      label: "header length past the end", header: "{}", headerLength: 4096, kind: .truncated,
      mentions: "past the end of the file"),
    BadFile(
      label: "header length over 100 MB", header: "{}", headerLength: 200_000_000, kind: .tooLarge,
      mentions: "limit"),
    BadFile(label: "header not JSON", header: "{\"a\": [1, 2", kind: .notJSON, mentions: "not JSON"),
    BadFile(label: "header an array", header: "[1, 2]", kind: .invalidField, mentions: "not an object"),
    BadFile(
      label: "entry not an object", header: "{\"w\": 3}", kind: .invalidField, subject: "w",
      mentions: "not an object"),
    BadFile(
      label: "missing dtype", header: "{\"w\": {\"shape\": [1], \"data_offsets\": [0, 2]}}",
      kind: .missingField,
      subject: "w", mentions: "no dtype"),
    BadFile(
      label: "missing shape", header: "{\"w\": {\"dtype\": \"F16\", \"data_offsets\": [0, 2]}}",
      kind: .missingField,
      subject: "w", mentions: "no shape"),
    BadFile(
      label: "missing data_offsets", header: "{\"w\": {\"dtype\": \"F16\", \"shape\": [1]}}",
      kind: .missingField,
      subject: "w", mentions: "no data_offsets"),
    BadFile(
      label: "unknown dtype",
      header: "{\"w\": {\"dtype\": \"F7\", \"shape\": [1], \"data_offsets\": [0, 1]}}",
      kind: .unknownDType, subject: "w", mentions: "unknown dtype \"F7\""),
    BadFile(
      label: "negative dimension",
      header: "{\"w\": {\"dtype\": \"F16\", \"shape\": [2, -1], \"data_offsets\": [0, 4]}}", dataLength: 4,
      kind: .invalidShape, subject: "w", mentions: "negative dimension -1"),
    BadFile(
      label: "fractional dimension",
      header: "{\"w\": {\"dtype\": \"F16\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}", dataLength: 4,
      kind: .invalidShape, subject: "w", mentions: "not an integer dimension"),
    BadFile(
      label: "element count overflows Int64",
      header: "{\"w\": {\"dtype\": \"F16\", \"shape\": [4294967296, 4294967296], \"data_offsets\": [0, 4]}}",
      dataLength: 4, kind: .invalidShape, subject: "w", mentions: "more elements than Int64"),
    BadFile(
      label: "byte count overflows Int64",
      header: "{\"w\": {\"dtype\": \"F64\", \"shape\": [2305843009213693952], \"data_offsets\": [0, 4]}}",
      dataLength: 4, kind: .invalidShape, subject: "w", mentions: "more bytes than Int64"),
    BadFile(
      label: "size differs from the offsets' span",
      header: "{\"w\": {\"dtype\": \"BF16\", \"shape\": [64, 64], \"data_offsets\": [0, 8]}}", dataLength: 8,
      kind: .sizeMismatch, subject: "w", mentions: "span 8 bytes but shape [64, 64] of BF16 is 8192 bytes"),
    BadFile(
      label: "sub-byte size not whole",
      header: "{\"w\": {\"dtype\": \"F4\", \"shape\": [3], \"data_offsets\": [0, 2]}}", dataLength: 2,
      kind: .sizeMismatch, subject: "w", mentions: "not a whole number of bytes"),
    BadFile(
      label: "offsets reversed",
      header: "{\"w\": {\"dtype\": \"U8\", \"shape\": [0], \"data_offsets\": [4, 2]}}",
      dataLength: 4, kind: .invalidField, subject: "w", mentions: "end before they begin"),
    BadFile(
      label: "three offsets",
      header: "{\"w\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [0, 2, 4]}}",
      dataLength: 4, kind: .invalidField, subject: "w", mentions: "two offsets"),
    BadFile(
      label: "negative offset",
      header: "{\"w\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [-2, 0]}}",
      dataLength: 4, kind: .invalidField, subject: "w", mentions: "not a non-negative integer"),
    BadFile(
      label: "offsets past the data",
      header: "{\"w\": {\"dtype\": \"U8\", \"shape\": [16], \"data_offsets\": [0, 16]}}", dataLength: 8,
      kind: .truncated, subject: "w", mentions: "the file is truncated"),
    BadFile(
      label: "offsets overlap",
      header: "{\"a\": {\"dtype\": \"U8\", \"shape\": [8], \"data_offsets\": [0, 8]}, "
        + "\"b\": {\"dtype\": \"U8\", \"shape\": [8], \"data_offsets\": [4, 12]}}",
      dataLength: 12, kind: .overlap, subject: "b", mentions: "overlap those of a"),
    BadFile(
      label: "name with a newline",
      header: "{\"evil\\nname\": {\"dtype\": \"F16\", \"shape\": [1], \"data_offsets\": [0, 1]}}",
      dataLength: 2,
      kind: .sizeMismatch, subject: "evil\nname", mentions: "evil\\nname"),
  ]

  @Test(arguments: badFiles)
  func badFileGivesOneLineError(_ bad: BadFile) throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    let url = scratch.file("model.safetensors")
    if let raw = bad.raw {
      try Data(raw).write(to: url)
    } else {
      try writeSafetensors(
        headerJSON: bad.header, dataLength: bad.dataLength, to: url, headerLength: bad.headerLength)
    }
    let error = try #require(throws: ImportError.self) { try SafetensorsHeader.read(contentsOf: url.path) }
    #expect(error.kind == bad.kind)
    #expect(error.file == url.path)
    #expect(error.subject == bad.subject)
    #expect(error.description.contains(bad.mentions), "\(error)")
    #expect(error.description.hasPrefix(url.path))
    #expect(!error.description.contains("\n"))
  }

  @Test func truncatedFullSizeCheckpointIsRejectedAsTruncated() throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    let qwen = ModelCatalog.qwen2(name: "qwen2-7b")
    let (json, length) = safetensorsHeader(storedTensors(of: qwen))
    #expect(length == 2 * 7_615_616_512)
    // The header claims 15 GB of data; the file holds 1 MiB of it.
    let url = scratch.file("model.safetensors")
    try writeSafetensors(headerJSON: json, dataLength: 1 << 20, to: url)
    let error = try #require(throws: ImportError.self) { try SafetensorsHeader.read(contentsOf: url.path) }
    #expect(error.kind == .truncated)
    #expect(error.description.contains("the file is truncated"))
    #expect(error.description.contains("(1048576 bytes after the header)"))
  }

  @Test func headerLengthIsLittleEndian() throws {
    var bytes = Data([2, 0, 0, 0, 0, 0, 0, 0])
    bytes.append(contentsOf: Array("{}".utf8))
    let header = try SafetensorsHeader.parse(fileBytes: bytes, file: "mem")
    #expect(header.tensors.isEmpty)
    #expect(header.dataLength == 0)
  }

  /// Random byte edits of a valid file never trap: each either parses or throws an ImportError.
  @Test func mutatedHeadersNeverTrap() throws {
    let seed: UInt64 = 0x5AFE_7E45
    var rng = SplitMix64(seed: seed)
    let (json, length) = safetensorsHeader([
      StoredTensor("model.layers.0.mlp.up_proj.weight", "BF16", [8, 4]),
      StoredTensor("model.embed_tokens.weight", "F32", [16, 4]),
      StoredTensor("lm_head.weight", "F8_E4M3", [16, 4]),
    ])
    var original = Data([UInt8](repeating: 0, count: 8))
    var value = UInt64(json.utf8.count)
    for index in 0..<8 {
      original[index] = UInt8(value & 0xFF)
      value >>= 8
    }
    original.append(Data(json.utf8))
    original.append(Data(count: Int(length)))
    let alphabet = Array("{}[]\",:-.0123456789eE FBIU_".utf8)
    var parsed = 0
    for _ in 0..<3000 {
      var bytes = original
      for _ in 0..<Int.random(in: 1...4, using: &rng) {
        let index = Int.random(in: 0..<min(bytes.count, 8 + json.utf8.count), using: &rng)
        bytes[index] = alphabet.randomElement(using: &rng)!
      }
      if Bool.random(using: &rng) { bytes = bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)) }
      do {
        let header = try SafetensorsHeader.parse(fileBytes: bytes, file: "mutant")
        parsed += 1
        for tensor in header.tensors {
          #expect(tensor.dataOffsets.upperBound <= header.dataLength, "seed \(seed)")
        }
      } catch {
        #expect(!error.description.contains("\n"), "seed \(seed)")
      }
    }
    #expect(parsed > 0)
  }

  // MARK: - Sharded checkpoints

  @Test func indexReadsEveryShard() throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    let tensors = (0..<5).map { StoredTensor("model.layers.\($0).weight", "F16", [4, 4]) }
    try writeCheckpoint(tensors, in: scratch, shards: 3)
    let read = try SafetensorsCheckpoint.tensors(inDirectory: scratch.path)
    #expect(read.map(\.name) == tensors.map(\.name))
    #expect(Set(read.map { URL(fileURLWithPath: $0.file).lastPathComponent }).count == 3)
  }

  @Test func indexNamingAMissingShardIsRejected() throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    try writeSafetensors(
      [StoredTensor("a", "F16", [2])], to: scratch.file("model-00001-of-00002.safetensors"))
    try scratch.write(
      "{\"weight_map\": {\"a\": \"model-00001-of-00002.safetensors\", \"b\": \"model-00002-of-00002.safetensors\"}}",
      to: "model.safetensors.index.json")
    let error = try #require(throws: ImportError.self) {
      try SafetensorsCheckpoint.tensors(inDirectory: scratch.path)
    }
    #expect(error.kind == .missingShard)
    #expect(error.file.hasSuffix("model.safetensors.index.json"))
    #expect(error.description.contains("names shard model-00002-of-00002.safetensors (for b and others)"))
  }

  struct BadIndex: CustomTestStringConvertible, Sendable {
    var label: String
    var index: String
    var kind: ImportError.Kind
    var mentions: String
    var testDescription: String { label }
  }

  static let badIndexes: [BadIndex] = [
    BadIndex(label: "not JSON", index: "weight_map", kind: .notJSON, mentions: "is not JSON"),
    BadIndex(
      label: "no weight_map", index: "{\"metadata\": {}}", kind: .missingField,
      mentions: "weight_map: is missing"),
    BadIndex(
      label: "weight_map not an object", index: "{\"weight_map\": []}", kind: .invalidField,
      mentions: "weight_map: is an array, not an object"),
    BadIndex(
      label: "shard outside the directory", index: "{\"weight_map\": {\"a\": \"../model.safetensors\"}}",
      kind: .invalidField, mentions: "weight_map.a: \"../model.safetensors\" is not a file name"),
    BadIndex(
      label: "shard not a string", index: "{\"weight_map\": {\"a\": 1}}", kind: .invalidField,
      mentions: "weight_map.a: is a number, not a file name"),
    BadIndex(
      label: "tensor not in its shard",
      index: "{\"weight_map\": {\"a\": \"s.safetensors\", \"z\": \"s.safetensors\"}}",
      kind: .missingField, mentions: "z: the index places it in s.safetensors, whose header does not hold it"),
  ]

  @Test(arguments: badIndexes)
  func badIndexGivesOneLineError(_ bad: BadIndex) throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    try writeSafetensors([StoredTensor("a", "F16", [2])], to: scratch.file("s.safetensors"))
    try scratch.write(bad.index, to: "model.safetensors.index.json")
    let error = try #require(throws: ImportError.self) {
      try SafetensorsCheckpoint.tensors(inDirectory: scratch.path)
    }
    #expect(error.kind == bad.kind)
    #expect(error.description.contains(bad.mentions), "\(error)")
    #expect(error.description.hasPrefix(scratch.file("model.safetensors.index.json").path))
  }

  @Test func tensorStoredInTwoFilesIsRejected() throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    try writeSafetensors([StoredTensor("a", "F16", [2])], to: scratch.file("one.safetensors"))
    try writeSafetensors([StoredTensor("a", "F16", [2])], to: scratch.file("two.safetensors"))
    let error = try #require(throws: ImportError.self) {
      try SafetensorsCheckpoint.tensors(inDirectory: scratch.path)
    }
    #expect(error.description.contains("is stored twice"))
  }

  @Test func directoryWithoutSafetensorsHasNoTensors() throws {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    #expect(try SafetensorsCheckpoint.tensors(inDirectory: scratch.path).isEmpty)
  }
}
