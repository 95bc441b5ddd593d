import Testing

@testable import Planner

@Suite struct MaxMemoryTests {
  /// A size and the bytes accelerate's `convert_file_size_to_int` gives for it.
  struct Size: CustomTestStringConvertible, Sendable {
    var text: String
    var bytes: Int64
    var testDescription: String { "\(text) = \(bytes) B" }
  }

  @Test(arguments: [
    Size(text: "7GiB", bytes: 7 << 30),
    Size(text: "7gib", bytes: 7 << 30),
    Size(text: "7.5GiB", bytes: 8_053_063_680),
    // 1.7 × 2^30 = 1825361100.8: truncated like Python's int(), not rounded.
    Size(text: "1.7GiB", bytes: 1_825_361_100),
    Size(text: "0.5MiB", bytes: 524_288),
    Size(text: "10KiB", bytes: 10_240),
    Size(text: "500MB", bytes: 500_000_000),
    Size(text: "24GB", bytes: 24_000_000_000),
    Size(text: "1.5KB", bytes: 1_500),
    // A lowercase final b means bits: 5e9 / 8.
    Size(text: "5Gb", bytes: 625_000_000),
    Size(text: "5gb", bytes: 625_000_000),
    Size(text: "8Mb", bytes: 1_000_000),
    Size(text: "3Kb", bytes: 375),
    // Binary units ignore the case of the b.
    Size(text: "2Gib", bytes: 2 << 30),
    // Bare integers are bytes.
    Size(text: "1234", bytes: 1_234),
    Size(text: "0", bytes: 0),
    Size(text: "0GiB", bytes: 0),
  ])
  func sizeFollowsAccelerate(_ size: Size) throws {
    let caps = try MaxMemory(parsing: "0:\(size.text)")
    #expect(caps[.gpu(0)] == ByteCount(size.bytes))
    #expect(caps.devices == [.gpu(0)])
  }

  @Test func everyDeviceKeyIsRead() throws {
    let caps = try MaxMemory(parsing: "0:7GiB,1:7.5GiB,cpu:64GB,disk:200GB")
    #expect(caps.devices == [.gpu(0), .gpu(1), .cpu, .disk])
    #expect(caps[.gpu(0)] == .gibibytes(7))
    #expect(caps[.gpu(1)] == ByteCount(8_053_063_680))
    #expect(caps[.cpu] == ByteCount(64_000_000_000))
    #expect(caps[.disk] == ByteCount(200_000_000_000))
    #expect(caps[.gpu(2)] == nil)
  }

  @Test func spacesAroundKeysAndSizesAndUppercaseKeysAreAccepted() throws {
    let caps = try MaxMemory(parsing: " 0 : 1GiB,CPU: 2GiB ,Disk:3GiB")
    #expect(caps == MaxMemory([(.gpu(0), .gibibytes(1)), (.cpu, .gibibytes(2)), (.disk, .gibibytes(3))]))
  }

  /// Inputs in any order, and the order accelerate keeps: GPUs by index, then cpu, then disk.
  @Test(arguments: [
    ("disk:1GiB,cpu:1GiB,1:1GiB,0:1GiB", [Device.gpu(0), .gpu(1), .cpu, .disk]),
    ("cpu:1GiB,0:1GiB", [.gpu(0), .cpu]),
    ("disk:1GiB,cpu:1GiB", [.cpu, .disk]),
    // Numeric, not lexical: 2 before 10.
    ("10:1GiB,2:1GiB,0:1GiB", [.gpu(0), .gpu(2), .gpu(10)]),
    ("3:1GiB,disk:1GiB,1:1GiB", [.gpu(1), .gpu(3), .disk]),
  ])
  func orderIsGPUsByIndexThenCPUThenDisk(text: String, expected: [Device]) throws {
    let caps = try MaxMemory(parsing: text)
    #expect(caps.devices == expected)
    #expect(caps.entries.map(\.device) == expected)
  }

  @Test func orderDoesNotChangeEquality() throws {
    let a = try MaxMemory(parsing: "cpu:8GiB,1:2GiB,0:1GiB")
    let b = try MaxMemory(parsing: "0:1GiB,1:2GiB,cpu:8GiB")
    #expect(a == b)
    #expect(a.hashValue == b.hashValue)
    #expect(a != (try MaxMemory(parsing: "0:1GiB,1:2GiB,cpu:9GiB")))
  }

  @Test func subscriptSetKeepsOrder() {
    var caps = MaxMemory([(.cpu, .gibibytes(8))])
    caps[.gpu(1)] = .gibibytes(2)
    caps[.gpu(0)] = .gibibytes(1)
    #expect(caps.devices == [.gpu(0), .gpu(1), .cpu])
    caps[.gpu(0)] = nil
    #expect(caps.devices == [.gpu(1), .cpu])
    caps[.gpu(1)] = .gibibytes(3)
    #expect(caps[.gpu(1)] == .gibibytes(3))
    #expect(caps.entries.count == 2)
  }

  /// A refused `--max-memory` text and what its message must name.
  struct Bad: CustomTestStringConvertible, Sendable {
    var text: String
    var mentions: [String]
    var testDescription: String { "'\(text)'" }
  }

  @Test(arguments: [
    Bad(text: "7GiB", mentions: ["'7GiB'", "DEVICE:SIZE"]),
    Bad(text: "0=7GiB", mentions: ["'0=7GiB'", "DEVICE:SIZE"]),
    Bad(text: "0:1:7GiB", mentions: ["DEVICE:SIZE"]),
    Bad(text: "", mentions: ["DEVICE:SIZE"]),
    Bad(text: "0:1GiB,", mentions: ["DEVICE:SIZE"]),
    Bad(text: "gpu0:1GiB", mentions: ["'gpu0'", "not a device", "cpu or disk"]),
    Bad(text: "-1:1GiB", mentions: ["'-1'", "not a device"]),
    Bad(text: "ram:1GiB", mentions: ["'ram'", "not a device"]),
    Bad(text: "0:1GiB,0:2GiB", mentions: ["device 0 is given twice"]),
    Bad(text: "cpu:1GiB,CPU:2GiB", mentions: ["device cpu is given twice"]),
    Bad(text: "disk:1GiB,disk:1GiB", mentions: ["device disk is given twice"]),
    Bad(text: "0:7XB", mentions: ["'7XB'", "not a size", "GiB"]),
    Bad(text: "0:-1GiB", mentions: ["'-1GiB'", "not a size"]),
    Bad(text: "0:-1", mentions: ["'-1'", "not a size"]),
    Bad(text: "0:GiB", mentions: ["'GiB'", "not a size"]),
    Bad(text: "0:", mentions: ["not a size"]),
    Bad(text: "0:1.5", mentions: ["'1.5'", "not a size"]),
    Bad(text: "0:1e30GB", mentions: ["'1e30GB'", "not a size"]),
    Bad(text: "0:9e9GB", mentions: ["'9e9GB'", "not a size"]),
    Bad(text: "0:99999999999999999999", mentions: ["not a size"]),
    Bad(text: "0:infGiB", mentions: ["not a size"]),
    Bad(text: "0:nanGiB", mentions: ["not a size"]),
  ])
  func badTextIsRefusedWithOneLine(_ bad: Bad) {
    do {
      let caps = try MaxMemory(parsing: bad.text)
      Issue.record("'\(bad.text)' parsed as \(caps.entries.map { "\($0.device):\($0.bytes.value)" })")
    } catch {
      #expect(!error.description.contains("\n"))
      for mention in bad.mentions {
        #expect(error.description.contains(mention), "\(error.description) should mention \(mention)")
      }
    }
  }

  @Test func largestSizesStayInRange() throws {
    // 8e18 bytes is below Int64.max (about 9.22e18) and is accepted exactly.
    #expect(try MaxMemory(parsing: "cpu:8e9GB")[.cpu] == ByteCount(8_000_000_000_000_000_000))
    #expect(try MaxMemory(parsing: "cpu:\(Int64.max)")[.cpu] == ByteCount(.max))
  }
}
