/// Per-feature evidence, written by the features stage in shards of `featuresPerShard` features.

public enum FeatureFlag: String, Codable, Sendable, CaseIterable {
  case dead          // never fired on the analysed tokens
  case dense         // fires on more than 10% of tokens
  case singleToken   // ≥ 90% of its firings are on one token
}

/// A window of text with the feature's activation on every token. `tokens` are display pieces: a token
/// that only starts a multi-byte character is shown as its hex bytes (e.g. "<0xE2>") and the character
/// appears on the token that completes it.
public struct ExampleWindow: Codable, Sendable, Equatable {
  public var tokens: [String]
  public var activations: [Float]    // same length as tokens
  public var peak: Int               // index of the maximum activation (in a band sample: of the sampled token)
  public var source: String          // corpus source name
  public var document: Int
  public var window: Int             // window index in the capture
  /// Where `tokens` begin among the window's display pieces (0 = the first token after the attention
  /// sink), so that examples cut from one window can share its text; nil where not known (older atlases,
  /// windows that are not capture windows).
  public var start: Int?
  public init(tokens: [String], activations: [Float], peak: Int, source: String, document: Int, window: Int, start: Int? = nil) {
    self.tokens = tokens; self.activations = activations; self.peak = peak; self.source = source
    self.document = document; self.window = window; self.start = start
  }
}

/// Examples drawn from one band of activation values.
public struct SampleGroup: Codable, Sendable, Equatable {
  public var title: String           // "quantile 50–75%" or "interval 2.1–4.2"
  public var lower: Float
  public var upper: Float
  public var share: Double           // fraction of all firings that fall in the band
  public var examples: [ExampleWindow]
  public init(title: String, lower: Float, upper: Float, share: Double, examples: [ExampleWindow]) {
    self.title = title; self.lower = lower; self.upper = upper; self.share = share; self.examples = examples
  }
}

/// Histogram of log10(activation) over the firings of one feature (or of log10 density over features).
public struct LogHistogram: Codable, Sendable, Equatable {
  public var lowerLog10: Double
  public var binWidth: Double
  public var counts: [Int]
  public init(lowerLog10: Double, binWidth: Double, counts: [Int]) {
    self.lowerLog10 = lowerLog10; self.binWidth = binWidth; self.counts = counts
  }
}

public struct TokenValue: Codable, Sendable, Equatable {
  public var token: String           // display text of the token
  public var value: Float
  public init(token: String, value: Float) { self.token = token; self.value = value }
}

public struct TokenCount: Codable, Sendable, Equatable {
  public var token: String
  public var count: Int              // firings on this token
  public var meanActivation: Float
  public init(token: String, count: Int, meanActivation: Float) {
    self.token = token; self.count = count; self.meanActivation = meanActivation
  }
}

public struct Neighbour: Codable, Sendable, Equatable {
  public var feature: Int
  public var similarity: Float       // decoder cosine, or co-activation score (Jaccard)
  public init(feature: Int, similarity: Float) { self.feature = feature; self.similarity = similarity }
}

/// How well a label predicts firing on held-out windows (a detection test in the manner of delphi).
public struct LabelEvidence: Codable, Sendable, Equatable {
  public var balancedAccuracy: Double
  public var truePositiveRate: Double
  public var trueNegativeRate: Double
  public var positives: Int          // held-out tokens where the feature fired
  public var negatives: Int          // held-out tokens where it did not (sampled)
  public init(balancedAccuracy: Double, truePositiveRate: Double, trueNegativeRate: Double, positives: Int, negatives: Int) {
    self.balancedAccuracy = balancedAccuracy; self.truePositiveRate = truePositiveRate
    self.trueNegativeRate = trueNegativeRate; self.positives = positives; self.negatives = negatives
  }
}

public struct FeatureLabel: Codable, Sendable, Equatable {
  public var text: String            // short human-readable label
  public var pattern: [String]       // the token/n-gram pattern the label stands for (what the test checks)
  public var basis: String           // what the label was built from, e.g. "top tokens", "n-grams", "logit effects"
  public var evidence: LabelEvidence?
  public var contradicted: Bool      // the evidence does not support the label (shown, not hidden)
  public var note: String?           // e.g. why it is contradicted
  public init(text: String, pattern: [String], basis: String, evidence: LabelEvidence?, contradicted: Bool, note: String? = nil) {
    self.text = text; self.pattern = pattern; self.basis = basis; self.evidence = evidence
    self.contradicted = contradicted; self.note = note
  }
}

/// What kind of description a feature has.
public enum DescriptionKind: String, Codable, Sendable, CaseIterable {
  case concept      // a WordNet class the firing words share: "diseases (measles, plague, fever)"
  case wordForms    // forms of one word: "forms of 'keep' (keep, kept, keeps)"
  case lexical      // one word or word piece: "the word 'too'"
  case syntactic    // punctuation, digits, white space, code: "line breaks", "digits in numbers"
  case unclear      // nothing a reader could name: shown as "unclear" with its top tokens
}

/// Whether the description held up on the held-out windows.
public enum DescriptionStatus: String, Codable, Sendable, CaseIterable {
  case supported    // held-out balanced accuracy and top-example precision pass
  case insufficient // too few held-out firings to tell: never shown as supported
  case unclear      // no description, or it failed its test
}

/// A feature's description in words, grounded in its firing tokens (and WordNet), with the held-out test
/// of its word set: the same balanced-accuracy detection test as the label, plus the share of the top
/// examples that peak on a word of the set. The pattern label stays as the evidence under it.
public struct FeatureDescription: Codable, Sendable, Equatable {
  public var text: String               // what a reader sees: "diseases (measles, plague, fever)", or "unclear"
  public var kind: DescriptionKind
  public var status: DescriptionStatus
  public var words: [String]            // the example words the text names (or the top tokens when unclear)
  public var testedTokens: Int          // token groups in the word set the test checks
  public var grounding: String?         // e.g. "WordNet n:14070360: disease — an impairment of health…"
  public var coverage: Double           // share of the feature's firings on the word set (analysis windows)
  public var evidence: LabelEvidence?   // the word set as a pattern, on the held-out windows
  public var topPrecision: Double?      // share of the top examples whose peak token is in the word set
  public var note: String?              // why it is unclear or insufficient
  public init(text: String, kind: DescriptionKind, status: DescriptionStatus, words: [String], testedTokens: Int,
              grounding: String?, coverage: Double, evidence: LabelEvidence?, topPrecision: Double?, note: String?) {
    self.text = text; self.kind = kind; self.status = status; self.words = words; self.testedTokens = testedTokens
    self.grounding = grounding; self.coverage = coverage; self.evidence = evidence; self.topPrecision = topPrecision
    self.note = note
  }

  /// How a description composed where the feature fires most strongly begins ("at its strongest, the word 'too'").
  public static let strongestPrefix = "at its strongest, "

  /// The description's head, what it names without its example words or the strongest-firings prefix:
  /// "diseases" for "diseases (measles, plague, fever)".
  public var head: String {
    let text = self.text.hasPrefix(Self.strongestPrefix) ? String(self.text.dropFirst(Self.strongestPrefix.count)) : self.text
    return text.range(of: " (").map { String(text[..<$0.lowerBound]) } ?? text
  }

  /// What a reader should see as the feature's name: the description when it is supported, else
  /// "unclear: " and the top tokens (or the insufficient description marked as such).
  public var headline: String {
    switch status {
    case .supported: text
    case .insufficient: kind == .unclear ? "unclear (too few firings)" : text + " (unconfirmed)"
    case .unclear: words.isEmpty ? "unclear" : "unclear: " + words.map { "'\($0)'" }.joined(separator: " ")
    }
  }
}

public struct FeatureRecord: Codable, Sendable, Equatable {
  public var index: Int
  public var density: Double         // fraction of analysed tokens with activation > 0
  public var meanActivation: Float   // mean over firings
  public var maxActivation: Float
  public var flags: [FeatureFlag]
  public var label: FeatureLabel
  public var histogram: LogHistogram // of log10(activation) over firings
  public var topTokens: [TokenCount]
  public var topExamples: [ExampleWindow]
  public var quantileSamples: [SampleGroup]   // true quantiles of the non-zero activations
  public var intervalSamples: [SampleGroup]   // equal-width intervals of [0, max]
  public var promotedTokens: [TokenValue]     // logit effects: decoder direction through final norm + unembedding
  public var suppressedTokens: [TokenValue]
  public var decoderNeighbours: [Neighbour]   // top 10 by decoder cosine, full space
  public var coactivationNeighbours: [Neighbour]
  public var dominantSource: String?          // corpus source where it fires most often for its size
                                              // (argmax of firings in the source / tokens of the source)
  public var sourceShares: [String: Double]   // firing share per corpus source
  public var firings: Int                     // analysed tokens where it fired (density × analysed tokens)
  public var sampledFirings: Int              // firings the bands (edges, shares, examples) come from: all of them
                                              // when equal to `firings`, else a uniform sample of this size
  public var description: FeatureDescription?  // in words, with its own held-out test; nil for dead features
                                               // and for atlases built before descriptions existed
  public init(index: Int, density: Double, meanActivation: Float, maxActivation: Float, flags: [FeatureFlag], label: FeatureLabel,
              histogram: LogHistogram, topTokens: [TokenCount], topExamples: [ExampleWindow], quantileSamples: [SampleGroup],
              intervalSamples: [SampleGroup], promotedTokens: [TokenValue], suppressedTokens: [TokenValue],
              decoderNeighbours: [Neighbour], coactivationNeighbours: [Neighbour], dominantSource: String?, sourceShares: [String: Double],
              firings: Int = 0, sampledFirings: Int = 0, description: FeatureDescription? = nil) {
    self.index = index; self.density = density; self.meanActivation = meanActivation; self.maxActivation = maxActivation
    self.flags = flags; self.label = label; self.histogram = histogram; self.topTokens = topTokens; self.topExamples = topExamples
    self.quantileSamples = quantileSamples; self.intervalSamples = intervalSamples; self.promotedTokens = promotedTokens
    self.suppressedTokens = suppressedTokens; self.decoderNeighbours = decoderNeighbours
    self.coactivationNeighbours = coactivationNeighbours; self.dominantSource = dominantSource; self.sourceShares = sourceShares
    self.firings = firings; self.sampledFirings = sampledFirings; self.description = description
  }
}

extension FeatureRecord {
  /// The record without its example windows (what a summaries file holds).
  public var withoutExamples: FeatureRecord {
    var out = self
    out.topExamples = []
    out.quantileSamples = []
    out.intervalSamples = []
    return out
  }

  private enum CodingKeys: String, CodingKey {
    case index, density, meanActivation, maxActivation, flags, label, histogram, topTokens, topExamples, quantileSamples
    case intervalSamples, promotedTokens, suppressedTokens, decoderNeighbours, coactivationNeighbours, dominantSource
    case sourceShares, firings, sampledFirings, description
  }

  /// The example arrays are optional on disk (a summaries file has none; a missing one is empty), every
  /// other field is required as before.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    self.init(index: try c.decode(Int.self, forKey: .index), density: try c.decode(Double.self, forKey: .density),
              meanActivation: try c.decode(Float.self, forKey: .meanActivation),
              maxActivation: try c.decode(Float.self, forKey: .maxActivation),
              flags: try c.decode([FeatureFlag].self, forKey: .flags), label: try c.decode(FeatureLabel.self, forKey: .label),
              histogram: try c.decode(LogHistogram.self, forKey: .histogram),
              topTokens: try c.decode([TokenCount].self, forKey: .topTokens),
              topExamples: try c.decodeIfPresent([ExampleWindow].self, forKey: .topExamples) ?? [],
              quantileSamples: try c.decodeIfPresent([SampleGroup].self, forKey: .quantileSamples) ?? [],
              intervalSamples: try c.decodeIfPresent([SampleGroup].self, forKey: .intervalSamples) ?? [],
              promotedTokens: try c.decode([TokenValue].self, forKey: .promotedTokens),
              suppressedTokens: try c.decode([TokenValue].self, forKey: .suppressedTokens),
              decoderNeighbours: try c.decode([Neighbour].self, forKey: .decoderNeighbours),
              coactivationNeighbours: try c.decode([Neighbour].self, forKey: .coactivationNeighbours),
              dominantSource: try c.decodeIfPresent(String.self, forKey: .dominantSource),
              sourceShares: try c.decode([String: Double].self, forKey: .sourceShares),
              firings: try c.decode(Int.self, forKey: .firings), sampledFirings: try c.decode(Int.self, forKey: .sampledFirings),
              description: try c.decodeIfPresent(FeatureDescription.self, forKey: .description))
  }

  /// Writes every field, leaving out an example array only when it is empty.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(index, forKey: .index)
    try c.encode(density, forKey: .density)
    try c.encode(meanActivation, forKey: .meanActivation)
    try c.encode(maxActivation, forKey: .maxActivation)
    try c.encode(flags, forKey: .flags)
    try c.encode(label, forKey: .label)
    try c.encode(histogram, forKey: .histogram)
    try c.encode(topTokens, forKey: .topTokens)
    if !topExamples.isEmpty { try c.encode(topExamples, forKey: .topExamples) }
    if !quantileSamples.isEmpty { try c.encode(quantileSamples, forKey: .quantileSamples) }
    if !intervalSamples.isEmpty { try c.encode(intervalSamples, forKey: .intervalSamples) }
    try c.encode(promotedTokens, forKey: .promotedTokens)
    try c.encode(suppressedTokens, forKey: .suppressedTokens)
    try c.encode(decoderNeighbours, forKey: .decoderNeighbours)
    try c.encode(coactivationNeighbours, forKey: .coactivationNeighbours)
    try c.encodeIfPresent(dominantSource, forKey: .dominantSource)
    try c.encode(sourceShares, forKey: .sourceShares)
    try c.encode(firings, forKey: .firings)
    try c.encode(sampledFirings, forKey: .sampledFirings)
    try c.encodeIfPresent(description, forKey: .description)
  }

  /// The feature's name as a reader sees it: its description in words (or "unclear: …" with its top
  /// tokens) when it has one, else its pattern label (atlases built before descriptions existed).
  public var displayName: String { description?.headline ?? label.text }
  /// Whether the name shown is not backed by its held-out test.
  public var displayNameUnsupported: Bool { description.map { $0.status != .supported } ?? label.contradicted }
}

/// `features/manifest.json`.
public struct FeaturesManifest: Artifact, Equatable {
  public static let kind = ArtifactKind.features
  /// 2: each shard is two files, `summaries-` and `examples-NNNNN.json` (1 had one `shard-NNNNN.json`).
  public static let formatVersion = 2
  public var kind = FeaturesManifest.kind
  public var formatVersion = FeaturesManifest.formatVersion
  public var parameters: JSONValue
  public var inputs: [String: String]        // name -> digest (activations, sae weights)
  public var features: Int
  public var featuresPerShard: Int
  public var shards: Int
  public var analysedTokens: Int
  public var heldOutTokens: Int
  public var densityHistogram: LogHistogram  // log10 density across live features
  public var counts: [String: Int]           // "dead", "dense", "singleToken", "contradictedLabels"
  public init(parameters: JSONValue, inputs: [String: String], features: Int, featuresPerShard: Int, shards: Int,
              analysedTokens: Int, heldOutTokens: Int, densityHistogram: LogHistogram, counts: [String: Int]) {
    self.parameters = parameters; self.inputs = inputs; self.features = features; self.featuresPerShard = featuresPerShard
    self.shards = shards; self.analysedTokens = analysedTokens; self.heldOutTokens = heldOutTokens
    self.densityHistogram = densityHistogram; self.counts = counts
  }
}

/// Features `first ..< first + records.count`, whole: what the features stage computes and a feature page
/// shows. On disk a shard is two files, split by reader (`FeatureSummaryShard`, `FeatureExampleShard`):
/// nine tenths of the bytes are example windows, which layout, steering, search, the map and the briefing
/// never read.
public struct FeatureShard: Codable, Sendable, Equatable {
  public var first: Int
  public var records: [FeatureRecord]
  public init(first: Int, records: [FeatureRecord]) { self.first = first; self.records = records }

  /// The records without their windows.
  public var summaries: FeatureSummaryShard {
    FeatureSummaryShard(first: first, records: records.map { $0.withoutExamples })
  }

  /// The windows alone, record by record.
  public var examples: FeatureExampleShard {
    FeatureExampleShard(first: first, records: records.map {
      FeatureExamples(index: $0.index, topExamples: $0.topExamples, quantileSamples: $0.quantileSamples,
                      intervalSamples: $0.intervalSamples)
    })
  }

  /// Puts the two halves back together; `nil` when they are not of the same features (first index, count
  /// or any record's index differ).
  public init?(summaries: FeatureSummaryShard, examples: FeatureExampleShard) {
    guard summaries.first == examples.first, summaries.records.count == examples.records.count,
          zip(summaries.records, examples.records).allSatisfy({ $0.index == $1.index }) else { return nil }
    first = summaries.first
    records = zip(summaries.records, examples.records).map { summary, windows in
      var record = summary
      record.topExamples = windows.topExamples
      record.quantileSamples = windows.quantileSamples
      record.intervalSamples = windows.intervalSamples
      return record
    }
  }
}

/// `features/summaries-NNNNN.json`: every field of a shard's records except the example windows (which
/// are absent from the file and empty in memory).
public struct FeatureSummaryShard: Artifact, Equatable {
  public static let kind = ArtifactKind.featureSummaries
  public static let formatVersion = 1
  public var kind = FeatureSummaryShard.kind
  public var formatVersion = FeatureSummaryShard.formatVersion
  public var first: Int
  public var records: [FeatureRecord]
  public init(first: Int, records: [FeatureRecord]) { self.first = first; self.records = records }
}

/// `features/examples-NNNNN.json`: the example windows of the same features, in the same order.
public struct FeatureExampleShard: Artifact, Equatable {
  public static let kind = ArtifactKind.featureExamples
  public static let formatVersion = 1
  public var kind = FeatureExampleShard.kind
  public var formatVersion = FeatureExampleShard.formatVersion
  public var first: Int
  public var records: [FeatureExamples]
  public init(first: Int, records: [FeatureExamples]) { self.first = first; self.records = records }
}

/// One feature's example windows: its strongest, and samples from bands of its activation values.
public struct FeatureExamples: Codable, Sendable, Equatable {
  public var index: Int
  public var topExamples: [ExampleWindow]
  public var quantileSamples: [SampleGroup]
  public var intervalSamples: [SampleGroup]
  public init(index: Int, topExamples: [ExampleWindow], quantileSamples: [SampleGroup], intervalSamples: [SampleGroup]) {
    self.index = index; self.topExamples = topExamples; self.quantileSamples = quantileSamples
    self.intervalSamples = intervalSamples
  }
}
