import Foundation

/// The catalog's config.json files (`catalog/models/`, embedded as ``ModelCatalogFiles``).
extension ModelCatalog {
  /// One entry per catalog file, in natural order of the names (`llama-3.1-8b` before
  /// `llama-3.1-70b`). Each file is a Hugging Face `config.json` with a `planner` object
  /// (`name`, `aliases`, `source`), built by ``ConfigImporter`` like a user's `config.json`; its
  /// serving facts (`max_position_embeddings`, `auto_map`) are read as a checkpoint's are.
  ///
  /// - Precondition: every embedded file parses, and builds when its entry is built (the tests
  ///   build every entry: a file that does not is a catalog bug, caught before it ships). Files
  ///   are only parsed here; a graph is built on demand, since the largest take milliseconds.
  static let fileEntries: [Entry] = ModelCatalogFiles.files.map { file in
    do throws(ImportError) {
      return try fileEntry(name: file.name, text: file.text)
    } catch {
      preconditionFailure("catalog file \(file.name): \(error.description)")
    }
  }
  .sorted { naturallyOrdered($0.name, $1.name) }

  /// The entry of one catalog file.
  static func fileEntry(name fileName: String, text: String) throws(ImportError) -> Entry {
    let path = "catalog/models/" + fileName
    let config = try ConfigImporter.parse(Data(text.utf8), file: path)
    guard let planner = try config.object("planner") else {
      throw config.fail(.missingField, "planner", "is missing (the catalog name, aliases and source)")
    }
    guard let name = try planner.string("name") else {
      throw planner.fail(.missingField, "name", "is missing")
    }
    let aliases = try planner.strings("aliases")
    let source = try planner.string("source") ?? "not stated"
    var serving = try CheckpointImporter.servingFacts(config: config, directory: "")
    serving.repository = aliases.first { $0.contains("/") }
    return Entry(name: name, aliases: aliases, serving: serving, source: source, file: path) {
      do throws(ImportError) {
        return try ConfigImporter.graph(from: config, name: name)
      } catch {
        preconditionFailure("catalog file \(fileName): \(error.description)")
      }
    }
  }

  /// `a` before `b` comparing runs of digits as numbers (`3.1-8b` before `3.1-70b`), the rest
  /// by character.
  static func naturallyOrdered(_ a: String, _ b: String) -> Bool {
    func runs(_ text: String) -> [(digits: Bool, text: String)] {
      var result: [(digits: Bool, text: String)] = []
      for character in text {
        let digit = character.isASCII && character.isNumber
        if let last = result.last, last.digits == digit {
          result[result.count - 1].text.append(character)
        } else {
          result.append((digit, String(character)))
        }
      }
      return result
    }
    let (left, right) = (runs(a), runs(b))
    for (x, y) in zip(left, right) where x.text != y.text {
      if x.digits && y.digits {
        let (p, q) = (x.text.drop { $0 == "0" }, y.text.drop { $0 == "0" })
        return p.count != q.count ? p.count < q.count : p < q
      }
      return x.text < y.text
    }
    return left.count < right.count
  }
}
