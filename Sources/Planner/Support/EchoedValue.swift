/// A value from the user or from a file, quoted in a message: control characters escaped
/// (`\n`, `\t`, `\r`, else `\u{1b}`), and cut to ``maximumLength`` characters with an ellipsis, so
/// that no input can break a message over several lines or flood the terminal.
///
///     "bad value '\(EchoedValue("1\n2"))' for --batch"   // bad value '1\n2' for --batch
///
/// Every message that echoes input goes through this type (the importers, the GPU spec, the
/// profile, `--gpus`, model names, the CLI's options); ``line(_:)`` is the CLI's last safety net
/// over a whole message.
public struct EchoedValue: CustomStringConvertible, Sendable {
  /// Longest stretch of input quoted: enough for any real name, path or option value shown
  /// on one terminal line.
  public static let maximumLength = 80
  /// Longest whole message the CLI prints on stderr: a message quotes a few values of at most
  /// ``maximumLength`` characters each, plus a list of choices.
  public static let maximumLineLength = 1000

  public let description: String

  /// The value escaped and cut to `limit` characters (escapes count as the characters they print).
  public init(_ value: some StringProtocol, limit: Int = maximumLength) {
    description = Self.escaped(value, limit: limit)
  }

  /// A whole message as one line: control characters escaped, cut to ``maximumLineLength``.
  public static func line(_ message: some StringProtocol) -> String {
    escaped(message, limit: maximumLineLength)
  }

  static func escaped(_ text: some StringProtocol, limit: Int) -> String {
    var result = ""
    var count = 0
    for character in text {
      let piece: String
      switch character {
      case "\n": piece = "\\n"
      case "\r": piece = "\\r"
      case "\t": piece = "\\t"
      case "\r\n": piece = "\\r\\n"
      default:
        if character.unicodeScalars.contains(where: isControl) {
          piece = character.unicodeScalars.map {
            isControl($0) ? "\\u{\(String($0.value, radix: 16))}" : "\($0)"
          }
          .joined()
        } else {
          piece = String(character)
        }
      }
      if count + piece.count > limit {
        return result + "…"
      }
      count += piece.count
      result += piece
    }
    return result
  }

  /// C0 and C1 controls, DEL, and the Unicode line and paragraph separators: anything a terminal
  /// may take as a line break or a command.
  static func isControl(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || (0x2028...0x2029).contains(scalar.value)
  }
}
