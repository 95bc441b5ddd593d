/// Why a model directory could not be imported: the file, the tensor or field, and the reason,
/// on one line.
///
///     /m/model.safetensors: model.layers.0.mlp.up_proj.weight: data_offsets [0, 8] span 8 bytes
///     but shape [64, 64] of BF16 is 8192 bytes
///
/// Names read from a file are quoted as one line (control characters escaped) and shortened, so
/// a hostile file cannot break the message over several lines.
public struct ImportError: Error, CustomStringConvertible, Sendable, Hashable {
  /// What went wrong, for callers and tests that branch on it.
  public enum Kind: String, Sendable, Hashable {
    /// A file or directory is missing or cannot be read.
    case unreadable
    /// A file ends before what its header says it holds.
    case truncated
    /// A file that must be JSON is not.
    case notJSON
    /// A required field or tensor is absent.
    case missingField
    /// A field has the wrong type or an impossible value.
    case invalidField
    /// A safetensors dtype this importer does not know.
    case unknownDType
    /// A shape with a negative or non-integer dimension, or an element count past `Int64`.
    case invalidShape
    /// A tensor's bytes (shape × dtype) differ from its `data_offsets` span.
    case sizeMismatch
    /// Two tensors' `data_offsets` overlap.
    case overlap
    /// The index names a shard that is not in the directory.
    case missingShard
    /// The model is of a kind the importer cannot plan (an unknown `model_type` without headers).
    case unsupported
    /// A header or a configured size beyond what the importer accepts.
    case tooLarge
  }

  public var kind: Kind
  /// The path of the file at fault.
  public var file: String
  /// The tensor or field at fault (a dotted path such as `vision_config.hidden_size`), if any.
  public var subject: String?
  public var reason: String

  public init(_ kind: Kind, file: String, subject: String? = nil, _ reason: String) {
    self.kind = kind
    self.file = file
    self.subject = subject
    self.reason = reason
  }

  /// `file: subject: reason`, on one line.
  public var description: String {
    let parts = [
      Self.oneLine(file, limit: .max), subject.map { Self.oneLine($0) }, Self.oneLine(reason, limit: .max),
    ]
    return parts.compactMap { $0 }.joined(separator: ": ")
  }

  /// Longest stretch of a name quoted from a file.
  static let maximumQuotedLength = EchoedValue.maximumLength

  /// The text with control characters escaped and its length bounded (for a name read from a file
  /// inside a reason, and for the subject): ``EchoedValue``.
  static func oneLine(_ text: String, limit: Int = maximumQuotedLength) -> String {
    EchoedValue.escaped(text, limit: limit)
  }
}
