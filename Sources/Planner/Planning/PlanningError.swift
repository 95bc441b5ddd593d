/// Why a request cannot be planned at all (as opposed to a plan that does not fit): a kind a
/// launcher can switch on, the setting at fault and the settings that would work, and a message
/// that names no command-line flag. ``description`` names settings in the library's words
/// (`dtype bf16`); a front end phrases them its own way with ``render(_:)`` (the CLI: `--dtype bf16`).
public struct PlanningError: Error, Equatable, Sendable, CustomStringConvertible {
  public enum Kind: String, Sendable, Hashable, Codable {
    /// The request has no GPU.
    case noGPU
    /// A dtype the GPUs (or the runtime on them) cannot run.
    case unsupportedDType
    /// A host profile measured for another runtime.
    case profileMismatch
    /// A tensor or pipeline parallel size the model or the GPUs do not allow, or no layout at all.
    case invalidParallelism
  }

  /// A setting of the request and its value.
  public struct Setting: Sendable, Hashable {
    public enum Name: String, Sendable, Hashable, Codable {
      case gpus, dtype, tensorParallel, pipelineParallel
    }
    public var name: Name
    public var value: String

    public init(_ name: Name, _ value: String) {
      self.name = name
      self.value = value
    }
  }

  public let kind: Kind
  /// The setting at fault, where one is.
  public let setting: Setting?
  /// What is wrong, in words that name no flag.
  public let message: String
  /// Settings that would work instead, best first.
  public let alternatives: [Setting]

  public init(_ kind: Kind, setting: Setting? = nil, _ message: String, alternatives: [Setting] = []) {
    self.kind = kind
    self.setting = setting
    self.message = message
    self.alternatives = alternatives
  }

  /// `dtype bf16: P4 (sm_61) has no native bf16; use dtype fp16 or auto`.
  public var description: String { render { "\($0.name.rawValue) \($0.value)" } }

  /// The message with each setting phrased by `phrase`; alternatives of the same setting after the
  /// first give only their value (`use --dtype fp16 or auto`).
  public func render(_ phrase: (Setting) -> String) -> String {
    var text = setting.map { phrase($0) + ": " } ?? ""
    text += message
    if let first = alternatives.first {
      let rest = alternatives.dropFirst().map { $0.name == first.name ? $0.value : phrase($0) }
      text += "; use " + ([phrase(first)] + rest).joined(separator: " or ")
    }
    return text
  }
}

extension PlanningError {
  /// A request without a GPU.
  static let noGPU = PlanningError(.noGPU, "no GPU given", alternatives: [.init(.gpus, "2xP4")])
}
