import Foundation

/// Ranks features by how much more they fire on text about a topic than on neutral text (`feature-atlas probe`).
///
/// The unit of comparison is a *span*: a few consecutive token positions. A topic span is a topic word
/// and the positions right after it (or a slice of a topic example); a neutral span is a seeded sample of
/// the same length from text that is not about the topic. For every feature, a span counts as a firing
/// when the feature's largest activation on the span reaches `threshold[feature]` (a share of the feature's
/// largest activation over the whole corpus, so weak incidental firings do not count).
///
/// With k_t firings on n_t topic spans and k_n on n_n neutral spans, the neutral rate Jeffreys-smoothed and
/// the topic rate shrunk towards it by `m` = 10 pseudo-spans (so a topic seen on one or two spans cannot
/// make a feature look specific):
///
///     r_n = (k_n + ½) / (n_n + 1)        r_t = (k_t + m · r_n) / (n_t + m)
///
/// the score is the Jeffreys divergence (symmetrised KL) between the two firing distributions, signed:
///
///     score = (r_t − r_n) · |logit r_t − logit r_n|
///
/// It grows with how often the feature fires on the topic (r_t − r_n: a feature firing on 2 of 200 topic
/// spans scores near 0 however rare it is elsewhere) and with how specific that is (the log-odds ratio:
/// a dense feature that fires on 90% of neutral spans cannot score high even at 100% on the topic).
/// It is 0 when the rates are equal and negative when the feature fires less on the topic.
public struct TopicContrast: Sendable {
  /// One feature's contrast.
  public struct Score: Sendable, Equatable {
    public var feature: Int
    public var score: Double
    public var topicRate: Double        // k_t / n_t (unsmoothed)
    public var neutralRate: Double      // k_n / n_n
    public var topicMean: Double        // mean of the span maxima over topic spans (zeros included)
    public var neutralMean: Double      // the same over neutral spans
    public var topicFirings: Int        // k_t
    public var neutralFirings: Int      // k_n
  }

  public let latents: Int
  /// Smallest span maximum that counts as a firing, per feature ([latents]); nil counts every value > 0.
  public let thresholds: [Float]?
  public private(set) var topicSpans = 0
  public private(set) var neutralSpans = 0
  private var topicCount: [Int32]      // [latents]
  private var neutralCount: [Int32]    // [latents]
  private var topicSum: [Double]       // [latents] sum of span maxima
  private var neutralSum: [Double]     // [latents]
  private var scratch: [Float]         // [latents] span maxima of the span being added (zero between spans)
  private var touched: [Int32] = []

  public init(latents: Int, thresholds: [Float]? = nil) {
    precondition(thresholds == nil || thresholds?.count == latents, "one threshold per latent")
    self.latents = latents
    self.thresholds = thresholds
    topicCount = Array(repeating: 0, count: latents)
    neutralCount = Array(repeating: 0, count: latents)
    topicSum = Array(repeating: 0, count: latents)
    neutralSum = Array(repeating: 0, count: latents)
    scratch = Array(repeating: 0, count: latents)
  }

  /// Adds spans whose rows are in `codes`: each span is a range of rows.
  public mutating func add(_ codes: LatentCodes, spans: [Range<Int>], topic: Bool) {
    for span in spans {
      touched.removeAll(keepingCapacity: true)
      for r in span where r < codes.rows {
        for e in codes.rowStart[r] ..< codes.rowStart[r + 1] {
          let j = Int(codes.latents[e]), v = codes.values[e]
          guard v > 0, j >= 0, j < latents else { continue }
          if scratch[j] == 0 { touched.append(Int32(j)) }
          if v > scratch[j] { scratch[j] = v }
        }
      }
      for t in touched {
        let j = Int(t), v = scratch[j]
        scratch[j] = 0
        if let thresholds, v < thresholds[j] { continue }
        if topic {
          topicCount[j] += 1
          topicSum[j] += Double(v)
        } else {
          neutralCount[j] += 1
          neutralSum[j] += Double(v)
        }
      }
      if topic { topicSpans += 1 } else { neutralSpans += 1 }
    }
  }

  /// The signed Jeffreys divergence between smoothed firing rates (see the type's documentation).
  public static let priorSpans = 10.0

  public static func score(topicFirings kt: Int, topicSpans nt: Int, neutralFirings kn: Int, neutralSpans nn: Int) -> Double {
    let rn = (Double(kn) + 0.5) / (Double(nn) + 1)
    let rt = (Double(kt) + priorSpans * rn) / (Double(nt) + priorSpans)
    let logOdds = log(rt / (1 - rt)) - log(rn / (1 - rn))
    return (rt - rn) * abs(logOdds)
  }

  /// The contrast of every feature that fired on at least one topic span, best first (ties by feature id).
  public func scores() -> [Score] {
    var out: [Score] = []
    for j in 0 ..< latents where topicCount[j] > 0 {
      let kt = Int(topicCount[j]), kn = Int(neutralCount[j])
      out.append(Score(
        feature: j, score: Self.score(topicFirings: kt, topicSpans: topicSpans, neutralFirings: kn, neutralSpans: neutralSpans),
        topicRate: Double(kt) / Double(max(1, topicSpans)), neutralRate: Double(kn) / Double(max(1, neutralSpans)),
        topicMean: topicSum[j] / Double(max(1, topicSpans)), neutralMean: neutralSum[j] / Double(max(1, neutralSpans)),
        topicFirings: kt, neutralFirings: kn))
    }
    out.sort { ($0.score, -$0.feature) > ($1.score, -$1.feature) }
    return out
  }
}
