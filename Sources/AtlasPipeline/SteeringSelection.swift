import AtlasArtifacts
import Foundation

extension SteeringStage {
  /// English function words of three letters or more (and Early Modern ones the default corpus is full of).
  static let functionWords: Set<String> = [
    "the", "and", "you", "your", "yours", "that", "this", "these", "those", "with", "for", "are", "was", "were", "his", "her",
    "hers", "him", "she", "they", "them", "their", "our", "ours", "its", "not", "but", "all", "have", "has", "had", "from",
    "what", "which", "who", "whom", "whose", "when", "where", "will", "would", "can", "could", "should", "there", "here",
    "then", "than", "into", "out", "about", "been", "being", "one", "any", "some", "more", "most", "such", "only", "also",
    "very", "just", "how", "why", "may", "might", "must", "shall", "each", "both", "own", "other", "over", "under", "upon",
    "unto", "yet", "nor", "too", "did", "does", "doing", "now", "well", "let", "thou", "thee", "thy", "thine", "hath",
    "doth", "art", "shalt", "wilt", "didst", "hast", "dost", "ye",
  ]

  /// How much a feature reads as a concept in words, or nil when it cannot be a showcase candidate.
  /// A supported description in words ranks first: a concept (a WordNet class its words share) in [2, 3],
  /// forms of one word in [1, 2], by the share of its firings the description's words cover. Otherwise
  /// (no description, or a lexical, syntactic or unclear one) from its top tokens, in [0.6, 1]: the
  /// count-weighted share that are alphabetic words of at least three letters, required to span at least
  /// three different words (a concept fires on "smooth", "glide", "slide", not on one token). Function words
  /// ("the", "you", "thou") are words but not concepts: they do not count. Features whose description is
  /// syntactic, or whose label is about the tokens around them (context, next token, bigrams), are never
  /// candidates.
  public static func meaningScore(_ r: FeatureRecord) -> Double? {
    if let d = r.description, d.status == .supported {
      switch d.kind {
      case .concept: return 2 + min(1, max(0, d.coverage))
      case .wordForms: return 1 + min(1, max(0, d.coverage))
      case .syntactic: return nil
      case .lexical, .unclear: break
      }
    }
    // A feature about position (the tokens around it, whatever they mean) is not a concept, even when the
    // tokens it fires on are words: "after: the · a" fires on any noun after an article.
    if r.description?.kind == .syntactic { return nil }
    for prefix in ["context", "next token", "bigrams"] where r.label.basis.hasPrefix(prefix) { return nil }
    var words = Set<String>()
    var wordCount = 0, total = 0
    for t in r.topTokens.prefix(20) {
      total += t.count
      let trimmed = t.token.trimmingCharacters(in: .whitespaces)
      let letters = trimmed.unicodeScalars.allSatisfy { CharacterSet.letters.contains($0) }
      if letters, trimmed.unicodeScalars.count >= 3, !functionWords.contains(trimmed.lowercased()) {
        wordCount += t.count
        words.insert(trimmed.lowercased())
      }
    }
    guard total > 0, words.count >= 3 else { return nil }
    let share = Double(wordCount) / Double(total)
    return share >= 0.6 ? share : nil
  }

  /// Picks candidates: configured features first, then live, not dense, not single-token features with a
  /// meaning score, one per coarse cluster in turn (clusters by size; within a cluster by meaning score,
  /// then by firings), until `count` (default: `automatic`) are chosen.
  public static func select(records: [FeatureRecord], coarseAssignments: [Int], configuration: SteeringConfiguration,
                            count: Int? = nil, meaning: (FeatureRecord) -> Double? = meaningScore)
    -> [(feature: Int, reason: String)]
  {
    var chosen: [(Int, String)] = []
    var taken = Set<Int>()
    for f in configuration.features where f >= 0 && f < records.count && !taken.contains(f) {
      chosen.append((f, "configured"))
      taken.insert(f)
    }
    var byCluster: [Int: [(record: FeatureRecord, score: Double)]] = [:]
    for r in records where !r.flags.contains(.dead) && !r.flags.contains(.dense) && !r.flags.contains(.singleToken) && r.firings >= 10 {
      if configuration.minimumEvidence > 0 {
        guard let e = r.label.evidence, e.balancedAccuracy >= configuration.minimumEvidence else { continue }
      }
      guard let score = meaning(r) else { continue }
      let cluster = r.index < coarseAssignments.count ? coarseAssignments[r.index] : 0
      byCluster[cluster, default: []].append((r, score))
    }
    for key in byCluster.keys {
      byCluster[key]?.sort { a, b in
        a.score != b.score ? a.score > b.score : a.record.firings != b.record.firings ? a.record.firings > b.record.firings
          : a.record.index < b.record.index
      }
    }
    let clusters = byCluster.keys.sorted { a, b in
      let (na, nb) = (byCluster[a]?.count ?? 0, byCluster[b]?.count ?? 0)
      return na != nb ? na > nb : a < b
    }
    let wanted = count ?? configuration.automatic
    var round = 0, added = 0
    while added < wanted {
      var progressed = false
      for cluster in clusters where added < wanted {
        guard let list = byCluster[cluster], round < list.count else { continue }
        let (r, score) = list[round]
        progressed = true
        guard !taken.contains(r.index) else { continue }
        taken.insert(r.index)
        if score >= 1, let d = r.description {
          chosen.append((r.index, "automatic: described as \(d.text), coarse cluster \(cluster)"))
        } else {
          let words = r.topTokens.prefix(3).map { $0.token.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")
          chosen.append((r.index, String(format: "automatic: word-like top tokens (%.0f%%: %@), coarse cluster %d", score * 100, words, cluster)))
        }
        added += 1
      }
      if !progressed { break }
      round += 1
    }
    return chosen
  }
}
