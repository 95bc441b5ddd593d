import Testing

@testable import Planner

/// `--host-memory`: DDR channels at their JEDEC data rate (8 bytes a transfer per 64-bit channel), or a
/// rate.
@Suite struct HostMemoryTests {
  @Test(arguments: [
    ("ddr5-4800x2", 76.8e9, "DDR5-4800 x2, 76.8 GB/s"),
    ("DDR4-3200x8", 204.8e9, "DDR4-3200 x8, 204.8 GB/s"),
    ("ddr5-4800 x12", 460.8e9, "DDR5-4800 x12, 460.8 GB/s"),
    ("ddr4-2666", 21.328e9, "DDR4-2666 x1, 21.3 GB/s"),
    ("120GB/s", 120e9, "120 GB/s"),
    ("89.6 gbps", 89.6e9, "89.6 GB/s"),
  ])
  func parses(text: String, bytesPerSecond: Double, description: String) throws {
    let memory = try HostMemory(parsing: text)
    #expect(abs(memory.bytesPerSecond / bytesPerSecond - 1) < 1e-12)
    #expect(memory.description == description)
  }

  @Test func theDefaultIsDualChannelDDR5() {
    #expect(HostMemory.desktop.bytesPerSecond == 76.8e9)
    #expect(HostMemory.desktop == (try? HostMemory(parsing: "ddr5-4800x2")))
  }

  @Test(arguments: [
    ("fast", "not a memory spec"),
    ("ddr6-9000x2", "DDR3, DDR4 or DDR5"),
    ("ddr5-48000x2", "800 to 12800 MT/s"),
    ("ddr5-4800x0", "1 to 24 channels"),
    ("ddr5-4800x99999999999999999999", "1 to 24 channels"),
    ("ddr5-x2", "800 to 12800 MT/s"),
    ("0GB/s", "1 to 10000 GB/s"),
    ("nanGB/s", "1 to 10000 GB/s"),
    ("1e400GB/s", "1 to 10000 GB/s"),
    ("", "not a memory spec"),
  ])
  func refuses(text: String, reason: String) {
    #expect {
      try HostMemory(parsing: text)
    } throws: { error in
      (error as? HostMemory.ParseError)?.description.contains(reason) == true
    }
  }
}
