/// A ggml tensor type as a GGUF file stores it: the id of `enum ggml_type`, and the block of
/// `blockElements` elements that takes `blockBytes` bytes.
///
/// The table is ggml's own: `type_traits[GGML_TYPE_COUNT]` in ggml/src/ggml.c (`.blck_size`,
/// `.type_size = sizeof(block_…)`) with the block structs of ggml/src/ggml-common.h, as the `gguf`
/// Python package (gguf-py, `GGML_QUANT_SIZES` in gguf/constants.py, version 0.19.0) mirrors it.
/// `fixtures/models/ggml-quant-sizes.json` holds that package's table (`Scripts/ggml_quant_sizes.py`
/// writes it) and a test checks every row against this one. Ids 4 and 5 (Q4_2, Q4_3) and 31-33,
/// 36-38 (the repacked Q4_0_4_4 … IQ4_NL_8_8) were removed from ggml and are refused, as ggml's own
/// loader refuses them (`type_size == 0`).
public struct GGMLType: Sendable, Hashable, CustomStringConvertible {
  /// The `enum ggml_type` value (`GGML_TYPE_Q4_K` = 12).
  public var id: UInt32
  /// ggml's name without the prefix (`"Q4_K"`).
  public var name: String
  /// Elements per block (`blck_size`): 1 for plain types, 32 or 256 (`QK_K`) for quantized ones.
  public var blockElements: Int64
  /// Bytes per block (`type_size`).
  public var blockBytes: Int64

  public var description: String { name }

  /// Whether the type holds floating-point or quantized weights (a float tensor for the planner);
  /// `I8` … `I64` are integers.
  public var isFloatingPoint: Bool { !name.hasPrefix("I") || name.hasPrefix("IQ") }

  /// Every type ggml still defines, by id.
  public static let all: [GGMLType] = [
    GGMLType(id: 0, name: "F32", blockElements: 1, blockBytes: 4),
    GGMLType(id: 1, name: "F16", blockElements: 1, blockBytes: 2),
    // block_q4_0: fp16 d, 16 bytes of nibbles.
    GGMLType(id: 2, name: "Q4_0", blockElements: 32, blockBytes: 18),
    // block_q4_1: fp16 d and m, 16 bytes of nibbles.
    GGMLType(id: 3, name: "Q4_1", blockElements: 32, blockBytes: 20),
    // block_q5_0: fp16 d, 4 bytes of high bits, 16 bytes of nibbles.
    GGMLType(id: 6, name: "Q5_0", blockElements: 32, blockBytes: 22),
    GGMLType(id: 7, name: "Q5_1", blockElements: 32, blockBytes: 24),
    // block_q8_0: fp16 d, 32 int8.
    GGMLType(id: 8, name: "Q8_0", blockElements: 32, blockBytes: 34),
    // block_q8_1: fp16 d and s, 32 int8: 36 bytes (`static_assert(sizeof(block_q8_1) ==
    // 2*sizeof(ggml_half) + QK8_1)`). gguf-py 0.19.0 still says 40 (from when d and s were fp32);
    // ggml's struct is what a file holds.
    GGMLType(id: 9, name: "Q8_1", blockElements: 32, blockBytes: 36),
    // The k-quants, QK_K = 256 elements per super-block.
    GGMLType(id: 10, name: "Q2_K", blockElements: 256, blockBytes: 84),
    GGMLType(id: 11, name: "Q3_K", blockElements: 256, blockBytes: 110),
    GGMLType(id: 12, name: "Q4_K", blockElements: 256, blockBytes: 144),
    GGMLType(id: 13, name: "Q5_K", blockElements: 256, blockBytes: 176),
    GGMLType(id: 14, name: "Q6_K", blockElements: 256, blockBytes: 210),
    GGMLType(id: 15, name: "Q8_K", blockElements: 256, blockBytes: 292),
    // The i-quants.
    GGMLType(id: 16, name: "IQ2_XXS", blockElements: 256, blockBytes: 66),
    GGMLType(id: 17, name: "IQ2_XS", blockElements: 256, blockBytes: 74),
    GGMLType(id: 18, name: "IQ3_XXS", blockElements: 256, blockBytes: 98),
    GGMLType(id: 19, name: "IQ1_S", blockElements: 256, blockBytes: 50),
    GGMLType(id: 20, name: "IQ4_NL", blockElements: 32, blockBytes: 18),
    GGMLType(id: 21, name: "IQ3_S", blockElements: 256, blockBytes: 110),
    GGMLType(id: 22, name: "IQ2_S", blockElements: 256, blockBytes: 82),
    GGMLType(id: 23, name: "IQ4_XS", blockElements: 256, blockBytes: 136),
    GGMLType(id: 24, name: "I8", blockElements: 1, blockBytes: 1),
    GGMLType(id: 25, name: "I16", blockElements: 1, blockBytes: 2),
    GGMLType(id: 26, name: "I32", blockElements: 1, blockBytes: 4),
    GGMLType(id: 27, name: "I64", blockElements: 1, blockBytes: 8),
    GGMLType(id: 28, name: "F64", blockElements: 1, blockBytes: 8),
    GGMLType(id: 29, name: "IQ1_M", blockElements: 256, blockBytes: 56),
    GGMLType(id: 30, name: "BF16", blockElements: 1, blockBytes: 2),
    // The ternary types.
    GGMLType(id: 34, name: "TQ1_0", blockElements: 256, blockBytes: 54),
    GGMLType(id: 35, name: "TQ2_0", blockElements: 256, blockBytes: 66),
    // block_mxfp4: one E8M0 exponent, 16 bytes of FP4 (E2M1) pairs.
    GGMLType(id: 39, name: "MXFP4", blockElements: 32, blockBytes: 17),
    // block_nvfp4: four UE4M3 scales, 32 bytes of FP4 pairs.
    GGMLType(id: 40, name: "NVFP4", blockElements: 64, blockBytes: 36),
    // block_q1_0: fp16 d, 16 bytes of sign bits.
    GGMLType(id: 41, name: "Q1_0", blockElements: 128, blockBytes: 18),
  ]

  private static let byID: [UInt32: GGMLType] = Dictionary(
    uniqueKeysWithValues: all.map { ($0.id, $0) })

  /// The type of an id read from a file; `nil` for an unknown or removed id.
  public static func type(id: UInt32) -> GGMLType? { byID[id] }

  /// The type of a name (`"Q4_K"`), for tests and messages.
  public static func named(_ name: String) -> GGMLType? { all.first { $0.name == name } }

  /// Bytes of a tensor whose innermost dimension is `rowLength` (ggml's `ne[0]`) and which holds
  /// `elements` elements: whole blocks (`ggml_nbytes`). `nil` where a row is not a whole number of
  /// blocks (ggml refuses the tensor) or the bytes pass `Int64` (never for a counted shape).
  public func bytes(rowLength: Int64, elements: Int64) -> Int64? {
    guard rowLength >= 0, elements >= 0, rowLength % blockElements == 0 else { return nil }
    let (bytes, overflow) = (elements / blockElements).multipliedReportingOverflow(by: blockBytes)
    return overflow ? nil : bytes
  }
}
