import Foundation
import Testing

@testable import Planner

/// Pre-quantized checkpoints in the layouts their quantizers serialize
/// (`Scripts/make_quantized_checkpoints.py` writes `fixtures/models/quantized/*`).
@Suite struct QuantizedCheckpointTests {
  static let methods: [(folder: String, description: String, stored: DType, compute: DType)] = [
    ("awq", "awq int4, group 32", .int4, .fp16),
    ("gptq", "gptq int4, group 32", .int4, .fp16),
    ("bnb-4bit", "bitsandbytes nf4", .int4, .bf16),
    ("bnb-8bit", "bitsandbytes int8", .int8, .fp16),
    ("fp8", "fp8 e4m3, block 128x128", .fp8, .bf16),
    ("compressed-tensors", "compressed-tensors int4, group 32", .int4, .bf16),
  ]

  static func load(_ folder: String) throws -> ModelGraph {
    try CheckpointImporter.load(
      directory: Fixtures.root.appendingPathComponent("fixtures/models/quantized/tiny-qwen2-" + folder).path)
  }

  /// The data bytes of a one-file checkpoint: the file's size less its 8-byte length and header.
  static func dataBytes(_ folder: String) throws -> Int64 {
    let url = Fixtures.root.appendingPathComponent(
      "fixtures/models/quantized/tiny-qwen2-\(folder)/model.safetensors")
    let data = try Data(contentsOf: url)
    let length = data.prefix(8).enumerated().reduce(Int64(0)) { $0 | Int64($1.element) << (8 * $1.offset) }
    return Int64(data.count) - 8 - length
  }

  @Test(arguments: methods.map(\.folder))
  func countsTheOriginalModelsParameters(folder: String) throws {
    // The same tiny Qwen2 stored unquantized (bf16) is the reference.
    let original = try CheckpointImporter.load(
      directory: Fixtures.root.appendingPathComponent("fixtures/models/tiny-qwen2").path)
    let quantized = try Self.load(folder)
    #expect(original.parameterCount == 107_072)
    #expect(quantized.parameterCount == original.parameterCount)
    #expect(quantized.layers.map(\.parameterCount) == original.layers.map(\.parameterCount))
  }

  @Test(arguments: methods)
  func sizesEveryTensorAsStored(
    method: (folder: String, description: String, stored: DType, compute: DType)
  ) throws {
    let graph = try Self.load(method.folder)
    #expect(graph.quantization?.description == method.description)
    #expect(graph.nativeDType == method.stored)
    // At the checkpoint's own float dtype, the weights are the file's data bytes exactly; the
    // only tensor not in the file is the rotary buffer the model builds (non-persistent).
    let floatType: DType = ["awq", "gptq", "bnb-8bit"].contains(method.folder) ? .fp16 : .bf16
    let built = graph.tensors.filter { !$0.tensor.isPersistent }.reduce(Int64(0)) {
      $0 + $1.tensor.bytes(weight: method.stored, compute: floatType)
    }
    #expect(
      graph.weightBytes(weight: method.stored, compute: floatType).value - built
        == (try Self.dataBytes(method.folder)))
    // Packed tensors keep their bytes whatever the dtypes.
    #expect(
      graph.weightBytes(weight: .fp16, compute: .fp32) != graph.weightBytes(weight: .fp16, compute: .fp16))
  }

  @Test(arguments: methods)
  func plansTheStoredForm(method: (folder: String, description: String, stored: DType, compute: DType)) throws
  {
    let graph = try Self.load(method.folder)
    let plan = try Planner.plan(PlanRequest(model: graph, gpus: try GPUList.parse("H100")))
    #expect(plan.weightDType == method.stored)
    #expect(plan.computeDType == method.compute)
    #expect(
      plan.dtypeNotes.first?.hasPrefix(method.description + ": the checkpoint's stored weights") == true)
  }

  @Test func refusesKernelsTheGPUsLack() throws {
    let awq = try Self.load("awq")
    #expect {
      try Planner.plan(PlanRequest(model: awq, gpus: try GPUList.parse("P4")))
    } throws: { error in
      let text = (error as? PlanningError)?.description ?? ""
      return text.contains("awq int4, group 32; AutoAWQ's kernels need sm_75 or later and P4 is sm_61")
        && text.contains("GGUF")
    }
    // bitsandbytes NF4 runs on a P4 under transformers, not under vLLM (Volta and later).
    let nf4 = try Self.load("bnb-4bit")
    #expect(try Planner.plan(PlanRequest(model: nf4, gpus: try GPUList.parse("P4"))).weightDType == .int4)
    #expect {
      try Planner.plan(PlanRequest(model: nf4, gpus: try GPUList.parse("P4"), runtime: .vllm()))
    } throws: { error in
      ((error as? PlanningError)?.description ?? "").contains("transformers runs it there")
    }
    // fp8 needs Ada for transformers; vLLM runs it weight-only on a T4 (FP8 Marlin).
    let fp8 = try Self.load("fp8")
    #expect(throws: PlanningError.self) {
      try Planner.plan(PlanRequest(model: fp8, gpus: try GPUList.parse("T4")))
    }
    #expect(try Planner.plan(PlanRequest(model: fp8, gpus: try GPUList.parse("T4"), runtime: .vllm())).fits)
    // llama.cpp loads GGUF files only.
    #expect(throws: PlanningError.self) {
      try Planner.plan(PlanRequest(model: awq, gpus: try GPUList.parse("T4"), runtime: .llamaCpp()))
    }
  }

  @Test func dtypeChoicesCannotReQuantize() throws {
    let awq = try Self.load("awq")
    let gpus = try GPUList.parse("A100-80G")
    func plan(_ dtype: DType) throws -> Plan {
      try Planner.plan(PlanRequest(model: awq, gpus: gpus, workload: Workload(dtype: .fixed(dtype))))
    }
    #expect(try plan(.int4).weightDType == .int4)
    #expect(try plan(.fp16).computeDType == .fp16)
    #expect(throws: PlanningError.self) { try plan(.int8) }
    #expect(throws: PlanningError.self) { try plan(.bf16) }  // AWQ kernels compute in fp16
  }

  @Test func fullSizeAWQCheckpointCountsQwen25x7B() throws {
    // Qwen2.5-7B-Instruct-AWQ's layout: every block matrix [out, in] becomes qweight I32
    // [in, out/8], qzeros I32 [in/128, out/8] and scales F16 [in/128, out]; the rest is fp16.
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    let catalog = ModelCatalog.qwen2(name: "qwen2.5-7b")
    let tensors = storedTensors(of: catalog, dtype: "F16").flatMap { tensor -> [StoredTensor] in
      guard tensor.name.contains(".layers."), tensor.name.hasSuffix("proj.weight") else { return [tensor] }
      let module = String(tensor.name.dropLast(".weight".count))
      let (rows, columns) = (tensor.shape[0], tensor.shape[1])
      return [
        StoredTensor(module + ".qweight", "I32", [columns, rows / 8]),
        StoredTensor(module + ".qzeros", "I32", [columns / 128, rows / 8]),
        StoredTensor(module + ".scales", "F16", [columns / 128, rows]),
      ]
    }
    try writeCheckpoint(tensors, in: scratch, shards: 2)
    let config = String(Configs.qwen2x7B.dropLast()).replacingOccurrences(of: "bfloat16", with: "float16")
    try scratch.write(
      config + ", \"quantization_config\": {\"quant_method\": \"awq\", \"bits\": 4, \"group_size\": 128, "
        + "\"version\": \"gemm\", \"zero_point\": true}}", to: "config.json")
    let imported = try CheckpointImporter.load(directory: scratch.path)
    // Qwen2.5-7B's published parameter count (the catalog's, checked against transformers).
    #expect(imported.parameterCount == 7_615_616_512)
    #expect(
      imported.quantization
        == Quantization(method: .awq, bits: 4, groupSize: 128, variant: "gemm", floatDType: .fp16))
    #expect(imported.quantization?.description == "awq int4, group 128")
    let stored = tensors.reduce(Int64(0)) { $0 + $1.byteCount }
    let built = imported.tensors.filter { !$0.tensor.isPersistent }.reduce(Int64(0)) {
      $0 + $1.tensor.bytes(weight: .int4, compute: .fp16)
    }
    #expect(imported.weightBytes(weight: .int4, compute: .fp16).value == stored + built)
  }
}
