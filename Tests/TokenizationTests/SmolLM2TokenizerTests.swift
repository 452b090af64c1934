import Foundation
import TensorMath
import TestSupport
import Testing
import Tokenization

private struct TokenizerCases: Decodable {
  let generatedBy: String
  let cases: [Case]
  struct Case: Decodable {
    let text: String
    let ids: [Int]
  }
}

private struct ForwardCase: Decodable {
  let name: String
  let text: String
  let chat: Bool
  let ids: [Int]
}

private struct HFSamples: Decodable {
  let generatedBy: String
  let samples: [Sample]
  struct Sample: Decodable {
    let source: String
    let text: String
    let ids: [Int]
  }
}

private struct SteerCase: Decodable {
  let prompt_text: String
  let prompt_ids: [Int]
}

@Suite("SmolLM2 tokenizer against llama.cpp", .enabled(if: TestPaths.smolLM2 != nil))
struct SmolLM2TokenizerTests {
  var tokenizer: BPETokenizer { get throws { try #require(SmolLM2.tokenizer) } }

  @Test("The vocabulary from the GGUF: 49,152 tokens, 48,900 merges, 17 control tokens")
  func vocabulary() throws {
    let t = try tokenizer
    #expect(t.vocabularySize == 49_152)
    #expect(t.mergeCount == 48_900)
    #expect(t.preTokenizer == .smollm)
    #expect((0 ..< 49_152).filter { t.tokenType($0) == .control }.count == 17)
    #expect(t.id(of: "<|im_start|>") == 1)
    #expect(t.id(of: "Ġ") == 216)
    #expect(t.id(of: "Ċ") == 198)
    #expect(t.unrepresentableBytes == [0x04, 0x06, 0x13, 0x14, 0x16, 0x1D, 0xC0, 0xC1, 0xF1, 0xF2] + Array(0xF5 ... 0xFF))
  }

  @Test("Every llama.cpp golden case is reproduced exactly")
  func goldenCases() throws {
    let t = try tokenizer
    let golden = try Fixtures.decode(TokenizerCases.self, "llamacpp-tokenizer-cases.json")
    #expect(golden.cases.count == 40)
    for c in golden.cases {
      #expect(t.encode(c.text) == c.ids, "\(c.text.debugDescription)")
      #expect(t.decodeText(c.ids) == c.text)
    }
  }

  @Test("Matches HF tokenizers built like llama.cpp's smollm on licenses, fortunes, Python and synthetic scripts")
  func hfSamples() throws {
    let t = try tokenizer
    let fixture = try Fixtures.decode(HFSamples.self, "hf-tokenizers-samples.json")
    #expect(fixture.samples.count > 150)
    #expect(Set(fixture.samples.map { $0.source.split(separator: ":")[0] }).count == 5)
    var encoder = t.makeEncoder()
    var mismatches = 0
    for sample in fixture.samples where encoder.encode(sample.text) != sample.ids {
      mismatches += 1
      Issue.record("\(sample.source): \(sample.text.prefix(80).debugDescription)")
    }
    #expect(mismatches == 0)
    #expect(fixture.samples.reduce(0) { $0 + $1.ids.count } > 30_000)
  }

  @Test("The piece cache changes nothing: no cache, a tiny one that keeps clearing, the default, warm")
  func cacheSizes() throws {
    let t = try tokenizer
    let fixture = try Fixtures.decode(HFSamples.self, "hf-tokenizers-samples.json")
    let long = String(repeating: " ", count: 300) + "x" + String(repeating: "\n        ", count: 40) + "supercalifragilistic"
    let texts = fixture.samples.map(\.text) + [long, long]
    var none = t.makeEncoder(cacheEntries: 0)
    var tiny = t.makeEncoder(cacheEntries: 7)
    var normal = t.makeEncoder()
    for text in texts {
      let expected = none.encode(text)
      #expect(tiny.encode(text) == expected)
      #expect(normal.encode(text) == expected)
    }
    for text in texts { #expect(normal.encode(text) == none.encode(text)) }
    #expect(none.cacheStatistics.entries == 0)
    #expect(tiny.cacheStatistics.entries <= 7)
    #expect(normal.cacheStatistics.hits > normal.cacheStatistics.misses)
  }

  @Test("The ids of the forward-pass references are reproduced (the chat case through the chat template)")
  func forwardCases() throws {
    let t = try tokenizer
    let template = try ChatTemplate.detect(fromTemplateText: try #require(SmolLM2.arrays).chatTemplate)
    #expect(template == .chatML(defaultSystem: ChatTemplate.smolLM2DefaultSystem))
    for name in ["prose", "code", "mixed", "chat"] {
      let c = try Fixtures.decode(ForwardCase.self, "forward-\(name).json")
      if c.chat {
        #expect(t.encode(c.text, parseSpecial: true) == c.ids)
        let messages: [ChatMessage] = [.user("What is the capital of France?")]
        #expect(template.render(messages, addGenerationPrompt: true) == c.text)
        #expect(try t.encodeChat(messages, template: template) == c.ids)
      } else {
        #expect(t.encode(c.text) == c.ids, "\(name)")
      }
    }
  }

  @Test("The steering prompt's ids are reproduced through the chat template")
  func steeringPrompt() throws {
    let t = try tokenizer
    let c = try Fixtures.decode(SteerCase.self, "steer-cat-random.json")
    let messages: [ChatMessage] = [.user("Tell me a short story about a cat.")]
    let template = ChatTemplate.chatML(defaultSystem: ChatTemplate.smolLM2DefaultSystem)
    #expect(template.render(messages, addGenerationPrompt: true) == c.prompt_text)
    #expect(try t.encodeChat(messages, template: template) == c.prompt_ids)
    #expect(t.encode(c.prompt_text, parseSpecial: true) == c.prompt_ids)
  }

  @Test("Fast encoding equals the slow reference on random text of every script")
  func fastMatchesReference() throws {
    let t = try tokenizer
    let reference = try #require(SmolLM2.reference)
    var rng = SplitMix64(seed: 2024)
    var encoder = t.makeEncoder()
    for _ in 0 ..< 150 {
      let text = RandomText.make(length: 1 + rng.nextInt(below: 300), using: &rng)
      let expected = reference.encode(text, parseSpecial: false)
      #expect(encoder.encode(text) == expected, "\(text.debugDescription)")
    }
    // Pieces longer than 64 bytes take the heap-based merge.
    for long in [String(repeating: " ", count: 300) + "x", String(repeating: "a", count: 101),
                 String(repeating: "Pneumonoultramicroscopicsilicovolcanoconiosis", count: 3), String(repeating: "=-", count: 70),
                 String(repeating: "жизнь", count: 20), String(repeating: "\n", count: 129) + "\t"] {
      #expect(encoder.encode(long) == reference.encode(long, parseSpecial: false), "\(long.prefix(20).debugDescription)")
    }
    let edge = try String(contentsOf: Fixtures.directory.appendingPathComponent("tok_edge.txt"), encoding: .utf8)
    #expect(t.encode(edge) == reference.encode(edge, parseSpecial: false))
    // shared/peers/BASELINES.md: llama.cpp gives 561 tokens for the file as Python reads it (universal
    // newlines: "\r\n" and "\r" become "\n"); the raw file has one more ("\r\n" is 2 tokens).
    var pythonText = String.UnicodeScalarView()
    var previousCR = false
    for scalar in edge.unicodeScalars {
      if scalar == "\n" && previousCR { previousCR = false; continue }
      previousCR = scalar == "\r"
      pythonText.append(previousCR ? "\n" : scalar)
    }
    #expect(t.encode(String(pythonText)).count == 561)
    #expect(t.encode(edge).count == 562)
  }

  @Test("decode(encode(text)) == text for sanitized random text (all scripts, whitespace runs, digits)")
  func roundTrip() throws {
    let t = try tokenizer
    var rng = SplitMix64(seed: 99)
    for _ in 0 ..< 300 {
      var text = RandomText.make(length: 1 + rng.nextInt(below: 400), using: &rng)
      if rng.nextInt(below: 4) == 0 { text += "\u{04}\u{1D}x\u{13}" }  // control bytes without tokens
      let clean = t.sanitized(text)
      #expect(!clean.unicodeScalars.contains("\u{04}"))
      #expect(t.decodeText(t.encode(clean)) == clean)
      #expect(t.decode(t.encode(clean)) == Array(clean.utf8))
    }
  }

  @Test("Cyrillic, CJK and emoji split across tokens display on the token that completes each character")
  func displaySplitCharacters() throws {
    let t = try tokenizer
    for text in ["Привет, мир! Как дела?", "こんにちは世界。日本語のテキストです。", "Emoji: 🙂👍🏽 family 👨‍👩‍👧 flag 🇫🇷"] {
      let ids = t.encode(text)
      let pieces = t.pieces(ids)
      #expect(pieces.map(\.text).joined() == text)
      #expect(pieces.contains { $0.isPartial }, "\(text) should have tokens holding part of a character")
      for (piece, id) in zip(pieces, ids) {
        #expect(piece.bytes == t.tokenBytes(id))
        if piece.isPartial { #expect(piece.label.hasPrefix("<0x")) } else { #expect(piece.label == piece.text) }
      }
    }
    // "Привет" is [155 'Ð', 249, ...]: the first token is the lead byte 0xD0 alone.
    #expect(t.encode("Привет").first == 155)
    #expect(t.tokenText(155) == "<0xD0>")
    #expect(t.displayPieces([155, 249]) == ["<0xD0>", "П"])
  }
}
