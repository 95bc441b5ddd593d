/// The cost of the all-reduce that tensor parallelism runs twice per decoder layer (after the
/// attention output projection and after the MLP down projection), on the link of the group.
///
/// A ring all-reduce of `bytes` over `n` GPUs sends `2(n-1)/n × bytes` through each link:
/// `seconds = latency(n) + 2(n-1)/n × bytes / bandwidth`. Decode all-reduces
/// carry `batch × hidden` activations, a few KiB: latency, not bandwidth, decides them.
public enum AllReduce {
  /// Seconds for one all-reduce of `bytes` among `n` GPUs joined by `link`.
  public static func seconds(bytes: Int64, gpus n: Int, link: Link) -> Double {
    guard n > 1 else { return 0 }
    let steps = Double(2 * (n - 1))
    let volume = steps / Double(n) * Double(bytes)
    return latencySeconds(gpus: n, link: link) + volume / link.bandwidthBytesPerSecond
  }

  /// The fixed part: the launch and synchronisation, plus one link latency per GPU beyond the
  /// first (NCCL's low-latency protocol overlaps the ring steps). Checked on four H200s (all
  /// pairs NVLink): 15.3 µs for 7 KiB replayed from a graph, 13.9-18.5 µs up to 512 KiB, against
  /// 16 µs predicted (fixtures/measurements/allreduce-h200x4.json).
  static func latencySeconds(gpus n: Int, link: Link) -> Double {
    baseSeconds + Double(n - 1) * link.latencySeconds
  }

  /// Launch and synchronisation of a small all-reduce replayed from a CUDA graph: measured on
  /// two H200s over NVLink (NCCL 2.28.9, torch 2.11), 11.8 µs per all-reduce of 7 KiB (a batch-1
  /// decode of a 3584-wide model) replayed from a graph of 20, 10.4-14.6 µs up to 512 KiB;
  /// less the 2 µs NVLink latency, 10 µs (fixtures/measurements/allreduce-h200x2.json,
  /// Scripts/measure_serving.py --part allreduce). Called eagerly from Python the same
  /// all-reduce takes 58-80 µs: vLLM replays decode from CUDA graphs.
  static let baseSeconds = 10e-6
}
