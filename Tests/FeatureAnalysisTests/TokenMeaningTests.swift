import FeatureAnalysis
import GGUF
import TensorMath
import TestSupport
import Testing

/// The real model's token embedding as directions of meaning (`TokenMeaning`), which "words like …"
/// descriptions and `probe`'s topic relatives read.
@Suite("Token meaning from the model's own embedding", .enabled(if: TestPaths.smolLM2 != nil))
struct TokenMeaningTests {
  /// The nearest whole lower-case words (" word", letters only) to `word`, by cosine of the rows.
  static func nearest(_ word: String, rows: Matrix, tokens: [String], count: Int) -> [String] {
    guard let q = tokens.firstIndex(of: "Ġ" + word) else { return [] }
    let d = rows.columns
    var scored: [(Float, String)] = []
    for (r, token) in tokens.enumerated() where r != q && token.hasPrefix("Ġ") {
      let text = String(token.dropFirst())
      guard text.count >= 3, text.allSatisfy({ $0.isASCII && $0.isLowercase }) else { continue }
      var dot: Float = 0
      for i in 0 ..< d { dot += rows.storage[q * d + i] * rows.storage[r * d + i] }
      scored.append((dot, text))
    }
    return scored.sorted { $0.0 > $1.0 }.prefix(count).map(\.1)
  }

  @Test("With its 8 largest directions out, SmolLM2's embedding puts funds and cash next to money, not 'the' and 'and'")
  func realNeighbours() throws {
    let file = try GGUFFile(url: try #require(TestPaths.smolLM2))
    let tokens = try file.stringArray(GGUFKey.Tokenizer.tokens)
    let e = try file.dequantize(try file.tensor(named: "token_embd.weight"))
    let embedding = Matrix(rows: tokens.count, columns: e.count / tokens.count, storage: e)
    let meaning = TokenMeaning.unitRows(embedding, removing: TokenMeaning.components)
    let money = Self.nearest("money", rows: meaning, tokens: tokens, count: 10)
    #expect(money.contains("funds") && money.contains("cash"), "\(money)")
    let sword = Self.nearest("sword", rows: meaning, tokens: tokens, count: 10)
    #expect(sword.contains("knife") || sword.contains("swords"), "\(sword)")
    let glue = ["the", "and", "for", "was", "are", "this"]
    #expect(!money.contains(where: glue.contains) && !sword.contains(where: glue.contains))
    // Only centred, frequent words crowd in and push the money words out.
    let centred = Self.nearest("money", rows: TokenMeaning.unitRows(embedding, removing: 0), tokens: tokens, count: 10)
    let moneyWords = ["funds", "cash", "dollars", "finances"]
    #expect(centred.filter(moneyWords.contains).count < money.filter(moneyWords.contains).count, "\(centred)")
    // Unit rows.
    let row = meaning.row(tokens.firstIndex(of: "Ġmoney") ?? 0)
    #expect(abs(row.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
  }
}
