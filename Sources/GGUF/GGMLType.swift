/// ggml tensor element types, with the block geometry of each quantization.
public enum GGMLType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
  case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
  case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
  case iq2_XXS = 16, iq2_XS = 17, iq3_XXS = 18, iq1_S = 19, iq4_NL = 20, iq3_S = 21, iq2_S = 22, iq4_XS = 23
  case i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_M = 29, bf16 = 30
  case tq1_0 = 34, tq2_0 = 35, mxfp4 = 39

  /// Weights per block and bytes per block.
  public var blockGeometry: (weights: Int, bytes: Int) {
    switch self {
    case .f32: (1, 4)
    case .f16, .bf16: (1, 2)
    case .q4_0: (32, 18)
    case .q4_1: (32, 20)
    case .q5_0: (32, 22)
    case .q5_1: (32, 24)
    case .q8_0: (32, 34)
    case .q8_1: (32, 36)
    case .q2_K: (256, 84)
    case .q3_K: (256, 110)
    case .q4_K: (256, 144)
    case .q5_K: (256, 176)
    case .q6_K: (256, 210)
    case .q8_K: (256, 292)
    case .iq2_XXS: (256, 66)
    case .iq2_XS: (256, 74)
    case .iq3_XXS: (256, 98)
    case .iq1_S: (256, 50)
    case .iq4_NL: (32, 18)
    case .iq3_S: (256, 110)
    case .iq2_S: (256, 82)
    case .iq4_XS: (256, 136)
    case .i8: (1, 1)
    case .i16: (1, 2)
    case .i32: (1, 4)
    case .i64: (1, 8)
    case .f64: (1, 8)
    case .iq1_M: (256, 56)
    case .tq1_0: (256, 54)
    case .tq2_0: (256, 66)
    case .mxfp4: (32, 17)
    }
  }

  /// Types this build converts to Float32.
  public static let dequantizable: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K]
  public var isDequantizable: Bool { GGMLType.dequantizable.contains(self) }
  static var supportedList: String { dequantizable.map(\.description).joined(separator: ", ") }

  /// The name gguf-py and llama.cpp use ("Q4_K", "IQ2_XXS", ...).
  public var description: String {
    switch self {
    case .f32: "F32"
    case .f16: "F16"
    case .q4_0: "Q4_0"
    case .q4_1: "Q4_1"
    case .q5_0: "Q5_0"
    case .q5_1: "Q5_1"
    case .q8_0: "Q8_0"
    case .q8_1: "Q8_1"
    case .q2_K: "Q2_K"
    case .q3_K: "Q3_K"
    case .q4_K: "Q4_K"
    case .q5_K: "Q5_K"
    case .q6_K: "Q6_K"
    case .q8_K: "Q8_K"
    case .iq2_XXS: "IQ2_XXS"
    case .iq2_XS: "IQ2_XS"
    case .iq3_XXS: "IQ3_XXS"
    case .iq1_S: "IQ1_S"
    case .iq4_NL: "IQ4_NL"
    case .iq3_S: "IQ3_S"
    case .iq2_S: "IQ2_S"
    case .iq4_XS: "IQ4_XS"
    case .i8: "I8"
    case .i16: "I16"
    case .i32: "I32"
    case .i64: "I64"
    case .f64: "F64"
    case .iq1_M: "IQ1_M"
    case .bf16: "BF16"
    case .tq1_0: "TQ1_0"
    case .tq2_0: "TQ2_0"
    case .mxfp4: "MXFP4"
    }
  }
}
