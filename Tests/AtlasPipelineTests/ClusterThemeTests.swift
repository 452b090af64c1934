import AtlasArtifacts
import AtlasPipeline
import Foundation
import Lexicon
import Testing

@Suite("Cluster themes: a WordNet class of the members' described words, or syntax, heads a cluster's name")
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
    #expect(ClusterTheme.theme(syntax, lexicon: nil) == ClusterTheme.syntax)
    #expect(ClusterTheme.theme(Array(syntax.prefix(2)), lexicon: nil) == nil)
    // Unclear or unsupported members do not count.
    let unclear = syntax.prefix(2) + [Self.described("digits in numbers", .syntactic, ["1"], status: .unclear)]
    #expect(ClusterTheme.theme(Array(unclear), lexicon: nil) == nil)
  }

  @Test("The name reads 'theme (term, term)', or the terms joined when there is no theme")
  func label() {
    #expect(ClusterTheme.label(theme: "people", terms: ["'sir'", "'lord'"]) == "people ('sir', 'lord')")
    #expect(ClusterTheme.label(theme: nil, terms: ["'sir'", "'lord'"]) == "'sir' · 'lord'")
    #expect(ClusterTheme.label(theme: "people", terms: []) == "people")
    // Names of one level are unique: a repeated one says which region it is.
    #expect(ClusterTheme.distinct(["matters", "people ('sir')", "matters"]) == ["matters · region 1", "people ('sir')", "matters · region 3"])
  }

  @Test("Real WordNet 3.0 (when installed): members on sir, lord, lady and king are people; on code they are not")
  func realWordNet() throws {
    guard FileManager.default.fileExists(atPath: Lexicon.defaultDirectory.appendingPathComponent("data.noun").path) else { return }
    let lexicon = try Lexicon()
    let titles = ["sir", "lord", "lady", "king"].map { Self.described("the word '\($0)'", .lexical, [$0]) }
    let theme = try #require(ClusterTheme.theme(titles, lexicon: lexicon))
    #expect(theme != ClusterTheme.syntax)
    #expect(theme == "people")   // WordNet's person, named in the plural
    let unrelated = ["bipartite", "docstring", "xml"].map { Self.described("the word '\($0)'", .lexical, [$0]) }
    #expect(ClusterTheme.theme(unrelated, lexicon: lexicon) == nil)
  }
}
