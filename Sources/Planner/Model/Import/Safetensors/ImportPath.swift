import Foundation

/// A directory path joined with file names as text, without making it absolute: error messages
/// then name files the way the user wrote the directory.
struct ImportPath {
  let directory: String

  init(_ directory: String) { self.directory = directory }

  /// `directory/name`.
  func appending(_ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
  }

  /// Why a path that does not resolve to a file is missing: a symbolic link loop, a broken
  /// link, or nothing there.
  static func missingReason(_ path: String) -> String {
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
      attributes[.type] as? FileAttributeType == .typeSymbolicLink
    else { return "no such file" }
    var status = stat()
    if stat(path, &status) != 0 && errno == ELOOP { return "is a symbolic link loop" }
    let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
    return "is a symbolic link to \(EchoedValue(target)), which does not exist"
  }

  var lastPathComponent: String {
    directory.split(separator: "/").last.map(String.init) ?? directory
  }
}
