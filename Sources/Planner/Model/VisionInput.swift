/// How a vision model turns an image into tokens.
///
/// MiniCPM-V 2.x cuts an image into up to `maximumSlices` slices of `sliceSize` pixels plus
/// one overview image; each slice is `(sliceSize / patchSize)²` patches through the vision
/// tower, and the resampler turns each slice into `queriesPerSlice` tokens for the LLM.
public struct VisionInput: Sendable, Hashable, Codable {
  public var sliceSize: Int64
  public var patchSize: Int64
  /// Slices per image, the overview included, at the largest image the model accepts.
  public var maximumSlices: Int64
  /// LLM tokens per slice (resampler queries, or merged patches).
  public var queriesPerSlice: Int64

  /// Patches per slice through the vision tower.
  public var patchesPerSlice: Int64 { (sliceSize / patchSize) * (sliceSize / patchSize) }
}
