/// A tensor held directly by a module: a parameter or a buffer.
///
/// Shapes are as the checkpoint stores them. `bits` is the tensor's own element width before
/// any dtype conversion (32 for a float32 parameter on the meta device, 64 for an int64 buffer).
public struct Tensor: Sendable, Hashable, Codable {
  /// The local name inside its module (`"weight"`, `"inv_freq"`).
  public var name: String
  public var shape: [Int64]
  /// Bits per element of the tensor as created (before the weight dtype is applied).
  public var bits: Int
  /// Whether the tensor is floating point (and so converted to the weight dtype on load).
  public var isFloatingPoint: Bool
  /// Whether a weight-only quantizer (int8, int4, fp8) replaces it: the matrices of linear layers
  /// inside repeated blocks. Embeddings, norms, biases, convolutions and the LM head stay 16-bit.
  public var isQuantizable: Bool
  /// Buffers are not parameters; non-persistent buffers are not in the checkpoint.
  public var isBuffer: Bool
  public var isPersistent: Bool
  /// The tensor's bytes exactly as a file stores them, where no planning dtype converts it (a GGUF
  /// tensor of quantized blocks: Q4_K, Q6_K, …): set, it is the tensor's size whatever the weight
  /// and compute dtypes (``bytes(weight:compute:)``, ``TensorTally``, accelerate's sizes). `nil`
  /// (every other tensor) sizes it from its elements and the dtypes.
  public var storedBytes: Int64? = nil

  /// The number of elements (the product of the shape): zero with a zero dimension however large
  /// the others, `Int64.max` where it saturates.
  public var elementCount: Int64 { .saturatingProduct(of: shape) }

  /// A float32 parameter.
  public static func parameter(_ name: String, _ shape: Int64..., quantizable: Bool = false) -> Tensor {
    Tensor(
      name: name, shape: shape, bits: 32, isFloatingPoint: true, isQuantizable: quantizable,
      isBuffer: false, isPersistent: true)
  }

  /// A buffer (float32 unless `bits`/`floatingPoint` say otherwise).
  public static func buffer(
    _ name: String, _ shape: Int64..., bits: Int = 32, floatingPoint: Bool = true, persistent: Bool
  ) -> Tensor {
    Tensor(
      name: name, shape: shape, bits: bits, isFloatingPoint: floatingPoint, isQuantizable: false,
      isBuffer: true, isPersistent: persistent)
  }
}

/// A node of a model's module tree, as PyTorch registers it.
///
/// The tree mirrors `nn.Module`: direct parameters, direct buffers and children, each in
/// registration order. Accelerate-parity placement walks this tree exactly as
/// `infer_auto_device_map` walks the real model, so order and class names matter.
public struct Module: Sendable, Hashable, Codable {
  /// The local name (the attribute name in the parent); `""` for the root.
  public var name: String
  /// The PyTorch class name (`"Qwen2DecoderLayer"`), matched against no-split classes.
  public var className: String
  public var parameters: [Tensor]
  public var buffers: [Tensor]
  public var children: [Module]

  public init(
    _ name: String, _ className: String, parameters: [Tensor] = [], buffers: [Tensor] = [],
    children: [Module] = []
  ) {
    self.name = name
    self.className = className
    self.parameters = parameters
    self.buffers = buffers
    self.children = children
  }

  /// `nn.Linear(inFeatures, outFeatures)`: `weight [out, in]` and an optional `bias [out]`.
  public static func linear(
    _ name: String, _ inFeatures: Int64, _ outFeatures: Int64, bias: Bool, quantizable: Bool = true
  ) -> Module {
    var tensors = [Tensor.parameter("weight", outFeatures, inFeatures, quantizable: quantizable)]
    if bias { tensors.append(.parameter("bias", outFeatures)) }
    return Module(name, "Linear", parameters: tensors)
  }

  /// `nn.Embedding(count, dimension)`.
  public static func embedding(_ name: String, _ count: Int64, _ dimension: Int64) -> Module {
    Module(name, "Embedding", parameters: [.parameter("weight", count, dimension)])
  }

  /// An RMS norm (`weight` only) of the given class name.
  public static func rmsNorm(_ name: String, _ dimension: Int64, className: String) -> Module {
    Module(name, className, parameters: [.parameter("weight", dimension)])
  }

  /// `nn.LayerNorm(dimension)`: `weight` and `bias`.
  public static func layerNorm(_ name: String, _ dimension: Int64) -> Module {
    Module(name, "LayerNorm", parameters: [.parameter("weight", dimension), .parameter("bias", dimension)])
  }

  /// `nn.ModuleList` of `count` copies made by `make(index)`.
  public static func list(_ name: String, count: Int, _ make: (Int) -> Module) -> Module {
    Module(name, "ModuleList", children: (0..<count).map(make))
  }

  /// The descendant at a dotted path relative to this module (`"model.layers.3"`), if any.
  public func descendant(at path: String) -> Module? {
    if path.isEmpty { return self }
    var node = self
    for part in path.split(separator: ".") {
      guard let next = node.children.first(where: { $0.name == part }) else { return nil }
      node = next
    }
    return node
  }

  /// Every tensor of the subtree with its full dotted name, in PyTorch's `named_parameters()`
  /// then `named_buffers()` order (pre-order over modules, parameters first).
  ///
  /// - Parameter prefix: the full name of this module (`""` for the root).
  /// - Complexity: O(*n*) in the number of modules and tensors of the subtree.
  public func namedTensors(prefix: String = "") -> [(name: String, tensor: Tensor)] {
    var parameters: [(String, Tensor)] = []
    var buffers: [(String, Tensor)] = []
    func walk(_ module: Module, _ path: String) {
      let dot = path.isEmpty ? "" : path + "."
      parameters += module.parameters.map { (dot + $0.name, $0) }
      buffers += module.buffers.map { (dot + $0.name, $0) }
      for child in module.children { walk(child, dot + child.name) }
    }
    walk(self, prefix)
    return (parameters + buffers).map { (name: $0.0, tensor: $0.1) }
  }

  /// The tensors under a dotted path: a module's whole subtree, or one direct tensor of its
  /// parent (`device_map` keys may name a parameter, like `vpm.pos_embed`); `nil` if neither.
  public func namedTensors(at path: String) -> [(name: String, tensor: Tensor)]? {
    if let module = descendant(at: path) { return module.namedTensors(prefix: path) }
    guard let dot = path.lastIndex(of: ".") else {
      return (parameters + buffers).first { $0.name == path }.map { [(name: path, tensor: $0)] }
    }
    let parent = descendant(at: String(path[..<dot]))
    let leaf = path[path.index(after: dot)...]
    return parent.flatMap { ($0.parameters + $0.buffers).first { $0.name == leaf } }.map {
      [(name: path, tensor: $0)]
    }
  }
}

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

  /// ``Module/namedTensors(at:)`` of the root.
  func namedTensors(at path: String) -> [(name: String, tensor: Tensor)]? {
    if let module = modules[path] { return module.namedTensors(prefix: path) }
    return tensors[path].map { [(name: path, tensor: $0)] }
  }
}
