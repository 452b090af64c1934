import AtlasArtifacts
import Foundation
import Testing
import TestSupport

import AtlasSite

@Suite("Fast shard decoder")
struct ShardDecoderTests {
  @Test("Gives exactly what JSONDecoder gives on synthetic and hostile shards")
  func matchesJSONDecoder() throws {
    for atlas in [try SharedAtlas.normal.get().0, try SharedAtlas.hostile.get().0] {
      let manifest = try FeaturesManifest.read(from: atlas.featuresManifest)
      for s in 0 ..< manifest.shards {
        let data = try Data(contentsOf: atlas.featureShard(s))
        let oracle = try CanonicalJSON.decode(FeatureShard.self, from: data)
        let fast = try ShardDecoder.fast(data)
        #expect(fast == oracle, "shard \(s) of \(atlas.root.lastPathComponent)")
      }
    }
  }

  @Test("A summary read gives every field but the example windows, which it skips unread, on synthetic and hostile shards")
  func summaryLeavesOutWindows() throws {
    for atlas in [try SharedAtlas.normal.get().0, try SharedAtlas.hostile.get().0] {
      let manifest = try FeaturesManifest.read(from: atlas.featuresManifest)
      for s in 0 ..< manifest.shards {
        let data = try Data(contentsOf: atlas.featureShard(s))
        let full = try CanonicalJSON.decode(FeatureShard.self, from: data)
        #expect(full.records.contains { !$0.topExamples.isEmpty && !$0.quantileSamples.isEmpty })
        let expected = FeatureShard(first: full.first, records: full.records.map(ShardDecoder.summary))
        #expect(try ShardDecoder.fast(data, detail: .summary) == expected, "shard \(s) of \(atlas.root.lastPathComponent)")
        #expect(try ShardDecoder.decode(data, detail: .summary) == expected)
      }
    }
  }

  @Test("Skipping a window steps over quotes, brackets and backslashes inside its strings; a cut shard still throws")
  func skipIsStringAware() throws {
    let window = ExampleWindow(tokens: ["\"]}", "\\", "{[\"", "\\\"", "]]]"], activations: [1, 2, 3, 4, 5], peak: 0,
                               source: "}\"{", document: 0, window: 0)
    let record = FeatureRecord(
      index: 0, density: 0.5, meanActivation: 1, maxActivation: 2, flags: [],
      label: FeatureLabel(text: "after the window", pattern: ["x"], basis: "b", evidence: nil, contradicted: false, note: nil),
      histogram: LogHistogram(lowerLog10: 0, binWidth: 1, counts: [1]), topTokens: [], topExamples: [window, window],
      quantileSamples: [SampleGroup(title: "q", lower: 0, upper: 1, share: 1, examples: [window])], intervalSamples: [],
      promotedTokens: [], suppressedTokens: [], decoderNeighbours: [], coactivationNeighbours: [], dominantSource: "code",
      sourceShares: ["code": 1], firings: 3, sampledFirings: 3)
    let shard = FeatureShard(first: 0, records: [record, record])
    for data in [try CanonicalJSON.encode(shard), try CanonicalJSON.encodeCompact(shard)] {
      let summary = try ShardDecoder.fast(data, detail: .summary)
      #expect(summary == FeatureShard(first: 0, records: [record, record].map(ShardDecoder.summary)))
      for cut in stride(from: 1, to: data.count, by: 7) {
        #expect(throws: (any Error).self) { try ShardDecoder.fast(data.prefix(cut), detail: .summary) }
      }
    }
  }

  @Test("Reads escapes, surrogate pairs, non-finite numbers, nulls and pretty-printed JSON like JSONDecoder")
  func edgeCases() throws {
    let window = ExampleWindow(tokens: ["a\"b\\c/\u{8}\u{C}\n\r\t", "\u{1}\u{1F}", "😀 東京 ’", "</script>", "\u{2028}"],
                               activations: [0, .nan, .infinity, -.infinity, 1e-30], peak: 2, source: "", document: -3, window: 0)
    let record = FeatureRecord(
      index: 0, density: 1e-300, meanActivation: 3.4028235e38, maxActivation: -0.0, flags: [.dead, .singleToken],
      label: FeatureLabel(text: "", pattern: [], basis: "b", evidence: nil, contradicted: true, note: nil),
      histogram: LogHistogram(lowerLog10: -2.5, binWidth: 0.1, counts: [0, Int.max, -1]), topTokens: [], topExamples: [window],
      quantileSamples: [SampleGroup(title: "q", lower: 0, upper: 1, share: 0.25, examples: [window])], intervalSamples: [],
      promotedTokens: [TokenValue(token: "x", value: 1.5)], suppressedTokens: [], decoderNeighbours: [Neighbour(feature: 1, similarity: 0.5)],
      coactivationNeighbours: [], dominantSource: nil, sourceShares: ["a": 0.5, "": 1],
      firings: Int.max, sampledFirings: -1)
    let shard = FeatureShard(first: 0, records: [record])
    for data in [try CanonicalJSON.encode(shard), try CanonicalJSON.encodeCompact(shard)] {
      let fast = try ShardDecoder.fast(data)
      let oracle = try CanonicalJSON.decode(FeatureShard.self, from: data)
      // NaN != NaN, so compare the encodings of the two results.
      #expect(try CanonicalJSON.encode(fast) == CanonicalJSON.encode(oracle))
    }
    // \u escapes (including a surrogate pair) as other writers produce them.
    let plain = String(decoding: try CanonicalJSON.encodeCompact(shard), as: UTF8.self)
    let escaped = plain.replacingOccurrences(of: #""text":"""#, with: #""text":"\u00e9\ud83d\ude00\u2028\/""#)
    #expect(escaped != plain)
    let fast = try ShardDecoder.fast(Data(escaped.utf8))
    #expect(fast.records[0].label.text == "é😀\u{2028}/")
    #expect(try CanonicalJSON.encode(fast) == CanonicalJSON.encode(CanonicalJSON.decode(FeatureShard.self, from: Data(escaped.utf8))))
  }

  @Test("Anything unusual falls back to JSONDecoder instead of guessing")
  func fallsBack() throws {
    let (atlas, _) = try SharedAtlas.normal.get()
    let original = try String(contentsOf: atlas.featureShard(0), encoding: .utf8)
    // An unknown key (a field added to the records later) is not understood by the fast reader...
    let extended = original.replacingOccurrences(of: #""density":"#, with: #""futureField":[1,{"a":null}],"density":"#)
    #expect(throws: JSONReader.Unsupported.self) { try ShardDecoder.fast(Data(extended.utf8)) }
    // ...but decode() still reads it through JSONDecoder.
    #expect(try ShardDecoder.decode(Data(extended.utf8)) == CanonicalJSON.decode(FeatureShard.self, from: Data(original.utf8)))
    // Malformed input is an error from JSONDecoder, with its message.
    #expect(throws: DecodingError.self) { try ShardDecoder.decode(Data(original.dropLast(10).utf8)) }
    // A missing required field is not filled in.
    let missing = original.replacingOccurrences(of: #""peak":"#, with: #""peek":"#)
    #expect(throws: (any Error).self) { try ShardDecoder.decode(Data(missing.utf8)) }
  }
}
