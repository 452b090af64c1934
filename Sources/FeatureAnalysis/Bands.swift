import Foundation

/// One band of a feature's non-zero activations and the firings drawn from it.
struct Band: Sendable, Equatable {
  var title: String
  var lower: Float
  var upper: Float
  var share: Double                                       // fraction of the sampled firings in the band
  var picks: [(window: Int32, position: Int32, value: Float)]

  static func == (a: Band, b: Band) -> Bool {
    a.title == b.title && a.lower == b.lower && a.upper == b.upper && a.share == b.share
      && a.picks.elementsEqual(b.picks) { $0.window == $1.window && $0.position == $1.position && $0.value == $1.value }
  }
}

/// True-quantile bands and equal-width intervals of one feature, from its uniform sample of firings.
struct FeatureBands: Sendable, Equatable {
  var quantiles: [Band]
  var intervals: [Band]
  var sampleSize: Int

  static let empty = FeatureBands(quantiles: [], intervals: [], sampleSize: 0)

  /// Quantile q of ascending `sorted` by linear interpolation between closest ranks (numpy's default).
  static func quantile(_ sorted: [Float], _ q: Double) -> Float {
    guard let first = sorted.first else { return 0 }
    guard sorted.count > 1 else { return first }
    let position = q * Double(sorted.count - 1)
    let lo = min(sorted.count - 2, Int(position.rounded(.down)))
    let fraction = position - Double(lo)
    return Float(Double(sorted[lo]) + fraction * (Double(sorted[lo + 1]) - Double(sorted[lo])))
  }

  /// Bands from the sample (the `capacity` firings of smallest priority). In each band the `perBand`
  /// members of smallest priority are its examples: a uniform draw from every firing in the band, because
  /// a band's smallest priorities are also below the sample's cut-off whenever the sample holds ≥ perBand
  /// of its members (fewer members: all of them are shown).
  static func compute(sample: [SampledFiring], maximum: Float, configuration c: FeatureAnalysisConfiguration,
                      quantileTitles: [String]) -> FeatureBands {
    guard !sample.isEmpty, maximum > 0 else { return .empty }
    let values = sample.map(\.value).sorted()
    let m = Double(sample.count)
    var edges = c.quantiles.map { quantile(values, $0) }
    edges[edges.count - 1] = max(edges[edges.count - 1], maximum)
    let quantileBands = edges.count - 1
    func quantileBand(_ v: Float) -> Int {
      var band = 0
      while band + 1 < edges.count, edges[band + 1] <= v { band += 1 }
      return min(band, quantileBands - 1)
    }
    let width = Double(maximum) / Double(c.intervals)
    func intervalBand(_ v: Float) -> Int { min(c.intervals - 1, Int(Double(v) / width)) }

    // Each band's picks: its `examplesPerBand` members of smallest priority (kept sorted while scanning).
    var quantileCounts = [Int](repeating: 0, count: quantileBands), intervalCounts = [Int](repeating: 0, count: c.intervals)
    var quantilePicks = [[SampledFiring]](repeating: [], count: quantileBands)
    var intervalPicks = [[SampledFiring]](repeating: [], count: c.intervals)
    let keep = c.examplesPerBand
    func offer(_ firing: SampledFiring, _ picks: inout [SampledFiring]) {
      guard keep > 0 else { return }
      if picks.count == keep {
        guard let last = picks.last, SampledFiring.before(firing, last) else { return }
        picks.removeLast()
      }
      var at = picks.count
      while at > 0, SampledFiring.before(firing, picks[at - 1]) { at -= 1 }
      picks.insert(firing, at: at)
    }
    for firing in sample {
      let q = quantileBand(firing.value), i = intervalBand(firing.value)
      quantileCounts[q] += 1
      intervalCounts[i] += 1
      offer(firing, &quantilePicks[q])
      offer(firing, &intervalPicks[i])
    }
    func picks(_ members: [SampledFiring]) -> [(window: Int32, position: Int32, value: Float)] {
      members.sorted { $0.value > $1.value || ($0.value == $1.value && SampledFiring.before($0, $1)) }
        .map { ($0.window, $0.position, $0.value) }
    }
    let quantiles = (0 ..< quantileBands).map { b in
      Band(title: quantileTitles[b], lower: edges[b], upper: edges[b + 1],
           share: Double(quantileCounts[b]) / m, picks: picks(quantilePicks[b]))
    }
    let intervals = (0 ..< c.intervals).map { b in
      let lower = Float(Double(b) * width), upper = b == c.intervals - 1 ? maximum : Float(Double(b + 1) * width)
      return Band(title: "interval \(short(lower))–\(short(upper))", lower: lower, upper: upper,
                  share: Double(intervalCounts[b]) / m, picks: picks(intervalPicks[b]))
    }
    return FeatureBands(quantiles: quantiles, intervals: intervals, sampleSize: sample.count)
  }

  /// "quantile 25–50%" for each band of the configuration.
  static func quantileTitles(_ c: FeatureAnalysisConfiguration) -> [String] {
    (0 ..< c.quantiles.count - 1).map { "quantile \(percent(c.quantiles[$0]))–\(percent(c.quantiles[$0 + 1]))%" }
  }

  static func percent(_ q: Double) -> String {
    let p = q * 100
    return p == p.rounded() ? String(Int(p)) : String(format: "%.4g", p)
  }

  /// Three significant digits, like printf's %.3g, without its cost for everyday magnitudes.
  static func short(_ v: Float) -> String {
    let x = Double(v)
    guard x != 0, x.isFinite else { return x == 0 ? "0" : "\(x)" }
    let exponent = Int(log10(abs(x)).rounded(.down))
    guard (-4 ..< 3).contains(exponent) else { return String(format: "%.3g", x) }
    let scale = pow(10, Double(2 - exponent))
    var text = "\((x * scale).rounded() / scale)"
    if text.hasSuffix(".0") { text.removeLast(2) }
    return text
  }
}
