import AtlasArtifacts

extension FeatureAnalyzer {
  /// The records of `range` (e.g. one shard), after `finish()`.
  /// `displayPieces` gives the per-token display text of a token sequence (multi-byte safe); it is called
  /// once per example window, on positions 1..<T, and the result is cached.
  public func records(_ range: Range<Int>, displayPieces: ([Int]) -> [String]) throws(FeatureAnalysisError) -> [FeatureRecord] {
    guard phase == .finished else { throw .outOfOrder(call: "records", phase: phase.rawValue) }
    guard range.lowerBound >= 0, range.upperBound <= latents else {
      throw .invalidInput(what: "feature range", expected: "within 0..<\(latents)", found: "\(range)")
    }
    var out: [FeatureRecord] = []
    out.reserveCapacity(range.count)
    for f in range { out.append(try record(f, displayPieces: displayPieces)) }
    return out
  }

  private func record(_ f: Int, displayPieces: ([Int]) -> [String]) throws(FeatureAnalysisError) -> FeatureRecord {
    let c = configuration
    let n = state.firings[f], S = sourceNames.count
    let histogram = LogHistogram(lowerLog10: c.histogramLowerLog10, binWidth: c.histogramBinWidth,
                                 counts: (0 ..< c.histogramBins).map { Int(state.histogram[f * c.histogramBins + $0]) })
    let topTokens = state.tokens.entries(f).prefix(c.topTokens).map {
      TokenCount(token: vocabulary.texts[Int($0.key)], count: $0.count, meanActivation: Float($0.sum / Double($0.count)))
    }
    // Examples, in plan order: top windows, quantile band picks, interval picks.
    var next = plan.start[f]
    func take(_ count: Int) throws(FeatureAnalysisError) -> [ExampleWindow] {
      var examples: [ExampleWindow] = []
      for _ in 0 ..< count {
        if let example = try example(next, displayPieces: displayPieces) { examples.append(example) }
        next += 1
      }
      return examples
    }
    let topExamples = try take(Int(state.topWindows.sizes[f]))
    func groups(_ bands: [Band]) throws(FeatureAnalysisError) -> [SampleGroup] {
      var out: [SampleGroup] = []
      for band in bands {
        out.append(SampleGroup(title: band.title, lower: band.lower, upper: band.upper, share: band.share,
                               examples: try take(band.picks.count)))
      }
      return out
    }
    let quantileSamples = try groups(bands[f].quantiles)
    let intervalSamples = try groups(bands[f].intervals)

    // Shares are of the feature's firings; the dominant source is where it fires most often relative to
    // the source's size (firings in the source / analysed tokens of the source), so a big source does not
    // dominate by volume alone.
    var shares: [String: Double] = [:]
    var dominant: String?
    if n > 0 {
      var best = -1, bestRate = 0.0
      for s in 0 ..< S {
        let count = Int(state.sourceFirings[f * S + s])
        shares[sourceNames[s], default: 0] += Double(count) / Double(n)
        guard sourceTokens[s] > 0 else { continue }
        let rate = Double(count) / Double(sourceTokens[s])
        if best < 0 || rate > bestRate { best = s; bestRate = rate }
      }
      dominant = best >= 0 ? sourceNames[best] : nil
    }
    let promoted = logitEffects?.promoted(f).map { TokenValue(token: vocabulary.texts[$0.token], value: $0.value) } ?? []
    let suppressed = logitEffects?.suppressed(f).map { TokenValue(token: vocabulary.texts[$0.token], value: $0.value) } ?? []
    return FeatureRecord(
      index: f, density: density(f), meanActivation: n > 0 ? Float(state.sums[f] / Double(n)) : 0,
      maxActivation: state.maxima[f], flags: flags[f], label: labels[f], histogram: histogram, topTokens: topTokens,
      topExamples: topExamples, quantileSamples: quantileSamples, intervalSamples: intervalSamples,
      promotedTokens: promoted, suppressedTokens: suppressed,
      decoderNeighbours: decoderNeighbours?.neighbours(of: f) ?? [], coactivationNeighbours: coactivation?.neighbours(of: f) ?? [],
      dominantSource: dominant, sourceShares: shares, firings: n, sampledFirings: bands[f].sampleSize,
      description: descriptions.indices.contains(f) ? descriptions[f] : nil)
  }

  private func example(_ id: Int, displayPieces: ([Int]) -> [String]) throws(FeatureAnalysisError) -> ExampleWindow? {
    let w = Int(plan.window[id])
    guard plan.spanOffset[id] >= 0, let window = stored[w] else { return nil }
    let T = window.tokens.count
    if pieces[w] == nil {
      let shown = displayPieces(Array(window.tokens[1...]))
      guard shown.count == T - 1 else {
        throw .invalidInput(what: "display pieces of window \(w)", expected: "\(T - 1) pieces (one per token)", found: "\(shown.count)")
      }
      pieces[w] = shown
    }
    let texts = pieces[w] ?? []
    let lo = Int(plan.spanStart[id]), length = Int(plan.spanLength[id]), p = Int(plan.position[id])
    let offset = plan.spanOffset[id]
    return ExampleWindow(tokens: Array(texts[lo - 1 ..< lo - 1 + length]), activations: Array(plan.arena[offset ..< offset + length]),
                         peak: p - lo, source: sourceNames[window.sources[p]], document: window.documents[p], window: w,
                         start: lo - 1)
  }
}
