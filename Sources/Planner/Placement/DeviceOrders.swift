/// The device orders a strategy searches.
///
/// Identical cards are interchangeable, so orders are sequences of GPU *types*: with at most
/// ``exhaustiveLimit`` GPUs every distinct sequence of types (the permutations of the multiset),
/// beyond that every order of the type groups with each type's cards together (at most
/// ``groupPermutationLimit`` types; with more, the given order and the order by bandwidth).
/// Within a type, cards are taken in index order. Orders come in a fixed sequence, the given
/// order first, so ties are broken the same way every time.
enum DeviceOrders {
  static let exhaustiveLimit = 6
  static let groupPermutationLimit = 5

  /// Orders of the GPU indices `0..<gpus.count`.
  ///
  /// - Parameter keys: what makes two GPUs interchangeable (by default the model name; a caller
  ///   adds the memory cap, or makes every GPU distinct when links differ per pair).
  /// - Complexity: at most 720 orders (6 GPUs of 6 types), or 5! = 120 group orders.
  static func orders(of gpus: [GPU], keys: [String]? = nil) -> [[Int]] {
    let keys = keys ?? gpus.map(\.name)
    var typeOrder: [String] = []
    var indicesOfType: [String: [Int]] = [:]
    for (index, key) in keys.enumerated() {
      if indicesOfType[key] == nil { typeOrder.append(key) }
      indicesOfType[key, default: []].append(index)
    }
    func realise(_ types: [String]) -> [Int] {
      var next: [String: Int] = [:]
      return types.map { type in
        let position = next[type, default: 0]
        next[type] = position + 1
        return indicesOfType[type]![position]
      }
    }
    let given = keys
    var sequences: [[String]]
    if gpus.count <= exhaustiveLimit {
      sequences = multisetPermutations(given)
    } else if typeOrder.count <= groupPermutationLimit {
      sequences = multisetPermutations(typeOrder).map {
        $0.flatMap { Array(repeating: $0, count: indicesOfType[$0]!.count) }
      }
    } else {
      let byBandwidth = typeOrder.sorted {
        (gpus[indicesOfType[$0]![0]].bandwidthBytesPerSecond, $1) > (
          gpus[indicesOfType[$1]![0]].bandwidthBytesPerSecond, $0
        )
      }
      sequences = [given, byBandwidth.flatMap { Array(repeating: $0, count: indicesOfType[$0]!.count) }]
    }
    // The given order first, then the others in generation order, without repeats.
    var seen: Set<[String]> = [given]
    var result = [realise(given)]
    for sequence in sequences where seen.insert(sequence).inserted { result.append(realise(sequence)) }
    return result
  }

  /// Every distinct ordering of a multiset, in lexicographic order of first appearance.
  static func multisetPermutations(_ items: [String]) -> [[String]] {
    var counts: [(String, Int)] = []
    for item in items {
      if let i = counts.firstIndex(where: { $0.0 == item }) {
        counts[i].1 += 1
      } else {
        counts.append((item, 1))
      }
    }
    var result: [[String]] = []
    var current: [String] = []
    func extend() {
      if current.count == items.count {
        result.append(current)
        return
      }
      for i in counts.indices where counts[i].1 > 0 {
        counts[i].1 -= 1
        current.append(counts[i].0)
        extend()
        current.removeLast()
        counts[i].1 += 1
      }
    }
    extend()
    return result
  }
}
