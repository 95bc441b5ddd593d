import Foundation
import Testing

@testable import Planner
@testable import PlannerCLI

/// Builds GGUF files byte by byte (little-endian), as ggml/docs/gguf.md lays them out.
struct GGUFBuilder {
  enum Value {
    case u8(UInt8), i8(Int8), u16(UInt16), i16(Int16), u32(UInt32), i32(Int32), f32(Float), bool(Bool)
    case string(String), u64(UInt64), i64(Int64), f64(Double)
    /// An array of scalars of one type (raw element type id and the encoded elements).
    case array(UInt32, [Value])

    var typeID: UInt32 {
      switch self {
      case .u8: 0
      case .i8: 1
      case .u16: 2
      case .i16: 3
      case .u32: 4
      case .i32: 5
      case .f32: 6
      case .bool: 7
      case .string: 8
      case .array: 9
      case .u64: 10
      case .i64: 11
      case .f64: 12
      }
    }
  }

  struct TensorSpec {
    var name: String
    /// ggml's ne: the row length first.
    var dimensions: [UInt64]
    var type: UInt32
    /// The offset to write; `nil` writes the one ggml expects.
    var offset: UInt64? = nil
  }

  var version: UInt32 = 3
  var metadata: [(String, Value)] = []
  var tensors: [TensorSpec] = []
  var alignment: UInt64 = 32
  /// Bytes of data to write after the header; `nil` writes exactly what the tensors need.
  var dataBytes: Int? = nil

  static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
  }

  static func string(_ text: String) -> [UInt8] { le(UInt64(text.utf8.count)) + Array(text.utf8) }

  static func encode(_ value: Value) -> [UInt8] {
    switch value {
    case .u8(let v): le(v)
    case .i8(let v): le(v)
    case .u16(let v): le(v)
    case .i16(let v): le(v)
    case .u32(let v): le(v)
    case .i32(let v): le(v)
    case .f32(let v): le(v.bitPattern)
    case .bool(let v): [v ? 1 : 0]
    case .string(let v): string(v)
    case .u64(let v): le(v)
    case .i64(let v): le(v)
    case .f64(let v): le(v.bitPattern)
    case .array(let type, let values): le(type) + le(UInt64(values.count)) + values.flatMap(encode)
    }
  }

  /// Bytes of a tensor under the type table (whole blocks).
  static func byteCount(_ tensor: TensorSpec) -> UInt64 {
    guard let type = GGMLType.type(id: tensor.type) else { return 0 }
    let elements = tensor.dimensions.reduce(UInt64(1), &*)
    return elements / UInt64(type.blockElements) &* UInt64(type.blockBytes)
  }

  var bytes: [UInt8] {
    var out =
      Array("GGUF".utf8) + Self.le(version) + Self.le(UInt64(tensors.count))
      + Self.le(UInt64(metadata.count))
    for (key, value) in metadata { out += Self.string(key) + Self.le(value.typeID) + Self.encode(value) }
    var offset: UInt64 = 0
    for tensor in tensors {
      out += Self.string(tensor.name) + Self.le(UInt32(tensor.dimensions.count))
      for dimension in tensor.dimensions { out += Self.le(dimension) }
      out += Self.le(tensor.type) + Self.le(tensor.offset ?? offset)
      let size = Self.byteCount(tensor)
      offset &+= (size &+ alignment - 1) / alignment &* alignment
    }
    while UInt64(out.count) % alignment != 0 { out.append(0) }
    out += [UInt8](repeating: 0, count: dataBytes ?? Int(min(offset, 1 << 24)))
    return out
  }

  /// A small llama: `blocks` blocks of the given matrix type, F32 norms.
  static func llama(
    blocks: Int = 2, hidden: UInt64 = 256, heads: UInt32 = 4, kvHeads: UInt32 = 2, ffn: UInt64 = 512,
    vocab: Int = 32, matrix: String = "Q4_K", output: String = "Q6_K"
  ) -> GGUFBuilder {
    var builder = GGUFBuilder()
    builder.metadata = [
      ("general.architecture", .string("llama")),
      ("general.name", .string("tiny")),
      ("llama.block_count", .u32(UInt32(blocks))),
      ("llama.context_length", .u32(8192)),
      ("llama.embedding_length", .u32(UInt32(hidden))),
      ("llama.feed_forward_length", .u32(UInt32(ffn))),
      ("llama.attention.head_count", .u32(heads)),
      ("llama.attention.head_count_kv", .u32(kvHeads)),
      ("tokenizer.ggml.tokens", .array(8, (0..<vocab).map { .string("tok\($0)") })),
    ]
    let m = GGMLType.named(matrix)!.id
    let f32: UInt32 = 0
    let kv = hidden / UInt64(heads) * UInt64(kvHeads)
    builder.tensors.append(
      TensorSpec(name: "token_embd.weight", dimensions: [hidden, UInt64(vocab)], type: m))
    for b in 0..<blocks {
      builder.tensors += [
        TensorSpec(name: "blk.\(b).attn_norm.weight", dimensions: [hidden], type: f32),
        TensorSpec(name: "blk.\(b).attn_q.weight", dimensions: [hidden, hidden], type: m),
        TensorSpec(name: "blk.\(b).attn_k.weight", dimensions: [hidden, kv], type: m),
        TensorSpec(name: "blk.\(b).attn_v.weight", dimensions: [hidden, kv], type: m),
        TensorSpec(name: "blk.\(b).attn_output.weight", dimensions: [hidden, hidden], type: m),
        TensorSpec(name: "blk.\(b).ffn_norm.weight", dimensions: [hidden], type: f32),
        TensorSpec(name: "blk.\(b).ffn_gate.weight", dimensions: [hidden, ffn], type: m),
        TensorSpec(name: "blk.\(b).ffn_up.weight", dimensions: [hidden, ffn], type: m),
        TensorSpec(name: "blk.\(b).ffn_down.weight", dimensions: [ffn, hidden], type: m),
      ]
    }
    builder.tensors.append(TensorSpec(name: "output_norm.weight", dimensions: [hidden], type: f32))
    builder.tensors.append(
      TensorSpec(
        name: "output.weight", dimensions: [hidden, UInt64(vocab)], type: GGMLType.named(output)!.id))
    return builder
  }

  var tensorBytes: Int64 { tensors.reduce(0) { $0 + Int64(Self.byteCount($1)) } }
}

/// A temporary directory for GGUF files.
private struct GGUFScratch {
  let url: URL

  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("planner-gguf-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  func path(_ name: String) -> String { url.appendingPathComponent(name).path }

  @discardableResult
  func write(_ builder: GGUFBuilder, to name: String) throws -> String {
    try Data(builder.bytes).write(to: url.appendingPathComponent(name))
    return path(name)
  }

  func remove() { try? FileManager.default.removeItem(at: url) }
}

private func parse(_ bytes: [UInt8]) throws(ImportError) -> GGUFHeader {
  try GGUFHeader.parse(fileBytes: Data(bytes), file: "m.gguf")
}

private func graph(_ builder: GGUFBuilder) throws -> ModelGraph {
  try GGUFImporter.graph(headers: [parse(builder.bytes)], mmproj: nil, name: "m")
}

@Suite struct GGUFTests {
  // MARK: - The type table

  /// `fixtures/models/ggml-quant-sizes.json` is gguf-py 0.19.0's `GGML_QUANT_SIZES`, written by
  /// `Scripts/make_gguf_fixtures.py`.
  @Test func typeTableMatchesTheGGUFPackage() throws {
    struct Row: Decodable {
      var id: UInt32
      var blockElements: Int64
      var blockBytes: Int64
    }
    struct Table: Decodable { var types: [String: Row] }
    let table = try JSONDecoder().decode(Table.self, from: Fixtures.data("models/ggml-quant-sizes.json"))
    #expect(table.types.count == GGMLType.all.count)
    for (name, row) in table.types {
      let type = try #require(GGMLType.type(id: row.id), "\(name)")
      #expect(type.name == name)
      #expect(type.blockElements == row.blockElements, "\(name)")
      if name == "Q8_1" {
        // gguf-py still says 40 (fp32 d and s); ggml's block_q8_1 is two fp16 and 32 int8.
        #expect(row.blockBytes == 40 && type.blockBytes == 36)
      } else {
        #expect(type.blockBytes == row.blockBytes, "\(name)")
      }
    }
  }

  /// One [512 x 3] tensor (ggml ne) of each type; the bytes are 3 × 512 / block × block bytes, with
  /// the blocks of gguf-py's GGML_QUANT_SIZES.
  @Test(arguments: [
    ("F32", 6144), ("F16", 3072), ("BF16", 3072), ("Q4_0", 864), ("Q4_1", 960), ("Q5_0", 1056),
    ("Q5_1", 1152),
    ("Q8_0", 1632), ("Q2_K", 504), ("Q3_K", 660), ("Q4_K", 864), ("Q5_K", 1056), ("Q6_K", 1260),
    ("Q8_K", 1752),
    ("IQ2_XXS", 396), ("IQ2_XS", 444), ("IQ3_XXS", 588), ("IQ1_S", 300), ("IQ4_NL", 864), ("IQ3_S", 660),
    ("IQ2_S", 492), ("IQ4_XS", 816), ("IQ1_M", 336), ("TQ1_0", 324), ("TQ2_0", 396), ("MXFP4", 816),
    ("I8", 1536), ("I32", 6144), ("F64", 12288),
  ])
  func tensorBytesAreExactPerType(type: String, bytes: Int64) throws {
    var builder = GGUFBuilder()
    builder.metadata = [("general.architecture", .string("llama")), ("llama.embedding_length", .u32(512))]
    builder.tensors = [
      .init(name: "blk.0.ffn_up.weight", dimensions: [512, 3], type: GGMLType.named(type)!.id)
    ]
    let header = try parse(builder.bytes)
    #expect(header.tensors[0].byteCount == bytes)
    let model = try graph(builder)
    for dtype in DType.allCases {
      #expect(model.weightBytes(weight: dtype, compute: .fp16).value == bytes)
    }
  }

  // MARK: - The header

  @Test(arguments: [UInt32(2), 3])
  func readsEveryValueTypeInBothVersions(version: UInt32) throws {
    var builder = GGUFBuilder.llama(blocks: 1)
    builder.version = version
    builder.metadata += [
      ("t.u8", .u8(200)), ("t.i8", .i8(-5)), ("t.u16", .u16(60000)), ("t.i16", .i16(-30000)),
      ("t.u32", .u32(4_000_000_000)), ("t.i32", .i32(-2_000_000_000)), ("t.f32", .f32(0.5)),
      ("t.bool", .bool(true)),
      ("t.u64", .u64(1 << 40)), ("t.i64", .i64(-(1 << 40))), ("t.f64", .f64(-2.25)),
      ("t.ints", .array(5, [.i32(-1), .i32(7)])), ("t.empty", .array(8, [])),
    ]
    let header = try parse(builder.bytes)
    #expect(header.version == version)
    #expect(header.value("t.u8") == .unsigned(200))
    #expect(header.value("t.i8") == .signed(-5))
    #expect(header.value("t.u16") == .unsigned(60000))
    #expect(header.value("t.i16") == .signed(-30000))
    #expect(header.value("t.u32") == .unsigned(4_000_000_000))
    #expect(header.value("t.i32") == .signed(-2_000_000_000))
    #expect(header.value("t.f32") == .float(0.5))
    #expect(header.value("t.bool") == .bool(true))
    #expect(header.value("t.u64") == .unsigned(1 << 40))
    #expect(header.value("t.i64") == .signed(-(1 << 40)))
    #expect(header.value("t.f64") == .float(-2.25))
    #expect(header.value("t.ints") == .array(.int32, count: 2, values: [.signed(-1), .signed(7)]))
    #expect(header.value("t.empty") == .array(.string, count: 0, values: []))
    #expect(header.value("tokenizer.ggml.tokens") == .array(.string, count: 32, values: []))
    #expect(header.value("general.name") == .string("tiny"))
    #expect(header.tensors.count == 12)
    #expect(header.tensors[1].name == "blk.0.attn_norm.weight")
    #expect(header.tensors[2].dimensions == [256, 256] && header.tensors[2].type.name == "Q4_K")
    #expect(header.tensors.map(\.byteCount).reduce(0, +) == builder.tensorBytes)
  }

  // MARK: - The graph

  @Test func llamaGraphHasTheBlocksAndTheFilesBytes() throws {
    let builder = GGUFBuilder.llama(blocks: 3, matrix: "Q4_K", output: "Q6_K")
    let model = try graph(builder)
    #expect(
      model.layers.map(\.module) == ["token_embd", "blk.0", "blk.1", "blk.2", "output_norm", "output"])
    #expect(model.layers.map(\.kind) == [.embedding, .decoder, .decoder, .decoder, .norm, .head])
    #expect(model.weightBytes(weight: .fp16, compute: .fp16).value == builder.tensorBytes)
    #expect(model.weightBytes(weight: .int4, compute: .fp32).value == builder.tensorBytes)
    let block = model.layers[1]
    // 2 KV heads of 64 (256 / 4 heads), keys and values.
    #expect(block.kvElementsPerToken == 2 * 2 * 64)
    #expect(block.attentionHeads == 4 && block.headDimension == 64 && block.kvHeads == 2)
    #expect(block.transientElementsPerToken == 3 * 512)
    #expect(block.parameterCount == 256 * 2 + 256 * 256 * 2 + 256 * 128 * 2 + 256 * 512 * 3)
    #expect(block.flopsPerToken == 2 * block.parameterCount)
    #expect(model.hiddenSize == 256 && model.vocabularySize == 32)
    #expect(model.nativeDType == .int4)
    #expect(model.serving.maxPositions == 8192)
    #expect(model.summary == "llama, 3 blocks, Q4_K, F32 (GGUF)")
  }

  /// The gguf-py fixture: Q4_K matrices with Q6_K attn_v, ffn_down and output (Q4_K_M's mix).
  @Test func q4KMMixFromTheGGUFPackageIsSizedPerTensor() throws {
    let path = Fixtures.root.appendingPathComponent("fixtures/models/tiny-llama-Q4_K_M.gguf").path
    let header = try GGUFHeader.read(contentsOf: path)
    let types = Dictionary(header.tensors.map { ($0.name, $0.type.name) }, uniquingKeysWith: { a, _ in a })
    #expect(types["blk.0.attn_v.weight"] == "Q6_K" && types["blk.0.attn_q.weight"] == "Q4_K")
    #expect(types["output.weight"] == "Q6_K" && types["output_norm.weight"] == "F32")
    let model = try GGUFImporter.load(path: path)
    #expect(model.name == "tiny-llama-Q4_K_M")
    // gguf-py's reader: sum(t.n_bytes for t in GGUFReader(path).tensors) == 520832.
    #expect(model.weightBytes(weight: .fp16, compute: .fp16).value == 520_832)
    #expect(model.layers.map(\.module) == ["token_embd", "blk.0", "blk.1", "output_norm", "output"])
    // Q4_K block: 36864 (q) + 18432 (k) + 26880 (v, Q6_K) + 36864 (o) + 2 × 36864 (gate, up)
    // + 53760 (down, Q6_K) + 2 × 1024 (norms).
    #expect(model.layers[1].weightBytes(weight: .int8, compute: .fp16).value == 248_576)
    #expect(model.layers[1].kvElementsPerToken == 256)
    #expect(model.serving.maxPositions == 4096 && model.vocabularySize == 64)
  }

  @Test func tiedOutputIsTheEmbeddingCountedOnce() throws {
    var builder = GGUFBuilder.llama(blocks: 1)
    builder.tensors.removeAll { $0.name == "output.weight" }
    let model = try graph(builder)
    #expect(model.layers.last?.module == "output" && model.layers.last?.pinnedTo == "token_embd")
    #expect(model.weightBytes(weight: .fp16, compute: .fp16).value == builder.tensorBytes)
  }

  @Test func perLayerHeadCountsAndMixtureOfExperts() throws {
    var builder = GGUFBuilder.llama(blocks: 2)
    builder.metadata.removeAll { $0.0.hasPrefix("llama.attention.head_count") }
    builder.metadata += [
      ("llama.attention.head_count", .array(4, [.u32(4), .u32(8)])),
      ("llama.attention.head_count_kv", .array(4, [.u32(0), .u32(2)])),
      ("llama.attention.key_length", .u32(32)), ("llama.attention.value_length", .u32(32)),
      ("llama.expert_count", .u32(4)), ("llama.expert_used_count", .u32(1)),
    ]
    builder.tensors.insert(
      .init(name: "blk.0.ffn_up_exps.weight", dimensions: [256, 512, 4], type: 12), at: 2)
    let model = try graph(builder)
    #expect(model.layers[1].kvElementsPerToken == 0)
    #expect(model.layers[2].kvElementsPerToken == 2 * 64)
    #expect(model.layers[2].attentionHeads == 8)
    let dense = GGUFBuilder.llama(blocks: 2)
    let denseBlock = try graph(dense).layers[1].flopsPerToken
    // One expert of four is used per token.
    #expect(model.layers[1].flopsPerToken == denseBlock + 2 * 256 * 512)
    #expect(model.weightBytes(weight: .fp16, compute: .fp16).value == builder.tensorBytes)
  }

  // MARK: - Files

  @Test func splitFilesReadEveryShard() throws {
    let scratch = try GGUFScratch()
    defer { scratch.remove() }
    let whole = GGUFBuilder.llama(blocks: 3)
    var shards: [GGUFBuilder] = []
    let cut = [0, 5, 20, whole.tensors.count]
    for index in 0..<3 {
      var shard = GGUFBuilder()
      shard.metadata = index == 0 ? whole.metadata : []
      shard.metadata += [
        ("split.no", .u16(UInt16(index))), ("split.count", .u16(3)),
        ("split.tensors.count", .i32(Int32(whole.tensors.count))),
      ]
      shard.tensors = Array(whole.tensors[cut[index]..<cut[index + 1]])
      shards.append(shard)
      try scratch.write(shard, to: "tiny-0000\(index + 1)-of-00003.gguf")
    }
    let model = try GGUFImporter.load(path: scratch.path("tiny-00002-of-00003.gguf"))
    #expect(model.name == "tiny")
    #expect(model.layers.map(\.module) == ["token_embd", "blk.0", "blk.1", "blk.2", "output_norm", "output"])
    #expect(model.weightBytes(weight: .fp16, compute: .fp16).value == whole.tensorBytes)
    #expect(model.estimates[0].contains("3 files"))

    // A missing shard names itself.
    try FileManager.default.removeItem(atPath: scratch.path("tiny-00003-of-00003.gguf"))
    #expect {
      try GGUFImporter.load(path: scratch.path("tiny-00001-of-00003.gguf"))
    } throws: { error in
      (error as? ImportError)?.description == scratch.path("tiny-00003-of-00003.gguf") + ": no such file"
    }
    // A shard that says it is another.
    var wrong = shards[2]
    wrong.metadata[0] = ("split.no", .u16(1))
    try scratch.write(wrong, to: "tiny-00003-of-00003.gguf")
    #expect(throws: ImportError.self) {
      try GGUFImporter.load(path: scratch.path("tiny-00001-of-00003.gguf"))
    }
  }

  @Test func mmprojBesideTheModelOrGivenIsOneVisionLayer() throws {
    let scratch = try GGUFScratch()
    defer { scratch.remove() }
    let model = GGUFBuilder.llama(blocks: 2)
    try scratch.write(model, to: "m-Q4_K.gguf")
    var projector = GGUFBuilder()
    projector.metadata = [("general.architecture", .string("clip"))]
    projector.tensors = [
      .init(name: "v.patch_embd.weight", dimensions: [14, 14, 3, 64], type: 1),
      .init(name: "v.blk.0.attn_q.weight", dimensions: [64, 64], type: 8),
      .init(name: "mm.0.weight", dimensions: [64, 256], type: 1),
    ]
    try scratch.write(projector, to: "mmproj-m-f16.gguf")
    let beside = try GGUFImporter.load(path: scratch.path("m-Q4_K.gguf"))
    #expect(beside.layers.first?.module == "mmproj" && beside.layers.first?.stream == .vision)
    #expect(
      beside.weightBytes(weight: .fp16, compute: .fp16).value == model.tensorBytes + projector.tensorBytes)
    // Two mmproj files: none is taken unless one is named.
    try scratch.write(projector, to: "mmproj-m-q8.gguf")
    let ambiguous = try GGUFImporter.load(path: scratch.path("m-Q4_K.gguf"))
    #expect(!ambiguous.layers.contains { $0.stream == .vision })
    let named = try GGUFImporter.load(
      path: scratch.path("m-Q4_K.gguf"), mmproj: scratch.path("mmproj-m-q8.gguf"))
    #expect(named.layers.first?.module == "mmproj")
  }

  /// A Qwen2-7B-sized Q4_K file with a 152,064-token vocabulary, its data a hole (a sparse file):
  /// only the header is read.
  @Test func fullSizeFileReadsItsHeaderOnly() throws {
    let scratch = try GGUFScratch()
    defer { scratch.remove() }
    var builder = GGUFBuilder.llama(
      blocks: 28, hidden: 3584, heads: 28, kvHeads: 4, ffn: 18944, vocab: 152_064, matrix: "Q4_K",
      output: "Q6_K")
    builder.dataBytes = 0
    let bytes = builder.bytes
    let path = scratch.path("qwen2-7b-Q4_K.gguf")
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    // Without its data the file is truncated.
    #expect(throws: ImportError.self) { try GGUFHeader.read(contentsOf: path) }
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    // Room for the data and its padding (at most 32 bytes per tensor).
    try handle.truncate(
      atOffset: UInt64(bytes.count) + UInt64(builder.tensorBytes) + 32 * UInt64(builder.tensors.count))
    try handle.close()
    let model = try GGUFImporter.load(path: path)
    #expect(model.name == "qwen2-7b-Q4_K" && model.vocabularySize == 152_064 && model.hiddenSize == 3584)
    #expect(model.weightBytes(weight: .fp16, compute: .fp16).value == builder.tensorBytes)
    #expect(model.layers.filter { $0.kind == .decoder }.count == 28)
    #expect(model.layers[1].kvElementsPerToken == 2 * 4 * 128)
  }

  // MARK: - Hostile input

  /// Every proper prefix of a valid file throws (never traps), with one line naming the file.
  @Test func everyTruncationThrowsOneLine() throws {
    let bytes = GGUFBuilder.llama(blocks: 1, vocab: 4).bytes
    let whole = try parse(bytes)
    let last = try #require(whole.tensors.last)
    let end = Int(whole.dataOffset + last.offset + last.byteCount)
    // Every cut in the header, and every 997th in the data (the padding after the last tensor is
    // not needed).
    for length in Array(0..<Int(whole.dataOffset))
      + Array(stride(from: Int(whole.dataOffset), to: end, by: 997))
    {
      do {
        _ = try GGUFHeader.parse(fileBytes: Data(bytes[..<length]), file: "m.gguf")
        Issue.record("a file cut at \(length) of \(bytes.count) bytes parsed")
      } catch {
        #expect(error.description.hasPrefix("m.gguf: ") && !error.description.contains("\n"))
        #expect(error.kind == .truncated || length < 4, "\(length): \(error)")
      }
    }
    // The data cut short: the last tensor names the cut.
    var short = GGUFBuilder.llama(blocks: 1, vocab: 4)
    short.dataBytes = Int(short.tensorBytes) - 1000
    #expect(throws: ImportError.self) { try parse(short.bytes) }
  }

  static let hostile: [(String, @Sendable (inout GGUFBuilder) -> Void, String)] = [
    ("version 1", { $0.version = 1 }, "version: GGUF version 1"),
    ("big-endian", { $0.version = 0x0300_0000 }, "version: a big-endian GGUF file is not supported"),
    ("five dimensions", { $0.tensors[0].dimensions = [256, 1, 1, 1, 1] }, "token_embd.weight: 5 dimensions"),
    (
      "dimensions overflow", { $0.tensors[0].dimensions = [256, 1 << 40, 1 << 40] },
      "token_embd.weight: dimensions [256, 1099511627776, 1099511627776] hold more than 2^63 elements"
    ),
    (
      "dimension past Int64", { $0.tensors[0].dimensions = [256, UInt64.max] },
      "token_embd.weight: dimension 18446744073709551615 is past Int64"
    ),
    ("removed type", { $0.tensors[0].type = 4 }, "token_embd.weight: ggml type 4 is not one ggml defines"),
    (
      "row not whole blocks", { $0.tensors[0].dimensions = [100, 4] },
      "token_embd.weight: row length 100 is not a multiple of Q4_K's block of 256"
    ),
    (
      "offset out of order", { $0.tensors[1].offset = 0 }, "blk.0.attn_norm.weight: data offset 0, where ggml"
    ),
    ("duplicate tensor", { $0.tensors[1].name = "token_embd.weight" }, "token_embd.weight: two tensors"),
    (
      "duplicate key", { $0.metadata.append(("general.name", .string("x"))) },
      "general.name: the key appears twice"
    ),
    (
      "nested array", { $0.metadata.append(("x", .array(9, []))) },
      "x: array element type 9 is not a scalar GGUF type"
    ),
    ("bad value type", { $0.metadata.append(("x", .array(13, []))) }, "x: array element type 13"),
    (
      "alignment not a power of two", { $0.metadata.append(("general.alignment", .u32(24))) },
      "general.alignment: must be an unsigned power of two"
    ),
    (
      "no architecture", { $0.metadata.removeAll { $0.0 == "general.architecture" } },
      "general.architecture: missing"
    ),
    (
      "tensor inside a tensor",
      { $0.tensors.append(.init(name: "output.weight.x", dimensions: [4], type: 0)) },
      "output.weight.x: lies inside another tensor's name (output.weight)"
    ),
    (
      "blk without a number", { $0.tensors[1].name = "blk.x.attn_norm.weight" },
      "blk.x.attn_norm.weight: is not"
    ),
    // Found by Scripts/fuzz_gguf.sh: blk.01 beside blk.1 left a module outside every layer.
    ("leading zero", { $0.tensors[1].name = "blk.00.attn_norm.weight" }, "blk.00.attn_norm.weight: is not"),
    ("empty name component", { $0.tensors[1].name = "blk..weight" }, "blk..weight: is not"),
    (
      "too deep", { $0.tensors[1].name = Array(repeating: "a", count: 17).joined(separator: ".") },
      "a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a: is more than 16 modules deep"
    ),
  ]

  @Test(arguments: 0..<hostile.count)
  func hostileHeaderThrowsOneLine(index: Int) throws {
    let (what, edit, expected) = Self.hostile[index]
    var builder = GGUFBuilder.llama(blocks: 1, vocab: 4)
    edit(&builder)
    do {
      _ = try graph(builder)
      if !expected.isEmpty { Issue.record("\(what): imported") }
    } catch let error as ImportError {
      #expect(error.description.hasPrefix("m.gguf: " + expected), "\(what): \(error)")
      #expect(!error.description.contains("\n"))
    }
  }

  /// Counts and lengths far beyond the file are refused before anything is allocated.
  @Test func hugeCountsAreRefusedBeforeAllocating() throws {
    let head = Array("GGUF".utf8) + GGUFBuilder.le(UInt32(3))
    let cases: [([UInt8], String)] = [
      (
        head + GGUFBuilder.le(UInt64.max) + GGUFBuilder.le(UInt64(0)),
        "tensor_count: 18446744073709551615 tensors"
      ),
      (
        head + GGUFBuilder.le(UInt64(0)) + GGUFBuilder.le(UInt64(1 << 40)), "metadata_kv_count: 1099511627776"
      ),
      (
        head + GGUFBuilder.le(UInt64(100_000)) + GGUFBuilder.le(UInt64(0)),
        "metadata_kv_count: 0 metadata pairs and 100000"
      ),
      (
        head + GGUFBuilder.le(UInt64(0)) + GGUFBuilder.le(UInt64(1)) + GGUFBuilder.le(UInt64.max)
          + [UInt8](repeating: 0, count: 16),
        "metadata key 0: a string of 18446744073709551615 bytes"
      ),
      (
        head + GGUFBuilder.le(UInt64(0)) + GGUFBuilder.le(UInt64(1)) + GGUFBuilder.string("k")
          + GGUFBuilder.le(UInt32(9)) + GGUFBuilder.le(UInt32(8)) + GGUFBuilder.le(UInt64(1 << 60)),
        "k: an array of 1152921504606846976 string values"
      ),
      (
        head + GGUFBuilder.le(UInt64(0)) + GGUFBuilder.le(UInt64(1)) + GGUFBuilder.string("b")
          + GGUFBuilder.le(UInt32(7)) + [2] + [UInt8](repeating: 0, count: 16),
        "b: a bool is 2, not 0 or 1"
      ),
      (Array("GGML".utf8) + GGUFBuilder.le(UInt32(3)), "magic: the file does not start with GGUF"),
      ([], "is empty"),
    ]
    for (bytes, expected) in cases {
      #expect(throws: ImportError.self) { try parse(bytes) }
      do {
        _ = try parse(bytes)
      } catch {
        #expect(error.description.hasPrefix("m.gguf: " + expected), "\(error)")
      }
    }
  }

  // MARK: - The CLI

  @Test func cliPlansAGGUFForLlamaCppAndRefusesABadOne() throws {
    let scratch = try GGUFScratch()
    defer { scratch.remove() }
    let path = try scratch.write(GGUFBuilder.llama(blocks: 2), to: "m-Q4_K.gguf")
    let table = Command.run(["--gpus", "2xP4", "--model", path])
    #expect(table.exitCode == 0, "\(table.stderr)")
    #expect(table.stdout.contains("llama.cpp runtime"), "\(table.stdout)")
    var bytes = GGUFBuilder.llama(blocks: 2).bytes
    bytes.removeLast(100)
    try Data(bytes).write(to: scratch.url.appendingPathComponent("cut.gguf"))
    let cut = Command.run(["--gpus", "2xP4", "--model", scratch.path("cut.gguf")])
    #expect(cut.exitCode == 1 && cut.stdout.isEmpty)
    #expect(
      cut.stderr.hasPrefix("planner: error: \(scratch.path("cut.gguf")): output.weight: the tensor data ends")
    )
    let mmproj = Command.run(["--gpus", "2xP4", "--model", "mistral-7b", "--mmproj", path])
    #expect(mmproj.exitCode == Outcome.usageExitCode)
    #expect(mmproj.stderr == "planner: error: --mmproj needs a GGUF file as --model\n")
  }
}
