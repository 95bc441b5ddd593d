/// The execution chain as placement units: every layer not pinned to another, each carrying the
/// layers pinned to it (a tied LM head rides with its embedding).
///
/// Strategies place units in contiguous ranges; ``deviceMap(_:)`` turns a device per unit back
/// into a `device_map` over every layer.
struct ChainUnits {
  /// Indices into the model's layers of the unpinned layers, in chain order.
  let anchors: [Int]
  /// For each unit, its anchor and the layers pinned to it.
  let members: [[Int]]
  let layers: [Layer]

  init(_ model: ModelGraph) {
    let layers = model.layers
    let anchors = layers.indices.filter { layers[$0].pinnedTo == nil }
    var members = anchors.map { [$0] }
    for (index, layer) in layers.enumerated() {
      if let anchor = layer.pinnedTo, let unit = anchors.firstIndex(where: { layers[$0].module == anchor }) {
        members[unit].append(index)
      }
    }
    self.layers = layers
    self.anchors = anchors
    self.members = members
  }

  var count: Int { anchors.count }

  /// Memory terms of each unit: weights plus KV cache, largest transient, and whether it runs
  /// text layers (so that the residual stream is held where it runs).
  func memoryTerms(_ memory: MemoryModel) -> [(fixed: Int64, transient: Int64, runsText: Bool)] {
    members.map { group in
      (
        fixed: group.reduce(ByteCount.zero) {
          $0 + memory.weights(of: layers[$1]) + memory.kvCache(of: layers[$1])
        }.value,
        transient: group.map { memory.transient(of: layers[$0]).value }.max() ?? 0,
        runsText: group.contains { layers[$0].stream == .text && layers[$0].kind != .rotary }
      )
    }
  }

  /// The `device_map` for a device per unit: every layer, in chain order, on its unit's device.
  func deviceMap(_ deviceOfUnit: [Device]) -> [(module: String, device: Device)] {
    var device = [Device](repeating: .gpu(0), count: layers.count)
    for (unit, group) in members.enumerated() {
      for index in group { device[index] = deviceOfUnit[unit] }
    }
    return layers.indices.map { (layers[$0].module, device[$0]) }
  }
}
