import TensorMath

/// Parameters of the cluster hierarchy.
public struct ClusterConfiguration: Codable, Sendable, Equatable {
  /// Wanted cluster counts, coarse to fine; nil = `automaticTargets(for: n)`.
  public var targets: [Int]? = nil
  /// No coarse cluster may hold more than this share of the points.
  public var maxLargestShare: Double = 0.25
  /// Finest-level clusters smaller than this are merged into their best-connected neighbour.
  public var minClusterSize: Int = 3
  /// Weight of the map's own neighbour graph (each point's `mapNeighbours` nearest points on the 2-D map)
  /// added to the decoder graph before clustering: 0 clusters on decoder neighbourhoods alone (colours
  /// interleave on the map); larger values make clusters regions a reader sees. On a quick atlas, 0.3 raised
  /// the share of each feature's 10 nearest map points in its cluster from 0.52 / 0.41 / 0.29 (coarse /
  /// middle / fine) to 0.97 / 0.93 / 0.76, with the same agreement with the features' corpus sources.
  public var mapWeight: Double = 0.3
  public var mapNeighbours: Int = 15

  public init() {}

  /// A missing field takes its default, so configurations saved before a field existed still read.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let d = ClusterConfiguration()
    targets = try c.decodeIfPresent([Int].self, forKey: .targets)
    maxLargestShare = try c.decodeIfPresent(Double.self, forKey: .maxLargestShare) ?? d.maxLargestShare
    minClusterSize = try c.decodeIfPresent(Int.self, forKey: .minClusterSize) ?? d.minClusterSize
    mapWeight = try c.decodeIfPresent(Double.self, forKey: .mapWeight) ?? d.mapWeight
    mapNeighbours = try c.decodeIfPresent(Int.self, forKey: .mapNeighbours) ?? d.mapNeighbours
  }

  public static let `default` = ClusterConfiguration()

  /// n^¼, √n / 2 and 3√n: 11 / 64 / 384 clusters at n = 16,384, 10 / 45 / 272 at 8,192, 8 / 32 / 192 at 4,096,
  /// 16 / 128 / 768 at 65,536. The fine level is 3√n rather than 2√n because on the default atlas its agreement
  /// with the features' dominant corpus source, corrected for chance (AMI), rose from 0.054 (179 clusters) to
  /// 0.063 (359): finer groups of decoder directions still share a source, they are not split at random.
  public static func automaticTargets(for n: Int) -> [Int] {
    let root = Double(n).squareRoot()
    return [max(2, Int(root.squareRoot().rounded())), max(3, Int((root / 2).rounded())), max(4, Int((3 * root).rounded()))]
  }

  public func resolvedTargets(for n: Int) -> [Int] { targets ?? Self.automaticTargets(for: n) }
}

/// One cluster of one level.
public struct Cluster: Codable, Sendable, Equatable {
  public var id: Int              // index in its level, clusters sorted by size (largest first)
  public var size: Int
  public var parent: Int?         // id in the next coarser level; nil at the coarsest
  public var representative: Int  // the most central member (cosine medoid), a point index
  public var centroid: [Float]    // [2], mean map position of the members
}

/// One level of the hierarchy: every point is in exactly one cluster.
public struct ClusterLevel: Codable, Sendable, Equatable {
  public var resolution: Double    // modularity resolution that produced it
  public var assignments: [Int32]  // [n], cluster id per point
  public var clusters: [Cluster]   // [clusters]

  /// Share of all points held by the largest cluster.
  public var largestShare: Double {
    Double(clusters.map(\.size).max() ?? 0) / Double(max(1, assignments.count))
  }
}

/// Nested levels, coarse first: each finer cluster lies inside one cluster of every coarser level.
public struct ClusterHierarchy: Codable, Sendable, Equatable {
  public var levels: [ClusterLevel]
}

/// Hierarchical clustering of the neighbour graph by modularity at several resolutions, made nested by
/// clustering each level's aggregated graph for the next coarser one.
///
/// Why the graph and not the map: the fuzzy kNN graph carries the full-dimensional neighbourhoods, so
/// clusters do not inherit the 2-D projection's tears and false joins; and modularity needs no noise label.
public enum Clustering {
  /// The hierarchy for `graph` (the fuzzy simplicial set), with representatives from `unitRows`
  /// [n, d] (nil: highest in-cluster degree) and centroids from `positions` [n * 2].
  public static func hierarchy(graph: SparseGraph, unitRows: Matrix?, positions: [Float],
                               configuration: ClusterConfiguration = .default) throws(LayoutError) -> ClusterHierarchy {
    let n = graph.count
    guard positions.count == 2 * n else { throw .shapeMismatch(what: "positions", expected: 2 * n, found: positions.count) }
    if let rows = unitRows, rows.rows != n { throw .shapeMismatch(what: "unit rows", expected: n, found: rows.rows) }
    let targets = configuration.resolvedTargets(for: n)
    guard targets.allSatisfy({ $0 >= 1 }), !targets.isEmpty else {
      throw .invalidParameter(name: "targets", value: "\(targets)", expected: "one or more counts >= 1")
    }
    let base = Louvain.WeightedGraph(graph)
    // Finest level on the point graph.
    var (labels, resolution) = searchResolution(base, target: targets[targets.count - 1], maxShare: 1)
    labels = mergeSmall(base, labels: labels, minimumSize: configuration.minClusterSize)
    var levelLabels: [[Int32]] = [labels]       // per level, point -> cluster (fine first)
    var resolutions: [Double] = [resolution]
    var current = labels                         // point -> cluster of the level just made
    var currentCount = Int((labels.max() ?? -1) + 1)
    for (position, target) in targets.dropLast().reversed().enumerated() {
      let coarsest = position == targets.count - 2
      let aggregated = bridged(base.aggregated(current, communities: currentCount), clusterOf: current,
                               count: currentCount, unitRows: unitRows, target: target)
      let share = coarsest ? configuration.maxLargestShare : 1
      let sizes = clusterSizes(current, count: currentCount)
      var (groups, r) = searchResolution(aggregated, target: min(target, currentCount), maxShare: share,
                                         nodeSizes: sizes, points: n)
      // A coarse cluster of a few points (one stray fine cluster) is noise at that scale: merge it.
      groups = mergeSmall(aggregated, labels: groups, minimumSize: max(configuration.minClusterSize, n / (10 * target)),
                          nodeSizes: sizes)
      if coarsest { groups = splitOversized(aggregated, groups: groups, sizes: sizes, maxShare: share, points: n) }
      current = current.map { groups[Int($0)] }
      currentCount = Int((groups.max() ?? -1) + 1)
      levelLabels.append(current)
      resolutions.append(r)
    }
    return assemble(Array(levelLabels.reversed()), resolutions: Array(resolutions.reversed()), graph: base, unitRows: unitRows,
                    positions: positions)
  }

  // MARK: - Resolution search

  /// Louvain labels whose community count is closest (in ratio) to `target`, searching γ on a log scale;
  /// with `maxShare` < 1 only partitions whose largest community (weighted by `nodeSizes`) fits are accepted.
  static func searchResolution(_ graph: Louvain.WeightedGraph, target: Int, maxShare: Double,
                               nodeSizes: [Int]? = nil, points: Int? = nil) -> ([Int32], Double) {
    let sizes = nodeSizes ?? [Int](repeating: 1, count: graph.count)
    let total = points ?? graph.count
    func evaluate(_ gamma: Double) -> (labels: [Int32], count: Int, fits: Bool) {
      let labels = Louvain.communities(graph, resolution: gamma)
      let count = Int((labels.max() ?? -1) + 1)
      let largest = clusterSizes(labels, count: count, weights: sizes).max() ?? 0
      return (labels, count, Double(largest) <= maxShare * Double(total) + 1e-9)
    }
    func score(_ count: Int) -> Double { abs(Elementary.log(Double(max(count, 1)) / Double(target))) }
    var best: (labels: [Int32], count: Int, fits: Bool, gamma: Double)?
    func consider(_ gamma: Double) -> (count: Int, fits: Bool) {
      let result = evaluate(gamma)
      let better: Bool
      if let b = best {
        better = (result.fits && !b.fits) || (result.fits == b.fits && score(result.count) < score(b.count))
      } else {
        better = true
      }
      if better { best = (result.labels, result.count, result.fits, gamma) }
      return (result.count, result.fits)
    }
    func closeEnough() -> Bool { if let b = best, b.fits, score(b.count) < 0.1 { true } else { false } }  // ~10%
    // Bracket: too few communities (or too large a share) at lo, enough at hi.
    var lo = 1.0, hi = 1.0
    var probe = consider(1)
    if probe.count >= target && probe.fits {
      while lo > 1e-6 && !closeEnough() {
        hi = lo
        lo /= 4
        probe = consider(lo)
        if probe.count < target || !probe.fits { break }
      }
    } else {
      while hi < 1e6 && !closeEnough() {
        lo = hi
        hi *= 4
        probe = consider(hi)
        if probe.count >= target && probe.fits { break }
      }
    }
    for _ in 0 ..< 14 where !closeEnough() {
      let mid = (lo * hi).squareRoot()
      let result = consider(mid)
      if result.count >= target && result.fits { hi = mid } else { lo = mid }
    }
    guard let chosen = best else { return ((0 ..< graph.count).map(Int32.init), 1) }
    return (chosen.labels, chosen.gamma)
  }

  /// Any group holding more than `maxShare` of the points is re-clustered on its own subgraph at rising
  /// resolution until its parts fit (or its nodes cannot be split further).
  static func splitOversized(_ graph: Louvain.WeightedGraph, groups: [Int32], sizes: [Int], maxShare: Double,
                             points: Int) -> [Int32] {
    var groups = groups
    let limit = maxShare * Double(points)
    for _ in 0 ..< 8 {
      let count = Int((groups.max() ?? -1) + 1)
      let weights = clusterSizes(groups, count: count, weights: sizes)
      guard let offender = weights.indices.first(where: { Double(weights[$0]) > limit }) else { break }
      let nodes = groups.indices.filter { groups[$0] == Int32(offender) }
      if nodes.count < 2 { break }
      let sub = subgraph(graph, nodes: nodes)
      let pieces = Int(Double(weights[offender]) / limit) + 1
      let (parts, _) = searchResolution(sub, target: pieces, maxShare: maxShare,
                                        nodeSizes: nodes.map { sizes[$0] }, points: points)
      if (parts.max() ?? 0) == 0 { break }
      var next = Int32(count)
      var mapping = [Int32: Int32]()
      for (r, node) in nodes.enumerated() where parts[r] != 0 {
        if mapping[parts[r]] == nil {
          mapping[parts[r]] = next
          next += 1
        }
        groups[node] = mapping[parts[r]] ?? groups[node]
      }
    }
    return Louvain.renumber(groups).0
  }

  // MARK: - Helpers

  static func clusterSizes(_ labels: [Int32], count: Int, weights: [Int]? = nil) -> [Int] {
    var sizes = [Int](repeating: 0, count: count)
    for (i, l) in labels.enumerated() { sizes[Int(l)] += weights?[i] ?? 1 }
    return sizes
  }

  /// The induced subgraph on `nodes`, self-loops kept.
  static func subgraph(_ graph: Louvain.WeightedGraph, nodes: [Int]) -> Louvain.WeightedGraph {
    var local = [Int32: Int32]()
    for (r, i) in nodes.enumerated() { local[Int32(i)] = Int32(r) }
    var offsets = [0], columns: [Int32] = [], weights: [Double] = []
    for i in nodes {
      for e in graph.offsets[i] ..< graph.offsets[i + 1] {
        if let j = local[graph.columns[e]] {
          columns.append(j)
          weights.append(graph.weights[e])
        }
      }
      offsets.append(columns.count)
    }
    return Louvain.WeightedGraph(offsets: offsets, columns: columns, weights: weights,
                                 selfLoops: nodes.map { graph.selfLoops[$0] })
  }

  /// Clusters smaller than `minimumSize` points (nodes weighted by `nodeSizes`) join the neighbouring
  /// cluster they share most weight with.
  static func mergeSmall(_ graph: Louvain.WeightedGraph, labels: [Int32], minimumSize: Int,
                         nodeSizes: [Int]? = nil) -> [Int32] {
    var labels = labels
    for _ in 0 ..< 4 {
      let count = Int((labels.max() ?? -1) + 1)
      let sizes = clusterSizes(labels, count: count, weights: nodeSizes)
      var members = [[Int]](repeating: [], count: count)
      for (i, l) in labels.enumerated() { members[Int(l)].append(i) }
      var changed = false
      for c in 0 ..< count where sizes[c] < minimumSize && !members[c].isEmpty {
        var links = [Int32: Double]()
        for i in members[c] {
          for e in graph.offsets[i] ..< graph.offsets[i + 1] where labels[Int(graph.columns[e])] != Int32(c) {
            links[labels[Int(graph.columns[e])], default: 0] += graph.weights[e]
          }
        }
        guard let target = links.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) })?.key
        else { continue }
        for i in members[c] { labels[i] = target }
        members[Int(target)] += members[c]
        members[c] = []
        changed = true
      }
      labels = Louvain.renumber(labels).0
      if !changed { break }
    }
    return labels
  }
}
