import AtlasArtifacts
import FeatureAnalysis
import Foundation
import TensorMath
import Testing

@Suite("Flags, determinism and the two-pass protocol")
struct ProtocolTests {
  @Test("Dead, dense and single-token flags follow their thresholds")
  func flags() throws {
    let corpus = SyntheticCorpus(windows: 50, length: 40, heldOutEvery: 1_000)
    var rng = SplitMix64(seed: 2)
    let coded = corpus.coded { window, p in
      var active: [(latent: Int, value: Float)] = []
      let t = window.tokens[p]
      if rng.nextInt(below: 100) < 15 { active.append((1, 1)) }                  // dense: ~15% of tokens
      if rng.nextInt(below: 100) < 8 { active.append((2, 1)) }                   // ~8%: not dense
      if t == 8 { active.append((3, 1)) }                                        // only "\n": single-token
      if t == 8 || (t == 9 && p % 2 == 0) { active.append((4, 1)) }              // "\n" and some " London": mixed
      return active
    }
    let (summary, records, _) = try analyse(coded, latents: 5, sources: SyntheticCorpus.sources, texts: corpus.texts)
    #expect(records[0].flags == [.dead])
    #expect(records[1].flags == [.dense])
    #expect(records[2].flags == [])
    #expect(records[3].flags == [.singleToken])
    let share = Double(records[4].topTokens.first?.count ?? 0) / Double(records[4].firings)
    #expect(share < 0.9 && records[4].flags == [])
    #expect(summary.counts == ["dead": 1, "dense": 1, "singleToken": 1, "contradictedLabels": summary.counts["contradictedLabels"] ?? -1,
                               "describedInWords": summary.counts["describedInWords"] ?? -1])
    // The density histogram counts the four live features at their log10 density.
    #expect(summary.densityHistogram.counts.reduce(0, +) == 4)
    let bin = Int(((log10(records[1].density) + 7) / 0.25).rounded(.down))
    #expect(summary.densityHistogram.counts[bin] >= 1)
  }

  static func randomRun(workers: Int, batch: Int) throws -> (FeatureAnalysisSummary, [FeatureRecord]) {
    let corpus = SyntheticCorpus(windows: 90, length: 48, seed: 31)
    var rng = SplitMix64(seed: 17)
    let coded = corpus.coded { window, p in
      // k = 6 distinct latents of 40 per token, some tied to the token.
      var set = Set<Int>([window.tokens[p] % 40])
      while set.count < 6 { set.insert(rng.nextInt(below: 40)) }
      return set.sorted().map { ($0, Float(1 + rng.nextInt(below: 8)) / 2) }
    }
    var c = FeatureAnalysisConfiguration()
    c.quantileSampleSize = 40   // force sampling
    c.tokenSummaryCapacity = 8  // force evictions
    c.contextRadius = 5
    let decoder = GeometryTests.gaussian(40, 8, seed: 3)
    let logits = try LogitEffects.compute(decoder: decoder, normWeight: [Float](repeating: 1, count: 8),
                                          unembedding: GeometryTests.gaussian(corpus.texts.count, 8, seed: 4), workers: workers)
    let neighbours = try DecoderNeighbours.compute(decoder: decoder, workers: workers)
    let (summary, records, _) = try analyse(coded, latents: 40, sources: SyntheticCorpus.sources, texts: corpus.texts, configuration: c,
                                            workers: workers, batch: batch, logitEffects: logits, decoderNeighbours: neighbours)
    return (summary, records)
  }

  @Test("The same seed gives identical records with one or two workers and any batching")
  func determinism() throws {
    let (s1, r1) = try Self.randomRun(workers: 1, batch: 3)
    let (s2, r2) = try Self.randomRun(workers: 2, batch: 7)
    #expect(s1 == s2)
    #expect(r1 == r2)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    #expect(try encoder.encode(r1) == encoder.encode(r2))
    // And the records are not trivially empty.
    #expect(r1.allSatisfy { !$0.topExamples.isEmpty && $0.quantileSamples.count == 5 && $0.promotedTokens.count == 10 })
    #expect(r1.contains { $0.sampledFirings == 40 && $0.firings > 40 })
  }

  @Test("A different seed draws different band examples")
  func seedMatters() throws {
    let corpus = SyntheticCorpus(windows: 40, length: 30)
    let coded = corpus.coded { _, p in [(0, Float(p))] }
    var c = FeatureAnalysisConfiguration()
    let a = try analyse(coded, latents: 1, sources: SyntheticCorpus.sources, texts: corpus.texts, configuration: c).records[0]
    c.seed = 12345
    let b = try analyse(coded, latents: 1, sources: SyntheticCorpus.sources, texts: corpus.texts, configuration: c).records[0]
    #expect(a.quantileSamples.map(\.examples) != b.quantileSamples.map(\.examples))
    #expect(a.topExamples.map(\.window) == b.topExamples.map(\.window))
  }

  @Test("Calls out of order, unknown latents, duplicate windows and missing windows are errors")
  func protocolErrors() throws {
    let corpus = SyntheticCorpus(windows: 12, length: 10)
    let coded = corpus.coded { _, p in p == 3 ? [(0, 1)] : [] }
    let analyzer = try FeatureAnalyzer(latents: 2, sources: SyntheticCorpus.sources, vocabulary: TokenVocabulary(texts: corpus.texts))
    #expect(throws: FeatureAnalysisError.outOfOrder(call: "finish", phase: "the first pass")) { _ = try analyzer.finish() }
    #expect(throws: FeatureAnalysisError.outOfOrder(call: "collect", phase: "the first pass")) {
      try analyzer.collect([coded[0].window], codes: latentCodes(coded[0 ..< 1]))
    }
    let bad = CodedWindow(window: coded[0].window, rows: coded[0].rows.map { _ in [(latent: 7, value: Float(1))] })
    #expect(throws: FeatureAnalysisError.latentOutOfRange(window: 0, latent: 7, latents: 2)) {
      try analyzer.accumulate([bad.window], codes: latentCodes([bad][...]))
    }
    try analyzer.accumulate(coded.map(\.window), codes: latentCodes(coded[...]))
    #expect(throws: FeatureAnalysisError.duplicateWindow(0)) {
      try analyzer.accumulate([coded[0].window], codes: latentCodes(coded[0 ..< 1]))
    }
    let requested = try analyzer.finishFirstPass()
    #expect(requested.contains(coded[0].window.index))
    #expect(requested.contains(11) && corpus.windows[11].heldOut == false || requested.contains { corpus.windows[$0].heldOut })
    try analyzer.collect([coded[0].window], codes: latentCodes(coded[0 ..< 1]))
    #expect(throws: FeatureAnalysisError.self) { _ = try analyzer.finish() }
    do {
      _ = try analyzer.finish()
    } catch {
      #expect(error.description.contains("requestedWindows"))
    }
    #expect(throws: FeatureAnalysisError.outOfOrder(call: "records", phase: "the second pass")) {
      _ = try analyzer.records(0 ..< 1) { $0.map { _ in "" } }
    }
  }

  @Test("Logit effects or neighbour tables that do not fit the analyzer are rejected")
  func mismatchedTables() throws {
    let corpus = SyntheticCorpus(windows: 4, length: 6)
    let analyzer = try FeatureAnalyzer(latents: 2, sources: SyntheticCorpus.sources, vocabulary: TokenVocabulary(texts: corpus.texts))
    let outOfVocabulary = LogitEffects(features: 2, k: 1, promotedTokens: [0, 5_000], promotedValues: [1, 1],
                                       suppressedTokens: [0, 0], suppressedValues: [-1, -1])
    #expect(throws: FeatureAnalysisError.self) { try analyzer.finishFirstPass(logitEffects: outOfVocabulary) }
    let wrongCount = NeighbourTable(count: 3, k: 1, indices: [1, 0, 0], scores: [1, 1, 1])
    #expect(throws: FeatureAnalysisError.self) { try analyzer.finishFirstPass(decoderNeighbours: wrongCount) }
    let badIndex = NeighbourTable(count: 2, k: 1, indices: [1, 9], scores: [1, 1])
    #expect(throws: FeatureAnalysisError.self) { try analyzer.finishFirstPass(decoderNeighbours: badIndex) }
    #expect(try analyzer.finishFirstPass(decoderNeighbours: NeighbourTable(count: 2, k: 1, indices: [1, -1], scores: [0.5, 0])) == [])
  }

  @Test("A bad configuration is rejected with the field named")
  func configuration() {
    var c = FeatureAnalysisConfiguration()
    c.quantiles = [0, 0.5, 0.4, 1]
    #expect(throws: FeatureAnalysisError.self) { try c.validate() }
    do { try c.validate() } catch { #expect(error.description.contains("quantiles")) }
    c = FeatureAnalysisConfiguration()
    c.denseThreshold = 0
    #expect(throws: FeatureAnalysisError.self) { try c.validate() }
    let decoded = try? JSONDecoder().decode(FeatureAnalysisConfiguration.self,
                                            from: JSONEncoder().encode(FeatureAnalysisConfiguration.default))
    #expect(decoded == .default)
  }

  @Test("A saved configuration decodes with defaults for the fields it lacks, ignores unknown ones, and round-trips every field")
  func configurationDecoding() throws {
    // Every field changed: numbers doubled (plus one), arrays and the optional radius replaced.
    guard case var object as [String: Any] = try JSONSerialization.jsonObject(
      with: JSONEncoder().encode(FeatureAnalysisConfiguration.default))
    else { throw ConfigurationShape() }
    for (key, value) in object {
      if let number = value as? NSNumber { object[key] = number.doubleValue * 2 + 1 }
    }
    object["quantiles"] = [0, 0.5, 1]
    object["contextRadius"] = 3
    for key in ["seed", "deadThreshold", "denseThreshold", "singleTokenShare", "coactivationSampleRate", "labelMinGain",
                "labelSimplicityCost", "evidenceThreshold"] {
      object[key] = key == "seed" ? 42 : 0.25
    }
    let changed = try JSONDecoder().decode(FeatureAnalysisConfiguration.self, from: JSONSerialization.data(withJSONObject: object))
    let reencoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(changed)) as? [String: Any]
    #expect(NSDictionary(dictionary: reencoded ?? [:]) == NSDictionary(dictionary: object))
    // An old configuration: no label-candidate fields, a field that no longer exists, no context radius.
    for key in ["labelMinSupport", "labelContextSpan", "labelContextCandidates", "labelContextBackground", "labelSimplicityCost",
                "contextRadius"] {
      object[key] = nil
    }
    object["diffuseThreshold"] = 0.7
    let old = try JSONDecoder().decode(FeatureAnalysisConfiguration.self, from: JSONSerialization.data(withJSONObject: object))
    #expect(old.labelContextSpan == FeatureAnalysisConfiguration.default.labelContextSpan)
    #expect(old.labelSimplicityCost == FeatureAnalysisConfiguration.default.labelSimplicityCost)
    #expect(old.contextRadius == nil && old.seed == 42 && old.labelMaxTerms == changed.labelMaxTerms)
  }

  struct ConfigurationShape: Error {}
}
