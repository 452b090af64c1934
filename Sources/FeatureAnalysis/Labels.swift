import AtlasArtifacts
import Foundation

/// What a label's pattern tests on a held-out token.
enum LabelKind: UInt8, Sendable {
  case none        // dead feature: nothing to test
  case tokens      // the token is in one of the groups
  case bigrams     // (previous token's group, token's group) is one of the pairs
  case source      // the token comes from the corpus source
  case nextToken   // the next token is in one of the groups (labels built from logit effects)
}

/// A label before its held-out test: the pattern, its text, and how well it separates firing from
/// non-firing tokens on the analysis windows.
struct LabelDraft: Sendable, Equatable {
  var kind: LabelKind
  var terms: [UInt64]              // group ids, bigram keys (previous group << 32 | group) or the source id
  var text: String
  var pattern: [String]
  var basis: String
  var analysisAccuracy: Double     // balanced accuracy of the pattern on the analysis windows

  static let dead = LabelDraft(kind: .none, terms: [], text: "dead (never fired)", pattern: [], basis: "none",
                               analysisAccuracy: 0)
}

/// Corpus-wide counts over the analysis windows (position 0 excluded) that labels are contrasted with.
struct LabelContext {
  let vocabulary: TokenVocabulary
  let sourceNames: [String]
  let analysedTokens: Int
  let tokenCounts: [Int]             // [vocab]
  let groupCounts: [Int]             // [groups]
  let bigramCounts: [UInt64: Int]    // (previous group << 32 | group) -> count
  let sourceTokens: [Int]            // [sources]
  let configuration: FeatureAnalysisConfiguration
}

/// Labels without a language model. A label is the small set of terms (token groups, bigrams, or a source)
/// that best tells firing tokens from the rest on the analysis windows. Because the terms of one kind are
/// disjoint, the balanced accuracy of a set is 0.5 + Σ gain / 2 with
///   gain(term) = P(term | fires) − P(term | does not fire),
/// so terms are taken greedily by gain (a lift contrast weighted by coverage), while each adds at least
/// `labelMinGain`. Diffuse features fall back to their dominant source, then to their logit effects.
enum FeatureLabeler {
  static func draft(firings n: Int, tokens: [(key: UInt64, count: Int, sum: Double)], bigrams: [(key: UInt64, count: Int, sum: Double)],
                    sourceFirings: [Int], promoted: [(token: Int, value: Float)],
                    context x: LabelContext) -> LabelDraft {
    guard n > 0 else { return .dead }
    let c = x.configuration
    let rest = Double(max(0, x.analysedTokens - n))
    func gain(_ fired: Int, _ total: Int) -> Double {
      let p = Double(fired) / Double(n)
      return rest > 0 ? p - Double(max(0, total - fired)) / rest : p
    }
    func choose(_ scored: [(term: UInt64, gain: Double)]) -> (terms: [UInt64], accuracy: Double) {
      let ranked = scored.sorted { $0.gain > $1.gain || ($0.gain == $1.gain && $0.term < $1.term) }
      var terms: [UInt64] = []
      var total = 0.0
      for (index, entry) in ranked.enumerated() where terms.count < c.labelMaxTerms {
        guard index == 0 || entry.gain >= c.labelMinGain else { break }
        terms.append(entry.term)
        total += entry.gain
      }
      return (terms, 0.5 + total / 2)
    }

    // Token groups (case and space variants merged); remember the commonest raw token for display.
    var groupFirings: [Int32: Int] = [:]
    var groupShown: [Int32: (token: Int, count: Int)] = [:]
    for entry in tokens {
      let token = Int(entry.key), g = x.vocabulary.group[token]
      groupFirings[g, default: 0] += entry.count
      if let shown = groupShown[g], shown.count >= entry.count { continue }
      groupShown[g] = (token, entry.count)
    }
    var groupScores: [(term: UInt64, gain: Double)] = []
    for (g, fired) in groupFirings { groupScores.append((UInt64(g), gain(fired, x.groupCounts[Int(g)]))) }
    let tokenChoice = choose(groupScores)
    var bigramScores: [(term: UInt64, gain: Double)] = []
    for entry in bigrams { bigramScores.append((entry.key, gain(entry.count, x.bigramCounts[entry.key] ?? entry.count))) }
    let bigramChoice = choose(bigramScores)
    var sourceChoice: (term: UInt64, gain: Double)?
    for s in 0 ..< sourceFirings.count {
      let g = gain(sourceFirings[s], x.sourceTokens[s])
      if let current = sourceChoice, g <= current.gain { continue }
      sourceChoice = (UInt64(s), g)
    }

    func display(_ g: Int) -> String {
      if let shown = groupShown[Int32(g)] { return TokenVocabulary.labelText(x.vocabulary.texts[shown.token]) }
      var commonest = -1
      for member in x.vocabulary.members(ofGroup: g) where commonest < 0 || x.tokenCounts[Int(member)] > x.tokenCounts[commonest] {
        commonest = Int(member)
      }
      return TokenVocabulary.labelText(x.vocabulary.texts[max(0, commonest)])
    }
    func memberTexts(_ groups: [UInt64]) -> [String] {
      groups.flatMap { x.vocabulary.members(ofGroup: Int($0)).map { x.vocabulary.texts[Int($0)] } }
    }
    let tokenLabel = LabelDraft(kind: .tokens, terms: tokenChoice.terms,
                                text: tokenChoice.terms.map { display(Int($0)) }.joined(separator: " · "),
                                pattern: memberTexts(tokenChoice.terms), basis: "top tokens (case and space variants merged)",
                                analysisAccuracy: tokenChoice.accuracy)
    let split = { (key: UInt64) in (Int(key >> 32), Int(key & 0xFFFF_FFFF)) }
    let bigramLabel = LabelDraft(kind: .bigrams, terms: bigramChoice.terms,
                                 text: bigramChoice.terms.map { let (a, b) = split($0); return "\(display(a)) \(display(b))" }
                                   .joined(separator: " · "),
                                 pattern: bigramChoice.terms.map { let (a, b) = split($0)
                                   return "\(x.vocabulary.groupKeys[a]) \(x.vocabulary.groupKeys[b])" },
                                 basis: "bigrams: previous token, then the firing token (case and space variants merged)",
                                 analysisAccuracy: bigramChoice.accuracy)
    // A bigram label must halve the token label's error to be preferred: single tokens read more simply.
    let lexical = 1 - bigramLabel.analysisAccuracy < (1 - tokenLabel.analysisAccuracy) / 2
      && bigramLabel.analysisAccuracy > tokenLabel.analysisAccuracy + 0.01 ? bigramLabel : tokenLabel
    if lexical.analysisAccuracy >= c.diffuseThreshold { return lexical }

    if let source = sourceChoice, 0.5 + source.gain / 2 >= c.diffuseThreshold {
      let name = x.sourceNames[Int(source.term)]
      return LabelDraft(kind: .source, terms: [source.term], text: "\(name) context", pattern: [name],
                        basis: "corpus source (the tokens it fires on are diffuse)", analysisAccuracy: 0.5 + source.gain / 2)
    }
    // The strongest promoted tokens: the top one, and others within half of its effect (at most 3).
    var groups: [UInt64] = []
    var shown: [String] = []
    let strongest = promoted.first?.value ?? 0
    for (token, value) in promoted where groups.count < min(3, c.labelMaxTerms) && (groups.isEmpty || value >= strongest / 2) {
      let g = UInt64(x.vocabulary.group[token])
      guard !groups.contains(g) else { continue }
      groups.append(g)
      shown.append("'\(x.vocabulary.texts[token])'")
    }
    if !groups.isEmpty {
      return LabelDraft(kind: .nextToken, terms: groups, text: "→ promotes: " + shown.joined(separator: ", "),
                        pattern: memberTexts(groups),
                        basis: "logit effects (the tokens it fires on are diffuse; tested as: the next token is one of these)",
                        analysisAccuracy: 0)
    }
    return lexical
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
