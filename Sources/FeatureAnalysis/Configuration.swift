/// Everything that decides a features run. Written verbatim into the stage manifest; the same inputs and
/// configuration give identical records, whatever the number of cores.
public struct FeatureAnalysisConfiguration: Codable, Sendable, Equatable, Hashable {
  // MARK: Examples
  /// Highest-activating windows kept per feature (after removing near-duplicates).
  public var topExamples: Int = 20
  /// Edges of the true-quantile bands of the non-zero activations, from 0 to 1.
  public var quantiles: [Double] = [0, 0.25, 0.5, 0.75, 0.9, 1]
  /// Equal-width intervals of [0, max] (sae_vis / Anthropic "subsample intervals").
  public var intervals: Int = 8
  /// Examples drawn per quantile band and per interval.
  public var examplesPerBand: Int = 5
  /// Tokens shown on each side of an example's peak; nil shows the whole window (position 0 never shown).
  public var contextRadius: Int? = 16
  /// Two top windows are near-duplicates when the tokens from `duplicateContext` before the peak to one
  /// after it are identical (repeated boilerplate, overlapping windows of one document).
  public var duplicateContext: Int = 3
  /// Firings kept per feature (a uniform sample, by seeded hash priority) for the quantile edges, band
  /// shares and band examples, and as the positives label candidates are scored on. Exact when a feature
  /// fires at most this often; otherwise the rank error of an edge is about 0.5 / √quantileSampleSize
  /// (1.6% at 1,024).
  public var quantileSampleSize: Int = 1024

  // MARK: Statistics
  /// Token counters per feature (Space-Saving heavy hitters): exact for a feature with at
  /// most this many distinct tokens; otherwise a count is a lower bound, short by at most firings / capacity.
  public var tokenSummaryCapacity: Int = 64
  /// Entries in `topTokens`.
  public var topTokens: Int = 10
  /// Per-feature histogram of log10(activation); values outside the range go to the end bins.
  public var histogramLowerLog10: Double = -3
  public var histogramBinWidth: Double = 0.1
  public var histogramBins: Int = 60
  /// Histogram of log10(density) across live features (for the manifest).
  public var densityHistogramLowerLog10: Double = -7
  public var densityHistogramBinWidth: Double = 0.25
  public var densityHistogramBins: Int = 28

  // MARK: Neighbours and logit effects
  public var coactivationNeighbours: Int = 10
  /// Fraction of analysed tokens (chosen by seeded hash) whose active latents enter the co-activation
  /// counts. 1 counts every token exactly; lower it to bound memory (4 bytes per kept firing) on huge runs.
  public var coactivationSampleRate: Double = 1
  public var decoderNeighbours: Int = 10
  /// Promoted and suppressed tokens per feature.
  public var logitTokens: Int = 10

  // MARK: Flags
  /// A feature with density ≤ this is dead (0: never fired).
  public var deadThreshold: Double = 0
  /// A feature with density > this is dense.
  public var denseThreshold: Double = 0.1
  /// A feature with at least this share of its firings on one token id is single-token.
  public var singleTokenShare: Double = 0.9

  // MARK: Labels
  /// Terms at most in one label (token groups, n-grams, context words, sources, next tokens).
  public var labelMaxTerms: Int = 5
  /// A term joins a label only if it raises the label's balanced accuracy on the analysis windows by this.
  public var labelMinGain: Double = 0.02
  /// A term must match at least this many of the feature's sampled firings (unless it has fewer than
  /// twice this many), so a label is not built from one-off coincidences.
  public var labelMinSupport: Int = 3
  /// Context labels test "one of these tokens is among the `labelContextSpan` tokens before it".
  public var labelContextSpan: Int = 8
  /// Context words scored jointly per feature (the best single ones); at most 16.
  public var labelContextCandidates: Int = 12
  /// Analysed tokens (chosen by seeded hash) against which context patterns are counted: exact when the
  /// analysis has no more tokens than this, else the relative error of a pattern's background rate is
  /// about 1 / √(this × rate). Bounds the context index (about 40 bytes per indexed token).
  public var labelContextBackground: Int = 1 << 20
  /// The label is the candidate with the highest balanced accuracy on the analysis windows less this
  /// per extra term and per step of complexity (bigrams, context, next tokens: 1; trigrams: 2).
  public var labelSimplicityCost: Double = 0.005
  /// A held-out balanced accuracy below this marks the label contradicted.
  public var evidenceThreshold: Double = 0.6
  /// Fewer held-out firings than this marks the label contradicted (too little evidence).
  public var minHeldOutFirings: Int = 5

  // MARK: Descriptions in words
  /// One token group with at least this share of the firings makes the description lexical ("the word 'too'").
  public var descriptionDominantShare: Double = 0.6
  /// A syntactic class (or words) needs at least this share of the firings to describe the feature.
  public var descriptionClassShare: Double = 0.5
  /// When the description composed at those shares does not hold up, alternatives are composed with a token,
  /// a class or the words at this share of the strong activation, and the one that holds up best is kept.
  public var descriptionFallbackShare: Double = 0.3
  /// A feature whose strong firings hold no description that holds up may still have one where it fires
  /// most strongly: composed from its firings at this fraction of its largest activation and tested at it
  /// ("at its strongest, the word 'extent'"). At or below `descriptionStrongFraction`: not tried.
  public var descriptionPeakFraction: Double = 0.65
  /// A description with fewer than `descriptionMinFirings` strong firings in the test windows is tested again
  /// on its firings from this fraction of the feature's largest activation: it holds up there, on enough
  /// firings, or stays insufficient. At or above `descriptionStrongFraction` (or 0): not tried.
  public var descriptionBroadFraction: Double = 0.2
  /// Firing words at this cosine or more from one of them in the model's token embedding (centred, with its
  /// `descriptionEmbeddingComponents` largest principal directions taken out) are words like it ("words like
  /// 'joke' (joke, humor, laugh)"), when the other groundings find nothing that holds up. 0: not tried. 0.25 is
  /// above 99.9 % of random word pairs (0.22) and joins small, large and great; on the default atlas supported
  /// descriptions 62.6 % at 0.3, 63.0 % at 0.25.
  public var descriptionSimilarCosine: Double = 0.25
  /// Principal directions of the token embedding taken out before words are compared (frequency and format).
  public var descriptionEmbeddingComponents: Int = TokenMeaning.components
  /// Firing words (most firings first) a WordNet common hypernym is sought for.
  public var descriptionMaxWords: Int = 12
  /// The common hypernym (or shared base form) must cover at least this share of the words' firings.
  public var descriptionMinCoverage: Double = 0.5
  /// A description is supported when its word set's held-out balanced accuracy reaches this …
  public var descriptionThreshold: Double = 0.7
  /// … and at least this share of the top examples peak on a token of the set.
  public var descriptionMinPrecision: Double = 0.5
  /// Fewer held-out firings than this make a description's evidence insufficient (never supported).
  public var descriptionMinFirings: Int = 20
  /// A description explains where a feature fires strongly: it is composed from the feature's sampled
  /// firings that reach this fraction of its largest activation (weighted by activation), and its test
  /// counts a token as a firing only at that level (weaker firings count as not firing).
  public var descriptionStrongFraction: Double = 0.5
  /// A feature is described from its sampled strong firings when it has at least this many of them (else
  /// from all its sampled firings in the composing windows, weighted by activation).
  public var descriptionMinSampled: Int = 5
  /// This share of the analysis windows (seeded) is kept apart for testing descriptions, with the held-out
  /// windows: descriptions are composed from the other analysis windows. On the default atlas 0.5 / 0.6 / 0.7
  /// held supported descriptions for 60.8 / 62.6 / 63.2 % of live features (more are tested on ≥ 20 firings;
  /// fewer compose at 0.7: unclear 29.1 / 29.8 / 30.8 %).
  public var descriptionTestShare: Double = 0.6

  public var seed: UInt64 = 0x5EED_F00D

  /// Whether an analysis window is one descriptions are tested on (a seeded `descriptionTestShare` of them)
  /// rather than composed from.
  public func testsDescriptions(window: Int) -> Bool {
    let salt = seed ^ 0xDE5C_7E57_0000_0000
    return Double(SeededHash.hash(salt, window, 0, 3) >> 11) * 0x1p-53 < descriptionTestShare
  }

  public init() {}

  public static let `default` = FeatureAnalysisConfiguration()

  public func validate() throws(FeatureAnalysisError) {
    func bad(_ field: String, _ value: String, _ expected: String) -> FeatureAnalysisError {
      .invalidConfiguration(field: field, value: value, expected: expected)
    }
    guard topExamples >= 0 else { throw bad("topExamples", "\(topExamples)", "≥ 0") }
    guard quantiles.count >= 2, quantiles.first == 0, quantiles.last == 1,
          zip(quantiles, quantiles.dropFirst()).allSatisfy({ $0 < $1 }) else {
      throw bad("quantiles", "\(quantiles)", "increasing edges from 0 to 1, e.g. [0, 0.25, 0.5, 0.75, 0.9, 1]")
    }
    guard intervals >= 1 else { throw bad("intervals", "\(intervals)", "≥ 1") }
    guard examplesPerBand >= 0 else { throw bad("examplesPerBand", "\(examplesPerBand)", "≥ 0") }
    if let r = contextRadius, r < 0 { throw bad("contextRadius", "\(r)", "≥ 0, or nil for the whole window") }
    guard duplicateContext >= 0 else { throw bad("duplicateContext", "\(duplicateContext)", "≥ 0") }
    guard quantileSampleSize >= 1 else { throw bad("quantileSampleSize", "\(quantileSampleSize)", "≥ 1") }
    guard tokenSummaryCapacity >= 1 else { throw bad("tokenSummaryCapacity", "\(tokenSummaryCapacity)", "≥ 1") }
    guard topTokens >= 0 else { throw bad("topTokens", "\(topTokens)", "≥ 0") }
    guard histogramBins >= 1, histogramBinWidth > 0 else {
      throw bad("histogramBins/histogramBinWidth", "\(histogramBins)/\(histogramBinWidth)", "≥ 1 bin of positive width")
    }
    guard densityHistogramBins >= 1, densityHistogramBinWidth > 0 else {
      throw bad("densityHistogramBins/densityHistogramBinWidth", "\(densityHistogramBins)/\(densityHistogramBinWidth)",
                "≥ 1 bin of positive width")
    }
    guard coactivationNeighbours >= 0, decoderNeighbours >= 0, logitTokens >= 0 else {
      throw bad("neighbours/logitTokens", "\(coactivationNeighbours)/\(decoderNeighbours)/\(logitTokens)", "≥ 0")
    }
    guard coactivationSampleRate > 0, coactivationSampleRate <= 1 else {
      throw bad("coactivationSampleRate", "\(coactivationSampleRate)", "in (0, 1]")
    }
    guard deadThreshold >= 0, denseThreshold > deadThreshold, denseThreshold <= 1 else {
      throw bad("deadThreshold/denseThreshold", "\(deadThreshold)/\(denseThreshold)", "0 ≤ dead < dense ≤ 1")
    }
    guard singleTokenShare > 0, singleTokenShare <= 1 else {
      throw bad("singleTokenShare", "\(singleTokenShare)", "in (0, 1]")
    }
    guard labelMaxTerms >= 1 else { throw bad("labelMaxTerms", "\(labelMaxTerms)", "≥ 1") }
    guard labelMinGain >= 0, labelMinGain < 1 else { throw bad("labelMinGain", "\(labelMinGain)", "in [0, 1)") }
    guard labelMinSupport >= 1 else { throw bad("labelMinSupport", "\(labelMinSupport)", "≥ 1") }
    guard labelContextSpan >= 1 else { throw bad("labelContextSpan", "\(labelContextSpan)", "≥ 1") }
    guard (1 ... 16).contains(labelContextCandidates) else {
      throw bad("labelContextCandidates", "\(labelContextCandidates)", "in 1...16")
    }
    guard labelContextBackground >= 1 else { throw bad("labelContextBackground", "\(labelContextBackground)", "≥ 1") }
    guard labelSimplicityCost >= 0, labelSimplicityCost < 0.5 else {
      throw bad("labelSimplicityCost", "\(labelSimplicityCost)", "in [0, 0.5)")
    }
    guard (0 ... 1).contains(evidenceThreshold) else { throw bad("evidenceThreshold", "\(evidenceThreshold)", "in [0, 1]") }
    guard minHeldOutFirings >= 1 else { throw bad("minHeldOutFirings", "\(minHeldOutFirings)", "≥ 1") }
    for (field, value) in [("descriptionDominantShare", descriptionDominantShare), ("descriptionClassShare", descriptionClassShare),
                           ("descriptionFallbackShare", descriptionFallbackShare),
                           ("descriptionPeakFraction", descriptionPeakFraction),
                           ("descriptionSimilarCosine", descriptionSimilarCosine),
                           ("descriptionBroadFraction", descriptionBroadFraction),
                           ("descriptionMinCoverage", descriptionMinCoverage), ("descriptionThreshold", descriptionThreshold),
                           ("descriptionMinPrecision", descriptionMinPrecision),
                           ("descriptionStrongFraction", descriptionStrongFraction),
                           ("descriptionTestShare", descriptionTestShare)] where !(0 ... 1).contains(value) {
      throw bad(field, "\(value)", "in [0, 1]")
    }
    guard descriptionEmbeddingComponents >= 0 else {
      throw bad("descriptionEmbeddingComponents", "\(descriptionEmbeddingComponents)", "≥ 0")
    }
    guard descriptionMaxWords >= 2 else { throw bad("descriptionMaxWords", "\(descriptionMaxWords)", "≥ 2") }
    guard descriptionMinFirings >= 1 else { throw bad("descriptionMinFirings", "\(descriptionMinFirings)", "≥ 1") }
    guard descriptionMinSampled >= 1 else { throw bad("descriptionMinSampled", "\(descriptionMinSampled)", "≥ 1") }
  }
}

extension FeatureAnalysisConfiguration {
  /// Decodes a configuration saved by any version: a missing field takes its default (so an atlas.json
  /// written before a field existed still reads), unknown fields are ignored.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let d = FeatureAnalysisConfiguration()
    func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
      try container.decodeIfPresent(T.self, forKey: key) ?? fallback
    }
    self.init()
    topExamples = try value(.topExamples, d.topExamples)
    quantiles = try value(.quantiles, d.quantiles)
    intervals = try value(.intervals, d.intervals)
    examplesPerBand = try value(.examplesPerBand, d.examplesPerBand)
    contextRadius = try container.decodeIfPresent(Int.self, forKey: .contextRadius)   // absent means nil, as encoded
    duplicateContext = try value(.duplicateContext, d.duplicateContext)
    quantileSampleSize = try value(.quantileSampleSize, d.quantileSampleSize)
    tokenSummaryCapacity = try value(.tokenSummaryCapacity, d.tokenSummaryCapacity)
    topTokens = try value(.topTokens, d.topTokens)
    histogramLowerLog10 = try value(.histogramLowerLog10, d.histogramLowerLog10)
    histogramBinWidth = try value(.histogramBinWidth, d.histogramBinWidth)
    histogramBins = try value(.histogramBins, d.histogramBins)
    densityHistogramLowerLog10 = try value(.densityHistogramLowerLog10, d.densityHistogramLowerLog10)
    densityHistogramBinWidth = try value(.densityHistogramBinWidth, d.densityHistogramBinWidth)
    densityHistogramBins = try value(.densityHistogramBins, d.densityHistogramBins)
    coactivationNeighbours = try value(.coactivationNeighbours, d.coactivationNeighbours)
    coactivationSampleRate = try value(.coactivationSampleRate, d.coactivationSampleRate)
    decoderNeighbours = try value(.decoderNeighbours, d.decoderNeighbours)
    logitTokens = try value(.logitTokens, d.logitTokens)
    deadThreshold = try value(.deadThreshold, d.deadThreshold)
    denseThreshold = try value(.denseThreshold, d.denseThreshold)
    singleTokenShare = try value(.singleTokenShare, d.singleTokenShare)
    labelMaxTerms = try value(.labelMaxTerms, d.labelMaxTerms)
    labelMinGain = try value(.labelMinGain, d.labelMinGain)
    labelMinSupport = try value(.labelMinSupport, d.labelMinSupport)
    labelContextSpan = try value(.labelContextSpan, d.labelContextSpan)
    labelContextCandidates = try value(.labelContextCandidates, d.labelContextCandidates)
    labelContextBackground = try value(.labelContextBackground, d.labelContextBackground)
    labelSimplicityCost = try value(.labelSimplicityCost, d.labelSimplicityCost)
    evidenceThreshold = try value(.evidenceThreshold, d.evidenceThreshold)
    minHeldOutFirings = try value(.minHeldOutFirings, d.minHeldOutFirings)
    descriptionDominantShare = try value(.descriptionDominantShare, d.descriptionDominantShare)
    descriptionClassShare = try value(.descriptionClassShare, d.descriptionClassShare)
    descriptionFallbackShare = try value(.descriptionFallbackShare, d.descriptionFallbackShare)
    descriptionPeakFraction = try value(.descriptionPeakFraction, d.descriptionPeakFraction)
    descriptionSimilarCosine = try value(.descriptionSimilarCosine, d.descriptionSimilarCosine)
    descriptionBroadFraction = try value(.descriptionBroadFraction, d.descriptionBroadFraction)
    descriptionEmbeddingComponents = try value(.descriptionEmbeddingComponents, d.descriptionEmbeddingComponents)
    descriptionMaxWords = try value(.descriptionMaxWords, d.descriptionMaxWords)
    descriptionMinCoverage = try value(.descriptionMinCoverage, d.descriptionMinCoverage)
    descriptionThreshold = try value(.descriptionThreshold, d.descriptionThreshold)
    descriptionMinPrecision = try value(.descriptionMinPrecision, d.descriptionMinPrecision)
    descriptionMinFirings = try value(.descriptionMinFirings, d.descriptionMinFirings)
    descriptionStrongFraction = try value(.descriptionStrongFraction, d.descriptionStrongFraction)
    descriptionMinSampled = try value(.descriptionMinSampled, d.descriptionMinSampled)
    descriptionTestShare = try value(.descriptionTestShare, d.descriptionTestShare)
    seed = try value(.seed, d.seed)
  }
}

/// What can go wrong analysing features. Each case says what was expected, what was found and what to do.
public enum FeatureAnalysisError: Error, CustomStringConvertible, Equatable {
  case invalidConfiguration(field: String, value: String, expected: String)
  case invalidInput(what: String, expected: String, found: String)
  case malformedWindow(window: Int, reason: String)
  case codesDoNotMatchWindows(expectedRows: Int, foundRows: Int)
  case latentOutOfRange(window: Int, latent: Int, latents: Int)
  case duplicateWindow(Int)
  case outOfOrder(call: String, phase: String)
  case missingWindows(count: Int, first: [Int])

  public var description: String {
    switch self {
    case .invalidConfiguration(let field, let value, let expected):
      "feature analysis configuration: \(field) is \(value), expected \(expected); fix the option and re-run"
    case .invalidInput(let what, let expected, let found):
      "feature analysis input: \(what) is \(found), expected \(expected)"
    case .malformedWindow(let window, let reason):
      "context window \(window) is malformed: \(reason); re-run `feature-atlas capture` if the activations are damaged"
    case .codesDoNotMatchWindows(let expected, let found):
      "the sparse codes have \(found) rows but the windows have \(expected) positions after position 0; "
        + "encode positions 1..<T of every window, in window order"
    case .latentOutOfRange(let window, let latent, let latents):
      "window \(window): latent index \(latent) is outside 0..<\(latents); the codes come from a different SAE"
    case .duplicateWindow(let window):
      "context window \(window) was fed twice in the first pass; feed each window once"
    case .outOfOrder(let call, let phase):
      "\(call) was called during \(phase); the order is accumulate…, finishFirstPass, collect…, finish, records"
    case .missingWindows(let count, let first):
      "\(count) requested windows were not fed to collect (first: \(first.map(String.init).joined(separator: ", "))); "
        + "feed every window in requestedWindows"
    }
  }
}
