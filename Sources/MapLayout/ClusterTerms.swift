import TensorMath

/// How often each term occurs across all features: the background that makes a cluster's terms distinctive.
public struct TermIndex: Sendable, Equatable {
  public var documents: Int                   // features counted
  public var documentFrequency: [String: Int] // normalised term -> features having it

  /// `allTerms[i]` are feature i's terms (label words or top tokens); each counts once per feature.
  public init(allTerms: [[String]]) {
    self.init(normalized: allTerms.map(Clustering.normalizedTerms))
  }

  /// The same from terms already normalised (`Clustering.normalizedTerms`).
  public init(normalized allTerms: [[Clustering.Term]]) {
    documents = allTerms.count
    var frequency: [String: Int] = [:]
    for terms in allTerms {
      for key in Set(terms.map(\.key)) { frequency[key, default: 0] += 1 }
    }
    documentFrequency = frequency
  }
}

extension Clustering {
  /// The `count` most distinctive terms of one cluster, class-based TF-IDF style: the share of members
  /// having the term times the BM25 inverse document frequency log(1 + (N - df + ½) / (df + ½)), N features
  /// in all, df of them having it (so a term every feature has scores about 0). A term must occur in
  /// at least `minimumSupport` members (1 for clusters smaller than that). Terms compare case-insensitively
  /// and trimmed; each is returned in its most frequent spelling among the members.
  public static func clusterTerms(memberTerms: [[String]], background: TermIndex, count: Int = 3,
                                  minimumSupport: Int = 2) -> [String] {
    clusterTerms(normalizedMembers: memberTerms.map(normalizedTerms), background: background, count: count,
                 minimumSupport: minimumSupport)
  }

  /// A term as compared (`key`: trimmed, lower-cased) and as written (`spelling`: trimmed).
  public struct Term: Sendable, Equatable {
    public var key: String
    public var spelling: String
  }

  /// A feature's terms normalised once (trimming and case-folding every term at every level for every
  /// cluster cost more than the rest of the naming).
  public static func normalizedTerms(_ raw: [String]) -> [Term] {
    raw.compactMap { r in
      let spelling = r.trimmingWhitespace
      return spelling.isEmpty ? nil : Term(key: spelling.lowercased(), spelling: spelling)
    }
  }

  /// `clusterTerms` on terms already normalised.
  public static func clusterTerms(normalizedMembers memberTerms: [[Term]], background: TermIndex, count: Int = 3,
                                  minimumSupport: Int = 2) -> [String] {
    let support = min(minimumSupport, max(1, memberTerms.count))
    var present: [String: Int] = [:]
    var spellings: [String: [String: Int]] = [:]
    for terms in memberTerms {
      var seen = Set<String>()
      for term in terms {
        spellings[term.key, default: [:]][term.spelling, default: 0] += 1
        if seen.insert(term.key).inserted { present[term.key, default: 0] += 1 }
      }
    }
    let n = Double(max(background.documents, memberTerms.count))
    let members = Double(max(1, memberTerms.count))
    let scored = present.compactMap { key, has -> (String, Double, Int)? in
      guard has >= support else { return nil }
      let df = Double(max(background.documentFrequency[key] ?? 0, has))
      return (key, Double(has) / members * Elementary.log(1 + (n - df + 0.5) / (df + 0.5)), has)
    }
    let ranked = scored.sorted { x, y in
      if x.1 != y.1 { return x.1 > y.1 }
      if x.2 != y.2 { return x.2 > y.2 }
      return x.0 < y.0
    }
    return ranked.prefix(count).map { key, _, _ in
      let forms = spellings[key] ?? [:]
      return forms.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? key
    }
  }

  /// Names of one level's clusters from their ranked terms (`candidates[c]`, most distinctive first; clusters
  /// in order, largest first): each takes its first `size` terms unless an earlier cluster already has that
  /// set (case-insensitively); then its last term moves down its list, so no two names read alike while
  /// candidates last.
  public static func distinctNames(_ candidates: [[String]], size: Int = 3) -> [[String]] {
    var used = Set<Set<String>>()
    return candidates.map { ranked in
      var terms = Array(ranked.prefix(size))
      var next = terms.count
      func key() -> Set<String> { Set(terms.map { $0.lowercased() }) }
      while !terms.isEmpty, used.contains(key()), next < ranked.count {
        terms[terms.count - 1] = ranked[next]
        next += 1
      }
      used.insert(key())
      return terms
    }
  }

  /// Lower-cased and trimmed; nil for terms that are empty after trimming.
  static func normalizedTerm(_ raw: String) -> String? {
    let trimmed = raw.trimmingWhitespace.lowercased()
    return trimmed.isEmpty ? nil : trimmed
  }
}

extension String {
  var trimmingWhitespace: String {
    var s = Substring(self)
    while let f = s.first, f.isWhitespace { s = s.dropFirst() }
    while let l = s.last, l.isWhitespace { s = s.dropLast() }
    return String(s)
  }
}
