/// Parses `--gpus` lists: `2xP4,1xT4`, `4090,3090`, `8xA100-80G`, `2 x P4`, `P4x2`, `2*P4`.
///
/// Each comma-separated item is `COUNTxNAME`, `NAMExCOUNT` (`x`, `X`, `*` or `×`, spaces allowed
/// around it) or `NAME` (a count of 1); the order given is the device index order. Names match
/// the catalog (and any custom GPUs) ignoring case and punctuation, and failing that ignoring the
/// vendor words too (``vendorWords``: `NVIDIA GeForce RTX 4080` is `4080`).
public enum GPUList {
  /// Why a `--gpus` value was refused: one line naming the bad item and the fix.
  public struct ParseError: Error, Equatable, CustomStringConvertible {
    public var description: String
  }

  /// The most GPUs of one kind in a list: far beyond any one host, small enough that sizes and
  /// loops stay cheap.
  public static let maximumCount = 1024

  /// The GPUs of a list, in device index order.
  ///
  /// - Parameters:
  ///   - text: the `--gpus` value.
  ///   - catalog: the GPUs that names may refer to (the catalog plus custom specs).
  /// - Complexity: O(*n* · *c*) for *n* items and *c* catalog entries.
  public static func parse(_ text: String, catalog: [GPU] = GPUCatalog.all) throws(ParseError) -> [GPU] {
    var gpus: [GPU] = []
    for item in text.split(separator: ",", omittingEmptySubsequences: false) {
      let item = item.trimmingSpaces
      guard !item.isEmpty else {
        throw ParseError(
          description:
            "empty item in --gpus '\(EchoedValue(text))': write COUNTxNAME items separated by commas (2xP4,1xT4)"
        )
      }
      let (count, name) = try countAndName(of: item, catalog: catalog)
      guard let gpu = lookup(name, in: catalog) else {
        let closest = closestNames(to: name, in: catalog)
        let hint =
          closest.isEmpty ? "no known GPU is close" : "closest known: " + closest.joined(separator: ", ")
        throw ParseError(
          description:
            "unknown GPU '\(EchoedValue(name))'; \(hint) (planner gpus lists them all, --gpu-spec adds one)"
        )
      }
      gpus += Array(repeating: gpu, count: count)
    }
    guard gpus.count <= maximumCount else {
      throw ParseError(description: "--gpus lists \(gpus.count) GPUs; at most \(maximumCount) are supported")
    }
    return gpus
  }

  /// Words of product names that do not tell cards apart (`NVIDIA`, `Tesla`, `GeForce`, `RTX`,
  /// `AMD Instinct`...): removed before the second lookup and before ranking suggestions.
  public static let vendorWords = [
    "nvidia", "geforce", "tesla", "quadro", "rtx", "gtx", "amd", "instinct", "radeon", "graphics",
  ]

  /// Separators between a count and a name: `2xP4`, `2*P4`, `2×P4`.
  static let countSeparators: Set<Character> = ["x", "X", "*", "×"]

  /// The count and the name of one `--gpus` item.
  ///
  /// A whole item that names a GPU is that GPU once (so `RTX 4090` is not 4090 `RT`s); else a
  /// leading `COUNT x` is a count (and must be valid); else a trailing `x COUNT` after a known name.
  static func countAndName(of item: String, catalog: [GPU]) throws(ParseError) -> (count: Int, name: String) {
    if lookup(item, in: catalog) != nil { return (1, item) }
    let characters = Array(item)
    // Leading count: signs and digits, optional spaces, a separator.
    var leading: (countText: String, name: String)?
    var end = 0
    while end < characters.count, characters[end].isNumber || characters[end] == "-" || characters[end] == "+"
    {
      end += 1
    }
    var separator = end
    while separator < characters.count, characters[separator] == " " { separator += 1 }
    if end > 0, separator < characters.count, countSeparators.contains(characters[separator]) {
      leading = (String(characters[..<end]), Substring(characters[(separator + 1)...]).trimmingSpaces)
    }
    if let leading, lookup(leading.name, in: catalog) != nil {
      return (try parseCount(leading.countText, item: item), leading.name)
    }
    // Trailing count: a known name, optional spaces, a separator, optional spaces, digits.
    var start = characters.count
    while start > 0, characters[start - 1].isNumber { start -= 1 }
    var cut = start
    while cut > 0, characters[cut - 1] == " " { cut -= 1 }
    if start < characters.count, cut > 0, countSeparators.contains(characters[cut - 1]) {
      let name = Substring(characters[..<(cut - 1)]).trimmingSpaces
      if lookup(name, in: catalog) != nil {
        return (try parseCount(String(characters[start...]), item: item), name)
      }
    }
    guard let leading else { return (1, item) }
    let count = try parseCount(leading.countText, item: item)
    guard !leading.name.isEmpty else {
      throw ParseError(
        description:
          "missing GPU name after '\(EchoedValue(leading.countText))x' in --gpus (for example \(count)xT4)")
    }
    return (count, leading.name)
  }

  /// A count from 1 to ``maximumCount``, digits only.
  static func parseCount(_ countText: String, item: String) throws(ParseError) -> Int {
    guard let parsed = Int(countText), parsed >= 1, parsed <= maximumCount, countText.allSatisfy(\.isNumber)
    else {
      throw ParseError(
        description:
          "bad GPU count '\(EchoedValue(countText))' in '\(EchoedValue(item))': use a whole number from 1 to \(maximumCount)"
      )
    }
    return parsed
  }

  /// The GPU whose name or alias matches `name`, ignoring case and punctuation; failing that, the
  /// only GPU whose name or alias matches it with the ``vendorWords`` removed as well.
  public static func lookup(_ name: String, in catalog: [GPU] = GPUCatalog.all) -> GPU? {
    let key = NameMatching.normalized(name)
    guard !key.isEmpty else { return nil }
    // The catalog's spellings are normalised once.
    if catalog == GPUCatalog.all, let position = catalogIndex[key] { return GPUCatalog.all[position] }
    if catalog != GPUCatalog.all,
      let gpu = catalog.first(where: { gpu in
        ([gpu.name] + gpu.aliases).contains { NameMatching.normalized($0) == key }
      })
    {
      return gpu
    }
    let bare = NameMatching.normalized(name, ignoring: vendorWords)
    guard !bare.isEmpty else { return nil }
    let matches = catalog.filter { gpu in
      ([gpu.name] + gpu.aliases).contains { NameMatching.normalized($0, ignoring: vendorWords) == bare }
    }
    guard let first = matches.first, matches.allSatisfy({ $0.name == first.name }) else { return nil }
    return first
  }

  /// Normalised name or alias to position in ``GPUCatalog/all`` (the first GPU wins).
  static let catalogIndex: [String: Int] = {
    var index: [String: Int] = [:]
    for (position, gpu) in GPUCatalog.all.enumerated() {
      for spelling in [gpu.name] + gpu.aliases where index[NameMatching.normalized(spelling)] == nil {
        index[NameMatching.normalized(spelling)] = position
      }
    }
    return index
  }()

  /// Up to three canonical names closest to `name`, compared without the ``vendorWords``; only
  /// names that are close (the list may be empty: `MI300X` is offered no `P100`).
  public static func closestNames(to name: String, in catalog: [GPU] = GPUCatalog.all) -> [String] {
    NameMatching.closest(
      to: name, among: catalog.map { ($0.name, [$0.name] + $0.aliases) }, ignoring: vendorWords,
      closeOnly: true)
  }

  /// Consecutive runs of one GPU model, in index order: `[P4, P4, T4]` is `[(P4, 2), (T4, 1)]`.
  public static func runs(_ gpus: [GPU]) -> [(gpu: GPU, count: Int)] {
    var runs: [(gpu: GPU, count: Int)] = []
    for gpu in gpus {
      if let last = runs.last, last.gpu.name == gpu.name {
        runs[runs.count - 1].count += 1
      } else {
        runs.append((gpu, 1))
      }
    }
    return runs
  }
}
