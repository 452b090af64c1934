import AtlasArtifacts
import FeatureAnalysis
import Foundation
import TensorMath
import Testing

@Suite("Feature statistics")
struct StatisticsTests {
  static let texts = ["<|endoftext|>", " a", " b", " c", "\n"]
  static let sources = ["alpha", "beta"]

  /// Two analysis windows and one held-out window, three latents, values chosen by hand.
  static func handCase() -> [CodedWindow] {
    [
      CodedWindow(window: AnalysisWindow(index: 0, tokens: [0, 1, 2, 3, 1], sources: [0, 0, 0, 0, 0], documents: [5, 5, 5, 5, 5],
                                         heldOut: false),
                  rows: [[(0, 1.0)], [(1, 2.0)], [(0, 3.0)], []]),
      CodedWindow(window: AnalysisWindow(index: 1, tokens: [0, 2, 2, 1, 3], sources: [1, 1, 1, 1, 1], documents: [6, 6, 6, 6, 6],
                                         heldOut: false),
                  rows: [[(0, 0.5)], [(1, 4.0)], [(1, 0.0)], [(1, 1.0)]]),
      CodedWindow(window: AnalysisWindow(index: 2, tokens: [0, 1, 1, 1, 1], sources: [0, 0, 0, 0, 0], documents: [7, 7, 7, 7, 7],
                                         heldOut: true),
                  rows: [[(0, 9.0), (1, 9.0), (2, 9.0)], [(2, 9.0)], [], []]),
    ]
  }

  @Test("Density, mean and max match a hand computation; held-out windows and position 0 are not counted")
  func handComputed() throws {
    var c = FeatureAnalysisConfiguration()
    c.contextRadius = nil
    let (summary, records, _) = try analyse(Self.handCase(), latents: 3, sources: Self.sources, texts: Self.texts, configuration: c)
    #expect(summary.analysedTokens == 8)        // 2 windows × (5 − 1): position 0 excluded
    #expect(summary.heldOutTokens == 4)
    // f0 fires 1.0, 3.0 (window 0) and 0.5 (window 1): 3 of 8 tokens.
    #expect(records[0].firings == 3)
    #expect(records[0].density == 3.0 / 8)
    #expect(records[0].meanActivation == 1.5)
    #expect(records[0].maxActivation == 3)
    // f1 fires 2.0, 4.0, 1.0; its 0.0 entry is not a firing.
    #expect(records[1].firings == 3)
    #expect(abs(records[1].meanActivation - 7.0 / 3) < 1e-6)
    #expect(records[1].maxActivation == 4)
    // f2 fires only in the held-out window: dead for the statistics.
    #expect(records[2].firings == 0 && records[2].density == 0)
    #expect(records[2].flags.contains(.dead))
    #expect(records[2].topExamples.isEmpty)
    #expect(summary.counts["dead"] == 1)
    // Histogram of log10 activations: bins of 0.1 from −3.
    let bin = { (v: Double) in Int(((log10(v) + 3) / 0.1).rounded(.down)) }
    var expected = [Int](repeating: 0, count: 60)
    for v in [1.0, 3.0, 0.5] { expected[bin(v)] += 1 }
    #expect(records[0].histogram.counts == expected)
    // Source shares and the dominant source.
    #expect(records[0].sourceShares == ["alpha": 2.0 / 3, "beta": 1.0 / 3])
    #expect(records[0].dominantSource == "alpha")
    #expect(records[1].dominantSource == "beta")
    // Top tokens: f0 fired on " a" (1.0), " c" (3.0), " b" (0.5); f1 on " b" twice (2.0, 4.0) and " c" (1.0).
    #expect(records[0].topTokens == [TokenCount(token: " a", count: 1, meanActivation: 1), TokenCount(token: " b", count: 1, meanActivation: 0.5),
                                     TokenCount(token: " c", count: 1, meanActivation: 3)])
    #expect(records[1].topTokens == [TokenCount(token: " b", count: 2, meanActivation: 3), TokenCount(token: " c", count: 1, meanActivation: 1)])
  }

  @Test("Top examples show every token after position 0, with the feature's activation on each")
  func examplesExcludeTheSink() throws {
    var c = FeatureAnalysisConfiguration()
    c.contextRadius = nil
    let (_, records, _) = try analyse(Self.handCase(), latents: 3, sources: Self.sources, texts: Self.texts, configuration: c)
    let top = records[0].topExamples
    #expect(top.count == 2)
    #expect(top[0] == ExampleWindow(tokens: [" a", " b", " c", " a"], activations: [1, 0, 3, 0], peak: 2, source: "alpha", document: 5, window: 0,
                                    start: 0))
    #expect(top[1] == ExampleWindow(tokens: [" b", " b", " a", " c"], activations: [0.5, 0, 0, 0], peak: 0, source: "beta", document: 6, window: 1,
                                    start: 0))
    for record in records { for example in record.topExamples { #expect(!example.tokens.contains("<|endoftext|>")) } }
    // A radius of 1 shows the peak and one token each side, clipped at position 1.
    c.contextRadius = 1
    let narrow = try analyse(Self.handCase(), latents: 3, sources: Self.sources, texts: Self.texts, configuration: c).records
    // `start` says where the cut begins in its window (after the sink), so pages can share the window's text.
    #expect(narrow[0].topExamples[0] == ExampleWindow(tokens: [" b", " c", " a"], activations: [0, 3, 0], peak: 1, source: "alpha", document: 5, window: 0,
                                                      start: 1))
    #expect(narrow[0].topExamples[1].tokens == [" b", " b"])
  }

  @Test("Codes that include position 0 are rejected")
  func codesForTheSinkAreRejected() throws {
    let analyzer = try FeatureAnalyzer(latents: 3, sources: Self.sources, vocabulary: TokenVocabulary(texts: Self.texts))
    let window = Self.handCase()[0].window
    let fiveRows = LatentCodes(rowStart: [0, 1, 2, 3, 4, 5], latents: [0, 0, 0, 0, 0], values: [1, 1, 1, 1, 1])
    #expect(throws: FeatureAnalysisError.codesDoNotMatchWindows(expectedRows: 4, foundRows: 5)) {
      try analyzer.accumulate([window], codes: fiveRows)
    }
  }

  @Test("Quantile bands are the exact quantiles of a known distribution, intervals split [0, max] evenly")
  func exactQuantiles() throws {
    // Feature 0 fires once per window with values 1, 2, …, 100 (the order shuffled).
    var rng = SplitMix64(seed: 3)
    let values = (1 ... 100).map(Float.init).shuffled(using: &rng)
    let coded = values.enumerated().map { w, v in
      CodedWindow(window: AnalysisWindow(index: w, tokens: [0, 1 + w % 3, 2], sources: [0, 0, 0], documents: [w, w, w], heldOut: false),
                  rows: [[(0, v)], []])
    }
    var c = FeatureAnalysisConfiguration()
    c.examplesPerBand = 3
    let record = try analyse(coded, latents: 1, sources: ["s"], texts: Self.texts, configuration: c).records[0]
    #expect(record.sampledFirings == 100)
    let q = record.quantileSamples
    #expect(q.map(\.title) == ["quantile 0–25%", "quantile 25–50%", "quantile 50–75%", "quantile 75–90%", "quantile 90–100%"])
    // numpy.quantile(1…100, [0, .25, .5, .75, .9, 1]) = 1, 25.75, 50.5, 75.25, 90.1, 100.
    let edges: [Float] = [1, 25.75, 50.5, 75.25, 90.1, 100]
    for (b, group) in q.enumerated() {
      #expect(abs(group.lower - edges[b]) < 1e-4 && abs(group.upper - edges[b + 1]) < 1e-4)
      #expect(group.examples.count == 3)
      for example in group.examples {
        let v = example.activations[example.peak]
        #expect(v >= group.lower && (v < group.upper || (b == q.count - 1 && v <= group.upper)))
      }
    }
    #expect(q.map(\.share) == [0.25, 0.25, 0.25, 0.15, 0.10])
    let intervals = record.intervalSamples
    #expect(intervals.count == 8)
    #expect(intervals.map(\.lower) == (0 ..< 8).map { Float($0) * 12.5 })
    #expect(intervals.last?.upper == 100)
    #expect(intervals[0].title == "interval 0–12.5")
    // 1…12 | 13…24 | 25…37 | 38…49 | 50…62 | 63…74 | 75…87 | 88…100
    #expect(intervals.map { Int(($0.share * 100).rounded()) } == [12, 12, 13, 12, 13, 12, 13, 13])
  }

  @Test("With fewer sampled firings than firings, bands come from a uniform sample and say so")
  func sampledQuantiles() throws {
    let coded = (0 ..< 400).map { w in
      CodedWindow(window: AnalysisWindow(index: w, tokens: [0, 1, 2], sources: [0, 0, 0], documents: [w, w, w], heldOut: false),
                  rows: [[(0, Float(w + 1))], []])
    }
    var c = FeatureAnalysisConfiguration()
    c.quantileSampleSize = 200
    let record = try analyse(coded, latents: 1, sources: ["s"], texts: Self.texts, configuration: c).records[0]
    #expect(record.firings == 400 && record.sampledFirings == 200)
    // The median of 1…400 is 200.5; a uniform sample of 200 lands within a few ranks.
    let median = record.quantileSamples[2].lower
    #expect(abs(median - 200.5) < 40)
    #expect(record.quantileSamples.last?.upper == 400)  // the top edge is the true maximum
    for group in record.quantileSamples + record.intervalSamples {
      for example in group.examples {
        let v = example.activations[example.peak]
        #expect(v >= group.lower && v <= group.upper)
      }
    }
  }

  @Test("Top windows are sorted by their maximum and near-duplicates (same tokens around the peak) appear once")
  func topWindowsDeduplicated() throws {
    var rng = SplitMix64(seed: 11)
    var coded: [CodedWindow] = []
    for w in 0 ..< 60 {
      // Every third window repeats the same boilerplate around the peak at position 5.
      var tokens = [0] + (1 ..< 12).map { _ in 1 + rng.nextInt(below: 4) }
      if w % 3 == 0 { tokens[2 ... 6] = [1, 2, 3, 4, 1] }
      let peakValue = Float(1 + rng.nextInt(below: 1000)) / 10
      let rows: [[(latent: Int, value: Float)]] = (1 ..< 12).map { p in p == 5 ? [(0, peakValue)] : (p == 9 ? [(0, 0.05)] : []) }
      coded.append(CodedWindow(window: AnalysisWindow(index: w, tokens: tokens, sources: [Int](repeating: 0, count: 12),
                                                      documents: [Int](repeating: w, count: 12), heldOut: false), rows: rows))
    }
    var c = FeatureAnalysisConfiguration()
    c.topExamples = 12
    let record = try analyse(coded, latents: 1, sources: ["s"], texts: Self.texts, configuration: c).records[0]
    // Oracle: best window per key (tokens peak−3 … peak+1), ranked by max then window index.
    var best: [[Int]: (value: Float, window: Int)] = [:]
    for cw in coded {
      let key = Array(cw.window.tokens[2 ... 6])
      let value = cw.rows[4][0].value
      if let kept = best[key], kept.value > value || (kept.value == value && kept.window < cw.window.index) { continue }
      best[key] = (value, cw.window.index)
    }
    let expected = best.values.sorted { $0.value > $1.value || ($0.value == $1.value && $0.window < $1.window) }.prefix(12)
    #expect(record.topExamples.map(\.window) == expected.map(\.window))
    #expect(record.topExamples.map { $0.activations[$0.peak] } == expected.map(\.value))
    let boilerplate = record.topExamples.filter { coded[$0.window].window.tokens[2 ... 6] == [1, 2, 3, 4, 1] }
    #expect(boilerplate.count <= 1)
  }

  @Test("Token counts of a diffuse feature stay within the Space-Saving bound: never above the truth, short by ≤ firings / capacity")
  func boundedTokenCounts() throws {
    var corpus = SyntheticCorpus(windows: 80, length: 50, vocabulary: 300)
    var rng = SplitMix64(seed: 21)
    for w in corpus.windows.indices { for p in 1 ..< 50 where rng.nextInt(below: 100) < 25 { corpus.windows[w].tokens[p] = 4 } }
    let coded = corpus.coded { window, p in [(0, Float(1 + window.tokens[p] % 3))] }   // fires everywhere
    var c = FeatureAnalysisConfiguration()
    c.tokenSummaryCapacity = 16
    let record = try analyse(coded, latents: 1, sources: SyntheticCorpus.sources, texts: corpus.texts, configuration: c).records[0]
    var truth: [String: Int] = [:]
    for cw in coded where !cw.window.heldOut { for p in 1 ..< 50 { truth[corpus.texts[cw.window.tokens[p]], default: 0] += 1 } }
    let top = try #require(record.topTokens.first)
    #expect(top.token == " the")
    let slack = record.firings / 16
    for entry in record.topTokens {
      let real = truth[entry.token] ?? 0
      #expect(entry.count <= real)
      if entry.token == " the" { #expect(entry.count >= real - slack) }
    }
    #expect(top.meanActivation == Float(1 + 4 % 3))
    // With room for every distinct token the counts are exact.
    c.tokenSummaryCapacity = 400
    let exact = try analyse(coded, latents: 1, sources: SyntheticCorpus.sources, texts: corpus.texts, configuration: c).records[0]
    for entry in exact.topTokens { #expect(entry.count == truth[entry.token]) }
  }
}
