// A libFuzzer target for the model importers, built by Scripts/fuzz_importers.sh with the
// importer sources compiled into the same module (so internal API is visible).
//
// The first byte of an input picks what the rest is:
//   0: a safetensors file (length, header, data), then a header-only graph of its tensors;
//   1: a config.json, built into a graph;
//   2: a config.json and a safetensors file separated by the first NUL byte, merged;
//   3: a model.safetensors.index.json.
// Every input must either succeed or throw an ImportError: a trap is a crash.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImporters(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  guard count > 0 else { return 0 }
  let mode = start[0] % 4
  let body = Data(bytes: start + 1, count: count - 1)
  do throws(ImportError) {
    switch mode {
    case 0:
      let header = try SafetensorsHeader.parse(fileBytes: body, file: "fuzz.safetensors")
      check(
        try CheckpointImporter.graph(config: nil, tensors: header.tensors, name: "fuzz", directory: "/fuzz"))
    case 1:
      let config = try ConfigImporter.parse(body, file: "config.json")
      check(try ConfigImporter.graph(from: config, name: "fuzz"))
    case 2:
      let split = body.firstIndex(of: 0) ?? body.endIndex
      let config = try ConfigImporter.parse(body[body.startIndex..<split], file: "config.json")
      let rest = split < body.endIndex ? body[(split + 1)...] : Data()
      let header = try SafetensorsHeader.parse(fileBytes: Data(rest), file: "fuzz.safetensors")
      check(
        try CheckpointImporter.graph(
          config: config, tensors: header.tensors, name: "fuzz", directory: "/fuzz"))
    default:
      _ = try SafetensorsCheckpoint.parseIndex(body, file: "model.safetensors.index.json")
    }
  } catch {
    // One line, whatever the input.
    if error.description.contains("\n") { fatalError("multi-line error: \(error.description)") }
  }
  return 0
}

/// The invariants every imported graph keeps.
func check(_ graph: ModelGraph) {
  let counted = graph.layers.reduce(Int64(0)) { $0 + $1.parameterCount }
  precondition(counted == graph.parameterCount, "layers do not add up to the parameter count")
  precondition(Set(graph.layers.map(\.module)).count == graph.layers.count, "a module is two layers")
  _ = graph.weightBytes(weight: .int4, compute: .fp16)
  _ = graph.weightBytes(weight: .fp32, compute: .fp32)
}
