import Foundation
import Testing

@testable import Planner

/// accelerate's strategies on a model imported from a directory give the maps accelerate itself
/// gave for the same architecture (fixtures/accelerate/device-maps.json, written by
/// Scripts/accelerate_reference.py).
@Suite struct ImportedParityTests {
  /// config.json of each recorded architecture, as Hugging Face publishes it.
  static let configs: [String: String] = [
    "qwen2-7b": """
    {"model_type": "qwen2", "hidden_size": 3584, "num_hidden_layers": 28, "num_attention_heads": 28,
     "num_key_value_heads": 4, "intermediate_size": 18944, "vocab_size": 152064,
     "max_position_embeddings": 131072, "rope_theta": 1000000.0, "tie_word_embeddings": false,
     "torch_dtype": "bfloat16"}
    """,
    "llama-3-8b": """
    {"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
     "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256,
     "max_position_embeddings": 8192, "rope_theta": 500000.0, "tie_word_embeddings": false,
     "torch_dtype": "bfloat16"}
    """,
    "mistral-7b": """
    {"model_type": "mistral", "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
     "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 32000,
     "max_position_embeddings": 32768, "sliding_window": 4096, "tie_word_embeddings": false,
     "torch_dtype": "bfloat16"}
    """,
  ]

  @Test(arguments: ["qwen2-7b", "llama-3-8b", "mistral-7b"])
  func parityMapsFromAnImportedDirectory(model name: String) throws {
    let directory = try ScratchDirectory()
    defer { directory.remove() }
    try directory.write(try #require(Self.configs[name]), to: "config.json")
    let model = try CheckpointImporter.load(directory: directory.path)
    let cases = Fixtures.deviceMapCases.filter { $0.model == name && $0.dtype == "bfloat16" }
    #expect(cases.count >= 30)
    for reference in cases {
      let strategy = try #require(Strategy(rawValue: reference.strategy))
      let gpuCount = reference.maxMemory.filter { Fixtures.device($0[0])?.isGPU == true }.count
      let gpus = Array(repeating: try #require(GPUList.lookup("H100")), count: max(gpuCount, 1))
      let memory = MemoryModel(
        model: model, workload: Workload(), weightDType: .bf16, computeDType: .bf16, runtime: .transformers)
      let problem = PlacementProblem(
        model: model, gpus: gpus, memory: memory, userMaxMemory: Fixtures.maxMemory(reference.maxMemory))
      let map = strategy.place(problem).deviceMap
      let actual = Dictionary(uniqueKeysWithValues: map.map { ($0.module, Optional($0.device)) })
      #expect(actual == reference.expectedDeviceMap, "\(reference.name)")
    }
  }
}
