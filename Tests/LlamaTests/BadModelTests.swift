import Foundation
import GGUF
import Llama
import TensorMath
import TestSupport
import Testing

/// A complete miniature llama GGUF (F32 weights, random) and the ways a model file can be wrong.
@Suite("Loading models from GGUF, and bad model files")
struct BadModelTests {
  static let d = 32, ffn = 48, heads = 4, kvHeads = 2, layers = 2
  static let tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] + (0 ..< 29).map { "t\($0)" }

  static func writer(architecture: String = "llama", dropKey: String? = nil, qRows: Int? = nil, claimedBlocks: Int? = nil) -> GGUFWriter {
    var rng = SplitMix64(seed: 4)
    func random(_ n: Int) -> [Float] { (0 ..< n).map { _ in rng.nextGaussian() * 0.2 } }
    let a = architecture
    var w = GGUFWriter().metadata(GGUFKey.General.architecture, a)
    let keys: [(String, UInt32)] = [
      (GGUFKey.LLM.blockCount(a), UInt32(claimedBlocks ?? layers)), (GGUFKey.LLM.embeddingLength(a), UInt32(d)),
      (GGUFKey.LLM.feedForwardLength(a), UInt32(ffn)), (GGUFKey.LLM.headCount(a), UInt32(heads)),
      (GGUFKey.LLM.headCountKV(a), UInt32(kvHeads)), (GGUFKey.LLM.contextLength(a), UInt32(64)),
    ]
    for (key, value) in keys where key != dropKey { w = w.metadata(key, value) }
    if GGUFKey.LLM.rmsEpsilon(a) != dropKey { w = w.metadata(GGUFKey.LLM.rmsEpsilon(a), Float(1e-5)) }
    w = w.metadata(GGUFKey.LLM.ropeFrequencyBase(a), Float(10_000))
      .metadata(GGUFKey.Tokenizer.model, "gpt2").metadata(GGUFKey.Tokenizer.preTokenizer, "smollm")
      .metadata(GGUFKey.Tokenizer.tokens, tokens)
      .metadata(GGUFKey.Tokenizer.tokenTypes, [Int32](repeating: 3, count: 3) + [Int32](repeating: 1, count: tokens.count - 3))
      .metadata(GGUFKey.Tokenizer.merges, [String]())
      .tensor("token_embd.weight", shape: [tokens.count, d], float32: random(tokens.count * d))
      .tensor("output_norm.weight", shape: [d], float32: [Float](repeating: 1, count: d))
    let hd = d / heads
    for l in 0 ..< layers {
      w = w.tensor("blk.\(l).attn_norm.weight", shape: [d], float32: [Float](repeating: 1, count: d))
        .tensor("blk.\(l).attn_q.weight", shape: [qRows ?? d, d], float32: random((qRows ?? d) * d))
        .tensor("blk.\(l).attn_k.weight", shape: [kvHeads * hd, d], float32: random(kvHeads * hd * d))
        .tensor("blk.\(l).attn_v.weight", shape: [kvHeads * hd, d], float32: random(kvHeads * hd * d))
        .tensor("blk.\(l).attn_output.weight", shape: [d, d], float32: random(d * d))
        .tensor("blk.\(l).ffn_norm.weight", shape: [d], float32: [Float](repeating: 1, count: d))
        .tensor("blk.\(l).ffn_gate.weight", shape: [ffn, d], float32: random(ffn * d))
        .tensor("blk.\(l).ffn_up.weight", shape: [ffn, d], float32: random(ffn * d))
        .tensor("blk.\(l).ffn_down.weight", shape: [d, ffn], float32: random(d * ffn))
    }
    return w
  }

  @Test("A block count the tensors do not back (1e9 blocks) is refused before any per-block allocation")
  func hostileBlockCount() throws {
    let file = try GGUFFile(bytes: try Self.writer(claimedBlocks: 1_000_000_000).encoded())
    #expect {
      _ = try LlamaConfiguration(gguf: file)
    } throws: { "\($0)".contains("blocks 1000000000") }
    #expect(throws: LlamaError.self) { _ = try LanguageModel(gguf: file) }
    // A plausible count that the tensors still do not back names the missing block.
    let three = try GGUFFile(bytes: try Self.writer(claimedBlocks: 3).encoded())
    #expect {
      _ = try LlamaConfiguration(gguf: three)
    } throws: { "\($0)".contains("says 3 blocks") && "\($0)".contains("blk.2.attn_norm.weight") }
  }

  @Test("A complete llama GGUF loads with its tokenizer; batched and reference passes agree on it")
  func loads() throws {
    let file = try GGUFFile(bytes: try Self.writer().encoded())
    let model = try LanguageModel(gguf: file)
    #expect(model.configuration.dModel == Self.d && model.configuration.nLayers == Self.layers)
    #expect(model.configuration.tiedOutput)
    #expect(model.boundaryToken == 0)
    #expect(model.stopTokens.contains(2))
    let ids = [0, 5, 9, 12, 3, 30]
    let batched = try model.model.logits([ids])
    let reference = try #require(try model.model.referenceForward(tokens: ids).logits)
    #expect(zip(batched.storage, reference.storage).allSatisfy { abs($0 - $1) < 1e-4 })
  }

  @Test("An unsupported architecture is an error naming it and the supported ones")
  func unsupportedArchitecture() throws {
    let file = try GGUFFile(bytes: try Self.writer(architecture: "gemma3").encoded())
    #expect {
      _ = try LlamaModel(gguf: file)
    } throws: { error in
      guard case LlamaError.unsupportedArchitecture("gemma3", _) = error else { return false }
      return "\(error)".contains("llama") && "\(error)".contains("gemma3")
    }
  }

  @Test("A missing metadata key is an error naming the key and the command that lists the keys")
  func missingKey() throws {
    let key = GGUFKey.LLM.headCount("llama")
    let file = try GGUFFile(bytes: try Self.writer(dropKey: key).encoded())
    #expect(throws: GGUFError.missingKey(key)) { try LlamaModel(gguf: file) }
    #expect("\(GGUFError.missingKey(key))".contains("feature-atlas inspect"))
  }

  @Test("A tensor whose shape does not fit the configuration is an error with both shapes")
  func wrongShape() throws {
    let file = try GGUFFile(bytes: try Self.writer(qRows: Self.d + 8).encoded())
    #expect {
      _ = try LlamaModel(gguf: file)
    } throws: { error in
      guard case LlamaError.tensorShape(let name, let expected, let found) = error else { return false }
      return name == "blk.0.attn_q.weight" && expected == [32, 32] && found == [32, 40]
    }
  }
}
