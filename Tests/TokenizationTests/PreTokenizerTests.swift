import TensorMath
import Testing
import Tokenization

@Suite("Pre-tokenizers")
struct PreTokenizerTests {
  func reference(_ pre: PreTokenizer) -> ReferenceTokenizer {
    ReferenceTokenizer(tokens: [], merges: [], tokenTypes: nil, preTokenizer: pre)
  }

  @Test("smollm splits every digit and gives the last space of a run to the next word")
  func smollmExamples() {
    #expect(
      PreTokenizer.smollm.split("Hello, world! It's 2024-06-01.")
        == ["Hello", ",", " world", "!", " It", "'s", " ", "2", "0", "2", "4", "-", "0", "6", "-", "0", "1", "."])
    #expect(
      PreTokenizer.smollm.split("def add(a, b):\n    return a + b\n")
        == ["def", " add", "(", "a", ",", " b", "):", "\n   ", " return", " a", " +", " b", "\n"])
    // A whitespace run before a digit ends at the digit, so it is taken whole.
    #expect(PreTokenizer.smollm.split("\n    63434") == ["\n    ", "6", "3", "4", "3", "4"])
    #expect(PreTokenizer.smollm.split("x² ½ ١٢") == ["x", "²", " ", "½", " ", "١", "٢"])
    #expect(PreTokenizer.smollm.split("a  b   ") == ["a", " ", " b", "   "])
    #expect(PreTokenizer.smollm.split("IT'S don't") == ["IT", "'", "S", " don", "'t"])
    #expect(PreTokenizer.smollm.split("") == [])
  }

  @Test("gpt-2 keeps digit runs together with an optional leading space")
  func gpt2Examples() {
    #expect(PreTokenizer.gpt2.split("in 2024, x2") == ["in", " 2024", ",", " x", "2"])
    #expect(PreTokenizer.gpt2.split("\n    63434") == ["\n   ", " 63434"])
  }

  @Test("llama-bpe: case-insensitive contractions, numbers by three, newlines after punctuation")
  func llamaExamples() {
    #expect(
      PreTokenizer.llamaBPE.split("I'M 12345 ok\n\n  x") == ["I", "'M", " ", "123", "45", " ok", "\n\n", " ", " x"])
    #expect(PreTokenizer.llamaBPE.split("(word) end.\n\nNext") == ["(word", ")", " end", ".\n\n", "Next"])
    #expect(PreTokenizer.llamaBPE.split("a \n b") == ["a", " \n", " b"])
  }

  @Test("qwen2 is llama-bpe with single digits")
  func qwenExamples() {
    #expect(PreTokenizer.qwen2.split("I'M 12345 ok") == ["I", "'M", " ", "1", "2", "3", "4", "5", " ok"])
  }

  @Test("Names from GGUF files map to pre-tokenizers; unknown names list the supported ones")
  func names() throws {
    #expect(try PreTokenizer(ggufName: "smollm") == .smollm)
    #expect(try PreTokenizer(ggufName: "gpt-2") == .gpt2)
    #expect(try PreTokenizer(ggufName: "llama-bpe") == .llamaBPE)
    #expect(try PreTokenizer(ggufName: "llama3") == .llamaBPE)
    #expect(try PreTokenizer(ggufName: "qwen2") == .qwen2)
    #expect(throws: TokenizationError.unsupportedPreTokenizer("deepseek-coder")) {
      try PreTokenizer(ggufName: "deepseek-coder")
    }
    let message = TokenizationError.unsupportedPreTokenizer("x").description
    for name in ["smollm", "gpt-2", "llama-bpe", "qwen2"] { #expect(message.contains("'\(name)'")) }
  }

  private struct HFSplits: Decodable {
    let cases: [Case]
    struct Case: Decodable {
      let preTokenizer: String
      let text: String
      let pieces: [String]
    }
  }

  @Test("Splits equal HF tokenizers' regex pre-tokenizers on random mixed-script text, for every pre-tokenizer")
  func matchesHFRegexes() throws {
    let fixture = try Fixtures.decode(HFSplits.self, "hf-pretokenizer-splits.json")
    #expect(fixture.cases.count == 600)
    for c in fixture.cases {
      let pre = try PreTokenizer(ggufName: c.preTokenizer)
      #expect(pre.split(c.text) == c.pieces, "\(c.preTokenizer): \(c.text.debugDescription)")
    }
  }

  @Test("The fast scanners split random text exactly like the staged reference, for every pre-tokenizer")
  func fastMatchesReference() {
    var rng = SplitMix64(seed: 7)
    for pre in PreTokenizer.allCases {
      let oracle = reference(pre)
      for _ in 0 ..< 400 {
        let text = RandomText.make(length: 1 + rng.nextInt(below: 120), using: &rng)
        let fast = pre.split(text)
        #expect(fast.joined() == text)
        let ranges = pre.pieceRanges(text)
        #expect(ranges.map(\.count) == fast.map(\.utf8.count))
        let slow = oracle.splitPieces(text)
        #expect(fast == slow, "\(pre) on \(text.debugDescription)")
        if fast != slow { return }
      }
    }
  }
}
