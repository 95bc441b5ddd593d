import Testing

@testable import Planner

@Suite struct GPUListTests {
  /// The canonical names of a parsed list, in device index order.
  func names(_ text: String, catalog: [GPU] = GPUCatalog.all) throws -> [String] {
    try GPUList.parse(text, catalog: catalog).map(\.name)
  }

  /// The error a refused list throws (records an issue if it parses).
  func error(_ text: String, catalog: [GPU] = GPUCatalog.all) -> GPUList.ParseError? {
    do {
      let gpus = try GPUList.parse(text, catalog: catalog)
      Issue.record("'\(text)' parsed as \(gpus.map(\.name)); expected an error")
      return nil
    } catch {
      return error
    }
  }

  @Test func countsExpandInDeviceIndexOrder() throws {
    #expect(try names("2xP4,1xT4") == ["P4", "P4", "T4"])
    #expect(try names("1xT4,2xP4") == ["T4", "P4", "P4"])
    #expect(try names("3XA10") == ["A10", "A10", "A10"])
  }

  @Test func bareNamesCountOnce() throws {
    #expect(try names("4090,3090") == ["RTX4090", "RTX3090"])
    #expect(try names("P4") == ["P4"])
    #expect(try names(" 2xP4 , T4 ") == ["P4", "P4", "T4"])
  }

  /// Spellings people type, matched ignoring case and punctuation, and the card each means.
  @Test(arguments: [
    ("tesla-p4", "P4"), ("TESLA_P4", "P4"), ("RTX-4090", "RTX4090"), ("rtx 4090", "RTX4090"),
    ("a100-80gb-sxm", "A100-80G-SXM"), ("A100_80GB_SXM", "A100-80G-SXM"), ("H100", "H100-SXM"),
    ("h200", "H200"), ("2xRTX-4090", "RTX4090"), ("1xtesla-p4", "P4"),
  ])
  func aliasesMatchIgnoringCaseAndPunctuation(spelling: String, expected: String) throws {
    let gpus = try GPUList.parse(spelling)
    #expect(gpus.map(\.name) == Array(repeating: expected, count: spelling.hasPrefix("2x") ? 2 : 1))
  }

  @Test func theLargestCountIsAccepted() throws {
    let gpus = try GPUList.parse("\(GPUList.maximumCount)xP4")
    #expect(gpus.count == GPUList.maximumCount)
    #expect(gpus.allSatisfy { $0.name == "P4" })
  }

  /// A refused list and what its one-line message must name.
  struct BadList: CustomTestStringConvertible, Sendable {
    var text: String
    /// Substrings the message must contain (the bad item and the fix).
    var mentions: [String]
    var testDescription: String { "'\(text)'" }
  }

  @Test(arguments: [
    BadList(text: "0xP4", mentions: ["'0'", "0xP4", "1 to 1024"]),
    BadList(text: "-1xT4", mentions: ["'-1'", "-1xT4", "1 to 1024"]),
    BadList(text: "+2xT4", mentions: ["'+2'", "1 to 1024"]),
    BadList(text: "99999999999xT4", mentions: ["'99999999999'", "1 to 1024"]),
    BadList(text: "1025xP4", mentions: ["'1025'", "1 to 1024"]),
    BadList(text: "2x", mentions: ["missing GPU name", "2xT4"]),
    BadList(text: "P4,2x", mentions: ["missing GPU name"]),
    BadList(text: "P4,,T4", mentions: ["empty item", "P4,,T4", "2xP4,1xT4"]),
    BadList(text: "P4,", mentions: ["empty item"]),
    BadList(text: ",P4", mentions: ["empty item"]),
    BadList(text: "", mentions: ["empty item", "2xP4,1xT4"]),
    BadList(text: " ", mentions: ["empty item"]),
    BadList(text: "2xP5", mentions: ["unknown GPU 'P5'", "P4", "planner gpus", "--gpu-spec"]),
    BadList(text: "T4,rtx9090", mentions: ["unknown GPU 'rtx9090'", "closest known"]),
    BadList(text: "1024xP4,1xT4", mentions: ["1025 GPUs", "1024"]),
  ])
  func badListIsRefusedWithOneLineNamingItAndTheFix(_ bad: BadList) {
    guard let error = error(bad.text) else { return }
    #expect(!error.description.isEmpty)
    #expect(!error.description.contains("\n"), "\(error.description)")
    for mention in bad.mentions {
      #expect(error.description.contains(mention), "\(error.description) should mention \(mention)")
    }
  }

  @Test func unknownNameListsAtMostThreeClosestNamesWithP4First() throws {
    let closest = GPUList.closestNames(to: "P5")
    #expect(closest.first == "P4")
    #expect(closest.count == 3)
    #expect(Set(closest).count == 3)
    #expect(closest.allSatisfy { name in GPUCatalog.all.contains { $0.name == name } })
    let message = try #require(error("2xP5")).description
    #expect(message.contains(closest.joined(separator: ", ")), "\(message)")
  }

  @Test func lookupRefusesNamesWithoutLettersOrDigits() {
    #expect(GPUList.lookup("---") == nil)
    #expect(GPUList.lookup("") == nil)
    #expect(GPUList.lookup("t-4")?.name == "T4")
  }

  @Test func customGPUInTheCatalogIsFound() throws {
    var custom = try #require(GPUCatalog.all.first { $0.name == "RTX3090" })
    custom.name = "RTX-A4000"
    custom.aliases = ["a4000"]
    custom.usableMemory = .mebibytes(15_900)
    let catalog = [custom] + GPUCatalog.all
    let gpus = try GPUList.parse("2xrtx-a4000,A4000,T4", catalog: catalog)
    #expect(gpus.map(\.name) == ["RTX-A4000", "RTX-A4000", "RTX-A4000", "T4"])
    #expect(gpus[0].usableMemory == .mebibytes(15_900))
    // Without it in the catalog the name is unknown.
    let message = try #require(error("A4000")).description
    #expect(message.contains("unknown GPU 'A4000'"))
  }

  @Test func customGPUShadowsACatalogNameWhenListedFirst() throws {
    var custom = try #require(GPUCatalog.all.first { $0.name == "T4" })
    custom.usableMemory = .gibibytes(1)
    let gpus = try GPUList.parse("T4", catalog: [custom] + GPUCatalog.all)
    #expect(gpus.map(\.usableMemory) == [.gibibytes(1)])
  }

  /// The count forms people type: before or after the name, `x`, `X`, `*` or `×`, with spaces.
  @Test(arguments: [
    ("2 x P4", ["P4", "P4"]), ("P4x2", ["P4", "P4"]), ("2*P4", ["P4", "P4"]), ("P4 * 2", ["P4", "P4"]),
    ("2×T4", ["T4", "T4"]), ("T4 X 3", ["T4", "T4", "T4"]), ("1x4090,1x3090", ["RTX4090", "RTX3090"]),
    ("4090x2", ["RTX4090", "RTX4090"]), ("RTX 4090 x 2", ["RTX4090", "RTX4090"]),
    ("2 x P4, T4", ["P4", "P4", "T4"]),
  ])
  func countsBeforeOrAfterTheName(text: String, expected: [String]) throws {
    #expect(try names(text) == expected)
  }

  /// A name that ends in `x` and digits is a name, not a count: `RTX 4090` is one RTX 4090.
  @Test func aNameIsNotReadAsACount() throws {
    #expect(try names("RTX 4090") == ["RTX4090"])
    #expect(try names("rtx 3090") == ["RTX3090"])
  }

  /// Product names as the vendor writes them match with the vendor words left out.
  @Test(arguments: [
    ("NVIDIA GeForce RTX 3090", "RTX3090"), ("GeForce 4090", "RTX4090"), ("nvidia-a10", "A10"),
    ("Tesla T4", "T4"),
  ])
  func vendorWordsAreIgnored(spelling: String, expected: String) {
    #expect(GPUList.lookup(spelling)?.name == expected)
  }

  /// A bad count after a known name is refused as a bad count, naming the item.
  @Test func aBadTrailingCountIsRefused() {
    let message = error("P4x0")?.description ?? ""
    #expect(message.contains("bad GPU count '0'"), "\(message)")
    #expect(error("P4x2000")?.description.contains("1 to 1024") == true)
  }

  /// Suggestions compare names without vendor words, and only close ones: a name with nothing in
  /// common with the catalog gets none rather than three unrelated cards.
  @Test func suggestionsAreCloseOrAbsent() throws {
    #expect(GPUList.closestNames(to: "rtx-4091").first == "RTX4090")
    #expect(GPUList.closestNames(to: "NVIDIA GeForce RTX 4091").first == "RTX4090")
    let far = GPUList.closestNames(to: "Radeon Pro W7900")
    #expect(!far.contains("P100") && !far.contains("V100-16G-SXM2"), "\(far)")
    let message = try #require(error("XYZW-9")).description
    #expect(message.contains("unknown GPU 'XYZW-9'") && message.contains("planner gpus"), "\(message)")
  }
}
