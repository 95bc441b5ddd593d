// A libFuzzer target for every parser of hostile input, built by Scripts/fuzz_importers.sh: the
// Planner sources compiled as a library with testing enabled (so internal API is visible), and
// this file with the CLI's sources (all but its `@main`) in one module.
//
// The first byte of an input picks what the rest is:
//   0: a safetensors file (length, header, data), then a header-only graph of its tensors;
//   1: a config.json, built into a graph;
//   2: a config.json and a safetensors file separated by the first NUL byte, merged;
//   3: a model.safetensors.index.json;
//   4: a --gpu-spec file, then a --gpus list of its GPUs;
//   5: a --profile file;
//   6: a command line, arguments separated by NUL bytes, through the option parser (and, where
//      it refuses them, through the whole CLI, whose stderr must be one line).
// Every input must either succeed or fail with an error of one line: a trap is a crash.
import Foundation

@testable import Planner

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImporters(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  guard count > 0 else { return 0 }
  let mode = start[0] % 7
  let body = Data(bytes: start + 1, count: count - 1)
  switch mode {
  case 0...3: fuzzModel(mode, body)
  case 4:
    do {
      let gpus = try GPUSpecFile.parse(body, file: "fuzz.json")
      let list = gpus.map { "2x" + $0.name }.joined(separator: ",")
      _ = try? GPUList.parse(list, catalog: gpus + GPUCatalog.all)
    } catch {
      oneLine(error.description)
    }
  case 5:
    do {
      _ = try ProfileFile.parse(body, file: "fuzz.json")
    } catch {
      oneLine(error.description)
    }
  default:
    let arguments = body.split(separator: 0, omittingEmptySubsequences: false).map {
      String(decoding: $0, as: UTF8.self)
    }
    do {
      _ = try Options(parsing: arguments)
    } catch {
      let outcome = Command.run(arguments)
      precondition([1, 64].contains(outcome.exitCode), "a refused command line exits \(outcome.exitCode)")
      precondition(outcome.stderr.filter(\.isNewline).count == 1, "stderr is not one line: \(outcome.stderr)")
    }
  }
  return 0
}

func fuzzModel(_ mode: UInt8, _ body: Data) {
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
    oneLine(error.description)
  }
}

/// A message must be one line, whatever the input.
func oneLine(_ message: String) {
  if message.contains(where: \.isNewline) { fatalError("multi-line error: \(message)") }
}

/// The invariants every imported graph keeps.
func check(_ graph: ModelGraph) {
  let counted = graph.layers.reduce(Int64(0)) { $0.saturatingAdd($1.parameterCount) }
  precondition(counted == graph.parameterCount, "layers do not add up to the parameter count")
  precondition(Set(graph.layers.map(\.module)).count == graph.layers.count, "a module is two layers")
  _ = graph.weightBytes(weight: .int4, compute: .fp16)
  _ = graph.weightBytes(weight: .fp32, compute: .fp32)
}
