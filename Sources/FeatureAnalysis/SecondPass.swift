import AtlasArtifacts
import Foundation

/// Tokens and metadata of a window that holds examples.
struct StoredWindow: Sendable {
  var tokens: [Int]       // [T]
  var sources: [Int]      // [T]
  var documents: [Int]    // [T]
}

/// The examples every feature shows, fixed when the first pass ends and filled by the second.
/// Feature f owns examples start[f] ..< start[f + 1]: its top windows best first, then the picks of each
/// quantile band, then those of each interval (the counts come from `TopWindows` and `FeatureBands`).
struct ExamplePlan {
  var start: [Int] = [0]            // [n + 1]
  var window: [Int32] = []          // [examples]
  var position: [Int32] = []        // [examples] peak of a top window, or the sampled token
  var feature: [Int32] = []         // [examples]
  var byWindow: [Int: [Int32]] = [:] // window -> its example ids, ascending
  // Filled by the second pass.
  var spanStart: [Int32] = []       // [examples] first shown position (≥ 1)
  var spanLength: [Int32] = []      // [examples]
  var spanOffset: [Int] = []        // [examples] into `arena`
  var arena: [Float] = []           // shown activations of all examples

  init() {}

  init(analyzer a: FeatureAnalyzer) {
    for f in 0 ..< a.latents {
      for top in a.state.topWindows.ranked(f) { add(f, Int32(top.window), Int32(top.peak)) }
      for band in a.bands[f].quantiles + a.bands[f].intervals {
        for pick in band.picks { add(f, pick.window, pick.position) }
      }
      start.append(window.count)
    }
    for (id, w) in window.enumerated() { byWindow[Int(w), default: []].append(Int32(id)) }
    spanStart = [Int32](repeating: 0, count: window.count)
    spanLength = [Int32](repeating: 0, count: window.count)
    spanOffset = [Int](repeating: -1, count: window.count)
  }

  private mutating func add(_ f: Int, _ w: Int32, _ p: Int32) {
    window.append(w)
    position.append(p)
    feature.append(Int32(f))
  }
}

/// Held-out counts for the detection test: how many held-out tokens match each kind of term, and per
/// feature how many firings there were and how many of them the label's pattern predicted.
struct HeldOutCounts {
  var tokens = 0
  var groupCounts: [Int]            // [groups] tokens in the group
  var nextGroupCounts: [Int]        // [groups] tokens followed by a token of the group
  var bigramCounts: [UInt64: Int] = [:]
  var sourceTokens: [Int]           // [sources]
  var positives: [Int]              // [n]
  var truePositives: [Int]          // [n]

  init(groups: Int, sources: Int, latents: Int) {
    groupCounts = [Int](repeating: 0, count: groups)
    nextGroupCounts = [Int](repeating: 0, count: groups)
    sourceTokens = [Int](repeating: 0, count: sources)
    positives = [Int](repeating: 0, count: latents)
    truePositives = [Int](repeating: 0, count: latents)
  }

  /// Held-out tokens the draft's pattern predicts as firing.
  func matched(_ draft: LabelDraft) -> Int {
    switch draft.kind {
    case .none: 0
    case .tokens: draft.terms.reduce(0) { $0 + groupCounts[Int($1)] }
    case .bigrams: draft.terms.reduce(0) { $0 + (bigramCounts[$1] ?? 0) }
    case .source: draft.terms.reduce(0) { $0 + sourceTokens[Int($1)] }
    case .nextToken: draft.terms.reduce(0) { $0 + nextGroupCounts[Int($1)] }
    }
  }
}

extension FeatureAnalyzer {
  // MARK: - Second pass

  /// Feeds windows again with their codes. Windows not in `requestedWindows`, and windows already
  /// collected, are skipped, so the pipeline may simply stream everything a second time. The codes must be
  /// the ones the first pass saw (cache them, or encode deterministically).
  public func collect(_ windows: [AnalysisWindow], codes: LatentCodes) throws(FeatureAnalysisError) {
    guard phase == .secondPass else { throw .outOfOrder(call: "collect", phase: phase.rawValue) }
    let rowOffsets = try validateBatch(windows, codes, latents: latents, vocabulary: vocabulary.size, sources: sourceNames.count)
    for (w, window) in windows.enumerated() where !collected.contains(window.index) {
      let isHeldOut = heldOutWindows.contains(window.index)
      guard isHeldOut || plan.byWindow[window.index] != nil else { continue }
      guard window.heldOut == isHeldOut else {
        throw .malformedWindow(window: window.index, reason: "its held-out flag differs between the two passes")
      }
      collected.insert(window.index)
      if isHeldOut {
        testLabels(on: window, firstRow: rowOffsets[w], codes: codes)
      } else {
        extractExamples(from: window, firstRow: rowOffsets[w], codes: codes)
      }
    }
  }

  private func extractExamples(from window: AnalysisWindow, firstRow: Int, codes: LatentCodes) {
    guard let ids = plan.byWindow[window.index] else { return }
    let T = window.tokens.count
    stored[window.index] = StoredWindow(tokens: window.tokens, sources: window.sources, documents: window.documents)
    var slots: [Int32: Int] = [:]
    for id in ids where slots[plan.feature[Int(id)]] == nil { slots[plan.feature[Int(id)]] = slots.count }
    var dense = [Float](repeating: 0, count: slots.count * T)   // [features here, T]
    for p in 1 ..< max(1, T) {
      let r = firstRow + p - 1
      for e in codes.rowStart[r] ..< codes.rowStart[r + 1] where codes.values[e] > 0 {
        if let slot = slots[codes.latents[e]] { dense[slot * T + p] = codes.values[e] }
      }
    }
    let radius = configuration.contextRadius
    for id32 in ids {
      let id = Int(id32)
      let p = Int(plan.position[id])
      let lo = radius.map { max(1, p - $0) } ?? 1
      let hi = radius.map { min(T - 1, p + $0) } ?? T - 1
      guard let slot = slots[plan.feature[id]], p < T, lo <= hi else { continue }   // a window that changed length
      plan.spanStart[id] = Int32(lo)
      plan.spanLength[id] = Int32(hi - lo + 1)
      plan.spanOffset[id] = plan.arena.count
      plan.arena.append(contentsOf: dense[slot * T + lo ... slot * T + hi])
    }
  }

  private func testLabels(on window: AnalysisWindow, firstRow: Int, codes: LatentCodes) {
    let ids = window.tokens, T = ids.count
    let group = vocabulary.group
    for p in 1 ..< max(1, T) {
      let g = Int(group[ids[p]])
      let next = p + 1 < T ? Int(group[ids[p + 1]]) : -1
      let source = window.sources[p]
      let bigram = pairKey(ids[p - 1], ids[p])
      heldOut.tokens += 1
      heldOut.groupCounts[g] += 1
      heldOut.sourceTokens[source] += 1
      heldOut.bigramCounts[bigram, default: 0] += 1
      if next >= 0 { heldOut.nextGroupCounts[next] += 1 }
      let r = firstRow + p - 1
      for e in codes.rowStart[r] ..< codes.rowStart[r + 1] where codes.values[e] > 0 {
        let f = Int(codes.latents[e])
        heldOut.positives[f] += 1
        let draft = drafts[f]
        let hit: Bool = switch draft.kind {
        case .none: false
        case .tokens: draft.terms.contains(UInt64(g))
        case .bigrams: draft.terms.contains(bigram)
        case .source: draft.terms.contains(UInt64(source))
        case .nextToken: next >= 0 && draft.terms.contains(UInt64(next))
        }
        if hit { heldOut.truePositives[f] += 1 }
      }
    }
  }

  /// Ends the second pass: tests every label on the held-out tokens, sets the flags, and returns what the
  /// features manifest records. Throws if a requested window was never collected.
  public func finish() throws(FeatureAnalysisError) -> FeatureAnalysisSummary {
    guard phase == .secondPass else { throw .outOfOrder(call: "finish", phase: phase.rawValue) }
    let missing = requestedWindows.filter { !collected.contains($0) }
    guard missing.isEmpty else { throw .missingWindows(count: missing.count, first: Array(missing.prefix(5))) }
    let c = configuration
    labels = (0 ..< latents).map { f in
      let draft = drafts[f]
      guard draft.kind != .none else {
        return FeatureLabel(text: draft.text, pattern: [], basis: draft.basis, evidence: nil, contradicted: false,
                            note: "never fired on the analysed tokens")
      }
      let evidence = FeatureLabeler.evidence(positives: heldOut.positives[f], truePositives: heldOut.truePositives[f],
                                             heldOutTokens: heldOut.tokens, matched: heldOut.matched(draft))
      var note: String?
      if evidence.positives < c.minHeldOutFirings {
        note = "only \(evidence.positives) held-out firings (need ≥ \(c.minHeldOutFirings)): too little evidence"
      } else if evidence.balancedAccuracy < c.evidenceThreshold {
        note = String(format: "held-out balanced accuracy %.2f is below %.2f", evidence.balancedAccuracy, c.evidenceThreshold)
      }
      return FeatureLabel(text: draft.text, pattern: draft.pattern, basis: draft.basis, evidence: evidence,
                          contradicted: note != nil, note: note)
    }
    flags = (0 ..< latents).map(computeFlags)
    phase = .finished
    return summary()
  }

  func density(_ f: Int) -> Double { analysedTokens > 0 ? Double(state.firings[f]) / Double(analysedTokens) : 0 }

  private func computeFlags(_ f: Int) -> [FeatureFlag] {
    let c = configuration, d = density(f), n = state.firings[f]
    var out: [FeatureFlag] = []
    if d <= c.deadThreshold { out.append(.dead) }
    if d > c.denseThreshold { out.append(.dense) }
    if n > 0, let top = state.tokens.entries(f).first, Double(top.count) >= c.singleTokenShare * Double(n) {
      out.append(.singleToken)
    }
    return out
  }

  private func summary() -> FeatureAnalysisSummary {
    let c = configuration
    var counts = [Int](repeating: 0, count: c.densityHistogramBins)
    for f in 0 ..< latents where !flags[f].contains(.dead) {
      let x = (log10(density(f)) - c.densityHistogramLowerLog10) / c.densityHistogramBinWidth
      counts[x < 0 ? 0 : min(c.densityHistogramBins - 1, Int(x))] += 1
    }
    func count(_ flag: FeatureFlag) -> Int { flags.reduce(0) { $0 + ($1.contains(flag) ? 1 : 0) } }
    return FeatureAnalysisSummary(
      features: latents, analysedTokens: analysedTokens, heldOutTokens: heldOut.tokens,
      densityHistogram: LogHistogram(lowerLog10: c.densityHistogramLowerLog10, binWidth: c.densityHistogramBinWidth, counts: counts),
      counts: ["dead": count(.dead), "dense": count(.dense), "singleToken": count(.singleToken),
               "contradictedLabels": labels.reduce(0) { $0 + ($1.contradicted ? 1 : 0) }])
  }
}

/// What the features manifest records about a run.
public struct FeatureAnalysisSummary: Sendable, Equatable {
  public var features: Int
  public var analysedTokens: Int
  public var heldOutTokens: Int
  public var densityHistogram: LogHistogram   // log10 density across live features
  public var counts: [String: Int]            // "dead", "dense", "singleToken", "contradictedLabels"
}
