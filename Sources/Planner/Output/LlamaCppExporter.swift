/// The llama.cpp command (`llama-server`) that realises a plan, or the reason llama.cpp cannot
/// run it.
///
/// How llama.cpp places a model (src/llama-model.cpp `load_tensors`; ../shared/reference/
/// anchor-runtimes.md §B.1-B.3):
///
/// - `--split-mode layer` gives each device of the model's device list one contiguous run of the
///   repeating layers (`blk.N`), in list order. There are `n_layer + 1` slots: the layers, then
///   the output layer (`output_norm`, `output`), which lands on the device of slot `n_layer`.
/// - `--tensor-split` is proportions over the offloaded slots: slot `r` goes to the first device
///   whose cumulative share exceeds `r / act_gpu_layers`. Passing each GPU's count of slots (its
///   layers, plus one on the GPU with the output layer) is exact, and is what Ollama and
///   llama.cpp's own `--fit` pass; the layer counts alone would move a layer across every
///   boundary once the output slot is offloaded.
/// - `-ngl K` offloads the last slots: `i_gpu_start = n_layer + 1 - K` (since PR #18148, December
///   2025: the output layer first, then the last `K - 1` layers). `-ngl n_layer + 1` offloads
///   everything in every build. Layers kept in host memory are therefore always the first ones.
/// - The input layer (token embeddings) always stays in host memory.
/// - The KV cache of a layer lives on the layer's device; `-c` is the context of all `--parallel`
///   slots together.
/// - The mmproj (vision tower and projector, tools/mtmd/clip.cpp) runs whole on one backend: the
///   first GPU (`ggml_backend_init_by_type(GPU)`, whatever `--device` says), or the CPU with
///   `--no-mmproj-offload`.
///
/// The command lists the plan's GPUs in `CUDA_VISIBLE_DEVICES` in the order llama.cpp must see
/// them (the GPU with the mmproj first), so that GPUs the plan leaves unused get no CUDA context
/// and no layers; `--device` keeps the layers off a first GPU that holds only the mmproj.
///
/// Weight types: fp32, fp16 and bf16 are GGUF F32, F16 and BF16 (BF16 runs on CUDA since
/// llama.cpp PR #11093, January 2025; the planner plans bf16 only where every GPU has it, sm_80
/// or later, and the export refuses it elsewhere: use fp16). int8 is Q8_0 (8.5 bits per weight:
/// an fp16 scale per 32; the planner counts 8 and an fp32 scale per row). int4 is Q4_0 (4.5 bits:
/// an fp16 scale per 32; the planner counts 4.25: fp16 scale and zero per 128): the GGUF type
/// nearest the planner's bytes that is the same size on every layer (Q4_K_M gives some layers'
/// `ffn_down` and `attn_v` Q6_K, 4.8-4.9 bits on average). llama-quantize makes the output layer
/// Q6_K for Q4_0, and the mmproj of a quantized plan is Q8_0 (convert_hf_to_gguf.py writes no
/// 4-bit type). fp8 has no GGUF type: refused. The comments give each GPU's weight difference
/// from the plan (block sizes from ggml/src/ggml-common.h).
public enum LlamaCppExporter {
  /// Why llama.cpp cannot run a plan, in one line.
  public struct Refusal: Error, Equatable, CustomStringConvertible {
    public var description: String
  }

  /// One GPU the command uses, in llama.cpp's device order (`CUDA0`, `CUDA1`, ...).
  public struct UsedGPU: Sendable, Equatable {
    /// The plan's GPU index (its position in `--gpus`, as CUDA numbers it).
    public var index: Int
    /// The repeating layers on it, numbered as llama.cpp numbers them (`blk.N`, the N-th decoder
    /// layer); empty for a GPU that holds only the mmproj or only the output layer.
    public var layers: Range<Int>
    public var holdsOutputLayer: Bool
    public var holdsMMProj: Bool
  }

  /// A GGUF tensor type and its block: `bytes` per `weights` weights (ggml/src/ggml-common.h).
  public struct GGUFType: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var weights: Int64
    public var bytes: Int64

    public var description: String { name }

    public static let f32 = GGUFType(name: "F32", weights: 1, bytes: 4)
    public static let f16 = GGUFType(name: "F16", weights: 1, bytes: 2)
    public static let bf16 = GGUFType(name: "BF16", weights: 1, bytes: 2)
    /// Q8_0 (`block_q8_0`): an fp16 scale and 32 int8 weights.
    public static let q8 = GGUFType(name: "Q8_0", weights: 32, bytes: 34)
    /// Q4_0 (`block_q4_0`): an fp16 scale and 32 4-bit weights.
    public static let q4 = GGUFType(name: "Q4_0", weights: 32, bytes: 18)
    /// Q6_K (`block_q6_K`): 256 weights in 210 bytes (6.5625 bits).
    public static let q6K = GGUFType(name: "Q6_K", weights: 256, bytes: 210)

    /// Bytes of `elements` weights (whole blocks: GGUF rows are multiples of the block).
    func bytes(_ elements: Int64) -> Int64 { .saturatingProduct(elements, bytes) / weights }
  }

  /// What the command says, computed from the plan.
  public struct Invocation: Sendable, Equatable {
    /// The GPUs llama.cpp sees, in order: `CUDA_VISIBLE_DEVICES`.
    public var gpus: [UsedGPU]
    /// `--device`: the model's devices where the first GPU holds only the mmproj; `nil` where
    /// every visible GPU holds layers.
    public var modelDevices: [String]?
    /// `-ngl`: offloaded slots (layers on GPUs, plus the output layer).
    public var gpuLayers: Int
    /// `--tensor-split`: slots per model device, in order; empty with one model device.
    public var tensorSplit: [Int]
    /// Repeating layers kept in host memory (always the first ones).
    public var hostLayers: Range<Int>
    /// Repeating layers of the model.
    public var layerCount: Int
    /// `-c`: context tokens of all slots together; `--parallel`: slots.
    public var contextTokens: Int
    public var parallel: Int
    public var weightType: GGUFType
    /// The GGUF type of the output layer (llama-quantize's choice for `weightType`).
    public var outputType: GGUFType
    /// The mmproj's type, for models with a vision tower.
    public var mmprojType: GGUFType?
    /// Whether the mmproj runs on a GPU (`false`: `--no-mmproj-offload`).
    public var mmprojOffload: Bool
    /// `--cache-type-k` and `--cache-type-v`, where the plan's KV cache is not llama.cpp's f16.
    public var cacheType: String?
    public var modelFile: String
    public var mmprojFile: String?

    /// `CUDA_VISIBLE_DEVICES`.
    public var visibleDevices: String { gpus.map { "\($0.index)" }.joined(separator: ",") }

    /// The arguments after `llama-server`, one option (and its value) per element.
    public var arguments: [String] {
      var result = ["-m \(modelFile)"]
      if let mmprojFile { result.append("--mmproj \(mmprojFile)") }
      if !mmprojOffload { result.append("--no-mmproj-offload") }
      if let modelDevices { result.append("--device \(modelDevices.joined(separator: ","))") }
      result.append("-ngl \(gpuLayers)")
      result.append("--split-mode layer")
      if !tensorSplit.isEmpty {
        result.append("--tensor-split \(tensorSplit.map(String.init).joined(separator: ","))")
      }
      result.append("-c \(contextTokens)")
      result.append("--parallel \(parallel)")
      if let cacheType { result += ["--cache-type-k \(cacheType)", "--cache-type-v \(cacheType)"] }
      return result
    }
  }

  /// The command for `plan`.
  ///
  /// - Throws: ``Refusal`` where llama.cpp cannot run the plan: it does not fit, it was made for
  ///   another runtime, a dtype without a GGUF type (fp8 weights or KV cache), layers in host
  ///   memory that are not the first ones, a GPU with two runs of layers, the output layer or the
  ///   mmproj where llama.cpp cannot put them, or streams llama.cpp does not run (audio, speech).
  /// - Complexity: O(*n*) in the model's layers.
  public static func invocation(for plan: DeviceMapLayout) throws(Refusal) -> Invocation {
    guard plan.runtime.name == RuntimeProfile.llamaCpp.name else {
      throw Refusal(
        description: "the plan is for the \(plan.runtime.name) runtime: plan it with --runtime llama.cpp")
    }
    guard plan.fits else { throw Refusal(description: "the plan does not fit: " + notFitting(plan)) }
    let model = plan.model
    for stream in [Layer.Stream.audio, .speech] {
      if let first = model.layers.first(where: { $0.stream == stream }) {
        throw Refusal(
          description:
            "\(model.name) has \(stream) layers (\(first.module)): --format llama-cpp exports text and vision models only"
        )
      }
    }
    let (weightType, outputType, mmprojType) = try types(plan)
    let cacheType = try cacheType(plan)

    let decoders = model.layers.indices.filter { model.layers[$0].kind == .decoder }
    guard !decoders.isEmpty else {
      throw Refusal(description: "\(model.name) has no decoder layers for llama.cpp to place")
    }
    var devices: [Device] = []
    for index in decoders {
      guard let device = plan.layerDevices[index] else {
        throw Refusal(description: "the plan places no device for \(model.layers[index].module)")
      }
      devices.append(device)
    }
    if let index = model.layers.indices.first(where: { plan.layerDevices[$0] == .disk }) {
      throw Refusal(
        description:
          "the plan offloads \(model.layers[index].module) to disk; llama.cpp reads layers from host memory only"
      )
    }
    let hostCount = devices.prefix { !$0.isGPU }.count
    if let stray = devices.indices.dropFirst(hostCount).first(where: { !devices[$0].isGPU }) {
      let last = devices.lastIndex { !$0.isGPU }!
      throw Refusal(
        description:
          "the plan keeps layers \(range(stray, last)) in host memory; llama.cpp keeps only the first layers "
          + "there (-ngl offloads the last ones): plan without cpu in --max-memory")
    }

    // Runs of consecutive layers per GPU, in layer order: one run per GPU.
    var gpus: [UsedGPU] = []
    for (ordinal, device) in devices.enumerated().dropFirst(hostCount) {
      guard case .gpu(let index) = device else { continue }
      if let last = gpus.last, last.index == index {
        gpus[gpus.count - 1].layers = last.layers.lowerBound..<(ordinal + 1)
      } else {
        gpus.append(
          UsedGPU(index: index, layers: ordinal..<(ordinal + 1), holdsOutputLayer: false, holdsMMProj: false))
      }
    }
    for (position, gpu) in gpus.enumerated() {
      if let again = gpus[(position + 1)...].first(where: { $0.index == gpu.index }) {
        throw Refusal(
          description:
            "the plan gives GPU \(gpu.index) layers \(range(gpu.layers)) and \(range(again.layers)); llama.cpp "
            + "gives each GPU one run of consecutive layers")
      }
    }
    guard !gpus.isEmpty else {
      throw Refusal(description: "the plan keeps every layer in host memory; llama.cpp would use no GPU")
    }

    // The output layer: after the last layer, on the last GPU of the split or on one of its own.
    if let head = model.layers.indices.first(where: { model.layers[$0].kind == .head }) {
      if model.layers[head].pinnedTo != nil {
        // Tied: llama.cpp duplicates the token embeddings as the output layer on the last GPU.
        gpus[gpus.count - 1].holdsOutputLayer = true
      } else {
        switch plan.layerDevices[head] {
        case .gpu(let index) where index == gpus.last!.index:
          gpus[gpus.count - 1].holdsOutputLayer = true
        case .gpu(let index):
          if let holder = gpus.first(where: { $0.index == index }) {
            throw Refusal(
              description:
                "the plan puts the output layer (\(model.layers[head].module)) on GPU \(index) with layers "
                + "\(range(holder.layers)); llama.cpp puts it after the last layer, on the last GPU of the split"
            )
          }
          gpus.append(UsedGPU(index: index, layers: 0..<0, holdsOutputLayer: true, holdsMMProj: false))
        default:
          throw Refusal(
            description:
              "the plan keeps the output layer (\(model.layers[head].module)) in host memory; llama.cpp offloads "
              + "it before any layer")
        }
      }
    }

    // The mmproj: one device, the first GPU llama.cpp sees.
    var modelDevices: [String]?
    var mmprojOffload = true
    let vision = model.layers.indices.filter { model.layers[$0].stream == .vision }
    if !vision.isEmpty {
      var placed: [(module: String, device: Device)] = []
      for index in vision {
        let device = plan.layerDevices[index] ?? .cpu
        if !placed.contains(where: { $0.device == device }) {
          placed.append((model.layers[index].module, device))
        }
      }
      guard placed.count == 1 else {
        let parts = placed.map { "\($0.module) on \(name($0.device))" }.joined(separator: ", ")
        throw Refusal(
          description:
            "the plan splits the vision tower and projector (\(parts)); llama.cpp runs its mmproj on one device"
        )
      }
      switch placed[0].device {
      case .gpu(let index):
        if let position = gpus.firstIndex(where: { $0.index == index }) {
          guard position == 0 else {
            throw Refusal(
              description:
                "the plan puts the vision tower on GPU \(index) with \(contents(gpus[position])); llama.cpp runs "
                + "its mmproj on the first GPU, which must then hold the first offloaded layers (try --strategy auto)"
            )
          }
          gpus[0].holdsMMProj = true
        } else {
          gpus.insert(UsedGPU(index: index, layers: 0..<0, holdsOutputLayer: false, holdsMMProj: true), at: 0)
          modelDevices = (1..<gpus.count).map { "CUDA\($0)" }
        }
      default:
        mmprojOffload = false
      }
    }

    let modelGPUs = gpus.filter { !$0.layers.isEmpty || $0.holdsOutputLayer }
    let slots = modelGPUs.map { $0.layers.count + ($0.holdsOutputLayer ? 1 : 0) }
    let base = fileBase(model.name)
    return Invocation(
      gpus: gpus, modelDevices: modelDevices, gpuLayers: slots.reduce(0, +),
      tensorSplit: slots.count > 1 ? slots : [], hostLayers: 0..<hostCount, layerCount: decoders.count,
      contextTokens: plan.workload.contextTokens * plan.workload.batch, parallel: plan.workload.batch,
      weightType: weightType, outputType: outputType, mmprojType: vision.isEmpty ? nil : mmprojType,
      mmprojOffload: mmprojOffload, cacheType: cacheType, modelFile: "\(base)-\(weightType).gguf",
      mmprojFile: vision.isEmpty ? nil : "mmproj-\(base)-\(mmprojType).gguf")
  }

  /// The command for `plan` with comments: which GPU holds what, memory per GPU against the plan,
  /// the estimate, then `llama-server` with one option per line.
  ///
  /// - Throws: ``Refusal``, as ``invocation(for:)``.
  public static func render(_ plan: DeviceMapLayout) throws(Refusal) -> String {
    let launch = try invocation(for: plan)
    let delta = weightDifference(plan, launch)
    var lines: [String] = []
    lines.append(
      "llama-server for \(plan.model.name) on \(gpuNames(plan.gpus)): the planner's \(plan.strategy.rawValue) plan, "
        + dtypeSummary(plan, launch))
    for (position, gpu) in launch.gpus.enumerated() {
      var line =
        "CUDA\(position) = GPU \(gpu.index) (\(plan.gpus[gpu.index].name)): \(contents(gpu, of: launch))"
      if let planned = plan.devices.first(where: { $0.device == .gpu(gpu.index) }),
        let capacity = planned.capacity
      {
        line += "; planned \(planned.memory.total.formatted()) of \(capacity.formatted())"
      }
      lines.append(line)
    }
    for planned in plan.devices {
      guard case .gpu(let index) = planned.device, !launch.gpus.contains(where: { $0.index == index }) else {
        continue
      }
      let why =
        planned.summary.isEmpty
        ? "the plan leaves it unused"
        : "the plan gives it only \(planned.summary.joined(separator: ", ")), which llama.cpp does not put on it"
      lines.append("GPU \(index) (\(planned.gpu?.name ?? "?")) not used: \(why)")
    }
    lines += notes(plan, launch)
    let differences = launch.gpus.enumerated().compactMap { position, gpu -> String? in
      guard let bytes = delta[gpu.index], bytes != 0 else { return nil }
      return "CUDA\(position) \(bytes > 0 ? "+" : "")\(ByteCount(bytes).formatted())"
    }
    if !differences.isEmpty {
      lines.append("weights against the plan: " + differences.joined(separator: ", "))
    }
    lines.append(TableRenderer.estimateLines(plan)[0])
    lines.append(
      "point -m\(launch.mmprojFile == nil ? "" : " and --mmproj") at your GGUF files of these types "
        + "(the names are placeholders)")
    var text = lines.map { "# " + $0 }.joined(separator: "\n") + "\n"
    text += "CUDA_VISIBLE_DEVICES=\(launch.visibleDevices) llama-server \\\n"
    text += launch.arguments.map { "  " + $0 }.joined(separator: " \\\n") + "\n"
    return text
  }

  // MARK: - Types

  /// The GGUF types of the layers, the output layer and the mmproj for the plan's weight dtype.
  static func types(_ plan: DeviceMapLayout) throws(Refusal) -> (GGUFType, output: GGUFType, mmproj: GGUFType)
  {
    switch plan.weightDType {
    case .fp32: return (.f32, .f32, .f32)
    case .fp16: return (.f16, .f16, .f16)
    case .bf16:
      if let old = plan.gpus.first(where: { !$0.supportsBF16 }) {
        throw Refusal(
          description:
            "bf16 weights on \(old.name) (sm_\(old.computeCapability)): llama.cpp converts BF16 for GPUs before "
            + "sm_80 and the planner does not plan it there; use --dtype fp16")
      }
      return (.bf16, .bf16, .bf16)
    case .int8: return (.q8, .q8, .q8)
    case .int4: return (.q4, .q6K, .q8)
    case .fp8:
      throw Refusal(
        description: "fp8 weights have no GGUF type: use --dtype int8 (Q8_0) or --dtype fp16")
    }
  }

  /// `--cache-type-k/-v` for the plan's KV cache dtype: `nil` where it takes the bytes of
  /// llama.cpp's default f16 (fp16, or bf16 as the compute dtype by default).
  static func cacheType(_ plan: DeviceMapLayout) throws(Refusal) -> String? {
    let requested = plan.workload.kvDType
    switch requested ?? plan.computeDType {
    case .fp16: return nil
    case .bf16: return requested == nil ? nil : "bf16"
    case .fp32: return "f32"
    case .fp8:
      throw Refusal(
        description:
          "llama.cpp has no fp8 KV cache (its 8-bit cache is q8_0, 8.5 bits per value): use --kv-dtype fp16")
    case .int8, .int4:
      throw Refusal(description: "a \(requested ?? plan.computeDType) KV cache is not a llama.cpp cache type")
    }
  }

  // MARK: - Comments

  /// `"int8 weights as GGUF Q8_0 (mmproj Q8_0), fp16 compute"`.
  static func dtypeSummary(_ plan: DeviceMapLayout, _ launch: Invocation) -> String {
    var text = "\(plan.weightDType) weights as GGUF \(launch.weightType)"
    if let mmproj = launch.mmprojType { text += " (mmproj \(mmproj))" }
    return text + ", \(plan.computeDType) compute"
  }

  /// What a used GPU holds: `"mmproj, layers 0-11 (12 of 28), output layer"`.
  static func contents(_ gpu: UsedGPU, of launch: Invocation) -> String {
    var parts: [String] = []
    if gpu.holdsMMProj {
      parts.append(launch.modelDevices == nil ? "mmproj" : "mmproj only (left out of --device)")
    }
    if !gpu.layers.isEmpty {
      parts.append("layers \(range(gpu.layers)) (\(gpu.layers.count) of \(launch.layerCount))")
    }
    if gpu.holdsOutputLayer { parts.append("output layer") }
    return parts.joined(separator: ", ")
  }

  /// What a GPU holds, for a refusal: `"layers 14-27"`, `"the output layer"`.
  static func contents(_ gpu: UsedGPU) -> String {
    gpu.layers.isEmpty ? "the output layer" : "layers \(range(gpu.layers))"
  }

  /// The lines after the GPUs: token embeddings, GGUF bytes, what -ngl and --tensor-split count,
  /// layers in host memory, slots.
  static func notes(_ plan: DeviceMapLayout, _ launch: Invocation) -> [String] {
    var lines: [String] = []
    let model = plan.model
    for (layer, device) in zip(model.layers, plan.layerDevices)
    where layer.kind == .embedding && layer.stream == .text && device?.isGPU == true {
      let bytes = layer.weightBytes(weight: plan.weightDType, compute: plan.computeDType)
      lines.append(
        "token embeddings (\(layer.module), \(bytes.formatted()) on GPU \(device!) in the plan) stay in host memory: "
          + "llama.cpp never offloads its input layer")
    }
    switch plan.weightDType {
    case .int8:
      lines.append(
        "Q8_0: 8.5 bits per weight where the plan counts 8 (int8, a scale per row); the output layer is Q8_0 "
          + "too where the plan keeps it 16-bit")
    case .int4:
      lines.append(
        "Q4_0: 4.5 bits per weight where the plan counts 4.25 (int4, a scale and zero per 128); "
          + "llama-quantize makes the output layer Q6_K where the plan keeps it 16-bit"
          + (launch.mmprojType == nil
            ? "" : "; the mmproj is Q8_0 (convert_hf_to_gguf.py writes no 4-bit type)"))
    default: break
    }
    if model.layers.contains(where: { $0.kind == .head && $0.pinnedTo != nil }) {
      lines.append(
        "the output layer shares the token embeddings' weights: llama.cpp loads a copy of them on the GPU with "
          + "the output layer")
    }
    let host = launch.hostLayers
    if host.isEmpty {
      lines.append("-ngl \(launch.gpuLayers): all \(launch.layerCount) layers and the output layer")
    } else {
      lines.append(
        "-ngl \(launch.gpuLayers): the output layer and the last \(launch.gpuLayers - 1) layers (llama.cpp since "
          + "PR #18148, December 2025; older builds offload layer \(host.upperBound - 1) instead of the output layer)"
      )
      lines.append(
        "layers \(range(host)) run on the CPU in llama.cpp; the plan's estimate streams them to GPU 0 instead"
      )
    }
    if !launch.tensorSplit.isEmpty {
      lines.append(
        "--tensor-split \(launch.tensorSplit.map(String.init).joined(separator: ",")): layers per GPU, the output "
          + "layer counted on its GPU")
    }
    if !launch.mmprojOffload {
      lines.append("--no-mmproj-offload: the plan keeps the vision tower in host memory")
    }
    if launch.parallel > 1 {
      lines.append(
        "-c \(launch.contextTokens): the KV cache of all \(launch.parallel) slots (\(launch.parallel) x "
          + "\(plan.workload.contextTokens) tokens)")
    }
    return lines
  }

  /// Bytes of weights llama.cpp puts on each GPU (by plan index) beyond what the plan counts there:
  /// quantized matrices at the GGUF block sizes, the output layer at its GGUF type, the token
  /// embeddings in host memory. Norms and biases (F32 in a GGUF) are taken as planned.
  static func weightDifference(_ plan: DeviceMapLayout, _ launch: Invocation) -> [Int: Int64] {
    let model = plan.model
    let weight = plan.weightDType
    let compute = plan.computeDType
    var delta: [Int: Int64] = [:]
    func add(_ device: Device?, _ bytes: Int64) {
      if case .gpu(let index)? = device { delta[index, default: 0] += bytes }
    }
    func matrices(_ layer: Layer, as type: GGUFType) -> Int64 {
      let elements = layer.tally.quantizableElements
      let planned =
        weight.isQuantized
        ? layer.tally.quantizedBytes[weight, default: 0] : elements * Int64(weight.bits / 8)
      return type.bytes(elements) - planned
    }
    let outputGPU = launch.gpus.first(where: \.holdsOutputLayer).map { Device.gpu($0.index) }
    let mmprojGPU =
      launch.mmprojOffload ? launch.gpus.first(where: \.holdsMMProj).map { Device.gpu($0.index) } : nil
    let embedding = model.layers.first { $0.kind == .embedding && $0.stream == .text }
    for (layer, device) in zip(model.layers, plan.layerDevices) {
      switch (layer.kind, layer.stream) {
      case (.decoder, _): add(device, matrices(layer, as: launch.weightType))
      case (.embedding, .text): add(device, -layer.weightBytes(weight: weight, compute: compute).value)
      case (.head, _):
        add(device, -layer.weightBytes(weight: weight, compute: compute).value)
        let elements = layer.pinnedTo == nil ? layer.parameterCount : (embedding?.parameterCount ?? 0)
        add(outputGPU, launch.outputType.bytes(elements))
      case (_, .vision): add(mmprojGPU, launch.mmprojType.map { matrices(layer, as: $0) } ?? 0)
      default: break
      }
    }
    return delta
  }

  /// Why the plan does not fit, in a few words, with the first change that would make it fit.
  static func notFitting(_ plan: DeviceMapLayout) -> String {
    var reason = plan.warnings.first ?? "it does not fit"
    if let device = plan.devices.first(where: { !$0.fits }), let capacity = device.capacity {
      reason = "\(name(device.device)) needs \(device.memory.total.formatted()) of \(capacity.formatted())"
    }
    if let advice = plan.advice.first { reason += " (to fit: \(advice))" }
    return reason
  }

  // MARK: - Names

  /// `"2 x P4"`, `"P40 + P4"`: runs of one kind in index order.
  static func gpuNames(_ gpus: [GPU]) -> String {
    GPUList.runs(gpus).map { $0.count == 1 ? $0.gpu.name : "\($0.count) x \($0.gpu.name)" }
      .joined(separator: " + ")
  }

  /// `"GPU 1"`, `"cpu"`.
  static func name(_ device: Device) -> String {
    if case .gpu(let index) = device { "GPU \(index)" } else { "\(device)" }
  }

  /// `"0-11"`, `"3"`.
  static func range(_ layers: Range<Int>) -> String {
    layers.count == 1 ? "\(layers.lowerBound)" : "\(layers.lowerBound)-\(layers.upperBound - 1)"
  }

  static func range(_ first: Int, _ last: Int) -> String { range(first..<(last + 1)) }

  /// A file name stem from a model name or directory: its last path component, characters other
  /// than letters, digits, `.`, `_` and `-` replaced by `-`.
  static func fileBase(_ name: String) -> String {
    let last = name.split(separator: "/").last.map(String.init) ?? ""
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    let cleaned = String(last.map { allowed.contains($0) ? $0 : "-" })
    return cleaned.isEmpty ? "model" : cleaned
  }
}
