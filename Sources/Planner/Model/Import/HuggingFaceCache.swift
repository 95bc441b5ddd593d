import Foundation

/// The local Hugging Face hub cache, read as `huggingface_hub` writes it: never a download.
///
///     <root>/models--Qwen--Qwen2.5-7B-Instruct/refs/main          the snapshot's commit hash
///     <root>/models--Qwen--Qwen2.5-7B-Instruct/snapshots/<hash>/  config.json, *.safetensors (links to blobs/)
///
/// The root is `HF_HUB_CACHE`, else `HF_HOME/hub`, else `~/.cache/huggingface/hub`
/// (huggingface_hub's `constants.py`; `XDG_CACHE_HOME` replaces `~/.cache` there too).
public struct HuggingFaceCache: Sendable, Hashable {
  /// The cache directory holding the `models--Org--Name` folders.
  public var root: String

  public init(root: String) { self.root = root }

  /// The cache that `huggingface_hub` uses with these environment variables and home directory.
  public init(variables: [String: String], home: String) {
    if let hub = variables["HF_HUB_CACHE"], !hub.isEmpty {
      root = Self.expandingTilde(hub, home: home)
    } else if let hfHome = variables["HF_HOME"], !hfHome.isEmpty {
      root = ImportPath(Self.expandingTilde(hfHome, home: home)).appending("hub")
    } else if let xdg = variables["XDG_CACHE_HOME"], !xdg.isEmpty {
      root = ImportPath(Self.expandingTilde(xdg, home: home)).appending("huggingface/hub")
    } else {
      root = ImportPath(home).appending(".cache/huggingface/hub")
    }
  }

  /// `~` or `~/...` against `home`; other paths as they are.
  static func expandingTilde(_ path: String, home: String) -> String {
    if path == "~" { return home }
    if path.hasPrefix("~/") { return ImportPath(home).appending(String(path.dropFirst(2))) }
    return path
  }

  /// `models--Org--Name` for `Org/Name`; `nil` for text that is not a hub id (exactly one `/`
  /// between two non-empty parts without spaces or `..`).
  public static func folderName(repository id: String) -> String? {
    let parts = id.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && !$0.contains(" ") })
    else { return nil }
    return "models--\(parts[0])--\(parts[1])"
  }

  /// `Org/Name` for a folder named `models--Org--Name`; `nil` for other names.
  public static func repository(folderName name: String) -> String? {
    guard name.hasPrefix("models--") else { return nil }
    let rest = name.dropFirst("models--".count)
    guard let separator = rest.range(of: "--") else { return nil }
    let org = rest[..<separator.lowerBound]
    let model = rest[separator.upperBound...]
    guard !org.isEmpty, !model.isEmpty else { return nil }
    return "\(org)/\(model)"
  }

  /// The cache folder of a hub id: the exact `models--Org--Name`, else the only folder whose name
  /// matches it ignoring case (hub ids are case-insensitive); `nil` where none exists.
  public func folder(repository id: String) -> String? {
    guard let name = Self.folderName(repository: id) else { return nil }
    let exact = ImportPath(root).appending(name)
    if Self.isDirectory(exact) { return exact }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
    let matches = names.filter { $0.lowercased() == name.lowercased() }
    guard matches.count == 1 else { return nil }
    let folder = ImportPath(root).appending(matches[0])
    return Self.isDirectory(folder) ? folder : nil
  }

  /// Why a cache folder holds no snapshot to read.
  public struct MissingSnapshot: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
  }

  /// The snapshot directory of a `models--Org--Name` folder: the one `refs/main` names, else the
  /// only one.
  public static func snapshot(ofFolder folder: String) throws(MissingSnapshot) -> String {
    let snapshots = ImportPath(folder).appending("snapshots")
    let refPath = ImportPath(folder).appending("refs/main")
    if let data = FileManager.default.contents(atPath: refPath), data.count <= 256,
      let text = String(data: data, encoding: .utf8)
    {
      let hash = text.trimmingCharacters(in: .whitespacesAndNewlines)
      let directory = ImportPath(snapshots).appending(hash)
      if !hash.isEmpty, !hash.contains("/"), isDirectory(directory) { return directory }
    }
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: snapshots)) ?? []).filter {
      !$0.hasPrefix(".") && isDirectory(ImportPath(snapshots).appending($0))
    }.sorted()
    if names.count == 1 { return ImportPath(snapshots).appending(names[0]) }
    if names.isEmpty {
      throw MissingSnapshot(
        description: "\(snapshots): no snapshot (the download did not finish: huggingface-cli download again)"
      )
    }
    throw MissingSnapshot(
      description:
        "\(snapshots): \(names.count) snapshots and no refs/main naming one: pass the snapshot directory")
  }

  /// For a directory `…/models--Org--Name/snapshots/<hash>`, `Org/Name`; else `nil`.
  public static func repository(ofSnapshot directory: String) -> String? {
    let parts = directory.split(separator: "/").map(String.init)
    guard parts.count >= 3, parts[parts.count - 2] == "snapshots" else { return nil }
    return repository(folderName: parts[parts.count - 3])
  }

  static func isDirectory(_ path: String) -> Bool {
    var flag: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
  }
}
