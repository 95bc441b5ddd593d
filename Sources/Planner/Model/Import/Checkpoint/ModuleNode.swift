import Foundation

/// A mutable module tree with indexed children, for editing a ``Module`` tensor by tensor.
final class ModuleNode {
  let name: String
  var className: String
  var parameters: [Tensor]
  var buffers: [Tensor]
  var children: [ModuleNode] = []
  /// The first child of each name, built on the first lookup among more than ``scanLimit``
  /// children (most modules have a handful: a scan is cheaper than a dictionary per module).
  private var childIndex: [String: Int]?
  /// Where each direct tensor is: in `buffers` or `parameters`, at which index (the last parameter
  /// of a name, else the last buffer), built on the first lookup among more than ``scanLimit``.
  private var tensorIndex: [String: (isBuffer: Bool, index: Int)]?
  /// Children or tensors up to this many are found by scanning.
  static let scanLimit = 8
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
  }

  convenience init(_ module: Module) {
    self.init(
      name: module.name, className: module.className, parameters: module.parameters, buffers: module.buffers)
    for child in module.children { append(ModuleNode(child)) }
    builtChildCount = module.children.count
  }

  func append(_ child: ModuleNode) {
    if childIndex != nil && childIndex![child.name] == nil { childIndex![child.name] = children.count }
    children.append(child)
  }

  /// The index of the first child of that name.
  func indexOfChild(_ name: String) -> Int? {
    if children.count <= Self.scanLimit { return children.firstIndex { $0.name == name } }
    if childIndex == nil {
      var index: [String: Int] = [:]
      for (position, child) in children.enumerated() where index[child.name] == nil {
        index[child.name] = position
      }
      childIndex = index
    }
    return childIndex![name]
  }

  /// Where the direct tensor of that name is.
  func location(ofTensor name: String) -> (isBuffer: Bool, index: Int)? {
    if parameters.count + buffers.count <= Self.scanLimit {
      if let index = parameters.lastIndex(where: { $0.name == name }) { return (false, index) }
      return buffers.lastIndex { $0.name == name }.map { (true, $0) }
    }
    if tensorIndex == nil {
      var index: [String: (isBuffer: Bool, index: Int)] = [:]
      for (position, tensor) in buffers.enumerated() { index[tensor.name] = (true, position) }
      for (position, tensor) in parameters.enumerated() { index[tensor.name] = (false, position) }
      tensorIndex = index
    }
    return tensorIndex![name]
  }

  /// The child of that name, created (class `ImportedModule`) where absent.
  func child(_ name: String) -> ModuleNode {
    if let index = indexOfChild(name) { return children[index] }
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
    switch location(ofTensor: name) {
    case (false, let index)?: update(&parameters[index])
    case (true, let index)?: update(&buffers[index])
    case nil:
      tensorIndex?[name] = (false, parameters.count)
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
    tensorIndex = nil
    parameters = parameters.compactMap { decide(dot + $0.name, $0, self) }
    buffers = buffers.compactMap { decide(dot + $0.name, $0, self) }
    for child in children { child.prune(prefix: dot + child.name, decide) }
  }

  /// The value tree.
  var module: Module {
    Module(name, className, parameters: parameters, buffers: buffers, children: children.map(\.module))
  }
}
