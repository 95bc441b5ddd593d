import Foundation

/// Resolves a `--model` value to a ``ModelSource``, never downloading anything, in this order:
///
/// 1. An existing path: a `.gguf` file; a directory with `config.json` and/or safetensors; a
///    Hugging Face cache folder `models--Org--Name` (its snapshot: ``HuggingFaceCache``); a
///    directory holding one GGUF model (a GGUF repository's snapshot).
/// 2. A hub id `Org/Name` in the Hugging Face cache (``HuggingFaceCache/init(variables:home:)``).
/// 3. The catalog (``ModelCatalog/entry(named:)``).
///
/// The plan keeps the id the user typed: `Qwen/Qwen2.5-7B-Instruct` is served as that, even where
/// the catalog builds it from its base model's architecture. A cache folder or snapshot is named
/// after its repository, not its hash. The environment (variables, home directory) is injected,
/// so tests build a cache in a temporary directory.
public struct ModelResolver: Sendable {
  /// Environment variables (`HF_HUB_CACHE`, `HF_HOME`, `XDG_CACHE_HOME`).
  public var variables: [String: String]
  /// The home directory (`~`).
  public var home: String

  /// The resolver of this process: its environment and home directory.
  public init() {
    self.init(
      variables: ProcessInfo.processInfo.environment,
      home: ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory())
  }

  public init(variables: [String: String], home: String) {
    self.variables = variables
    self.home = home
  }

  /// The cache the resolver looks in.
  public var cache: HuggingFaceCache { HuggingFaceCache(variables: variables, home: home) }

  /// Why a value resolves to no model: one line saying what was tried, and whether it is a usage
  /// error (an unknown name, exit 64) or a missing or unusable path (exit 1).
  public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public var isUsageError: Bool
  }

  /// Resolves `value`.
  ///
  /// - Complexity: a few file-system lookups (a directory listing of the cache root at most).
  public func resolve(_ value: String) throws(Failure) -> ModelSource {
    let path = HuggingFaceCache.expandingTilde(value, home: home)
    var isDirectory: ObjCBool = false
    if !value.isEmpty, FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
      if !isDirectory.boolValue {
        guard GGUFImporter.isGGUF(path) else {
          throw Failure(
            description:
              "--model \(EchoedValue(value)): is a file, not a model directory nor a .gguf file "
              + "(give the directory that holds config.json)",
            isUsageError: false)
        }
        return ModelSource(kind: .gguf(path), origin: .path, given: value)
      }
      return try source(inDirectory: path, given: value, origin: .path, hubID: nil)
    }
    if Self.looksLikePath(value) {
      let what = GGUFImporter.isGGUF(value) ? "no such file" : "no such directory"
      throw Failure(
        description:
          "--model \(EchoedValue(value)): \(what) (read as a path because of its \(Self.pathMark(value)); "
          + "the planner downloads nothing)",
        isUsageError: false)
    }
    let cache = self.cache
    if HuggingFaceCache.folderName(repository: value) != nil, let folder = cache.folder(repository: value) {
      return try source(inDirectory: folder, given: value, origin: .huggingFaceCache, hubID: value)
    }
    if let entry = ModelCatalog.entry(named: value) {
      let isHubID = HuggingFaceCache.folderName(repository: value) != nil
      return ModelSource(
        kind: .catalog(entry.name), origin: .catalog, given: value, name: isHubID ? value : nil,
        repository: isHubID ? value : nil)
    }
    let hint = ModelCatalog.closestNames(to: value).joined(separator: ", ")
    if let folder = HuggingFaceCache.folderName(repository: value) {
      throw Failure(
        description:
          "unknown model '\(EchoedValue(value))': no such local directory, not in the Hugging Face cache "
          + "(\(ImportPath(cache.root).appending(folder))), not a catalog name; the planner downloads nothing: "
          + "`huggingface-cli download \(EchoedValue(value)) config.json` fetches what it needs; closest known: \(hint)",
        isUsageError: true)
    }
    throw Failure(
      description:
        "unknown model '\(EchoedValue(value))'; closest known: \(hint) (planner models lists them all, or pass a model "
        + "directory, a .gguf file or a hub id)",
      isUsageError: true)
  }

  /// Whether a value that names nothing on disk is meant as a path: it starts with `/`, `.` or
  /// `~`, ends in `.gguf`, or has more than one `/` (a hub id has exactly one).
  static func looksLikePath(_ value: String) -> Bool {
    value.hasPrefix("/") || value.hasPrefix(".") || value.hasPrefix("~") || GGUFImporter.isGGUF(value)
      || value.filter { $0 == "/" }.count > 1 || value.hasSuffix("/")
  }

  /// What made ``looksLikePath(_:)`` say so, for the message.
  static func pathMark(_ value: String) -> String {
    if value.hasPrefix("/") || value.hasPrefix(".") || value.hasPrefix("~") {
      return "leading '\(value.first!)'"
    }
    if GGUFImporter.isGGUF(value) { return ".gguf suffix" }
    return "slashes"
  }

  /// The source of an existing directory: a cache folder's snapshot, a model directory, or the one
  /// GGUF model it holds.
  func source(inDirectory path: String, given: String, origin: ModelSource.Origin, hubID: String?)
    throws(Failure)
    -> ModelSource
  {
    var directory = path
    var name = hubID
    var repository = hubID
    let last = ImportPath(path).lastPathComponent
    if let cacheRepository = HuggingFaceCache.repository(folderName: last),
      HuggingFaceCache.isDirectory(ImportPath(path).appending("snapshots"))
    {
      do {
        directory = try HuggingFaceCache.snapshot(ofFolder: path)
      } catch {
        throw Failure(description: "--model \(EchoedValue(given)): \(error.description)", isUsageError: false)
      }
      name = name ?? cacheRepository
      // vLLM loads the snapshot directory as it is; a hub id typed is served as typed.
      repository = repository ?? directory
    } else if name == nil, let snapshotRepository = HuggingFaceCache.repository(ofSnapshot: path) {
      name = snapshotRepository
    }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    let hasCheckpoint = names.contains { $0 == "config.json" || $0.hasSuffix(".safetensors") }
    let models = names.filter { GGUFImporter.isGGUF($0) && !$0.lowercased().hasPrefix("mmproj") }.filter {
      GGUFImporter.splitSuffix(String($0.dropLast(5)))?.number ?? 1 == 1
    }.sorted()
    if !hasCheckpoint, !models.isEmpty {
      guard models.count == 1 else {
        throw Failure(
          description:
            "--model \(EchoedValue(given)): \(models.count) GGUF models in \(directory) (\(models.prefix(4).joined(separator: ", ")))"
            + ": pass one of the files",
          isUsageError: true)
      }
      return ModelSource(
        kind: .gguf(ImportPath(directory).appending(models[0])), origin: origin, given: given)
    }
    return ModelSource(
      kind: .directory(directory), origin: origin, given: given, name: name, repository: repository)
  }
}
