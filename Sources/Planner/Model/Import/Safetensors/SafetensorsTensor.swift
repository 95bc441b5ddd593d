import Foundation

/// One tensor of a safetensors header: its dtype, shape and where its bytes lie.
public struct SafetensorsTensor: Sendable, Hashable {
  public var name: String
  public var dtype: SafetensorsDType
  public var shape: [Int64]
  /// The product of the shape (checked not to overflow).
  public var elementCount: Int64
  /// Byte range relative to the start of the data (just after the header).
  public var dataOffsets: Range<Int64>
  /// The file the tensor is stored in.
  public var file: String
}
