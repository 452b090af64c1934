import Foundation
import GGUF

/// A GGUF encoder for tests (format: ggml's `docs/gguf.md`, versions 2 and 3), built by chaining:
/// `GGUFWriter().metadata(key, value).tensor(name, shape:, float32:).encoded()`.
///
/// It writes valid files by default; the `raw…`, `magic` and `version` methods make the broken files the
/// error tests need. Tensor data is laid out in order, each tensor at the next multiple of the alignment
/// (`general.alignment` when set, else 32); there is no padding after the last tensor, so cutting the
/// file anywhere always loses bytes the reader needs.
public struct GGUFWriter {
  public enum Failure: Error, CustomStringConvertible {
    case mixedArray(key: String)
    case wrongByteCount(tensor: String, expected: Int, found: Int)

    public var description: String {
      switch self {
      case .mixedArray(let key): "array of metadata key '\(key)' mixes element types"
      case .wrongByteCount(let tensor, let expected, let found): "tensor '\(tensor)': \(found) bytes, expected \(expected)"
      }
    }
  }

  private enum Entry {
    case value(key: String, GGUFValue)
    case raw(key: String, typeCode: UInt32, payload: [UInt8])
  }

  private struct Tensor {
    var name: String
    var dimensions: [UInt64]  // innermost first
    var typeCode: UInt32
    var data: [UInt8]
    var offset: UInt64?  // nil: laid out by the writer
  }

  public init() {}

  private var magicBytes: [UInt8] = Array("GGUF".utf8)
  private var formatVersion: UInt32 = 3
  private var entries: [Entry] = []
  private var tensors: [Tensor] = []

  // MARK: - Building

  public func magic(_ bytes: [UInt8]) -> GGUFWriter { with { $0.magicBytes = bytes } }
  public func version(_ version: UInt32) -> GGUFWriter { with { $0.formatVersion = version } }

  public func metadata(_ key: String, _ value: GGUFValue) -> GGUFWriter { with { $0.entries.append(.value(key: key, value)) } }
  public func metadata(_ key: String, _ value: String) -> GGUFWriter { metadata(key, .string(value)) }
  public func metadata(_ key: String, _ value: UInt32) -> GGUFWriter { metadata(key, .uint32(value)) }
  public func metadata(_ key: String, _ value: Float) -> GGUFWriter { metadata(key, .float32(value)) }
  public func metadata(_ key: String, _ value: Bool) -> GGUFWriter { metadata(key, .bool(value)) }
  public func metadata(_ key: String, _ values: [String]) -> GGUFWriter { metadata(key, .array(values.map { .string($0) })) }
  public func metadata(_ key: String, _ values: [Int32]) -> GGUFWriter { metadata(key, .array(values.map { .int32($0) })) }

  /// A key with an arbitrary value type code followed by arbitrary payload bytes.
  public func rawMetadata(_ key: String, typeCode: UInt32, payload: [UInt8]) -> GGUFWriter {
    with { $0.entries.append(.raw(key: key, typeCode: typeCode, payload: payload)) }
  }

  /// A float32 tensor; `shape` is outer-first (numpy order), `[rows, columns]`.
  public func tensor(_ name: String, shape: [Int], float32 values: [Float]) -> GGUFWriter {
    tensor(name, shape: shape, type: .f32, bytes: values.flatMap { le($0.bitPattern) })
  }

  /// A tensor of any type from its raw (quantized) bytes; `shape` is outer-first.
  public func tensor(_ name: String, shape: [Int], type: GGMLType, bytes: [UInt8]) -> GGUFWriter {
    rawTensor(name, dimensions: shape.reversed().map(UInt64.init), typeCode: type.rawValue, bytes: bytes)
  }

  /// A tensor directory entry written as given: any type code, and an explicit data offset when `offset`
  /// is set (the bytes are still appended to the data section).
  public func rawTensor(_ name: String, dimensions: [UInt64], typeCode: UInt32, offset: UInt64? = nil, bytes: [UInt8]) -> GGUFWriter {
    with { $0.tensors.append(Tensor(name: name, dimensions: dimensions, typeCode: typeCode, data: bytes, offset: offset)) }
  }

  private func with(_ change: (inout GGUFWriter) -> Void) -> GGUFWriter {
    var copy = self
    change(&copy)
    return copy
  }

  // MARK: - Encoding

  /// The alignment the data is laid out with: `general.alignment` when it is valid, else 32.
  public var alignment: Int {
    for case .value(GGUFKey.General.alignment, let value) in entries {
      if let a = value.integer, a > 0, a <= 1 << 30, a & (a - 1) == 0 { return a }
    }
    return 32
  }

  public func encoded() throws -> Data {
    var out: [UInt8] = magicBytes
    out += le(formatVersion)
    out += le(UInt64(tensors.count))
    out += le(UInt64(entries.count))
    for entry in entries {
      switch entry {
      case .value(let key, let value):
        out += string(key)
        out += le(typeCode(value).rawValue)
        out += try payload(value, key: key)
      case .raw(let key, let code, let payload):
        out += string(key)
        out += le(code)
        out += payload
      }
    }
    let align = alignment
    var offsets: [UInt64] = []
    var dataSize = 0
    for t in tensors {
      dataSize = padded(dataSize, align)
      offsets.append(t.offset ?? UInt64(dataSize))
      dataSize += t.data.count
    }
    for (t, offset) in zip(tensors, offsets) {
      out += string(t.name)
      out += le(UInt32(t.dimensions.count))
      for d in t.dimensions { out += le(d) }
      out += le(t.typeCode)
      out += le(offset)
    }
    let dataStart = padded(out.count, align)
    out += [UInt8](repeating: 0, count: dataStart - out.count)
    for t in tensors {
      out += [UInt8](repeating: 0, count: padded(out.count - dataStart, align) - (out.count - dataStart))
      out += t.data
    }
    return Data(out)
  }

  private func typeCode(_ value: GGUFValue) -> GGUFValue.TypeCode {
    switch value {
    case .uint8: .uint8
    case .int8: .int8
    case .uint16: .uint16
    case .int16: .int16
    case .uint32: .uint32
    case .int32: .int32
    case .float32: .float32
    case .bool: .bool
    case .string: .string
    case .array: .array
    case .uint64: .uint64
    case .int64: .int64
    case .float64: .float64
    }
  }

  private func payload(_ value: GGUFValue, key: String) throws -> [UInt8] {
    switch value {
    case .uint8(let v): return [v]
    case .int8(let v): return [UInt8(bitPattern: v)]
    case .uint16(let v): return le(v)
    case .int16(let v): return le(v)
    case .uint32(let v): return le(v)
    case .int32(let v): return le(v)
    case .float32(let v): return le(v.bitPattern)
    case .bool(let v): return [v ? 1 : 0]
    case .string(let s): return string(s)
    case .uint64(let v): return le(v)
    case .int64(let v): return le(v)
    case .float64(let v): return le(v.bitPattern)
    case .array(let items):
      // An empty array is written with element type u8; it reads back as `.array([])` all the same.
      let element = items.first.map { typeCode($0) } ?? .uint8
      var out = le(element.rawValue) + le(UInt64(items.count))
      for item in items {
        guard typeCode(item) == element else { throw Failure.mixedArray(key: key) }
        out += try payload(item, key: key)
      }
      return out
    }
  }
}

// MARK: - Little-endian helpers

public func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
  withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

/// A GGUF string: u64 length, then the UTF-8 bytes.
public func string(_ s: String) -> [UInt8] { le(UInt64(s.utf8.count)) + Array(s.utf8) }

public func padded(_ n: Int, _ alignment: Int) -> Int { (n + alignment - 1) / alignment * alignment }

// MARK: - A small complete model

extension GGUFWriter {
  /// A miniature Llama-shaped file: the metadata keys the project reads, a tokenizer, and tensors of
  /// several types (F32 norms, a Q8_0 embedding, a Q4_1 projection, an F16 and a BF16 vector).
  public static func tinyLlama(version: UInt32 = 3, alignment: UInt32? = nil) -> GGUFWriter {
    var writer = GGUFWriter().version(version)
      .metadata(GGUFKey.General.architecture, "llama")
      .metadata(GGUFKey.General.name, "Tiny Llama")
    if let alignment { writer = writer.metadata(GGUFKey.General.alignment, alignment) }
    let tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "a", "b", "ab", "Ġ", "Ġab"]
    return writer
      .metadata(GGUFKey.LLM.blockCount("llama"), UInt32(1))
      .metadata(GGUFKey.LLM.contextLength("llama"), UInt32(128))
      .metadata(GGUFKey.LLM.embeddingLength("llama"), UInt32(64))
      .metadata(GGUFKey.LLM.feedForwardLength("llama"), UInt32(96))
      .metadata(GGUFKey.LLM.headCount("llama"), UInt32(4))
      .metadata(GGUFKey.LLM.headCountKV("llama"), UInt32(2))
      .metadata(GGUFKey.LLM.ropeFrequencyBase("llama"), Float(10_000))
      .metadata(GGUFKey.LLM.rmsEpsilon("llama"), Float(1e-5))
      .metadata(GGUFKey.LLM.ropeDimensionCount("llama"), UInt32(16))
      .metadata(GGUFKey.LLM.vocabSize("llama"), UInt32(tokens.count))
      .metadata(GGUFKey.Tokenizer.model, "gpt2")
      .metadata(GGUFKey.Tokenizer.preTokenizer, "smollm")
      .metadata(GGUFKey.Tokenizer.tokens, tokens)
      .metadata(GGUFKey.Tokenizer.tokenTypes, [Int32](repeating: 3, count: 3) + [Int32](repeating: 1, count: tokens.count - 3))
      .metadata(GGUFKey.Tokenizer.merges, ["a b", "Ġ ab"])
      .metadata(GGUFKey.Tokenizer.bos, UInt32(1))
      .metadata(GGUFKey.Tokenizer.eos, UInt32(2))
      .metadata(GGUFKey.Tokenizer.unknown, UInt32(0))
      .metadata(GGUFKey.Tokenizer.padding, UInt32(2))
      .metadata(GGUFKey.Tokenizer.addBOS, false)
      .metadata(GGUFKey.Tokenizer.chatTemplate, "{% for message in messages %}\n{{ message['content'] }}\n{% endfor %}")
      .tensor("token_embd.weight", shape: [tokens.count, 64], type: .q8_0, bytes: q8_0Blocks(tokens.count * 2, seed: 1))
      .tensor("blk.0.attn_norm.weight", shape: [64], float32: (0 ..< 64).map { 1 + Float($0) / 64 })
      .tensor("blk.0.attn_q.weight", shape: [64, 64], type: .q4_1, bytes: q4_1Blocks(64 * 2, seed: 2))
      .tensor("blk.0.ffn_norm.weight", shape: [64], type: .f16, bytes: (0 ..< 64).flatMap { le(Float16(Float($0) / 8).bitPattern) })
      .tensor("output_norm.weight", shape: [64], type: .bf16, bytes: (0 ..< 64).flatMap { le(UInt16(truncatingIfNeeded: Float(-$0).bitPattern >> 16)) })
  }

  /// `count` Q8_0 blocks with scale 1/64 and quants drawn from a small linear congruential sequence.
  public static func q8_0Blocks(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    return (0 ..< count).flatMap { _ -> [UInt8] in
      le(Float16(1.0 / 64).bitPattern) + (0 ..< 32).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return UInt8(truncatingIfNeeded: state >> 56)
      }
    }
  }

  /// `count` Q4_1 blocks with d = 1/16, m = -1/2 and pseudo-random nibbles.
  public static func q4_1Blocks(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    return (0 ..< count).flatMap { _ -> [UInt8] in
      le(Float16(1.0 / 16).bitPattern) + le(Float16(-0.5).bitPattern) + (0 ..< 16).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return UInt8(truncatingIfNeeded: state >> 56)
      }
    }
  }
}
