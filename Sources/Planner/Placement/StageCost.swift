/// The cost of one stage for ``StagePartition``, scanned item by item: `begin` starts stage `stage`
/// at item `start`, `extend(to: i)` grows it to `start...i` and returns its value and secondary key,
/// or nil once neither this range nor any longer one is feasible (a stage's memory only grows).
protocol StageCost {
  mutating func begin(stage: Int, start: Int)
  mutating func extend(to last: Int) -> (value: Double, secondary: Double)?
}
