import Foundation
import GGUF
import TestSupport
import Testing

/// The GGUFError a throwing call ends with, or nil when it does not throw (or throws something else).
func ggufError(_ body: () throws -> Void) -> GGUFError? {
  do { try body() } catch let error as GGUFError { return error } catch { return nil }
  return nil
}

/// One value of each of the 13 GGUF value types, plus arrays: empty, of every scalar type, of strings,
/// and nested (arrays of arrays with different element types).
let everyValueType: [(String, GGUFValue)] = [
  ("t.u8", .uint8(250)),
  ("t.i8", .int8(-120)),
  ("t.u16", .uint16(65_000)),
  ("t.i16", .int16(-32_000)),
  ("t.u32", .uint32(4_000_000_000)),
  ("t.i32", .int32(-2_000_000_000)),
  ("t.f32", .float32(-1.5e-7)),
  ("t.bool", .bool(true)),
  ("t.string", .string("héllo, 世界 ✓")),
  ("t.u64", .uint64(UInt64.max - 1)),
  ("t.i64", .int64(Int64.min + 1)),
  ("t.f64", .float64(3.141_592_653_589_793)),
  ("t.empty_string", .string("")),
  ("t.array.empty", .array([])),
  ("t.array.u8", .array([.uint8(0), .uint8(255)])),
  ("t.array.i8", .array([.int8(-1), .int8(1)])),
  ("t.array.u16", .array([.uint16(1), .uint16(2)])),
  ("t.array.i16", .array([.int16(-3)])),
  ("t.array.u32", .array([.uint32(7)])),
  ("t.array.i32", .array([.int32(-7), .int32(0), .int32(7)])),
  ("t.array.f32", .array([.float32(0.5), .float32(-0.0)])),
  ("t.array.bool", .array([.bool(false), .bool(true)])),
  ("t.array.string", .array([.string("a b"), .string(""), .string("Ġthe")])),
  ("t.array.u64", .array([.uint64(1 << 40)])),
  ("t.array.i64", .array([.int64(-(1 << 40))])),
  ("t.array.f64", .array([.float64(1e300)])),
  ("t.array.nested", .array([.array([.int32(1), .int32(2)]), .array([.string("x")]), .array([])])),
  ("t.array.deep", .array([.array([.array([.array([.float64(2)])])])])),
]

@Suite("GGUF reader on files built by the test writer")
struct ReaderTests {
  @Test("Reads back every metadata value type, in versions 2 and 3", arguments: [UInt32(2), 3])
  func roundTripValues(version: UInt32) throws {
    var writer = GGUFWriter().version(version)
    for (key, value) in everyValueType { writer = writer.metadata(key, value) }
    let file = try GGUFFile(bytes: try writer.encoded())
    #expect(file.version == version)
    #expect(file.metadataKeys == everyValueType.map(\.0))
    for (key, value) in everyValueType {
      #expect(file.metadata[key] == value, "\(key)")
    }
    #expect(file.tensors.isEmpty)
    #expect(try file.integer("t.u32") == 4_000_000_000)
    #expect(try file.integer("t.i64") == Int(Int64.min + 1))
    #expect(try file.double("t.f32") == Double(Float(-1.5e-7)))
    #expect(try file.double("t.u16") == 65_000)
    #expect(try file.bool("t.bool"))
    #expect(try file.string("t.string") == "héllo, 世界 ✓")
    #expect(try file.stringArray("t.array.string") == ["a b", "", "Ġthe"])
    #expect(try file.integerArray("t.array.i32") == [-7, 0, 7])
    #expect(try file.integerArray("t.array.empty") == [])
  }

  @Test("Reads the tiny model: keys, tensor directory, aligned offsets and values of five types")
  func tinyModel() throws {
    let file = try GGUFFile(bytes: try GGUFWriter.tinyLlama().encoded())
    #expect(try file.string(GGUFKey.General.architecture) == "llama")
    #expect(file.alignment == 32)
    #expect(file.dataStart % 32 == 0)
    #expect(file.tensors.map(\.type) == [.q8_0, .f32, .q4_1, .f16, .bf16])
    for t in file.tensors { #expect(t.offset % 32 == 0) }
    let embedding = try file.tensor(named: "token_embd.weight")
    #expect(embedding.dimensions == [64, 8])
    #expect(embedding.shape == [8, 64])
    #expect(embedding.byteCount == 8 * 2 * 34)
    #expect(try file.dequantize(try file.tensor(named: "blk.0.attn_norm.weight")) == (0 ..< 64).map { 1 + Float($0) / 64 })
    #expect(try file.dequantize(try file.tensor(named: "blk.0.ffn_norm.weight")) == (0 ..< 64).map { Float($0) / 8 })
    #expect(try file.dequantize(try file.tensor(named: "output_norm.weight")) == (0 ..< 64).map { Float(-$0) })
    // Q8_0: w = d * q with d = 1/64 and q the bytes the writer drew.
    let blocks = GGUFWriter.q8_0Blocks(16, seed: 1)
    let expected = (0 ..< 16 * 32).map { i in Float(Int8(bitPattern: blocks[i / 32 * 34 + 2 + i % 32])) / 64 }
    #expect(try file.dequantize(embedding) == expected)
    #expect(try file.dequantizeRows(embedding, rows: [3]) == Array(expected[3 * 64 ..< 4 * 64]))
    // Q4_1: w[j] = d * (q & 15) + m, w[j + 16] = d * (q >> 4) + m with d = 1/16, m = -1/2.
    let q4 = GGUFWriter.q4_1Blocks(128, seed: 2)
    let projection = try file.dequantize(try file.tensor(named: "blk.0.attn_q.weight"))
    #expect(projection[0] == Float(q4[4] & 15) / 16 - 0.5)
    #expect(projection[16] == Float(q4[4] >> 4) / 16 - 0.5)
    #expect(projection[32 + 15] == Float(q4[20 + 4 + 15] & 15) / 16 - 0.5)
  }

  @Test("general.alignment places the data section and the tensor offsets", arguments: [UInt32(1), 8, 64, 4096])
  func alignment(_ alignment: UInt32) throws {
    let file = try GGUFFile(bytes: try GGUFWriter.tinyLlama(alignment: alignment).encoded())
    #expect(file.alignment == Int(alignment))
    #expect(file.dataStart % Int(alignment) == 0)
    for t in file.tensors { #expect(t.offset % Int(alignment) == 0) }
    #expect(try file.dequantize(try file.tensor(named: "output_norm.weight")) == (0 ..< 64).map { Float(-$0) })
  }

  @Test("general.alignment that is not a power of two, or not an integer, is rejected")
  func badAlignment() throws {
    for value: GGUFValue in [.uint32(48), .uint32(0), .int32(-32), .uint64(1 << 40)] {
      let bytes = try GGUFWriter().metadata(GGUFKey.General.alignment, value).encoded()
      guard case .implausible(let what, _) = ggufError({ _ = try GGUFFile(bytes: bytes) }) else {
        Issue.record("alignment \(value) was accepted")
        continue
      }
      #expect(what.contains("power of two"))
    }
    let text = try GGUFWriter().metadata(GGUFKey.General.alignment, "32").encoded()
    #expect(throws: GGUFError.wrongValueType(key: "general.alignment", expected: "u32", found: "string")) {
      try GGUFFile(bytes: text)
    }
  }

  @Test("A file cut at any byte throws a GGUFError (never traps): notGGUF before 4 bytes, truncated after",
        arguments: [UInt32(2), 3])
  func truncation(version: UInt32) throws {
    let bytes = try GGUFWriter.tinyLlama(version: version).encoded()
    #expect(try GGUFFile(bytes: bytes).tensors.count == 5)
    for length in 0 ..< bytes.count {
      let error = ggufError { _ = try GGUFFile(bytes: bytes.prefix(length)) }
      if length < 4 {
        #expect(error == .notGGUF(firstBytes: Array(bytes.prefix(length))), "prefix \(length)")
      } else {
        guard case .truncated(_, let needed, _) = error else {
          Issue.record("prefix of \(length) of \(bytes.count) bytes: \(String(describing: error))")
          continue
        }
        #expect(needed > 0)
      }
    }
  }

  @Test("Wrong magic says what it found and what it expected")
  func wrongMagic() throws {
    let bytes = try GGUFWriter().magic(Array("GGML".utf8)).encoded()
    let error = ggufError { _ = try GGUFFile(bytes: bytes) }
    #expect(error == .notGGUF(firstBytes: [0x47, 0x47, 0x4D, 0x4C]))
    let text = error?.description ?? ""
    #expect(text.contains("47 47 4d 4c") && text.contains("expected 47 47 55 46") && text.contains(".gguf"))
    #expect(ggufError { _ = try GGUFFile(bytes: Data()) }?.description.contains("empty") == true)
  }

  @Test("Versions 1 and 4 are refused with a hint", arguments: [UInt32(1), 4])
  func unsupportedVersion(_ version: UInt32) throws {
    let bytes = try GGUFWriter.tinyLlama(version: version).encoded()
    let error = ggufError { _ = try GGUFFile(bytes: bytes) }
    #expect(error == .unsupportedVersion(version))
    let text = error?.description ?? ""
    #expect(text.contains("version \(version)") && text.contains("expected version 2 or 3") && text.contains("re-convert"))
  }

  @Test("An unknown value type code (13), also as an array element type, is an error naming the key")
  func unknownValueType() throws {
    let scalar = try GGUFWriter().metadata("ok", "fine").rawMetadata("weird", typeCode: 13, payload: [0, 0, 0, 0]).encoded()
    let error = ggufError { _ = try GGUFFile(bytes: scalar) }
    #expect(error == .unknownValueType(key: "weird", code: 13))
    #expect(error?.description.contains("'weird' has value type 13, expected a GGUF value type 0...12") == true)
    let element = try GGUFWriter().rawMetadata("list", typeCode: 9, payload: le(UInt32(77)) + le(UInt64(1)) + [0]).encoded()
    #expect(ggufError { _ = try GGUFFile(bytes: element) } == .unknownValueType(key: "list", code: 77))
  }

  @Test("An unknown tensor type code (99) is an error naming the tensor and the supported types")
  func unknownTensorType() throws {
    let bytes = try GGUFWriter().rawTensor("mystery", dimensions: [32], typeCode: 99, bytes: [UInt8](repeating: 0, count: 64)).encoded()
    let error = ggufError { _ = try GGUFFile(bytes: bytes) }
    #expect(error == .unknownTensorType(tensor: "mystery", code: 99))
    let text = error?.description ?? ""
    #expect(text.contains("'mystery' has ggml type 99") && text.contains("Q4_1") && text.contains("re-quantize"))
  }

  @Test("A known but unsupported type (IQ2_XXS) opens, and dequantizing it says which types are supported")
  func unsupportedType() throws {
    let bytes = try GGUFWriter().tensor("iq", shape: [256], type: .iq2_XXS, bytes: [UInt8](repeating: 0, count: 66)).encoded()
    let file = try GGUFFile(bytes: bytes)
    let info = try file.tensor(named: "iq")
    #expect(info.type == .iq2_XXS)
    let error = ggufError { _ = try file.dequantize(info) }
    #expect(error == .unsupportedTensorType(tensor: "iq", type: "IQ2_XXS"))
    #expect(ggufError { _ = try file.dequantizeRows(info, rows: [0]) } == error)
    let text = error?.description ?? ""
    #expect(text.contains("'iq' is IQ2_XXS") && text.contains("expected one of F32, F16, BF16, Q8_0") && text.contains("re-quantize"))
  }

  @Test("Huge counts and lengths fail fast with `truncated` instead of allocating")
  func hugeCounts() throws {
    let cases: [(String, UInt32, [UInt8])] = [
      ("array of 2^60 u32", 9, le(UInt32(4)) + le(UInt64(1) << 60)),
      ("array of 2^62 u64 (count * size overflows)", 9, le(UInt32(10)) + le(UInt64(1) << 62)),
      ("array of 2^40 strings", 9, le(UInt32(8)) + le(UInt64(1) << 40)),
      ("string of 2^62 bytes", 8, le(UInt64(1) << 62)),
      ("string of 2^64 - 1 bytes", 8, le(UInt64.max)),
    ]
    let clock = ContinuousClock()
    for (name, code, payload) in cases {
      let bytes = try GGUFWriter().rawMetadata("big", typeCode: code, payload: payload).encoded()
      let start = clock.now
      guard case .truncated = ggufError({ _ = try GGUFFile(bytes: bytes) }) else {
        Issue.record("\(name) was not reported as truncated")
        continue
      }
      #expect(clock.now - start < .seconds(1), "\(name)")
    }
    // Header counts: 2^61 key-value pairs or tensors in a 24-byte file.
    for counts in [(UInt64(0), UInt64(1) << 61), (UInt64(1) << 61, UInt64(0)), (UInt64.max, UInt64.max)] {
      let header = Array("GGUF".utf8) + le(UInt32(3)) + le(counts.0) + le(counts.1)
      guard case .truncated = ggufError({ _ = try GGUFFile(bytes: Data(header)) }) else {
        Issue.record("header counts \(counts) were not reported as truncated")
        continue
      }
    }
  }

  @Test("Arrays nested 100,000 deep are refused without exhausting the stack")
  func deepNesting() throws {
    var payload: [UInt8] = []
    for _ in 0 ..< 100_000 { payload += le(UInt32(9)) + le(UInt64(1)) }
    payload += le(UInt32(0)) + le(UInt64(0))
    let bytes = try GGUFWriter().rawMetadata("deep", typeCode: 9, payload: payload).encoded()
    guard case .implausible(let what, _) = ggufError({ _ = try GGUFFile(bytes: bytes) }) else {
      Issue.record("deep nesting accepted")
      return
    }
    #expect(what.contains("nesting depth") && what.contains("'deep'"))
  }

  @Test("A tensor offset that is not a multiple of the alignment is an error")
  func misalignedOffset() throws {
    let bytes = try GGUFWriter()
      .rawTensor("a", dimensions: [4], typeCode: 0, offset: 0, bytes: [UInt8](repeating: 0, count: 16))
      .rawTensor("b", dimensions: [4], typeCode: 0, offset: 20, bytes: [UInt8](repeating: 0, count: 16))
      .encoded()
    let error = ggufError { _ = try GGUFFile(bytes: bytes) }
    guard case .badTensor("b", let reason) = error else {
      Issue.record("misaligned offset: \(String(describing: error))")
      return
    }
    #expect(reason.contains("offset 20 is not a multiple of the alignment 32"))
    #expect(error?.description.contains("re-download or re-convert") == true)
  }

  @Test("Tensor data past the end of the file is `truncated`, even for offsets near 2^64")
  func dataPastEnd() throws {
    for offset in [UInt64(1) << 20, UInt64(1) << 50, UInt64.max - 31] {
      let bytes = try GGUFWriter().rawTensor("far", dimensions: [8], typeCode: 0, offset: offset, bytes: []).encoded()
      guard case .truncated = ggufError({ _ = try GGUFFile(bytes: bytes) }) else {
        Issue.record("offset \(offset) accepted")
        continue
      }
    }
  }

  @Test("Malformed tensor directory entries are refused: dimension count, zero or huge dimensions, partial blocks, duplicate names")
  func malformedTensors() throws {
    let zeros = [UInt8](repeating: 0, count: 64)
    let cases: [(GGUFWriter, String)] = [
      (GGUFWriter().rawTensor("t", dimensions: [], typeCode: 0, bytes: zeros), "0 dimensions, expected 1 to 4"),
      (GGUFWriter().rawTensor("t", dimensions: [1, 1, 1, 1, 1], typeCode: 0, bytes: zeros), "5 dimensions"),
      (GGUFWriter().rawTensor("t", dimensions: [4, 0], typeCode: 0, bytes: zeros), "dimension 0"),
      (GGUFWriter().rawTensor("t", dimensions: [1 << 30, 1 << 30], typeCode: 0, bytes: zeros), "more than 2^42 elements"),
      (GGUFWriter().rawTensor("t", dimensions: [33], typeCode: 8, bytes: zeros), "row length 33 is not a multiple of the Q8_0 block size 32"),
      (GGUFWriter().tensor("t", shape: [4], float32: [1, 2, 3, 4]).tensor("t", shape: [4], float32: [1, 2, 3, 4]), "appears twice"),
    ]
    for (writer, phrase) in cases {
      let error = ggufError { _ = try GGUFFile(bytes: try writer.encoded()) }
      guard case .badTensor("t", let reason) = error else {
        Issue.record("expected badTensor with '\(phrase)', got \(String(describing: error))")
        continue
      }
      #expect(reason.contains(phrase), "\(reason)")
    }
  }

  @Test("A key that appears twice is an error")
  func duplicateKey() throws {
    let bytes = try GGUFWriter().metadata("k", UInt32(1)).metadata("k", UInt32(2)).encoded()
    let error = ggufError { _ = try GGUFFile(bytes: bytes) }
    #expect(error == .duplicateKey("k"))
    #expect(error?.description.contains("expected each key once") == true)
  }

  @Test("Missing keys, wrong value types, missing tensors and bad rows are errors that say what to do")
  func accessErrors() throws {
    let file = try GGUFFile(bytes: try GGUFWriter.tinyLlama().encoded())
    let missing = ggufError { _ = try file.string("llama.nothing") }
    #expect(missing == .missingKey("llama.nothing"))
    #expect(missing?.description.contains("feature-atlas inspect") == true)
    let wrong = ggufError { _ = try file.integer(GGUFKey.General.architecture) }
    #expect(wrong == .wrongValueType(key: "general.architecture", expected: "integer", found: "string"))
    #expect(wrong?.description.contains("holds a value of type string, expected integer") == true)
    #expect(ggufError { _ = try file.string(GGUFKey.LLM.blockCount("llama")) } == .wrongValueType(key: "llama.block_count", expected: "string", found: "u32"))
    #expect(ggufError { _ = try file.double(GGUFKey.Tokenizer.model) } == .wrongValueType(key: "tokenizer.ggml.model", expected: "number", found: "string"))
    #expect(ggufError { _ = try file.bool(GGUFKey.LLM.blockCount("llama")) } == .wrongValueType(key: "llama.block_count", expected: "bool", found: "u32"))
    #expect(ggufError { _ = try file.stringArray(GGUFKey.Tokenizer.tokenTypes) } == .wrongValueType(key: "tokenizer.ggml.token_type", expected: "array of strings", found: "array of i32"))
    #expect(ggufError { _ = try file.integerArray(GGUFKey.Tokenizer.tokens) } == .wrongValueType(key: "tokenizer.ggml.tokens", expected: "array of integers", found: "array of string"))
    #expect(ggufError { _ = try file.stringArray(GGUFKey.Tokenizer.model) } == .wrongValueType(key: "tokenizer.ggml.model", expected: "array of strings", found: "string"))
    let noTensor = ggufError { _ = try file.tensor(named: "output.weight") }
    #expect(noTensor == .missingTensor("output.weight"))
    #expect(noTensor?.description.contains("lists the tensors") == true)
    let embedding = try file.tensor(named: "token_embd.weight")
    let row = ggufError { _ = try file.dequantizeRows(embedding, rows: [0, 8]) }
    #expect(row == .rowOutOfRange(tensor: "token_embd.weight", row: 8, rows: 8))
    #expect(row?.description.contains("expected 0 ..< 8") == true)
  }

  @Test("A tensor info from another file cannot be used to read this file's bytes")
  func foreignTensorInfo() throws {
    let small = try GGUFFile(bytes: try GGUFWriter().tensor("token_embd.weight", shape: [1, 32], type: .q8_0, bytes: GGUFWriter.q8_0Blocks(1, seed: 3)).encoded())
    let big = try GGUFFile(bytes: try GGUFWriter.tinyLlama().encoded())
    let foreign = try big.tensor(named: "token_embd.weight")
    guard case .badTensor(_, let reason) = ggufError({ _ = try small.dequantize(foreign) }) else {
      Issue.record("a foreign tensor info was accepted")
      return
    }
    #expect(reason.contains("different file"))
    #expect(ggufError { _ = try small.dequantize(try big.tensor(named: "output_norm.weight")) } == .missingTensor("output_norm.weight"))
  }
}

@Suite("GGUF reader on corrupted bytes")
struct CorruptionTests {
  @Test("Overwriting any byte of the header and directory gives a file or a GGUFError, never a trap")
  func everyHeaderByte() throws {
    let bytes = try GGUFWriter.tinyLlama().encoded()
    let dataStart = try GGUFFile(bytes: bytes).dataStart
    var state: UInt64 = 7
    var errors = 0
    for position in 0 ..< dataStart {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      for replacement in [0xFF, 0x00, UInt8(truncatingIfNeeded: state >> 56)] where replacement != bytes[position] {
        var corrupt = bytes
        corrupt[position] = replacement
        do {
          let file = try GGUFFile(bytes: corrupt)
          for t in file.tensors where t.type.isDequantizable {
            let values = try file.dequantize(t)
            #expect(values.count == t.elementCount)
          }
        } catch is GGUFError {
          errors += 1
        }
      }
    }
    #expect(errors > dataStart / 2)  // most header bytes matter
  }
}
