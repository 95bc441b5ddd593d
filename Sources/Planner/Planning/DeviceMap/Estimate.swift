/// How fast a plan runs: time per token, prefill and image time, throughput, and what bounds it.
public struct Estimate: Sendable, Hashable {
  /// One decode step for one sequence of the batch (the batch decodes together).
  public internal(set) var decodeSecondsPerToken: Double
  /// `1 / decodeSecondsPerToken`: what one stream sees.
  public internal(set) var tokensPerSecond: Double
  /// The prefill of `batch` prompts of `context` tokens.
  public internal(set) var prefillSeconds: Double
  /// Encoding the batch's images, or its video, through the vision tower (nil without one, or
  /// without images or video).
  public internal(set) var imageSeconds: Double?
  /// Encoding the batch's audio input through the audio encoder (nil without audio input).
  public internal(set) var audioSeconds: Double?
  /// Tokens per second across the batch: the whole step, or the slowest stage where the runtime
  /// pipelines stages.
  public internal(set) var throughputTokensPerSecond: Double
  /// The device (nil for a link) whose time bounds decode, and by what.
  public internal(set) var bottleneckDevice: Device?
  public internal(set) var bottleneckBound: Bound
  /// Decode seconds per stage, by device, in chain order.
  public internal(set) var stageSeconds: [(device: Device, seconds: Double)]
  /// The times above with the range measured ones fall in, under the runtime's ``TimeSpread``.
  public internal(set) var ranges: SpeedRanges

  public static func == (a: Estimate, b: Estimate) -> Bool {
    a.decodeSecondsPerToken == b.decodeSecondsPerToken && a.prefillSeconds == b.prefillSeconds
      && a.imageSeconds == b.imageSeconds && a.throughputTokensPerSecond == b.throughputTokensPerSecond
  }
  public func hash(into hasher: inout Hasher) { hasher.combine(decodeSecondsPerToken) }

  /// `"GPU 1 (P4): memory bandwidth"`, `"links: ..."`.
  public func bottleneck(gpus: [GPU]) -> String {
    guard let device = bottleneckDevice else { return "links between GPUs" }
    if case .gpu(let index) = device {
      return "GPU \(index) (\(gpus[index].name)): \(bottleneckBound.rawValue)"
    }
    if bottleneckBound == .memory { return "\(device) (llama.cpp computes there): host memory bandwidth" }
    return "\(device) offload: streaming weights over PCIe"
  }
}

extension Estimate {
  /// Estimates a placement: walks the chain in execution order, timing each layer on the GPU
  /// that runs it (an offloaded layer runs on GPU 0 after its weights are streamed in) and each
  /// hop where consecutive layers run on different GPUs. What llama.cpp computes on the CPU (layers
  /// in host memory, and `--n-cpu-moe`'s routed experts) is timed at host bandwidth in the stage of
  /// the GPU that runs the layer: the CPU and that GPU take turns.
  ///
  /// - Complexity: O(*n*) in the number of layers.
  static func make(
    problem: PlacementProblem, layerDevices: [Device?]
  ) -> (estimate: Estimate, hops: [Hop]) {
    let cost = CostModel(memory: problem.memory)
    let model = problem.model
    let runtime = problem.memory.runtime
    func gpuIndex(_ device: Device) -> Int {
      if case .gpu(let index) = device { return index }
      return 0
    }
    func link(_ a: Device, _ b: Device) -> Link { problem.topology.link(from: gpuIndex(a), to: gpuIndex(b)) }

    // Decode and prefill: the text stream.
    var stage: [(device: Device, seconds: Double)] = []
    var boundSeconds: [Device: [Bound: Double]] = [:]
    // llama.cpp: seconds of each stage the CPU computes (layers and routed experts in host memory).
    var cpuSeconds: [Device: Double] = [:]
    // llama.cpp's prefill micro-batches, each copying host-resident weights to the GPU.
    let microBatches = LlamaCppExperts.microBatches(problem.memory.workload)
    var hops: [Hop] = []
    var prefill = 0.0
    var previous: (layer: Layer, device: Device)?
    var firstText: Device?
    var headDevice: Device?
    for (layer, placed) in zip(model.layers, layerDevices) where layer.stream == .text {
      guard let placed else { continue }
      let runsOn: Device = placed.isGPU ? placed : .gpu(0)
      let gpu = problem.gpus[gpuIndex(runsOn)]
      var decode = cost.decode(layer, on: gpu)
      var prefillTime = cost.prefill(layer, on: gpu)
      var onCPU = 0.0
      if placed == .cpu && runtime.name == RuntimeProfile.llamaCpp.name {
        // llama.cpp computes a layer it keeps in host memory on the CPU (the first layers, those
        // -ngl does not offload), reading its weights at host bandwidth; prefill copies them to
        // the GPU for every micro-batch (ggml's op_offload), as for --n-cpu-moe.
        onCPU = cost.hostMemoryRead(layer) / problem.hostMemory.bytesPerSecond
        decode = Timing(seconds: 0, bound: .memory)
        prefillTime.seconds +=
          microBatches * (cost.hostCopy(layer, to: gpu) + cost.hostExpertCopy(layer, to: gpu))
      } else if !placed.isGPU {
        let streaming = cost.offloadStreaming(layer, from: placed, to: gpu)
        decode = Timing(seconds: decode.seconds + streaming, bound: .link)
        prefillTime.seconds += streaming
      } else {
        // llama.cpp's --n-cpu-moe: the CPU computes the layer's routed experts in host memory,
        // reading those the batch routes to at host bandwidth (the GPU reads the rest of the layer);
        // prefill copies them to the GPU for every micro-batch.
        onCPU = cost.hostExpertRead(layer) / problem.hostMemory.bytesPerSecond
        prefillTime.seconds += microBatches * cost.hostExpertCopy(layer, to: gpu)
      }
      if onCPU > 0 { cpuSeconds[runsOn, default: 0] += onCPU }
      if let previous, previous.device != runsOn {
        let onLink = link(previous.device, runsOn)
        hops.append(
          Hop(
            from: previous.device, to: runsOn, link: onLink,
            seconds: cost.hop(bytes: cost.hopBytes(after: previous.layer, phase: .decode), on: onLink),
            carries: "activations"))
        prefill += cost.hop(bytes: cost.hopBytes(after: previous.layer, phase: .prefill), on: onLink)
      }
      if stage.last?.device == runsOn {
        stage[stage.count - 1].seconds += decode.seconds + onCPU
      } else {
        stage.append((runsOn, decode.seconds + onCPU))
      }
      if decode.seconds > 0 {
        boundSeconds[placed.isGPU ? runsOn : placed, default: [:]][decode.bound, default: 0] += decode.seconds
      }
      prefill += prefillTime.seconds
      firstText = firstText ?? runsOn
      if layer.kind == .head { headDevice = runsOn }
      previous = (layer, runsOn)
    }
    if runtime.returnsLogitsToFirstGPU, let first = firstText, let head = headDevice, first != head {
      let onLink = link(head, first)
      let bytes = Int64(problem.memory.workload.batch) * model.vocabularySize * MemoryModel.fp32Bytes
      hops.append(
        Hop(
          from: head, to: first, link: onLink, seconds: cost.hop(bytes: bytes, on: onLink), carries: "logits")
      )
    }

    // Images: the vision stream, and the hop into the text model.
    var image: Double?
    let media = problem.memory.media
    if (model.vision != nil && problem.memory.workload.images > 0) || media.video != nil {
      var total = 0.0
      var last: (layer: Layer, device: Device)?
      for (layer, placed) in zip(model.layers, layerDevices) {
        guard let placed else { continue }
        let runsOn: Device = placed.isGPU ? placed : .gpu(0)
        if let previousLayer = last, previousLayer.device != runsOn, previousLayer.layer.stream == .vision {
          total += cost.hop(
            bytes: cost.hopBytes(after: previousLayer.layer, phase: .encode),
            on: link(previousLayer.device, runsOn))
        }
        if layer.stream != .vision { if last?.layer.stream == .vision { break } else { continue } }
        total += cost.encode(layer, on: problem.gpus[gpuIndex(runsOn)]).seconds
        last = (layer, runsOn)
      }
      image = total
    }

    // Audio: the audio encoder over the request's audio.
    var audio: Double?
    if media.audioTokens > 0 {
      audio = zip(model.layers, layerDevices).reduce(0.0) { total, pair in
        guard pair.0.stream == .audio, let placed = pair.1 else { return total }
        let runsOn: Device = placed.isGPU ? placed : .gpu(0)
        return total + cost.encode(pair.0, on: problem.gpus[gpuIndex(runsOn)]).seconds
      }
    }

    let hopSeconds = hops.reduce(0) { $0 + $1.seconds }
    // A map over several devices runs every text layer through a dispatch hook.
    let devicesUsed = Set(layerDevices.compactMap { $0 })
    let textLayers = model.layers(of: .text).count
    let dispatch = devicesUsed.count > 1 ? Double(textLayers) * runtime.hostSecondsPerDispatchedLayer : 0
    // ... and copies each text layer's shared inputs (rotary cos/sin, position_ids) to its GPU.
    let moved =
      runtime.hostSecondsPerMovedInput > 0
      ? Double(CostModel.movedInputs(layers: model.layers, devices: layerDevices))
        * runtime.hostSecondsPerMovedInput
      : 0
    let step =
      stage.reduce(0) { $0 + $1.seconds } + hopSeconds + runtime.hostSecondsPerStep + dispatch + moved
    let slowestStage = stage.max { $0.seconds < $1.seconds }
    let slowestHop = hops.map(\.seconds).max() ?? 0
    let batch = Double(problem.memory.workload.batch)
    let throughput =
      runtime.pipelinesStages
      ? batch
        / max(
          max(slowestStage?.seconds ?? 0, slowestHop) + runtime.hostSecondsPerStep, .leastNonzeroMagnitude)
      : batch / step
    // The bottleneck: the device with the most decode time (by what bounds most of it; the CPU's
    // host memory bandwidth where llama.cpp computes most of that time there), unless the hops
    // together take longer.
    var device = slowestStage?.device
    var bound = Bound.memory
    if let d = device {
      let byBound = boundSeconds.filter { $0.key == d || (!$0.key.isGPU && d == .gpu(0)) }.values
        .reduce(into: [Bound: Double]()) { result, entry in result.merge(entry, uniquingKeysWith: +) }
      bound = byBound.max { ($0.value, $0.key.rawValue) < ($1.value, $1.key.rawValue) }?.key ?? .memory
      if boundSeconds.keys.contains(where: { !$0.isGPU }) && d == .gpu(0) && bound == .link { device = .cpu }
      if let onCPU = cpuSeconds[d], onCPU > (slowestStage?.seconds ?? 0) - onCPU {
        device = .cpu
        bound = .memory
      }
    }
    if hopSeconds > (slowestStage?.seconds ?? 0) {
      device = nil
      bound = .link
    }
    let estimate = Estimate(
      decodeSecondsPerToken: step, tokensPerSecond: 1 / step, prefillSeconds: prefill, imageSeconds: image,
      audioSeconds: audio,
      throughputTokensPerSecond: throughput, bottleneckDevice: device, bottleneckBound: bound,
      stageSeconds: stage,
      ranges: SpeedRanges(
        decodeSecondsPerToken: step, prefillSeconds: prefill, imageSeconds: image, audioSeconds: audio,
        throughputTokensPerSecond: throughput, spread: runtime.timeSpread))
    return (estimate, hops)
  }
}
