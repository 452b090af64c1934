import Foundation
import GGUF
import TensorMath
import Tokenization

/// A runnable miniature Llama GGUF (F32, seeded random weights) with a byte-level BPE vocabulary that covers
/// every byte, so any UTF-8 text tokenizes: pipeline tests run capture → render on it in seconds, without the
/// real model. Two blocks, d_model 32, 4 query heads over 2 KV heads, FFN 48, a ChatML template.
public enum TinyLlama {
  public static let dModel = 32, ffn = 48, heads = 4, kvHeads = 2, layers = 2, context = 256
  public static let specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
  /// A few merges so common English pieces become single tokens (the map and labels get real words).
  public static let merges = ["Ġ t", "h e", "Ġt he", "Ġ a", "i n", "o n", "e r", "Ġ o", "Ġ s", "e n", "a n", "Ġ w"]

  public static var tokens: [String] {
    specials + ByteLevel.byteToScalar.map { String($0) } + merges.map { $0.replacingOccurrences(of: " ", with: "") }
  }

  public static let chatTemplate = """
    {% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}
    """

  /// The GGUF's bytes; `seed` picks the weights.
  public static func gguf(seed: UInt64 = 7, claimedBlocks: Int? = nil) throws -> Data {
    var rng = SplitMix64(seed: seed)
    func random(_ n: Int, scale: Float = 0.25) -> [Float] { (0 ..< n).map { _ in rng.nextGaussian() * scale } }
    let a = "llama"
    let vocab = tokens
    var w = GGUFWriter().metadata(GGUFKey.General.architecture, a).metadata(GGUFKey.General.name, "tiny-llama")
      .metadata(GGUFKey.LLM.blockCount(a), UInt32(claimedBlocks ?? layers))
      .metadata(GGUFKey.LLM.embeddingLength(a), UInt32(dModel))
      .metadata(GGUFKey.LLM.feedForwardLength(a), UInt32(ffn))
      .metadata(GGUFKey.LLM.headCount(a), UInt32(heads))
      .metadata(GGUFKey.LLM.headCountKV(a), UInt32(kvHeads))
      .metadata(GGUFKey.LLM.contextLength(a), UInt32(context))
      .metadata(GGUFKey.LLM.rmsEpsilon(a), Float(1e-5))
      .metadata(GGUFKey.LLM.ropeFrequencyBase(a), Float(10_000))
      .metadata(GGUFKey.Tokenizer.model, "gpt2").metadata(GGUFKey.Tokenizer.preTokenizer, "smollm")
      .metadata(GGUFKey.Tokenizer.tokens, vocab)
      .metadata(GGUFKey.Tokenizer.tokenTypes,
                [Int32](repeating: 3, count: specials.count) + [Int32](repeating: 1, count: vocab.count - specials.count))
      .metadata(GGUFKey.Tokenizer.merges, merges)
      .metadata(GGUFKey.Tokenizer.eos, UInt32(2))
      .metadata(GGUFKey.Tokenizer.chatTemplate, chatTemplate)
      .tensor("token_embd.weight", shape: [vocab.count, dModel], float32: random(vocab.count * dModel, scale: 1))
      .tensor("output_norm.weight", shape: [dModel], float32: [Float](repeating: 1, count: dModel))
    let hd = dModel / heads
    for l in 0 ..< layers {
      w = w.tensor("blk.\(l).attn_norm.weight", shape: [dModel], float32: [Float](repeating: 1, count: dModel))
        .tensor("blk.\(l).attn_q.weight", shape: [dModel, dModel], float32: random(dModel * dModel))
        .tensor("blk.\(l).attn_k.weight", shape: [kvHeads * hd, dModel], float32: random(kvHeads * hd * dModel))
        .tensor("blk.\(l).attn_v.weight", shape: [kvHeads * hd, dModel], float32: random(kvHeads * hd * dModel))
        .tensor("blk.\(l).attn_output.weight", shape: [dModel, dModel], float32: random(dModel * dModel))
        .tensor("blk.\(l).ffn_norm.weight", shape: [dModel], float32: [Float](repeating: 1, count: dModel))
        .tensor("blk.\(l).ffn_gate.weight", shape: [ffn, dModel], float32: random(ffn * dModel))
        .tensor("blk.\(l).ffn_up.weight", shape: [ffn, dModel], float32: random(ffn * dModel))
        .tensor("blk.\(l).ffn_down.weight", shape: [dModel, ffn], float32: random(dModel * ffn))
    }
    return try w.encoded()
  }

  /// Writes the GGUF under `directory` and returns its path.
  public static func write(to directory: URL, seed: UInt64 = 7) throws -> URL {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let url = directory.appendingPathComponent("tiny-llama.gguf")
    try gguf(seed: seed).write(to: url)
    return url
  }
}
