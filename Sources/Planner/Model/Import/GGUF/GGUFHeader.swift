import Foundation

/// The type of a GGUF metadata value (`enum gguf_type` in ggml/include/gguf.h).
public enum GGUFValueType: UInt32, Sendable, Hashable {
  case uint8 = 0, int8, uint16, int16, uint32, int32, float32, bool, string, array, uint64, int64, float64

  /// Bytes of one value of a fixed-size type; `nil` for strings and arrays.
  var fixedSize: Int64? {
    switch self {
    case .uint8, .int8, .bool: 1
    case .uint16, .int16: 2
    case .uint32, .int32, .float32: 4
    case .uint64, .int64, .float64: 8
    case .string, .array: nil
    }
  }

  /// The fewest bytes one value can take (a string's 8-byte length).
  var minimumSize: Int64 { fixedSize ?? 8 }
}

/// A metadata value of a GGUF file.
public enum GGUFValue: Sendable, Hashable {
  /// `uint8` … `uint64`.
  case unsigned(UInt64)
  /// `int8` … `int64`.
  case signed(Int64)
  /// `float32`, `float64`.
  case float(Double)
  case bool(Bool)
  /// A string of at most ``GGUFHeader/maximumKeptStringLength`` bytes (longer ones are skipped:
  /// ``omitted``).
  case string(String)
  /// An array: its element type, its length, and its values where they are numbers and there are at
  /// most ``GGUFHeader/maximumKeptArrayLength`` of them (per-layer head counts); empty otherwise
  /// (a tokenizer's tokens are counted, not kept).
  case array(GGUFValueType, count: Int64, values: [GGUFValue])
  /// A value read past but not kept (a string longer than the planner needs), with its type.
  case omitted(GGUFValueType)

  /// The value as a non-negative integer, if it is an integer that fits `Int64`.
  public var integer: Int64? {
    switch self {
    case .unsigned(let value): value <= UInt64(Int64.max) ? Int64(value) : nil
    case .signed(let value): value >= 0 ? value : nil
    default: nil
    }
  }
}

/// One tensor of a GGUF header (`gguf_tensor_info`): its name, dimensions, type and where its
/// data lies.
public struct GGUFTensorInfo: Sendable, Hashable {
  public var name: String
  /// ggml's `ne`: the innermost (row) dimension first, the reverse of a PyTorch shape.
  public var dimensions: [Int64]
  public var type: GGMLType
  /// Offset of the data from the start of the file's data section.
  public var offset: Int64
  /// Elements (the product of the dimensions).
  public var elementCount: Int64
  /// Bytes of the data, exactly (whole blocks of ``type``).
  public var byteCount: Int64
  /// The file the tensor is stored in.
  public var file: String
}

/// The header of one GGUF file (version 2 or 3), read without touching the tensor data.
///
/// The layout (ggml/docs/gguf.md, ggml/src/gguf.cpp `gguf_init_from_file_impl`), little-endian:
/// the magic `GGUF`, a `uint32` version, a `uint64` tensor count and a `uint64` metadata count;
/// the metadata (a key string, a `uint32` type, the value; strings are a `uint64` length and
/// UTF-8 bytes, arrays a `uint32` element type, a `uint64` length and the elements); the tensor
/// infos (name, `uint32` number of dimensions, `uint64` dimensions, `uint32` ggml type, `uint64`
/// offset); padding to `general.alignment` (32 by default); then the data. Version 1 (32-bit
/// counts, 2023) is refused.
///
/// Every length and count is checked against the bytes left in the file and against the limits
/// below before anything is allocated, dimensions multiply with checked arithmetic, and each
/// tensor's data must lie where ggml's loader expects it (offsets in order, each padded to the
/// alignment) and inside the file: a truncated download fails here, with the file, the field and
/// the reason.
///
///     let header = try GGUFHeader.read(contentsOf: "/m/qwen2-7b-Q4_K_M.gguf")
///     header.tensors.first?.type   // Q4_K
public struct GGUFHeader: Sendable, Hashable {
  /// The file read.
  public var file: String
  /// 2 or 3.
  public var version: UInt32
  /// The metadata in file order.
  public var metadata: [(key: String, value: GGUFValue)]
  /// The tensors in file order.
  public var tensors: [GGUFTensorInfo]
  /// `general.alignment` (32 by default).
  public var alignment: Int64
  /// Where the data section starts.
  public var dataOffset: Int64
  /// The file's size in bytes.
  public var fileSize: Int64

  public static func == (a: GGUFHeader, b: GGUFHeader) -> Bool {
    a.file == b.file && a.version == b.version && a.tensors == b.tensors
      && a.metadata.map(\.key) == b.metadata.map(\.key) && a.metadata.map(\.value) == b.metadata.map(\.value)
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(file)
    hasher.combine(tensors)
  }

  /// The value of a key, if present.
  public func value(_ key: String) -> GGUFValue? { metadata.first { $0.key == key }?.value }

  /// Most tensors in one file (as many as a safetensors checkpoint may hold).
  public static let maximumTensors = SafetensorsHeader.maximumTensors
  /// Most metadata pairs in one file (real files have a few dozen).
  public static let maximumKeyValues = 65_536
  /// Longest key (the GGUF spec: at most 65,535 bytes).
  public static let maximumKeyLength: Int64 = 65_535
  /// Longest tensor name accepted (ggml's `GGML_MAX_NAME` is 64 bytes with the NUL; builds may
  /// raise it).
  public static let maximumNameLength: Int64 = 256
  /// Longest string value kept (a chat template); longer ones are skipped.
  public static let maximumKeptStringLength: Int64 = 65_536
  /// Longest numeric array whose values are kept.
  public static let maximumKeptArrayLength: Int64 = 4096
  /// Most dimensions of a tensor (`GGML_MAX_DIMS`).
  public static let maximumDimensions = 4
  /// Largest `general.alignment` accepted.
  public static let maximumAlignment: Int64 = 1 << 20

  /// Reads and validates the header of a file.
  ///
  /// - Parameter path: the `.gguf` file.
  /// - Throws: ``ImportError`` naming the file, the key or tensor, and the reason.
  /// - Complexity: O(*h*) in the header's bytes; reads the header only (in chunks of 1 MiB) and
  ///   measures the file.
  public static func read(contentsOf path: String) throws(ImportError) -> GGUFHeader {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw ImportError(.unreadable, file: path, "no such file")
    }
    guard !isDirectory.boolValue else { throw ImportError(.unreadable, file: path, "is a directory") }
    let handle: FileHandle
    do {
      handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    } catch {
      throw ImportError(.unreadable, file: path, "cannot be opened (\(error.localizedDescription))")
    }
    defer { try? handle.close() }
    let size: Int64
    do {
      size = Int64(clamping: try handle.seekToEnd())
    } catch {
      throw ImportError(.unreadable, file: path, "cannot be read (\(error.localizedDescription))")
    }
    var reader = GGUFReader(file: path, size: size) { (offset, count) throws(ImportError) -> Data in
      do {
        try handle.seek(toOffset: UInt64(offset))
        return try handle.read(upToCount: count) ?? Data()
      } catch {
        throw ImportError(.unreadable, file: path, "cannot be read (\(error.localizedDescription))")
      }
    }
    return try parse(&reader)
  }

  /// Parses a file held in memory (what tests and the fuzz target call).
  static func parse(fileBytes bytes: Data, file: String) throws(ImportError) -> GGUFHeader {
    let data = Data(bytes)
    var reader = GGUFReader(file: file, size: Int64(data.count)) {
      (offset, count) throws(ImportError) -> Data in
      let start = Int(offset)
      return data.subdata(in: start..<min(data.count, start + count))
    }
    return try parse(&reader)
  }

  static func parse(_ reader: inout GGUFReader) throws(ImportError) -> GGUFHeader {
    let file = reader.file
    guard reader.size > 0 else {
      throw ImportError(.truncated, file: file, "is empty (0 bytes): an interrupted download or copy?")
    }
    let magic = try reader.bytes(4, field: "magic")
    guard Array(magic) == Array("GGUF".utf8) else {
      throw ImportError(
        .invalidField, file: file, subject: "magic", "the file does not start with GGUF: not a GGUF file")
    }
    let version = try reader.uint32("version")
    guard version == 2 || version == 3 else {
      let reason =
        switch version {
        case 1: "GGUF version 1 (32-bit counts, before August 2023) is not supported: convert the model again"
        case 0x0200_0000, 0x0300_0000: "a big-endian GGUF file is not supported"
        default: "version \(version) is not 2 or 3"
        }
      throw ImportError(.unsupported, file: file, subject: "version", reason)
    }
    let tensorCount = try reader.uint64("tensor_count")
    guard tensorCount <= UInt64(maximumTensors) else {
      throw ImportError(
        .tooLarge, file: file, subject: "tensor_count",
        "\(tensorCount) tensors, more than the \(maximumTensors) accepted")
    }
    let keyValueCount = try reader.uint64("metadata_kv_count")
    guard keyValueCount <= UInt64(maximumKeyValues) else {
      throw ImportError(
        .tooLarge, file: file, subject: "metadata_kv_count",
        "\(keyValueCount) metadata pairs, more than the \(maximumKeyValues) accepted")
    }
    // Each pair takes at least 13 bytes (key length, type, a 1-byte value), each tensor 28.
    guard Int64(keyValueCount) * 13 + Int64(tensorCount) * 28 <= reader.remaining else {
      throw ImportError(
        .truncated, file: file, subject: "metadata_kv_count",
        "\(keyValueCount) metadata pairs and \(tensorCount) tensors cannot fit in the \(reader.remaining) bytes left: "
          + "the file is truncated")
    }

    var metadata: [(key: String, value: GGUFValue)] = []
    metadata.reserveCapacity(Int(keyValueCount))
    var keys = Set<String>()
    for index in 0..<Int(keyValueCount) {
      let key = try reader.string("metadata key \(index)", limit: maximumKeyLength)
      guard keys.insert(key).inserted else {
        throw ImportError(.invalidField, file: file, subject: key, "the key appears twice")
      }
      let rawType = try reader.uint32(key)
      guard let type = GGUFValueType(rawValue: rawType) else {
        throw ImportError(.invalidField, file: file, subject: key, "value type \(rawType) is not a GGUF type")
      }
      metadata.append((key, try reader.value(of: type, field: key)))
    }

    var alignment: Int64 = 32
    if let stated = metadata.first(where: { $0.key == "general.alignment" })?.value {
      guard case .unsigned(let value) = stated, value > 0, value <= UInt64(maximumAlignment),
        value & (value - 1) == 0
      else {
        throw ImportError(
          .invalidField, file: file, subject: "general.alignment",
          "must be an unsigned power of two up to \(maximumAlignment)")
      }
      alignment = Int64(value)
    }

    var tensors: [GGUFTensorInfo] = []
    tensors.reserveCapacity(Int(tensorCount))
    var names = Set<String>()
    var expectedOffset: Int64 = 0
    for index in 0..<Int(tensorCount) {
      let name = try reader.string("tensor \(index) name", limit: maximumNameLength)
      guard names.insert(name).inserted else {
        throw ImportError(.invalidField, file: file, subject: name, "two tensors have this name")
      }
      let dimensionCount = try reader.uint32(name)
      guard dimensionCount <= UInt32(maximumDimensions) else {
        throw ImportError(
          .invalidShape, file: file, subject: name,
          "\(dimensionCount) dimensions, more than ggml's \(maximumDimensions)")
      }
      var dimensions: [Int64] = []
      for _ in 0..<Int(dimensionCount) {
        let dimension = try reader.uint64(name)
        guard dimension <= UInt64(Int64.max) else {
          throw ImportError(.invalidShape, file: file, subject: name, "dimension \(dimension) is past Int64")
        }
        dimensions.append(Int64(dimension))
      }
      var elements: Int64 = 1
      for dimension in dimensions {
        let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
        guard !overflow else {
          throw ImportError(
            .invalidShape, file: file, subject: name, "dimensions \(dimensions) hold more than 2^63 elements")
        }
        elements = product
      }
      let rawType = try reader.uint32(name)
      guard let type = GGMLType.type(id: rawType) else {
        throw ImportError(
          .invalidField, file: file, subject: name,
          "ggml type \(rawType) is not one ggml defines (removed or newer)")
      }
      guard let bytes = type.bytes(rowLength: dimensions.first ?? 1, elements: elements) else {
        throw ImportError(
          .invalidShape, file: file, subject: name,
          "row length \(dimensions.first ?? 1) is not a multiple of \(type)'s block of \(type.blockElements)")
      }
      let offset = try reader.uint64(name)
      guard offset == UInt64(expectedOffset) else {
        throw ImportError(
          .invalidField, file: file, subject: name,
          "data offset \(offset), where ggml expects \(expectedOffset) (tensors in order, each padded to \(alignment))"
        )
      }
      tensors.append(
        GGUFTensorInfo(
          name: name, dimensions: dimensions, type: type, offset: expectedOffset, elementCount: elements,
          byteCount: bytes, file: file))
      let padded = bytes.saturatingAdd(alignment - 1) / alignment * alignment
      expectedOffset = expectedOffset.saturatingAdd(padded)
    }

    let headerEnd = reader.offset
    let dataOffset = headerEnd.saturatingAdd(alignment - 1) / alignment * alignment
    let dataLength = reader.size - min(dataOffset, reader.size)
    if let last = tensors.last {
      let end = last.offset.saturatingAdd(last.byteCount)
      guard end <= dataLength else {
        throw ImportError(
          .truncated, file: file, subject: last.name,
          "the tensor data ends at byte \(dataOffset.saturatingAdd(end)) but the file is \(reader.size) bytes: "
            + "the file is truncated")
      }
    }
    return GGUFHeader(
      file: file, version: version, metadata: metadata, tensors: tensors, alignment: alignment,
      dataOffset: dataOffset, fileSize: reader.size)
  }
}

/// Sequential little-endian reads over a file, fetched in chunks, with every read checked against
/// the file's size.
struct GGUFReader {
  let file: String
  let size: Int64
  private(set) var offset: Int64 = 0
  private let fetch: (Int64, Int) throws(ImportError) -> Data
  private var buffer = Data()
  private var bufferStart: Int64 = 0

  /// Bytes fetched at a time.
  static let chunk = 1 << 20

  init(file: String, size: Int64, fetch: @escaping (Int64, Int) throws(ImportError) -> Data) {
    self.file = file
    self.size = size
    self.fetch = fetch
  }

  var remaining: Int64 { size - offset }

  /// Throws unless `count` more bytes lie in the file.
  func require(_ count: Int64, field: String, what: String) throws(ImportError) {
    guard count >= 0, count <= remaining else {
      throw ImportError(
        .truncated, file: file, subject: field,
        "\(what) at byte \(offset) runs past the end of the file (\(size) bytes): the file is truncated")
    }
  }

  /// The next `count` bytes (`count` at most a chunk, or checked against the file first).
  mutating func bytes(_ count: Int64, field: String, what: String = "the value") throws(ImportError)
    -> [UInt8]
  {
    try require(count, field: field, what: what)
    let end = offset + count
    if offset < bufferStart || end > bufferStart + Int64(buffer.count) {
      let data = try fetch(offset, max(Int(count), Self.chunk))
      guard Int64(data.count) >= count else {
        throw ImportError(
          .truncated, file: file, subject: field, "could not read \(count) bytes at byte \(offset)")
      }
      buffer = data
      bufferStart = offset
    }
    let start = buffer.startIndex + Int(offset - bufferStart)
    let result = Array(buffer[start..<(start + Int(count))])
    offset = end
    return result
  }

  mutating func skip(_ count: Int64, field: String, what: String) throws(ImportError) {
    try require(count, field: field, what: what)
    offset += count
  }

  mutating func integer(_ width: Int, field: String) throws(ImportError) -> UInt64 {
    var value: UInt64 = 0
    for (index, byte) in try bytes(Int64(width), field: field).enumerated() {
      value |= UInt64(byte) << (8 * UInt64(index))
    }
    return value
  }

  mutating func uint32(_ field: String) throws(ImportError) -> UInt32 { UInt32(try integer(4, field: field)) }
  mutating func uint64(_ field: String) throws(ImportError) -> UInt64 { try integer(8, field: field) }

  /// A string's 8-byte length, checked against the file and `limit`.
  mutating func stringLength(_ field: String, limit: Int64) throws(ImportError) -> Int64 {
    let length = try uint64(field)
    guard length <= UInt64(remaining) else {
      throw ImportError(
        .truncated, file: file, subject: field,
        "a string of \(length) bytes at byte \(offset) runs past the end of the file (\(size) bytes): "
          + "the file is truncated")
    }
    guard Int64(length) <= limit else {
      throw ImportError(
        .tooLarge, file: file, subject: field, "a string of \(length) bytes, more than \(limit)")
    }
    return Int64(length)
  }

  mutating func string(_ field: String, limit: Int64) throws(ImportError) -> String {
    let length = try stringLength(field, limit: limit)
    return String(decoding: try bytes(length, field: field, what: "the string"), as: UTF8.self)
  }

  /// One value of a type; arrays hold scalars only (ggml's loader refuses nested arrays).
  mutating func value(of type: GGUFValueType, field: String, inArray: Bool = false) throws(ImportError)
    -> GGUFValue
  {
    switch type {
    case .uint8, .uint16, .uint32, .uint64:
      return .unsigned(try integer(Int(type.fixedSize!), field: field))
    case .int8, .int16, .int32, .int64:
      let width = Int(type.fixedSize!)
      let raw = try integer(width, field: field)
      // Sign-extend from the value's width.
      let shift = UInt64(64 - 8 * width)
      return .signed(Int64(bitPattern: raw << shift) >> shift)
    case .float32: return .float(Double(Float(bitPattern: UInt32(try integer(4, field: field)))))
    case .float64: return .float(Double(bitPattern: try integer(8, field: field)))
    case .bool:
      let byte = try integer(1, field: field)
      guard byte <= 1 else {
        throw ImportError(.invalidField, file: file, subject: field, "a bool is \(byte), not 0 or 1")
      }
      return .bool(byte == 1)
    case .string:
      let length = try stringLength(field, limit: .max)
      guard length <= GGUFHeader.maximumKeptStringLength else {
        try skip(length, field: field, what: "the string")
        return .omitted(.string)
      }
      return .string(String(decoding: try bytes(length, field: field, what: "the string"), as: UTF8.self))
    case .array:
      guard !inArray else {
        throw ImportError(
          .invalidField, file: file, subject: field, "an array of arrays (ggml refuses nested arrays)")
      }
      let rawType = try uint32(field)
      guard let elementType = GGUFValueType(rawValue: rawType), elementType != .array else {
        throw ImportError(
          .invalidField, file: file, subject: field, "array element type \(rawType) is not a scalar GGUF type"
        )
      }
      let count = try uint64(field)
      guard count <= UInt64(remaining / elementType.minimumSize) else {
        throw ImportError(
          .truncated, file: file, subject: field,
          "an array of \(count) \(elementType) values at byte \(offset) cannot fit in the \(remaining) bytes left: "
            + "the file is truncated")
      }
      let length = Int64(count)
      if let size = elementType.fixedSize {
        guard length <= GGUFHeader.maximumKeptArrayLength else {
          try skip(length * size, field: field, what: "the array")
          return .array(elementType, count: length, values: [])
        }
        var values: [GGUFValue] = []
        values.reserveCapacity(Int(length))
        for _ in 0..<length { values.append(try value(of: elementType, field: field, inArray: true)) }
        return .array(elementType, count: length, values: values)
      }
      for _ in 0..<length {
        try skip(try stringLength(field, limit: .max), field: field, what: "a string of the array")
      }
      return .array(elementType, count: length, values: [])
    }
  }
}
