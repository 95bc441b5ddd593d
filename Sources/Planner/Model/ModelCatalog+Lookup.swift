/// Finding a catalog entry by the names people type.
extension ModelCatalog {
  /// The entry that `name` names, or `nil`.
  ///
  /// Matching ignores case and every character but letters and digits (``NameMatching``). A name
  /// or alias matches first; then the architecture is found without an organisation prefix
  /// (`Qwen/`, `meta-llama/`), a leading `Meta-` and trailing `-Instruct`, `-Chat`, `-it`, `-hf`,
  /// `-Base`, `-pt` (so `Qwen/Qwen2.5-7B-Instruct`, `qwen2.5-7b-instruct` and
  /// `Meta-Llama-3.1-8B-Instruct` all find theirs). The entry keeps the Hugging Face id the user
  /// typed (`Org/Name`) as its serving repository, so an export serves exactly those weights.
  ///
  /// - Complexity: O(*k*) for *k* spellings in the catalog. Ties: the first entry in catalog order.
  public static func entry(named name: String) -> Entry? {
    let exact = NameMatching.normalized(name)
    let architecture = architectureKey(name)
    let found =
      entries.first { entry in spellings(of: entry).contains { NameMatching.normalized($0) == exact } }
      ?? entries.first { entry in spellings(of: entry).contains { architectureKey($0) == architecture } }
    guard let found else { return nil }
    if isHubID(name) { return found.serving(repository: name) }
    // A typed name without an organisation (`qwen2.5-7b-instruct`) serves the alias it spells.
    if let alias = found.aliases.first(where: {
      $0.contains("/") && NameMatching.normalized(String($0.split(separator: "/").last ?? "")) == exact
    }) {
      return found.serving(repository: alias)
    }
    return found
  }

  /// Up to three canonical names closest to `name`, for "did you mean" hints.
  ///
  /// - Complexity: O(*k* · *m* · *n*) for *k* spellings of length *m* and a name of length *n*. Ties:
  ///   catalog order.
  public static func closestNames(to name: String) -> [String] {
    NameMatching.closest(to: name, among: entries.map { ($0.name, spellings(of: $0)) })
  }

  static func spellings(of entry: Entry) -> [String] { [entry.name] + entry.aliases }

  /// A Hugging Face id: `Org/Name`, neither part empty, not a path.
  static func isHubID(_ name: String) -> Bool {
    let parts = name.split(separator: "/", omittingEmptySubsequences: false)
    return parts.count == 2 && parts.allSatisfy { !$0.isEmpty } && !name.hasPrefix(".")
      && !name.hasPrefix("~")
  }

  /// Suffixes of a checkpoint's name that do not change its architecture.
  static let variantSuffixes: Set<String> = ["instruct", "chat", "it", "hf", "base", "pt"]

  /// The normalized name without organisation, `Meta-` and variant suffixes.
  static func architectureKey(_ name: String) -> String {
    var tokens = (name.split(separator: "/").last.map(String.init) ?? name).lowercased()
      .split(separator: "-").map(String.init)
    while tokens.count > 1, let last = tokens.last, variantSuffixes.contains(last) { tokens.removeLast() }
    if tokens.count > 1, tokens.first == "meta" { tokens.removeFirst() }
    return NameMatching.normalized(tokens.joined(separator: "-"))
  }
}
