/// The KV blocks one stage of a vLLM layout keeps over any range of decoder layers, in O(1) a range.
extension ServingSearch {
  /// The KV blocks of stage `s` over decoder layers `a..<b`, as ``VLLMMemory/rank(gpu:tp:contents:)``
  /// counts them for the stage's contents (`contents(s, a..<b)`), without summing the range: the
  /// contents come from prefix sums of the layers' weights and KV bytes and a sparse table of their
  /// widest transients, and `rank` counts them (O(1), but for the vision tower's peak on the first
  /// stage of a model with one: O(its layers)).
  ///
  /// Where a sum of the model's sizes would saturate (hostile sizes), or the decoder layers differ
  /// in what they run, each range is summed layer by layer and counted by `rank`, as before.
  ///
  /// - Complexity: O(*n* log *n* + *s*) to build for *n* decoder layers and *s* stages; O(1) a
  ///   range (see above).
  struct StageMemory {
    let memory: VLLMMemory
    let tp: Int
    let stages: Int
    let cards: [GPU]
    let leading: VLLMMemory.Contents
    let trailing: VLLMMemory.Contents
    let decoders: [VLLMMemory.Contents]
    /// Whether the prefix sums are exact (else every range is summed).
    let isExact: Bool
    /// Whether a stage's blocks only shrink as its range grows: every decoder layer holds KV cache.
    let isMonotone: Bool
    /// Weights and KV bytes per token of decoder layers `0..<i` at `[i]`.
    let weightPrefix: [Int64]
    let kvPrefix: [Int64]
    /// The distinct widest transients of the decoder layers, ascending; each layer's index into them,
    /// and the largest index over `i..<i + 2^k` at `[k × n + i]` (a sparse table).
    let widths: [Int64]
    let widthTable: [Int]
    /// Per stage: what it holds besides its decoder layers' sizes (flags, the fixed layers' widest
    /// transient; weights and KV bytes zero where the prefix sums add them).
    let fixed: [VLLMMemory.Contents]
    /// `rank`'s KV memory with no weights at `[s × widths + w]`, and whether it stays so with any
    /// weights: `rank` subtracts the weights among non-negative terms, so with weights `W` it leaves
    /// `base - W` (saturating, in any order), or `base` where a fixed KV cache size replaces it.
    let base: [Int64]
    let isFixed: [Bool]

    init(
      memory: VLLMMemory, tp: Int, cards: [GPU], leading: VLLMMemory.Contents, trailing: VLLMMemory.Contents,
      decoders: [VLLMMemory.Contents]
    ) {
      self.memory = memory
      self.tp = tp
      self.stages = cards.count
      self.cards = cards
      self.leading = leading
      self.trailing = trailing
      self.decoders = decoders
      var exact = true
      var weights: [Int64] = [0]
      var kv: [Int64] = [0]
      weights.reserveCapacity(decoders.count + 1)
      kv.reserveCapacity(decoders.count + 1)
      for layer in decoders {
        let (w, wOverflow) = weights.last!.addingReportingOverflow(layer.weights)
        let (k, kOverflow) = kv.last!.addingReportingOverflow(layer.kvBytesPerToken)
        if wOverflow || kOverflow || layer.weights < 0 || layer.kvBytesPerToken < 0
          || layer.widestTransient < 0
        {
          exact = false
        }
        weights.append(w)
        kv.append(k)
      }
      // The whole model on one stage must not saturate either: then no range's sum does.
      for part in [leading, trailing] {
        if part.weights < 0 || part.kvBytesPerToken < 0 || part.widestTransient < 0 { exact = false }
      }
      if exact {
        let w = weights.last!.addingReportingOverflow(leading.weights)
        let k = kv.last!.addingReportingOverflow(leading.kvBytesPerToken)
        if w.overflow || k.overflow || w.partialValue.addingReportingOverflow(trailing.weights).overflow
          || k.partialValue.addingReportingOverflow(trailing.kvBytesPerToken).overflow
        {
          exact = false
        }
      }
      // Every decoder layer must run the same things (text, no head, no vision tower), so that a
      // stage's flags do not depend on its range.
      if let first = decoders.first {
        for layer in decoders
        where layer.runsText != first.runsText || layer.hasHead != first.hasHead
          || layer.runsEncoder != first.runsEncoder
        {
          exact = false
        }
      }
      self.weightPrefix = weights
      self.kvPrefix = kv
      self.isMonotone = decoders.allSatisfy { $0.kvBytesPerToken > 0 }
      let widths = Array(Set(decoders.map(\.widestTransient))).sorted()
      self.widths = widths
      let index = Dictionary(uniqueKeysWithValues: widths.enumerated().map { ($0.element, $0.offset) })
      let n = decoders.count
      var table = decoders.map { index[$0.widestTransient]! }
      var span = 1
      while widths.count > 1 && 2 * span <= n {
        let previous = table.count - n
        table += (0..<n).map { $0 + span < n ? max(table[previous + $0], table[previous + $0 + span]) : 0 }
        span *= 2
      }
      self.widthTable = table
      // Each stage's flags with any range of decoder layers, and its widest transient without them.
      var fixed: [VLLMMemory.Contents] = []
      for s in 0..<cards.count {
        var stage = VLLMMemory.Contents()
        if s == 0 { stage = stage + leading }
        if s == cards.count - 1 { stage = stage + trailing }
        if let first = decoders.first {
          var flags = first
          (flags.weights, flags.kvBytesPerToken, flags.widestTransient) = (0, 0, 0)
          stage = stage + flags
        }
        fixed.append(stage)
      }
      self.fixed = fixed
      // What `rank` leaves for the KV cache with no weights, per stage and transient width, and
      // whether the weights change it (not where a fixed KV cache size replaces the figure).
      var base: [Int64] = []
      var isFixed: [Bool] = []
      for s in 0..<cards.count {
        for width in widths {
          var contents = fixed[s]
          contents.widestTransient = max(contents.widestTransient, width)
          contents.weights = 0
          let empty = memory.rank(gpu: cards[s], tp: tp, contents: contents).kvAvailable.value
          contents.weights = 1
          isFixed.append(memory.rank(gpu: cards[s], tp: tp, contents: contents).kvAvailable.value == empty)
          base.append(empty)
        }
      }
      (self.base, self.isFixed) = (base, isFixed)
      self.isExact = exact && !decoders.isEmpty
    }

    /// What one GPU of stage `s` holds over decoder layers `range`: the stage's fixed layers and the
    /// range's, added in chain order.
    func contents(_ s: Int, _ range: Range<Int>) -> VLLMMemory.Contents {
      var sum = VLLMMemory.Contents()
      if s == 0 { sum = sum + leading }
      for i in range { sum = sum + decoders[i] }
      if s == stages - 1 { sum = sum + trailing }
      return sum
    }

    /// The weight bytes one GPU of stage `s` holds with decoder layers `range`.
    func weights(_ s: Int, _ range: Range<Int>) -> Int64 {
      guard isExact && !range.isEmpty else { return contents(s, range).weights }
      var weights = weightPrefix[range.upperBound] - weightPrefix[range.lowerBound]
      if s == 0 { weights += leading.weights }
      if s == stages - 1 { weights += trailing.weights }
      return weights
    }

    /// The KV blocks of stage `s` over `range` as the partition weighs them: the blocks where the
    /// stage has memory for KV cache, else -1 minus the MiB it lacks (``ServingSearch/blocks(_:)``).
    func blocks(_ s: Int, _ range: Range<Int>) -> Int64 {
      guard isExact && !range.isEmpty else {
        return ServingSearch.blocks(memory.rank(gpu: cards[s], tp: tp, contents: contents(s, range)))
      }
      var contents = fixed[s]
      contents.weights = weightPrefix[range.upperBound] - weightPrefix[range.lowerBound]
      contents.kvBytesPerToken = kvPrefix[range.upperBound] - kvPrefix[range.lowerBound]
      if s == 0 {
        (contents.weights, contents.kvBytesPerToken) = (
          contents.weights + leading.weights, contents.kvBytesPerToken + leading.kvBytesPerToken
        )
      }
      if s == stages - 1 {
        (contents.weights, contents.kvBytesPerToken) = (
          contents.weights + trailing.weights, contents.kvBytesPerToken + trailing.kvBytesPerToken
        )
      }
      var width = 0
      if widths.count > 1 {
        let level = Int.bitWidth - 1 - range.count.leadingZeroBitCount
        let row = level * decoders.count
        width = max(widthTable[row + range.lowerBound], widthTable[row + range.upperBound - (1 << level)])
      }
      let k = s * widths.count + width
      let available = isFixed[k] ? base[k] : base[k].saturatingSubtract(contents.weights)
      // `rank`'s block size: 16 tokens of the stage's KV bytes.
      let blockBytes = Int64.saturatingProduct(contents.kvBytesPerToken, Int64(ServingConfig.blockSize))
      return ServingSearch.blocks(available: available, blockBytes: blockBytes)
    }
  }

  /// A stage's KV blocks as the partition weighs them: its blocks where it has memory for KV cache,
  /// else -1 minus the MiB it lacks (without negating Int64.min), so that a stage short of memory
  /// ranks below every stage that starts and the one that lacks less ranks higher.
  static func blocks(_ rank: RankMemory) -> Int64 {
    blocks(available: rank.kvAvailable.value, blockBytes: rank.blockBytes)
  }

  static func blocks(available: Int64, blockBytes: Int64) -> Int64 {
    available > 0 && blockBytes > 0 ? available / blockBytes : -1 + available / (1 << 20)
  }
}
