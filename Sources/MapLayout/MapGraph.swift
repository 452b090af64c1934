import TensorMath

/// Neighbours on the 2-D map itself: what a reader sees as "near". Clustering on the decoder graph alone
/// gives colours that interleave on the map; mixing in this graph makes clusters regions.
public enum MapGraph {
  /// The k nearest other points of every point on the map, by Euclidean distance, nearest first (ties:
  /// lower index). A uniform grid of about two points per cell is searched ring by ring, so the cost is
  /// about n·k, not n². Returns [n * k] indices (fewer than k points: the row is padded with -1).
  /// - Parameter positions: [n * 2], x then y per point.
  public static func nearest(positions: [Float], k: Int) -> [Int32] {
    let n = positions.count / 2
    guard n > 0, k > 0 else { return [] }
    var minX = Float.infinity, minY = Float.infinity, maxX = -Float.infinity, maxY = -Float.infinity
    for i in 0 ..< n {
      minX = min(minX, positions[2 * i]); maxX = max(maxX, positions[2 * i])
      minY = min(minY, positions[2 * i + 1]); maxY = max(maxY, positions[2 * i + 1])
    }
    let side = max(1, Int(Double(n / 2).squareRoot()))
    let width = max(maxX - minX, 1e-6), height = max(maxY - minY, 1e-6)
    let cellW = width / Float(side), cellH = height / Float(side)
    let x0 = minX, y0 = minY
    let cell: @Sendable (Int) -> (Int, Int) = { i in
      (max(0, min(side - 1, Int((positions[2 * i] - x0) / cellW))), max(0, min(side - 1, Int((positions[2 * i + 1] - y0) / cellH))))
    }
    // Points bucketed by cell (counting sort).
    var counts = [Int](repeating: 0, count: side * side + 1)
    for i in 0 ..< n { let (cx, cy) = cell(i); counts[cy * side + cx + 1] += 1 }
    for c in 0 ..< side * side { counts[c + 1] += counts[c] }
    var fill = counts
    var bucketed = [Int32](repeating: 0, count: n)
    for i in 0 ..< n {
      let (cx, cy) = cell(i)
      bucketed[fill[cy * side + cx]] = Int32(i)
      fill[cy * side + cx] += 1
    }
    let start = counts, members = bucketed
    var out = [Int32](repeating: -1, count: n * k)
    let want = min(k, n - 1)
    guard want > 0 else { return out }
    out.withUnsafeMutableBufferPointer { buffer in
      let target = UnsafeSendable(buffer.baseAddress!)
      Parallel.chunks(n, parts: Parallel.workers) { range in
        var best: [(d: Float, j: Int32)] = []
        for i in range {
          best.removeAll(keepingCapacity: true)
          let (cx, cy) = cell(i)
          let x = positions[2 * i], y = positions[2 * i + 1]
          var ring = 0
          while true {
            for gy in max(0, cy - ring) ... min(side - 1, cy + ring) {
              for gx in max(0, cx - ring) ... min(side - 1, cx + ring) where max(abs(gx - cx), abs(gy - cy)) == ring {
                let c = gy * side + gx
                for m in members[start[c] ..< start[c + 1]] where Int(m) != i {
                  let dx = positions[2 * Int(m)] - x, dy = positions[2 * Int(m) + 1] - y
                  best.append((dx * dx + dy * dy, m))
                }
              }
            }
            // Every point not yet seen lies at least `ring` whole cells away.
            let reach = Float(ring) * min(cellW, cellH)
            if best.count >= want {
              best.sort { $0.d < $1.d || ($0.d == $1.d && $0.j < $1.j) }
              if best.count > 4 * want { best.removeLast(best.count - 4 * want) }
              if best[want - 1].d <= reach * reach { break }
            }
            if ring > side { break }
            ring += 1
          }
          best.sort { $0.d < $1.d || ($0.d == $1.d && $0.j < $1.j) }
          for (slot, entry) in best.prefix(want).enumerated() { target.value[i * k + slot] = entry.j }
        }
      }
    }
    return out
  }

  /// The symmetric graph of map neighbours, each edge weighted 1 (both directions: 2).
  public static func graph(positions: [Float], k: Int) -> SparseGraph {
    let n = positions.count / 2
    let near = nearest(positions: positions, k: k)
    var rows = [[Int32: Float]](repeating: [:], count: n)
    for i in 0 ..< n {
      for slot in 0 ..< k {
        let j = near[i * k + slot]
        guard j >= 0 else { continue }
        rows[i][j, default: 0] += 1
        rows[Int(j)][Int32(i), default: 0] += 1
      }
    }
    return SparseGraph(rows: rows)
  }

  /// a + weight · b, edge by edge (both graphs on the same nodes).
  public static func combined(_ a: SparseGraph, _ b: SparseGraph, weight: Float) -> SparseGraph {
    var rows = [[Int32: Float]](repeating: [:], count: a.count)
    for i in 0 ..< a.count {
      for e in a.offsets[i] ..< a.offsets[i + 1] { rows[i][a.columns[e], default: 0] += a.weights[e] }
      for e in b.offsets[i] ..< b.offsets[i + 1] { rows[i][b.columns[e], default: 0] += weight * b.weights[e] }
    }
    return SparseGraph(rows: rows)
  }

  /// For each point, the share of its k nearest map points in its own cluster, averaged over the points
  /// with a cluster (assignment ≥ 0): how much a colour on the map reads as a region.
  public static func coherence(positions: [Float], assignments: [Int], k: Int = 10) -> Double {
    let n = positions.count / 2
    guard n > 1, assignments.count == n else { return 0 }
    let near = nearest(positions: positions, k: k)
    var total = 0.0, counted = 0
    for i in 0 ..< n where assignments[i] >= 0 {
      var same = 0, seen = 0
      for slot in 0 ..< k {
        let j = near[i * k + slot]
        guard j >= 0 else { continue }
        seen += 1
        if assignments[Int(j)] == assignments[i] { same += 1 }
      }
      if seen > 0 { total += Double(same) / Double(seen); counted += 1 }
    }
    return counted > 0 ? total / Double(counted) : 0
  }
}

extension SparseGraph {
  /// From per-row maps of column -> weight (columns sorted ascending in the result).
  init(rows: [[Int32: Float]]) {
    var offsets = [0], columns: [Int32] = [], weights: [Float] = []
    for row in rows {
      for (j, w) in row.sorted(by: { $0.key < $1.key }) {
        columns.append(j)
        weights.append(w)
      }
      offsets.append(columns.count)
    }
    self.init(count: rows.count, offsets: offsets, columns: columns, weights: weights)
  }
}
