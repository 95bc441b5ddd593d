import Foundation

/// Plans a local Hugging Face model directory: `config.json` and the safetensors headers.
///
///     let graph = try CheckpointImporter.load(directory: "~/models/MiniCPM-V-2_6")
///     graph.layers.first?.module   // "vpm.embeddings"
///
/// - With `config.json` of a known family (``ConfigImporter/supportedModelTypes``) the graph is
///   built by the family's builder, then the headers replace every tensor's shape and dtype
///   (`bits` from the stored type): sizes are the checkpoint's exactly. A configured tensor the
///   headers lack is dropped where its module holds other stored tensors (a quantized form such
///   as `qweight`/`scales` replaced it) and kept otherwise (transformers would initialise it);
///   stored tensors the builder lacks join the tree, inside their layer or as new layers.
/// - With an unknown `model_type`, or no `config.json`, the tree comes from the tensor names:
///   each `*.layers.N.` / `*.blocks.N.` / `*.h.N.` / `*.layer.N.` prefix is one layer (no-split
///   class `ImportedBlock`), every other tensor belongs to its parent module (the shallowest such
///   module, or the tensor itself beside a list of blocks), in the headers' order with
///   embeddings first and heads last; FLOPs are 2 per parameter per token.
/// - With `config.json` alone, sizes are the configured ones.
public enum CheckpointImporter {
  /// Imports a model directory.
  ///
  /// - Parameter directory: the directory (`~` is expanded); its name becomes the graph's name.
  /// - Returns: the graph; its ``ModelGraph/estimates`` say what was not read from the files.
  /// - Throws: ``ImportError`` naming the file, the tensor or field and the reason.
  /// - Complexity: O(*h* + *t* log *t* + *m*) for headers of *h* bytes, *t* tensors and a module tree
  ///   of *m* nodes; only headers are read.
  public static func load(directory: String) throws(ImportError) -> ModelGraph {
    let path = NSString(string: directory).expandingTildeInPath
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw ImportError(.unreadable, file: path, "no such directory")
    }
    guard isDirectory.boolValue else {
      throw ImportError(.unreadable, file: path, "is not a directory (give the model's directory)")
    }
    let base = ImportPath(path)
    let configPath = base.appending("config.json")
    var config: ConfigObject? = nil
    if FileManager.default.fileExists(atPath: configPath) {
      config = try ConfigImporter.read(contentsOf: configPath)
    } else if case let reason = ImportPath.missingReason(configPath), reason != "no such file" {
      throw ImportError(.unreadable, file: configPath, reason)
    }
    let tensors = try SafetensorsCheckpoint.tensors(inDirectory: path)
    var model = try graph(config: config, tensors: tensors, name: base.lastPathComponent, directory: path)
    model.serving = try servingFacts(config: config, directory: directory)
    return model
  }

  /// What a serving runtime needs from `config.json`: the directory to serve, the text model's
  /// `max_position_embeddings` (at the top, or in `text_config`, `llm_config` or
  /// `thinker_config.text_config`), and whether `auto_map` asks for the checkpoint's own code.
  static func servingFacts(config: ConfigObject?, directory: String) throws(ImportError) -> ServingFacts {
    var facts = ServingFacts(repository: directory)
    guard let config else { return facts }
    facts.remoteCode = config.value("auto_map") != nil
    var candidates = [config]
    for key in ["text_config", "llm_config", "thinker_config"] {
      if let nested = try config.object(key) {
        candidates.append(nested)
        if let text = try nested.object("text_config") { candidates.append(text) }
      }
    }
    for candidate in candidates {
      if let positions = try candidate.optionalInteger("max_position_embeddings", in: 1...(1 << 32)) {
        facts.maxPositions = positions
        break
      }
    }
    return facts
  }

  /// The graph of a parsed `config.json` (if any) and a checkpoint's tensors.
  static func graph(
    config: ConfigObject?, tensors: [SafetensorsTensor], name: String, directory: String
  ) throws(ImportError) -> ModelGraph {
    guard config != nil || !tensors.isEmpty else {
      throw ImportError(
        .missingField, file: ImportPath(directory).appending("config.json"),
        "not found, and the directory has no safetensors file to plan from")
    }
    let paths = try modulePaths(of: tensors)
    var quantization: Quantization? = nil
    if let config, var found = try ConfigImporter.quantization(config) {
      // The dtype of what the quantizer left: the floating-point tensors that are no part of it.
      found.floatDType = dominantDType(
        zip(tensors, paths).filter { quantizedRole($0.1, $0.0, found) == nil }.map(\.0))
      quantization = found
    }
    var configured: ModelGraph? = nil
    var fallback: String? = nil
    if let config {
      do throws(ImportError) {
        configured = try ConfigImporter.graph(from: config, name: name)
      } catch {
        guard error.kind == .unsupported, !tensors.isEmpty else { throw error }
        fallback = error.description
      }
    }
    var graph: ModelGraph
    if var configured {
      guard !tensors.isEmpty else {
        configured.estimates.append("sizes come from config.json alone (no safetensors headers)")
        configured.quantization = quantization
        return configured
      }
      if quantization != nil {
        // The headers give the quantized sizes exactly: config.json's estimate of them goes.
        configured.estimates.removeAll { $0.hasPrefix("quantization_config: ") }
      }
      graph = try merge(configured, tensors: tensors, paths: paths, quantization: quantization)
    } else {
      graph = try headerGraph(
        tensors: tensors, paths: paths, config: config, name: name, fallback: fallback,
        quantization: quantization)
    }
    graph.quantization = quantization
    return graph
  }
}
