import TensorMath

extension Clustering {
  /// Turns per-level labels (coarse first, nested) into levels of sorted clusters with parents,
  /// representatives and map centroids.
  static func assemble(_ levelLabels: [[Int32]], resolutions: [Double], graph: Louvain.WeightedGraph,
                       unitRows: Matrix?, positions: [Float]) -> ClusterHierarchy {
    var levels: [ClusterLevel] = []
    var previous: [Int32]? = nil  // coarser level's final assignments
    for (index, raw) in levelLabels.enumerated() {
      let count = Int((raw.max() ?? -1) + 1)
      var members = [[Int]](repeating: [], count: count)
      for (i, l) in raw.enumerated() { members[Int(l)].append(i) }
      // Largest first; ties by first member, so ids are stable for the same input.
      let keys = members.map { (size: $0.count, first: $0.first ?? 0) }
      let order = (0 ..< count).sorted { (p: Int, q: Int) -> Bool in
        if keys[p].size != keys[q].size { return keys[p].size > keys[q].size }
        return keys[p].first < keys[q].first
      }
      var newId = [Int32](repeating: 0, count: count)
      for (rank, c) in order.enumerated() { newId[c] = Int32(rank) }
      let assignments = raw.map { newId[Int($0)] }
      let clusters = order.enumerated().map { rank, c -> Cluster in
        let nodes = members[c]
        var x: Double = 0, y: Double = 0
        for i in nodes {
          x += Double(positions[2 * i])
          y += Double(positions[2 * i + 1])
        }
        return Cluster(id: rank, size: nodes.count, parent: previous.map { Int($0[nodes[0]]) },
                       representative: representative(of: nodes, unitRows: unitRows, graph: graph, labels: raw),
                       centroid: [Float(x / Double(nodes.count)), Float(y / Double(nodes.count))])
      }
      levels.append(ClusterLevel(resolution: resolutions[index], assignments: assignments, clusters: clusters))
      previous = assignments
    }
    return ClusterHierarchy(levels: levels)
  }

  /// The member closest in cosine to the others (maximises u_i · Σ_j u_j); without vectors, the member
  /// with the largest weight to its own cluster. Ties go to the lower index.
  static func representative(of nodes: [Int], unitRows: Matrix?, graph: Louvain.WeightedGraph,
                             labels: [Int32]) -> Int {
    guard let rows = unitRows else {
      var best = nodes[0], bestWeight = -Double.infinity
      for i in nodes {
        var w = 0.0
        for e in graph.offsets[i] ..< graph.offsets[i + 1] where labels[Int(graph.columns[e])] == labels[i] {
          w += graph.weights[e]
        }
        if w > bestWeight {
          best = i
          bestWeight = w
        }
      }
      return best
    }
    let d = rows.columns
    var sum = [Float](repeating: 0, count: d)
    return rows.storage.withUnsafeBufferPointer { u in
      let base = u.baseAddress!
      sum.withUnsafeMutableBufferPointer { s in
        for i in nodes { Kernels.axpy(1, base + i * d, s.baseAddress!, d) }
      }
      var best = nodes[0], bestScore = -Float.infinity
      sum.withUnsafeBufferPointer { s in
        for i in nodes {
          let score = Kernels.dot(base + i * d, s.baseAddress!, d)
          if score > bestScore {
            best = i
            bestScore = score
          }
        }
      }
      return best
    }
  }
}

extension ClusterHierarchy {
  /// Point indices of cluster `id` at `level`, ascending.
  public func members(level: Int, cluster id: Int) -> [Int] {
    levels[level].assignments.indices.filter { levels[level].assignments[$0] == Int32(id) }
  }

  /// Whether every cluster of each level lies inside a single cluster of the level above.
  public var isNested: Bool {
    for l in 1 ..< max(1, levels.count) {
      var parent = [Int32: Int32]()
      for (fine, coarse) in zip(levels[l].assignments, levels[l - 1].assignments) {
        if let p = parent[fine], p != coarse { return false }
        parent[fine] = coarse
      }
    }
    return true
  }
}
