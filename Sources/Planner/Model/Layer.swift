import Foundation

/// One unit of the execution chain: the smallest piece a placement puts on a device.
///
/// A layer is a module of the checkpoint (its `module` path is the `device_map` key) with what
/// the cost and memory models need: its weights (counted from the module tree by
/// ``ModelGraph``), the KV cache it keeps per token, the FLOPs it spends per token and the
/// widest transient it allocates per token.
public struct Layer: Sendable, Hashable, Codable {
  /// What the layer is, for people and for the memory model.
  public enum Kind: String, Sendable, Hashable, Codable {
    case embedding, decoder, norm, rotary, head
    case visionEmbedding, visionBlock, visionNorm, projector
    case audioEmbedding, audioBlock, audioNorm
    case speech
  }

  /// Which input stream a layer processes: text tokens, image patches, audio frames, or speech
  /// output (talker/TTS). Vision and audio layers run once per image or clip, not per token.
  public enum Stream: String, Sendable, Hashable, Codable {
    case text, vision, audio, speech
  }

  /// The dotted module path, exactly as the checkpoint names it (`llm.model.layers.3`).
  public var module: String
  public var kind: Kind
  public var stream: Stream
  /// Floating-point operations per token processed, counting a multiply-add as 2
  /// (attention over the context is not included).
  public var flopsPerToken: Int64
  /// Elements of KV cache per token of context (`2 × kv_heads × head_dim`); 0 without a cache.
  public var kvElementsPerToken: Int64
  /// Elements of the widest transient per token while the layer runs (for example the gate and
  /// up projections of a gated MLP, `2 × intermediate`).
  public var transientElementsPerToken: Int64
  /// Attention heads whose score matrices eager attention materialises; 0 where none.
  public var attentionHeads: Int64
  /// FLOPs per token for each token it attends to (`4 × heads × head_dim`: scores and the
  /// weighted sum); text attention is causal, vision and audio attention is not.
  public var attentionFLOPsPerContextToken: Int64
  /// Elements per token of the layer's output (what a hop after it carries); 0 means the text
  /// model's hidden size.
  public var outputElementsPerToken: Int64
  /// The module this layer must share a device with (a tied LM head sits with its embedding).
  public var pinnedTo: String?
  /// Encoder blocks this layer stands for (1, or the blocks of a no-split encoder merged into one
  /// layer): the host issues each block's kernels.
  public var encoderBlocks: Int = 1
  /// The routed experts of a mixture-of-experts layer (`nil` for a dense one): decode reads only
  /// the experts its tokens route to (``decodeWeightFraction(batch:)``).
  public var routedExperts: RoutedExperts?

  /// A mixture-of-experts layer's routed experts: how many, how many each token uses, and the
  /// share of the layer's parameters they hold (filled in by ``ModelGraph`` from the tensors under
  /// an `experts` module; shared experts, the router and attention are outside it).
  public struct RoutedExperts: Sendable, Hashable, Codable {
    public var count: Int
    public var active: Int
    public internal(set) var share: Double = 0

    public init(count: Int, active: Int) {
      self.count = max(count, 1)
      self.active = min(max(active, 1), max(count, 1))
    }

    /// Experts `batch` tokens route to, expected, with each token choosing `active` of `count`
    /// uniformly: `E · (1 − (1 − k/E)^b)` (a uniform router; real routers are skewed, so this is an
    /// upper bound on the distinct experts).
    public func distinct(batch: Int) -> Double {
      let e = Double(count)
      return e * (1 - pow(1 - Double(active) / e, Double(max(batch, 1))))
    }
  }

  /// The fraction of the layer's weight bytes one decode step of `batch` sequences reads: all of a
  /// dense layer; of a mixture-of-experts layer, everything but the routed experts, and of those
  /// the ones the batch routes to. Prefill reads every expert (a long prompt routes to all).
  public func decodeWeightFraction(batch: Int) -> Double {
    guard let experts = routedExperts, experts.share > 0 else { return 1 }
    return 1 - experts.share + experts.share * experts.distinct(batch: batch) / Double(experts.count)
  }

  /// Dimension of one attention head (`attentionFLOPsPerContextToken = 4 × heads × head_dim`);
  /// 0 without attention.
  public var headDimension: Int64 {
    attentionHeads > 0 ? attentionFLOPsPerContextToken / (4 * attentionHeads) : 0
  }
  /// Key-value heads (`kvElementsPerToken = 2 × kv_heads × head_dim`); 0 without a KV cache.
  public var kvHeads: Int64 { headDimension > 0 ? kvElementsPerToken / (2 * headDimension) : 0 }

  // Filled in by ModelGraph from the module tree.
  /// Parameters (elements) counted once across tied tensors.
  public internal(set) var parameterCount: Int64 = 0
  /// Tally of the layer's tensors, from which weight bytes are computed for any dtype.
  public internal(set) var tally = TensorTally()
  /// Kernels a decoder layer launches per eager decode step (``EagerLaunches``); 0 for other kinds.
  public internal(set) var eagerLaunches: Double = 0

  public init(
    module: String, kind: Kind, stream: Stream, flopsPerToken: Int64 = 0, kvElementsPerToken: Int64 = 0,
    transientElementsPerToken: Int64 = 0, attentionHeads: Int64 = 0, attentionFLOPsPerContextToken: Int64 = 0,
    outputElementsPerToken: Int64 = 0, pinnedTo: String? = nil
  ) {
    self.module = module
    self.kind = kind
    self.stream = stream
    self.flopsPerToken = flopsPerToken
    self.kvElementsPerToken = kvElementsPerToken
    self.transientElementsPerToken = transientElementsPerToken
    self.attentionHeads = attentionHeads
    self.attentionFLOPsPerContextToken = attentionFLOPsPerContextToken
    self.outputElementsPerToken = outputElementsPerToken
    self.pinnedTo = pinnedTo
  }

  /// Bytes of weights and buffers on the device for this layer.
  ///
  /// - Parameters:
  ///   - weight: the weight dtype (quantized types apply to quantizable matrices only).
  ///   - compute: the 16- or 32-bit type everything else is stored in.
  public func weightBytes(weight: DType, compute: DType) -> ByteCount {
    ByteCount(tally.bytes(weight: weight, compute: compute))
  }
}

extension Tensor {
  /// Bytes this tensor takes on a device when weights are `weight` and everything else `compute`.
  ///
  /// Quantizable matrices take ``DType/matrixBytes(elements:rows:)``; other floating-point tensors
  /// the compute width; integer tensors keep their own width; a tensor with ``storedBytes`` takes
  /// those.
  public func bytes(weight: DType, compute: DType) -> Int64 {
    if let storedBytes { return storedBytes }
    if isQuantizable {
      // A row per output channel: every dimension but the last (a fused experts tensor
      // `[experts, out, in]` has experts × out rows, as its per-expert matrices had).
      let rows = shape.count >= 2 ? Int64.saturatingProduct(of: shape.dropLast()) : shape.first ?? 1
      return weight.matrixBytes(elements: elementCount, rows: rows)
    }
    if isFloatingPoint { return .saturatingProduct(elementCount, Int64(compute.bits / 8)) }
    return Int64.saturatingProduct(elementCount, Int64(bits)).saturatingAdd(7) / 8
  }
}
