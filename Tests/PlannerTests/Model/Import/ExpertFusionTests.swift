import Foundation
import Testing

@testable import Planner

/// Checkpoints that store every expert on its own (as transformers 4 saved them: Qwen3-235B-A22B,
/// Mixtral) are read into transformers 5's fused tree, as transformers 5's conversion mapping loads
/// them.
@Suite struct ExpertFusionTests {
  /// The stored tensors of a configured graph, its fused experts written one per expert under the
  /// given names (`gate_proj`/`up_proj`/`down_proj`, or Mixtral's `w1`/`w3`/`w2` under
  /// `block_sparse_moe`).
  static func perExpert(_ graph: ModelGraph, mixtral: Bool = false) -> [StoredTensor] {
    var out: [StoredTensor] = []
    for tensor in storedTensors(of: graph) {
      var name = tensor.name
      if mixtral { name = name.replacingOccurrences(of: ".mlp.", with: ".block_sparse_moe.") }
      guard tensor.shape.count == 3, let dot = name.lastIndex(of: ".") else {
        out.append(StoredTensor(name, tensor.dtype, tensor.shape))
        continue
      }
      let prefix = name[..<dot]
      let (experts, rows, columns) = (tensor.shape[0], tensor.shape[1], tensor.shape[2])
      for expert in 0..<experts {
        if name.hasSuffix(".gate_up_proj") {
          let (gate, up) = mixtral ? ("w1", "w3") : ("gate_proj", "up_proj")
          out.append(StoredTensor("\(prefix).\(expert).\(gate).weight", tensor.dtype, [rows / 2, columns]))
          out.append(StoredTensor("\(prefix).\(expert).\(up).weight", tensor.dtype, [rows / 2, columns]))
        } else {
          out.append(
            StoredTensor(
              "\(prefix).\(expert).\(mixtral ? "w2" : "down_proj").weight", tensor.dtype, [rows, columns]))
        }
      }
    }
    return out
  }

  static func importStored(_ config: String, _ tensors: [StoredTensor]) throws -> ModelGraph {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    try scratch.write(config, to: "config.json")
    try writeCheckpoint(tensors, in: scratch)
    return try CheckpointImporter.load(directory: scratch.path)
  }

  @Test(arguments: ["qwen3_moe", "qwen2_moe", "mixtral"])
  func perExpertCheckpointIsReadFused(family: String) throws {
    let config = try #require(Configs.small.first { $0.family == family }).config
    let configured = try importConfig(config)
    let stored = Self.perExpert(configured, mixtral: family == "mixtral")
    #expect(stored.contains { $0.name.contains(".experts.3.") })
    let imported = try Self.importStored(config, stored)
    #expect(imported.tensors.map(\.name) == configured.tensors.map(\.name))
    #expect(imported.tensors.map(\.tensor.shape) == configured.tensors.map(\.tensor.shape))
    #expect(imported.parameterCount == configured.parameterCount)
    #expect(imported.layers.map(\.parameterCount) == configured.layers.map(\.parameterCount))
    #expect(imported.layers.map(\.routedExperts) == configured.layers.map(\.routedExperts))
    #expect(imported.estimates.contains { $0.contains("read fused, as transformers 5 loads them") })
    #expect(!imported.estimates.contains { $0.contains("not in config.json's model") })
  }

  /// A layer missing one expert is not fused: its tensors stay as stored, and a note says so.
  @Test func incompleteExpertsStayAsStored() throws {
    let config = try #require(Configs.small.first { $0.family == "qwen3_moe" }).config
    let configured = try importConfig(config)
    var stored = Self.perExpert(configured)
    stored.removeAll { $0.name == "model.layers.1.mlp.experts.2.up_proj.weight" }
    let imported = try Self.importStored(config, stored)
    let names = Set(imported.tensors.map(\.name))
    #expect(names.contains("model.layers.0.mlp.experts.gate_up_proj"))
    #expect(names.contains("model.layers.1.mlp.experts.2.gate_proj.weight"))
    #expect(!names.contains("model.layers.1.mlp.experts.gate_up_proj"))
    #expect(imported.parameterCount == configured.parameterCount - 32 * 64)
    #expect(
      imported.estimates.contains {
        $0.hasPrefix("1 layers' experts are stored in another form")
          && $0.contains("model.layers.1.mlp.experts (expert 2 has no up_proj.weight)")
      })
  }

  /// A quantized form (not one weight matrix per expert) stays per expert.
  @Test func expertsWithOtherTensorsStayAsStored() throws {
    let config = try #require(Configs.small.first { $0.family == "qwen3_moe" }).config
    let configured = try importConfig(config)
    var stored = Self.perExpert(configured)
    stored.append(StoredTensor("model.layers.0.mlp.experts.0.gate_proj.weight_scale_inv", "F32", [1, 1]))
    let imported = try Self.importStored(config, stored)
    let names = Set(imported.tensors.map(\.name))
    #expect(names.contains("model.layers.0.mlp.experts.0.gate_proj.weight_scale_inv"))
    #expect(names.contains("model.layers.1.mlp.experts.gate_up_proj"))
    #expect(imported.parameterCount == configured.parameterCount + 1)
  }
}
