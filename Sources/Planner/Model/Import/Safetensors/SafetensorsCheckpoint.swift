import Foundation

/// The safetensors files of a model directory and their headers.
///
/// A sharded checkpoint names its shards in `model.safetensors.index.json` (`weight_map`: tensor
/// name → file); an unsharded one is `model.safetensors`. Without either, every `*.safetensors`
/// file of the directory is read, in name order.
public enum SafetensorsCheckpoint {
  public static let indexFileName = "model.safetensors.index.json"
  public static let singleFileName = "model.safetensors"

  /// Every tensor of the directory's checkpoint, in file order then byte order; empty where the
  /// directory has no safetensors file.
  ///
  /// - Throws: ``ImportError`` for an unreadable or invalid header or index, a shard the index
  ///   names but the directory lacks, a tensor the index places in a shard that does not hold it,
  ///   and a tensor stored twice.
  /// - Complexity: O(*h* + *t* log *t*) over all headers; reads only the headers.
  public static func tensors(inDirectory directory: String) throws(ImportError) -> [SafetensorsTensor] {
    // Paths stay as the user gave them (relative stays relative), so that messages name them so.
    let base = ImportPath(directory)
    let index = base.appending(indexFileName)
    let single = base.appending(singleFileName)
    let manager = FileManager.default
    var files: [String]
    var weightMap: [String: String]? = nil
    if manager.fileExists(atPath: index) {
      let map = try readIndex(at: index)
      weightMap = map
      files = Array(Set(map.values)).sorted()
      for shard in files where !manager.fileExists(atPath: base.appending(shard)) {
        let tensor = map.filter { $0.value == shard }.keys.min() ?? ""
        throw ImportError(
          .missingShard, file: index, subject: "weight_map",
          "names shard \(ImportError.oneLine(shard)) (for \(ImportError.oneLine(tensor)) and others), "
            + "which is not in the directory")
      }
    } else if manager.fileExists(atPath: single) {
      files = [singleFileName]
    } else {
      let names = (try? manager.contentsOfDirectory(atPath: directory)) ?? []
      files = names.filter { $0.hasSuffix(".safetensors") }.sorted()
    }
    var tensors: [SafetensorsTensor] = []
    var location: [String: String] = [:]
    for name in files {
      let path = base.appending(name)
      let header = try SafetensorsHeader.read(contentsOf: path)
      guard tensors.count + header.tensors.count <= SafetensorsHeader.maximumTensors else {
        throw ImportError(
          .tooLarge, file: path,
          "the checkpoint holds more than \(SafetensorsHeader.maximumTensors) tensors (with the shards before it)"
        )
      }
      // One file without an index: its names are already unique (the keys of one JSON object).
      guard files.count > 1 || weightMap != nil else {
        tensors = header.tensors
        break
      }
      for tensor in header.tensors {
        if let other = location.updateValue(path, forKey: tensor.name) {
          throw ImportError(
            .invalidField, file: path, subject: tensor.name,
            "is stored twice (also in \(ImportError.oneLine(other)))")
        }
        tensors.append(tensor)
      }
    }
    if let weightMap {
      for (tensor, shard) in weightMap.sorted(by: { $0.key < $1.key }) {
        let path = base.appending(shard)
        guard location[tensor] == path else {
          throw ImportError(
            .missingField, file: index, subject: tensor,
            "the index places it in \(ImportError.oneLine(shard)), whose header does not hold it")
        }
      }
    }
    return tensors
  }

  /// Reads `weight_map` of an index file; shard names must be plain file names in the directory.
  static func readIndex(at path: String) throws(ImportError) -> [String: String] {
    try parseIndex(readJSONFile(at: path, limit: SafetensorsHeader.maximumHeaderLength), file: path)
  }

  /// The bytes of a small JSON file (`config.json`, an index), refused past `limit` bytes.
  static func readJSONFile(at path: String, limit: Int64) throws(ImportError) -> Data {
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
    guard size <= limit else {
      throw ImportError(.tooLarge, file: path, "is \(size) bytes, more than the \(limit) accepted")
    }
    do {
      return try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw ImportError(.unreadable, file: path, "cannot be read (\(error.localizedDescription))")
    }
  }

  /// Parses the JSON of an index file.
  static func parseIndex(_ data: Data, file: String) throws(ImportError) -> [String: String] {
    guard let document = JSONValue.parse(data) else { throw ImportError(.notJSON, file: file, "is not JSON") }
    guard case .object(let fields) = document else {
      throw ImportError(.invalidField, file: file, "is \(document.kind), not an object")
    }
    guard let rawMap = fields["weight_map"] else {
      throw ImportError(.missingField, file: file, subject: "weight_map", "is missing")
    }
    guard case .object(let entries) = rawMap else {
      throw ImportError(.invalidField, file: file, subject: "weight_map", "is \(rawMap.kind), not an object")
    }
    var map: [String: String] = [:]
    for (tensor, value) in entries.sorted(by: { $0.key < $1.key }) {
      guard case .string(let shard) = value else {
        throw ImportError(
          .invalidField, file: file, subject: "weight_map." + tensor, "is \(value.kind), not a file name")
      }
      guard !shard.isEmpty, shard != ".", shard != "..", !shard.contains("/"), !shard.contains("\\"),
        !shard.contains("\0")
      else {
        throw ImportError(
          .invalidField, file: file, subject: "weight_map." + tensor,
          "\"\(ImportError.oneLine(shard))\" is not a file name in the model directory")
      }
      map[tensor] = shard
    }
    return map
  }
}
