import Foundation

/// The JSON header of one `.safetensors` file, read without touching the tensor data.
///
/// The format is an 8-byte little-endian header length *n*, *n* bytes of JSON mapping each tensor
/// name to `{"dtype", "shape", "data_offsets"}` (plus an optional `__metadata__` object of
/// strings), then the data. Only the first 8 + *n* bytes are read; the rest of the file is
/// measured, never read.
///
///     let header = try SafetensorsHeader.read(contentsOf: "/m/model.safetensors")
///     header.tensors.first?.shape   // [151666, 3584]
public struct SafetensorsHeader: Sendable, Hashable {
  /// The file read.
  public var file: String
  /// The tensors in the order of their bytes in the file (`data_offsets`, then name).
  public var tensors: [SafetensorsTensor]
  /// String values of `__metadata__` (others are ignored).
  public var metadata: [String: String]
  /// Bytes of data after the header.
  public var dataLength: Int64

  /// The largest header accepted: safetensors' own limit (`MAX_HEADER_SIZE`, 100,000,000 bytes).
  public static let maximumHeaderLength: Int64 = 100_000_000
  /// Most tensors in one checkpoint (all shards together): DeepSeek-V3 (671B), among the largest
  /// public checkpoints, stores about 92,000 (61 layers of 256 experts, each matrix with its fp8
  /// scale); twice that leaves room while every pass over the tensors stays well under a second.
  public static let maximumTensors = 200_000
  /// Most JSON values in one header: a tensor takes about ten (its object, dtype, shape and
  /// offsets), `__metadata__` a few strings. Bounds the parse of a 100 MB header full of numbers.
  static let maximumHeaderValues = 16 * maximumTensors

  /// Reads and validates the header of a file.
  ///
  /// - Parameter path: the `.safetensors` file.
  /// - Returns: the header; every tensor's bytes lie inside the file, and no two overlap.
  /// - Throws: ``ImportError`` naming the file, the tensor or field and the reason.
  /// - Complexity: O(*h* + *t* log *t*) for a header of *h* bytes and *t* tensors; reads 8 + *h*
  ///   bytes of the file.
  public static func read(contentsOf path: String) throws(ImportError) -> SafetensorsHeader {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw ImportError(.unreadable, file: path, ImportPath.missingReason(path))
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
    let prefix: Data
    do {
      size = Int64(clamping: try handle.seekToEnd())
      try handle.seek(toOffset: 0)
      prefix = try handle.read(upToCount: 8) ?? Data()
    } catch {
      throw ImportError(.unreadable, file: path, "cannot be read (\(error.localizedDescription))")
    }
    let length = try headerLength(prefix, fileSize: size, file: path)
    let json: Data
    do {
      json = try handle.read(upToCount: Int(length)) ?? Data()
    } catch {
      throw ImportError(.unreadable, file: path, "cannot be read (\(error.localizedDescription))")
    }
    guard json.count == Int(length) else {
      throw ImportError(
        .truncated, file: path, "the header is \(length) bytes but only \(json.count) could be read")
    }
    return try parse(json: json, dataLength: size - 8 - length, file: path)
  }

  /// Parses the start of a file held in memory: the length, the header, and `bytes.count` as the
  /// file size (what the fuzz target calls).
  static func parse(fileBytes bytes: Data, file: String) throws(ImportError) -> SafetensorsHeader {
    let size = Int64(bytes.count)
    let length = try headerLength(bytes.prefix(8), fileSize: size, file: file)
    let start = bytes.startIndex + 8
    let json = bytes[start..<(start + Int(length))]
    return try parse(json: Data(json), dataLength: size - 8 - length, file: file)
  }

  /// Decodes and bounds the 8-byte little-endian header length.
  static func headerLength(_ prefix: Data, fileSize: Int64, file: String) throws(ImportError) -> Int64 {
    guard fileSize > 0 else {
      throw ImportError(.truncated, file: file, "is empty (0 bytes): an interrupted download or copy?")
    }
    guard prefix.count == 8 else {
      throw ImportError(
        .truncated, file: file, "the file is \(fileSize) bytes, shorter than the 8-byte header length")
    }
    var value: UInt64 = 0
    for (index, byte) in prefix.enumerated() { value |= UInt64(byte) << (8 * UInt64(index)) }
    guard value <= UInt64(maximumHeaderLength) else {
      throw ImportError(
        .tooLarge, file: file,
        "header length \(value) exceeds the \(maximumHeaderLength)-byte limit (not a safetensors file?)")
    }
    let length = Int64(value)
    guard length <= fileSize - 8 else {
      throw ImportError(
        .truncated, file: file,
        "header length \(length) runs past the end of the file (\(fileSize) bytes): the file is truncated")
    }
    return length
  }

  /// Validates the JSON header of a file whose data part holds `dataLength` bytes.
  ///
  /// - Complexity: O(*h* + *t* log *t*).
  static func parse(json: Data, dataLength: Int64, file: String) throws(ImportError) -> SafetensorsHeader {
    let document: JSONValue
    do throws(JSONValue.ParseError) {
      document = try JSONValue.parse(json, limits: JSONValue.Limits(values: maximumHeaderValues))
    } catch {
      switch error {
      case .tooManyValues(let limit):
        throw ImportError(
          .tooLarge, file: file,
          "the header holds more than \(limit) JSON values (at most \(maximumTensors) tensors are accepted)")
      default: throw ImportError(.notJSON, file: file, "the header is not JSON")
      }
    }
    guard case .object(let entries) = document else {
      throw ImportError(.invalidField, file: file, "the header is \(document.kind), not an object")
    }
    guard entries.count <= maximumTensors + 1 else {
      throw ImportError(
        .tooLarge, file: file,
        "the header lists \(entries.count) tensors, more than the \(maximumTensors) accepted")
    }
    var metadata: [String: String] = [:]
    var tensors: [SafetensorsTensor] = []
    tensors.reserveCapacity(entries.count)
    // Of several faults, the tensor first by name is reported, so that every run reports the same
    // one (without sorting every name of a valid header).
    var fault: (name: String, error: ImportError)? = nil
    for (name, value) in entries {
      if name == "__metadata__" {
        if case .object(let fields) = value {
          for (key, field) in fields { if case .string(let text) = field { metadata[key] = text } }
        }
        continue
      }
      do throws(ImportError) {
        tensors.append(try tensor(name, value, dataLength: dataLength, file: file))
      } catch {
        if fault.map({ name < $0.name }) ?? true { fault = (name, error) }
      }
    }
    if let fault { throw fault.error }
    tensors.sort {
      ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound, $0.name) < (
        $1.dataOffsets.lowerBound, $1.dataOffsets.upperBound, $1.name
      )
    }
    // Invariant: `end` is the largest end offset of the tensors already checked; sorted by start,
    // a non-empty tensor overlaps an earlier one exactly when it starts before that end.
    var end: Int64 = 0
    var endOwner = ""
    for tensor in tensors {
      if tensor.dataOffsets.lowerBound < end && !tensor.dataOffsets.isEmpty {
        throw ImportError(
          .overlap, file: file, subject: tensor.name,
          "data_offsets [\(tensor.dataOffsets.lowerBound), \(tensor.dataOffsets.upperBound)] overlap those of "
            + ImportError.oneLine(endOwner))
      }
      if tensor.dataOffsets.upperBound > end {
        end = tensor.dataOffsets.upperBound
        endOwner = tensor.name
      }
    }
    return SafetensorsHeader(file: file, tensors: tensors, metadata: metadata, dataLength: dataLength)
  }

  /// Validates one entry of the header.
  static func tensor(
    _ name: String, _ value: JSONValue, dataLength: Int64, file: String
  ) throws(ImportError) -> SafetensorsTensor {
    func fail(_ kind: ImportError.Kind, _ reason: String) -> ImportError {
      ImportError(kind, file: file, subject: name, reason)
    }
    guard case .object(let fields) = value else {
      throw fail(.invalidField, "is \(value.kind), not an object")
    }
    guard let rawDType = fields["dtype"] else { throw fail(.missingField, "no dtype") }
    guard case .string(let dtypeName) = rawDType else {
      throw fail(.invalidField, "dtype is \(rawDType.kind), not a string")
    }
    guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
      throw fail(.unknownDType, "unknown dtype \"\(ImportError.oneLine(dtypeName))\"")
    }
    guard let rawShape = fields["shape"] else { throw fail(.missingField, "no shape") }
    guard case .array(let dimensions) = rawShape else {
      throw fail(.invalidField, "shape is \(rawShape.kind), not an array")
    }
    var shape: [Int64] = []
    shape.reserveCapacity(dimensions.count)
    var elements: Int64 = 1
    var overflow = false
    for dimension in dimensions {
      guard case .number(let number) = dimension, let size = Int64(exactly: number) else {
        throw fail(.invalidShape, "shape has \(describe(dimension)), not an integer dimension")
      }
      guard size >= 0 else { throw fail(.invalidShape, "shape has the negative dimension \(size)") }
      shape.append(size)
      let (product, overflowed) = elements.multipliedReportingOverflow(by: size)
      elements = product
      overflow = overflow || overflowed
    }
    // The product taken in order, as safetensors validates a shape (a checked product that fails
    // on the first overflow): a zero dimension after an overflowing prefix does not make the
    // shape valid.
    if overflow {
      throw fail(.invalidShape, "shape \(describe(shape)) has more elements than Int64 can count")
    }
    guard let rawOffsets = fields["data_offsets"] else { throw fail(.missingField, "no data_offsets") }
    guard case .array(let offsetValues) = rawOffsets, offsetValues.count == 2 else {
      throw fail(.invalidField, "data_offsets is \(rawOffsets.kind), not an array of two offsets")
    }
    var offsets: [Int64] = []
    for offset in offsetValues {
      guard case .number(let number) = offset, let position = Int64(exactly: number), position >= 0 else {
        throw fail(.invalidField, "data_offsets has \(describe(offset)), not a non-negative integer")
      }
      offsets.append(position)
    }
    let (begin, end) = (offsets[0], offsets[1])
    guard begin <= end else {
      throw fail(.invalidField, "data_offsets [\(begin), \(end)] end before they begin")
    }
    let (bits, bitsOverflow) = elements.multipliedReportingOverflow(by: Int64(dtype.bits))
    guard !bitsOverflow else {
      throw fail(
        .invalidShape, "shape \(describe(shape)) of \(dtype.rawValue) has more bytes than Int64 can count")
    }
    guard bits % 8 == 0, bits / 8 == end - begin else {
      let bytes = bits % 8 == 0 ? "\(bits / 8) bytes" : "\(bits) bits, not a whole number of bytes"
      throw fail(
        .sizeMismatch,
        "data_offsets [\(begin), \(end)] span \(end - begin) bytes but shape \(describe(shape)) of "
          + "\(dtype.rawValue) is \(bytes)")
    }
    guard end <= dataLength else {
      throw fail(
        .truncated,
        "data_offsets [\(begin), \(end)] run past the end of the data (\(dataLength) bytes after the "
          + "header): the file is truncated")
    }
    return SafetensorsTensor(
      name: name, dtype: dtype, shape: shape, elementCount: elements, dataOffsets: begin..<end, file: file)
  }

  /// A shape for a message (at most eight dimensions shown).
  static func describe(_ shape: [Int64]) -> String {
    let shown = shape.prefix(8).map(String.init).joined(separator: ", ")
    return "[" + shown + (shape.count > 8 ? ", … (\(shape.count) dimensions)" : "") + "]"
  }

  /// A JSON value for a message.
  static func describe(_ value: JSONValue) -> String {
    switch value {
    case .number(let number): "\(number)"
    case .string(let text): "the string \"\(ImportError.oneLine(text, limit: 40))\""
    default: value.kind
    }
  }
}
