/// What the llama.cpp command says for a plan, computed from it: the GPUs it uses and what each
/// holds, `-ngl`, `--tensor-split`, the GGUF files and types.
extension LlamaCppExporter {
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
    /// `--mmproj-device`: where the mmproj runs, named whenever `--device` is given (llama.cpp
    /// sends the mmproj to the first device of `--device` otherwise, common/arg.cpp).
    public var mmprojDevice: String? {
      guard modelDevices != nil, mmprojFile != nil, mmprojOffload else { return nil }
      return gpus.first?.holdsMMProj == true ? "CUDA0" : nil
    }
    /// `--cache-type-k` and `--cache-type-v`, where the plan's KV cache is not llama.cpp's f16.
    public var cacheType: String?
    public var modelFile: String
    public var mmprojFile: String?
    /// `--n-cpu-moe`: the first layers whose routed experts stay in host memory (0: none).
    public var hostExpertLayers = 0

    /// The copies of each split's inputs llama.cpp's scheduler keeps: 4 with pipeline parallelism
    /// (layers on more than one GPU, none in host memory, no tensor overrides), else 1.
    public var inputCopies: Int64 {
      LlamaCppMemory.inputCopies(
        modelDevices: gpus.filter { !$0.layers.isEmpty || $0.holdsOutputLayer }.count,
        everyLayerOffloaded: hostLayers.isEmpty, tensorOverrides: hostExpertLayers > 0)
    }

    /// `CUDA_VISIBLE_DEVICES`.
    public var visibleDevices: String { gpus.map { "\($0.index)" }.joined(separator: ",") }

    /// The arguments after `llama-server`, one option (and its value) per element.
    public var arguments: [String] {
      var result = ["-m \(modelFile)"]
      if let mmprojFile { result.append("--mmproj \(mmprojFile)") }
      if !mmprojOffload { result.append("--no-mmproj-offload") }
      if let modelDevices { result.append("--device \(modelDevices.joined(separator: ","))") }
      if let mmprojDevice { result.append("--mmproj-device \(mmprojDevice)") }
      result.append("-ngl \(gpuLayers)")
      if hostExpertLayers > 0 { result.append("--n-cpu-moe \(hostExpertLayers)") }
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
      mmprojOffload: mmprojOffload, cacheType: cacheType,
      modelFile: model.serving.ggufModel ?? "\(base)-\(weightType).gguf",
      mmprojFile: vision.isEmpty ? nil : model.serving.ggufMMProj ?? "mmproj-\(base)-\(mmprojType).gguf",
      hostExpertLayers: plan.hostExpertLayers)
  }
}
