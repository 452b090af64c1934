import Foundation
import GGUF
import TensorMath
import TestSupport
import Tokenization

/// The SmolLM2 tokenizer and its raw arrays, read once from the real model file (nil when it is not set up).
enum SmolLM2 {
  struct Arrays: Sendable {
    let tokens: [String]
    let merges: [String]
    let tokenTypes: [Int]
    let preTokenizer: String
    let chatTemplate: String
  }

  static let arrays: Arrays? = {
    guard let url = TestPaths.smolLM2, let file = try? GGUFFile(url: url) else { return nil }
    guard let tokens = try? file.stringArray(GGUFKey.Tokenizer.tokens),
      let merges = try? file.stringArray(GGUFKey.Tokenizer.merges),
      let types = try? file.integerArray(GGUFKey.Tokenizer.tokenTypes),
      let pre = try? file.string(GGUFKey.Tokenizer.preTokenizer),
      let template = try? file.string(GGUFKey.Tokenizer.chatTemplate)
    else { return nil }
    return Arrays(tokens: tokens, merges: merges, tokenTypes: types, preTokenizer: pre, chatTemplate: template)
  }()

  static let tokenizer: BPETokenizer? = arrays.flatMap { a in
    guard let pre = try? PreTokenizer(ggufName: a.preTokenizer) else { return nil }
    return try? BPETokenizer(tokens: a.tokens, merges: a.merges, tokenTypes: a.tokenTypes, preTokenizer: pre)
  }

  static let reference: ReferenceTokenizer? = arrays.map {
    ReferenceTokenizer(tokens: $0.tokens, merges: $0.merges, tokenTypes: $0.tokenTypes, preTokenizer: .smollm)
  }
}

enum Fixtures {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

  static func data(_ name: String) throws -> Data { try Data(contentsOf: directory.appendingPathComponent(name)) }

  static func decode<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
    try JSONDecoder().decode(T.self, from: try data(name))
  }
}

/// Random text drawn from many scripts, whitespace runs, digits and punctuation, seeded.
enum RandomText {
  static let alphabets: [[Unicode.Scalar]] = [
    Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".unicodeScalars),
    Array("0123456789½²³١٢٣٤Ⅻ".unicodeScalars),
    Array(" \t\n\r\u{A0}\u{3000}\u{2009}\u{85}".unicodeScalars),
    Array(" ".unicodeScalars),
    Array("'\"!?.,;:-_()[]{}<>|/\\@#$%^&*+=~`".unicodeScalars),
    Array("'sd'tm're've'llSTMD".unicodeScalars),
    Array("приветмирКакдела".unicodeScalars),
    Array("こんにちは世界日本語中文测试한국어".unicodeScalars),
    Array("éàüßçñøåœÆÀÉÎÕÜŁŚĆŻŹ\u{301}\u{308}".unicodeScalars),
    Array("Ελληνικάשלוםעולםالعربيةहिन्दी".unicodeScalars),
    Array("🙂👍🏽👨\u{200D}👩\u{200D}👧🇫🇷❤️✨𝔘𝔫𝔦".unicodeScalars),
    Array("–—‘’“”…•€™".unicodeScalars),
  ]

  static func make(length: Int, using rng: inout SplitMix64) -> String {
    var scalars = String.UnicodeScalarView()
    while scalars.count < length {
      let alphabet = alphabets[rng.nextInt(below: alphabets.count)]
      let run = 1 + rng.nextInt(below: 6)
      for _ in 0 ..< run { scalars.append(alphabet[rng.nextInt(below: alphabet.count)]) }
    }
    return String(scalars)
  }
}
