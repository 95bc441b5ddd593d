import Foundation

/// A mutable module tree with indexed children, for editing a ``Module`` tensor by tensor.
final class ModuleNode {
  let name: String
  var className: String
  var parameters: [Tensor]
  var buffers: [Tensor]
  var children: [ModuleNode] = []
  var childIndex: [String: Int] = [:]
  /// Where each direct tensor is: in `buffers` or `parameters`, at which index.
  var tensorIndex: [String: (isBuffer: Bool, index: Int)] = [:]
  /// Whether this module or a descendant holds a stored tensor.
  var holdsCheckpoint = false
  /// Children the builder gave the module (0 for a leaf or an opaque placeholder).
  var builtChildCount = 0
  /// Local names of this module's tensors that the headers gave.
  var seen = Set<String>()

  init(name: String, className: String, parameters: [Tensor] = [], buffers: [Tensor] = []) {
    self.name = name
    self.className = className
    self.parameters = parameters
    self.buffers = buffers
    for (index, tensor) in buffers.enumerated() { tensorIndex[tensor.name] = (true, index) }
    for (index, tensor) in parameters.enumerated() { tensorIndex[tensor.name] = (false, index) }
  }

  convenience init(_ module: Module) {
    self.init(
      name: module.name, className: module.className, parameters: module.parameters, buffers: module.buffers)
    for child in module.children { append(ModuleNode(child)) }
    builtChildCount = module.children.count
  }

  func append(_ child: ModuleNode) {
    if childIndex[child.name] == nil { childIndex[child.name] = children.count }
    children.append(child)
  }

  /// The child of that name, created (class `ImportedModule`) where absent.
  func child(_ name: String) -> ModuleNode {
    if let index = childIndex[name] { return children[index] }
    let node = ModuleNode(name: name, className: "ImportedModule")
    append(node)
    return node
  }

  /// Gives a direct tensor the stored shape and dtype, adding it as a parameter where the module
  /// has no tensor of that name.
  ///
  /// - Returns: whether the tensor is new to the module.
  func store(
    _ stored: SafetensorsTensor, named name: String, quantizable: Bool,
    role: CheckpointImporter.QuantizedRole? = nil
  ) -> Bool {
    seen.insert(name)
    func update(_ tensor: inout Tensor) {
      tensor.shape = stored.shape
      tensor.bits = stored.dtype.bits
      tensor.isFloatingPoint = stored.dtype.isFloatingPoint
      tensor.isQuantizable = tensor.isQuantizable && stored.dtype.isFloatingPoint
      tensor.isPersistent = true
      if let role { CheckpointImporter.apply(role, to: &tensor, stored: stored) }
    }
    switch tensorIndex[name] {
    case (false, let index)?: update(&parameters[index])
    case (true, let index)?: update(&buffers[index])
    case nil:
      tensorIndex[name] = (false, parameters.count)
      var tensor = CheckpointImporter.makeTensor(name, stored, quantizable: quantizable)
      if let role { CheckpointImporter.apply(role, to: &tensor, stored: stored) }
      parameters.append(tensor)
      return true
    }
    return false
  }

  /// Keeps, edits or drops every parameter: `decide(fullName, tensor, module)` returns the tensor
  /// to keep, or `nil` to drop it. Buffers are offered too.
  func prune(prefix: String, _ decide: (String, Tensor, ModuleNode) -> Tensor?) {
    let dot = prefix.isEmpty ? "" : prefix + "."
    parameters = parameters.compactMap { decide(dot + $0.name, $0, self) }
    buffers = buffers.compactMap { decide(dot + $0.name, $0, self) }
    for child in children { child.prune(prefix: dot + child.name, decide) }
  }

  /// The value tree.
  var module: Module {
    Module(name, className, parameters: parameters, buffers: buffers, children: children.map(\.module))
  }
}
