import AtlasArtifacts
import AtlasPipeline
import Foundation
import Testing

@Suite("Cluster names: a syntax theme heads mostly syntactic clusters; names are unique within a level")
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

  @Test("The name reads 'theme (term, term)', or the terms joined when there is no theme")
  func label() {
    #expect(ClusterTheme.label(theme: "people", terms: ["'sir'", "'lord'"]) == "people ('sir', 'lord')")
    #expect(ClusterTheme.label(theme: nil, terms: ["'sir'", "'lord'"]) == "'sir' · 'lord'")
    #expect(ClusterTheme.label(theme: "people", terms: []) == "people")
    // Names of one level are unique: a repeated one says which region it is.
    #expect(ClusterTheme.distinct(["matters", "people ('sir')", "matters"]) == ["matters · region 1", "people ('sir')", "matters · region 3"])
  }
}
