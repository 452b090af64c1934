import AtlasArtifacts
import AtlasPipeline
import Foundation
import Testing

@Suite("Cluster names: a syntax, function-word or word-piece theme heads clusters mostly of that kind; names are unique within a level")
struct ClusterThemeTests {
  static func described(_ text: String, _ kind: DescriptionKind, _ words: [String],
                        status: DescriptionStatus = .supported) -> FeatureDescription {
    FeatureDescription(text: text, kind: kind, status: status, words: words, testedTokens: words.count, grounding: nil,
                       coverage: 0.8, evidence: nil, topPrecision: 1, note: nil)
  }

  @Test("Mostly syntactic members make a syntax theme; fewer than three described members make none")
  func syntaxAndTooFew() {
    let syntax = [Self.described("line breaks", .syntactic, ["↵"]), Self.described("commas", .syntactic, [","]),
                  Self.described("digits in numbers", .syntactic, ["1", "2"]), Self.described("the word 'sir'", .lexical, ["sir"])]
    #expect(ClusterTheme.theme(syntax) == ClusterTheme.syntax)
    #expect(ClusterTheme.theme(Array(syntax.prefix(2))) == nil)
    // Unclear or unsupported members do not count.
    let unclear = syntax.prefix(2) + [Self.described("digits in numbers", .syntactic, ["1"], status: .unclear)]
    #expect(ClusterTheme.theme(Array(unclear)) == nil)
    // Words are named by their terms, not by a theme.
    #expect(ClusterTheme.theme(["sir", "lord", "lady"].map { Self.described("the word '\($0)'", .lexical, [$0]) }) == nil)
  }

  @Test("Mostly function words, or their classes, make a function-word theme; mostly pieces of words a word-piece theme")
  func functionWordsAndPieces() {
    let function = [Self.described("prepositions (of, to, by)", .lexical, ["of", "to", "by"]),
                    Self.described("the word 'the'", .lexical, ["the"]), Self.described("the word 'shall'", .lexical, ["shall"]),
                    Self.described("diseases (measles, plague)", .concept, ["measles", "plague"])]
    #expect(ClusterTheme.theme(function) == ClusterTheme.functionWords)
    let pieces = [Self.described("the word piece 'br'", .lexical, ["br"]),
                  Self.described("at its strongest, the word piece 'ch'", .lexical, ["ch"]),
                  Self.described("the word piece 'x'", .lexical, ["x"]), Self.described("line breaks", .syntactic, ["↵"])]
    #expect(ClusterTheme.theme(pieces) == ClusterTheme.wordPieces)
    // Descriptions of pieces of words, whichever the piece, count as pieces too; their terms shorten in a name.
    let split = ["the first piece of long or rare words (recursive, quench)", "a middle piece of long or rare words (katharina)",
                 "pieces of long or rare words (goddamn, damned)"].map { Self.described($0, .lexical, ["recursive"]) }
    #expect(split.allSatisfy { $0.namesWordPiece })
    #expect(ClusterTheme.theme(split + [Self.described("line breaks", .syntactic, ["↵"])]) == ClusterTheme.wordPieces)
    #expect(LayoutStage.displayTerm("the first piece of long or rare words", theme: ClusterTheme.wordPieces) == "first pieces")
    #expect(LayoutStage.displayTerm("pieces of long or rare words", theme: "single words and word pieces") == "any piece")
    #expect(LayoutStage.displayTerm("the last piece of long or rare words", theme: ClusterTheme.syntax) == "last pieces of words")
    #expect(LayoutStage.displayTerm("a middle piece of long or rare words") == "middle pieces of words")
    // Half and half is a mixed theme, the heavier kind first (ties: function words before pieces).
    #expect(ClusterTheme.theme(Array(function.prefix(2)) + Array(pieces.prefix(2))) == "function words and word pieces")
  }

  @Test("A region mostly of two kinds says which, the heavier first; when no two kinds hold 55 %, the terms stand alone")
  func mixedThemes() {
    let words = ["sir", "lord", "graph"].map { Self.described("the word '\($0)'", .lexical, [$0]) }
    let concepts = [Self.described("diseases (measles, plague)", .concept, ["measles", "plague"]),
                    Self.described("weapons (sword, knife)", .concept, ["sword", "knife"])]
    #expect(ClusterTheme.theme(words + concepts) == "single words and concepts")
    let forms = [Self.described("verbs in the past tense (came, went, sang)", .wordForms, ["came", "went", "sang"])]
    #expect(ClusterTheme.theme(words + forms) == "single words and word forms")
    // Four kinds spread evenly: no two hold 55 % (4 of 8).
    let symbols = [Self.described("line breaks", .syntactic, ["↵"]), Self.described("commas", .syntactic, [","])]
    let more = forms + [Self.described("plural nouns (dogs, cities, tables)", .wordForms, ["dogs", "cities", "tables"])]
    #expect(ClusterTheme.theme(Array(words.prefix(2)) + concepts + symbols + more) == nil)
    #expect(ClusterTheme.label(theme: ClusterTheme.theme(words + concepts), terms: ["'sir'", "diseases"])
      == "single words and concepts ('sir', diseases)")
  }

  @Test("The name reads 'theme (term, term)', or the terms joined when there is no theme")
  func label() {
    #expect(ClusterTheme.label(theme: "people", terms: ["'sir'", "'lord'"]) == "people ('sir', 'lord')")
    #expect(ClusterTheme.label(theme: nil, terms: ["'sir'", "'lord'"]) == "'sir' · 'lord'")
    #expect(ClusterTheme.label(theme: "people", terms: []) == "people")
    // Names of one level are unique: a repeated one says which region it is.
    #expect(ClusterTheme.distinct(["matters", "people ('sir')", "matters"]) == ["matters · region 1", "people ('sir')", "matters · region 3"])
  }
}
