/// A placement: which device each module goes to, as a `device_map`.
public struct Placement: Sendable {
  /// Module path (or `""` for the whole model) to device, in module order.
  public var deviceMap: [(module: String, device: Device)]
  /// The budgets the strategy ran with, where it used accelerate's.
  public var budgets: MaxMemory?
  /// What the strategy wants the user to know (why a GPU is left unused).
  public var notes: [String]

  /// The map's keys, for lookups.
  let index: [String: Device]

  public init(deviceMap: [(module: String, device: Device)], budgets: MaxMemory? = nil, notes: [String] = [])
  {
    self.deviceMap = deviceMap
    self.budgets = budgets
    self.notes = notes
    index = Dictionary(deviceMap.map { ($0.module, $0.device) }, uniquingKeysWith: { first, _ in first })
  }

  /// The device of every tensor of the tree, in `namedTensors()` order, resolved in one walk: a
  /// tensor goes where its nearest ancestor (or itself) has a key. The walk follows the map's
  /// keys as a trie of name components, so no full name is built.
  ///
  /// - Complexity: O(*m* + *t*) for *m* modules and *t* tensors.
  public func assign(_ root: Module) -> [Device?] {
    final class Trie {
      var device: Device?
      var children: [Substring: Trie] = [:]
    }
    let trie = Trie()
    for (module, device) in deviceMap {
      var node = trie
      if !module.isEmpty {
        for part in module.split(separator: ".") {
          if let next = node.children[part] {
            node = next
          } else {
            let next = Trie()
            node.children[part] = next
            node = next
          }
        }
      }
      if node.device == nil { node.device = device }
    }
    var parameters: [Device?] = []
    var buffers: [Device?] = []
    func walk(_ module: Module, _ node: Trie?, _ inherited: Device?) {
      let here = node?.device ?? inherited
      for tensor in module.parameters {
        parameters.append(node?.children[Substring(tensor.name)]?.device ?? here)
      }
      for tensor in module.buffers { buffers.append(node?.children[Substring(tensor.name)]?.device ?? here) }
      for child in module.children { walk(child, node?.children[Substring(child.name)], here) }
    }
    walk(root, trie, nil)
    return parameters + buffers
  }

  /// The device of a full tensor or module name: the entry whose key is the longest prefix of it
  /// (`""` covers everything); `nil` where no key covers it.
  ///
  /// - Complexity: O(*d*) dictionary lookups for a name of *d* components.
  public func device(of name: String) -> Device? {
    var prefix = Substring(name)
    while true {
      if let device = index[String(prefix)] { return device }
      guard let dot = prefix.lastIndex(of: ".") else { break }
      prefix = prefix[..<dot]
    }
    return index[""]
  }
}
