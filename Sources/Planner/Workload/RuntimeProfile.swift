/// What a runtime adds on each GPU beyond weights, KV cache and activations.
///
/// Every constant says where its value came from. The calibration issue replaces estimates with
/// measurements on real GPUs; keep them here, in one place.
public struct RuntimeProfile: Sendable, Hashable, Codable {
  /// The runtime's name as `--runtime` takes it.
  public var name: String
  /// Bytes a runtime holds on every GPU it uses beyond the CUDA context (already excluded from
  /// ``GPU/usableMemory``): library workspaces and allocator slack.
  public var reservePerGPU: ByteCount

  /// transformers (eager PyTorch) with accelerate's hooks.
  ///
  /// Reserve: 256 MiB, an estimate: cuBLAS keeps a workspace per handle and stream (PyTorch's
  /// default `CUBLAS_WORKSPACE_CONFIG=:4096:8` is 8 × 4 MiB = 32 MiB on Hopper), and the caching
  /// allocator rounds blocks up to 2 MiB and keeps freed blocks (fragmentation); accelerate's docs
  /// say the first CUDA allocation takes "about 1-2GB" including the context
  /// (../shared/reference/anchor-accelerate.md §1.7). To be measured by the calibration issue.
  public static let transformers = RuntimeProfile(name: "transformers", reservePerGPU: .mebibytes(256))
}
