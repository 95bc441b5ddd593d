import Foundation
import Testing

@testable import Planner

/// The model geometries `Scripts/measure_host_cost.py` measured, read from the `geometries` it records
/// in its JSON (its ARCHS table: the config class and the keyword arguments it built each model with),
/// so a test predicts the very model that was measured rather than a copy of the script's table.
enum MeasuredGeometry {
  /// A measurement file under fixtures/measurements/, as JSON.
  static func json(_ file: String) throws -> [String: Any] {
    let data = try Fixtures.data("measurements/\(file)")
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  }

  /// The `model_type` of each configuration class the script builds.
  static let modelTypes = [
    "LlamaConfig": "llama", "Qwen2Config": "qwen2", "Gemma2Config": "gemma2", "Phi3Config": "phi3",
    "Qwen3Config": "qwen3", "Qwen3MoeConfig": "qwen3_moe", "Qwen2MoeConfig": "qwen2_moe",
    "MixtralConfig": "mixtral", "Gemma3TextConfig": "gemma3_text", "DeepseekV2Config": "deepseek_v2",
  ]

  /// The planner's graph of `arch` at `layers` layers in bf16, from the geometries recorded in `file`.
  /// Where the script left `tie_word_embeddings` to the class default, transformers' default applies
  /// (tied for Gemma-2, untied for the others).
  static func graph(_ arch: String, layers: Int, file: String) throws -> ModelGraph {
    let geometries = try #require(try json(file)["geometries"] as? [String: [String: Any]], "\(file)")
    let geometry = try #require(geometries[arch], "\(arch) in \(file)")
    let configClass = try #require(geometry["config"] as? String)
    var config = try #require(geometry["kwargs"] as? [String: Any])
    let modelType: String = try #require(modelTypes[configClass], "\(configClass)")
    config["model_type"] = modelType
    config["num_hidden_layers"] = layers
    config["torch_dtype"] = "bfloat16"
    if config["tie_word_embeddings"] == nil { config["tie_word_embeddings"] = configClass == "Gemma2Config" }
    let data = try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
    return try ConfigImporter.graph(from: ConfigImporter.parse(data, file: "\(arch).json"), name: arch)
  }
}
