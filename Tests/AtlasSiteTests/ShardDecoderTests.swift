import AtlasArtifacts
import Foundation
import TestSupport
import Testing

import AtlasSite

@Suite("Fast shard decoder")
struct ShardDecoderTests {
  @Test("Gives exactly what JSONDecoder gives on synthetic and hostile shards, for both files of a shard")
  func matchesJSONDecoder() throws {
    for atlas in [try SharedAtlas.normal.get().0, try SharedAtlas.hostile.get().0] {
      let manifest = try FeaturesManifest.read(from: atlas.featuresManifest)
      for s in 0 ..< manifest.shards {
        let summaries = try Data(contentsOf: atlas.featureSummaries(s))
        let examples = try Data(contentsOf: atlas.featureExamples(s))
        let summaryOracle = try CanonicalJSON.decode(FeatureSummaryShard.self, from: summaries)
        let examplesOracle = try CanonicalJSON.decode(FeatureExampleShard.self, from: examples)
        #expect(try ShardDecoder.fastSummaries(summaries) == summaryOracle, "shard \(s) of \(atlas.root.lastPathComponent)")
        #expect(try ShardDecoder.fastExamples(examples) == examplesOracle, "shard \(s) of \(atlas.root.lastPathComponent)")
        let whole = try #require(FeatureShard(summaries: summaryOracle, examples: examplesOracle))
        #expect(try ShardDecoder.read(atlas, shard: s) == whole)
      }
    }
  }

  @Test("A summary read opens only the summaries file, which holds every field but the windows; a top-examples read skips the samples")
  func summaryLeavesOutWindows() throws {
    for atlas in [try SharedAtlas.normal.get().0, try SharedAtlas.hostile.get().0] {
      let manifest = try FeaturesManifest.read(from: atlas.featuresManifest)
      for s in 0 ..< manifest.shards {
        let full = try ShardDecoder.read(atlas, shard: s)
        #expect(full.records.contains { !$0.topExamples.isEmpty && !$0.quantileSamples.isEmpty })
        let summaryBytes = String(decoding: try Data(contentsOf: atlas.featureSummaries(s)), as: UTF8.self)
        #expect(!summaryBytes.contains("\"topExamples\"") && !summaryBytes.contains("\"quantileSamples\""))
        #expect(summaryBytes.hasPrefix(#"{"first":"#) && summaryBytes.contains(#""kind":"feature-summaries""#))
        #expect(try ShardDecoder.read(atlas, shard: s, detail: .summary).records == full.records.map(\.withoutExamples))
        let top = try ShardDecoder.read(atlas, shard: s, detail: .topExamples)
        #expect(top.records.map(\.topExamples) == full.records.map(\.topExamples))
        #expect(top.records.allSatisfy { $0.quantileSamples.isEmpty && $0.intervalSamples.isEmpty })
      }
      // The summary read needs no examples file at all.
      let copy = FileManager.default.temporaryDirectory.appendingPathComponent("summary-only-\(getpid())-\(atlas.root.lastPathComponent)")
      try? FileManager.default.removeItem(at: copy)
      try FileManager.default.copyItem(at: atlas.root, to: copy)
      defer { try? FileManager.default.removeItem(at: copy) }
      let other = AtlasDirectory(copy)
      try FileManager.default.removeItem(at: other.featureExamples(0))
      #expect(try ShardDecoder.read(other, shard: 0, detail: .summary).records.count > 0)
      #expect { try ShardDecoder.read(other, shard: 0) } throws: { error in
        "\(error)".contains("examples-00000.json") && "\(error)".contains("feature-atlas analyze")
      }
    }
  }

  @Test("Each file's kind and format version are checked first; a summaries and an examples file of different features are refused")
  func headersAndPairing() throws {
    let (source, _) = try SharedAtlas.normal.get()
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("shard-headers-\(getpid())")
    try? FileManager.default.removeItem(at: root)
    try FileManager.default.copyItem(at: source.root, to: root)
    defer { try? FileManager.default.removeItem(at: root) }
    let atlas = AtlasDirectory(root)
    let summaries = try String(contentsOf: atlas.featureSummaries(0), encoding: .utf8)
    let examples = try String(contentsOf: atlas.featureExamples(0), encoding: .utf8)
    func refused(_ text: String, _ url: URL, _ expected: String) throws {
      try Data(text.utf8).write(to: url)
      #expect { try ShardDecoder.read(atlas, shard: 0) } throws: { error in
        guard let error = error as? ArtifactError else { return false }
        return "\(error)".contains(url.lastPathComponent) && "\(error)".contains(expected)
      }
    }
    // Another version, through the fast reader and (with an unknown key forcing it) through JSONDecoder.
    try refused(summaries.replacingOccurrences(of: #""formatVersion":1"#, with: #""formatVersion":9"#), atlas.featureSummaries(0), "9")
    try refused(summaries.replacingOccurrences(of: #""formatVersion":1"#, with: #""formatVersion":9,"future":0"#),
                atlas.featureSummaries(0), "9")
    // The two files swapped: each is the other kind.
    try refused(examples, atlas.featureSummaries(0), "feature-examples")
    try Data(summaries.utf8).write(to: atlas.featureSummaries(0))
    try refused(summaries, atlas.featureExamples(0), "feature-summaries")
    // Examples of other features (shard 1's windows beside shard 0's summaries).
    try refused(try String(contentsOf: atlas.featureExamples(1), encoding: .utf8), atlas.featureExamples(0), "are not those of")
    try Data(examples.utf8).write(to: atlas.featureExamples(0))
    #expect(try ShardDecoder.read(atlas, shard: 0).records.count > 0)
  }

  @Test("Skipping a window steps over quotes, brackets and backslashes inside its strings; a cut shard still throws")
  func skipIsStringAware() throws {
    let window = ExampleWindow(tokens: ["\"]}", "\\", "{[\"", "\\\"", "]]]"], activations: [1, 2, 3, 4, 5], peak: 0,
                               source: "}\"{", document: 0, window: 0, start: 3)
    let record = FeatureRecord(
      index: 0, density: 0.5, meanActivation: 1, maxActivation: 2, flags: [],
      label: FeatureLabel(text: "after the window", pattern: ["x"], basis: "b", evidence: nil, contradicted: false, note: nil),
      histogram: LogHistogram(lowerLog10: 0, binWidth: 1, counts: [1]), topTokens: [], topExamples: [window, window],
      quantileSamples: [SampleGroup(title: "q", lower: 0, upper: 1, share: 1, examples: [window])], intervalSamples: [],
      promotedTokens: [], suppressedTokens: [], decoderNeighbours: [], coactivationNeighbours: [], dominantSource: "code",
      sourceShares: ["code": 1], firings: 3, sampledFirings: 3)
    let shard = FeatureShard(first: 0, records: [record, record])
    for data in [try CanonicalJSON.encode(shard.examples), try CanonicalJSON.encodeCompact(shard.examples)] {
      let top = try ShardDecoder.fastExamples(data, detail: .topExamples)
      #expect(top.records.map(\.topExamples) == [[window, window], [window, window]])
      #expect(top.records.allSatisfy { $0.quantileSamples.isEmpty && $0.intervalSamples.isEmpty })
      for cut in stride(from: 1, to: data.count, by: 7) {
        #expect(throws: (any Error).self) { try ShardDecoder.fastExamples(data.prefix(cut), detail: .topExamples) }
      }
    }
  }

  @Test("Reads escapes, surrogate pairs, non-finite numbers, nulls and pretty-printed JSON like JSONDecoder")
  func edgeCases() throws {
    let window = ExampleWindow(tokens: ["a\"b\\c/\u{8}\u{C}\n\r\t", "\u{1}\u{1F}", "😀 東京 ’", "</script>", "\u{2028}"],
                               activations: [0, .nan, .infinity, -.infinity, 1e-30], peak: 2, source: "", document: -3, window: 0,
                               start: 7)
    let record = FeatureRecord(
      index: 0, density: 1e-300, meanActivation: 3.4028235e38, maxActivation: -0.0, flags: [.dead, .singleToken],
      label: FeatureLabel(text: "", pattern: [], basis: "b", evidence: nil, contradicted: true, note: nil),
      histogram: LogHistogram(lowerLog10: -2.5, binWidth: 0.1, counts: [0, Int.max, -1]), topTokens: [], topExamples: [window],
      quantileSamples: [SampleGroup(title: "q", lower: 0, upper: 1, share: 0.25, examples: [window])], intervalSamples: [],
      promotedTokens: [TokenValue(token: "x", value: 1.5)], suppressedTokens: [], decoderNeighbours: [Neighbour(feature: 1, similarity: 0.5)],
      coactivationNeighbours: [], dominantSource: nil, sourceShares: ["a": 0.5, "": 1],
      firings: Int.max, sampledFirings: -1)
    let shard = FeatureShard(first: 0, records: [record])
    let encodings = [(try CanonicalJSON.encode(shard.summaries), try CanonicalJSON.encode(shard.examples)),
                     (try CanonicalJSON.encodeCompact(shard.summaries), try CanonicalJSON.encodeCompact(shard.examples))]
    for (summaries, examples) in encodings {
      // NaN != NaN, so compare the encodings of the two results.
      #expect(try CanonicalJSON.encode(ShardDecoder.fastSummaries(summaries))
              == CanonicalJSON.encode(CanonicalJSON.decode(FeatureSummaryShard.self, from: summaries)))
      #expect(try CanonicalJSON.encode(ShardDecoder.fastExamples(examples))
              == CanonicalJSON.encode(CanonicalJSON.decode(FeatureExampleShard.self, from: examples)))
    }
    // \u escapes (including a surrogate pair) as other writers produce them.
    let plain = String(decoding: try CanonicalJSON.encodeCompact(shard.summaries), as: UTF8.self)
    let escaped = plain.replacingOccurrences(of: #""text":"""#, with: #""text":"\u00e9\ud83d\ude00\u2028\/""#)
    #expect(escaped != plain)
    let fast = try ShardDecoder.fastSummaries(Data(escaped.utf8))
    #expect(fast.records[0].label.text == "é😀\u{2028}/")
    #expect(try CanonicalJSON.encode(fast)
            == CanonicalJSON.encode(CanonicalJSON.decode(FeatureSummaryShard.self, from: Data(escaped.utf8))))
  }

  @Test("Anything unusual falls back to JSONDecoder instead of guessing")
  func fallsBack() throws {
    let (atlas, _) = try SharedAtlas.normal.get()
    let original = try String(contentsOf: atlas.featureSummaries(0), encoding: .utf8)
    let oracle = try CanonicalJSON.decode(FeatureSummaryShard.self, from: Data(original.utf8))
    // An unknown key (a field added to the records later) is not understood by the fast reader...
    let extended = original.replacingOccurrences(of: #""density":"#, with: #""futureField":[1,{"a":null}],"density":"#)
    #expect(throws: JSONReader.Unsupported.self) { try ShardDecoder.fastSummaries(Data(extended.utf8)) }
    // ...but decodeSummaries() still reads it through JSONDecoder.
    #expect(try ShardDecoder.decodeSummaries(Data(extended.utf8)) == oracle)
    // Malformed input is an error from JSONDecoder, with its message.
    #expect(throws: DecodingError.self) { try ShardDecoder.decodeSummaries(Data(original.dropLast(10).utf8)) }
    // A missing required field is not filled in, in either file.
    let missing = original.replacingOccurrences(of: #""density":"#, with: #""densty":"#)
    #expect(throws: (any Error).self) { try ShardDecoder.decodeSummaries(Data(missing.utf8)) }
    let examples = try String(contentsOf: atlas.featureExamples(0), encoding: .utf8)
    let noPeak = examples.replacingOccurrences(of: #""peak":"#, with: #""peek":"#)
    #expect(throws: (any Error).self) { try ShardDecoder.decodeExamples(Data(noPeak.utf8)) }
  }
}
