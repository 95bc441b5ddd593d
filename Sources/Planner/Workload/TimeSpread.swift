/// How far a runtime's measured times fall from the planner's estimates: a measured time lies in
/// `low × estimate ... high × estimate`. A runtime's spread covers both the model's misses (the
/// fit's residuals on held-out points) and the run-to-run drift of the same run on the same host.
///
///     let spread = TimeSpread.transformers            // 0.75 ... 1.40
///     spread.low * 0.0264 ... spread.high * 0.0264    // 19.8 ... 37.0 ms for a 26.4 ms estimate
///
/// Every time the planner prints carries this range (``EstimateRange``); a profile file
/// (`--profile`, `timeSpreadLow` and `timeSpreadHigh`) replaces it with one measured on the user's
/// host. The values below are the whole derivation: change them here when new measurements
/// arrive (measured / predicted, "held out" as in `Docs/Measurements.md`).
public struct TimeSpread: Sendable, Hashable, Codable {
  /// The fastest measured time as a multiple of the estimate (at most 1).
  public var low: Double
  /// The slowest measured time as a multiple of the estimate (at least 1).
  public var high: Double

  public init(low: Double, high: Double) {
    self.low = low
    self.high = high
  }

  /// Whether the estimate is a bound rather than a prediction (`low == high == 1`): the roofline.
  public var isBound: Bool { low == 1 && high == 1 }

  /// transformers (eager PyTorch, host-bound decode): 0.80 to 1.35. Measured (Qwen2-7B geometry,
  /// bf16, batch 1, `Scripts/calibrate.py` and `Scripts/measure_decode.py`; measured / predicted):
  /// - held-out residuals on the H100 host: decode 24.73 / 26.44 ms (0.94) at batch 1 and
  ///   23.05 / 26.44 (0.87) at batch 8, prefill 2048 / 4096 tokens 0.96, prefill 512 tokens
  ///   31.0 / 27.1 (1.14) (fixtures/measurements/calibration-h100.json); a 14 + 14 split over two
  ///   H200s 28.63 / 33.44 (0.86) (calibration-h200x2.json);
  /// - run-to-run: decode-h100.json's 28-layer rounds have medians 26.0 to 32.6 ms (1.25x apart;
  ///   the slowest 32.6 / 26.44 = 1.23), calibration-h100.json's batch-8 rounds 22.0 to 29.3
  ///   (0.83 to 1.11 of the estimate); on the H200 host the one-GPU decode took 17.64 ms in one
  ///   run (calibration-h200x2.json) and 19.9 to 23.8 ms in the next (split-sweep-h200x2.json):
  ///   1.35x between runs.
  /// - eight architectures at 8 layers measured in turn over 16 sweeps on the H200 host
  ///   (host-cost-interleaved-h200.json, `Scripts/measure_host_cost.py --part interleave`): one
  ///   round's decode falls at 0.74 to 1.40 of the median (p10 to p90 of 128 rounds; 0.64 to 1.68
  ///   at the extremes); held out of the launch fit, Phi-3 decodes at 1.23 of the estimate and
  ///   Qwen1.5-MoE at 1.00 (HostCostTests).
  /// So low 0.75 and high 1.40: that host's p10 and p90 (wider than the H100 host's runs and the
  /// held-out residuals above). Not covered: another host's CPU (the H200 host decodes at 0.67 of
  /// the H100 host's estimate: fit a profile there) and the extremes of a noisy host.
  public static let transformers = TimeSpread(low: 0.75, high: 1.40)

  /// vLLM (CUDA graphs): 0.80 to 1.25. Its decode time is not measured here; from the published
  /// comparisons in ``RuntimeProfile/vllm``'s comment and `Docs/Measurements.md`: gpt-fast on an
  /// A100 9.5 / 9.06 ms (1.05), on an RTX 4090 15.4 / 18.02 (0.85); Helix's vLLM per-layer
  /// efficiencies 0.66 to 0.83 against the profile's 0.80 (up to 0.80 / 0.66 = 1.21 slower); the
  /// CUDA-graph floor on an H100 6.02 / 5.28 ms (1.14, calibration-h100.json).
  public static let vllm = TimeSpread(low: 0.80, high: 1.25)

  /// SGLang: vLLM's spread (its profile is vLLM's; not measured apart).
  public static let sglang = vllm

  /// llama.cpp: 0.85 to 1.45. Not measured here; from the published 7B fp16 decode times in
  /// `Docs/Measurements.md` (anchor-research.md, the XiongjieDai benchmark): RTX 3090 19.3 / 20.55
  /// ms (0.94), A6000 22.7 / 25.01 (0.91), RTX 4090 16.5 / 19.10 (0.86), H100 PCIe 12.0 / 9.73
  /// (1.23), A100 PCIe 13.4 / 10.05 (1.33); on A100/H100 llama.cpp reaches 52 to 56% of the
  /// bandwidth against the profile's 75% (0.75 / 0.52 = 1.44).
  public static let llamaCpp = TimeSpread(low: 0.85, high: 1.45)

  /// The roofline: datasheet peaks are a bound, not a prediction; its times are "at best".
  public static let roofline = TimeSpread(low: 1, high: 1)

  /// A runtime without a spread of its own: the widest of the above.
  public static let unknown = TimeSpread(low: 0.75, high: 1.45)

  /// The built-in spread of the runtime named `name` (``RuntimeProfile/name``).
  public static func builtIn(runtime name: String) -> TimeSpread {
    switch name {
    case "transformers": .transformers
    case "vllm": .vllm
    case "sglang": .sglang
    case "llama.cpp": .llamaCpp
    case "roofline": .roofline
    default: .unknown
    }
  }
}
