import Foundation
import Testing

@testable import Planner

/// Holds the llama.cpp memory model to the buffer sizes llama-server printed, within 10%: the
/// Qwen2-7B shape in F16 on CPU (../shared/reference/engines-2026.md), and the planner's own
/// exported commands run on ggml RPC devices (fixtures/measurements/export-checks-llama.json,
/// `Scripts/check_exports.py --part llama`; llama.cpp as vendored in llama-cpp-python 0.3.36).
@Suite struct LlamaCppMemoryTests {
  /// Qwen2-7B's shape with its 152,064-token vocabulary.
  static let model = ModelCatalog.causalLM(
    name: "qwen2-7b-shape", summary: "measured shape",
    DecoderLLM(
      family: .qwen2, hiddenSize: 3584, layerCount: 28, headCount: 28, kvHeadCount: 4,
      intermediateSize: 18944, vocabularySize: 152_064))

  static func mebibytes(_ bytes: ByteCount) -> Double { Double(bytes.value) / 1_048_576 }

  /// (`-c`, flash attention, device MiB, host MiB) as llama-server printed them.
  static let printed: [(context: Int64, flashAttention: Bool, device: Double, host: Double)] = [
    (4096, true, 136, 18), (32768, true, 164, 46), (4096, false, 262, 24),
  ]

  @Test(arguments: printed)
  func computeBuffersWithinTenPercentOfLlamaServer(
    _ case: (context: Int64, flashAttention: Bool, device: Double, host: Double)
  ) {
    let memory = LlamaCppMemory(flashAttention: `case`.flashAttention)
    let device = memory.deviceComputeBuffer(
      layers: Self.model.layers, hiddenSize: Self.model.hiddenSize, slotContext: `case`.context)
    let host = memory.hostComputeBuffer(hiddenSize: Self.model.hiddenSize, slotContext: `case`.context)
    #expect(abs(Self.mebibytes(device) / `case`.device - 1) <= 0.10, "device \(Self.mebibytes(device)) MiB")
    #expect(abs(Self.mebibytes(host) / `case`.host - 1) <= 0.10, "host \(Self.mebibytes(host)) MiB")
  }

  /// Two devices, every layer offloaded: pipeline parallelism keeps 4 copies of each split's inputs,
  /// and the first device printed 169 MiB against 136 on one device (engines-2026.md).
  @Test func pipelineCopiesOfTheInputsOnTwoDevices() {
    let memory = LlamaCppMemory(
      inputCopies: LlamaCppMemory.inputCopies(
        modelDevices: 2, everyLayerOffloaded: true, tensorOverrides: false))
    let device = memory.deviceComputeBuffer(
      layers: Self.model.layers, hiddenSize: Self.model.hiddenSize, slotContext: 4096)
    #expect(abs(Self.mebibytes(device) / 169 - 1) <= 0.10, "device \(Self.mebibytes(device)) MiB")
    #expect(
      LlamaCppMemory.inputCopies(modelDevices: 1, everyLayerOffloaded: true, tensorOverrides: false) == 1)
    #expect(
      LlamaCppMemory.inputCopies(modelDevices: 2, everyLayerOffloaded: false, tensorOverrides: false) == 1)
    #expect(
      LlamaCppMemory.inputCopies(modelDevices: 2, everyLayerOffloaded: true, tensorOverrides: true) == 1)
  }

  /// One f32 row of logits per slot in host memory: 0.58 MiB a slot for 152,064 tokens.
  @Test func outputBufferIsOneRowOfLogitsPerSlot() {
    let memory = LlamaCppMemory()
    #expect(abs(Self.mebibytes(memory.outputBuffer(vocabularySize: 152_064, parallel: 1)) - 0.58) < 0.005)
    #expect(memory.outputBuffer(vocabularySize: 152_064, parallel: 4).value == 4 * 152_064 * 4)
  }

  /// `-c 10000 --parallel 3`: 3333 cells a slot, padded to 3584.
  @Test func slotsArePaddedTo256Cells() {
    #expect(LlamaCppMemory.slotContext(contextTokens: 10_000, parallel: 3) == 3584)
    #expect(LlamaCppMemory.slotContext(contextTokens: 4096, parallel: 1) == 4096)
    #expect(LlamaCppMemory.slotContext(contextTokens: 1, parallel: 1) == 256)
  }

  /// A llama.cpp plan counts that compute buffer as the GPU's activations: one GPU holding the
  /// whole model at `-c 4096` plans 136 MiB (printed: 136), where transformers plans its prefill.
  @Test func planCountsTheComputeBufferAsActivations() throws {
    var workload = Workload()
    workload.contextTokens = 4096
    let request = PlanRequest(
      model: Self.model, gpus: try GPUList.parse("H100-SXM"), workload: workload, runtime: .llamaCpp())
    let plan = try #require(try Planner.plan(request).layout.deviceMap)
    let gpu = try #require(plan.devices.first { $0.device == .gpu(0) })
    #expect(abs(Self.mebibytes(gpu.memory.activations) / 136 - 1) <= 0.10)
    // The KV cache: 2 x 28 layers x 4096 cells x 4 heads x 128 x 2 bytes = 224 MiB exactly.
    #expect(gpu.memory.kvCache.value == 2 * 28 * 4096 * 4 * 128 * 2)
  }
}

/// The planner's exported llama-server commands, run on ggml RPC servers as devices, against what
/// the planner planned for them (fixtures/measurements/export-checks-llama.json).
@Suite struct LlamaServerExportTests {
  struct Record: Decodable {
    struct Case: Decodable {
      var label: String
      var model: String?
      var planner: String?
      var ok: Bool
      var parsed: Parsed?
    }
    struct Parsed: Decodable {
      var devices: [Buffers]
      var host: Buffers
      var schedCopies: Int?
      var mmprojEstimateMib: Double?
      var mmprojBackend: String?
    }
    struct Buffers: Decodable {
      var modelMib: Double?
      var kvMib: Double?
      var computeMib: Double?
      var outputMib: Double?
      var mmprojComputeMib: Double?
    }
    var version: String
    var cases: [Case]
  }

  static let record: Record = {
    guard let data = try? Fixtures.data("measurements/export-checks-llama.json"),
      let record = try? { () throws -> Record in
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase  // model_mib, sched_copies
        return try decoder.decode(Record.self, from: data)
      }()
    else { fatalError("fixtures/measurements/export-checks-llama.json is missing or not the expected JSON") }
    return record
  }()

  /// The random GGUFs of Scripts/check_exports.py (`LLAMA_MODELS`), header for header (F16
  /// matrices, F32 norms and biases), read by the planner's GGUF importer as `--model FILE.gguf`
  /// reads them: `qwen2-tiny` (Qwen2, hidden 512, 4 layers, 8 heads of 64, 2 KV heads, FFN 1536,
  /// 4096 tokens) and `qwen3moe-tiny` (the same attention with q/k norms, 8 experts of FFN 768,
  /// 2 routed).
  static func tinyGGUF(moe: Bool, vision: Bool = false) -> ModelGraph {
    let arch = moe ? "qwen3moe" : "qwen2"
    let (h, q, kv, ffn, vocab): (UInt64, UInt64, UInt64, UInt64, Int) = (
      512, 512, 128, moe ? 768 : 1536, 4096
    )
    var builder = GGUFBuilder()
    builder.metadata = [
      ("general.architecture", .string(arch)),
      ("\(arch).block_count", .u32(4)), ("\(arch).context_length", .u32(32768)),
      ("\(arch).embedding_length", .u32(UInt32(h))), ("\(arch).feed_forward_length", .u32(UInt32(ffn))),
      ("\(arch).attention.head_count", .u32(8)), ("\(arch).attention.head_count_kv", .u32(2)),
      ("\(arch).attention.key_length", .u32(64)), ("\(arch).attention.value_length", .u32(64)),
      ("tokenizer.ggml.tokens", .array(8, (0..<vocab).map { .string("t\($0)") })),
    ]
    if moe {
      builder.metadata += [
        ("\(arch).expert_count", .u32(8)), ("\(arch).expert_used_count", .u32(2)),
        ("\(arch).expert_feed_forward_length", .u32(UInt32(ffn))),
      ]
    }
    let (f16, f32): (UInt32, UInt32) = (1, 0)
    typealias Spec = GGUFBuilder.TensorSpec
    builder.tensors.append(Spec(name: "token_embd.weight", dimensions: [h, UInt64(vocab)], type: f16))
    for b in 0..<4 {
      builder.tensors += [
        Spec(name: "blk.\(b).attn_norm.weight", dimensions: [h], type: f32),
        Spec(name: "blk.\(b).attn_q.weight", dimensions: [h, q], type: f16),
        Spec(name: "blk.\(b).attn_k.weight", dimensions: [h, kv], type: f16),
        Spec(name: "blk.\(b).attn_v.weight", dimensions: [h, kv], type: f16),
        Spec(name: "blk.\(b).attn_output.weight", dimensions: [q, h], type: f16),
        Spec(name: "blk.\(b).ffn_norm.weight", dimensions: [h], type: f32),
      ]
      builder.tensors +=
        moe
        ? [
          Spec(name: "blk.\(b).attn_q_norm.weight", dimensions: [64], type: f32),
          Spec(name: "blk.\(b).attn_k_norm.weight", dimensions: [64], type: f32),
          Spec(name: "blk.\(b).ffn_gate_inp.weight", dimensions: [h, 8], type: f32),
          Spec(name: "blk.\(b).ffn_gate_exps.weight", dimensions: [h, ffn, 8], type: f16),
          Spec(name: "blk.\(b).ffn_up_exps.weight", dimensions: [h, ffn, 8], type: f16),
          Spec(name: "blk.\(b).ffn_down_exps.weight", dimensions: [ffn, h, 8], type: f16),
        ]
        : [
          Spec(name: "blk.\(b).attn_q.bias", dimensions: [q], type: f32),
          Spec(name: "blk.\(b).attn_k.bias", dimensions: [kv], type: f32),
          Spec(name: "blk.\(b).attn_v.bias", dimensions: [kv], type: f32),
          Spec(name: "blk.\(b).ffn_gate.weight", dimensions: [h, ffn], type: f16),
          Spec(name: "blk.\(b).ffn_up.weight", dimensions: [h, ffn], type: f16),
          Spec(name: "blk.\(b).ffn_down.weight", dimensions: [ffn, h], type: f16),
        ]
    }
    builder.tensors += [
      Spec(name: "output_norm.weight", dimensions: [h], type: f32),
      Spec(name: "output.weight", dimensions: [h, UInt64(vocab)], type: f16),
    ]
    builder.dataBytes = Int(builder.tensorBytes) + 64 * builder.tensors.count
    let header = try! GGUFHeader.parse(fileBytes: Data(builder.bytes), file: "\(arch)-tiny-F16.gguf")
    return try! GGUFImporter.graph(
      headers: [header], mmproj: vision ? tinyMMProj() : nil, name: "\(arch)-tiny")
  }

  /// The mmproj of Scripts/check_exports.py (`LLAMA_MMPROJ`): clip.cpp's "mlp" projector, a ViT of
  /// width 256, 2 blocks, FFN 1024, 224-pixel images in 14-pixel patches, projected to 512.
  static func tinyMMProj() -> GGUFHeader {
    var builder = GGUFBuilder()
    builder.metadata = [
      ("general.architecture", .string("clip")), ("clip.projector_type", .string("mlp")),
      ("clip.vision.image_size", .u32(224)), ("clip.vision.patch_size", .u32(14)),
      ("clip.vision.embedding_length", .u32(256)), ("clip.vision.feed_forward_length", .u32(1024)),
      ("clip.vision.block_count", .u32(2)), ("clip.vision.attention.head_count", .u32(4)),
      ("clip.vision.projection_dim", .u32(512)),
    ]
    let (f16, f32): (UInt32, UInt32) = (1, 0)
    typealias Spec = GGUFBuilder.TensorSpec
    builder.tensors = [
      Spec(name: "v.patch_embd.weight", dimensions: [14, 14, 3, 256], type: f16),
      Spec(name: "v.class_embd", dimensions: [256], type: f32),
      Spec(name: "v.position_embd.weight", dimensions: [256, 257], type: f16),
      Spec(name: "v.pre_ln.weight", dimensions: [256], type: f32),
      Spec(name: "v.pre_ln.bias", dimensions: [256], type: f32),
    ]
    for b in 0..<2 {
      for part in ["attn_q", "attn_k", "attn_v", "attn_out"] {
        builder.tensors += [
          Spec(name: "v.blk.\(b).\(part).weight", dimensions: [256, 256], type: f16),
          Spec(name: "v.blk.\(b).\(part).bias", dimensions: [256], type: f32),
        ]
      }
      for part in ["ln1", "ln2"] {
        builder.tensors += [
          Spec(name: "v.blk.\(b).\(part).weight", dimensions: [256], type: f32),
          Spec(name: "v.blk.\(b).\(part).bias", dimensions: [256], type: f32),
        ]
      }
      builder.tensors += [
        Spec(name: "v.blk.\(b).ffn_up.weight", dimensions: [256, 1024], type: f16),
        Spec(name: "v.blk.\(b).ffn_up.bias", dimensions: [1024], type: f32),
        Spec(name: "v.blk.\(b).ffn_down.weight", dimensions: [1024, 256], type: f16),
        Spec(name: "v.blk.\(b).ffn_down.bias", dimensions: [256], type: f32),
      ]
    }
    builder.tensors += [
      Spec(name: "mm.0.weight", dimensions: [256, 512], type: f16),
      Spec(name: "mm.0.bias", dimensions: [512], type: f32),
      Spec(name: "mm.2.weight", dimensions: [512, 512], type: f16),
      Spec(name: "mm.2.bias", dimensions: [512], type: f32),
    ]
    builder.dataBytes = Int(builder.tensorBytes) + 64 * builder.tensors.count
    return try! GGUFHeader.parse(fileBytes: Data(builder.bytes), file: "mmproj-qwen2-tiny-F16.gguf")
  }

  static let tiny = tinyGGUF(moe: false)
  static let tinyMoE = tinyGGUF(moe: true)
  static let tinyVLM = tinyGGUF(moe: false, vision: true)

  static func mebibytes(_ bytes: ByteCount) -> Double { Double(bytes.value) / 1_048_576 }

  /// The bytes of a model's mmproj (the GGUF file's, whatever the dtype).
  static func mmprojBytes(_ model: ModelGraph) -> ByteCount {
    model.layers.filter { $0.stream == .vision }.reduce(.zero) {
      $0 + $1.weightBytes(weight: .fp16, compute: .fp16)
    }
  }

  /// Within 10%, or 0.1 MiB for the buffers of a few KiB (a device with only the output layer).
  static func close(_ predicted: Double, _ printed: Double) -> Bool {
    abs(predicted - printed) <= max(0.10 * printed, 0.1)
  }

  static func value(_ flag: String, in words: [Substring]) -> String? {
    words.firstIndex(of: Substring(flag)).flatMap { $0 + 1 < words.count ? String(words[$0 + 1]) : nil }
  }

  /// The exports run as printed (not the variants, whose labels say what they change).
  static var exports: [Record.Case] {
    record.cases.filter { $0.label.hasPrefix("export:") }
  }

  @Test func everyExportedCommandStarted() {
    #expect(Self.record.cases.count >= 8)
    for item in Self.record.cases { #expect(item.ok, "\(item.label)") }
  }

  /// Per device: the model buffer is the plan's weights without the token embeddings, the KV buffer
  /// the plan's KV cache, the compute buffer the plan's activations; and the host compute buffer is
  /// the exporter's. Each within 10% of what llama-server printed.
  @Test(arguments: exports.map(\.label))
  func planPredictsThePrintedBuffers(_ label: String) throws {
    let item = try #require(Self.record.cases.first { $0.label == label })
    let words = try #require(item.planner).split(separator: " ")
    var workload = Workload()
    workload.contextTokens = Int(Self.value("--context", in: words) ?? "4096")!
    workload.batch = Int(Self.value("--batch", in: words) ?? "1")!
    let model =
      ["qwen3moe-tiny": Self.tinyMoE, "qwen2-tiny+mmproj": Self.tinyVLM][item.model ?? ""] ?? Self.tiny
    var request = PlanRequest(
      model: model, gpus: try GPUList.parse(try #require(Self.value("--gpus", in: words))),
      workload: workload,
      runtime: .llamaCpp())
    if let caps = Self.value("--max-memory", in: words) { request.maxMemory = try MaxMemory(parsing: caps) }
    if let strategy = Self.value("--strategy", in: words) {
      request.strategy = try #require(Strategy(rawValue: strategy))
    }
    let plan = try #require(try Planner.plan(request).layout.deviceMap)
    let launch = try LlamaCppExporter.invocation(for: plan)
    let delta = LlamaCppExporter.weightDifference(plan, launch)
    let parsed = try #require(item.parsed)
    #expect(parsed.devices.count == launch.gpus.count)
    #expect(parsed.schedCopies.map(Int64.init) == launch.inputCopies)
    for (gpu, printed) in zip(launch.gpus, parsed.devices) {
      let memory = try #require(plan.devices.first { $0.device == .gpu(gpu.index) }).memory
      // The mmproj is clip.cpp's, loaded apart from the model buffer (its weights: below).
      let mmproj = gpu.holdsMMProj ? Self.mmprojBytes(model) : .zero
      let weights = Self.mebibytes(ByteCount(memory.weights.value + (delta[gpu.index] ?? 0)) - mmproj)
      let kv = Self.mebibytes(memory.kvCache)
      let compute = Self.mebibytes(memory.activations)
      #expect(Self.close(weights, printed.modelMib ?? 0), "\(label) GPU \(gpu.index) model \(weights) MiB")
      #expect(Self.close(kv, printed.kvMib ?? 0), "\(label) GPU \(gpu.index) KV \(kv) MiB")
      #expect(
        Self.close(compute, printed.computeMib ?? 0), "\(label) GPU \(gpu.index) compute \(compute) MiB")
    }
    let buffers = LlamaCppMemory(inputCopies: launch.inputCopies)
    let slot = LlamaCppMemory.slotContext(
      contextTokens: Int64(launch.contextTokens), parallel: Int64(launch.parallel))
    let decoders = model.layers.filter { $0.kind == .decoder }
    let host = Self.mebibytes(
      buffers.hostComputeBuffer(hiddenSize: model.hiddenSize, slotContext: slot)
        + buffers.hostExpertStep(layers: decoders.prefix(launch.hostExpertLayers)))
    #expect(Self.close(host, parsed.host.computeMib ?? 0), "\(label) host compute \(host) MiB")
    // The mmproj's weights: llama-server's worst-case estimate less clip.cpp's compute buffers.
    if let estimate = parsed.mmprojEstimateMib {
      let printed =
        estimate - (parsed.devices.compactMap(\.mmprojComputeMib).first ?? 0)
        - (parsed.host.mmprojComputeMib ?? 0)
      let planned = Self.mebibytes(Self.mmprojBytes(model))
      #expect(Self.close(planned, printed), "\(label) mmproj \(planned) MiB against \(printed)")
      #expect(parsed.mmprojBackend?.hasPrefix("RPC0") == true, "the mmproj runs on the first device")
    }
    // Host model buffer: the token embeddings and, with --n-cpu-moe, the host experts.
    let embeddings = try #require(model.layers.first { $0.kind == .embedding }).weightBytes(
      weight: plan.weightDType, compute: plan.computeDType)
    let hostModel = Self.mebibytes(embeddings + plan.hostExpertBytes)
    #expect(Self.close(hostModel, parsed.host.modelMib ?? 0), "\(label) host model \(hostModel) MiB")
    let output = Self.mebibytes(buffers.outputBuffer(vocabularySize: 4096, parallel: Int64(launch.parallel)))
    #expect(Self.close(output, parsed.host.outputMib ?? 0), "\(label) output \(output) MiB")
  }

  /// Without flash attention (`-fa off` added to the one-GPU export): the f32 scores of a
  /// micro-batch dominate the device's buffer.
  @Test func flashAttentionOffAddsTheScores() throws {
    let item = try #require(Self.record.cases.first { $0.label.hasPrefix("export with -fa off") })
    let parsed = try #require(item.parsed)
    let memory = LlamaCppMemory(flashAttention: false)
    let device = Self.mebibytes(
      memory.deviceComputeBuffer(layers: Self.tiny.layers, hiddenSize: 512, slotContext: 4096))
    let host = Self.mebibytes(memory.hostComputeBuffer(hiddenSize: 512, slotContext: 4096))
    #expect(Self.close(device, try #require(parsed.devices.first?.computeMib)), "device \(device) MiB")
    #expect(Self.close(host, try #require(parsed.host.computeMib)), "host \(host) MiB")
  }

  /// `--tensor-split 1,2,2` on three devices: the third runs only the last layer, whose MLP sees the
  /// output rows alone, so its buffer is the inputs and the hidden states, no MLP intermediates.
  @Test func lastLayerAloneHoldsNoMLPIntermediates() throws {
    let item = try #require(
      Self.record.cases.first { $0.label.hasPrefix("export with --tensor-split 1,2,2") })
    let parsed = try #require(item.parsed)
    let memory = LlamaCppMemory(inputCopies: LlamaCppMemory.pipelineInputCopies)
    let decoders = Self.tiny.layers.filter { $0.kind == .decoder }
    let last = decoders.last!.module
    let predicted = [[decoders[0]], Array(decoders[1...2]), [decoders[3]]].map {
      Self.mebibytes(memory.deviceComputeBuffer(layers: $0, hiddenSize: 512, slotContext: 4096, last: last))
    }
    #expect(parsed.devices.count == 3)
    for (predicted, printed) in zip(predicted, parsed.devices) {
      #expect(Self.close(predicted, try #require(printed.computeMib)), "\(predicted) MiB")
    }
  }

  /// The MoE GGUF (`qwen3moe-tiny`: 8 experts of which 2 routed, expert FFN 768): a micro-batch
  /// runs both routed experts of every token at once; with `--n-cpu-moe 2` the first two layers'
  /// experts run on the host, whose compute buffer holds their intermediates.
  @Test func expertsRunPerExpertUsed() throws {
    var layer = Layer(
      module: "blk.0", kind: .decoder, stream: .text, transientElementsPerToken: 3 * 768, attentionHeads: 8)
    layer.routedExperts = Layer.RoutedExperts(count: 8, active: 2)
    let memory = LlamaCppMemory()
    let whole = try #require(Self.record.cases.first { $0.label == "export: MoE, one GPU" }?.parsed)
    let device = Self.mebibytes(
      memory.deviceComputeBuffer(layers: [layer], hiddenSize: 512, slotContext: 4096))
    #expect(Self.close(device, try #require(whole.devices.first?.computeMib)), "device \(device) MiB")
    let split = try #require(
      Self.record.cases.first { $0.label.hasPrefix("export with --n-cpu-moe 2") }?.parsed)
    let host = Self.mebibytes(
      memory.hostComputeBuffer(hiddenSize: 512, slotContext: 4096) + memory.hostExpertStep(layers: [layer]))
    #expect(Self.close(host, try #require(split.host.computeMib)), "host \(host) MiB")
    #expect(split.schedCopies == 1)
  }
}
