import AtlasArtifacts
import FeatureAnalysis
import TensorMath
import Testing

@Suite("Labels and their held-out evidence")
struct LabelTests {
  /// Planted features over a random corpus (ids: 1–3 Paris variants, 4 " the", 5 " of", 9 " London").
  static func planted() -> (corpus: SyntheticCorpus, coded: [CodedWindow]) {
    var corpus = SyntheticCorpus(windows: 420, length: 64, heldOutEvery: 7)
    var rng = SplitMix64(seed: 99)
    for w in corpus.windows.indices {
      for p in 1 ..< 62 {
        let r = rng.nextInt(below: 100)
        if r < 3 { corpus.windows[w].tokens[p] = 5; corpus.windows[w].tokens[p + 1] = 4 }   // " of the"
        else if r < 7 { corpus.windows[w].tokens[p] = 4 }                                     // " the" elsewhere
      }
    }
    var noise = SplitMix64(seed: 5)
    let coded = corpus.coded { window, p in
      var active: [(latent: Int, value: Float)] = []
      let t = window.tokens[p]
      if (1 ... 3).contains(t) { active.append((0, 2 + Float(p % 5) / 10)) }               // Paris, any case or space
      if noise.nextInt(below: 100) < 5 { active.append((1, 1 + noise.nextUnitFloat())) }  // random firing
      if t == 4, window.tokens[p - 1] == 5 { active.append((2, 3)) }                       // " the" after " of"
      if window.sources[p] == 2, noise.nextInt(below: 10) < 3 { active.append((3, 1.5)) }  // networkx context
      if p + 1 < window.tokens.count, window.tokens[p + 1] == 9 { active.append((4, 1)) }  // before " London"
      if !window.heldOut, window.index < 2, p == 3 { active.append((5, 1)) }               // rare, never held out
      return active
    }
    return (corpus, coded)
  }

  static func logits() -> LogitEffects {
    // Feature f promotes token (f == 4 ? London : newline), then two weaker fillers; suppresses fillers.
    let promoted: [Int32] = (0 ..< 7).flatMap { f in [Int32(f == 4 ? 9 : 8), 20, 21] }
    let values: [Float] = (0 ..< 7).flatMap { _ in [1, 0.4, 0.3] }
    return LogitEffects(features: 7, k: 3, promotedTokens: promoted, promotedValues: values,
                        suppressedTokens: [Int32](repeating: 30, count: 21), suppressedValues: [Float](repeating: -1, count: 21))
  }

  static func run() throws -> [FeatureRecord] {
    let (corpus, coded) = planted()
    return try analyse(coded, latents: 7, sources: SyntheticCorpus.sources, texts: corpus.texts, batch: 16,
                       logitEffects: logits()).records
  }

  @Test("A planted single-token feature is labelled with that token (case and space variants merged) and scores > 0.9")
  func singleTokenFeature() throws {
    let label = try Self.run()[0].label
    #expect(label.text.lowercased() == "paris")
    #expect(Set(label.pattern) == [" Paris", "Paris", " paris"])
    let evidence = try #require(label.evidence)
    #expect(evidence.balancedAccuracy > 0.9)
    #expect(evidence.truePositiveRate == 1)
    #expect(evidence.positives > 20 && evidence.negatives > 2000)
    #expect(!label.contradicted && label.note == nil)
  }

  @Test("A feature that fires at random gets a label the held-out test contradicts")
  func randomFeature() throws {
    let label = try Self.run()[1].label
    #expect(label.contradicted)
    let evidence = try #require(label.evidence)
    #expect(evidence.balancedAccuracy < 0.6)
    #expect(label.note?.contains("balanced accuracy") == true)
  }

  @Test("A token that fires only after a given token is labelled with the bigram")
  func bigramFeature() throws {
    let label = try Self.run()[2].label
    #expect(label.text == "‘of the’")   // n-grams are quoted, so "of the" is not read as two single tokens
    #expect(label.pattern == ["of the"])
    #expect((label.evidence?.balancedAccuracy ?? 0) > 0.95)
    #expect(!label.contradicted)
  }

  @Test("A feature diffuse over tokens but confined to one source is labelled with the source")
  func sourceFeature() throws {
    let record = try Self.run()[3]
    #expect(record.label.text == "networkx context")
    #expect(record.label.pattern == ["networkx"])
    #expect(record.dominantSource == "networkx" && record.sourceShares["networkx"] == 1)
    #expect((record.label.evidence?.balancedAccuracy ?? 0) > 0.85)
    #expect(!record.label.contradicted)
  }

  @Test("A feature diffuse over tokens and sources falls back to its logit effects, tested on the next token")
  func logitFeature() throws {
    let label = try Self.run()[4].label
    #expect(label.text == "→ promotes: ' London'")
    #expect(label.basis.contains("logit effects"))
    #expect(label.evidence?.balancedAccuracy == 1)
    #expect(!label.contradicted)
  }

  @Test("Too few held-out firings mark a label contradicted; a dead feature has no evidence and is not contradicted")
  func tooLittleEvidence() throws {
    let records = try Self.run()
    #expect(records[5].label.contradicted)
    #expect(records[5].label.evidence?.positives == 0)
    #expect(records[5].label.note?.contains("too little evidence") == true)
    #expect(records[6].label.evidence == nil && !records[6].label.contradicted)
    #expect(records[6].flags == [.dead])
  }

  @Test("Labels are deterministic")
  func deterministic() throws {
    #expect(try Self.run().map(\.label) == Self.run().map(\.label))
  }
}
