/// Name matching for catalogs: people type `RTX-4090`, `rtx4090` or `4090`, `MiniCPM-V-2_6` or
/// `minicpm-v-2.6`. Matching ignores case and every character that is not a letter or a digit.
public enum NameMatching {
  /// Lowercased, letters and digits only.
  public static func normalized(_ name: String) -> String {
    String(
      name.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) }.map(
        Character.init))
  }

  /// Up to three canonical names whose spellings are closest to `name` by edit distance (ties
  /// broken by catalog order), for "did you mean" hints.
  ///
  /// - Parameter among: each candidate's canonical name and all its spellings.
  /// - Complexity: O(*k* · *m* · *n*) for *k* spellings of length *m* and a query of length *n*.
  static func closest(to name: String, among candidates: [(name: String, spellings: [String])]) -> [String] {
    let query = Array(normalized(String(name.prefix(maximumQueryLength))))
    let scored = candidates.enumerated().map { index, candidate in
      let best = candidate.spellings.map { editDistance(query, Array(normalized($0))) }.min() ?? .max
      return (score: best, index: index, name: candidate.name)
    }
    return scored.sorted { ($0.score, $0.index) < ($1.score, $1.index) }.prefix(3).map(\.name)
  }

  /// Longest stretch of a query compared: catalog names and aliases are under 64 characters
  /// (custom GPU names are bounded so), so a longer query is no closer to any, and its cost would
  /// grow with its length.
  static let maximumQueryLength = 64

  /// Levenshtein distance between two character arrays.
  public static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    var previous = Array(0...b.count)
    for (i, x) in a.enumerated() {
      var current = [i + 1]
      for (j, y) in b.enumerated() {
        current.append(Swift.min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
      }
      previous = current
    }
    return previous[b.count]
  }
}
