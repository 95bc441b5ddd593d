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
/// from the plan (block sizes from ggml/src/ggml-common.h). A model read from a GGUF file
/// (``ServingFacts/ggufModel``) keeps its file's types: `-m` and `--mmproj` name its files.
public enum LlamaCppExporter {
  /// Why llama.cpp cannot run a plan, in one line.
  public struct Refusal: Error, Equatable, CustomStringConvertible {
    public var description: String
  }

  /// The command for `plan` with comments: which GPU holds what, memory per GPU against the plan,
  /// the estimate, then `llama-server` with one option per line.
  ///
  /// - Throws: ``Refusal``, as ``invocation(for:)``.
  ///
  /// - Complexity: O(*n*) in the model's layers.
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
    if plan.model.serving.ggufModel == nil {
      lines.append(
        "point -m\(launch.mmprojFile == nil ? "" : " and --mmproj") at your GGUF files of these types "
          + "(the names are placeholders)")
    }
    var text = lines.map { "# " + $0 }.joined(separator: "\n") + "\n"
    text += "CUDA_VISIBLE_DEVICES=\(launch.visibleDevices) llama-server \\\n"
    text += launch.arguments.map { "  " + $0 }.joined(separator: " \\\n") + "\n"
    if let fit = fitArguments(plan, launch) {
      text +=
        "# the fit alone is enough here (every layer fits on the GPUs with \(fitTargetMiB) MiB to spare on each):\n"
      text += "# llama.cpp places the layers itself, where -ngl and --tensor-split above fix them\n"
      text +=
        "# CUDA_VISIBLE_DEVICES=\(launch.visibleDevices) llama-server " + fit.joined(separator: " ") + "\n"
    }
    return text
  }

  // MARK: - Comments

  /// `-fitt`: the margin `--fit` keeps free on every device, llama.cpp's default
  /// (common/common.h `fit_params_target`, 1024 MiB).
  static let fitTargetMiB: Int64 = 1024

  /// The command that lets llama.cpp's `--fit` place the model, where that alone is enough: every
  /// layer on the GPUs, no GPU kept for the mmproj alone, and every GPU's planned memory leaves
  /// the fit's margin. `nil` otherwise (the fit would move layers to the CPU or shrink nothing
  /// the plan relies on).
  static func fitArguments(_ plan: DeviceMapLayout, _ launch: Invocation) -> [String]? {
    guard launch.hostLayers.isEmpty, launch.modelDevices == nil, launch.hostExpertLayers == 0 else {
      return nil
    }
    let margin = ByteCount.mebibytes(fitTargetMiB)
    for gpu in launch.gpus {
      guard let planned = plan.devices.first(where: { $0.device == .gpu(gpu.index) }),
        let capacity = planned.capacity, planned.memory.total + margin <= capacity
      else { return nil }
    }
    var arguments = ["-m \(launch.modelFile)"]
    if let mmproj = launch.mmprojFile { arguments.append("--mmproj \(mmproj)") }
    if !launch.mmprojOffload { arguments.append("--no-mmproj-offload") }
    arguments += [
      "--fit on", "-fitt \(fitTargetMiB)", "-c \(launch.contextTokens)", "--parallel \(launch.parallel)",
    ]
    if let cacheType = launch.cacheType {
      arguments += ["--cache-type-k \(cacheType)", "--cache-type-v \(cacheType)"]
    }
    return arguments
  }

  /// `"int8 weights as GGUF Q8_0 (mmproj Q8_0), fp16 compute"`.
  static func dtypeSummary(_ plan: DeviceMapLayout, _ launch: Invocation) -> String {
    if plan.model.serving.ggufModel != nil {
      return "the GGUF file's own tensor types, \(plan.computeDType) compute"
    }
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
    switch plan.model.serving.ggufModel == nil ? plan.weightDType : nil {
    case .int8?:
      lines.append(
        "Q8_0: 8.5 bits per weight where the plan counts 8 (int8, a scale per row); the output layer is Q8_0 "
          + "too where the plan keeps it 16-bit")
    case .int4?:
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
    if let device = launch.mmprojDevice, let first = launch.modelDevices?.first {
      lines.append(
        "--mmproj-device \(device): llama.cpp sends the mmproj to the first device of --device (\(first)) unless "
          + "--mmproj-device names another")
    }
    lines.append(
      "-ngl and --tensor-split turn llama.cpp's default --fit off: these layers load where they say, and -c is "
        + "not shrunk")
    let buffers = LlamaCppMemory(inputCopies: launch.inputCopies)
    let slot = LlamaCppMemory.slotContext(
      contextTokens: Int64(launch.contextTokens), parallel: Int64(launch.parallel))
    var hostBuffer = buffers.hostComputeBuffer(hiddenSize: model.hiddenSize, slotContext: slot)
    if launch.hostExpertLayers > 0 {
      let decoders = model.layers.filter { $0.stream == .text && $0.kind == .decoder }
      hostBuffer = hostBuffer + buffers.hostExpertStep(layers: decoders.prefix(launch.hostExpertLayers))
      lines.append(
        "--n-cpu-moe \(launch.hostExpertLayers): the routed experts of layers 0-\(launch.hostExpertLayers - 1) "
          + "(\(plan.hostExpertBytes.formatted())) stay in host memory and run on the CPU (the estimate counts it); "
          + "the tensor override turns llama.cpp's pipeline parallelism off")
    }
    let output = buffers.outputBuffer(vocabularySize: model.vocabularySize, parallel: Int64(launch.parallel))
    lines.append(
      "host memory: compute buffer \(hostBuffer.formatted()), output buffer \(output.formatted()) (logits, one row per "
        + "slot); each GPU's activations are its compute buffer (f32, one \(LlamaCppMemory.defaultMicroBatch)-token "
        + "micro-batch)")
    if launch.parallel > 1 {
      lines.append(
        "-c \(launch.contextTokens): the KV cache of all \(launch.parallel) slots (\(launch.parallel) x "
          + "\(plan.workload.contextTokens) tokens)")
    }
    return lines
  }

  /// Bytes of weights llama.cpp puts on each GPU (by plan index) beyond what the plan counts there:
  /// quantized matrices at the GGUF block sizes, the output layer at its GGUF type, the token
  /// embeddings in host memory. Norms and biases (F32 in a GGUF) are taken as planned. A model read
  /// from a GGUF file is planned at the file's bytes: only the token embeddings differ.
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
    // A GGUF input is planned at its file's bytes: only the input layer moves (to host memory).
    let isFile = model.serving.ggufModel != nil
    let hostExperts = Set(
      model.layers.filter { $0.stream == .text && $0.kind == .decoder }.prefix(launch.hostExpertLayers).map(
        \.module))
    for (layer, device) in zip(model.layers, plan.layerDevices) {
      switch (layer.kind, layer.stream) {
      case (.embedding, .text): add(device, -layer.weightBytes(weight: weight, compute: compute).value)
      case _ where isFile: break
      case (.decoder, _):
        // --n-cpu-moe: the routed experts' GGUF bytes are in host memory, not on the GPU.
        let onGPU =
          launch.hostExpertLayers > 0 && hostExperts.contains(layer.module)
          ? 1 - (layer.routedExperts?.share ?? 0) : 1
        add(device, Int64((Double(matrices(layer, as: launch.weightType)) * onGPU).rounded()))
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
