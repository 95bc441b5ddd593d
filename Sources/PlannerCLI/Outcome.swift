import Foundation
import Planner

/// What one run of the CLI prints and how it exits. Pure: tests call it directly.
struct Outcome: Error, Equatable {
  var stdout = ""
  var stderr = ""
  var exitCode: Int32 = 0

  /// `EX_USAGE` from sysexits.h.
  static let usageExitCode: Int32 = 64

  static func failure(_ message: String, code: Int32 = 1) -> Outcome {
    Outcome(stderr: "planner: error: \(message)\n", exitCode: code)
  }
}
