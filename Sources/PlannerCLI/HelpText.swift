/// `planner --help`: the usage lines, then every option of ``OptionSpec/all`` by group, with all
/// its spellings.
enum HelpText {
  /// The column where descriptions start.
  static let column = 26

  static let text: String = {
    var lines = [
      "planner: where each layer of a model goes on your GPUs, and whether it fits.",
      "",
      "Usage:",
      "  planner --gpus LIST --model NAME [options]",
      "  planner gpus            list the GPUs the planner knows (--format table or json)",
      "  planner models          list the models the planner knows (--format table or json)",
      "  planner benchmark       time the planner itself (build with -c release); with",
      "                          --model DIR, also the import of that directory",
    ]
    for group in OptionSpec.Group.allCases {
      lines += ["", group.heading]
      for spec in OptionSpec.all where spec.group == group { lines += entry(spec) }
      lines += group.note.map { "  " + $0 }
    }
    lines += ["", "Exit status: 0 planned and fits; 1 does not fit or cannot plan; 64 usage error."]
    return lines.joined(separator: "\n") + "\n"
  }()

  /// `  --batch N               sequences in flight (default 1)`; a label too long for the column
  /// puts the description on the next line.
  static func entry(_ spec: OptionSpec) -> [String] {
    var help = spec.help
    if spec.kind == .repeatable, let last = help.popLast() { help.append(last + "; repeatable") }
    let indent = String(repeating: " ", count: column)
    let label = "  " + spec.label
    guard label.count <= column - 2 else { return [label] + help.map { indent + $0 } }
    let first = label + String(repeating: " ", count: column - label.count) + (help.first ?? "")
    return [first] + help.dropFirst().map { indent + $0 }
  }
}
