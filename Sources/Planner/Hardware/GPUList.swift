/// Parses `--gpus` lists: `2xP4,1xT4`, `4090,3090`, `8xA100-80G`.
///
/// Each comma-separated item is `COUNTxNAME` or `NAME` (a count of 1); the order given is the
/// device index order. Names match the catalog (and any custom GPUs) ignoring case and
/// punctuation.
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
      var count = 1
      var name = item
      if let x = item.firstIndex(where: { $0 == "x" || $0 == "X" }),
        item[..<x].allSatisfy({ $0.isNumber || $0 == "-" || $0 == "+" }), x != item.startIndex
      {
        let countText = String(item[..<x])
        name = String(item[item.index(after: x)...])
        guard let parsed = Int(countText), parsed >= 1, parsed <= maximumCount,
          countText.allSatisfy(\.isNumber)
        else {
          throw ParseError(
            description:
              "bad GPU count '\(EchoedValue(countText))' in '\(EchoedValue(item))': use a whole number from 1 to \(maximumCount)"
          )
        }
        count = parsed
        guard !name.isEmpty else {
          throw ParseError(
            description:
              "missing GPU name after '\(EchoedValue(countText))x' in --gpus (for example \(count)xT4)")
        }
      }
      guard let gpu = lookup(name, in: catalog) else {
        let hint = closestNames(to: name, in: catalog).joined(separator: ", ")
        throw ParseError(
          description:
            "unknown GPU '\(EchoedValue(name))'; closest known: \(hint) (planner gpus lists them all, --gpu-spec adds one)"
        )
      }
      gpus += Array(repeating: gpu, count: count)
    }
    guard gpus.count <= maximumCount else {
      throw ParseError(description: "--gpus lists \(gpus.count) GPUs; at most \(maximumCount) are supported")
    }
    return gpus
  }

  /// The GPU whose name or alias matches `name`, ignoring case and punctuation.
  public static func lookup(_ name: String, in catalog: [GPU] = GPUCatalog.all) -> GPU? {
    let key = NameMatching.normalized(name)
    guard !key.isEmpty else { return nil }
    // The catalog's spellings are normalised once.
    if catalog == GPUCatalog.all { return catalogIndex[key].map { GPUCatalog.all[$0] } }
    return catalog.first { gpu in ([gpu.name] + gpu.aliases).contains { NameMatching.normalized($0) == key } }
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

  /// Up to three canonical names closest to `name`.
  public static func closestNames(to name: String, in catalog: [GPU] = GPUCatalog.all) -> [String] {
    NameMatching.closest(to: name, among: catalog.map { ($0.name, [$0.name] + $0.aliases) })
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
