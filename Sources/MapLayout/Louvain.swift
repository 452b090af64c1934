/// Modularity clustering of a weighted undirected graph (Blondel et al. 2008), with a resolution γ:
/// Q = Σ_c [ in_c / 2m − γ (tot_c / 2m)² ].
///
/// Deterministic: nodes are visited in index order, a node moves only for a strictly positive gain, and
/// ties go to the lower community id. Communities that end up disconnected are split into their
/// connected parts (the flaw Leiden fixes), so every cluster is connected in the graph.
enum Louvain {
  /// A graph with self-loops allowed: the aggregated form Louvain works on. Symmetric.
  struct WeightedGraph {
    var offsets: [Int]     // [count + 1]
    var columns: [Int32]   // [edges]
    var weights: [Double]  // [edges]
    var selfLoops: [Double]  // [count], Σ of the weights inside each (aggregated) node, both directions

    var count: Int { offsets.count - 1 }

    init(offsets: [Int], columns: [Int32], weights: [Double], selfLoops: [Double]) {
      self.offsets = offsets
      self.columns = columns
      self.weights = weights
      self.selfLoops = selfLoops
    }

    init(_ graph: SparseGraph) {
      offsets = graph.offsets
      columns = graph.columns
      weights = graph.weights.map(Double.init)
      selfLoops = [Double](repeating: 0, count: graph.count)
      for i in 0 ..< graph.count {
        for e in graph.offsets[i] ..< graph.offsets[i + 1] where Int(graph.columns[e]) == i {
          weights[e] = 0
          selfLoops[i] += Double(graph.weights[e])
        }
      }
    }

    /// k_i = Σ_j A_ij including the self-loop.
    var degrees: [Double] {
      (0 ..< count).map { i in selfLoops[i] + (offsets[i] ..< offsets[i + 1]).reduce(0) { $0 + weights[$1] } }
    }

    /// The graph whose nodes are the communities of `labels` (0 ..< communities).
    func aggregated(_ labels: [Int32], communities: Int) -> WeightedGraph {
      // Members of each community, then one pass over their edges with a dense scratch row.
      var memberOffsets = [Int](repeating: 0, count: communities + 1)
      for l in labels { memberOffsets[Int(l) + 1] += 1 }
      for c in 0 ..< communities { memberOffsets[c + 1] += memberOffsets[c] }
      var fill = memberOffsets
      var members = [Int](repeating: 0, count: count)
      for (i, l) in labels.enumerated() {
        members[fill[Int(l)]] = i
        fill[Int(l)] += 1
      }
      var loops = [Double](repeating: 0, count: communities)
      var scratch = [Double](repeating: 0, count: communities)
      var seen = [Bool](repeating: false, count: communities)
      var touched: [Int32] = []
      var offsets = [0], columns: [Int32] = [], weights: [Double] = []
      for c in 0 ..< communities {
        touched.removeAll(keepingCapacity: true)
        for m in memberOffsets[c] ..< memberOffsets[c + 1] {
          let i = members[m]
          loops[c] += selfLoops[i]
          for e in self.offsets[i] ..< self.offsets[i + 1] {
            let d = labels[Int(self.columns[e])]
            if Int(d) == c {
              loops[c] += self.weights[e]
            } else {
              if !seen[Int(d)] {
                seen[Int(d)] = true
                touched.append(d)
              }
              scratch[Int(d)] += self.weights[e]
            }
          }
        }
        touched.sort()
        for d in touched {
          columns.append(d)
          weights.append(scratch[Int(d)])
          scratch[Int(d)] = 0
          seen[Int(d)] = false
        }
        offsets.append(columns.count)
      }
      return WeightedGraph(offsets: offsets, columns: columns, weights: weights, selfLoops: loops)
    }
  }

  /// Multi-level Louvain at resolution γ: local moving, aggregate, repeat until nothing moves.
  /// Returns labels [count] numbered 0 ..< communities in order of first node.
  static func communities(_ graph: WeightedGraph, resolution: Double, maxLevels: Int = 20) -> [Int32] {
    var labels = (0 ..< graph.count).map(Int32.init)  // original node -> current community
    var current = graph
    for _ in 0 ..< maxLevels {
      let (moved, local) = localMoving(current, resolution: resolution)
      let (renumbered, communities) = renumber(local)
      for i in labels.indices { labels[i] = renumbered[Int(labels[i])] }
      if !moved || communities == current.count { break }
      current = current.aggregated(renumbered, communities: communities)
    }
    return splitDisconnected(graph, labels: labels)
  }

  /// Moves single nodes to the neighbouring community with the best modularity gain until a full sweep
  /// changes nothing. Returns whether any node moved, and the labels.
  static func localMoving(_ graph: WeightedGraph, resolution: Double, maxSweeps: Int = 50) -> (Bool, [Int32]) {
    let n = graph.count
    let degree = graph.degrees
    let total = degree.reduce(0, +)
    guard total > 0 else { return (false, (0 ..< n).map(Int32.init)) }
    var labels = (0 ..< n).map(Int32.init)
    var communityTotal = degree
    var linkWeight = [Double](repeating: 0, count: n)  // scratch: weight from the node to each community
    var touched: [Int32] = []
    var movedAny = false
    for _ in 0 ..< maxSweeps {
      var moves = 0
      for i in 0 ..< n {
        let own = labels[i]
        touched.removeAll(keepingCapacity: true)
        for e in graph.offsets[i] ..< graph.offsets[i + 1] {
          let c = labels[Int(graph.columns[e])]
          if linkWeight[Int(c)] == 0 { touched.append(c) }
          linkWeight[Int(c)] += graph.weights[e]
        }
        communityTotal[Int(own)] -= degree[i]
        let scale = resolution * degree[i] / total
        var best = own
        var bestGain = linkWeight[Int(own)] - scale * communityTotal[Int(own)]
        for c in touched where c != own {
          let gain = linkWeight[Int(c)] - scale * communityTotal[Int(c)]
          if gain > bestGain + 1e-12 || (abs(gain - bestGain) <= 1e-12 && c < best && best != own) {
            best = c
            bestGain = gain
          }
        }
        communityTotal[Int(best)] += degree[i]
        for c in touched { linkWeight[Int(c)] = 0 }
        if best != own {
          labels[i] = best
          moves += 1
        }
      }
      if moves == 0 { break }
      movedAny = true
    }
    return (movedAny, labels)
  }

  /// Labels renumbered 0 ..< count in order of first appearance.
  static func renumber(_ labels: [Int32]) -> ([Int32], Int) {
    var map = [Int32: Int32]()
    var out = [Int32](repeating: 0, count: labels.count)
    for (i, l) in labels.enumerated() {
      if let m = map[l] { out[i] = m } else {
        let m = Int32(map.count)
        map[l] = m
        out[i] = m
      }
    }
    return (out, map.count)
  }

  /// Splits every community into its connected parts (edges inside the community only).
  static func splitDisconnected(_ graph: WeightedGraph, labels: [Int32]) -> [Int32] {
    let n = graph.count
    var out = [Int32](repeating: -1, count: n)
    var next: Int32 = 0
    var queue: [Int] = []
    for s in 0 ..< n where out[s] < 0 {
      out[s] = next
      queue.removeAll(keepingCapacity: true)
      queue.append(s)
      var head = 0
      while head < queue.count {
        let i = queue[head]
        head += 1
        for e in graph.offsets[i] ..< graph.offsets[i + 1] where graph.weights[e] > 0 {
          let j = Int(graph.columns[e])
          if out[j] < 0 && labels[j] == labels[s] {
            out[j] = next
            queue.append(j)
          }
        }
      }
      next += 1
    }
    return out
  }

  /// Modularity of `labels` at resolution γ (for tests and reports).
  static func modularity(_ graph: WeightedGraph, labels: [Int32], resolution: Double = 1) -> Double {
    let degree = graph.degrees
    let total = degree.reduce(0, +)
    guard total > 0 else { return 0 }
    let communities = Int(labels.max() ?? -1) + 1
    var inside = [Double](repeating: 0, count: communities)
    var totals = [Double](repeating: 0, count: communities)
    for i in 0 ..< graph.count {
      let c = Int(labels[i])
      totals[c] += degree[i]
      inside[c] += graph.selfLoops[i]
      for e in graph.offsets[i] ..< graph.offsets[i + 1] where labels[Int(graph.columns[e])] == labels[i] {
        inside[c] += graph.weights[e]
      }
    }
    return (0 ..< communities).reduce(0) { $0 + inside[$1] / total - resolution * (totals[$1] / total) * (totals[$1] / total) }
  }
}
