import TensorMath
import Testing
import Tokenization

@Suite("Decoding and display")
struct DecodingTests {
  /// Byte tokens only: every multi-byte character is split across tokens.
  let bytesOnly = TinyVocabulary(merges: [("a", "b")])

  @Test("Characters split across tokens are attached to the token that completes them")
  func splitCharacters() throws {
    let t = try bytesOnly.tokenizer()
    let ids = t.encode("é日ab")  // C3 A9 | E6 97 A5 | ab
    #expect(ids.count == 6)
    let pieces = t.pieces(ids)
    #expect(pieces.map(\.text) == ["", "é", "", "", "日", "ab"])
    #expect(pieces.map(\.isPartial) == [true, false, true, true, false, false])
    #expect(t.displayPieces(ids) == ["<0xC3>", "é", "<0xE6>", "<0x97>", "日", "ab"])
    #expect(pieces.map(\.text).joined() == t.decodeText(ids))
    #expect(t.tokenText(ids[0]) == "<0xC3>")
    #expect(t.tokenText(ids[5]) == "ab")
  }

  @Test("Special tokens decode to their text or to nothing, as chosen")
  func specials() throws {
    let t = try bytesOnly.tokenizer()
    let ids = t.encode("<|im_start|>ab", parseSpecial: true)
    #expect(t.decodeText(ids) == "<|im_start|>ab")
    #expect(t.decodeText(ids, specialTokens: .omitted) == "ab")
    #expect(t.displayPieces(ids) == ["<|im_start|>", "ab"])
    #expect(t.tokenText(ids[0]) == "<|im_start|>")
    #expect(t.tokenText(-1) == "<invalid:-1>")
    #expect(t.decode([-1, 100_000]) == [])
  }

  @Test("A sequence cut inside a character shows U+FFFD in the text and hex on the partial token")
  func invalidSequences() throws {
    let t = try bytesOnly.tokenizer()
    let ids = t.encode("日")
    let cut = Array(ids.prefix(2))
    #expect(t.decodeText(cut) == "\u{FFFD}")
    #expect(t.pieces(cut).map(\.text).joined() == "\u{FFFD}")
    // Random byte soup: the pieces always concatenate to String(decoding:).
    var rng = SplitMix64(seed: 3)
    for _ in 0 ..< 200 {
      let soup = (0 ..< rng.nextInt(below: 12)).map { _ in t.id(of: String(ByteLevel.byteToScalar[rng.nextInt(below: 256)])) ?? 0 }
      #expect(t.pieces(soup).map(\.text).joined() == t.decodeText(soup))
    }
  }

  @Test("decode(encode(text)) == text for random text of every script")
  func roundTrip() throws {
    let t = try TinyVocabulary(merges: [("a", "b"), ("Ġ", "a"), ("Ċ", "Ċ")]).tokenizer()
    var rng = SplitMix64(seed: 11)
    for _ in 0 ..< 300 {
      let text = RandomText.make(length: 1 + rng.nextInt(below: 80), using: &rng)
      #expect(t.decodeText(t.encode(text)) == text)
      #expect(t.pieces(t.encode(text)).map(\.text).joined() == text)
    }
  }
}
