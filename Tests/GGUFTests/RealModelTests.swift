import Foundation
import GGUF
import TestSupport
import Testing

@Suite("GGUF reader on the real SmolLM2 file", .enabled(if: TestPaths.smolLM2 != nil))
struct RealModelGGUFTests {
  @Test("Header, dimensions and tokenizer metadata match the gguf package's listing")
  func metadata() throws {
    let file = try GGUFFile(url: try #require(TestPaths.smolLM2))
    #expect(file.version == 3)
    #expect(file.tensors.count == 272)
    #expect(try file.string(GGUFKey.General.architecture) == "llama")
    #expect(try file.integer(GGUFKey.LLM.blockCount("llama")) == 30)
    #expect(try file.integer(GGUFKey.LLM.embeddingLength("llama")) == 576)
    #expect(try file.integer(GGUFKey.LLM.feedForwardLength("llama")) == 1536)
    #expect(try file.integer(GGUFKey.LLM.headCount("llama")) == 9)
    #expect(try file.integer(GGUFKey.LLM.headCountKV("llama")) == 3)
    #expect(try file.double(GGUFKey.LLM.ropeFrequencyBase("llama")) == 100_000)
    #expect(try file.stringArray(GGUFKey.Tokenizer.tokens).count == 49_152)
    #expect(try file.stringArray(GGUFKey.Tokenizer.merges).count == 48_900)
    #expect(try file.string(GGUFKey.Tokenizer.preTokenizer) == "smollm")
    let embedding = try file.tensor(named: "token_embd.weight")
    #expect(embedding.type == .q8_0)
    #expect(embedding.dimensions == [576, 49_152])
    #expect(try file.tensor(named: "blk.0.attn_k.weight").shape == [192, 576])
    #expect(!file.hasTensor("output.weight"))
  }

  @Test("Dequantized values match the golden numbers of FACTS.md (Q8_0 embedding, Q4_1 projection)")
  func goldenValues() throws {
    let file = try GGUFFile(url: try #require(TestPaths.smolLM2))
    let row0 = try file.dequantizeRows(try file.tensor(named: "token_embd.weight"), rows: [0])
    let expectedEmbedding: [Float] = [-0.1065445, 0.0329781, 0.0481987, -0.0228310]
    for (a, b) in zip(row0.prefix(4), expectedEmbedding) { #expect(abs(a - b) < 1e-6) }
    let q = try file.dequantize(try file.tensor(named: "blk.0.attn_q.weight"))
    let expectedQ: [Float] = [-0.0963135, 0.1573486, -0.0963135, -0.7304688]
    for (a, b) in zip(q.prefix(4), expectedQ) { #expect(abs(a - b) < 1e-6) }
    #expect(q.count == 576 * 576)
  }

  @Test("Every tensor dequantizes to the gguf package's bits (checksums from Fixtures/make_model_checksums.py)")
  func wholeModelBitExact() throws {
    let golden = try JSONDecoder().decode(
      ModelChecksums.self, from: Data(contentsOf: try Fixtures.url("smollm2_q4_1_checksums.json")))
    #expect(golden.model == "SmolLM2-135M-Instruct.Q4_1.gguf")
    let file = try GGUFFile(url: try #require(TestPaths.smolLM2))
    #expect(file.tensors.map(\.name) == golden.tensors.map(\.name))
    for expected in golden.tensors {
      let info = try file.tensor(named: expected.name)
      #expect(info.type.description == expected.type)
      let values = try file.dequantize(info)
      #expect(values.count == expected.count)
      let (sum, weighted) = bitChecksums(values)
      #expect(String(sum, radix: 16).leftPadded(16) == expected.sum, "\(expected.name)")
      #expect(String(weighted, radix: 16).leftPadded(16) == expected.weightedSum, "\(expected.name)")
    }
  }
}

/// Output of Fixtures/make_model_checksums.py.
private struct ModelChecksums: Decodable {
  let generatedBy: String
  let model: String
  let tensors: [Tensor]
  struct Tensor: Decodable {
    let name: String
    let type: String
    let count: Int
    let sum: String          // sum of the float32 bit patterns, mod 2^64, 16 hex digits
    let weightedSum: String  // sum of (index + 1) * bits, mod 2^64
  }
}

/// The two checksums of make_model_checksums.py over the float32 bit patterns of `values`.
func bitChecksums(_ values: [Float]) -> (sum: UInt64, weightedSum: UInt64) {
  var sum: UInt64 = 0
  var weighted: UInt64 = 0
  values.withUnsafeBufferPointer { buffer in
    buffer.withMemoryRebound(to: UInt32.self) { bits in
      var index: UInt64 = 0
      for b in bits {
        index &+= 1
        sum &+= UInt64(b)
        weighted &+= UInt64(b) &* index
      }
    }
  }
  return (sum, weighted)
}

extension String {
  func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
