/// The GPUs of a plan and the links between them.
///
/// Links are inferred per pair (``Link/between(_:_:)``) unless `--link` says otherwise, for all
/// pairs (`--link pcie`) or for some (`--link 0-1:nvlink,2-3:host`).
public struct Topology: Sendable, Hashable {
  public var gpus: [GPU]
  /// Overrides: a kind for every pair (`all`), or for given unordered pairs.
  public var all: Link.Kind?
  public var pairs: [Pair: Link.Kind]

  public struct Pair: Sendable, Hashable {
    public var a: Int
    public var b: Int
    public init(_ x: Int, _ y: Int) { (a, b) = (min(x, y), max(x, y)) }
  }

  public init(gpus: [GPU], all: Link.Kind? = nil, pairs: [Pair: Link.Kind] = [:]) {
    self.gpus = gpus
    self.all = all
    self.pairs = pairs
  }

  /// The link a hop from GPU `from` to GPU `to` uses.
  public func link(from: Int, to: Int) -> Link {
    if let kind = pairs[Pair(from, to)] ?? all { return Link.make(kind, between: gpus[from], gpus[to]) }
    return Link.between(gpus[from], gpus[to])
  }

  public struct ParseError: Error, Equatable, CustomStringConvertible {
    public var description: String
  }

  /// Parses a `--link` value for `count` GPUs: a kind, or `I-J:KIND` items separated by commas.
  ///
  /// - Complexity: O(*t*) in the text's length.
  public static func overrides(parsing text: String, gpuCount count: Int) throws(ParseError) -> (
    all: Link.Kind?, pairs: [Pair: Link.Kind]
  ) {
    let kinds = Link.Kind.allCases.map(\.rawValue).joined(separator: ", ")
    if let kind = Link.Kind(rawValue: text.lowercased()) { return (kind, [:]) }
    var pairs: [Pair: Link.Kind] = [:]
    for item in text.split(separator: ",", omittingEmptySubsequences: false) {
      let parts = item.split(separator: ":", omittingEmptySubsequences: false)
      let ends = parts.first?.split(separator: "-", omittingEmptySubsequences: false) ?? []
      guard parts.count == 2, ends.count == 2, let x = Int(ends[0]), let y = Int(ends[1]),
        ends.allSatisfy({ $0.allSatisfy(\.isNumber) }), let kind = Link.Kind(rawValue: parts[1].lowercased())
      else {
        throw ParseError(
          description: "'\(EchoedValue(item))' is not I-J:KIND (for example 0-1:nvlink; kinds: \(kinds))")
      }
      guard x != y else {
        throw ParseError(description: "'\(EchoedValue(item))' links GPU \(x) to itself: name two GPUs")
      }
      guard (0..<count).contains(x), (0..<count).contains(y) else {
        throw ParseError(description: "'\(EchoedValue(item))' names GPUs outside 0 to \(count - 1)")
      }
      pairs[Pair(x, y)] = kind
    }
    return (nil, pairs)
  }
}
