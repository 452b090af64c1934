// Byte-level BPE tokenizer built from plain arrays (the GGUF tokenizer.ggml.* keys, read by the Llama module).
// Canonical behaviour is llama.cpp's `llama_tokenize(..., add_special: false, parse_special: ...)`:
// no normalizer, no BOS, no space prefix.

/// A byte-level BPE tokenizer (GPT-2 family: SmolLM, Llama 3, Qwen 2).
///
/// Encoding maps text to ids exactly as llama.cpp does for the same vocabulary, merges and pre-tokenizer.
/// **Input sanitising:** a byte with no token in the vocabulary is silently dropped, like llama.cpp
/// (SmolLM2 has no token for 21 byte values: the control bytes 0x04 0x06 0x13 0x14 0x16 0x1D and the bytes
/// 0xC0 0xC1 0xF1 0xF2 0xF5-0xFF, which occur in valid UTF-8 only for U+40000-U+BFFFF), so such text does not
/// round-trip. `sanitized(_:)` removes exactly the characters that would lose bytes.
public struct BPETokenizer: Sendable {
  let vocabulary: Vocabulary
  public let preTokenizer: PreTokenizer

  /// - Parameters:
  ///   - tokens: token texts by id (`tokenizer.ggml.tokens`); normal tokens are in the byte-level alphabet.
  ///   - merges: "left right" pairs, rank = index (`tokenizer.ggml.merges`).
  ///   - tokenTypes: `TokenType` raw values by id (`tokenizer.ggml.token_type`); nil means all normal.
  ///     Unknown values are treated as `undefined`.
  public init(tokens: [String], merges: [String], tokenTypes: [Int]? = nil, preTokenizer: PreTokenizer) throws {
    vocabulary = try Vocabulary(tokens: tokens, merges: merges, tokenTypes: tokenTypes)
    self.preTokenizer = preTokenizer
  }

  // MARK: - Vocabulary

  public var vocabularySize: Int { vocabulary.count }
  public var mergeCount: Int { vocabulary.mergeCount }

  /// The id of a token text as stored in the vocabulary ("Ġthe", "<|im_start|>"), or nil.
  public func id(of token: String) -> Int? { vocabulary.idByText[token].map(Int.init) }

  /// The stored text of a token (byte-level alphabet for normal tokens), or nil when out of range.
  public func token(_ id: Int) -> String? { vocabulary.tokens.indices.contains(id) ? vocabulary.tokens[id] : nil }

  public func tokenType(_ id: Int) -> TokenType? { vocabulary.types.indices.contains(id) ? vocabulary.types[id] : nil }

  /// Byte values that no token can represent; `encode` drops them.
  public var unrepresentableBytes: [UInt8] {
    (0 ... 255).compactMap { byte in
      let symbol = Int(vocabulary.byteSymbol[byte])
      let dropped = symbol >= vocabulary.count && vocabulary.virtualFallback[symbol - vocabulary.count].isEmpty
      return dropped ? UInt8(byte) : nil
    }
  }

  /// `text` without the characters whose UTF-8 contains an unrepresentable byte, so that
  /// `decodeText(encode(sanitized(text))) == sanitized(text)`.
  public func sanitized(_ text: String) -> String {
    let unrepresentable = Set(unrepresentableBytes)
    guard !unrepresentable.isEmpty, text.utf8.contains(where: unrepresentable.contains) else { return text }
    var kept = String.UnicodeScalarView()
    for scalar in text.unicodeScalars where !scalar.utf8.contains(where: unrepresentable.contains) {
      kept.append(scalar)
    }
    return String(kept)
  }

  // MARK: - Encoding

  /// An encoder with its own piece cache (bounded to `cacheEntries` pieces; 0 disables it).
  /// Keep one per thread to reuse the cache across calls.
  public func makeEncoder(cacheEntries: Int = 1 << 16) -> BPEEncoder {
    BPEEncoder(tokenizer: self, cacheEntries: cacheEntries)
  }

  /// Token ids of `text`, all of it treated as ordinary characters: "<|im_start|>" in the text is tokenized as
  /// the characters '<', '|', ... (llama.cpp `parse_special = false`). User-defined tokens are still recognised.
  public func encode(_ text: String) -> [Int] { encode(text, parseSpecial: false) }

  /// Token ids of `text`; with `parseSpecial`, control-token texts in it become their ids (for chat templates).
  /// Long texts get a piece cache for the duration of the call; to share one across calls use `makeEncoder()`.
  public func encode(_ text: String, parseSpecial: Bool) -> [Int] {
    var encoder = makeEncoder(cacheEntries: text.utf8.count < 4096 ? 0 : 1 << 16)
    return encoder.encode(text, parseSpecial: parseSpecial)
  }
}
