/// The planner's one contiguous-partition dynamic programme, behind a stage-cost function: `n`
/// chain items over stages taken in order, every stage a non-empty contiguous range, minimising
/// the stages' values combined by sum (the time of one pass through all stages) or by max (the
/// slowest stage), with a secondary key combined by max to break ties (the fullest GPU). Every
/// runtime's partition is this DP with its own ``StageCost``: the device map's over an order of
/// GPUs (``ChainPartition``), an engine's over its tensor-parallel groups (``ServingSearch``).
///
/// Row `j`, column `i` of the table holds the best value of items `0..<i` in exactly `j` stages,
/// so one fill answers every stage count at once. Rows depend only on the stages before them: a
/// caller that changes only later stages refills from the first changed row
/// (``fill(rows:cost:abandon:)``).
///
/// Two values tie when they differ by at most `tolerance` relatively; among ties the smaller
/// secondary key wins, then the earlier cut (the first found). The value is exact for both
/// combinations, the secondary key for sums only: under a max, a prefix slower than another but
/// with an emptier GPU is dropped even where the stage after it is slower than both
/// (`StagePartitionTests` checks both against brute force).
///
/// - Complexity: O(*s* · *n* · *r*) stage-cost extensions for *s* stages, *n* items and ranges of
///   at most *r* items (a stage stops growing when its cost says no longer range is feasible).
final class StagePartition {
  enum Combine { case sum, max }

  let items: Int
  let combine: Combine
  let tolerance: Double
  /// `(stages + 1) × (items + 1)`, row-major.
  private(set) var value: [Double]
  private(set) var secondary: [Double]
  /// The first item of the last stage along the best path to each cell (-1: unreachable).
  private(set) var start: [Int]
  /// Rows `0...filledRows` hold values.
  private(set) var filledRows = 0

  init(items: Int, stages: Int, combine: Combine, tolerance: Double = 0) {
    self.items = items
    self.combine = combine
    self.tolerance = tolerance
    let cells = (stages + 1) * (items + 1)
    value = [Double](repeating: .infinity, count: cells)
    secondary = [Double](repeating: .infinity, count: cells)
    start = [Int](repeating: -1, count: cells)
    // No stage yet: nothing for a sum, below every value for a max (values may be negative).
    value[0] = combine == .sum ? 0 : -.infinity
    secondary[0] = 0
  }

  var width: Int { items + 1 }

  /// The best value of items `0..<i` in exactly `stages` stages (infinity where unreachable).
  func value(stages: Int, items i: Int) -> Double { value[stages * width + i] }
  func secondary(stages: Int, items i: Int) -> Double { secondary[stages * width + i] }

  /// Fills rows `rows.lowerBound + 1 ... rows.upperBound` from row `rows.lowerBound` (which must
  /// be filled): stage `j` (0-based) makes row `j + 1`. After each row, `abandon(j + 1)` may stop
  /// the fill (no completion can win); returns the last row filled.
  /// Where `everyStageUsed`, only the last row's stage count is wanted: a stage leaves at least one
  /// item for each stage after it, and no longer range is scanned.
  /// `skip(j, a, value)` may say that no completion of the cell (row `j`, item `a`, its value)
  /// can matter (it can reach no full plan, or none that could win or tie): no stage starts there.
  /// A cell on a path that can matter must never be skipped; then every such cell's value, key and
  /// start are what the full fill gives.
  @discardableResult
  func fill<Cost: StageCost>(
    rows: ClosedRange<Int>, cost: inout Cost, everyStageUsed: Bool = false,
    skip: ((Int, Int, Double) -> Bool)? = nil, abandon: (Int) -> Bool = { _ in false }
  )
    -> Int
  {
    let n = items
    let width = self.width
    // The tables as locals for the loops (a class's stored arrays pay an access check per use).
    var value = self.value
    var secondary = self.secondary
    var start = self.start
    (self.value, self.secondary, self.start) = ([], [], [])
    defer { (self.value, self.secondary, self.start) = (value, secondary, start) }
    for cell in ((rows.lowerBound + 1) * width)..<((rows.upperBound + 1) * width) {
      value[cell] = .infinity
      secondary[cell] = .infinity
      start[cell] = -1
    }
    let tolerance = self.tolerance
    let combine = self.combine
    var filled = rows.lowerBound
    for j in rows.lowerBound..<rows.upperBound {
      let row = j * width
      let next = row + width
      for a in 0..<n where value[row + a] < .infinity {
        let previous = value[row + a]
        let previousKey = secondary[row + a]
        // The last item this stage may take: all of them, or one less per stage still to come.
        let end = everyStageUsed ? n - (rows.upperBound - j - 1) : n
        guard a < end else { continue }
        if let skip, skip(j, a, previous) { continue }
        cost.begin(stage: j, start: a)
        for i in a..<end {
          guard let (stage, key) = cost.extend(to: i) else { break }
          let candidate =
            switch combine {
            case .sum: previous + stage
            case .max: Swift.max(previous, stage)
            }
          let combinedKey = Swift.max(previousKey, key)
          let cell = next + i + 1
          let best = value[cell]
          if candidate < best * (1 - tolerance)
            || (candidate <= best * (1 + tolerance) && combinedKey < secondary[cell])
          {
            value[cell] = candidate
            secondary[cell] = combinedKey
            start[cell] = a
          }
        }
      }
      filled = j + 1
      filledRows = filled
      // The caller reads the row it judges through ``value(stages:items:)``.
      (self.value, self.secondary, self.start) = (value, secondary, start)
      let stop = abandon(j + 1)
      (self.value, self.secondary, self.start) = ([], [], [])
      if stop { break }
    }
    filledRows = filled
    return filled
  }

  /// The stage (0-based) that holds `item` on the best path to all items in `stages` stages, without
  /// building the ranges.
  func stage(holding item: Int, stages: Int) -> Int? {
    var end = items
    for j in stride(from: stages, to: 0, by: -1) {
      let first = start[j * width + end]
      guard first >= 0 else { return nil }
      if first <= item && item < end { return j - 1 }
      end = first
    }
    return nil
  }

  /// The ranges of the best path to items `0..<n` in exactly `stages` stages, first stage first.
  func ranges(stages: Int) -> [Range<Int>] {
    var bounds = [items]
    for j in stride(from: stages, to: 0, by: -1) { bounds.insert(start[j * width + bounds[0]], at: 0) }
    return (0..<stages).map { bounds[$0]..<bounds[$0 + 1] }
  }
  /// Whether items `0..<items` split into exactly `stages` non-empty contiguous ranges, stage `s`
  /// (0-based, in order) over a range `a..<b` that `admits(s, a, b)` accepts. `admits` must accept
  /// every non-empty sub-range of a range it accepts (a stage's memory and time only grow with its
  /// range), so that each start's longest admitted range is found by one pointer moving forward.
  ///
  /// With a threshold in `admits` this finds the best bottleneck value by bisection, or a bound on it
  /// that lets ``fill(rows:cost:everyStageUsed:abandon:)`` stop every range early.
  ///
  /// - Complexity: O(*s* · *n*) calls of `admits` for *s* stages and *n* items.
  static func covers(items n: Int, stages: Int, admits: (Int, Int, Int) -> Bool) -> Bool {
    guard stages >= 1 && n >= stages else { return false }
    // reachable[i]: items 0..<i split into the stages so far.
    var reachable = [Bool](repeating: false, count: n + 1)
    reachable[0] = true
    var marks = [Int](repeating: 0, count: n + 2)
    for s in 0..<stages {
      for i in marks.indices { marks[i] = 0 }
      // Invariant: `end` > a implies a..<end is admitted (it was, from an earlier start, and this
      // one is a sub-range of it).
      var end = 0
      var any = false
      for a in 0..<n where reachable[a] {
        end = Swift.max(end, a)
        while end < n && admits(s, a, end + 1) { end += 1 }
        if end > a {
          marks[a + 1] += 1
          marks[end + 1] -= 1
          any = true
        }
      }
      guard any else { return false }
      var open = 0
      for i in 0...n {
        open += marks[i]
        reachable[i] = open > 0
      }
    }
    return reachable[n]
  }
}
