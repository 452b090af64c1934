import AtlasArtifacts
import MapLayout
import TensorMath

/// Matches two atlases' features and writes the report (`diff.json`'s record). Reads matrices and records
/// only: loading them from disk is the pipeline's job, rendering is the site's.
public struct AtlasDiffer: Sendable {
  public var configuration: DiffConfiguration
  public init(configuration: DiffConfiguration = DiffConfiguration()) { self.configuration = configuration }

  /// Both SAEs' codes on the same tokens (row t of each is token t), for matching by activations, and
  /// where they came from.
  public struct SharedCodes: Sendable {
    public var a: TokenCodes
    public var b: TokenCodes
    public var windows: Int
    public var sourceA: String
    public var sourceB: String
    public init(a: TokenCodes, b: TokenCodes, windows: Int, sourceA: String, sourceB: String) {
      self.a = a; self.b = b; self.windows = windows; self.sourceA = sourceA; self.sourceB = sourceB
    }
  }

  /// The matching alone: one-to-one pairs, splits and merges.
  public struct Matching: Sendable {
    public var pairs: [(a: Int, b: Int, similarity: Double, encoderSimilarity: Double?)]   // by A index
    public var splits: [DiffSplitRecord]
    public var merges: [DiffMergeRecord]
    public var candidates: CandidateGraph
    public var basis: DiffBasisRecord
  }

  /// Whether the two sides are compared by decoder directions (true) or need activations on shared tokens
  /// (false), from `matchBy` and their hook points and widths. Throws when directions are asked for but
  /// cannot be compared, or the sides are malformed.
  public func comparesDirections(a: DiffSide, b: DiffSide) throws(DiffError) -> Bool {
    try a.validate("A")
    try b.validate("B")
    switch configuration.matchBy {
    case .directions: return try check(a: a, b: b)
    case .activations: return false
    case .automatic: return a.decoder.columns == b.decoder.columns && a.identity.hookPoint == b.identity.hookPoint
    }
  }

  /// Why the diff compares what it compares, in words.
  func basisReason(a: DiffSide, b: DiffSide) -> String {
    if a.identity.hookPoint != b.identity.hookPoint {
      return "because A reads \(a.identity.hookPoint) and B reads \(b.identity.hookPoint), and directions in different places of the model are not comparable"
    }
    if a.decoder.columns != b.decoder.columns {
      return "because A's SAE reads \(a.decoder.columns)-wide activations and B's \(b.decoder.columns)-wide, so their directions are not comparable"
    }
    return configuration.matchBy == .activations ? "as asked with --match-by activations" : "same model width and hook point"
  }

  /// Whether the two sides can be compared by direction at all (same width, same hook, sane configuration).
  @discardableResult
  public func check(a: DiffSide, b: DiffSide) throws(DiffError) -> Bool {
    try a.validate("A")
    try b.validate("B")
    for (name, side) in [("A", a), ("B", b)] where side.latents == 0 || side.decoder.columns == 0 {
      throw .shape(what: "\(name)'s SAE decoder", expected: "at least one latent and one dimension", found: "[\(side.latents), \(side.decoder.columns)]")
    }
    guard a.decoder.columns == b.decoder.columns else {
      throw .differentWidth(a: a.decoder.columns, b: b.decoder.columns, hookA: a.identity.hookPoint, hookB: b.identity.hookPoint)
    }
    guard a.identity.hookPoint == b.identity.hookPoint else { throw .differentHook(a: a.identity.hookPoint, b: b.identity.hookPoint) }
    let c = configuration
    guard c.matchThreshold > 0, c.matchThreshold <= 1 else { throw .invalidConfiguration("matchThreshold must be in (0, 1], found \(c.matchThreshold)") }
    guard c.maxGroup >= 2, c.maxGroup <= 10 else { throw .invalidConfiguration("maxGroup must be in 2...10, found \(c.maxGroup)") }
    guard c.candidates >= 1 else { throw .invalidConfiguration("candidates must be at least 1, found \(c.candidates)") }
    return true
  }

  public func match(a: DiffSide, b: DiffSide, shared: SharedCodes? = nil) throws(DiffError) -> Matching {
    if try !comparesDirections(a: a, b: b) {
      guard let shared else {
        throw .invalidConfiguration("matching by activations needs both SAEs' codes on shared tokens, and none were given")
      }
      return try matchByActivations(a: a, b: b, shared: shared)
    }
    try check(a: a, b: b)
    let c = configuration
    let (nA, nB, d) = (a.latents, b.latents, a.decoder.columns)
    let decA = CandidateSearch.unitRows(a.decoder), decB = CandidateSearch.unitRows(b.decoder)
    let encA = CandidateSearch.unitRows(a.encoder), encB = CandidateSearch.unitRows(b.encoder)
    let graph = CandidateSearch.search(a: decA, b: decB, k: max(c.candidates, c.maxGroup))

    func dot(_ x: Matrix, _ i: Int, _ y: Matrix, _ j: Int) -> Double {
      var s: Float = 0
      for t in 0 ..< d { s += x.storage[i * d + t] * y.storage[j * d + t] }
      return Double(s)
    }

    // One-to-one: edges above the threshold from both directions' candidate lists.
    var seen = Set<Int>()
    var edges: [Assignment.Edge] = []
    var edgeCosines: [Int: (Double, Double)] = [:]
    func consider(_ i: Int, _ j: Int, _ cosine: Float) {
      guard Double(cosine) >= c.matchThreshold else { return }
      let key = i * nB + j
      guard seen.insert(key).inserted else { return }
      let enc = dot(encA, i, encB, j)
      edgeCosines[key] = (Double(cosine), enc)
      edges.append(Assignment.Edge(left: i, right: j, weight: Double(cosine) + c.encoderWeight * enc))
    }
    for i in 0 ..< nA { for (j, cosine) in graph.candidates(ofA: i) { consider(i, j, cosine) } }
    for j in 0 ..< nB { for (i, cosine) in graph.candidates(ofB: j) { consider(i, j, cosine) } }
    let matchOfA = Assignment.maximumWeightMatching(left: nA, right: nB, edges: edges)
    var matchOfB = [Int?](repeating: nil, count: nB)
    for (i, j) in matchOfA.enumerated() { if let j { matchOfB[j] = i } }

    // Splits: an A feature explained by several B features none of which is another A feature's partner.
    var claimedA = [Bool](repeating: false, count: nA), claimedB = [Bool](repeating: false, count: nB)
    var splitProposals: [DiffSplitRecord] = []
    for i in 0 ..< nA {
      let pool = graph.candidates(ofA: i).filter {
        Double($0.cosine) >= c.groupCandidateFloor && (matchOfB[$0.index] == nil || matchOfB[$0.index] == i)
      }.prefix(c.maxGroup).map { $0.index }
      guard pool.count >= 2 else { continue }
      let group = decA.storage.withUnsafeBufferPointer { p in
        GroupFit.confirmedGroup(target: p.baseAddress! + i * d, candidates: Array(pool), other: decB, configuration: c)
      }
      if let group {
        splitProposals.append(DiffSplitRecord(a: i, b: group.parts, weights: group.weights, explained: group.explained,
                                              bestSingle: group.bestSingle))
      }
    }
    var splits: [DiffSplitRecord] = []
    for s in splitProposals.sorted(by: { ($0.explained - $0.bestSingle, -$0.a) > ($1.explained - $1.bestSingle, -$1.a) }) {
      guard !claimedA[s.a], s.b.allSatisfy({ !claimedB[$0] }) else { continue }
      claimedA[s.a] = true
      for j in s.b { claimedB[j] = true }
      splits.append(s)
    }

    // Merges: a B feature explained by several A features, none another B feature's partner or in a split.
    var mergeProposals: [DiffMergeRecord] = []
    for j in 0 ..< nB where !claimedB[j] {
      let pool = graph.candidates(ofB: j).filter {
        Double($0.cosine) >= c.groupCandidateFloor && !claimedA[$0.index] && (matchOfA[$0.index] == nil || matchOfA[$0.index] == j)
      }.prefix(c.maxGroup).map { $0.index }
      guard pool.count >= 2 else { continue }
      let group = decB.storage.withUnsafeBufferPointer { p in
        GroupFit.confirmedGroup(target: p.baseAddress! + j * d, candidates: Array(pool), other: decA, configuration: c)
      }
      if let group {
        mergeProposals.append(DiffMergeRecord(a: group.parts, b: j, weights: group.weights, explained: group.explained,
                                              bestSingle: group.bestSingle))
      }
    }
    var merges: [DiffMergeRecord] = []
    for m in mergeProposals.sorted(by: { ($0.explained - $0.bestSingle, -$0.b) > ($1.explained - $1.bestSingle, -$1.b) }) {
      guard !claimedB[m.b], m.a.allSatisfy({ !claimedA[$0] }) else { continue }
      claimedB[m.b] = true
      for i in m.a { claimedA[i] = true }
      merges.append(m)
    }

    var pairs: [(a: Int, b: Int, similarity: Double, encoderSimilarity: Double)] = []
    for (i, j) in matchOfA.enumerated() {
      guard let j, !claimedA[i], !claimedB[j], let cosines = edgeCosines[i * nB + j] else { continue }
      pairs.append((a: i, b: j, similarity: cosines.0, encoderSimilarity: cosines.1))
    }
    return Matching(pairs: pairs, splits: splits.sorted { $0.a < $1.a }, merges: merges.sorted { $0.b < $1.b }, candidates: graph,
                    basis: DiffBasisRecord(measure: DiffBasisRecord.decoderCosine, reason: basisReason(a: a, b: b)))
  }

  /// One-to-one pairs by activation correlation on shared tokens (no splits or merges: those are read from
  /// directions). The assignment maximises the total correlation over pairs with r ≥ `correlationThreshold`.
  func matchByActivations(a: DiffSide, b: DiffSide, shared: SharedCodes) throws(DiffError) -> Matching {
    let c = configuration
    guard c.correlationThreshold > 0, c.correlationThreshold <= 1 else {
      throw .invalidConfiguration("correlationThreshold must be in (0, 1], found \(c.correlationThreshold)")
    }
    guard c.minimumFirings >= 2 else { throw .invalidConfiguration("minimumFirings must be at least 2, found \(c.minimumFirings)") }
    guard shared.a.latentCount == a.latents, shared.b.latentCount == b.latents, shared.a.tokens == shared.b.tokens,
          shared.a.tokens > 1 else {
      throw .shape(what: "the shared codes", expected: "[tokens, \(a.latents)] and [tokens, \(b.latents)] on the same tokens",
                   found: "[\(shared.a.tokens), \(shared.a.latentCount)] and [\(shared.b.tokens), \(shared.b.latentCount)]")
    }
    let (nA, nB) = (a.latents, b.latents)
    let graph = ActivationCorrelation.search(a: shared.a, b: shared.b, k: c.candidates, minimumFirings: c.minimumFirings)
    var seen = Set<Int>()
    var edges: [Assignment.Edge] = []
    var correlation: [Int: Double] = [:]
    func consider(_ i: Int, _ j: Int, _ r: Float) {
      guard Double(r) >= c.correlationThreshold, seen.insert(i * nB + j).inserted else { return }
      correlation[i * nB + j] = Double(r)
      edges.append(Assignment.Edge(left: i, right: j, weight: Double(r)))
    }
    for i in 0 ..< nA { for (j, r) in graph.candidates(ofA: i) { consider(i, j, r) } }
    for j in 0 ..< nB { for (i, r) in graph.candidates(ofB: j) { consider(i, j, r) } }
    let matchOfA = Assignment.maximumWeightMatching(left: nA, right: nB, edges: edges)
    var pairs: [(a: Int, b: Int, similarity: Double, encoderSimilarity: Double?)] = []
    for (i, j) in matchOfA.enumerated() {
      guard let j, let r = correlation[i * nB + j] else { continue }
      pairs.append((a: i, b: j, similarity: r, encoderSimilarity: nil))
    }
    let matchableA = ActivationCorrelation.Moments(shared.a).firings.filter { $0 >= c.minimumFirings }.count
    let matchableB = ActivationCorrelation.Moments(shared.b).firings.filter { $0 >= c.minimumFirings }.count
    let basis = DiffBasisRecord(measure: DiffBasisRecord.activationCorrelation, reason: basisReason(a: a, b: b), tokens: shared.a.tokens,
                                windows: shared.windows, sourceA: shared.sourceA, sourceB: shared.sourceB, minimumFirings: c.minimumFirings,
                                matchableA: matchableA, matchableB: matchableB)
    return Matching(pairs: pairs, splits: [], merges: [], candidates: graph, basis: basis)
  }

  /// The whole report. `substitution` enables the functional check (held-out activations with both codes).
  public func diff(a: DiffSide, b: DiffSide, substitution: SubstitutionInput? = nil,
                   shared: SharedCodes? = nil) throws(DiffError) -> DiffRecord {
    let c = configuration
    let matching = try match(a: a, b: b, shared: shared)
    // The substitution check puts B's direction into A's reconstruction: only where the directions share a space.
    let substitution = matching.basis.byActivations ? nil : substitution
    let (nA, nB) = (a.latents, b.latents)

    // Pairs, with their changes and the functional check.
    var functional: Substitution.Result?
    if let substitution, !matching.pairs.isEmpty {
      functional = Substitution.evaluate(pairs: matching.pairs.map { ($0.a, $0.b) }, decoderA: a.decoder, decoderB: b.decoder,
                                         input: substitution)
    }
    var pairs: [DiffPairRecord] = []
    for (p, pair) in matching.pairs.enumerated() {
      var changes: [String] = []
      if let fa = a.features?[pair.a], let fb = b.features?[pair.b] { changes = Self.changes(fa, fb, c) }
      var record = DiffPairRecord(a: pair.a, b: pair.b, similarity: pair.similarity, encoderSimilarity: pair.encoderSimilarity,
                                  status: changes.isEmpty ? .matched : .changed, changes: changes)
      if let functional {
        let (delta, ablation) = (functional.deltas[p], functional.ablations[p])
        record.substitutionDeltaFVU = delta
        record.ablationDeltaFVU = ablation
        record.actsDifferently = ablation > 0 && delta > c.actsDifferentlyRatio * ablation
      }
      pairs.append(record)
    }

    // Unmatched, with their nearest feature on the other side.
    let probe = DiffRecord(a: a.identity, b: b.identity, parameters: .null, summary: Self.emptySummary, alignment: nil, pairs: pairs,
                           unmatchedA: [], unmatchedB: [], splits: matching.splits, merges: matching.merges)
    let (statusA, statusB) = probe.statuses()
    let unmatchedA = (0 ..< nA).filter { statusA[$0] == .vanished }.map { i in
      let best = matching.candidates.candidates(ofA: i).first
      return DiffUnmatchedRecord(feature: i, nearest: best?.index, nearestSimilarity: best.map { Double($0.cosine) })
    }
    let unmatchedB = (0 ..< nB).filter { statusB[$0] == .new }.map { j in
      let best = matching.candidates.candidates(ofB: j).first
      return DiffUnmatchedRecord(feature: j, nearest: best?.index, nearestSimilarity: best.map { Double($0.cosine) })
    }

    // Aligned maps.
    var alignment: DiffAlignmentRecord?
    if let ax = a.x, let ay = a.y, let bx = b.x, let by = b.y {
      alignment = Procrustes.fit(a: pairs.map { (Double(ax[$0.a]), Double(ay[$0.a])) },
                                 b: pairs.map { (Double(bx[$0.b]), Double(by[$0.b])) })
    }

    // Cluster agreement on pairs, level by level (levels compared by position).
    var agreement: [String: Double] = [:]
    for (level, la) in a.clusters.enumerated() where level < b.clusters.count && pairs.count >= 2 {
      let lb = b.clusters[level]
      if let ami = try? Quality.adjustedMutualInformation(pairs.map { la.ids[$0.a] }, pairs.map { lb.ids[$0.b] }) {
        agreement[la.name == lb.name ? la.name : "\(la.name)/\(lb.name)"] = ami
      }
    }

    var countsA: [String: Int] = [:], countsB: [String: Int] = [:]
    for s in DiffStatus.allCases {
      if s != .new { countsA[s.rawValue] = 0 }
      if s != .vanished { countsB[s.rawValue] = 0 }
    }
    for s in statusA { countsA[s.rawValue, default: 0] += 1 }
    for s in statusB { countsB[s.rawValue, default: 0] += 1 }
    let liveA = a.features.map { f in (0 ..< nA).filter { !f[$0].dead } } ?? Array(0 ..< nA)
    let pairedA = Set(pairs.map(\.a))
    var substitutionSummary: [String: Double] = [:]
    if let functional {
      let sorted = functional.deltas.sorted()
      substitutionSummary = ["pairs": Double(sorted.count), "baselineFVU": functional.baselineFVU,
                             "medianDeltaFVU": sorted.isEmpty ? 0 : sorted[sorted.count / 2],
                             "actsDifferently": Double(pairs.filter(\.actsDifferently).count),
                             "heldOutTokens": Double(substitution?.activations.rows ?? 0)]
    }
    var summary = DiffSummaryRecord(
      countsA: countsA, countsB: countsB,
      sharedFraction: nA == 0 ? 0 : Double(pairs.count) / Double(nA),
      sharedFractionB: nB == 0 ? 0 : Double(pairs.count) / Double(nB),
      sharedFractionLive: liveA.isEmpty ? 0 : Double(liveA.filter { pairedA.contains($0) }.count) / Double(liveA.count),
      meanSimilarity: pairs.isEmpty ? 0 : pairs.reduce(0) { $0 + $1.similarity } / Double(pairs.count),
      clusterAgreement: agreement, substitution: substitutionSummary, runDeltas: RunDeltas.compute(a: a, b: b), sentence: "",
      basis: matching.basis)
    summary.sentence = Self.sentence(summary, a: a, b: b, statusB: statusB)
    let parameters = (try? JSONValue(encoding: c)) ?? .null
    return DiffRecord(a: a.identity, b: b.identity, parameters: parameters, summary: summary, alignment: alignment, pairs: pairs,
                      unmatchedA: unmatchedA, unmatchedB: unmatchedB, splits: matching.splits, merges: matching.merges)
  }

  /// Which bounds a pair's evidence crosses (see `DiffConfiguration`).
  static func changes(_ a: DiffFeatureFacts, _ b: DiffFeatureFacts, _ c: DiffConfiguration) -> [String] {
    var out: [String] = []
    let normalise = { (s: String) in s.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ") }
    if normalise(a.label) != normalise(b.label), Set(a.labelPattern).isDisjoint(with: b.labelPattern) { out.append("label") }
    if a.density > 0, b.density > 0 {
      let ratio = max(a.density / b.density, b.density / a.density)
      if ratio > c.densityRatio { out.append("density") }
    } else if (a.density > 0) != (b.density > 0) {
      out.append("density")
    }
    let ta = Set(a.topTokens.prefix(c.topTokenCount)), tb = Set(b.topTokens.prefix(c.topTokenCount))
    if ta.count >= 3, tb.count >= 3 {
      let jaccard = Double(ta.intersection(tb).count) / Double(ta.union(tb).count)
      if jaccard < c.topTokenJaccard { out.append("topTokens") }
    }
    return out
  }

  static let emptySummary = DiffSummaryRecord(countsA: [:], countsB: [:], sharedFraction: 0, sharedFractionB: 0, sharedFractionLive: 0,
                                              meanSimilarity: 0, clusterAgreement: [:], substitution: [:], runDeltas: [], sentence: "")

  /// "Between run A and run B, 61% of A's features reappear …" in plain words.
  static func sentence(_ s: DiffSummaryRecord, a: DiffSide, b: DiffSide, statusB: [DiffStatus]) -> String {
    func n(_ x: Int) -> String { DiffFormat.count(x) }
    let paired = (s.countsA["matched"] ?? 0) + (s.countsA["changed"] ?? 0)
    var text = "Between run A and run B, \(DiffFormat.percent(s.sharedFraction)) of A's \(n(a.latents)) features reappear in B "
      + "(\(n(paired)) one-to-one, \(n(s.countsA["changed"] ?? 0)) of them changed in label, density or top tokens)"
    let newCount = s.countsB["new"] ?? 0
    text += "; \(n(newCount)) of B's \(n(b.latents)) features are new"
    // Where the new features sit: the coarse cluster of B holding most of them.
    if newCount > 0, let coarse = b.clusters.first, !coarse.labels.isEmpty {
      var counts: [Int: Int] = [:]
      for (j, status) in statusB.enumerated() where status == .new && coarse.ids[j] >= 0 { counts[coarse.ids[j], default: 0] += 1 }
      if let top = counts.max(by: { ($0.value, -$0.key) < ($1.value, -$1.key) }), top.key < coarse.labels.count {
        text += ", the largest group of them (\(n(top.value))) in B's region “\(coarse.labels[top.key])”"
      }
    }
    text += "; \(n(s.countsA["vanished"] ?? 0)) of A's vanished"
    let splits = s.countsA["split"] ?? 0, merges = s.countsB["merged"] ?? 0
    if splits > 0 || merges > 0 { text += "; \(n(splits)) split into several B features and \(n(merges)) B features merge several of A's" }
    text += "."
    if let basis = s.basis, basis.byActivations, let tokens = basis.tokens {
      text += " Features were compared by how their activations correlate on \(n(tokens)) shared tokens, \(basis.reason)"
      if let matchable = basis.matchableA, let floor = basis.minimumFirings, matchable < a.latents {
        text += "; \(n(a.latents - matchable)) of A's features fire fewer than \(floor) times there and could not be compared"
      }
      text += "."
    }
    return text
  }
}

/// Number formatting for the plain-words summary.
enum DiffFormat {
  static func count(_ x: Int) -> String {
    let digits = String(abs(x))
    var out = ""
    for (k, ch) in digits.enumerated() {
      if k > 0 && (digits.count - k) % 3 == 0 { out.append(",") }
      out.append(ch)
    }
    return (x < 0 ? "-" : "") + out
  }
  static func percent(_ x: Double) -> String {
    let p = (x * 100).rounded()
    return "\(Int(p))%"
  }
}
