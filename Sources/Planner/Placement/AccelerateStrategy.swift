/// accelerate's `device_map="sequential" | "balanced" | "balanced_low_0"`, exactly.
///
/// Sizes are accelerate's for the float dtypes (a float tensor at `min(dtype, own width)`), and
/// the planner's own for the weight-only quantized dtypes (accelerate's are the quantizer's).
struct AccelerateStrategy {
  var strategy: Strategy

  func place(_ problem: PlacementProblem) -> Placement { place(problem, sizes: Self.moduleSizes(problem)) }

  /// The module sizes the placement weighs, and their keys in accelerate's order: they depend on
  /// the model and the dtypes only, so a caller placing the same model under other budgets may
  /// keep them.
  static func moduleSizes(_ problem: PlacementProblem) -> (sizes: Accelerate.ModuleSizes, order: [String]) {
    let model = problem.model
    let weight = problem.memory.weightDType
    let compute = problem.memory.computeDType
    return Accelerate.moduleSizesInOrder(of: model.root, tied: model.tiedParameters) { tensor in
      weight.isQuantized
        ? tensor.bytes(weight: weight, compute: compute) : Accelerate.acceleratorBytes(tensor, dtype: weight)
    }
  }

  /// Places the problem's model with its ``moduleSizes(_:)``.
  func place(_ problem: PlacementProblem, sizes known: (sizes: Accelerate.ModuleSizes, order: [String]))
    -> Placement
  {
    let model = problem.model
    let (sizes, order) = known
    var budgets = problem.accelerateMaxMemory
    if strategy != .sequential {
      budgets = Accelerate.balancedMemory(
        root: model.root, tied: model.tiedParameters, sizes: sizes, maxMemory: budgets,
        noSplit: model.noSplitModuleClasses, userSet: problem.userMaxMemory != nil,
        lowZero: strategy == .balancedLow0, order: order)
    }
    let map = Accelerate.inferAutoDeviceMap(
      root: model.root, tied: model.tiedParameters, sizes: sizes, maxMemory: budgets,
      noSplit: model.noSplitModuleClasses)
    return Placement(deviceMap: map, budgets: budgets)
  }
}
