import TensorMath
import Testing
import Tokenization

/// A small byte-level vocabulary built in code: specials, the single-byte tokens (minus `missingBytes`), then one
/// token per merge result (unless listed in `virtualResults`).
struct TinyVocabulary {
  var tokens: [String] = []
  var types: [Int] = []
  var merges: [String] = []

  init(merges pairs: [(String, String)], missingBytes: Set<UInt8> = [], virtualResults: Set<String> = [],
       specials: [(String, TokenType)] = [("<|endoftext|>", .control), ("<|im_start|>", .control),
                                         ("<|im_end|>", .control), ("<tool>", .userDefined)]) {
    for (text, type) in specials {
      tokens.append(text)
      types.append(type.rawValue)
    }
    for byte in 0 ... 255 where !missingBytes.contains(UInt8(byte)) {
      tokens.append(String(ByteLevel.byteToScalar[byte]))
      types.append(TokenType.normal.rawValue)
    }
    for (left, right) in pairs {
      let l = ByteLevel.encode(left.utf8)
      let r = ByteLevel.encode(right.utf8)
      merges.append(l + " " + r)
      if !virtualResults.contains(left + right) && !tokens.contains(l + r) {
        tokens.append(l + r)
        types.append(TokenType.normal.rawValue)
      }
    }
  }

  func tokenizer(_ pre: PreTokenizer = .smollm) throws -> BPETokenizer {
    try BPETokenizer(tokens: tokens, merges: merges, tokenTypes: types, preTokenizer: pre)
  }

  func reference(_ pre: PreTokenizer = .smollm) -> ReferenceTokenizer {
    ReferenceTokenizer(tokens: tokens, merges: merges, tokenTypes: types, preTokenizer: pre)
  }

  /// The id of a token given as raw text ("ab" -> id of the byte-level text "ab").
  func id(_ raw: String, _ tokenizer: BPETokenizer) -> Int {
    tokenizer.id(of: ByteLevel.encode(raw.utf8)) ?? -1
  }
}

@Suite("Byte-level BPE")
struct BPETests {
  @Test("The lowest-rank pair merges first, and the leftmost occurrence wins a tie")
  func mergeOrder() throws {
    let v = TinyVocabulary(merges: [("b", "c"), ("a", "b"), ("a", "a"), ("a", "bc")])
    let t = try v.tokenizer()
    // "abc": (b,c) rank 0 beats (a,b) rank 1, then (a,bc) rank 3.
    #expect(t.encode("abc") == [v.id("abc", t)])
    // "aaa": (a,a) at 0 and at 1 tie; the left one merges, leaving "a" alone.
    #expect(t.encode("aaa") == [v.id("aa", t), v.id("a", t)])
    #expect(t.encode("aaaa") == [v.id("aa", t), v.id("aa", t)])
    #expect(t.encode("x") == [v.id("x", t)])
    #expect(t.encode("") == [])
  }

  @Test("A merge result missing from the vocabulary falls back to its single-byte tokens, like llama.cpp")
  func virtualSymbols() throws {
    let v = TinyVocabulary(merges: [("x", "y"), ("xy", "z")], virtualResults: ["xy"])
    let t = try v.tokenizer()
    #expect(t.encode("xyz") == [v.id("xyz", t)])
    #expect(t.encode("xy") == [v.id("x", t), v.id("y", t)])
    #expect(v.reference().encode("xy", parseSpecial: false) == t.encode("xy"))
  }

  @Test("A byte without a token is dropped and blocks merges across it (llama.cpp), and sanitized() removes it")
  func droppedBytes() throws {
    let v = TinyVocabulary(merges: [("!", "!")], missingBytes: [0x04, 0xC3])
    let t = try v.tokenizer()
    #expect(t.unrepresentableBytes == [0x04, 0xC3])
    let bang = v.id("!", t)
    #expect(t.encode("!!") == [v.id("!!", t)])
    #expect(t.encode("!\u{04}!") == [bang, bang])
    #expect(v.reference().encode("!\u{04}!", parseSpecial: false) == [bang, bang])
    // "é" is C3 A9: the C3 byte is lost.
    #expect(t.decode(t.encode("é")) == [0xA9])
    #expect(t.sanitized("a\u{04}bé!") == "ab!")
    #expect(t.decodeText(t.encode(t.sanitized("a\u{04}bé!"))) == "ab!")
  }

  @Test("Control tokens are text unless parseSpecial; user-defined tokens are always recognised")
  func specialTokens() throws {
    let v = TinyVocabulary(merges: [("<", "|")])
    let t = try v.tokenizer()
    let start = try #require(t.id(of: "<|im_start|>"))
    let end = try #require(t.id(of: "<|im_end|>"))
    let tool = try #require(t.id(of: "<tool>"))
    let plain = t.encode("<|im_start|>hi<|im_end|>")
    #expect(!plain.contains(start) && !plain.contains(end))
    #expect(t.decodeText(plain) == "<|im_start|>hi<|im_end|>")
    let parsed = t.encode("<|im_start|>hi<|im_end|>", parseSpecial: true)
    #expect(parsed == [start] + t.encode("hi") + [end])
    #expect(t.encode("a<tool>b") == t.encode("a") + [tool] + t.encode("b"))
    #expect(t.encode("<|im_start|><|im_start|>", parseSpecial: true) == [start, start])
    #expect(t.decodeText(parsed, specialTokens: .omitted) == "hi")
    for text in ["<|im_start|>hi<|im_end|>", "x<tool><tool>y<|endoftext|>", "<|im_end", ""] {
      for parse in [false, true] { #expect(t.encode(text, parseSpecial: parse) == v.reference().encode(text, parseSpecial: parse)) }
    }
  }

  @Test("Longer special tokens are cut first")
  func longestFirst() throws {
    let v = TinyVocabulary(merges: [], specials: [("<a>", .control), ("<a><b>", .control), ("<b>", .control)])
    let t = try v.tokenizer()
    let ab = try #require(t.id(of: "<a><b>"))
    let a = try #require(t.id(of: "<a>"))
    #expect(t.encode("<a><b><a>", parseSpecial: true) == [ab, a])
  }

  @Test("Fast encoding (scan and heap merges, cache) equals the reference on random text and random merges")
  func randomVocabularies() throws {
    var rng = SplitMix64(seed: 42)
    for round in 0 ..< 6 {
      // Random merges over a small alphabet so that long pieces keep merging; some results are virtual.
      let alphabet = ["a", "b", "c", " ", "!", "é", "日"]
      var known = alphabet
      var pairs: [(String, String)] = []
      var virtual: Set<String> = []
      for _ in 0 ..< 60 {
        let l = known[rng.nextInt(below: known.count)]
        let r = known[rng.nextInt(below: known.count)]
        if pairs.contains(where: { $0 == (l, r) }) { continue }
        pairs.append((l, r))
        if rng.nextInt(below: 10) == 0 { virtual.insert(l + r) } else { known.append(l + r) }
      }
      let v = TinyVocabulary(merges: pairs, missingBytes: round % 2 == 0 ? [0xA9] : [], virtualResults: virtual)
      let t = try v.tokenizer()
      let reference = v.reference()
      var encoder = t.makeEncoder(cacheEntries: 64)
      for _ in 0 ..< 60 {
        let length = rng.nextInt(below: 3) == 0 ? 200 + rng.nextInt(below: 200) : 1 + rng.nextInt(below: 40)
        var text = ""
        while text.count < length {
          let run = 1 + rng.nextInt(below: 90)
          let symbol = alphabet[rng.nextInt(below: alphabet.count)]
          text += String(repeating: symbol, count: rng.nextInt(below: 4) == 0 ? run : 1)
        }
        let expected = reference.encode(text, parseSpecial: false)
        #expect(t.encode(text) == expected)
        #expect(encoder.encode(text) == expected)
        #expect(encoder.encode(text) == expected)  // again, from the cache
      }
      #expect(encoder.cacheStatistics.hits > 0)
    }
  }

  @Test("Vocabulary errors say what is wrong")
  func errors() {
    #expect(throws: TokenizationError.emptyVocabulary) { try BPETokenizer(tokens: [], merges: [], preTokenizer: .smollm) }
    #expect(throws: TokenizationError.duplicateToken("a", firstID: 0, secondID: 1)) {
      try BPETokenizer(tokens: ["a", "a"], merges: [], preTokenizer: .smollm)
    }
    #expect(throws: TokenizationError.malformedMerge(index: 0, text: "ab")) {
      try BPETokenizer(tokens: ["a", "b"], merges: ["ab"], preTokenizer: .smollm)
    }
    #expect(throws: TokenizationError.tokenTypeCountMismatch(tokens: 2, tokenTypes: 1)) {
      try BPETokenizer(tokens: ["a", "b"], merges: [], tokenTypes: [1], preTokenizer: .smollm)
    }
    #expect(TokenizationError.malformedMerge(index: 3, text: "x").description.contains("'Ġ t'"))
  }
}
