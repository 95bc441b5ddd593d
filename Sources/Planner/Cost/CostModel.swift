/// The cost model of ../shared/DESIGN.md: seconds for a layer on a GPU, and for a hop on a link.
///
/// A layer takes `max(FLOPs / (peak × compute efficiency), bytes / (bandwidth × memory
/// efficiency), host time)`. Decode reads every weight once per step whatever the batch (of a
/// mixture-of-experts layer, the routed experts the batch routes to: ``Layer/decodeWeightFraction(batch:)``),
/// plus the KV cache of the context for every sequence; prefill is bound by FLOPs; vision and audio
/// layers run once per image or clip. Peaks are those of the dtype the card really computes
/// (``GPU/peakFLOPS(computing:)``).
public struct CostModel: Sendable, Hashable {
  public var memory: MemoryModel

  public init(memory: MemoryModel) { self.memory = memory }

  var runtime: RuntimeProfile { memory.runtime }
  var batch: Double { Double(memory.workload.batch) }
  var context: Double { Double(memory.context) }
  var activationBytes: Double { Double(memory.computeDType.bits / 8) }

  func timing(flops: Double, bytes: Double, host: Double, on gpu: GPU, encoder: Bool = false) -> Timing {
    let efficiency = encoder ? runtime.encoderComputeEfficiency : runtime.computeEfficiency
    let compute = flops / (gpu.peakFLOPS(computing: memory.computeDType) * efficiency)
    let transfer = bytes / (gpu.bandwidthBytesPerSecond * runtime.memoryEfficiency)
    if host >= compute && host >= transfer && host > 0 { return Timing(seconds: host, bound: .host) }
    return compute > transfer
      ? Timing(seconds: compute, bound: .compute) : Timing(seconds: transfer, bound: .memory)
  }

  /// The measured kernels of the weights' quantization method on this runtime, if any.
  var quantizedKernels: QuantizedKernels? {
    QuantizedKernels.measured(
      weight: memory.weightDType, quantization: memory.model.quantization, runtime: runtime.name)
  }

  /// Host time to issue a decoder layer: the profile's reference layer (``EagerLaunches/reference``
  /// launches) scaled by the kernels this one launches, and by its quantization method's host cost
  /// (``QuantizedKernels``). 0 for other layers (their host time is in the per-step time).
  func hostSeconds(_ layer: Layer) -> Double {
    guard layer.kind == .decoder else { return 0 }
    let launches = layer.eagerLaunches > 0 ? layer.eagerLaunches / EagerLaunches.reference : 1
    return runtime.hostSecondsPerLayer * launches * (quantizedKernels?.hostFactor ?? 1)
  }

  /// One decode step of a text layer for `batch` sequences at the full context.
  ///
  /// The embedding reads only the looked-up rows; every other layer reads all its weights and
  /// its KV cache. Host time per layer applies to decoder layers (the rest is in the per-step time).
  public func decode(_ layer: Layer, on gpu: GPU) -> Timing {
    let weights = decodeWeightBytes(layer)
    let kv = Double(memory.kvCache(of: layer).value)
    let bytes =
      layer.kind == .embedding ? batch * Double(memory.model.hiddenSize) * activationBytes : weights + kv
    let flops = batch * (Double(layer.flopsPerToken) + Double(layer.attentionFLOPsPerContextToken) * context)
    return timing(flops: flops, bytes: bytes, host: hostSeconds(layer), on: gpu)
  }

  /// The prefill of the whole context for `batch` sequences through a text layer (causal
  /// attention: on average half the context).
  public func prefill(_ layer: Layer, on gpu: GPU) -> Timing {
    let tokens = batch * context
    let flops =
      tokens * (Double(layer.flopsPerToken) + Double(layer.attentionFLOPsPerContextToken) * context / 2)
    let bytes = Double(memory.weights(of: layer).value) + Double(memory.kvCache(of: layer).value)
    return timing(flops: flops, bytes: bytes, host: hostSeconds(layer), on: gpu)
  }

  /// Sequences and tokens per sequence a vision or audio layer processes per request batch.
  func encoderWork(_ layer: Layer) -> (sequences: Double, length: Double) {
    switch layer.stream {
    case .vision:
      let (count, length) = memory.visionSequences
      return (Double(count), Double(length))
    case .audio:
      if memory.media.audioTokens > 0, let input = memory.media.input {
        // The request's audio: the encoder's frames (before pooling), in attention chunks.
        let frames = memory.media.audioSeconds * Double(input.audioEncoderTokensPerSecond)
        let chunk = Double(max(input.audioAttentionChunk, 1))
        return (batch * max(frames / chunk, 1), min(chunk, frames))
      }
      return (batch, Double(MemoryModel.audioTokensPerWindow))
    case .text, .speech: return (0, 0)
    }
  }

  /// Host time of a Qwen2-VL-style vision tower over a video outside flash attention: transformers
  /// runs one attention call per window (64 patches) in each window layer and per 2-frame group in
  /// each full-attention layer. Per call, from Qwen2.5-Omni-7B's tower on an H200 (transformers
  /// 5.17, fixtures/measurements/omni-video-h200.json): sdpa 3.82 s at 60 s (fastest of 3) and
  /// 1.17 s at 15 s over 80,880 and 20,220 calls: 44 µs a call; eager 10.1 s at 60 s: 115 µs.
  static let videoSecondsPerAttentionCall = (sdpa: 44e-6, eager: 115e-6)

  func videoChunkSeconds(_ layer: Layer) -> Double {
    guard layer.stream == .vision, layer.kind == .visionBlock, let video = memory.media.video,
      let input = memory.media.input, input.frames == .qwenTemporalPatches,
      memory.workload.attention != .flash
    else { return 0 }
    let groups = Double(memory.visionSequences.count)
    let windows = (Double(video.patchesPerSequence) / Double(input.windowPatches)).rounded(.up)
    let full = Double(input.fullAttentionLayers)
    let calls = (Double(max(layer.encoderBlocks, 1)) - full) * windows * groups + full * groups
    let perCall =
      memory.workload.attention == .eager
      ? Self.videoSecondsPerAttentionCall.eager : Self.videoSecondsPerAttentionCall.sdpa
    return calls * perCall
  }

  /// One pass of a vision or audio layer over the request batch's images or audio window.
  public func encode(_ layer: Layer, on gpu: GPU) -> Timing {
    let (sequences, length) = encoderWork(layer)
    let tokens = sequences * length
    let flops = tokens * (Double(layer.flopsPerToken) + Double(layer.attentionFLOPsPerContextToken) * length)
    let blocks =
      layer.kind == .visionBlock || layer.kind == .audioBlock ? Double(max(layer.encoderBlocks, 1)) : 0
    return timing(
      flops: flops, bytes: Double(memory.weights(of: layer).value),
      host: blocks * runtime.hostSecondsPerEncoderLayer + videoChunkSeconds(layer),
      on: gpu, encoder: true)
  }

  /// Bytes a hop after `layer` carries per decode step (`batch × hidden`), per prefill
  /// (`tokens` times that), or per image (patches, or the resampler's queries, × width).
  public func hopBytes(after layer: Layer, phase: Phase) -> Int64 {
    let bytes = Int64(activationBytes)
    let b = Int64(memory.workload.batch)
    switch layer.stream {
    case .text, .speech:
      let perToken = memory.model.hiddenSize * bytes * b
      return phase == .prefill ? perToken * memory.context : perToken
    case .vision, .audio:
      let (sequences, length) = encoderWork(layer)
      if layer.kind == .projector {
        let queries = memory.model.vision?.queriesPerSlice ?? Int64(length)
        return Int64(sequences) * queries * memory.model.hiddenSize * bytes
      }
      let width = layer.outputElementsPerToken > 0 ? layer.outputElementsPerToken : memory.model.hiddenSize
      return Int64(sequences * length) * width * bytes
    }
  }

  /// Seconds for a hop of `bytes` on `link`, the runtime's host time included.
  public func hop(bytes: Int64, on link: Link) -> Double {
    link.seconds(bytes: bytes) + runtime.hostSecondsPerHop
  }

  /// Tensors accelerate's hooks copy between GPUs per decode step into the text layers (each costs
  /// the runtime's ``RuntimeProfile/hostSecondsPerMovedInput``): every decoder layer takes the rotary
  /// cos and sin from the GPU that runs `rotary_emb` (2 tensors, where the model has one) and
  /// `position_ids` from the GPU that runs `embed_tokens` (1), and `rotary_emb` takes the hidden
  /// state and `position_ids` from the latter (2); each one a layer runs away from is copied.
  /// `devices` holds where each of `layers` is placed (`nil`: not placed); an offloaded layer runs
  /// on GPU 0. Hidden states between layers are hops, not counted here.
  ///
  /// - Complexity: O(*n*) in the number of layers.
  public static func movedInputs(layers: [Layer], devices: [Device?]) -> Int {
    func runsOn(_ device: Device) -> Device { device.isGPU ? device : .gpu(0) }
    var embedding: Device?
    var rotary: Device?
    for (layer, device) in zip(layers, devices) where layer.stream == .text {
      guard let device else { continue }
      if layer.kind == .embedding && embedding == nil { embedding = runsOn(device) }
      if layer.kind == .rotary && rotary == nil { rotary = runsOn(device) }
    }
    guard let embedding else { return 0 }
    var count = 0
    for (layer, device) in zip(layers, devices) where layer.stream == .text {
      guard let device else { continue }
      let gpu = runsOn(device)
      switch layer.kind {
      case .decoder:
        if gpu != embedding { count += 1 }
        if let rotary, gpu != rotary { count += 2 }
      case .rotary:
        if gpu != embedding { count += 2 }
      default: break
      }
    }
    return count
  }

  /// Seconds to stream an offloaded layer's weights to the GPU that runs it, every step
  /// (accelerate copies them in on each forward pass, no prefetch): at the runtime's measured
  /// offload rate (``RuntimeProfile/offloadBytesPerSecond``) where the link is not slower, else at
  /// the link's host-staged PCIe rate.
  public func offloadStreaming(_ layer: Layer, from device: Device, to gpu: GPU) -> Double {
    let pcie = Link.pcieHostStaged(generation: gpu.pcieGeneration)
    let bandwidth =
      device == .disk
      ? Self.diskBytesPerSecond : min(pcie, runtime.offloadBytesPerSecond ?? pcie)
    return Double(memory.weights(of: layer).value) / bandwidth
  }

  /// Bytes of a layer's weights one decode step reads where the layer runs: the routed experts the
  /// batch uses (``Layer/decodeWeightFraction(batch:)``) and the rest whole. Of a layer whose routed
  /// experts llama.cpp keeps in host memory (`--n-cpu-moe`, ``MemoryModel/hostExpertModules``)
  /// that is the rest alone, read whole: the CPU reads the experts (``hostExpertRead(_:)``).
  func decodeWeightBytes(_ layer: Layer) -> Double {
    let weights = Double(memory.weights(of: layer).value)
    guard !memory.hostExpertModules.contains(layer.module) else { return weights }
    return weights * layer.decodeWeightFraction(batch: memory.workload.batch)
  }

  /// Bytes of a layer's routed experts in host memory (llama.cpp's `--n-cpu-moe`) one decode step
  /// reads there: the experts the batch routes to, `host expert bytes × distinct(batch) / count`
  /// (``Layer/RoutedExperts/distinct(batch:)``). 0 for a layer whose experts are on its GPU.
  public func hostExpertRead(_ layer: Layer) -> Double {
    guard memory.hostExpertModules.contains(layer.module), let experts = layer.routedExperts else { return 0 }
    return Double(memory.hostExpertBytes(of: layer).value) * experts.distinct(batch: memory.workload.batch)
      / Double(experts.count)
  }

  /// Bytes one decode step reads of a layer kept in host memory and computed there (its weights
  /// the batch uses, routed experts included, and its KV cache).
  public func hostMemoryRead(_ layer: Layer) -> Double {
    decodeWeightBytes(layer) + hostExpertRead(layer) + Double(memory.kvCache(of: layer).value)
  }

  /// Seconds to copy a layer's weights from host memory to `gpu` over PCIe, peer-to-peer rate.
  public func hostCopy(_ layer: Layer, to gpu: GPU) -> Double {
    Double(memory.weights(of: layer).value) / Link.pciePeerToPeer(generation: gpu.pcieGeneration)
  }

  /// Seconds to copy a layer's routed experts in host memory (llama.cpp's `--n-cpu-moe`) to `gpu`
  /// over PCIe, peer-to-peer rate: every one, as a prefill micro-batch routes to all. 0 for a
  /// layer whose experts are on its GPU.
  public func hostExpertCopy(_ layer: Layer, to gpu: GPU) -> Double {
    guard memory.hostExpertModules.contains(layer.module) else { return 0 }
    return Double(memory.hostExpertBytes(of: layer).value)
      / Link.pciePeerToPeer(generation: gpu.pcieGeneration)
  }

  /// Reading offloaded weights back from an NVMe disk: about 2 GB/s, an estimate for a gen3/gen4
  /// drive through accelerate's memory-mapped offload files.
  static let diskBytesPerSecond = 2e9

  public enum Phase: Sendable { case decode, prefill, encode }
}
