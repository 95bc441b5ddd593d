import Foundation

/// Where a `--model` value points, once resolved (``ModelResolver``): a model directory, a GGUF
/// file, or a catalog entry, with the names the plan and its exports use.
///
///     let source = try ModelResolver().resolve("Qwen/Qwen2.5-7B-Instruct")
///     let graph = try source.load()
///     graph.serving.repository   // "Qwen/Qwen2.5-7B-Instruct", what `vllm serve` is given
public struct ModelSource: Sendable, Hashable {
  public enum Kind: Sendable, Hashable {
    /// A Hugging Face model directory (`config.json`, safetensors headers): the path to read.
    case directory(String)
    /// A GGUF file (any shard of a split file): the path to read.
    case gguf(String)
    /// A catalog entry, by its canonical name.
    case catalog(String)
  }

  /// Where the model was found, and what was read there.
  public enum Origin: String, Sendable, Hashable {
    /// A path the user gave.
    case path
    /// The Hugging Face cache, for a hub id (`Org/Name`).
    case huggingFaceCache
    /// The planner's catalog.
    case catalog
  }

  /// What to read.
  public var kind: Kind
  /// How it was found.
  public var origin: Origin
  /// The value as the user gave it.
  public var given: String
  /// The model's name in the plan: the hub id (`Qwen/Qwen2.5-7B-Instruct`) where one is known
  /// (given, or read from a `models--Org--Name` cache folder), never a snapshot hash; else the
  /// importer's own name (the directory or file name, or the catalog name).
  public var name: String?
  /// What `vllm serve` is given: the hub id the user typed, or the directory that holds the
  /// checkpoint (a cache folder's snapshot); `nil` keeps what the importer or catalog says.
  public var repository: String?

  public init(kind: Kind, origin: Origin, given: String, name: String? = nil, repository: String? = nil) {
    self.kind = kind
    self.origin = origin
    self.given = given
    self.name = name
    self.repository = repository
  }

  /// Whether the model is read from a GGUF file (which plans for llama.cpp by default).
  public var isGGUF: Bool { if case .gguf = kind { true } else { false } }

  /// Reads the model: the headers of a directory or GGUF file, or the catalog's builder; then
  /// the plan's name and the repository to serve.
  ///
  /// - Parameter mmproj: the mmproj of a GGUF model (see ``GGUFImporter/load(path:mmproj:)``).
  /// - Throws: ``ImportError`` naming the file, field and reason.
  public func load(mmproj: String? = nil) throws(ImportError) -> ModelGraph {
    var graph: ModelGraph
    switch kind {
    case .directory(let path): graph = try CheckpointImporter.load(directory: path)
    case .gguf(let path): graph = try GGUFImporter.load(path: path, mmproj: mmproj)
    case .catalog(let entry):
      guard let found = ModelCatalog.entry(named: entry) else {
        throw ImportError(.unsupported, file: given, "not in the catalog")
      }
      graph = found.build()
    }
    if let name { graph.name = name }
    if let repository { graph.serving.repository = repository }
    return graph
  }
}
