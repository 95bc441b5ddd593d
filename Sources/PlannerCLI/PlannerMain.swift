import Foundation

/// The only code that touches the process: arguments in, text and an exit status out.
@main
struct PlannerMain {
  static func main() {
    let outcome = Command.run(Array(CommandLine.arguments.dropFirst()))
    FileHandle.standardOutput.write(Data(outcome.stdout.utf8))
    FileHandle.standardError.write(Data(outcome.stderr.utf8))
    exit(outcome.exitCode)
  }
}
