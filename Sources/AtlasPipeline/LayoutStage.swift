import AtlasArtifacts
import Foundation
import MapLayout
import SparseAutoencoders
import TensorMath

/// The layout stage: the 2D map of decoder directions, the cluster hierarchy over the kNN graph,
/// names for the clusters from their members' labels, and quality measures (trustworthiness, and how
/// well clusters agree with the corpus source a feature fires on most).
public struct LayoutStage {
  public var configuration: LayoutSection
  public var atlas: AtlasDirectory
  public var progress: any ProgressSink
  public static let levelNames = ["coarse", "middle", "fine", "finest"]
  /// Above this many features, trustworthiness (O(n²) memory-free but O(n² d) time) is estimated on a sample.
  public var trustworthinessLimit = 16_384

  public init(configuration: LayoutSection, atlas: AtlasDirectory, progress: any ProgressSink) {
    self.configuration = configuration
    self.atlas = atlas
    self.progress = progress
  }

  public struct Outcome: Sendable {
    public var manifest: LayoutManifest
    public var hierarchy: ClusterHierarchyRecord
    public var positions: [Float]          // [n * 2]
    public var assignments: [[Int]]        // [levels][n]
    public var timings: [String: Double]
  }

  @discardableResult
  public func run(autoencoder: SparseAutoencoder, records: [FeatureRecord], inputs: [String: String]) throws -> Outcome {
    let n = autoencoder.dSAE
    let result = try FeatureMap.build(vectors: autoencoder.decoder, layout: configuration.map,
                                      clusters: configuration.clusters) { step in
      switch step {
      case .optimizing(let epoch, let total): progress.progress("layout SGD", done: epoch, total: total, unit: "epochs")
      default: progress.finish("layout SGD")
      }
    }
    let positions = result.layout.positions
    let levels = result.clusters.levels

    // MARK: Cluster names from members' descriptions in words (class-based TF-IDF over their heads)
    let memberTerms: [[String]] = records.map(Self.namingTerms)
    let normalized = memberTerms.map(Clustering.normalizedTerms)
    let background = TermIndex(normalized: normalized)
    var hierarchy = ClusterHierarchyRecord(levels: [])
    var assignments: [[Int]] = []
    for (l, level) in levels.enumerated() {
      let a = level.assignments.map(Int.init)
      assignments.append(a)
      var members = [[Int]](repeating: [], count: level.clusters.count)
      for (i, c) in a.enumerated() { members[c].append(i) }
      let groups = members
      let ranked = ResultSlots<[String]>(count: level.clusters.count)
      Parallel.forEach(level.clusters.count) { c in
        let memberTerms = groups[c].map { normalized[$0] }
        let shared = Clustering.clusterTerms(normalizedMembers: memberTerms, background: background, count: 8)
        // Too few terms shared by two members: single members' heads follow, so sibling names can differ.
        let single = shared.count >= 3 ? [] : Clustering.clusterTerms(normalizedMembers: memberTerms, background: background,
                                                                       count: 8, minimumSupport: 1)
        ranked.set(c, shared + single.filter { !shared.contains($0) })
      }
      let byCluster = ranked.values
      // A theme ("syntax and layout") heads the name of a mostly syntactic cluster; the distinctive terms follow.
      let themes = level.clusters.map { c in ClusterTheme.theme(groups[c.id].compactMap { records[$0].description }) }
      let names = Clustering.distinctNames(level.clusters.map { c in
        (themes[c.id].map { [$0] } ?? []) + byCluster[c.id].filter { $0 != themes[c.id] }
      })
      let labels = ClusterTheme.distinct(level.clusters.map { c -> String in
        let terms = names[c.id]
        let theme = terms.first == themes[c.id] ? themes[c.id] : nil
        return terms.isEmpty ? "region \(c.id + 1) (no described features)"
          : ClusterTheme.label(theme: theme, terms: terms.map { Self.displayTerm($0, theme: theme) })
      })
      let clusters = level.clusters.map { c -> ClusterRecord in
        let terms = names[c.id], label = labels[c.id]
        return ClusterRecord(level: l, id: c.id, parent: c.parent, size: c.size, label: label, terms: terms,
                             representative: c.representative, x: c.centroid[0], y: c.centroid[1])
      }
      hierarchy.levels.append(ClusterLevelRecord(name: l < Self.levelNames.count ? Self.levelNames[l] : "level \(l)",
                                                 clusters: clusters))
    }

    // MARK: Quality
    var quality: [String: Double] = [:]
    let start = ContinuousClock.now
    let unit = try NearestNeighbours.unitRows(autoencoder.decoder)
    let low = Matrix(rows: n, columns: 2, storage: positions)
    if n <= trustworthinessLimit {
      quality["trustworthiness@10"] = try Quality.trustworthiness(high: unit, low: low, k: 10, metric: .cosine)
    } else {
      var rng = SplitMix64(seed: 17)
      let sample = Array((0 ..< n).shuffled(using: &rng).prefix(trustworthinessLimit)).sorted()
      quality["trustworthiness@10.sampled"] = try Quality.trustworthiness(high: unit.gatherRows(sample), low: low.gatherRows(sample),
                                                                       k: 10, metric: .cosine)
    }
    let trustSeconds = Double((ContinuousClock.now - start).components.attoseconds) / 1e18
      + Double((ContinuousClock.now - start).components.seconds)
    let sourceNames = Array(Set(records.compactMap(\.dominantSource))).sorted()
    let live = records.indices.filter { records[$0].dominantSource != nil }
    let dominant = live.map { sourceNames.firstIndex(of: records[$0].dominantSource!)! }
    for (l, a) in assignments.enumerated() where !live.isEmpty {
      quality["nmiDominantSource.level\(l)"] = try Quality.normalizedMutualInformation(live.map { a[$0] }, dominant)
      quality["amiDominantSource.level\(l)"] = try Quality.adjustedMutualInformation(live.map { a[$0] }, dominant)
      quality["clusters.level\(l)"] = Double(levels[l].clusters.count)
      quality["largestShare.level\(l)"] = levels[l].largestShare
    }
    // How much each colour reads as a region: share of each feature's 10 nearest map points in its cluster.
    for (l, a) in assignments.enumerated() {
      quality["mapCoherence@10.level\(l)"] = MapGraph.coherence(positions: positions, assignments: a, k: 10)
    }

    // MARK: Write layout/
    var positionsFile = SafeTensorsWriter()
    positionsFile.add("x", floats: stride(from: 0, to: 2 * n, by: 2).map { positions[$0] }, shape: [n])
    positionsFile.add("y", floats: stride(from: 1, to: 2 * n, by: 2).map { positions[$0] }, shape: [n])
    for (l, a) in assignments.enumerated() { positionsFile.add("cluster_level_\(l)", int32s: a.map { Int32($0) }, shape: [n]) }
    try positionsFile.write(to: atlas.layoutPositions)
    var knnFile = SafeTensorsWriter()
    let k = result.layout.knn.k
    knnFile.add("indices", int32s: result.layout.knn.indices, shape: [n, k])
    knnFile.add("distances", floats: result.layout.knn.distances, shape: [n, k])
    try knnFile.write(to: atlas.layoutNeighbours)
    try CanonicalJSON.write(hierarchy, to: atlas.layoutClusters)
    let manifest = LayoutManifest(parameters: try JSONValue(encoding: configuration), inputs: inputs, features: n,
                                  levels: hierarchy.levels.map(\.name), quality: quality)
    try manifest.write(to: atlas.layoutManifest)
    let t = result.timings
    return Outcome(manifest: manifest, hierarchy: hierarchy, positions: positions, assignments: assignments,
                   timings: ["neighbours": t.neighbours, "graph": t.graph, "spectral": t.spectral,
                             "optimization": t.optimization, "clustering": t.clustering, "quality": trustSeconds])
  }

  /// What a feature contributes to its clusters' names: the head of its description in words ("diseases",
  /// "line breaks", "the word 'too'"), when it has one the held-out test did not reject. Pattern labels,
  /// token lists and corpus-source names never name a region.
  static func namingTerms(_ r: FeatureRecord) -> [String] {
    guard let d = r.description, d.kind != .unclear, d.status != .unclear else { return [] }
    let head = d.head
    // Pieces of words share four heads: the word they are most often a piece of tells such regions apart.
    if FeatureDescription.piecesHeads[head] != nil, let word = d.words.first { return [head, "'\(word)'"] }
    return head.isEmpty ? [] : [head]
  }

  /// A term as it reads in a cluster name: spaces made visible only when the term is all space.
  public static func displayTerm(_ term: String, theme: String? = nil) -> String {
    let trimmed = term.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !trimmed.isEmpty else { return term.replacingOccurrences(of: "\n", with: "⏎").replacingOccurrences(of: " ", with: "␣") }
    // "the word 'sir'" reads as 'sir' in a name; a piece of a word keeps saying so, unless the theme says it
    // ("pieces of words ('en', 'g')", "single words and word pieces (first pieces, 'in')").
    if theme == ClusterTheme.wordPieces, trimmed.hasPrefix("the word piece '") { return String(trimmed.dropFirst("the word piece ".count)) }
    // "the first piece of long or rare words" reads as "first pieces of words", or "first pieces" where the
    // theme says pieces.
    if let forms = FeatureDescription.piecesHeads[trimmed] { return theme?.contains("pieces") == true ? forms.short : forms.term }
    return trimmed.hasPrefix("the word '") ? String(trimmed.dropFirst("the word ".count)) : trimmed
  }

  /// Reads what the render and steering stages need back from disk.
  public static func readAssignments(_ atlas: AtlasDirectory, level: Int) throws -> [Int] {
    try SafeTensorsFile(url: atlas.layoutPositions).integers("cluster_level_\(level)")
  }
}
