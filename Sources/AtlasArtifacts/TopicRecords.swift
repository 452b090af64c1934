import Foundation

/// One feature in a topic's ranking (`topics/<slug>.json`).
public struct TopicFeatureRecord: Codable, Sendable, Equatable {
  public var feature: Int
  public var score: Double           // signed Jeffreys divergence of the firing rates (see TopicContrast)
  public var topicRate: Double       // share of topic spans where it fires
  public var neutralRate: Double     // share of neutral spans where it fires
  public var topicMean: Double       // mean span maximum on topic spans (zeros included)
  public var neutralMean: Double
  public var label: String           // what the atlas called the feature when the topic was probed: its description, else unclear
  public var topTokens: [String]     // its most frequent firing tokens in the corpus
  public var evidence: [ExampleWindow]  // topic spans where it fired most, in context
  public init(feature: Int, score: Double, topicRate: Double, neutralRate: Double, topicMean: Double, neutralMean: Double,
              label: String, topTokens: [String], evidence: [ExampleWindow]) {
    self.feature = feature; self.score = score; self.topicRate = topicRate; self.neutralRate = neutralRate
    self.topicMean = topicMean; self.neutralMean = neutralMean; self.label = label; self.topTokens = topTokens
    self.evidence = evidence
  }
}

/// How often one searched word form occurred in the corpus windows.
public struct TopicTermCount: Codable, Sendable, Equatable {
  public var term: String
  public var occurrences: Int
  public init(term: String, occurrences: Int) { self.term = term; self.occurrences = occurrences }
}

/// `topics/<slug>.json`: the features that fire more on a topic than on neutral text, best first.
/// Written by `feature-atlas probe`; the site's topic pages are rendered from it. No timings: the same
/// atlas, topic and seed give the same bytes.
public struct TopicRecord: Artifact, Equatable {
  public static let kind = ArtifactKind.topics
  public static let formatVersion = 1
  public var kind = TopicRecord.kind
  public var formatVersion = TopicRecord.formatVersion
  public var topic: String
  public var slug: String
  public var mode: String             // "corpus" (windows containing the words) or "examples" (texts run through the model)
  public var related: [String]        // corpus mode: relatives added to the topic's words (WordNet, embedding neighbours)
  public var terms: [TopicTermCount]  // corpus mode: word forms found, with their occurrences
  public var topicSpans: Int
  public var neutralSpans: Int
  public var parameters: JSONValue
  public var inputs: [String: String] // digests: SAE weights, activations, examples file
  public var features: [TopicFeatureRecord]
  public init(topic: String, slug: String, mode: String, related: [String] = [], terms: [TopicTermCount], topicSpans: Int,
              neutralSpans: Int, parameters: JSONValue, inputs: [String: String], features: [TopicFeatureRecord]) {
    self.topic = topic; self.slug = slug; self.mode = mode; self.related = related; self.terms = terms; self.topicSpans = topicSpans
    self.neutralSpans = neutralSpans; self.parameters = parameters; self.inputs = inputs; self.features = features
  }

  /// The relatives that were found in the corpus (as a word form in `terms`) first, then the rest, each
  /// group in stored order: what a reader should see first when only a few can be named.
  public var relativesFoundFirst: [String] {
    let found = Set(terms.map(\.term))
    return related.filter { found.contains($0) } + related.filter { !found.contains($0) }
  }

  /// A file-name-safe name for a topic: "War and weapons" → "war-and-weapons".
  public static func slug(_ topic: String) -> String {
    var out = ""
    for scalar in topic.lowercased().unicodeScalars {
      if scalar.isASCII, CharacterSet.alphanumerics.contains(scalar) { out.unicodeScalars.append(scalar) }
      else if !out.isEmpty, !out.hasSuffix("-") { out.append("-") }
    }
    while out.hasSuffix("-") { out.removeLast() }
    return out.isEmpty ? "topic" : String(out.prefix(60))
  }
}

extension AtlasDirectory {
  /// `topics/`: one record per probed topic.
  public var topics: URL { root.appendingPathComponent("topics") }
  public func topicRecord(_ slug: String) -> URL { topics.appendingPathComponent(slug + ".json") }

  /// Every topic record in the atlas, sorted by slug (none when the folder is absent).
  public func readTopicRecords() throws -> [TopicRecord] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: topics.path)) ?? []
    return try names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted().map {
      try TopicRecord.read(from: topics.appendingPathComponent($0))
    }
  }
}
