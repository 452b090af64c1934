import Foundation

/// `diff.json`: what changed between two atlases (written by `feature-atlas diff A B --out D`).
///
/// Every feature of A and of B has exactly one status. A feature in `pairs` is matched or changed; a
/// feature in `splits` or `merges` is split or merged (on either side); the rest are in `unmatchedA`
/// (vanished) and `unmatchedB` (new).

/// Status of one feature in a diff.
public enum DiffStatus: String, Codable, Sendable, CaseIterable {
  case matched    // one-to-one partner above the similarity threshold, evidence within bounds
  case changed    // one-to-one partner above the threshold, but label, density or top tokens moved beyond bounds
  case split      // A: explained by several B features; B: one of those parts
  case merged     // B: explains several A features; A: one of those parts
  case vanished   // A only: no partner, no group
  case new        // B only: no partner, no group
}

/// What identifies one side of the diff.
public struct DiffSideRecord: Codable, Sendable, Equatable {
  public var path: String            // the atlas directory as given on the command line
  public var title: String
  public var modelName: String
  public var modelSHA256: String
  public var hookPoint: String
  public var dModel: Int
  public var latents: Int
  public var corpusDigest: String?
  public var saeWeightsDigest: String?
  public init(path: String, title: String, modelName: String, modelSHA256: String, hookPoint: String, dModel: Int, latents: Int,
              corpusDigest: String?, saeWeightsDigest: String?) {
    self.path = path; self.title = title; self.modelName = modelName; self.modelSHA256 = modelSHA256; self.hookPoint = hookPoint
    self.dModel = dModel; self.latents = latents; self.corpusDigest = corpusDigest; self.saeWeightsDigest = saeWeightsDigest
  }
}

/// One one-to-one pair.
public struct DiffPairRecord: Codable, Sendable, Equatable {
  public var a: Int
  public var b: Int
  public var similarity: Double            // decoder cosine (unit rows), or activation correlation (see `summary.basis`)
  public var encoderSimilarity: Double?    // encoder cosine, the second signal (nil when matched by activations)
  public var status: DiffStatus            // matched or changed
  public var changes: [String]             // for changed: "label", "density", "topTokens"
  /// FVU of A's reconstruction with B's latent substituted for A's, minus A's own FVU, on held-out
  /// activations (nil when no activations were available).
  public var substitutionDeltaFVU: Double?
  /// FVU change when A's latent is removed with nothing in its place: what the substitution is read against.
  public var ablationDeltaFVU: Double?
  /// Looks alike (decoder cosine above the threshold) but does not act alike (the substitution costs more
  /// than the documented share of the ablation).
  public var actsDifferently: Bool
  public init(a: Int, b: Int, similarity: Double, encoderSimilarity: Double?, status: DiffStatus, changes: [String],
              substitutionDeltaFVU: Double? = nil, ablationDeltaFVU: Double? = nil, actsDifferently: Bool = false) {
    self.a = a; self.b = b; self.similarity = similarity; self.encoderSimilarity = encoderSimilarity; self.status = status
    self.changes = changes; self.substitutionDeltaFVU = substitutionDeltaFVU; self.ablationDeltaFVU = ablationDeltaFVU
    self.actsDifferently = actsDifferently
  }
}

/// A feature without a partner, with its nearest feature on the other side (for the reader).
public struct DiffUnmatchedRecord: Codable, Sendable, Equatable {
  public var feature: Int
  public var nearest: Int?                 // nearest on the other side, by the diff's similarity
  public var nearestSimilarity: Double?
  public init(feature: Int, nearest: Int?, nearestSimilarity: Double?) {
    self.feature = feature; self.nearest = nearest; self.nearestSimilarity = nearestSimilarity
  }
}

/// One A feature explained by a non-negative combination of several B features.
public struct DiffSplitRecord: Codable, Sendable, Equatable {
  public var a: Int
  public var b: [Int]                      // parts, by descending weight
  public var weights: [Double]             // non-negative least-squares weights of the unit parts
  public var explained: Double             // cosine between A's direction and the combination
  public var bestSingle: Double            // cosine with the best single part
  public init(a: Int, b: [Int], weights: [Double], explained: Double, bestSingle: Double) {
    self.a = a; self.b = b; self.weights = weights; self.explained = explained; self.bestSingle = bestSingle
  }
}

/// One B feature explained by a non-negative combination of several A features.
public struct DiffMergeRecord: Codable, Sendable, Equatable {
  public var a: [Int]
  public var b: Int
  public var weights: [Double]
  public var explained: Double
  public var bestSingle: Double
  public init(a: [Int], b: Int, weights: [Double], explained: Double, bestSingle: Double) {
    self.a = a; self.b = b; self.weights = weights; self.explained = explained; self.bestSingle = bestSingle
  }
}

/// One run-level difference (or sameness): model, hook, corpus, configuration keys, seeds, SAE quality.
public struct DiffRunDelta: Codable, Sendable, Equatable {
  public var name: String                  // "model.sha256", "configuration.sae.training.seed", "sae.fvu", ...
  public var group: String                 // "model", "hook", "corpus", "configuration", "seeds", "quality", "labels", "clusters"
  public var a: JSONValue
  public var b: JSONValue
  public var same: Bool
  public init(name: String, group: String, a: JSONValue, b: JSONValue, same: Bool) {
    self.name = name; self.group = group; self.a = a; self.b = b; self.same = same
  }
}

/// The similarity transform that puts B's map onto A's: `a ≈ scale · R · b + translation`.
public struct DiffAlignmentRecord: Codable, Sendable, Equatable {
  public var scale: Double
  public var rotation: Double              // radians, counter-clockwise, applied after the reflection
  public var reflected: Bool               // B's x is negated before rotating
  public var translation: [Double]         // [2]
  public var pairs: Int                    // matched pairs the fit used
  public var rmsBefore: Double             // RMS distance of the pairs after centring and scaling only, in A's units
  public var rmsAfter: Double              // after the full fit
  public var extentA: Double               // RMS radius of A's map, to read the two above against
  public init(scale: Double, rotation: Double, reflected: Bool, translation: [Double], pairs: Int, rmsBefore: Double,
              rmsAfter: Double, extentA: Double) {
    self.scale = scale; self.rotation = rotation; self.reflected = reflected; self.translation = translation
    self.pairs = pairs; self.rmsBefore = rmsBefore; self.rmsAfter = rmsAfter; self.extentA = extentA
  }

  /// B's point (x, y) in A's map coordinates.
  public func apply(x: Double, y: Double) -> (x: Double, y: Double) {
    let x0 = reflected ? -x : x
    let (c, s) = (cos(rotation), sin(rotation))
    return (scale * (c * x0 - s * y) + translation[0], scale * (s * x0 + c * y) + translation[1])
  }
}

/// What the similarities of a diff measure, and on which tokens when they are activation correlations.
public struct DiffBasisRecord: Codable, Sendable, Equatable {
  /// "decoderCosine" (same model width and hook point) or "activationCorrelation" (Pearson r of the two
  /// latents' activations on the same tokens, which compares any two hook points, layers or widths).
  public var measure: String
  public var reason: String                // why this measure was used, in words
  public var tokens: Int?                  // shared tokens the correlations were computed on
  public var windows: Int?                 // shared windows (of A's held-out windows)
  public var sourceA: String?              // where A's activations on them came from ("A's capture", "a model run", ...)
  public var sourceB: String?
  public var minimumFirings: Int?          // a feature firing on fewer shared tokens cannot be matched by activations
  public var matchableA: Int?              // A features firing at least that often
  public var matchableB: Int?
  public init(measure: String, reason: String, tokens: Int? = nil, windows: Int? = nil, sourceA: String? = nil, sourceB: String? = nil,
              minimumFirings: Int? = nil, matchableA: Int? = nil, matchableB: Int? = nil) {
    self.measure = measure; self.reason = reason; self.tokens = tokens; self.windows = windows; self.sourceA = sourceA
    self.sourceB = sourceB; self.minimumFirings = minimumFirings; self.matchableA = matchableA; self.matchableB = matchableB
  }

  public static let decoderCosine = "decoderCosine"
  public static let activationCorrelation = "activationCorrelation"
  public var byActivations: Bool { measure == Self.activationCorrelation }
  /// The similarity's name for a reader: "decoder cosine" or "activation correlation".
  public var words: String { byActivations ? "activation correlation" : "decoder cosine" }
}

public struct DiffSummaryRecord: Codable, Sendable, Equatable {
  public var countsA: [String: Int]        // status -> features of A
  public var countsB: [String: Int]
  public var sharedFraction: Double        // A features with a one-to-one partner / A features
  public var sharedFractionB: Double       // B features with a one-to-one partner / B features
  public var sharedFractionLive: Double    // as sharedFraction, over A features that fire (not dead)
  public var meanSimilarity: Double        // mean similarity over pairs (decoder cosine or activation correlation)
  public var clusterAgreement: [String: Double]   // level name -> AMI of the two cluster assignments on pairs
  public var substitution: [String: Double]       // "pairs", "medianDeltaFVU", "actsDifferently", "baselineFVU"
  public var runDeltas: [DiffRunDelta]
  public var sentence: String              // the summary in plain words
  /// What `similarity` measures (nil in diffs written before activation matching: decoder cosine).
  public var basis: DiffBasisRecord?
  public init(countsA: [String: Int], countsB: [String: Int], sharedFraction: Double, sharedFractionB: Double, sharedFractionLive: Double,
              meanSimilarity: Double, clusterAgreement: [String: Double], substitution: [String: Double], runDeltas: [DiffRunDelta],
              sentence: String, basis: DiffBasisRecord? = nil) {
    self.countsA = countsA; self.countsB = countsB; self.sharedFraction = sharedFraction; self.sharedFractionB = sharedFractionB
    self.sharedFractionLive = sharedFractionLive; self.meanSimilarity = meanSimilarity; self.clusterAgreement = clusterAgreement
    self.substitution = substitution; self.runDeltas = runDeltas; self.sentence = sentence; self.basis = basis
  }

  /// The basis, with the decoder cosine of older diffs made explicit.
  public var measuredBy: DiffBasisRecord {
    basis ?? DiffBasisRecord(measure: DiffBasisRecord.decoderCosine, reason: "same model width and hook point")
  }
}

/// `D/diff.json`.
public struct DiffRecord: Artifact, Equatable {
  public static let kind = ArtifactKind.diff
  public static let formatVersion = 1
  public var kind = DiffRecord.kind
  public var formatVersion = DiffRecord.formatVersion
  public var a: DiffSideRecord
  public var b: DiffSideRecord
  public var parameters: JSONValue         // thresholds and bounds used (the diff configuration, verbatim)
  public var summary: DiffSummaryRecord
  public var alignment: DiffAlignmentRecord?
  public var pairs: [DiffPairRecord]       // by A index
  public var unmatchedA: [DiffUnmatchedRecord]
  public var unmatchedB: [DiffUnmatchedRecord]
  public var splits: [DiffSplitRecord]     // by A index
  public var merges: [DiffMergeRecord]     // by B index
  public init(a: DiffSideRecord, b: DiffSideRecord, parameters: JSONValue, summary: DiffSummaryRecord, alignment: DiffAlignmentRecord?,
              pairs: [DiffPairRecord], unmatchedA: [DiffUnmatchedRecord], unmatchedB: [DiffUnmatchedRecord], splits: [DiffSplitRecord],
              merges: [DiffMergeRecord]) {
    self.a = a; self.b = b; self.parameters = parameters; self.summary = summary; self.alignment = alignment; self.pairs = pairs
    self.unmatchedA = unmatchedA; self.unmatchedB = unmatchedB; self.splits = splits; self.merges = merges
  }

  /// The status of every A feature and every B feature, from the lists above.
  public func statuses() -> (a: [DiffStatus], b: [DiffStatus]) {
    var sa = [DiffStatus](repeating: .vanished, count: a.latents)   // [nA]
    var sb = [DiffStatus](repeating: .new, count: b.latents)        // [nB]
    for p in pairs where p.a < sa.count && p.b < sb.count { sa[p.a] = p.status; sb[p.b] = p.status }
    for s in splits {
      if s.a < sa.count { sa[s.a] = .split }
      for j in s.b where j < sb.count { sb[j] = .split }
    }
    for m in merges {
      if m.b < sb.count { sb[m.b] = .merged }
      for i in m.a where i < sa.count { sa[i] = .merged }
    }
    return (sa, sb)
  }
}
