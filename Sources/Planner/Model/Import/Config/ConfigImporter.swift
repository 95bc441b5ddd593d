import Foundation

/// Builds a ``ModelGraph`` from a Hugging Face `config.json`, through the same builders as the
/// catalog, so that module names match the checkpoint (`model.layers.N`, `llm.model.layers.N`).
///
///     let graph = try ConfigImporter.load(contentsOf: "/m/Qwen2-7B/config.json", name: "Qwen2-7B")
///     graph.parameterCount   // 7,615,616,512
///
/// Families (`model_type`): `llama`, `mistral`, `qwen2`, `qwen3`, `gemma`, `gemma2`, `phi3`,
/// `mixtral`, `qwen2_moe`, `qwen3_moe`, `deepseek_v2`, `deepseek_v3`, `gpt_oss`, `gemma3_text`,
/// `gemma3`, `qwen2_5_vl`, `llava`, `llava_next`, `minicpmv` (MiniCPM-V 2.5, 2.6, 4.0, 4.5) and
/// `qwen2_5_omni`, each in its own `ConfigImporter+Family.swift`. Any other `model_type` throws ``ImportError/Kind/unsupported``, which
/// ``CheckpointImporter`` answers by planning from the safetensors headers alone.
///
/// Sizes are bounded (widths up to 2^20, 4096 heads, a vocabulary of 2^22, 1024 layers, 1024
/// experts) so that no configured model can overflow the 64-bit counts downstream.
public enum ConfigImporter {
  /// The `model_type` values built from `config.json` alone.
  public static let supportedModelTypes = [
    "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "phi3", "mixtral", "qwen2_moe", "qwen3_moe",
    "deepseek_v2", "deepseek_v3", "gpt_oss", "gemma3_text", "gemma3", "qwen2_5_vl", "llava", "llava_next",
    "minicpmv", "qwen2_5_omni",
  ]

  /// Reads a `config.json` and builds its graph.
  ///
  /// - Parameters:
  ///   - path: the file.
  ///   - name: the graph's name (the model directory's name).
  /// - Throws: ``ImportError`` naming the field and the reason.
  /// - Complexity: O(*n*) in the size of the model's module tree.
  public static func load(contentsOf path: String, name: String) throws(ImportError) -> ModelGraph {
    try graph(from: read(contentsOf: path), name: name)
  }

  /// Reads a `config.json` into a field reader.
  static func read(contentsOf path: String) throws(ImportError) -> ConfigObject {
    try parse(SafetensorsCheckpoint.readJSONFile(at: path, limit: maximumFileLength), file: path)
  }

  /// The largest `config.json` read (real ones are a few kilobytes).
  static let maximumFileLength: Int64 = 16 << 20

  /// Parses the text of a `config.json`.
  static func parse(_ data: Data, file: String) throws(ImportError) -> ConfigObject {
    guard let document = JSONValue.parse(data) else { throw ImportError(.notJSON, file: file, "is not JSON") }
    return try ConfigObject(document, path: "", file: file)
  }

  /// Builds the graph of a parsed `config.json`.
  ///
  /// - Throws: ``ImportError/Kind/unsupported`` for a `model_type` not in
  ///   ``supportedModelTypes``; other kinds for missing or invalid fields.
  static func graph(from config: ConfigObject, name: String) throws(ImportError) -> ModelGraph {
    guard let modelType = try config.string("model_type") else {
      throw config.fail(.unsupported, "model_type", "is missing: the model family is unknown")
    }
    var graph: ModelGraph
    switch modelType {
    case "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "phi3":
      graph = try decoderOnly(config, modelType: modelType, name: name)
    case "mixtral", "qwen2_moe", "qwen3_moe":
      graph = try mixtureOfExperts(config, modelType: modelType, name: name)
    case "deepseek_v2", "deepseek_v3":
      graph = try deepSeek(config, modelType: modelType, name: name)
    case "gpt_oss":
      graph = try gptOss(config, name: name)
    case "gemma3_text", "gemma3":
      graph = try gemma3(config, modelType: modelType, name: name)
    case "qwen2_5_vl":
      graph = try qwen25VL(config, name: name)
    case "llava", "llava_next":
      graph = try llava(config, modelType: modelType, name: name)
    case "minicpmv":
      graph = try minicpmV(config, name: name)
    case "qwen2_5_omni":
      graph = try qwenOmni(config, name: name)
    default:
      throw config.fail(
        .unsupported, "model_type",
        "\"\(ImportError.oneLine(modelType))\" is not a family the importer builds "
          + "(\(supportedModelTypes.joined(separator: ", ")))")
    }
    let (dtype, notes) = try storedDType(config)
    graph.nativeDType = dtype
    graph.estimates += notes
    return graph
  }

  // MARK: - Limits

  /// Hidden and intermediate widths, embedding sizes.
  static let widths: ClosedRange<Int64> = 1...(1 << 20)
  static let headCounts: ClosedRange<Int64> = 1...4096
  static let headDimensions: ClosedRange<Int64> = 1...4096
  static let vocabularies: ClosedRange<Int64> = 1...(1 << 22)
  static let layerCounts: ClosedRange<Int64> = 1...1024
  static let expertCounts: ClosedRange<Int64> = 1...1024
  /// Experts over all layers (layers × experts). The configured tree fuses each layer's experts
  /// (transformers 5), but a checkpoint whose experts cannot be fused keeps one module per expert:
  /// this bounds that tree (and its placement) to well under a second. The largest public mixtures,
  /// Kimi K2 (61 layers × 384 experts = 23,424) and DeepSeek-V3 (61 × 256), fit with room.
  static let maximumExpertModules: Int64 = 1 << 15
  static let imageSizes: ClosedRange<Int64> = 1...16384
  static let patchSizes: ClosedRange<Int64> = 1...1024
}
