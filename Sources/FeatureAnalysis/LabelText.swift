import AtlasArtifacts
import Foundation

extension FeatureLabeler {
  // MARK: - Context words

  /// The best set of context groups: "one of these occurs among the `labelContextSpan` tokens before it".
  /// Context sets overlap (one context holds several words), so a set is scored on the union of its
  /// groups: the `labelContextCandidates` best single groups each get a bit, every sampled firing gets the
  /// mask of the candidates in its context (hits are counted over distinct masks), and the background
  /// positions of the chosen groups are kept as a running union (`ContextIndex.Union`).
  static func contextChoice(sites: [Site], contrast: Contrast, support: Int,
                            context x: LabelContext, scratch: inout LabelScratch) -> (terms: [UInt64], accuracy: Double)? {
    let c = x.configuration, span = c.labelContextSpan
    var siteGroups: [Int32] = [], siteStart = [0], groups: [Int32] = []
    for site in sites {
      x.tokens.contextGroups(site.i, windowStart: site.span.start, span: span, into: &groups)
      siteGroups += groups
      siteStart.append(siteGroups.count)
    }
    var seen: [Int32] = []
    for g in siteGroups {
      if scratch.groupCounts[Int(g)] == 0 { seen.append(g) }
      scratch.groupCounts[Int(g)] += 1
    }
    var ranked: [(group: Int32, accuracy: Double)] = []
    for g in seen {
      let hits = Int(scratch.groupCounts[Int(g)])
      scratch.groupCounts[Int(g)] = 0
      guard hits >= support else { continue }
      ranked.append((g, contrast.accuracy(hits: hits, matched: Double(x.context.count(Int(g))) * x.backgroundScale)))
    }
    guard !ranked.isEmpty else { return nil }
    ranked.sort { $0.accuracy > $1.accuracy || ($0.accuracy == $1.accuracy && $0.group < $1.group) }
    ranked = Array(ranked.prefix(min(16, c.labelContextCandidates)))

    // Masks of the sampled firings, as (mask, count) over distinct masks.
    var siteMasks: [UInt16] = []
    siteMasks.reserveCapacity(sites.count)
    for s in sites.indices {
      var mask: UInt16 = 0
      for g in siteGroups[siteStart[s] ..< siteStart[s + 1]] {
        if let bit = ranked.firstIndex(where: { $0.group == g }) { mask |= 1 << UInt16(bit) }
      }
      siteMasks.append(mask)
    }
    var positives: [(mask: UInt16, count: Int)] = []
    for mask in siteMasks.sorted() where mask != 0 {
      if let last = positives.last, last.mask == mask { positives[positives.count - 1].count += 1 } else { positives.append((mask, 1)) }
    }
    // Greedy over the candidates, keeping the union of the chosen groups' background positions.
    var chosen: [Int] = [], bits: UInt16 = 0, current = 0.0
    defer { scratch.union.clear() }
    while chosen.count < min(c.labelMaxTerms, ranked.count) {
      var best = -1, bestAccuracy = -Double.infinity
      for candidate in ranked.indices where bits & 1 << UInt16(candidate) == 0 {
        let set = bits | 1 << UInt16(candidate)
        var hits = 0
        for entry in positives where entry.mask & set != 0 { hits += entry.count }
        let matched = scratch.union.count + scratch.union.added(by: Int(ranked[candidate].group), in: x.context)
        let accuracy = contrast.accuracy(hits: hits, matched: Double(matched) * x.backgroundScale)
        if accuracy > bestAccuracy { best = candidate; bestAccuracy = accuracy }
      }
      guard best >= 0, chosen.isEmpty || bestAccuracy >= current + c.labelMinGain else { break }
      chosen.append(best)
      bits |= 1 << UInt16(best)
      scratch.union.add(Int(ranked[best].group), in: x.context)
      current = bestAccuracy
    }
    return (chosen.map { UInt64(ranked[$0].group) }, current)
  }

  // MARK: - Text

  /// Sets the label's text (what a reader sees), pattern (the terms the test checks) and basis (what
  /// kind of pattern it is and how it is tested).
  static func describe(_ d: inout LabelDraft, promoted: [(token: Int, value: Float)], context x: LabelContext) {
    let v = x.vocabulary
    let groups = d.terms.map { Int($0) }
    func shown(_ g: Int) -> Int {
      var commonest = -1
      for member in v.members(ofGroup: g) where commonest < 0 || x.tokenCounts[Int(member)] > x.tokenCounts[commonest] {
        commonest = Int(member)
      }
      return max(0, commonest)
    }
    func display(_ g: Int) -> String { TokenVocabulary.labelText(v.texts[shown(g)]) }
    func members(_ groups: [Int]) -> [String] { groups.flatMap { v.members(ofGroup: $0).map { v.texts[Int($0)] } } }
    func ngram(_ parts: [Int]) -> String { "‘" + TokenVocabulary.phraseText(parts.map { v.texts[shown($0)] }) + "’" }
    let sourceName = d.source >= 0 && Int(d.source) < x.sourceNames.count ? x.sourceNames[Int(d.source)] : ""
    let span = x.configuration.labelContextSpan
    switch d.kind {
    case .none:
      return
    case .tokens:
      d.text = groups.map(display).joined(separator: " · ")
      d.pattern = members(groups)
      d.basis = "tokens: the token is one of these (case and space variants merged)"
    case .source:
      let names = groups.map { x.sourceNames[$0] }
      d.text = names.joined(separator: " · ") + " context"
      d.pattern = names
      d.basis = "corpus source: the token comes from " + (names.count == 1 ? "this source" : "one of these sources")
    case .tokensInSource:
      d.text = groups.map(display).joined(separator: " · ") + " in " + sourceName
      d.pattern = members(groups) + [sourceName]
      d.basis = "tokens in one source: the token is one of these (case and space variants merged) and comes from \(sourceName)"
    case .bigrams:
      d.text = d.terms.map { ngram(PatternKey.parts(bigram: $0)) }.joined(separator: " · ")
      d.pattern = d.terms.map { PatternKey.parts(bigram: $0).map { v.groupKeys[$0] }.joined(separator: " ") }
      d.basis = "bigrams: the previous token and the token are one of these pairs (case and space variants merged)"
    case .trigrams:
      d.text = d.terms.map { ngram(PatternKey.parts(trigram: $0)) }.joined(separator: " · ")
      d.pattern = d.terms.map { PatternKey.parts(trigram: $0).map { v.groupKeys[$0] }.joined(separator: " ") }
      d.basis = "trigrams: the two previous tokens and the token are one of these (case and space variants merged)"
    case .context:
      d.text = "after: " + groups.map(display).joined(separator: " · ")
      d.pattern = members(groups)
      d.basis = "context: one of these tokens is among the \(span) tokens before it (case and space variants merged)"
    case .nextTokens:
      d.text = "before: " + groups.map(display).joined(separator: " · ")
      d.pattern = members(groups)
      d.basis = "next token: the token after it is one of these (case and space variants merged)"
    case .logitEffects:
      let texts = groups.map { g in promoted.first { Int(v.group[$0.token]) == g }.map { v.texts[$0.token] } ?? v.texts[shown(g)] }
      d.text = "→ promotes: " + texts.map { "'\($0)'" }.joined(separator: ", ")
      d.pattern = members(groups)
      d.basis = "logit effects: tokens it promotes; tested as: the next token is one of these"
    }
  }

  /// Detection scores of a pattern on the held-out tokens: every firing is a positive, every other held-out
  /// token a negative (all of them, so there is no sampling error).
  static func evidence(positives: Int, truePositives: Int, heldOutTokens: Int, matched: Int) -> LabelEvidence {
    let negatives = max(0, heldOutTokens - positives)
    let falsePositives = max(0, matched - truePositives)
    let trueNegatives = max(0, negatives - falsePositives)
    let tpr = positives > 0 ? Double(truePositives) / Double(positives) : 0
    let tnr = negatives > 0 ? Double(trueNegatives) / Double(negatives) : 0
    return LabelEvidence(balancedAccuracy: (tpr + tnr) / 2, truePositiveRate: tpr, trueNegativeRate: tnr,
                         positives: positives, negatives: negatives)
  }
}

extension TokenVocabulary {
  /// How a run of tokens is written inside a label: their texts joined, trimmed at the ends, line breaks
  /// and tabs made visible (" of" + " the" -> "of the", "G" + "." + "add" -> "G.add").
  static func phraseText(_ texts: [String]) -> String {
    var out = ""
    for ch in texts.joined() {
      switch ch {
      case "\n", "\r\n": out += "↵"
      case "\t": out += "⇥"
      default: out.append(ch)
      }
    }
    let trimmed = out.trimmingCharacters(in: .whitespaces)
    return trimmed.isEmpty ? texts.map(labelText).joined() : trimmed
  }
}
