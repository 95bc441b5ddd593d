import Foundation
import Testing

@testable import Planner

/// `--model` resolution against a Hugging Face cache built in a temporary directory, with the
/// environment injected.
@Suite struct ModelResolverTests {
  /// A scratch directory standing for `$HOME`, removed at the end.
  final class Scratch {
    let home: String
    init() throws {
      home =
        FileManager.default.temporaryDirectory.appendingPathComponent("planner-resolve-\(UUID().uuidString)")
        .path
      try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: home) }

    /// Writes `text` at `relative` under home, creating folders.
    func write(_ relative: String, _ text: String = "") throws {
      let path = home + "/" + relative
      try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// A cache folder for `Org/Name` under `root` with snapshots holding the tiny Qwen2 config,
    /// and `refs/main` naming `main` if given.
    func cacheModel(root: String, _ id: String, snapshots: [String], main: String? = nil) throws {
      let folder = "\(root)/models--\(id.replacingOccurrences(of: "/", with: "--"))"
      let config = try String(decoding: Fixtures.data("models/tiny-qwen2/config.json"), as: UTF8.self)
      for hash in snapshots { try write("\(folder)/snapshots/\(hash)/config.json", config) }
      if let main { try write("\(folder)/refs/main", main + "\n") }
    }
  }

  @Test func theCacheRootFollowsHuggingFaceHubsOrder() {
    let home = "/home/u"
    #expect(HuggingFaceCache(variables: [:], home: home).root == "/home/u/.cache/huggingface/hub")
    #expect(HuggingFaceCache(variables: ["HF_HOME": "/data/hf"], home: home).root == "/data/hf/hub")
    #expect(HuggingFaceCache(variables: ["HF_HOME": "~/hf"], home: home).root == "/home/u/hf/hub")
    #expect(
      HuggingFaceCache(variables: ["HF_HUB_CACHE": "/fast/hub", "HF_HOME": "/data/hf"], home: home).root
        == "/fast/hub")
    #expect(
      HuggingFaceCache(variables: ["XDG_CACHE_HOME": "/xdg"], home: home).root == "/xdg/huggingface/hub")
    #expect(
      HuggingFaceCache(variables: ["HF_HUB_CACHE": ""], home: home).root == "/home/u/.cache/huggingface/hub")
  }

  @Test func folderNamesAndRepositoriesRoundTrip() {
    #expect(
      HuggingFaceCache.folderName(repository: "Qwen/Qwen2.5-7B-Instruct")
        == "models--Qwen--Qwen2.5-7B-Instruct")
    #expect(
      HuggingFaceCache.repository(folderName: "models--Qwen--Qwen2.5-7B-Instruct")
        == "Qwen/Qwen2.5-7B-Instruct")
    #expect(HuggingFaceCache.folderName(repository: "qwen2-7b") == nil)
    #expect(HuggingFaceCache.folderName(repository: "a/b/c") == nil)
    #expect(HuggingFaceCache.folderName(repository: "../x") == nil)
    #expect(HuggingFaceCache.repository(folderName: "datasets--a--b") == nil)
    #expect(
      HuggingFaceCache.repository(ofSnapshot: "/c/models--openbmb--MiniCPM-V-2_6/snapshots/abc")
        == "openbmb/MiniCPM-V-2_6")
  }

  /// A hub id in the default cache (`~/.cache/huggingface/hub`) reads the snapshot `refs/main`
  /// names, and keeps the id as the model's name and what vLLM serves.
  @Test func aHubIdInTheDefaultCacheReadsTheMainSnapshot() throws {
    let scratch = try Scratch()
    let root = ".cache/huggingface/hub"
    try scratch.cacheModel(root: root, "Org/Tiny-Instruct", snapshots: ["aaa", "bbb"], main: "bbb")
    let resolver = ModelResolver(variables: [:], home: scratch.home)
    let source = try resolver.resolve("Org/Tiny-Instruct")
    #expect(source.origin == .huggingFaceCache)
    #expect(source.kind == .directory("\(scratch.home)/\(root)/models--Org--Tiny-Instruct/snapshots/bbb"))
    let graph = try source.load()
    #expect(graph.name == "Org/Tiny-Instruct")
    #expect(graph.serving.repository == "Org/Tiny-Instruct")
    #expect(graph.parameterCount > 0)
  }

  @Test func hfHubCacheWinsOverHFHome() throws {
    let scratch = try Scratch()
    try scratch.cacheModel(root: "hub-a", "Org/M", snapshots: ["one"])
    try scratch.cacheModel(root: "home-b/hub", "Org/M", snapshots: ["two"])
    let both = ModelResolver(
      variables: ["HF_HUB_CACHE": scratch.home + "/hub-a", "HF_HOME": scratch.home + "/home-b"],
      home: scratch.home)
    #expect(
      try both.resolve("Org/M").kind == .directory(scratch.home + "/hub-a/models--Org--M/snapshots/one"))
    let home = ModelResolver(variables: ["HF_HOME": scratch.home + "/home-b"], home: scratch.home)
    #expect(
      try home.resolve("Org/M").kind == .directory(scratch.home + "/home-b/hub/models--Org--M/snapshots/two"))
  }

  /// Hub ids are case-insensitive on the hub; the cache folder keeps the case first downloaded.
  @Test func aHubIdMatchesItsFolderIgnoringCase() throws {
    let scratch = try Scratch()
    try scratch.cacheModel(root: "hub", "Qwen/Qwen2.5-7B-Instruct", snapshots: ["h"])
    let resolver = ModelResolver(variables: ["HF_HUB_CACHE": scratch.home + "/hub"], home: scratch.home)
    let source = try resolver.resolve("qwen/qwen2.5-7b-instruct")
    #expect(source.kind == .directory(scratch.home + "/hub/models--Qwen--Qwen2.5-7B-Instruct/snapshots/h"))
    #expect(source.repository == "qwen/qwen2.5-7b-instruct")
  }

  /// A cache folder given as a path is named after its repository and served from its snapshot.
  @Test func aCacheFolderPathIsNamedAfterItsRepository() throws {
    let scratch = try Scratch()
    try scratch.cacheModel(root: "anywhere", "Org/Model-7B", snapshots: ["0123abcd"])
    let folder = scratch.home + "/anywhere/models--Org--Model-7B"
    let source = try ModelResolver(variables: [:], home: scratch.home).resolve(folder)
    #expect(source.origin == .path)
    #expect(source.name == "Org/Model-7B")
    let graph = try source.load()
    #expect(graph.name == "Org/Model-7B")
    #expect(graph.serving.repository == folder + "/snapshots/0123abcd")
    // The snapshot directory itself is named after the repository too, not its hash.
    let snapshot = try ModelResolver(variables: [:], home: scratch.home).resolve(
      folder + "/snapshots/0123abcd")
    #expect(try snapshot.load().name == "Org/Model-7B")
  }

  @Test func aFolderWithoutAUsableSnapshotSaysWhy() throws {
    let scratch = try Scratch()
    try scratch.cacheModel(root: "c", "Org/Two", snapshots: ["x1", "x2"])
    try FileManager.default.createDirectory(
      atPath: scratch.home + "/c/models--Org--Empty/snapshots", withIntermediateDirectories: true)
    let resolver = ModelResolver(variables: ["HF_HUB_CACHE": scratch.home + "/c"], home: scratch.home)
    #expect(throws: ModelResolver.Failure.self) { try resolver.resolve("Org/Two") }
    do {
      _ = try resolver.resolve("Org/Two")
    } catch {
      #expect(error.description.contains("2 snapshots and no refs/main"), "\(error.description)")
      #expect(!error.isUsageError)
    }
    do {
      _ = try resolver.resolve("Org/Empty")
    } catch {
      #expect(error.description.contains("no snapshot"), "\(error.description)")
    }
  }

  /// Never "unknown model" for a path: what is missing, and that it was read as a path.
  @Test(arguments: [
    ("/nowhere/model", "no such directory"), ("./model-dir", "no such directory"),
    ("~/models/qwen", "no such directory"), ("a/b/c", "no such directory"),
    ("llama-Q4_K_M.gguf", "no such file"),
    ("/tmp/none-\(UUID().uuidString).gguf", "no such file"),
  ])
  func aMissingPathSaysNoSuchDirectoryOrFile(value: String, expected: String) throws {
    let scratch = try Scratch()
    do {
      let source = try ModelResolver(variables: [:], home: scratch.home).resolve(value)
      Issue.record("\(value) resolved to \(source)")
    } catch {
      #expect(error.description.contains(expected), "\(error.description)")
      #expect(!error.description.contains("unknown model"), "\(error.description)")
      #expect(!error.isUsageError)
    }
  }

  /// A hub id the cache lacks falls back to the catalog, keeping the id typed for the plan and
  /// vLLM (not the catalog's base model repository).
  @Test func aHubIdOnlyInTheCatalogKeepsTheIdTyped() throws {
    let scratch = try Scratch()
    let resolver = ModelResolver(variables: [:], home: scratch.home)
    let source = try resolver.resolve("meta-llama/Meta-Llama-3-8B-Instruct")
    #expect(source.origin == .catalog)
    let graph = try source.load()
    #expect(graph.serving.repository == "meta-llama/Meta-Llama-3-8B-Instruct")
    #expect(graph.name == "meta-llama/Meta-Llama-3-8B-Instruct")
    // A catalog name is the catalog's: its name and repository unchanged.
    let plain = try resolver.resolve("llama-3-8b").load()
    #expect(plain.name == "llama-3-8b")
    #expect(plain.serving.repository == ModelCatalog.entry(named: "llama-3-8b")?.build().serving.repository)
  }

  @Test func anUnknownHubIdNamesTheCacheFolderTried() throws {
    let scratch = try Scratch()
    do {
      _ = try ModelResolver(variables: ["HF_HUB_CACHE": "/c"], home: scratch.home).resolve("Org/Nothing")
      Issue.record("resolved")
    } catch {
      #expect(error.isUsageError)
      #expect(error.description.contains("/c/models--Org--Nothing"), "\(error.description)")
      #expect(error.description.contains("downloads nothing"))
      #expect(!error.description.contains("\n"))
    }
  }

  /// A GGUF repository's snapshot resolves to its one model file; a file that is neither a
  /// directory nor a `.gguf` is refused.
  @Test func aDirectoryOfOneGGUFModelIsThatFile() throws {
    let scratch = try Scratch()
    try scratch.write("hub/models--Org--M-GGUF/snapshots/s/m-Q4_K_M.gguf")
    try scratch.write("hub/models--Org--M-GGUF/snapshots/s/mmproj-m-f16.gguf")
    try scratch.write("notes.txt", "hello")
    let resolver = ModelResolver(variables: ["HF_HUB_CACHE": scratch.home + "/hub"], home: scratch.home)
    let source = try resolver.resolve("Org/M-GGUF")
    #expect(source.kind == .gguf(scratch.home + "/hub/models--Org--M-GGUF/snapshots/s/m-Q4_K_M.gguf"))
    #expect(source.isGGUF)
    try scratch.write("hub/models--Org--M-GGUF/snapshots/s/m-Q8_0.gguf")
    #expect(throws: ModelResolver.Failure.self) { try resolver.resolve("Org/M-GGUF") }
    do {
      _ = try resolver.resolve(scratch.home + "/notes.txt")
    } catch {
      #expect(error.description.contains("is a file"), "\(error.description)")
    }
  }

  /// Odd values resolve or fail with one line, never trap.
  @Test(arguments: [
    "", "/", "//", "a/", "/a", "..", "models--", "models--x", "a/b\nc", "Org/Na me",
    String(repeating: "x/", count: 5000),
    String(repeating: "q", count: 100_000), "\u{0}", "~", "~nobody/x",
  ])
  func oddValuesFailWithOneLine(value: String) throws {
    let scratch = try Scratch()
    do {
      _ = try ModelResolver(variables: ["HF_HUB_CACHE": scratch.home], home: scratch.home).resolve(value)
    } catch {
      #expect(!error.description.isEmpty)
    }
  }
}
