import AtlasArtifacts
import Foundation

/// What a label's pattern tests on a token. Declared from simplest to most elaborate: a tie in score goes
/// to the earlier kind.
enum LabelKind: UInt8, Sendable, CaseIterable {
  case none            // dead feature: nothing to test
  case tokens          // the token is in one of the groups
  case source          // the token comes from one of the corpus sources
  case logitEffects    // the next token is one of the groups the feature promotes (its logit effects)
  case bigrams         // (previous token's group, token's group) is one of the pairs
  case context         // one of the groups occurs among the `labelContextSpan` tokens before the token
  case nextTokens      // the next token is in one of the groups (seen after its firings)
  case tokensInSource  // the token is in one of the groups and comes from one source
  case trigrams        // the two previous tokens' groups and the token's group are one of the triples

  /// Complexity beyond the number of terms, in units of `labelSimplicityCost`.
  var extraComplexity: Double {
    switch self {
    case .none, .tokens, .source: 0
    case .logitEffects: 0.5
    case .bigrams, .context, .nextTokens, .tokensInSource: 1
    case .trigrams: 2
    }
  }
}

/// A label before its held-out test: the pattern, its text, and how well it separates firing from
/// non-firing tokens on the analysis windows.
struct LabelDraft: Sendable, Equatable {
  var kind: LabelKind
  var terms: [UInt64]              // group ids, n-gram keys (`PatternKey`) or source ids
  var source: Int32 = -1           // `.tokensInSource`: the source
  var text: String
  var pattern: [String]
  var basis: String
  var analysisAccuracy: Double     // balanced accuracy of the pattern on the analysis windows
  var score: Double = 0            // analysisAccuracy less the simplicity cost: what the labeler maximises

  static let dead = LabelDraft(kind: .none, terms: [], text: "dead (never fired)", pattern: [], basis: "none",
                               analysisAccuracy: 0)

  /// Whether the pattern holds at position p (≥ 1) of a stored window.
  func matches(_ t: StoredTokens, _ span: StoredTokens.Span, _ p: Int, contextSpan: Int) -> Bool {
    let i = span.start + p
    let g = t.groups[i]
    switch kind {
    case .none: return false
    case .tokens: return terms.contains(UInt64(g))
    case .source: return terms.contains(UInt64(t.sources[i]))
    case .tokensInSource: return t.sources[i] == source && terms.contains(UInt64(g))
    case .bigrams: return terms.contains(PatternKey.bigram(t.groups[i - 1], g))
    case .trigrams: return p >= 2 && terms.contains(PatternKey.trigram(t.groups[i - 2], t.groups[i - 1], g))
    case .nextTokens, .logitEffects: return p + 1 < span.length && terms.contains(UInt64(t.groups[i + 1]))
    case .context:
      var j = max(span.start + 1, i - contextSpan)
      while j < i {
        if terms.contains(UInt64(t.groups[j])) { return true }
        j += 1
      }
      return false
    }
  }

  /// Counted tokens of a corpus the pattern matches (`union`: scratch for context patterns).
  func matched(_ counts: PatternCounts, _ context: ContextIndex, union: inout ContextIndex.Union) -> Int {
    switch kind {
    case .none: 0
    case .tokens: terms.reduce(0) { $0 + Int(counts.groups[Int($1)]) }
    case .source: terms.reduce(0) { $0 + counts.sources[Int($1)] }
    case .tokensInSource: terms.reduce(0) { $0 + Int(counts.groupsInSources[PatternKey.groupInSource(Int32($1), source)] ?? 0) }
    case .bigrams: terms.reduce(0) { $0 + Int(counts.bigrams[$1] ?? 0) }
    case .trigrams: terms.reduce(0) { $0 + Int(counts.trigrams[$1] ?? 0) }
    case .nextTokens, .logitEffects: terms.reduce(0) { $0 + Int(counts.next[Int($1)]) }
    case .context: context.unionCount(terms.map { Int($0) }, scratch: &union)
    }
  }
}

/// The analysis corpus labels are contrasted with.
struct LabelContext: Sendable {
  let vocabulary: TokenVocabulary
  let sourceNames: [String]
  let tokens: StoredTokens           // the analysis windows
  let counts: PatternCounts          // over every analysed token
  let context: ContextIndex          // over the background positions
  let backgroundScale: Double        // analysed tokens per background position (1: all are indexed)
  let tokenCounts: [Int]             // [vocab] for display: the commonest member shows a group
  let trigrams: Bool
  let configuration: FeatureAnalysisConfiguration
}

/// Per-worker scratch, reused across features; returned to zero after use.
struct LabelScratch {
  var groupCounts: [Int32]           // [groups]
  var union: ContextIndex.Union      // over the background positions

  init(groups: Int, context: ContextIndex) {
    groupCounts = [Int32](repeating: 0, count: groups)
    union = ContextIndex.Union(words: context.words)
  }
}

/// Balanced accuracy of a pattern on the analysis windows, from a uniform sample of the feature's firings
/// (the positives) and the pattern's count over all analysed tokens (firings included).
struct Contrast {
  let firings: Double      // n
  let sample: Double       // m sampled firings
  let negatives: Double    // analysed tokens − n

  func accuracy(hits: Int, matched: Double) -> Double {
    let tpr = Double(hits) / sample
    let falsePositives = max(0, matched - firings * tpr)
    let fpr = negatives > 0 ? min(1, falsePositives / negatives) : 0
    return 0.5 + (tpr - fpr) / 2
  }
}

/// Labels without a language model. Every kind of pattern (token groups, n-grams ending at the token,
/// context words before it, corpus source, token groups within a source, the next token, the tokens the
/// feature promotes) proposes its best small set of terms, chosen greedily by balanced accuracy on the
/// analysis windows; the candidate with the best accuracy, less a small cost per term and per kind of
/// complexity (`labelSimplicityCost`), is the label. Only then is it tested on the held-out windows.
enum FeatureLabeler {
  /// The feature's label: every kind's best pattern, scored on the analysis windows, the best score wins.
  /// `sample` is the feature's uniform sample of firings (all of them when it fired at most
  /// `quantileSampleSize` times): the positives every candidate is scored on.
  static func draft(firings n: Int, sample: [SampledFiring], promoted: [(token: Int, value: Float)],
                    context x: LabelContext, scratch: inout LabelScratch) -> LabelDraft {
    let candidates = candidates(firings: n, sample: sample, promoted: promoted, context: x, scratch: &scratch)
    guard var best = candidates.first else { return .dead }
    for candidate in candidates.dropFirst()
    where candidate.score > best.score || (candidate.score == best.score && candidate.kind.rawValue < best.kind.rawValue) {
      best = candidate
    }
    describe(&best, promoted: promoted, context: x)
    return best
  }

  /// One candidate per kind that has any term with enough support, scored but not yet described.
  static func candidates(firings n: Int, sample: [SampledFiring], promoted: [(token: Int, value: Float)],
                         context x: LabelContext, scratch: inout LabelScratch) -> [LabelDraft] {
    guard n > 0 else { return [] }
    let c = x.configuration
    let sites = sample.compactMap { firing -> Site? in
      guard let span = x.tokens.span(window: Int(firing.window)), Int(firing.position) < span.length else { return nil }
      return Site(span: span, p: Int(firing.position))
    }
    guard !sites.isEmpty else { return [] }
    let contrast = Contrast(firings: Double(n), sample: Double(sites.count), negatives: Double(max(0, x.counts.tokens - n)))
    let support = sites.count >= 2 * c.labelMinSupport ? c.labelMinSupport : 1
    let groups = x.tokens.groups, sources = x.tokens.sources
    var candidates: [LabelDraft] = []

    /// The best set of disjoint terms (each token matches at most one, so a set's hits and matches are
    /// sums): the 32 best single terms, then greedily the one that raises the set's accuracy most, while
    /// it raises it by at least `labelMinGain`.
    func disjoint(_ counted: [(key: UInt64, hits: Int)], matched: (UInt64) -> Double) -> (terms: [UInt64], accuracy: Double)? {
      var ranked: [(key: UInt64, hits: Int, matched: Double, accuracy: Double)] = []
      for entry in counted where entry.hits >= support {
        let m = matched(entry.key)
        ranked.append((entry.key, entry.hits, m, contrast.accuracy(hits: entry.hits, matched: m)))
      }
      guard !ranked.isEmpty else { return nil }
      ranked.sort { $0.accuracy > $1.accuracy || ($0.accuracy == $1.accuracy && $0.key < $1.key) }
      if ranked.count > 32 { ranked.removeLast(ranked.count - 32) }
      var chosen: [Int] = [], hits = 0, total = 0.0, current = 0.0
      while chosen.count < min(c.labelMaxTerms, ranked.count) {
        var best = -1, bestAccuracy = -Double.infinity
        for t in ranked.indices where !chosen.contains(t) {
          let a = contrast.accuracy(hits: hits + ranked[t].hits, matched: total + ranked[t].matched)
          if a > bestAccuracy { best = t; bestAccuracy = a }
        }
        guard best >= 0, chosen.isEmpty || bestAccuracy >= current + c.labelMinGain else { break }
        chosen.append(best)
        hits += ranked[best].hits
        total += ranked[best].matched
        current = bestAccuracy
      }
      return (chosen.map { ranked[$0].key }, current)
    }
    func add(_ kind: LabelKind, _ choice: (terms: [UInt64], accuracy: Double)?, source: Int32 = -1) {
      guard let choice, !choice.terms.isEmpty else { return }
      var draft = LabelDraft(kind: kind, terms: choice.terms, source: source, text: "", pattern: [], basis: "",
                             analysisAccuracy: choice.accuracy)
      draft.score = choice.accuracy - c.labelSimplicityCost * (kind.extraComplexity + Double(choice.terms.count - 1))
      candidates.append(draft)
    }
    /// Hits per group, counted in the dense scratch array.
    func countGroups(_ group: (Site) -> Int32?) -> [(key: UInt64, hits: Int)] {
      var seen: [Int32] = []
      for site in sites {
        guard let g = group(site) else { continue }
        if scratch.groupCounts[Int(g)] == 0 { seen.append(g) }
        scratch.groupCounts[Int(g)] += 1
      }
      defer { for g in seen { scratch.groupCounts[Int(g)] = 0 } }
      return seen.map { (UInt64($0), Int(scratch.groupCounts[Int($0)])) }
    }

    // Token groups; sources; the next token, seen or promoted.
    add(.tokens, disjoint(countGroups { groups[$0.i] }) { Double(x.counts.groups[Int($0)]) })
    add(.source, disjoint(runs(sites.map { UInt64(sources[$0.i]) })) { Double(x.counts.sources[Int($0)]) })
    let nextHits = countGroups { $0.p + 1 < $0.span.length ? groups[$0.i + 1] : nil }
    add(.nextTokens, disjoint(nextHits) { Double(x.counts.next[Int($0)]) })
    var promotedGroups: [UInt64] = []
    for (token, _) in promoted where !promotedGroups.contains(UInt64(x.vocabulary.group[token])) {
      promotedGroups.append(UInt64(x.vocabulary.group[token]))
    }
    add(.logitEffects, disjoint(nextHits.filter { promotedGroups.contains($0.key) }) { Double(x.counts.next[Int($0)]) })

    // N-grams ending at the token.
    add(.bigrams, disjoint(runs(sites.map { PatternKey.bigram(groups[$0.i - 1], groups[$0.i]) })) {
      Double(x.counts.bigrams[$0] ?? 0)
    })
    if x.trigrams {
      let keys = sites.compactMap { $0.p >= 2 ? PatternKey.trigram(groups[$0.i - 2], groups[$0.i - 1], groups[$0.i]) : nil }
      add(.trigrams, disjoint(runs(keys)) { Double(x.counts.trigrams[$0] ?? 0) })
    }

    // Token groups within one source: the best source's set.
    let inSources = runs(sites.map { PatternKey.groupInSource(groups[$0.i], sources[$0.i]) })
    var bestInSource: (terms: [UInt64], accuracy: Double, source: Int32)?
    for s in 0 ..< Int32(x.sourceNames.count) {
      let hits = inSources.filter { Int32($0.key & 0xFFFF_FFFF) == s }.map { (key: $0.key >> 32, hits: $0.hits) }
      let matched = { (g: UInt64) in Double(x.counts.groupsInSources[PatternKey.groupInSource(Int32(g), s)] ?? 0) }
      guard let choice = disjoint(hits, matched: matched) else { continue }
      if let current = bestInSource, current.accuracy >= choice.accuracy { continue }
      bestInSource = (choice.terms, choice.accuracy, s)
    }
    if let best = bestInSource { add(.tokensInSource, (best.terms, best.accuracy), source: best.source) }

    // Context words before the token.
    add(.context, contextChoice(sites: sites, contrast: contrast, support: support, context: x, scratch: &scratch))
    return candidates
  }

  /// A sampled firing: position p of a stored window.
  struct Site {
    var span: StoredTokens.Span
    var p: Int
    var i: Int { span.start + p }   // flat index
  }

  /// Run-length counts of keys, in key order.
  static func runs(_ keys: [UInt64]) -> [(key: UInt64, hits: Int)] {
    var out: [(key: UInt64, hits: Int)] = []
    for key in keys.sorted() {
      if let last = out.last, last.key == key { out[out.count - 1].hits += 1 } else { out.append((key, 1)) }
    }
    return out
  }
}
