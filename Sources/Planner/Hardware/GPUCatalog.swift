// The GPU catalog: datasheet figures for the cards the planner knows by name.
//
// Units and conventions
// - `memory` is the total `nvidia-smi` prints with current drivers (R535 and later), in MiB × 2^20,
//   with ECC in its default state. On data-center GDDR cards (P4, P40, T4, A10, A10G, L4, L40S) ECC
//   is on by default and takes 1/16 of the memory: a T4 reports 15360 MiB of its 16 GiB. Older drivers
//   printed a smaller total, close to what CUDA sees (an RTX 3090 showed 24268 MiB under driver 455,
//   pytorch/pytorch#54564, and shows 24576 MiB under 580): those figures are not used here.
// - `usableMemory` is what one PyTorch process can allocate: the total CUDA sees (the `nvidia-smi`
//   total less the driver's `Reserved` line, which is `torch.cuda.mem_get_info()[1]` and the "total
//   capacity" a PyTorch out-of-memory message prints) less the CUDA context that process creates
//   (driver state, lazily loaded kernels, cuBLAS workspace: one constant per generation, below).
//   Each entry says where its CUDA total comes from; where none was found it is an estimate.
// - Rates are dense datasheet peaks (sparsity figures halved) in SI units: bytes per second and
//   FLOP/s (TFLOPS × 1e12). `fp16FLOPS` is the tensor-core rate with fp32 accumulate where the
//   card has tensor cores (GeForce cards run that at half their fp16-accumulate rate), else the
//   CUDA-core rate. `fp8FLOPS` follows the same accumulate convention. `int8OPS` is tensor-core
//   int8, or DP4A on Pascal sm_61 and Volta.
// - NVLink is recorded for SXM modules only. PCIe cards that take an optional NVLink bridge have
//   `nvlinkGeneration == nil`; the bridge is named in `source` and will be modelled as a link.
// - `source` names where the numbers came from, briefly (the comment above each entry has the links):
//   `ref §2` is ../shared/reference/models-and-gpus.md §2 with its confidence tags ([T] third-party
//   copy, [M] from memory, [meas] measured on this project's machines); `smi` is the evidence for the
//   `nvidia-smi` total and `cuda` for the CUDA total, as GitHub `repository#issue`; the word
//   `estimate` marks values that are guesses.

// MARK: - CUDA context of one PyTorch process, per generation

// Estimates, to be calibrated on real GPUs (issue "calibration" measures H100 and H200). What is
// known: with lazy module loading (CUDA ≥ 11.7, PyTorch's default since 1.13) the context is
// "~300MB" / "around 400MB" (PyTorch maintainer, pytorch/pytorch#107667 and #109888); PyTorch's own
// test when it turned lazy loading on measured 287,047,680 B of total − free after one small
// tensor, against 666,632,192 B with eager loading (pytorch/pytorch#86509). A bare context is
// 256 MiB on an RTX 3090 with torch 2.7.1+cu128 (invoke-ai/InvokeAI#9413). The context grows with
// the number of SMs (the driver reserves local memory for every resident thread), so the
// generations with bigger dies get more. Ollama charges 457 MiB per CUDA GPU whatever the card
// (anchor-runtimes.md, `MinimumMemory`); llama.cpp keeps a 1024 MiB margin (`--fit-target`).

/// Pascal (P4, P40, P100): 20 to 56 SMs, and PyTorch builds for sm_6x are CUDA 11.8/12.x.
/// Estimate: the ~300 MB the PyTorch maintainers quote for a lazy-loading context.
let cudaContextPascal: ByteCount = .mebibytes(300)

/// Volta (V100): 80 SMs. Estimate between Pascal and Ampere.
let cudaContextVolta: ByteCount = .mebibytes(350)

/// Turing (T4, RTX 2080 Ti): 40 and 68 SMs. Estimate, as Pascal.
let cudaContextTuring: ByteCount = .mebibytes(300)

/// Ampere (A100, A10, RTX 3090, A6000): 72 to 108 SMs. Estimate: "around 400MB"
/// (pytorch/pytorch#109888), which is also a 256 MiB bare 3090 context (InvokeAI#9413) plus the
/// ~110 MiB that the first matrix products and attention added on an H200 (see Hopper).
let cudaContextAmpere: ByteCount = .mebibytes(400)

/// Ada (L4, L40S, RTX 4090): 58 to 142 SMs. Estimate, a little above Ampere for the larger dies.
let cudaContextAda: ByteCount = .mebibytes(450)

/// Hopper (H100, H200): 132 SMs. Measured on one H200 (driver 580.159.04, torch 2.11.0+cu130, lazy
/// loading): 619 MiB outside PyTorch's allocator right after `torch.zeros(1, device="cuda")`,
/// 695 MiB after the first bf16/fp16/fp32 matrix products, SDPA attention and a cuDNN convolution,
/// plus the 32 MiB cuBLAS workspace PyTorch keeps inside its allocator: 727 MiB, rounded up.
/// With `CUDA_MODULE_LOADING=EAGER` the same steps took 2031 MiB. Not yet measured on an H100.
let cudaContextHopper: ByteCount = .mebibytes(730)

/// The GPUs the planner knows by name.
public enum GPUCatalog {
  /// Every known GPU, in the order `planner gpus` lists them (by architecture generation, then memory).
  ///
  /// Ties in memory keep the order written here: the SXM module before the PCIe card, A10 before A10G.
  /// Each entry's aliases are the short names people type plus the product name `nvidia-smi` prints,
  /// so that `nvidia-smi --query-gpu=name` output can be looked up as it is.
  public static let all: [GPU] = [
    // MARK: - Pascal

    // nvidia-smi total: none found; 7680 MiB is 15/16 of 8 GiB (ECC on, as the T4's 15360 is).
    // CUDA total 7611 MiB: the older-driver total the brief suggested searching for (not found in the
    // indexes), close to CUDA's as on other cards. Both estimates.
    GPU(
      name: "P4", aliases: ["Tesla P4"],
      architecture: "Pascal GP104", computeCapability: 61,
      memory: mib(7_680), usableMemory: mib(7_611) - cudaContextPascal,
      bandwidthBytesPerSecond: giga(192),
      fp32FLOPS: tera(5.5), fp16FLOPS: tera(0.089), bf16FLOPS: nil, fp8FLOPS: nil, int8OPS: tera(22),
      pcieGeneration: 3, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: true,
      source: "ref §2 [T] (STH launch table); smi and cuda estimate"),
    // nvidia-smi total: 16384 MiB (wookayin/gpustat#130, driver 515). CUDA total 16280 MiB: the
    // older-driver total as remembered, not found in the indexes: estimate.
    GPU(
      name: "P100", aliases: ["tesla-p100", "p100-pcie", "p100-16g", "Tesla P100-PCIE-16GB"],
      architecture: "Pascal GP100", computeCapability: 60,
      memory: mib(16_384), usableMemory: mib(16_280) - cudaContextPascal,
      bandwidthBytesPerSecond: giga(732),
      fp32FLOPS: tera(9.3), fp16FLOPS: tera(18.7), bf16FLOPS: nil, fp8FLOPS: nil, int8OPS: nil,
      pcieGeneration: 3, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: true,
      source: "ref §2 [T]; smi gpustat#130; cuda estimate"),
    // Same memory as the PCIe card; nvidia-smi total and CUDA total estimates.
    GPU(
      name: "P100-SXM2", aliases: ["tesla-p100-sxm2", "p100-sxm2-16gb", "Tesla P100-SXM2-16GB"],
      architecture: "Pascal GP100", computeCapability: 60,
      memory: mib(16_384), usableMemory: mib(16_280) - cudaContextPascal,
      bandwidthBytesPerSecond: giga(732),
      fp32FLOPS: tera(10.6), fp16FLOPS: tera(21.2), bf16FLOPS: nil, fp8FLOPS: nil, int8OPS: nil,
      pcieGeneration: 3, nvlinkGeneration: 1, nvlinkBytesPerSecond: giga(160), supportsPeerToPeer: true,
      source: "ref §2-3 [T]; smi and cuda estimate"),
    // nvidia-smi total: 24576 MiB with ECC off (dphnAI/sonar#522, driver 550). ECC on, assumed the
    // default as on other Tesla boards, leaves 15/16: 23040 MiB, estimate. CUDA total 22.38 GiB
    // (PyTorch OOM message, LinkSoul-AI/Chinese-Llama-2-7b#56), which fits ECC on.
    GPU(
      name: "P40", aliases: ["Tesla P40"],
      architecture: "Pascal GP102", computeCapability: 61,
      memory: mib(23_040), usableMemory: mib(22_917) - cudaContextPascal,
      bandwidthBytesPerSecond: giga(346),
      fp32FLOPS: tera(11.76), fp16FLOPS: tera(0.1837), bf16FLOPS: nil, fp8FLOPS: nil, int8OPS: tera(47),
      pcieGeneration: 3, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: true,
      source: "ref §2 [T]; smi sonar#522 (ECC off), ECC-on total estimate; cuda LinkSoul#56"),

    // MARK: - Volta

    // `v100` means this card: the 16 GB SXM2 module is the V100 of AWS p3 and Google Cloud, the
    // ones most people rent. nvidia-smi total: 16384 MiB, estimate (the 32 GB module prints
    // 32768 MiB on driver 525). CUDA total 16160 MiB: the older-driver total (ref §2 [M]), estimate.
    GPU(
      name: "V100-16G-SXM2",
      aliases: [
        "v100", "tesla-v100", "v100-16g", "v100-16gb", "v100-sxm2", "v100-sxm2-16gb", "Tesla V100-SXM2-16GB",
      ],
      architecture: "Volta GV100", computeCapability: 70,
      memory: mib(16_384), usableMemory: mib(16_160) - cudaContextVolta,
      bandwidthBytesPerSecond: giga(900),
      fp32FLOPS: tera(15.7), fp16FLOPS: tera(125), bf16FLOPS: nil, fp8FLOPS: nil, int8OPS: tera(62),
      pcieGeneration: 3, nvlinkGeneration: 2, nvlinkBytesPerSecond: giga(300), supportsPeerToPeer: true,
      source: "ref §2 [T]/[M]; int8 (DP4A) estimate; smi and cuda estimate"),
    // nvidia-smi total and CUDA total as the SXM2 module, estimates.
    GPU(
      name: "V100-16G-PCIe", aliases: ["v100-pcie", "v100-pcie-16gb", "Tesla V100-PCIE-16GB"],
      architecture: "Volta GV100", computeCapability: 70,
      memory: mib(16_384), usableMemory: mib(16_160) - cudaContextVolta,
      bandwidthBytesPerSecond: giga(900),
      fp32FLOPS: tera(14), fp16FLOPS: tera(112), bf16FLOPS: nil, fp8FLOPS: nil, int8OPS: tera(56),
      pcieGeneration: 3, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: true,
      source: "ref §2 [T] (io-tech.fi); int8 (DP4A) estimate; smi and cuda estimate"),
    // nvidia-smi total: 32768 MiB (Wan-Video/Wan2.1#5, driver 525). CUDA total 31.74 GiB (PyTorch
    // OOM message on a V100 32GB, liucongg/ChatGLM-Finetuning#73).
    GPU(
      name: "V100-32G-SXM2", aliases: ["v100-32g", "v100-32gb", "v100-sxm2-32gb", "Tesla V100-SXM2-32GB"],
      architecture: "Volta GV100", computeCapability: 70,
      memory: mib(32_768), usableMemory: mib(32_502) - cudaContextVolta,
      bandwidthBytesPerSecond: giga(900),
      fp32FLOPS: tera(15.7), fp16FLOPS: tera(125), bf16FLOPS: nil, fp8FLOPS: nil, int8OPS: tera(62),
      pcieGeneration: 3, nvlinkGeneration: 2, nvlinkBytesPerSecond: giga(300), supportsPeerToPeer: true,
      source: "ref §2 [T]/[M]; int8 (DP4A) estimate; smi Wan2.1#5; cuda ChatGLM-Finetuning#73"),
    // nvidia-smi total: 32768 MiB (akash-network/provider-configs#90, a V100 PCIe 32 GB board).
    // CUDA total as the SXM2 module, estimate.
    GPU(
      name: "V100-32G-PCIe", aliases: ["v100-pcie-32gb", "Tesla V100-PCIE-32GB"],
      architecture: "Volta GV100", computeCapability: 70,
      memory: mib(32_768), usableMemory: mib(32_502) - cudaContextVolta,
      bandwidthBytesPerSecond: giga(900),
      fp32FLOPS: tera(14), fp16FLOPS: tera(112), bf16FLOPS: nil, fp8FLOPS: nil, int8OPS: tera(56),
      pcieGeneration: 3, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: true,
      source: "ref §2 [T] (io-tech.fi); int8 (DP4A) estimate; smi provider-configs#90; cuda estimate"),

    // MARK: - Turing

    // nvidia-smi total: 11264 MiB (11 GiB, no ECC), estimate. CUDA total 10.76 GiB (PyTorch OOM
    // message, RenYurui/StructureFlow#35). No PCIe P2P with the stock driver
    // (tensorflow/tensorflow#24677; NVIDIA/nccl-tests#117); the optional 2-link bridge gives 100 GB/s.
    GPU(
      name: "RTX2080Ti", aliases: ["2080ti", "geforce-rtx-2080-ti", "NVIDIA GeForce RTX 2080 Ti"],
      architecture: "Turing TU102", computeCapability: 75,
      memory: mib(11_264), usableMemory: mib(11_018) - cudaContextTuring,
      bandwidthBytesPerSecond: giga(616),
      fp32FLOPS: tera(13.4), fp16FLOPS: tera(53.8), bf16FLOPS: nil, fp8FLOPS: nil, int8OPS: tera(215.2),
      pcieGeneration: 3, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: false,
      source: "ref §2 [M]; NVLink bridge 100 GB/s; smi estimate; cuda StructureFlow#35"),
    // nvidia-smi total: 15360 MiB (modal-labs/modal-client#2797). CUDA total 14.56 GiB (PyTorch OOM
    // messages, Zheng-Chong/CatVTON#133 and AlphaGPU/leetgpu-challenges#52, 2025; Colab's T4 showed
    // 14.75 GiB in hpcaitech/Open-Sora#697).
    GPU(
      name: "T4", aliases: ["Tesla T4"],
      architecture: "Turing TU104", computeCapability: 75,
      memory: mib(15_360), usableMemory: mib(14_909) - cudaContextTuring,
      bandwidthBytesPerSecond: giga(320),
      fp32FLOPS: tera(8.1), fp16FLOPS: tera(65), bf16FLOPS: nil, fp8FLOPS: nil, int8OPS: tera(130),
      pcieGeneration: 3, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: true,
      source: "ref §2 [T]; smi modal-client#2797; cuda CatVTON#133"),

    // MARK: - Ampere

    // GeForce Ampere rates: the GA102 whitepaper gives the 3080's dense FP16 tensor rate with FP32
    // accumulate (59.5, half the FP16-accumulate rate on GeForce) and INT8 (238); the 3060 (GA106, 28
    // SMs at 1777 MHz boost) and 3080 Ti (80 SMs at 1665 MHz) are scaled from the 3090's 71/284 by
    // SMs × boost clock, so they are derived, not datasheet figures. Bandwidths are memory clock ×
    // bus width (360, 760, 912 GB/s). No PCIe P2P with the stock GeForce driver (as the 3090).
    // nvidia-smi totals: the nominal 12/10/12 GiB as the 3090's 24576 under driver 580, estimates;
    // CUDA totals 512 MiB less, estimates.
    // The 10 GB card (GA102, 68 SMs): whitepaper figures [M].
    GPU(
      name: "RTX3080", aliases: ["3080", "3080-10g", "NVIDIA GeForce RTX 3080"],
      architecture: "Ampere GA102", computeCapability: 86,
      memory: mib(10_240), usableMemory: mib(9_728) - cudaContextAmpere,
      bandwidthBytesPerSecond: giga(760),
      fp32FLOPS: tera(29.8), fp16FLOPS: tera(59.5), bf16FLOPS: tera(59.5), fp8FLOPS: nil,
      int8OPS: tera(238),
      pcieGeneration: 4, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: false,
      source: "GA102 whitepaper [M]; smi and cuda estimate"),
    // GA106, 28 SMs, the 12 GB card (an 8 GB one prints the same name: --gpus local tells them apart
    // by memory); tensor rates scaled from the 3090 (derived).
    GPU(
      name: "RTX3060-12G",
      aliases: ["3060", "rtx-3060", "3060-12g", "3060-12gb", "rtx3060-12gb", "NVIDIA GeForce RTX 3060"],
      architecture: "Ampere GA106", computeCapability: 86,
      memory: mib(12_288), usableMemory: mib(11_776) - cudaContextAmpere,
      bandwidthBytesPerSecond: giga(360),
      fp32FLOPS: tera(12.7), fp16FLOPS: tera(25.4), bf16FLOPS: tera(25.4), fp8FLOPS: nil,
      int8OPS: tera(101.7),
      pcieGeneration: 4, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: false,
      source: "Ampere whitepaper scaled [M] (derived); smi and cuda estimate"),
    // GA102, 80 SMs; tensor rates scaled from the 3090 (derived).
    GPU(
      name: "RTX3080Ti", aliases: ["3080ti", "NVIDIA GeForce RTX 3080 Ti"],
      architecture: "Ampere GA102", computeCapability: 86,
      memory: mib(12_288), usableMemory: mib(11_776) - cudaContextAmpere,
      bandwidthBytesPerSecond: giga(912),
      fp32FLOPS: tera(34.1), fp16FLOPS: tera(68.0), bf16FLOPS: tera(68.0), fp8FLOPS: nil,
      int8OPS: tera(272.2),
      pcieGeneration: 4, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: false,
      source: "Ampere whitepaper scaled [M] (derived); smi and cuda estimate"),
    // nvidia-smi total: 23028 MiB (NVML total 24,146,608,128 B, mayooot/detect-gpu#3). CUDA total
    // 21.99 GiB (PyTorch OOM message on a Lambda A10, zai-org/CogVLM#236).
    GPU(
      name: "A10", aliases: ["nvidia-a10", "a10-24gb"],
      architecture: "Ampere GA102", computeCapability: 86,
      memory: mib(23_028), usableMemory: mib(22_518) - cudaContextAmpere,
      bandwidthBytesPerSecond: giga(600),
      fp32FLOPS: tera(31.2), fp16FLOPS: tera(125), bf16FLOPS: tera(125), fp8FLOPS: nil, int8OPS: tera(250),
      pcieGeneration: 4, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: true,
      source: "ref §2 [T]/[M] (A10 datasheet); smi detect-gpu#3; cuda CogVLM#236"),
    // nvidia-smi total: 23028 MiB (NVIDIA/DCGM#232, AWS). CUDA total as the A10, estimate. No NVIDIA
    // datasheet: the tensor rates are the ~70 TFLOPS baseten quotes, estimates.
    GPU(
      name: "A10G", aliases: ["nvidia-a10g", "aws-a10g"],
      architecture: "Ampere GA102", computeCapability: 86,
      memory: mib(23_028), usableMemory: mib(22_518) - cudaContextAmpere,
      bandwidthBytesPerSecond: giga(600),
      fp32FLOPS: tera(31.2), fp16FLOPS: tera(70), bf16FLOPS: tera(70), fp8FLOPS: nil, int8OPS: tera(140),
      pcieGeneration: 4, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: true,
      source: "ref §2 [T] (baseten); rates estimate; smi DCGM#232; cuda estimate"),
    // nvidia-smi total: 24576 MiB (noonghunna/club-3090#390, driver 580). CUDA total 23.70 GiB
    // (PyTorch OOM messages, xiaoxiangAQ/GAS-Net#7, GaoLii/DSP#10). No PCIe P2P with the stock driver:
    // "CANNOT Access Peer" on 8 × 3090 (NVIDIA/nccl#1127); patched open modules enable it
    // (aikitoria/open-gpu-kernel-modules#3). The optional 4-link bridge gives 112.5 GB/s.
    GPU(
      name: "RTX3090", aliases: ["3090", "geforce-rtx-3090", "NVIDIA GeForce RTX 3090"],
      architecture: "Ampere GA102", computeCapability: 86,
      memory: mib(24_576), usableMemory: mib(24_269) - cudaContextAmpere,
      bandwidthBytesPerSecond: giga(936),
      fp32FLOPS: tera(35.6), fp16FLOPS: tera(71), bf16FLOPS: tera(71), fp8FLOPS: nil, int8OPS: tera(284),
      pcieGeneration: 4, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: false,
      source: "ref §2 [M]; NVLink bridge 112.5 GB/s; smi club-3090#390; cuda GAS-Net#7"),
    // nvidia-smi total: 40960 MiB (modal-labs/modal-client#2797). CUDA total 42,405,855,232 B
    // (40441.4 MiB, deviceQuery, ref §2 [T]; PyTorch printed 39.50 GiB in TianheWu/CoSeR#10).
    GPU(
      name: "A100-40G-SXM",
      aliases: [
        "a100-40g", "a100-40gb", "a100-40gb-sxm", "a100-40gb-sxm4", "a100-sxm4-40gb", "NVIDIA A100-SXM4-40GB",
      ],
      architecture: "Ampere GA100", computeCapability: 80,
      memory: mib(40_960), usableMemory: ByteCount(42_405_855_232) - cudaContextAmpere,
      bandwidthBytesPerSecond: giga(1555),
      fp32FLOPS: tera(19.5), fp16FLOPS: tera(312), bf16FLOPS: tera(312), fp8FLOPS: nil, int8OPS: tera(624),
      pcieGeneration: 4, nvlinkGeneration: 3, nvlinkBytesPerSecond: giga(600), supportsPeerToPeer: true,
      source: "ref §2 [T] (A100 datasheet); smi modal-client#2797; cuda deviceQuery ref §2"),
    // Same memory as the SXM4 module: nvidia-smi total and CUDA total estimates.
    GPU(
      name: "A100-40G-PCIe", aliases: ["a100-pcie-40gb", "a100-40gb-pcie", "NVIDIA A100-PCIE-40GB"],
      architecture: "Ampere GA100", computeCapability: 80,
      memory: mib(40_960), usableMemory: ByteCount(42_405_855_232) - cudaContextAmpere,
      bandwidthBytesPerSecond: giga(1555),
      fp32FLOPS: tera(19.5), fp16FLOPS: tera(312), bf16FLOPS: tera(312), fp8FLOPS: nil, int8OPS: tera(624),
      pcieGeneration: 4, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: true,
      source: "ref §2 [T]; NVLink bridge 600 GB/s [M]; smi and cuda estimate"),
    // A40 datasheet figures as a third-party table copies them (hmc-tech.com: FP32 37.42, BF16/FP16
    // tensor 149.67 dense with FP32 accumulate, INT8 299.34; a reseller's copy of the datasheet:
    // 696 GB/s, NVLink bridge 112.5 GB/s bidirectional, PCIe 4.0, 300 W). nvidia-smi total: 46068 MiB
    // as the L40S (48 GB, ECC on by default), estimate; CUDA total 512 MiB less, estimate.
    GPU(
      name: "A40", aliases: ["nvidia-a40", "a40-48gb"],
      architecture: "Ampere GA102", computeCapability: 86,
      memory: mib(46_068), usableMemory: mib(45_556) - cudaContextAmpere,
      bandwidthBytesPerSecond: giga(696),
      fp32FLOPS: tera(37.4), fp16FLOPS: tera(149.7), bf16FLOPS: tera(149.7), fp8FLOPS: nil,
      int8OPS: tera(299.3),
      pcieGeneration: 4, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: true,
      source: "datasheet [T] (hmc-tech.com, reseller copy); NVLink bridge 112.5 GB/s; smi and cuda estimate"),
    // nvidia-smi total: 49140 MiB, estimate (48 GiB less 12 MiB, as the 4090's 24564; ECC is off by
    // default on this workstation card). CUDA total: 512 MiB less, estimate.
    GPU(
      name: "A6000", aliases: ["rtx-a6000", "NVIDIA RTX A6000"],
      architecture: "Ampere GA102", computeCapability: 86,
      memory: mib(49_140), usableMemory: mib(48_628) - cudaContextAmpere,
      bandwidthBytesPerSecond: giga(768),
      fp32FLOPS: tera(38.7), fp16FLOPS: tera(154.8), bf16FLOPS: tera(154.8), fp8FLOPS: nil,
      int8OPS: tera(309.7),
      pcieGeneration: 4, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: true,
      source: "ref §2 [T]/[M]; NVLink bridge 112.5 GB/s; smi and cuda estimate"),
    // `a100` and `a100-sxm` mean this card: the 80 GB SXM4 module is the A100 most clusters and clouds
    // have. nvidia-smi total: 81920 MiB (NVIDIA/nccl-tests#228). CUDA total 79.25 GiB (PyTorch OOM
    // message, levihsu/OOTDiffusion#235).
    GPU(
      name: "A100-80G-SXM",
      aliases: [
        "a100", "a100-sxm", "a100-80g", "a100-80gb", "a100-80gb-sxm", "a100-80gb-sxm4", "a100-sxm4-80gb",
        "NVIDIA A100-SXM4-80GB",
      ],
      architecture: "Ampere GA100", computeCapability: 80,
      memory: mib(81_920), usableMemory: mib(81_152) - cudaContextAmpere,
      bandwidthBytesPerSecond: giga(2039),
      fp32FLOPS: tera(19.5), fp16FLOPS: tera(312), bf16FLOPS: tera(312), fp8FLOPS: nil, int8OPS: tera(624),
      pcieGeneration: 4, nvlinkGeneration: 3, nvlinkBytesPerSecond: giga(600), supportsPeerToPeer: true,
      source: "ref §2 [T] (A100 datasheet); smi nccl-tests#228; cuda OOTDiffusion#235"),
    // `a100-pcie` means this card, the A100 PCIe sold since 2021. nvidia-smi total: 81920 MiB on the
    // A800 80GB PCIe, the same board (vllm-project/vllm#41519). CUDA total as the SXM4 module, estimate.
    GPU(
      name: "A100-80G-PCIe",
      aliases: ["a100-pcie", "a100-pcie-80gb", "a100-80gb-pcie", "NVIDIA A100 80GB PCIe"],
      architecture: "Ampere GA100", computeCapability: 80,
      memory: mib(81_920), usableMemory: mib(81_152) - cudaContextAmpere,
      bandwidthBytesPerSecond: giga(1935),
      fp32FLOPS: tera(19.5), fp16FLOPS: tera(312), bf16FLOPS: tera(312), fp8FLOPS: nil, int8OPS: tera(624),
      pcieGeneration: 4, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: true,
      source: "ref §2 [T]; NVLink bridge 600 GB/s [M]; smi vllm#41519 (A800); cuda estimate"),

    // MARK: - Ada Lovelace

    // GeForce Ada rates: the Ada whitepaper gives the 4090's dense FP16 tensor rate with FP32
    // accumulate (165.2, half the FP16-accumulate rate) for 128 SMs at 2520 MHz; the 4070 Ti (60 SMs,
    // 2610 MHz), 4080 (76, 2505) and 4060 Ti (34, 2535) are scaled by SMs × boost clock (derived;
    // NVIDIA's "AI TOPS" of 641 and 353 for the 4070 Ti and 4060 Ti agree: FP8 sparse with FP16
    // accumulate is 8 × these). FP8 is twice, INT8 four times the FP16 rate. Bandwidths: 504, 716.8,
    // 288 GB/s (memory clock × bus). No PCIe P2P with the stock driver (as the 4090). nvidia-smi
    // totals: 12282, 16376, 16380 MiB [M], estimates; CUDA totals 512 MiB less, estimates.
    GPU(
      name: "RTX4070Ti", aliases: ["4070ti", "NVIDIA GeForce RTX 4070 Ti"],
      architecture: "Ada AD104", computeCapability: 89,
      memory: mib(12_282), usableMemory: mib(11_770) - cudaContextAda,
      bandwidthBytesPerSecond: giga(504),
      fp32FLOPS: tera(40.1), fp16FLOPS: tera(80.2), bf16FLOPS: tera(80.2), fp8FLOPS: tera(160.4),
      int8OPS: tera(320.8),
      pcieGeneration: 4, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: false,
      source: "Ada whitepaper scaled [M] (derived); smi and cuda estimate"),
    // AD103, 76 SMs.
    GPU(
      name: "RTX4080", aliases: ["4080", "geforce-rtx-4080", "NVIDIA GeForce RTX 4080"],
      architecture: "Ada AD103", computeCapability: 89,
      memory: mib(16_376), usableMemory: mib(15_864) - cudaContextAda,
      bandwidthBytesPerSecond: giga(716.8),
      fp32FLOPS: tera(48.7), fp16FLOPS: tera(97.5), bf16FLOPS: tera(97.5), fp8FLOPS: tera(195),
      int8OPS: tera(390),
      pcieGeneration: 4, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: false,
      source: "Ada whitepaper scaled [M] (derived); smi and cuda estimate"),
    // The 16 GB card (AD106, PCIe 4.0 x8). The 8 GB card prints the same name: `--gpus local` tells
    // them apart by memory, and `4060ti` here means the 16 GB one.
    GPU(
      name: "RTX4060Ti-16G",
      aliases: ["4060ti-16g", "4060ti-16gb", "rtx-4060-ti-16gb", "4060ti", "NVIDIA GeForce RTX 4060 Ti"],
      architecture: "Ada AD106", computeCapability: 89,
      memory: mib(16_380), usableMemory: mib(15_868) - cudaContextAda,
      bandwidthBytesPerSecond: giga(288),
      fp32FLOPS: tera(22.1), fp16FLOPS: tera(44.1), bf16FLOPS: tera(44.1), fp8FLOPS: tera(88.2),
      int8OPS: tera(176.4),
      pcieGeneration: 4, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: false,
      source: "Ada whitepaper scaled [M] (derived); PCIe 4.0 x8; smi and cuda estimate"),
    // nvidia-smi total: 23034 MiB (modal-labs/modal-client#2797). CUDA total: 512 MiB less, estimate.
    GPU(
      name: "L4", aliases: ["nvidia-l4"],
      architecture: "Ada AD104", computeCapability: 89,
      memory: mib(23_034), usableMemory: mib(22_522) - cudaContextAda,
      bandwidthBytesPerSecond: giga(300),
      fp32FLOPS: tera(30.3), fp16FLOPS: tera(121), bf16FLOPS: tera(121), fp8FLOPS: tera(242.5),
      int8OPS: tera(242.5),
      pcieGeneration: 4, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: true,
      source: "ref §2 [T] (L4 datasheet figures); smi modal-client#2797; cuda estimate"),
    // nvidia-smi total: 24564 MiB (RLinf/RLinf#255, driver 550; vllm-project/vllm#7553). CUDA total
    // 23.64 GiB (PyTorch OOM messages, ali-vilab/VGen#104, 3DTopia/Phidias-Diffusion#8). PCIe P2P is
    // disabled in the stock driver (ref §2-3 [T]); there is no NVLink.
    GPU(
      name: "RTX4090", aliases: ["4090", "geforce-rtx-4090", "NVIDIA GeForce RTX 4090"],
      architecture: "Ada AD102", computeCapability: 89,
      memory: mib(24_564), usableMemory: mib(24_207) - cudaContextAda,
      bandwidthBytesPerSecond: giga(1008),
      fp32FLOPS: tera(82.6), fp16FLOPS: tera(165.2), bf16FLOPS: tera(165.2), fp8FLOPS: tera(330.3),
      int8OPS: tera(660.6),
      pcieGeneration: 4, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: false,
      source: "ref §2 [M] (Ada whitepaper); smi RLinf#255; cuda VGen#104"),
    // L40 datasheet figures as a reseller copies them (mullet.se, L40 beside L40S: FP32 90.5, BF16/FP16
    // tensor 181.05 dense, FP8 362, INT8 362, 864 GB/s, PCIe 4.0, 300 W, no NVLink). nvidia-smi and CUDA
    // totals as the L40S (same 48 GB ECC board), estimates.
    GPU(
      name: "L40", aliases: ["nvidia-l40"],
      architecture: "Ada AD102", computeCapability: 89,
      memory: mib(46_068), usableMemory: mib(45_599) - cudaContextAda,
      bandwidthBytesPerSecond: giga(864),
      fp32FLOPS: tera(90.5), fp16FLOPS: tera(181.05), bf16FLOPS: tera(181.05), fp8FLOPS: tera(362),
      int8OPS: tera(362),
      pcieGeneration: 4, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: true,
      source: "datasheet [T] (mullet.se copy); smi and cuda estimate"),
    // L20 (China, 48 GB GDDR6, PCIe 4.0 x16: a 2023 report of NVIDIA's export-compliant line, 1cnz.cn):
    // no public NVIDIA datasheet; FP32 59.8, FP16 tensor 119.5 dense, FP8/INT8 239, 864 GB/s are the
    // figures reported at launch [M], estimates. nvidia-smi and CUDA totals as the L40, estimates.
    GPU(
      name: "L20", aliases: ["nvidia-l20"],
      architecture: "Ada AD102", computeCapability: 89,
      memory: mib(46_068), usableMemory: mib(45_599) - cudaContextAda,
      bandwidthBytesPerSecond: giga(864),
      fp32FLOPS: tera(59.8), fp16FLOPS: tera(119.5), bf16FLOPS: tera(119.5), fp8FLOPS: tera(239),
      int8OPS: tera(239),
      pcieGeneration: 4, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: true,
      source: "no datasheet: launch reports [M]; smi and cuda estimate"),
    // nvidia-smi total: 46068 MiB (modal-labs/modal-client#2797). CUDA total 44.53 GiB (PyTorch OOM
    // message, Wan-Video/Wan2.1#205).
    GPU(
      name: "L40S", aliases: ["nvidia-l40s"],
      architecture: "Ada AD102", computeCapability: 89,
      memory: mib(46_068), usableMemory: mib(45_599) - cudaContextAda,
      bandwidthBytesPerSecond: giga(864),
      fp32FLOPS: tera(91.6), fp16FLOPS: tera(362), bf16FLOPS: tera(362), fp8FLOPS: tera(733),
      int8OPS: tera(733),
      pcieGeneration: 4, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: true,
      source: "ref §2 [T] (L40S datasheet figures); smi modal-client#2797; cuda Wan2.1#205"),

    // RTX 6000 Ada: 142 SMs, FP32 91.1 and 960 GB/s (grafikkarten.com's copy of NVIDIA's table); the
    // datasheet's "Tensor performance 1,457 TFLOPS" is FP8 with sparsity, so dense FP16 with FP32
    // accumulate (full rate on professional cards) is 364.25 and FP8 728.5 [M]. ECC off by default:
    // nvidia-smi total 49140 MiB as the A6000, estimate; CUDA total 512 MiB less, estimate.
    GPU(
      name: "RTX6000Ada", aliases: ["6000ada", "rtx-6000-ada-generation", "NVIDIA RTX 6000 Ada Generation"],
      architecture: "Ada AD102", computeCapability: 89,
      memory: mib(49_140), usableMemory: mib(48_628) - cudaContextAda,
      bandwidthBytesPerSecond: giga(960),
      fp32FLOPS: tera(91.1), fp16FLOPS: tera(364.25), bf16FLOPS: tera(364.25), fp8FLOPS: tera(728.5),
      int8OPS: tera(728.5),
      pcieGeneration: 4, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: true,
      source:
        "datasheet [T]/[M] (grafikkarten.com; tensor from NVIDIA's 1,457 sparse FP8); smi and cuda estimate"),

    // MARK: - Hopper

    // nvidia-smi total: 81559 MiB (ref §2 [meas]; NVIDIA/nccl#1264; modal-client#2797). CUDA total
    // 79.11 GiB (PyTorch OOM message, vllm-project/vllm#27508): the driver reserves 551 MiB.
    GPU(
      name: "H100-SXM",
      aliases: ["h100", "h100-80gb", "h100-sxm5", "h100-sxm5-80gb", "NVIDIA H100 80GB HBM3"],
      architecture: "Hopper GH100", computeCapability: 90,
      memory: mib(81_559), usableMemory: mib(81_008) - cudaContextHopper,
      bandwidthBytesPerSecond: giga(3350),
      fp32FLOPS: tera(67), fp16FLOPS: tera(989), bf16FLOPS: tera(989), fp8FLOPS: tera(1979),
      int8OPS: tera(1979),
      pcieGeneration: 5, nvlinkGeneration: 4, nvlinkBytesPerSecond: giga(900), supportsPeerToPeer: true,
      source: "ref §2 [T]; smi [meas]; cuda vllm#27508"),
    // nvidia-smi total and CUDA total as the SXM module (same 80 GB, HBM2e), estimates. Compute from
    // the GH100 whitepaper (756.5 dense fp16, cited in qoofyk/LLM_Sizing_Guide#3); fp32 51 is [M].
    GPU(
      name: "H100-PCIe", aliases: ["h100-pcie-80gb", "NVIDIA H100 PCIe"],
      architecture: "Hopper GH100", computeCapability: 90,
      memory: mib(81_559), usableMemory: mib(81_008) - cudaContextHopper,
      bandwidthBytesPerSecond: giga(2000),
      fp32FLOPS: tera(51), fp16FLOPS: tera(756.5), bf16FLOPS: tera(756.5), fp8FLOPS: tera(1513),
      int8OPS: tera(1513),
      pcieGeneration: 5, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: true,
      source: "ref §2 [T]/[M] (PB-11133); NVLink bridge 600 GB/s [M]; smi and cuda estimate"),
    // H100 NVL (PCIe card, pairs joined by NVLink bridges, 600 GB/s): 94 GB HBM3 at 3.9 TB/s
    // (aiminingco.com; grokipedia: 3.93 TB/s, PCIe 5.0, 350-400 W) [T]; FP16 tensor 835 dense, FP8 and
    // INT8 1671, FP32 60 from NVIDIA's H100 datasheet [M]. nvidia-smi total 95830 MiB [M], estimate;
    // CUDA total 551 MiB less, as the H100 SXM's measured reserve.
    GPU(
      name: "H100-NVL", aliases: ["h100-nvl-94gb", "NVIDIA H100 NVL"],
      architecture: "Hopper GH100", computeCapability: 90,
      memory: mib(95_830), usableMemory: mib(95_279) - cudaContextHopper,
      bandwidthBytesPerSecond: giga(3900),
      fp32FLOPS: tera(60), fp16FLOPS: tera(835), bf16FLOPS: tera(835), fp8FLOPS: tera(1671),
      int8OPS: tera(1671),
      pcieGeneration: 5, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: true,
      source:
        "H100 datasheet [M]; memory [T] (aiminingco, grokipedia); NVLink bridge 600 GB/s; smi and cuda estimate"
    ),
    // GH200 Grace Hopper, the 96 GB HBM3 module (the 144 GB HBM3e one is a separate product): GPU rates
    // as the H100 SXM (FP16 990 dense, FP8/INT8 1979), 4 TB/s, NVLink 4 at 900 GB/s to other GH200s
    // and NVLink-C2C to the Grace CPU, from NVIDIA's GH200 datasheet [M]. nvidia-smi prints
    // "NVIDIA GH200 480GB" with 97871 MiB [M], estimate; CUDA total 551 MiB less, estimate.
    GPU(
      name: "GH200", aliases: ["gh200-96g", "gh200-96gb", "grace-hopper", "NVIDIA GH200 480GB"],
      architecture: "Hopper GH100", computeCapability: 90,
      memory: mib(97_871), usableMemory: mib(97_320) - cudaContextHopper,
      bandwidthBytesPerSecond: giga(4000),
      fp32FLOPS: tera(67), fp16FLOPS: tera(989), bf16FLOPS: tera(989), fp8FLOPS: tera(1979),
      int8OPS: tera(1979),
      pcieGeneration: 5, nvlinkGeneration: 4, nvlinkBytesPerSecond: giga(900), supportsPeerToPeer: true,
      source: "GH200 datasheet [M]; smi and cuda estimate"),
    // H20 (China, HGX/SXM): 96 GB HBM3 at 4.0 TB/s, FP16 148 dense, FP8/INT8 296, FP32 44, NVLink 900
    // GB/s, 400 W (willitrunai.com; zangshuxian.com; 1cnz.cn) [T]; no public NVIDIA datasheet.
    // nvidia-smi total 97871 MiB as the GH200's 96 GB [M], estimate; CUDA total 551 MiB less, estimate.
    GPU(
      name: "H20", aliases: ["nvidia-h20", "h20-96g"],
      architecture: "Hopper GH100", computeCapability: 90,
      memory: mib(97_871), usableMemory: mib(97_320) - cudaContextHopper,
      bandwidthBytesPerSecond: giga(4000),
      fp32FLOPS: tera(44), fp16FLOPS: tera(148), bf16FLOPS: tera(148), fp8FLOPS: tera(296),
      int8OPS: tera(296),
      pcieGeneration: 5, nvlinkGeneration: 4, nvlinkBytesPerSecond: giga(900), supportsPeerToPeer: true,
      source: "no datasheet: third-party tables [T]; smi and cuda estimate"),
    // nvidia-smi total: 143771 MiB, Reserved 616 MiB; CUDA total 150,109,880,320 B (torch
    // `mem_get_info`), all [meas] on an H200 (driver 580.159.04).
    GPU(
      name: "H200", aliases: ["h200-141g", "h200-141gb", "h200-sxm", "NVIDIA H200"],
      architecture: "Hopper GH100", computeCapability: 90,
      memory: mib(143_771), usableMemory: ByteCount(150_109_880_320) - cudaContextHopper,
      bandwidthBytesPerSecond: giga(4800),
      fp32FLOPS: tera(67), fp16FLOPS: tera(989), bf16FLOPS: tera(989), fp8FLOPS: tera(1979),
      int8OPS: tera(1979),
      pcieGeneration: 5, nvlinkGeneration: 4, nvlinkBytesPerSecond: giga(900), supportsPeerToPeer: true,
      source: "ref §2 [T]; smi, cuda and NV18 link [meas]"),

    // MARK: - Blackwell

    // B200 (HGX, 1000 W): FP16/BF16 tensor 2250 dense, FP8 and INT8 4500, FP32 80, 8 TB/s, NVLink 5 at
    // 1.8 TB/s (glennklockwood.com's table of NVIDIA's figures) [T]. 180 GB per GPU on HGX B200
    // (192 GB of HBM3e stacks); nvidia-smi total 183359 MiB [M], estimate; CUDA total 551 MiB less, as
    // Hopper, estimate. PCIe 6.0 capable; hosts run it at 5.0, as modelled. The CUDA context is
    // Hopper's, estimate.
    GPU(
      name: "B200", aliases: ["nvidia-b200", "b200-180g", "b200-sxm"],
      architecture: "Blackwell GB100", computeCapability: 100,
      memory: mib(183_359), usableMemory: mib(182_808) - cudaContextHopper,
      bandwidthBytesPerSecond: giga(8000),
      fp32FLOPS: tera(80), fp16FLOPS: tera(2250), bf16FLOPS: tera(2250), fp8FLOPS: tera(4500),
      int8OPS: tera(4500),
      pcieGeneration: 5, nvlinkGeneration: 5, nvlinkBytesPerSecond: giga(1800), supportsPeerToPeer: true,
      source: "NVIDIA figures [T] (glennklockwood.com); smi and cuda estimate"),

    // MARK: - AMD CDNA (ROCm)

    // PyTorch's ROCm builds (transformers, accelerate), vLLM and llama.cpp's HIP backend run on both;
    // `computeCapability` is the CUDA level with the same native types (see GPU). Infinity Fabric
    // links between modules are not modelled as NVLink: pairs are PCIe peer-to-peer unless --link
    // says otherwise. The HIP context and driver reserve are unknown: 1 GiB, estimate.
    //
    // MI250X: one module is two GCDs, and ROCm (and so PyTorch and vLLM) sees each as a device of
    // 64 GB, so an entry here is one GCD: half the module's 128 GB HBM2e, 3.2 TB/s, 383 FP16/BF16
    // and INT8, 47.9 FP32 vector (AMD's table as zexron.com copies it) [T]. 8 x MI250X is 4 modules.
    GPU(
      name: "MI250X", aliases: ["mi250x-gcd", "instinct-mi250x", "AMD Instinct MI250X"],
      architecture: "CDNA2 MI250X GCD", computeCapability: 80,
      memory: mib(65_536), usableMemory: mib(64_512),
      bandwidthBytesPerSecond: giga(1600),
      fp32FLOPS: tera(23.95), fp16FLOPS: tera(191.5), bf16FLOPS: tera(191.5), fp8FLOPS: nil,
      int8OPS: tera(191.5),
      pcieGeneration: 4, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: true,
      source: "AMD table [T] (zexron.com), halved per GCD; memory and context estimate",
      rocmTarget: "gfx90a"),
    // MI300X: 192 GB HBM3, 5.3 TB/s, FP16/BF16 1307.4 dense, FP8 and INT8 2614.9, FP32 vector 81.7,
    // 7 Infinity Fabric links (896 GB/s), PCIe 5.0, 750 W: AMD's datasheet [M]; 192 GB, 5.3 TB/s,
    // ~1.3 PFLOPS FP16 and ~2.6 FP8 dense also in jaredwatkins.com's summary [T].
    GPU(
      name: "MI300X", aliases: ["instinct-mi300x", "mi300x-192g", "AMD Instinct MI300X"],
      architecture: "CDNA3 MI300X", computeCapability: 90,
      memory: mib(196_608), usableMemory: mib(195_584),
      bandwidthBytesPerSecond: giga(5300),
      fp32FLOPS: tera(81.7), fp16FLOPS: tera(1307.4), bf16FLOPS: tera(1307.4), fp8FLOPS: tera(2614.9),
      int8OPS: tera(2614.9),
      pcieGeneration: 5, nvlinkGeneration: nil, nvlinkBytesPerSecond: nil, supportsPeerToPeer: true,
      source: "AMD datasheet [M]/[T] (jaredwatkins.com); memory and context estimate",
      rocmTarget: "gfx942"),
  ]
}

// MARK: - Units

/// `n` MiB, as `nvidia-smi` prints memory.
private func mib(_ n: Int64) -> ByteCount { .mebibytes(n) }

/// `x` GB/s in bytes per second (SI).
private func giga(_ x: Double) -> Double { x * 1e9 }

/// `x` TFLOPS (or TOPS) in operations per second (SI).
private func tera(_ x: Double) -> Double { x * 1e12 }
