import TensorMath

extension Clustering {
  /// The aggregated cluster graph, with weak edges added between its connected components when there are
  /// more components than the level wants clusters.
  ///
  /// Why: modularity never merges communities that share no edge, so a neighbour graph that falls apart
  /// into many components (well-separated groups of features) could not reach a coarse level of ~10
  /// clusters. Each cluster gets a weak edge to its 3 most similar clusters (cosine of the mean
  /// directions, full-dimensional) in other components; weak, so they only matter at low resolution.
  static func bridged(_ graph: Louvain.WeightedGraph, clusterOf labels: [Int32], count: Int, unitRows: Matrix?,
                      target: Int) -> Louvain.WeightedGraph {
    let components = Louvain.splitDisconnected(graph, labels: [Int32](repeating: 0, count: count))
    let componentCount = Int((components.max() ?? -1) + 1)
    guard componentCount > target, count > 1 else { return graph }
    // Weight scale: a hundredth of the mean edge weight between clusters (or of the mean loop weight).
    let betweenTotal = graph.weights.reduce(0, +)
    let scale = 0.01 * (graph.weights.isEmpty
      ? graph.selfLoops.reduce(0, +) / Double(count) : betweenTotal / Double(graph.weights.count))
    var extra: [(Int, Int, Double)] = []
    if let rows = unitRows {
      let d = rows.columns
      var means = Matrix(rows: count, columns: d)
      for (i, l) in labels.enumerated() { for c in 0 ..< d { means[Int(l), c] += rows[i, c] } }
      for r in 0 ..< count {
        var norm: Float = 0
        for c in 0 ..< d { norm += means[r, c] * means[r, c] }
        let inverse = norm > 0 ? 1 / norm.squareRoot() : 0
        for c in 0 ..< d { means[r, c] *= inverse }
      }
      let similarity = means.matmul(means, transposeOther: true)  // [count, count]
      for a in 0 ..< count {
        var best: [(Float, Int)] = []
        for b in 0 ..< count where components[b] != components[a] {
          best.append((similarity[a, b], b))
        }
        best.sort { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        for (s, b) in best.prefix(3) { extra.append((a, b, scale * Double(max(s, 0.01)))) }
      }
    } else {
      // No vectors: chain the components in order of their first cluster.
      var first = [Int](repeating: -1, count: componentCount)
      for a in 0 ..< count where first[Int(components[a])] < 0 { first[Int(components[a])] = a }
      for c in 1 ..< componentCount { extra.append((first[c - 1], first[c], scale)) }
    }
    return adding(extra, to: graph)
  }

  /// `graph` plus undirected edges (a, b, w), summed into existing ones.
  static func adding(_ edges: [(Int, Int, Double)], to graph: Louvain.WeightedGraph) -> Louvain.WeightedGraph {
    var rows = [[Int32: Double]](repeating: [:], count: graph.count)
    for i in 0 ..< graph.count {
      for e in graph.offsets[i] ..< graph.offsets[i + 1] { rows[i][graph.columns[e], default: 0] += graph.weights[e] }
    }
    for (a, b, w) in edges where a != b {
      rows[a][Int32(b), default: 0] += w
      rows[b][Int32(a), default: 0] += w
    }
    var offsets = [0], columns: [Int32] = [], weights: [Double] = []
    for row in rows {
      for (column, w) in row.sorted(by: { $0.key < $1.key }) {
        columns.append(column)
        weights.append(w)
      }
      offsets.append(columns.count)
    }
    return Louvain.WeightedGraph(offsets: offsets, columns: columns, weights: weights, selfLoops: graph.selfLoops)
  }
}
