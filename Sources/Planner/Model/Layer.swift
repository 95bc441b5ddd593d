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
  /// The module this layer must share a device with (a tied LM head sits with its embedding).
  public var pinnedTo: String?

  // Filled in by ModelGraph from the module tree.
  /// Parameters (elements) counted once across tied tensors.
  public internal(set) var parameterCount: Int64 = 0
  /// Tally of the layer's tensors, from which weight bytes are computed for any dtype.
  public internal(set) var tally = TensorTally()

  public init(
    module: String, kind: Kind, stream: Stream, flopsPerToken: Int64 = 0, kvElementsPerToken: Int64 = 0,
    transientElementsPerToken: Int64 = 0, attentionHeads: Int64 = 0, pinnedTo: String? = nil
  ) {
    self.module = module
    self.kind = kind
    self.stream = stream
    self.flopsPerToken = flopsPerToken
    self.kvElementsPerToken = kvElementsPerToken
    self.transientElementsPerToken = transientElementsPerToken
    self.attentionHeads = attentionHeads
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

/// Counts of a set of tensors, enough to compute their bytes under any dtype.
public struct TensorTally: Sendable, Hashable, Codable {
  /// Elements of quantizable matrices, their output rows and how many matrices there are.
  public var quantizableElements: Int64 = 0
  public var quantizableRows: Int64 = 0
  public var quantizableMatrices: Int64 = 0
  /// Other floating-point elements (embeddings, norms, biases, float buffers).
  public var floatElements: Int64 = 0
  /// Bytes of tensors that no dtype converts (integer and boolean buffers).
  public var fixedBytes: Int64 = 0

  mutating func add(_ tensor: Tensor) {
    let elements = tensor.elementCount
    if tensor.isQuantizable {
      quantizableElements += elements
      quantizableRows += tensor.shape.first ?? 1
      quantizableMatrices += 1
    } else if tensor.isFloatingPoint {
      floatElements += elements
    } else {
      fixedBytes += (elements * Int64(tensor.bits) + 7) / 8
    }
  }

  /// Bytes under a weight dtype and a compute dtype.
  ///
  /// Quantized matrices take ``DType/matrixBytes(elements:rows:)`` (scales included; fp8's
  /// per-tensor scale is counted once per matrix); other floats take the compute width.
  func bytes(weight: DType, compute: DType) -> Int64 {
    let floatBytes = Int64(compute.bits / 8) * floatElements
    let matrixBytes: Int64
    if weight.isQuantized {
      // Scales are per row (int8), per group (int4) or per matrix (fp8). Computing them on the
      // summed elements is exact for int8 (rows add up) and for int4 where every matrix is a
      // multiple of the group size (true of every model in the catalog); fp8 adds one scale
      // per matrix.
      let perMatrix = weight == .fp8 ? (quantizableMatrices - 1) * DType.fp8ScaleBytesPerTensor : 0
      matrixBytes = quantizableElements == 0
        ? 0 : weight.matrixBytes(elements: quantizableElements, rows: quantizableRows) + perMatrix
    } else {
      matrixBytes = Int64(weight.bits / 8) * quantizableElements
    }
    return floatBytes + matrixBytes + fixedBytes
  }
}
