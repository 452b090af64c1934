import AtlasArtifacts
import Foundation

/// Tokens and metadata of a window that holds examples.
struct StoredWindow: Sendable {
  var tokens: [Int]       // [T]
  var sources: [Int]      // [T]
  var documents: [Int]    // [T]
  var parts: [WordPart]   // [T] where each token sits in its word
  var words: [Int32]      // [T] the whole word (`WholeWords` id) each token is a piece of, or -1
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

/// Held-out counts for the detection test: per feature how many firings there were and how many of them
/// the label's pattern predicted. How many held-out tokens each pattern matches is counted in `finish`.
struct HeldOutCounts {
  var positives: [Int]              // [n]
  var truePositives: [Int]          // [n]
  var strongPositives: [[Int]]      // [n][candidates] firings that reach each candidate description's floor
  var describedPositives: [[Int]]   // [n][candidates] of those, firings on a token of the candidate's word set

  init(latents: Int, candidates: [Int] = []) {
    positives = [Int](repeating: 0, count: latents)
    truePositives = [Int](repeating: 0, count: latents)
    strongPositives = (0 ..< latents).map { [Int](repeating: 0, count: $0 < candidates.count ? candidates[$0] : 0) }
    describedPositives = strongPositives
  }

  /// Counts a firing of feature `f` with activation `value` on token group `group` (as `part` of the whole word
  /// `word`, or -1) for each candidate description whose floor (`floors`, activations) it reaches, and whether
  /// the candidate holds it.
  mutating func countStrong(_ f: Int, group: Int32, word: Int32, part: WordPart, value: Float, candidates: [DescriptionDraft],
                            floors: [Float]) {
    for (k, d) in candidates.enumerated() where value >= floors[k] {
      strongPositives[f][k] += 1
      if d.holds(group: group, word: word, part: part) { describedPositives[f][k] += 1 }
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
        try testLabels(on: window, firstRow: rowOffsets[w], codes: codes)
      } else {
        extractExamples(from: window, firstRow: rowOffsets[w], codes: codes)
      }
    }
  }

  private func extractExamples(from window: AnalysisWindow, firstRow: Int, codes: LatentCodes) {
    guard let ids = plan.byWindow[window.index] else { return }
    let T = window.tokens.count
    let parts = vocabulary.wordParts(window.tokens)
    var words = [Int32](repeating: -1, count: T)
    for run in TokenVocabulary.wordRuns(parts) {
      let id = wholeWords.id(of: vocabulary.wordKey(window.tokens, run)) ?? -1
      for q in run { words[q] = id }
    }
    stored[window.index] = StoredWindow(tokens: window.tokens, sources: window.sources, documents: window.documents,
                                        parts: parts, words: words)
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

  /// Counts, for each firing in a held-out window, whether the feature's label predicted it. The pattern is
  /// checked on the window's tokens as the first pass stored them.
  private func testLabels(on window: AnalysisWindow, firstRow: Int, codes: LatentCodes) throws(FeatureAnalysisError) {
    let T = window.tokens.count
    guard let span = heldOutText.span(window: window.index), span.length == T,
          (0 ..< T).allSatisfy({ heldOutText.groups[span.start + $0] == vocabulary.group[window.tokens[$0]] }) else {
      throw .malformedWindow(window: window.index, reason: "its tokens differ between the two passes")
    }
    let contextSpan = configuration.labelContextSpan
    let strongFloor = self.strongFloor
    for p in 1 ..< max(1, T) {
      let r = firstRow + p - 1
      for e in codes.rowStart[r] ..< codes.rowStart[r + 1] where codes.values[e] > 0 {
        let f = Int(codes.latents[e])
        heldOut.positives[f] += 1
        if drafts[f].matches(heldOutText, span, p, contextSpan: contextSpan) { heldOut.truePositives[f] += 1 }
        guard codes.values[e] >= strongFloor[f] else { continue }
        let at = span.start + p
        heldOut.countStrong(f, group: heldOutText.groups[at], word: heldOutText.words[at], part: heldOutText.parts[at],
                            value: codes.values[e], candidates: descriptionCandidates[f], floors: candidateFloors[f])
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
    let counts = PatternCounts(heldOutText, groups: vocabulary.groupCount, sources: sourceNames.count,
                               trigrams: vocabulary.groupCount < PatternKey.trigramLimit)
    let index = ContextIndex(heldOutText, groups: vocabulary.groupCount, span: c.labelContextSpan) { _, _ in true }
    var union = ContextIndex.Union(words: index.words)
    labels = (0 ..< latents).map { f in
      let draft = drafts[f]
      guard draft.kind != .none else {
        return FeatureLabel(text: draft.text, pattern: [], basis: draft.basis, evidence: nil, contradicted: false,
                            note: "never fired on the analysed tokens")
      }
      let evidence = FeatureLabeler.evidence(positives: heldOut.positives[f], truePositives: heldOut.truePositives[f],
                                             heldOutTokens: counts.tokens, matched: draft.matched(counts, index, union: &union))
      var note: String?
      if evidence.positives < c.minHeldOutFirings {
        note = "only \(evidence.positives) held-out firings (need ≥ \(c.minHeldOutFirings)): too little evidence"
      } else if evidence.balancedAccuracy < c.evidenceThreshold {
        note = String(format: "held-out balanced accuracy %.2f is below %.2f", evidence.balancedAccuracy, c.evidenceThreshold)
      }
      return FeatureLabel(text: draft.text, pattern: draft.pattern, basis: draft.basis, evidence: evidence,
                          contradicted: note != nil, note: note)
    }
    descriptions = (0 ..< latents).map { testDescription($0, counts: counts) }
    flags = (0 ..< latents).map(computeFlags)
    heldOutText = StoredTokens()
    phase = .finished
    return summary(heldOutTokens: counts.tokens)
  }

  /// The strict description if it holds up on the test windows, else the alternative that holds up best
  /// (highest balanced accuracy; ties: the earlier), else the strict one with why it did not hold up. A
  /// candidate repeated at a lower floor (`DescriptionDraft.broadens`) counts only where its original had
  /// too few strong firings to be tested.
  private func testDescription(_ f: Int, counts: PatternCounts) -> FeatureDescription? {
    let candidates = descriptionCandidates[f]
    guard state.firings[f] > 0, let strict = candidates.first, !strict.text.isEmpty else { return nil }
    let tested = candidates.indices.map { testDescription(f, candidate: $0, counts: counts) }
    if tested[0].status == .supported { return tested[0] }
    func accuracy(_ k: Int) -> Double { tested[k].evidence?.balancedAccuracy ?? 0 }
    func eligible(_ k: Int) -> Bool {
      tested[k].status == .supported && candidates[k].broadens.map { tested[$0].status == .insufficient } ?? true
    }
    // max(by:) keeps the first of equal elements.
    guard let best = tested.indices.dropFirst().filter(eligible).max(by: { accuracy($0) < accuracy($1) })
    else { return tested[0] }
    var notes: [String] = []
    let original = candidates[best].broadens ?? best
    if let fraction = candidates[best].floorFraction, candidates[best].broadens != nil {
      let strong = tested[original].evidence?.positives ?? 0
      notes.append(String(format: "tested on its firings at ≥ %.0f%% of its largest activation: only %d in the test windows reach %.0f%%",
                          fraction * 100, strong, configuration.descriptionStrongFraction * 100))
    } else if let fraction = candidates[best].floorFraction {
      notes.append(String(format: "composed and tested on its firings at ≥ %.0f%% of its largest activation only", fraction * 100))
    }
    if original != 0 {
      notes.append(strict.kind == .unclear
        ? "an alternative: no token, class or word set holds the usual share of its strong activation"
        : "held up in place of “\(strict.text)”: \(tested[0].note ?? "that did not hold up")")
    }
    var out = tested[best]
    out.note = notes.joined(separator: "; ")
    return out
  }

  /// One candidate's word set as a pattern on the held-out tokens, and its precision on the top examples.
  private func testDescription(_ f: Int, candidate k: Int, counts: PatternCounts) -> FeatureDescription {
    let d = descriptionCandidates[f][k], c = configuration
    guard d.kind != .unclear else {
      return FeatureDescription(text: "unclear", kind: .unclear, status: .unclear, words: d.shownWords, testedTokens: 0,
                                grounding: nil, coverage: 0, evidence: nil, topPrecision: nil,
                                note: "its firing tokens share no word class, concept or word form")
    }
    let matched = d.groups.reduce(0) { $0 + counts.tokens(in: $1) + descriptionTest.tokens(in: $1) }
      + d.parts.reduce(0) { $0 + counts.parts[Int($1.rawValue)] + descriptionTest.tokens(in: $1) }
    let described = k < heldOut.describedPositives[f].count ? heldOut.describedPositives[f][k] : 0
    let strong = k < heldOut.strongPositives[f].count ? heldOut.strongPositives[f][k] : 0
    let evidence = FeatureLabeler.evidence(positives: strong, truePositives: described,
                                           heldOutTokens: counts.tokens + descriptionTest.tokenCount, matched: matched)
    var hits = 0, tops = 0
    for id in plan.start[f] ..< plan.start[f] + Int(state.topWindows.sizes[f]) {
      guard let window = stored[Int(plan.window[id])], Int(plan.position[id]) < window.tokens.count else { continue }
      tops += 1
      let p = Int(plan.position[id])
      if d.holds(group: vocabulary.group[window.tokens[p]], word: window.words[p], part: window.parts[p]) { hits += 1 }
    }
    let precision = tops > 0 ? Double(hits) / Double(tops) : nil
    var status = DescriptionStatus.supported, note: String?
    if evidence.positives < c.descriptionMinFirings {
      status = .insufficient
      note = "only \(evidence.positives) strong firings in the test windows (need ≥ \(c.descriptionMinFirings)): too little evidence"
    } else if evidence.balancedAccuracy < c.descriptionThreshold {
      status = .unclear
      note = String(format: "held-out balanced accuracy %.2f is below %.2f", evidence.balancedAccuracy, c.descriptionThreshold)
    } else if let precision, precision < c.descriptionMinPrecision {
      status = .unclear
      note = String(format: "only %.0f%% of the top examples peak on its words (need %.0f%%)", precision * 100,
                    c.descriptionMinPrecision * 100)
    }
    return FeatureDescription(text: d.text, kind: d.kind, status: status, words: d.shownWords, testedTokens: d.testedTokens,
                              grounding: d.grounding, coverage: d.coverage, evidence: evidence, topPrecision: precision, note: note)
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

  private func summary(heldOutTokens: Int) -> FeatureAnalysisSummary {
    let c = configuration
    var counts = [Int](repeating: 0, count: c.densityHistogramBins)
    for f in 0 ..< latents where !flags[f].contains(.dead) {
      let x = (log10(density(f)) - c.densityHistogramLowerLog10) / c.densityHistogramBinWidth
      counts[x < 0 ? 0 : min(c.densityHistogramBins - 1, Int(x))] += 1
    }
    func count(_ flag: FeatureFlag) -> Int { flags.reduce(0) { $0 + ($1.contains(flag) ? 1 : 0) } }
    return FeatureAnalysisSummary(
      features: latents, analysedTokens: analysedTokens, heldOutTokens: heldOutTokens,
      densityHistogram: LogHistogram(lowerLog10: c.densityHistogramLowerLog10, binWidth: c.densityHistogramBinWidth, counts: counts),
      counts: ["dead": count(.dead), "dense": count(.dense), "singleToken": count(.singleToken),
               "contradictedLabels": labels.reduce(0) { $0 + ($1.contradicted ? 1 : 0) },
               "describedInWords": descriptions.reduce(0) { $0 + ($1?.status == .supported ? 1 : 0) }])
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

/// The analysis windows descriptions are tested on, beside the held-out windows: descriptions are composed
/// from the other analysis windows only, so these are held out from the description, and the test sees
/// several times more strong firings than the held-out windows alone hold. Kept as flat firings (feature,
/// token group, part of a word, activation) because what counts as a strong firing is known only when the
/// first pass ends.
struct DescriptionTestText {
  private var latents: [Int32] = []
  private var groups: [Int32] = []
  private var words: [Int32] = []
  private var parts: [WordPart] = []
  private var values: [Float] = []
  private var idTokens: [Int32: Int] = [:]   // token group or whole word -> tokens
  private var partTokens = [Int](repeating: 0, count: WordPart.allCases.count)
  private(set) var tokenCount = 0

  /// - Parameter word: the whole word (`WholeWords` id) the token is a piece of, or -1.
  mutating func add(group: Int32, word: Int32, part: WordPart, latents l: ArraySlice<Int32>, values v: ArraySlice<Float>) {
    tokenCount += 1
    idTokens[group, default: 0] += 1
    if word >= 0 { idTokens[word, default: 0] += 1 }
    partTokens[Int(part.rawValue)] += 1
    for (latent, value) in zip(l, v) where value > 0 {
      latents.append(latent)
      groups.append(group)
      words.append(word)
      parts.append(part)
      values.append(value)
    }
  }

  /// Tokens matching a word-set id: a token group, or a whole word.
  func tokens(in id: Int32) -> Int { idTokens[id] ?? 0 }
  func tokens(in part: WordPart) -> Int { partTokens[Int(part.rawValue)] }

  /// Adds the strong firings, and those on each description's word set, to the held-out counts; then frees
  /// the firings (the token counts stay for `tokens(in:)`).
  mutating func count(into heldOut: inout HeldOutCounts, floor: [Float], candidates: [[DescriptionDraft]], floors: [[Float]]) {
    for i in latents.indices {
      let f = Int(latents[i])
      guard f < floor.count, values[i] >= floor[f] else { continue }
      heldOut.countStrong(f, group: groups[i], word: words[i], part: parts[i], value: values[i], candidates: candidates[f],
                          floors: floors[f])
    }
    latents = []
    groups = []
    words = []
    parts = []
    values = []
  }
}
