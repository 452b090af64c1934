import AtlasArtifacts
import FeatureAnalysis
import Foundation
import TensorMath
import Testing

/// A random text where a few words occur at set rates, with planted features over it.
struct PlantedText {
  static let texts = ["<|endoftext|>", " node", " nodes", " edges", " law", " the", " of", " Law"]
    + (8 ..< 160).map { " w\($0)" }
  // Per-mille rates of the named words; the rest is uniform filler.
  static let rates: [(token: Int, perMille: Int)] = [(1, 10), (2, 10), (3, 10), (4, 12), (5, 40), (6, 30), (7, 3)]
  static let sources = SyntheticCorpus.sources

  var windows: [AnalysisWindow]

  /// `sourceOf(window)` picks each window's source; every `heldOutEvery`-th window is held out.
  init(windows count: Int = 400, length: Int = 64, heldOutEvery: Int = 5, seed: UInt64 = 11,
       sourceOf: (Int) -> Int = { $0 % 5 }) {
    var rng = SplitMix64(seed: seed)
    windows = (0 ..< count).map { w in
      var tokens = [0]
      for _ in 1 ..< length {
        var r = rng.nextInt(below: 1000), token = -1
        for (t, rate) in PlantedText.rates where token < 0 {
          if r < rate { token = t } else { r -= rate }
        }
        tokens.append(token >= 0 ? token : 8 + rng.nextInt(below: PlantedText.texts.count - 8))
      }
      return AnalysisWindow(index: w, tokens: tokens, sources: [Int](repeating: sourceOf(w), count: length),
                            documents: [Int](repeating: w, count: length), heldOut: w % heldOutEvery == heldOutEvery - 1)
    }
  }

  func coded(_ fire: (AnalysisWindow, Int) -> [(latent: Int, value: Float)]) -> [CodedWindow] {
    windows.map { window in CodedWindow(window: window, rows: (1 ..< window.tokens.count).map { fire(window, $0) }) }
  }
}

/// The held-out evidence of a label recomputed the slow, obvious way from its basis and pattern: every
/// held-out token (position ≥ 1) is checked against the pattern's description.
func oracleEvidence(_ label: FeatureLabel, feature: Int, coded: [CodedWindow], texts: [String], sources: [String],
                    contextSpan: Int = 8) -> LabelEvidence {
  let pattern = Set(label.pattern)
  func key(_ token: Int) -> String {
    let trimmed = texts[token].trimmingCharacters(in: .whitespacesAndNewlines)
    return trimmed.isEmpty ? texts[token] : trimmed.lowercased()
  }
  var positives = 0, truePositives = 0, matched = 0, tokens = 0
  for item in coded where item.window.heldOut {
    let ids = item.window.tokens
    for p in 1 ..< ids.count {
      let hit: Bool
      if label.basis.hasPrefix("tokens:") {
        hit = pattern.contains(texts[ids[p]])
      } else if label.basis.hasPrefix("context:") {
        hit = (max(1, p - contextSpan) ..< p).contains { pattern.contains(texts[ids[$0]]) }
      } else if label.basis.hasPrefix("tokens in one source:") {
        hit = pattern.contains(texts[ids[p]]) && label.pattern.last == sources[item.window.sources[p]]
      } else if label.basis.hasPrefix("bigrams:") {
        hit = pattern.contains("\(key(ids[p - 1])) \(key(ids[p]))")
      } else if label.basis.hasPrefix("trigrams:") {
        hit = p >= 2 && pattern.contains("\(key(ids[p - 2])) \(key(ids[p - 1])) \(key(ids[p]))")
      } else if label.basis.hasPrefix("corpus source:") {
        hit = pattern.contains(sources[item.window.sources[p]])
      } else if label.basis.hasPrefix("next token:") || label.basis.hasPrefix("logit effects:") {
        hit = p + 1 < ids.count && pattern.contains(texts[ids[p + 1]])
      } else {
        hit = false
      }
      let fires = item.rows[p - 1].contains { $0.latent == feature && $0.value > 0 }
      tokens += 1
      if fires { positives += 1 }
      if hit { matched += 1 }
      if hit && fires { truePositives += 1 }
    }
  }
  let negatives = tokens - positives
  let tpr = positives > 0 ? Double(truePositives) / Double(positives) : 0
  let tnr = negatives > 0 ? Double(negatives - (matched - truePositives)) / Double(negatives) : 0
  return LabelEvidence(balancedAccuracy: (tpr + tnr) / 2, truePositiveRate: tpr, trueNegativeRate: tnr,
                       positives: positives, negatives: negatives)
}

func expectSameEvidence(_ found: LabelEvidence?, _ expected: LabelEvidence) {
  guard let found else {
    Issue.record("no evidence")
    return
  }
  #expect(found.positives == expected.positives && found.negatives == expected.negatives)
  #expect(abs(found.balancedAccuracy - expected.balancedAccuracy) < 1e-12)
  #expect(abs(found.truePositiveRate - expected.truePositiveRate) < 1e-12)
  #expect(abs(found.trueNegativeRate - expected.trueNegativeRate) < 1e-12)
}

@Suite("Label candidates: the best-scoring pattern of any kind")
struct PatternLabelTests {
  /// Feature 0 fires on any token within 5 tokens after " law"; feature 1 on every " node", " nodes" and
  /// " edges"; feature 2 on every " edges" and on random tokens about twice as often, so "edges" explains
  /// only about a third of its firings. The logit effects of all three promote " the".
  static func planted() -> (text: PlantedText, coded: [CodedWindow]) {
    let text = PlantedText()
    var noise = SplitMix64(seed: 23)
    let coded = text.coded { window, p in
      var active: [(latent: Int, value: Float)] = []
      let ids = window.tokens
      if (max(1, p - 5) ..< p).contains(where: { ids[$0] == 4 }) { active.append((0, 1 + Float(p % 3))) }
      if [1, 2, 3].contains(ids[p]) { active.append((1, 2)) }
      if ids[p] == 3 || noise.nextInt(below: 1000) < 19 { active.append((2, 1.5)) }
      return active
    }
    return (text, coded)
  }

  static func logits(features: Int) -> LogitEffects {
    LogitEffects(features: features, k: 2, promotedTokens: (0 ..< features).flatMap { _ in [Int32(5), 6] },
                 promotedValues: [Float](repeating: 1, count: 2 * features),
                 suppressedTokens: [Int32](repeating: 9, count: 2 * features),
                 suppressedValues: [Float](repeating: -1, count: 2 * features))
  }

  static func run() throws -> (coded: [CodedWindow], records: [FeatureRecord]) {
    let (_, coded) = planted()
    let records = try analyse(coded, latents: 3, sources: PlantedText.sources, texts: PlantedText.texts, batch: 16,
                              logitEffects: logits(features: 3)).records
    return (coded, records)
  }

  @Test("A feature firing within 5 tokens after ' law' gets a context label naming ' law', with high held-out evidence")
  func contextFeature() throws {
    let (coded, records) = try Self.run()
    let label = records[0].label
    #expect(label.basis.hasPrefix("context:"))
    #expect(label.text == "after: law")
    #expect(Set(label.pattern) == [" law", " Law"])   // case and space variants merged
    let evidence = try #require(label.evidence)
    // The label's 8-token window also covers the 3 tokens after the feature's 5: a few false positives.
    #expect(evidence.truePositiveRate == 1 && evidence.balancedAccuracy > 0.95)
    #expect(evidence.positives > 200)
    #expect(!label.contradicted)
    expectSameEvidence(label.evidence, oracleEvidence(label, feature: 0, coded: coded, texts: PlantedText.texts,
                                                       sources: PlantedText.sources))
  }

  @Test("A feature firing on ' node', ' nodes' and ' edges' gets that token set, not a logit-effects label")
  func tokenSetFeature() throws {
    let (coded, records) = try Self.run()
    let label = records[1].label
    #expect(label.basis.hasPrefix("tokens:"))
    #expect(Set(label.text.components(separatedBy: " · ")) == ["node", "nodes", "edges"])
    #expect(Set(label.pattern) == [" node", " nodes", " edges"])
    #expect((label.evidence?.balancedAccuracy ?? 0) > 0.99)
    #expect(!label.contradicted)
    expectSameEvidence(label.evidence, oracleEvidence(label, feature: 1, coded: coded, texts: PlantedText.texts,
                                                       sources: PlantedText.sources))
  }

  /// The old labeler tried tokens first and, below a balanced accuracy of 0.7 on the analysis windows,
  /// fell back to the source and then to the logit effects, whose "next token is ' the' or ' of'" test
  /// fails here. The best-scoring candidate is the token label, weak but real.
  @Test("The best-scoring candidate wins, even when it is weak, over a fixed order of fallbacks")
  func bestCandidateWins() throws {
    let (coded, records) = try Self.run()
    let label = records[2].label
    #expect(label.basis.hasPrefix("tokens:"))
    #expect(label.text == "edges")
    let evidence = try #require(label.evidence)
    #expect(evidence.truePositiveRate > 0.2 && evidence.truePositiveRate < 0.5)
    #expect(evidence.balancedAccuracy > 0.6 && evidence.balancedAccuracy < 0.75)
    #expect(!label.contradicted)
    expectSameEvidence(label.evidence, oracleEvidence(label, feature: 2, coded: coded, texts: PlantedText.texts,
                                                       sources: PlantedText.sources))
  }

  @Test("The dominant source is where a feature fires most often relative to the source's size, not where it fires most")
  func dominantSourceByRate() throws {
    // 70% of the windows are Shakespeare; calendar has 7.5%. The feature fires on 5% of Shakespeare's tokens
    // and 20% of calendar's: most firings are in Shakespeare, the highest rate is in calendar.
    let text = PlantedText(windows: 400, sourceOf: { w in w % 40 < 28 ? 0 : 1 + (w % 40 - 28) / 3 % 4 })
    var rng = SplitMix64(seed: 3)
    let coded = text.coded { window, _ in
      let rate = window.sources[1] == 0 ? 50 : window.sources[1] == 3 ? 200 : 10
      return rng.nextInt(below: 1000) < rate ? [(0, 1)] : []
    }
    let record = try analyse(coded, latents: 1, sources: PlantedText.sources, texts: PlantedText.texts).records[0]
    var firings = [Int](repeating: 0, count: 5), tokens = [Int](repeating: 0, count: 5)
    for item in coded where !item.window.heldOut {
      for p in 1 ..< item.window.tokens.count {
        tokens[item.window.sources[p]] += 1
        if !item.rows[p - 1].isEmpty { firings[item.window.sources[p]] += 1 }
      }
    }
    #expect(firings[0] == firings.max() && firings[0] > firings[3])
    #expect(record.dominantSource == "calendar")
    #expect((record.sourceShares["shakespeare"] ?? 0) > (record.sourceShares["calendar"] ?? 1))
    for s in 0 ..< 5 {
      #expect(abs((record.sourceShares[PlantedText.sources[s]] ?? -1) - Double(firings[s]) / Double(firings.reduce(0, +))) < 1e-12)
    }
    let rates = (0 ..< 5).map { Double(firings[$0]) / Double(max(1, tokens[$0])) }
    #expect(rates[3] == rates.max())
  }

  @Test("Every label's held-out evidence matches a brute-force recount of its pattern")
  func evidenceMatchesOracle() throws {
    let (corpus, coded) = LabelTests.planted()
    let records = try analyse(coded, latents: 7, sources: SyntheticCorpus.sources, texts: corpus.texts, batch: 16,
                              logitEffects: LabelTests.logits()).records
    for (f, record) in records.enumerated() where record.label.evidence != nil {
      expectSameEvidence(record.label.evidence, oracleEvidence(record.label, feature: f, coded: coded, texts: corpus.texts,
                                                               sources: SyntheticCorpus.sources))
    }
  }

  @Test("A context label is counted over the whole span before the token and never reaches position 0")
  func contextSpan() throws {
    // Feature 0 fires on position 3 of the windows whose position 1 is " law"; feature 1 on positions 1 and
    // 2 of every window, which only the sink at position 0 would describe.
    var text = PlantedText(windows: 200, length: 12, heldOutEvery: 5)
    for w in text.windows.indices {
      for p in 1 ..< 12 where [4, 7].contains(text.windows[w].tokens[p]) { text.windows[w].tokens[p] = 9 }
      if w % 2 == 0 { text.windows[w].tokens[1] = 4 }
    }
    let coded = text.coded { window, p in
      (p == 3 && window.tokens[1] == 4 ? [(0, 1)] : []) + (p <= 2 ? [(1, 1)] : [])
    }
    var c = FeatureAnalysisConfiguration()
    c.labelContextSpan = 2
    let records = try analyse(coded, latents: 2, sources: PlantedText.sources, texts: PlantedText.texts, configuration: c).records
    let label = records[0].label
    #expect(label.text == "after: law")
    #expect(label.evidence?.truePositiveRate == 1)
    // With a span of 2, " law" at position 1 also covers position 2: one false positive per such window.
    expectSameEvidence(label.evidence, oracleEvidence(label, feature: 0, coded: coded, texts: PlantedText.texts,
                                                       sources: PlantedText.sources, contextSpan: 2))
    #expect(!records[1].label.pattern.contains("<|endoftext|>"))
    expectSameEvidence(records[1].label.evidence, oracleEvidence(records[1].label, feature: 1, coded: coded, texts: PlantedText.texts,
                                                                 sources: PlantedText.sources, contextSpan: 2))
  }
}
