import AtlasArtifacts
import Foundation
import Testing

import AtlasSite

@Suite("Descriptions in feature records")
struct DescriptionDecodingTests {
  static func record(_ description: FeatureDescription?) -> FeatureRecord {
    FeatureRecord(
      index: 3, density: 0.01, meanActivation: 1, maxActivation: 2, flags: [],
      label: FeatureLabel(text: "measles · plague", pattern: [" measles"], basis: "tokens", evidence: nil, contradicted: false),
      histogram: LogHistogram(lowerLog10: 0, binWidth: 1, counts: [1]), topTokens: [], topExamples: [], quantileSamples: [],
      intervalSamples: [], promotedTokens: [], suppressedTokens: [], decoderNeighbours: [], coactivationNeighbours: [],
      dominantSource: "wordnet", sourceShares: ["wordnet": 1], firings: 40, sampledFirings: 40, description: description)
  }

  @Test("The fast shard reader reads descriptions (present, absent, unclear) exactly as JSONDecoder does")
  func fastReaderMatches() throws {
    let evidence = LabelEvidence(balancedAccuracy: 0.91, truePositiveRate: 0.85, trueNegativeRate: 0.97, positives: 44, negatives: 9000)
    let supported = FeatureDescription(text: "diseases (measles, plague, fever)", kind: .concept, status: .supported,
                                       words: ["measles", "plague", "fever"], testedTokens: 31,
                                       grounding: "WordNet n:14070360 disease — an impairment of health", coverage: 0.8,
                                       evidence: evidence, topPrecision: 0.95, note: nil)
    let unclear = FeatureDescription(text: "unclear", kind: .unclear, status: .unclear, words: ["the", "\n"], testedTokens: 0,
                                     grounding: nil, coverage: 0, evidence: nil, topPrecision: nil, note: "no shared class")
    let shard = FeatureShard(first: 0, records: [Self.record(supported), Self.record(nil), Self.record(unclear)])
    for data in [try CanonicalJSON.encode(shard.summaries), try CanonicalJSON.encodeCompact(shard.summaries)] {
      #expect(try ShardDecoder.fastSummaries(data) == shard.summaries)
      #expect(try CanonicalJSON.decode(FeatureSummaryShard.self, from: data) == shard.summaries)
    }
    // A record written before descriptions existed has no "description" key at all.
    let old = String(decoding: try CanonicalJSON.encodeCompact(FeatureShard(first: 0, records: [Self.record(nil)])), as: UTF8.self)
    #expect(!old.contains("description"))
  }

  @Test("The name a reader sees: the description when supported, marked when unconfirmed, unclear with top tokens")
  func displayName() {
    var d = FeatureDescription(text: "line breaks", kind: .syntactic, status: .supported, words: ["↵"], testedTokens: 3,
                               grounding: nil, coverage: 0.9, evidence: nil, topPrecision: 1, note: nil)
    #expect(Self.record(d).displayName == "line breaks" && !Self.record(d).displayNameUnsupported)
    d.status = .insufficient
    #expect(Self.record(d).displayName == "line breaks (unconfirmed)" && Self.record(d).displayNameUnsupported)
    d.status = .unclear
    #expect(Self.record(d).displayName == "unclear: '↵'")
    #expect(Self.record(nil).displayName == "measles · plague")
  }
}
