/// A GGUF metadata value (the 13 value types of the format).
public enum GGUFValue: Sendable, Equatable {
  case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
  case float32(Float), bool(Bool), string(String), uint64(UInt64), int64(Int64), float64(Double)
  case array([GGUFValue])

  /// The GGUF value type code (0 ... 12).
  public enum TypeCode: UInt32, Sendable {
    case uint8 = 0, int8, uint16, int16, uint32, int32, float32, bool, string, array, uint64, int64, float64
  }

  public var typeName: String {
    switch self {
    case .uint8: "u8"
    case .int8: "i8"
    case .uint16: "u16"
    case .int16: "i16"
    case .uint32: "u32"
    case .int32: "i32"
    case .float32: "f32"
    case .bool: "bool"
    case .string: "string"
    case .uint64: "u64"
    case .int64: "i64"
    case .float64: "f64"
    case .array(let items): "array[\(items.count)]"
    }
  }

  /// The value as an integer, for any integer type (and bool).
  public var integer: Int? {
    switch self {
    case .uint8(let v): Int(v)
    case .int8(let v): Int(v)
    case .uint16(let v): Int(v)
    case .int16(let v): Int(v)
    case .uint32(let v): Int(v)
    case .int32(let v): Int(v)
    case .uint64(let v): Int(exactly: v)
    case .int64(let v): Int(v)
    case .bool(let v): v ? 1 : 0
    default: nil
    }
  }

  /// The value as a floating-point number, for float and integer types.
  public var double: Double? {
    switch self {
    case .float32(let v): Double(v)
    case .float64(let v): v
    default: integer.map(Double.init)
    }
  }

  public var string: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  public var array: [GGUFValue]? {
    if case .array(let items) = self { return items }
    return nil
  }

  /// A short human-readable rendering (arrays abbreviated).
  public var summary: String {
    switch self {
    case .string(let s):
      return s.count > 48 ? "\"\(escaped(s.prefix(45)))...\" (\(s.count) chars)" : "\"\(escaped(s[...]))\""
    case .array(let items):
      // As many leading items as fit in about 40 characters (at least one), then the count.
      var shown: [String] = []
      var width = 0
      for item in items.prefix(4) {
        let text = item.summary
        if !shown.isEmpty, width + text.count > 40 { break }
        shown.append(text)
        width += text.count + 2
      }
      return "[" + shown.joined(separator: ", ") + (shown.count < items.count ? ", ... (\(items.count) items)" : "") + "]"
    case .bool(let b): return "\(b)"
    case .float32(let f): return "\(f)"
    case .float64(let f): return "\(f)"
    case .uint64(let v): return "\(v)"
    default: return integer.map(String.init) ?? "?"
    }
  }
}

/// Control characters spelled out, so that a summary stays on one line.
private func escaped(_ s: Substring) -> String {
  var out = ""
  for scalar in s.unicodeScalars {
    switch scalar {
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\t": out += "\\t"
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    default:
      if scalar.properties.generalCategory == .control {
        out += "\\u{\(String(scalar.value, radix: 16))}"
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
  }
  return out
}

/// Metadata keys used by this project, in one namespace (gguf-py `Keys`).
public enum GGUFKey {
  public enum General {
    public static let architecture = "general.architecture"
    public static let alignment = "general.alignment"
    public static let name = "general.name"
    public static let fileType = "general.file_type"
  }
  public enum LLM {
    public static func contextLength(_ arch: String) -> String { "\(arch).context_length" }
    public static func embeddingLength(_ arch: String) -> String { "\(arch).embedding_length" }
    public static func blockCount(_ arch: String) -> String { "\(arch).block_count" }
    public static func feedForwardLength(_ arch: String) -> String { "\(arch).feed_forward_length" }
    public static func headCount(_ arch: String) -> String { "\(arch).attention.head_count" }
    public static func headCountKV(_ arch: String) -> String { "\(arch).attention.head_count_kv" }
    public static func rmsEpsilon(_ arch: String) -> String { "\(arch).attention.layer_norm_rms_epsilon" }
    public static func keyLength(_ arch: String) -> String { "\(arch).attention.key_length" }
    public static func ropeFrequencyBase(_ arch: String) -> String { "\(arch).rope.freq_base" }
    public static func ropeDimensionCount(_ arch: String) -> String { "\(arch).rope.dimension_count" }
    public static func vocabSize(_ arch: String) -> String { "\(arch).vocab_size" }
  }
  public enum Tokenizer {
    public static let model = "tokenizer.ggml.model"
    public static let preTokenizer = "tokenizer.ggml.pre"
    public static let tokens = "tokenizer.ggml.tokens"
    public static let tokenTypes = "tokenizer.ggml.token_type"
    public static let merges = "tokenizer.ggml.merges"
    public static let bos = "tokenizer.ggml.bos_token_id"
    public static let eos = "tokenizer.ggml.eos_token_id"
    public static let unknown = "tokenizer.ggml.unknown_token_id"
    public static let padding = "tokenizer.ggml.padding_token_id"
    public static let addBOS = "tokenizer.ggml.add_bos_token"
    public static let addSpacePrefix = "tokenizer.ggml.add_space_prefix"
    public static let chatTemplate = "tokenizer.chat_template"
  }
}
