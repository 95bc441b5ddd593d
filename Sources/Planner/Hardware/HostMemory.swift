import Foundation

/// The host's memory bandwidth, where llama.cpp computes what it keeps in host memory (layers left
/// off the GPUs, `--n-cpu-moe` experts): decode reads those weights at this rate (`--host-memory`).
///
/// A DDR channel is 64 bits wide, so its peak is `8 bytes × MT/s` (the JEDEC data rate: DDR4
/// JESD79-4, DDR5 JESD79-5; a DDR5 DIMM's two 32-bit subchannels make one 64-bit channel here). The
/// default is the common desktop, dual-channel DDR5-4800: 76.8 GB/s. These are peaks, which CPUs
/// reach about three quarters of; a server has 8 to 12 channels (DDR5-4800 × 12: 460.8 GB/s).
public struct HostMemory: Sendable, Hashable, Codable, CustomStringConvertible {
  /// Peak bytes per second.
  public var bytesPerSecond: Double
  /// How it was given, canonical: `DDR5-4800 x2, 76.8 GB/s` or `120 GB/s`.
  public var description: String

  /// Dual-channel DDR5-4800, the common desktop: 76.8 GB/s.
  public static let desktop = HostMemory(generation: 5, megaTransfers: 4800, channels: 2)

  /// `channels` 64-bit channels of DDR`generation` at `megaTransfers` MT/s.
  public init(generation: Int, megaTransfers: Int, channels: Int) {
    bytesPerSecond = 8 * Double(megaTransfers) * 1e6 * Double(channels)
    description =
      "DDR\(generation)-\(megaTransfers) x\(channels), \(Self.gigabytes(bytesPerSecond)) GB/s"
  }

  /// A measured or known rate in bytes per second.
  public init(bytesPerSecond: Double) {
    self.bytesPerSecond = bytesPerSecond
    description = "\(Self.gigabytes(bytesPerSecond)) GB/s"
  }

  /// GB/s to a tenth, without a trailing `.0`: `76.8`, `120`.
  static func gigabytes(_ bytesPerSecond: Double) -> String {
    let text = DurationFormatting.fixed(bytesPerSecond / 1e9, decimals: 1)
    return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
  }

  /// Why a `--host-memory` text was refused.
  public struct ParseError: Error, Equatable, CustomStringConvertible {
    public var description: String
  }

  /// The memory DDR generations and data rates it takes: DDR3 to DDR5, 800 to 12800 MT/s, 1 to 24
  /// channels (a two-socket server with 12 each); rates 1 to 10000 GB/s.
  static let generations = 3...5
  static let megaTransfers = 800...12_800
  static let channels = 1...24
  static let gigabytesPerSecond = 1.0...10_000

  /// Parses `ddr5-4800x2` (generation, MT/s and channels; `x2` may be left out for one channel,
  /// spaces and case do not matter) or a rate, `120GB/s` (also `120 GBps`).
  public init(parsing text: String) throws(ParseError) {
    let compact = text.lowercased().filter { !$0.isWhitespace }
    let example = "for example ddr5-4800x2 (two channels of DDR5-4800) or 120GB/s"
    for suffix in ["gb/s", "gbps"] where compact.hasSuffix(suffix) {
      guard let value = Double(compact.dropLast(suffix.count)), value.isFinite,
        Self.gigabytesPerSecond.contains(value)
      else {
        throw ParseError(
          description: "not a rate from 1 to 10000 GB/s (\(example))")
      }
      self.init(bytesPerSecond: value * 1e9)
      return
    }
    guard compact.hasPrefix("ddr"), let dash = compact.firstIndex(of: "-") else {
      throw ParseError(description: "not a memory spec (\(example))")
    }
    let generationText = compact[compact.index(compact.startIndex, offsetBy: 3)..<dash]
    let rest = compact[compact.index(after: dash)...]
    let parts = rest.split(separator: "x", maxSplits: 1, omittingEmptySubsequences: false)
    guard let generation = Int(generationText), Self.generations.contains(generation) else {
      throw ParseError(description: "the memory is DDR3, DDR4 or DDR5 (\(example))")
    }
    guard let rate = Int(parts[0]), Self.megaTransfers.contains(rate) else {
      throw ParseError(
        description: "the data rate is 800 to 12800 MT/s, as in DDR5-4800 (\(example))")
    }
    let channelText = parts.count == 2 ? parts[1] : "1"
    guard let channels = Int(channelText), Self.channels.contains(channels) else {
      throw ParseError(description: "1 to 24 channels, as in x2 (\(example))")
    }
    self.init(generation: generation, megaTransfers: rate, channels: channels)
  }
}
