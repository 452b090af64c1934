import AtlasArtifacts

/// The features the "brain scan" shows: for a topic word that `feature-atlas probe` measured, the features
/// that fire more on text about it than on neutral text; for another word, those whose label or top tokens
/// match it; when no word is given or none matches, the most coherent cluster of the map.
package struct Topic: Sendable, Equatable {
  package enum Source: Sendable, Equatable {
    case probed([String])                     // measured by `probe`: fire more on text about these words
    case words([String])                      // matched the topic words in labels and top tokens
    case cluster(level: Int, id: Int)         // the most coherent cluster (no word given, or none matched)
  }
  package var name: String                     // how the text names the topic
  package var source: Source
  package var features: [Int]                  // best match first
  package var unmatched: [String]              // topic words no feature matched
}

package enum TopicSelection {
  /// At most this many features are named on the map.
  static let labelledOnMap = 10

  /// At most this many probed features per topic word: the head of the ranking, where the contrast is clear.
  static let probedPerWord = 40

  package static func select(words: [String], summaries: [FeatureRecord], hierarchy: ClusterHierarchyRecord,
                             assignment: [[Int]], probes: [TopicRecord] = []) -> Topic {
    let cleaned = words.map { $0.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() }.filter { !$0.isEmpty }
    var measured = cleaned.compactMap { word in probes.first { $0.slug == TopicRecord.slug(word) }.map { (word, $0) } }
    var named = cleaned
    if cleaned.isEmpty, let best = clearestProbe(probes) {
      // No word asked for: the probed topic whose head features stand out most.
      measured = [(best.topic, best)]
      named = [best.topic]
    }
    if measured.count == named.count, !measured.isEmpty {
      // Interleave the rankings, best of each word first; a feature appears once.
      var seen = Set<Int>(), ordered: [Int] = []
      let rankings = measured.map { pair in
        pair.1.features.filter { $0.score > 0 && $0.topicRate > $0.neutralRate && $0.feature < summaries.count }
          .prefix(probedPerWord).map(\.feature)
      }
      for rank in 0 ..< (rankings.map(\.count).max() ?? 0) {
        for ranking in rankings where rank < ranking.count && seen.insert(ranking[rank]).inserted { ordered.append(ranking[rank]) }
      }
      if !ordered.isEmpty {
        return Topic(name: PlainLanguage.list(named.map { "“\($0)”" }), source: .probed(named), features: ordered, unmatched: [])
      }
    }
    var unmatched: [String] = []
    var scored: [Int: Double] = [:]
    for word in cleaned {
      var any = false
      for r in summaries where !r.flags.contains(.dead) {
        let s = score(r, word: word)
        if s > 0 {
          any = true
          scored[r.index] = max(scored[r.index] ?? 0, s)
        }
      }
      if !any { unmatched.append(word) }
    }
    if !scored.isEmpty {
      let ordered = scored.keys.sorted {
        let a = scored[$0] ?? 0, b = scored[$1] ?? 0
        return a != b ? a > b : $0 < $1
      }
      let matched = cleaned.filter { !unmatched.contains($0) }
      return Topic(name: PlainLanguage.list(matched.map { "“\($0)”" }), source: .words(matched), features: ordered, unmatched: unmatched)
    }
    return coherentCluster(summaries: summaries, hierarchy: hierarchy, assignment: assignment, unmatched: unmatched)
  }

  /// The probed topic with the largest summed score over its five best features (ties: topic name).
  static func clearestProbe(_ probes: [TopicRecord]) -> TopicRecord? {
    func strength(_ r: TopicRecord) -> Double { r.features.map(\.score).filter { $0 > 0 }.sorted(by: >).prefix(5).reduce(0, +) }
    return probes.filter { strength($0) > 0 }.max { a, b in
      strength(a) != strength(b) ? strength(a) < strength(b) : a.topic > b.topic
    }
  }

  /// How well a feature matches a topic word: 2 for a label term or a word of its description in words, 1 for a top
  /// token (exact word, or a word that starts with it when it has four letters or more), plus its label's evidence as
  /// a tie-breaker.
  static func score(_ r: FeatureRecord, word: String) -> Double {
    func matches(_ text: String) -> Bool {
      for w in WordDiff.words(text) {
        let k = WordDiff.key(w)
        if k == word || (word.count >= 4 && k.hasPrefix(word)) { return true }
      }
      return false
    }
    var s = 0.0
    if PlainLanguage.labelParts(r.label.text).contains(where: matches) { s = 2 }
    else if let d = PlainLanguage.supportedDescription(r), matches(d.text) || d.words.contains(where: matches) { s = 2 }
    else if r.topTokens.prefix(5).contains(where: { matches($0.token) }) { s = 1 }
    guard s > 0 else { return 0 }
    let evidence = r.label.contradicted ? 0 : (r.label.evidence?.balancedAccuracy ?? 0)
    return s + evidence
  }

  /// The cluster (of at least 5 live features, at the middle level when there are three or more) whose
  /// members' labels held up best on held-out text: mean balanced accuracy, contradicted labels counted as
  /// a coin toss.
  static func coherentCluster(summaries: [FeatureRecord], hierarchy: ClusterHierarchyRecord, assignment: [[Int]],
                              unmatched: [String]) -> Topic {
    let levels = hierarchy.levels.count
    guard levels > 0 else {
      return Topic(name: "all features", source: .cluster(level: -1, id: -1), features: Array(summaries.indices.prefix(12)), unmatched: unmatched)
    }
    let level = levels >= 3 ? levels / 2 : levels - 1
    var members = [[Int]](repeating: [], count: hierarchy.levels[level].clusters.count)
    for (i, c) in assignment[level].enumerated() where c >= 0 && c < members.count && !summaries[i].flags.contains(.dead) {
      members[c].append(i)
    }
    func accuracy(_ i: Int) -> Double {
      let l = summaries[i].label
      return l.contradicted ? 0.5 : (l.evidence?.balancedAccuracy ?? 0.5)
    }
    // A reader needs words: a cluster of punctuation or line breaks, however coherent, makes a poor
    // example, so the score is weighted by the share of members whose label holds a word.
    var best: (score: Double, id: Int)?
    for (id, list) in members.enumerated() where list.count >= 5 {
      let worded = Double(list.filter { hasWord(summaries[$0].label.text) }.count) / Double(list.count)
      let score = list.map(accuracy).reduce(0, +) / Double(list.count) * worded
      if score > (best?.score ?? -1) { best = (score, id) }
    }
    // Every cluster smaller than 5: take the largest.
    let id = best?.id ?? (members.indices.max { (members[$0].count, -$0) < (members[$1].count, -$1) } ?? 0)
    let list = members.indices.contains(id) ? members[id] : []
    func rank(_ i: Int) -> Double { accuracy(i) + (hasWord(summaries[i].label.text) ? 1 : 0) }
    let ordered = list.sorted { (rank($0), -$0) > (rank($1), -$1) }
    let label = hierarchy.levels[level].clusters.indices.contains(id) ? hierarchy.levels[level].clusters[id].label : "one cluster"
    return Topic(name: "“" + PlainLanguage.short(label, 48) + "”", source: .cluster(level: level, id: id), features: ordered, unmatched: unmatched)
  }

  /// Whether a label holds a word of three letters or more (not only punctuation, digits or line breaks).
  package static func hasWord(_ text: String) -> Bool {
    var run = 0
    for ch in text {
      run = ch.isLetter ? run + 1 : 0
      if run >= 3 { return true }
    }
    return false
  }
}
