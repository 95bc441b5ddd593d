/// MiniCPM-V's perceiver resampler: `queryCount` learned queries cross-attend the vision tower's
/// patches and become the LLM's image tokens.
///
/// Tree (MiniCPM-V 2.5/2.6 remote code, registration order): `query [queries, embed]`,
/// `kv_proj` (vision width to LLM width, no bias), `attn` (`nn.MultiheadAttention`:
/// `in_proj_weight`, `in_proj_bias`, `out_proj`), `ln_q`, `ln_kv`, `ln_post`, `proj [embed, embed]`,
/// and the non-persistent float32 buffer `pos_embed [70, 70, embed]` of 2-D sin-cos positions.
public struct Resampler: Sendable, Hashable, Codable {
  public var queryCount: Int64
  public var embedDimension: Int64
  public var visionDimension: Int64
  /// Side of the cached position grid (70 for MiniCPM-V 2.5/2.6: 980 px / 14).
  public var positionGridSide: Int64
  /// Whether positions are a cached buffer (2.5/2.6) or a learned parameter over the query grid (1.0/2.0).
  public var cachedPositions: Bool

  public init(
    queryCount: Int64, embedDimension: Int64, visionDimension: Int64, positionGridSide: Int64 = 70,
    cachedPositions: Bool = true
  ) {
    self.queryCount = queryCount
    self.embedDimension = embedDimension
    self.visionDimension = visionDimension
    self.positionGridSide = positionGridSide
    self.cachedPositions = cachedPositions
  }

  /// Builds the module and its single layer (the resampler always sits on one device).
  public func build(name: String, path: String) -> (module: Module, layers: [Layer]) {
    let e = embedDimension
    var parameters: [Tensor] = [.parameter("query", queryCount, e)]
    var buffers: [Tensor] = []
    if cachedPositions {
      buffers.append(.buffer("pos_embed", positionGridSide, positionGridSide, e, persistent: false))
    } else {
      parameters.append(.parameter("pos_embed", queryCount, e))
    }
    parameters.append(.parameter("proj", e, e))
    let attention = Module(
      "attn", "MultiheadAttention",
      parameters: [.parameter("in_proj_weight", 3 * e, e), .parameter("in_proj_bias", 3 * e)],
      children: [.linear("out_proj", e, e, bias: true)])
    let module = Module(
      name, "Resampler", parameters: parameters, buffers: buffers,
      children: [
        .linear("kv_proj", visionDimension, e, bias: false), attention,
        .layerNorm("ln_q", e), .layerNorm("ln_kv", e), .layerNorm("ln_post", e),
      ])
    // Per vision patch: kv_proj, then the key and value projections of the attention.
    let layer = Layer(
      module: path, kind: .projector, stream: .vision, flopsPerToken: 2 * (visionDimension * e + 2 * e * e),
      transientElementsPerToken: 3 * e, attentionHeads: 0)
    return (module, [layer])
  }
}
