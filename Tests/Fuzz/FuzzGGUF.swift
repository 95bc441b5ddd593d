// A libFuzzer target for the GGUF importer, built by Scripts/fuzz_gguf.sh with the model sources
// compiled into the same module (so internal API is visible).
//
// The first byte of an input picks what the rest is:
//   0: one GGUF file, parsed and built into a graph;
//   1: a model GGUF and an mmproj GGUF, split at the second "GGUF" magic, built together.
// Every input must either succeed or throw an ImportError of one line: a trap is a crash.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUF(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  guard count > 0 else { return 0 }
  let mode = start[0] % 2
  let body = Data(bytes: start + 1, count: count - 1)
  do throws(ImportError) {
    switch mode {
    case 0:
      let header = try GGUFHeader.parse(fileBytes: body, file: "fuzz.gguf")
      check(try GGUFImporter.graph(headers: [header], mmproj: nil, name: "fuzz"), header)
    default:
      let magic = Data("GGUF".utf8)
      let second = body.count > 4 ? body[(body.startIndex + 4)...].range(of: magic)?.lowerBound : nil
      let split = second ?? body.endIndex
      let model = try GGUFHeader.parse(fileBytes: Data(body[body.startIndex..<split]), file: "fuzz.gguf")
      let projector = try GGUFHeader.parse(fileBytes: Data(body[split...]), file: "mmproj-fuzz.gguf")
      check(try GGUFImporter.graph(headers: [model], mmproj: projector, name: "fuzz"), model, projector)
    }
  } catch {
    if error.description.contains("\n") { fatalError("multi-line error: \(error.description)") }
  }
  return 0
}

/// The invariants every imported graph keeps: its weights are the files' tensor bytes exactly,
/// whatever the dtypes, and no module is two layers.
func check(_ graph: ModelGraph, _ headers: GGUFHeader...) {
  let stored = headers.flatMap(\.tensors).reduce(Int64(0)) { $0 + $1.byteCount }
  for (weight, compute) in [(DType.int4, DType.fp16), (.fp32, .fp32), (.bf16, .bf16)] {
    precondition(
      graph.weightBytes(weight: weight, compute: compute).value == stored, "weights differ from the files")
  }
  let counted = graph.layers.reduce(Int64(0)) { $0 + $1.parameterCount }
  precondition(counted == graph.parameterCount, "layers do not add up to the parameter count")
  precondition(Set(graph.layers.map(\.module)).count == graph.layers.count, "a module is two layers")
}
