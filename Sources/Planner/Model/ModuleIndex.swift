/// Every module and direct tensor of a tree by full dotted name, built in one walk, so that
/// looking up each layer of a chain is O(1) rather than a scan of its parent's children (a
/// checkpoint with 10,000 top-level tensors would otherwise cost 10^8 comparisons).
struct ModuleIndex {
  private var modules: [String: Module] = [:]
  private var tensors: [String: Tensor] = [:]

  /// - Complexity: O(*n*) in the modules and tensors of the tree.
  init(_ root: Module) {
    var stack: [(Module, String)] = [(root, "")]
    while let (module, path) = stack.popLast() {
      // The first of duplicated names wins, as ``Module/descendant(at:)`` finds it.
      if modules[path] == nil { modules[path] = module }
      let dot = path.isEmpty ? "" : path + "."
      for tensor in module.parameters + module.buffers where tensors[dot + tensor.name] == nil {
        tensors[dot + tensor.name] = tensor
      }
      for child in module.children.reversed() { stack.append((child, dot + child.name)) }
    }
  }

  /// The module at a full dotted path, if any.
  func module(at path: String) -> Module? { modules[path] }

  /// ``Module/namedTensors(at:)`` of the root.
  func namedTensors(at path: String) -> [(name: String, tensor: Tensor)]? {
    if let module = modules[path] { return module.namedTensors(prefix: path) }
    return tensors[path].map { [(name: path, tensor: $0)] }
  }
}
