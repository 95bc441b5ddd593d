/// Name matching for catalogs: people type `RTX-4090`, `rtx4090` or `4090`, `MiniCPM-V-2_6` or
/// `minicpm-v-2.6`. Matching ignores case and every character that is not a letter or a digit.
public enum NameMatching {
  /// Lowercased, letters and digits only.
  public static func normalized(_ name: String) -> String {
    String(
      name.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) }.map(
        Character.init))
  }

  /// ``normalized(_:)`` with every occurrence of the given words removed: with the GPU vendor
  /// words, `NVIDIA GeForce RTX 4090`, `rtx-4090` and `4090` are all `4090`.
  ///
  /// - Parameter words: lowercased letters and digits, removed longest first.
  public static func normalized(_ name: String, ignoring words: [String]) -> String {
    var key = Array(normalized(name))
    for word in words.sorted(by: { $0.count > $1.count }).map(Array.init) where !word.isEmpty {
      var kept: [Character] = []
      var position = 0
      while position < key.count {
        if key[position...].starts(with: word) {
          position += word.count
        } else {
          kept.append(key[position])
          position += 1
        }
      }
      key = kept
    }
    return String(key)
  }

  /// Up to three canonical names whose spellings are closest to `name` by edit distance (ties
  /// broken by catalog order), for "did you mean" hints.
  ///
  /// - Parameter among: each candidate's canonical name and all its spellings.
  /// - Complexity: O(*k* · *m* · *n*) for *k* spellings of length *m* and a query of length *n*.
  static func closest(to name: String, among candidates: [(name: String, spellings: [String])]) -> [String] {
    closest(to: name, among: candidates, ignoring: [], closeOnly: false, preferSharedPrefix: false)
  }

  /// Up to three canonical names whose spellings are closest to `name`, compared after removing
  /// `words` (vendor words such as `nvidia`, `rtx`), by edit distance; ties go to the spelling that
  /// shares the longer prefix with the query (where `preferSharedPrefix`), then to catalog order.
  ///
  /// - Parameters:
  ///   - ignoring: words removed from both sides before comparing (see ``normalized(_:ignoring:)``).
  ///   - closeOnly: keep only names that differ in at most half the characters of the longer
  ///     spelling (at least 2), so that `MI300X` is not offered `P100`; the result may be empty.
  /// - Complexity: O(*k* · *m* · *n*) for *k* spellings of length *m* and a query of length *n*.
  static func closest(
    to name: String, among candidates: [(name: String, spellings: [String])], ignoring words: [String],
    closeOnly: Bool, preferSharedPrefix: Bool = true
  ) -> [String] {
    let query = Array(normalized(String(name.prefix(maximumQueryLength)), ignoring: words))
    var scored: [(score: Int, prefix: Int, index: Int, name: String)] = []
    for (index, candidate) in candidates.enumerated() {
      var best: (score: Int, prefix: Int)?
      for spelling in candidate.spellings {
        let key = Array(normalized(spelling, ignoring: words))
        let score = editDistance(query, key)
        if closeOnly && score > max(2, max(query.count, key.count) / 2) { continue }
        let prefix = preferSharedPrefix ? commonPrefixLength(query, key) : 0
        if best.map({ (score, -prefix) < ($0.score, -$0.prefix) }) ?? true { best = (score, prefix) }
      }
      if let best { scored.append((best.score, best.prefix, index, candidate.name)) }
    }
    return scored.sorted { ($0.score, -$0.prefix, $0.index) < ($1.score, -$1.prefix, $1.index) }.prefix(3)
      .map(
        \.name)
  }

  /// Characters two keys share at their start.
  static func commonPrefixLength(_ a: [Character], _ b: [Character]) -> Int {
    zip(a, b).prefix { $0 == $1 }.count
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
