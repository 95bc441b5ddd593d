/// A model as the planner sees it: its module tree (for `device_map` parity with accelerate) and
/// its execution chain of layers (for memory and cost).
///
/// The chain is in execution order: vision tower, projector or resampler, then the text model.
/// Every tensor of the tree belongs to exactly one layer of the chain, so a device map built from
/// the chain covers the whole checkpoint.
public struct ModelGraph: Sendable, Hashable {
  public static func == (a: ModelGraph, b: ModelGraph) -> Bool {
    a.name == b.name && a.root == b.root && a.layers == b.layers && a.tiedParameters == b.tiedParameters
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(name)
    hasher.combine(layers)
  }

  /// The catalog name (`"minicpm-v-2.6"`) or the directory it was read from.
  public var name: String
  /// A one-line description of the composition (`"Qwen2-7B + SigLIP-400M + resampler"`).
  public var summary: String
  /// The module tree, rooted at the class `from_pretrained` builds.
  public var root: Module
  /// The execution chain.
  public var layers: [Layer]
  /// Class names transformers never splits across devices (`_no_split_modules`).
  public var noSplitModuleClasses: [String]
  /// Groups of full tensor names that are one tensor (tied embeddings).
  public var tiedParameters: [[String]]
  /// The dtype the checkpoint is stored in (`torch_dtype`).
  public var nativeDType: DType
  /// Hidden size of the text model (the activation that crosses a device boundary per token).
  public var hiddenSize: Int64
  /// Vocabulary size of the LM head (logits per token).
  public var vocabularySize: Int64
  /// How images become vision tokens, for models with a vision tower.
  public var vision: VisionInput?
  /// Notes on values that are estimates rather than verified against a checkpoint.
  public var estimates: [String]
  /// What a serving runtime needs beyond the tree: where the checkpoint lives and how long a
  /// sequence may be.
  public var serving = ServingFacts()
  /// How a pre-quantized checkpoint stores its weights (AWQ, GPTQ, bitsandbytes, fp8,
  /// compressed-tensors); `nil` for a checkpoint stored in a float type.
  public var quantization: Quantization? = nil

  /// Parameters, counted once across tied tensors (buffers excluded).
  public let parameterCount: Int64
  /// Every tensor of the tree in `namedTensors()` order (parameters in pre-order, then buffers),
  /// computed once.
  public let tensors: [(name: String, tensor: Tensor)]
  /// For each of ``tensors``, whether it is counted (false for the later names of a tied tensor).
  public let isCounted: [Bool]

  /// Builds the graph and counts each layer's tensors from the tree.
  ///
  /// - Precondition: every layer's module exists in the tree (a builder bug otherwise).
  /// - Complexity: O(*t*) in the number of tensors.
  public init(
    name: String, summary: String, root: Module, layers: [Layer], noSplitModuleClasses: [String],
    tiedParameters: [[String]] = [], nativeDType: DType, hiddenSize: Int64, vocabularySize: Int64,
    vision: VisionInput? = nil, estimates: [String] = []
  ) {
    self.name = name
    self.summary = summary
    self.root = root
    self.noSplitModuleClasses = noSplitModuleClasses
    self.tiedParameters = tiedParameters
    self.nativeDType = nativeDType
    self.hiddenSize = hiddenSize
    self.vocabularySize = vocabularySize
    self.vision = vision
    self.estimates = estimates
    let duplicates = Self.duplicateTiedNames(root: root, tied: tiedParameters)
    let tensors = root.namedTensors()
    self.tensors = tensors
    self.isCounted = tensors.map { !duplicates.contains($0.name) }
    var total: Int64 = 0
    let index = ModuleIndex(root)
    self.layers = layers.map { layer in
      guard let tensors = index.namedTensors(at: layer.module) else {
        preconditionFailure("layer \(layer.module) is not in the module tree of \(name)")
      }
      var counted = layer
      var routed: Int64 = 0
      for (tensorName, tensor) in tensors where !duplicates.contains(tensorName) {
        counted.tally.add(tensor)
        if !tensor.isBuffer {
          let elements = tensor.parameterElements ?? tensor.elementCount
          counted.parameterCount = counted.parameterCount.saturatingAdd(elements)
          // Routed experts: `…mlp.experts.N.…` or fused `…mlp.experts.gate_up_proj` (not `shared_experts`);
          // in a GGUF, `blk.N.ffn_{gate,up,down}_exps` (not `_shexp`).
          if layer.routedExperts != nil && Self.isRoutedExpert(tensorName) {
            routed = routed.saturatingAdd(elements)
          }
        }
      }
      if counted.routedExperts != nil && counted.parameterCount > 0 {
        counted.routedExperts!.share = Double(routed) / Double(counted.parameterCount)
      }
      if layer.kind == .decoder {
        counted.eagerLaunches = EagerLaunches.decoderLayer(
          className: index.module(at: layer.module)?.className, tensors: tensors)
      }
      total = total.saturatingAdd(counted.parameterCount)
      return counted
    }
    self.parameterCount = total
  }

  /// Whether a tensor is a routed expert's: its name holds `.experts.` (`…mlp.experts.gate_up_proj`,
  /// a per-expert `…mlp.experts.7.down_proj.weight`; not `shared_experts`) or, in a GGUF, `_exps`
  /// (`blk.N.ffn_gate_exps.weight`; not `_shexp`).
  ///
  /// - Complexity: O(*n*) in the name's UTF-8 bytes (a byte scan: `String.contains` of a string
  ///   was a quarter of a 37k-tensor import).
  static func isRoutedExpert(_ name: String) -> Bool {
    let bytes = Array(name.utf8)
    func holds(_ pattern: [UInt8]) -> Bool {
      guard bytes.count >= pattern.count else { return false }
      for start in 0...(bytes.count - pattern.count) {
        var index = 0
        while index < pattern.count && bytes[start + index] == pattern[index] { index += 1 }
        if index == pattern.count { return true }
      }
      return false
    }
    return holds(Self.expertsPattern) || holds(Self.ggufExpertsPattern)
  }

  static let expertsPattern = Array(".experts.".utf8)
  static let ggufExpertsPattern = Array("_exps".utf8)

  /// The names of tied tensors that are not the first of their group in traversal order: PyTorch's
  /// `named_parameters()` yields a shared tensor once, under its first name, so these count zero.
  static func duplicateTiedNames(root: Module, tied: [[String]]) -> Set<String> {
    guard !tied.isEmpty else { return [] }
    let order = Dictionary(
      root.namedTensors().enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { a, _ in a })
    var duplicates = Set<String>()
    for group in tied {
      let first = group.min { (order[$0] ?? .max) < (order[$1] ?? .max) }
      duplicates.formUnion(group.filter { $0 != first })
    }
    return duplicates
  }

  /// Bytes of all weights and buffers under a weight dtype and a compute dtype.
  public func weightBytes(weight: DType, compute: DType) -> ByteCount {
    layers.reduce(.zero) { $0 + $1.weightBytes(weight: weight, compute: compute) }
  }

  /// The layers of one stream, in chain order.
  public func layers(of stream: Layer.Stream) -> [Layer] { layers.filter { $0.stream == stream } }
}
