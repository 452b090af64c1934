import TensorMath

/// A sparse weighted graph in compressed-row form. Undirected graphs store every edge in both rows.
public struct SparseGraph: Sendable, Equatable {
  public var count: Int          // nodes
  public var offsets: [Int]      // [count + 1], row i's edges at offsets[i] ..< offsets[i + 1]
  public var columns: [Int32]    // [edges], ascending within a row
  public var weights: [Float]    // [edges]

  /// A graph from stored arrays; throws when the shapes disagree or an index is out of range.
  public init(validating count: Int, offsets: [Int], columns: [Int32], weights: [Float]) throws(LayoutError) {
    guard offsets.count == count + 1 else { throw .shapeMismatch(what: "graph offsets", expected: count + 1, found: offsets.count) }
    guard weights.count == columns.count else { throw .shapeMismatch(what: "graph weights", expected: columns.count, found: weights.count) }
    guard offsets.first == 0, offsets.last == columns.count, zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }) else {
      throw .invalidParameter(name: "graph offsets", value: "\(offsets.prefix(3))...\(offsets.last ?? 0)",
                              expected: "ascending from 0 to \(columns.count)")
    }
    if let bad = columns.first(where: { $0 < 0 || Int($0) >= count }) {
      throw .invalidParameter(name: "graph column", value: "\(bad)", expected: "0 ..< \(count)")
    }
    self.init(count: count, offsets: offsets, columns: columns, weights: weights)
  }

  init(count: Int, offsets: [Int], columns: [Int32], weights: [Float]) {
    self.count = count
    self.offsets = offsets
    self.columns = columns
    self.weights = weights
  }

  public var edgeCount: Int { columns.count }

  /// Sum of edge weights per node [count].
  public var degrees: [Float] {
    (0 ..< count).map { i in (offsets[i] ..< offsets[i + 1]).reduce(Float(0)) { $0 + weights[$1] } }
  }

  /// Builds a graph from (row, column, weight) triples; duplicates are combined with `combine`.
  public static func fromTriples(count: Int, rows: [Int32], columns: [Int32], weights: [Float],
                                 combine: (Float, Float) -> Float = { $0 + $1 }) -> SparseGraph {
    var offsets = [Int](repeating: 0, count: count + 1)
    for r in rows { offsets[Int(r) + 1] += 1 }
    for i in 0 ..< count { offsets[i + 1] += offsets[i] }
    var fill = offsets
    var order = [Int](repeating: 0, count: rows.count)
    for (e, r) in rows.enumerated() {
      order[fill[Int(r)]] = e
      fill[Int(r)] += 1
    }
    var outOffsets = [Int](repeating: 0, count: count + 1)
    var outColumns: [Int32] = []
    var outWeights: [Float] = []
    outColumns.reserveCapacity(rows.count)
    outWeights.reserveCapacity(rows.count)
    for i in 0 ..< count {
      let entries = order[offsets[i] ..< offsets[i + 1]].sorted { a, b in
        columns[a] < columns[b] || (columns[a] == columns[b] && a < b)
      }
      var last: Int32 = -1
      for e in entries {
        if columns[e] == last, let w = outWeights.last {
          outWeights[outWeights.count - 1] = combine(w, weights[e])
        } else {
          outColumns.append(columns[e])
          outWeights.append(weights[e])
          last = columns[e]
        }
      }
      outOffsets[i + 1] = outColumns.count
    }
    return SparseGraph(count: count, offsets: outOffsets, columns: outColumns, weights: outWeights)
  }
}

/// UMAP's fuzzy simplicial set of a kNN graph: per-point smooth distances turned into membership
/// strengths, symmetrised by fuzzy union (w_ij + w_ji - w_ij w_ji).
public struct FuzzySimplicialSet: Sendable {
  public var graph: SparseGraph   // symmetric, no self loops
  public var sigmas: [Float]      // [n], per-point distance scale
  public var rhos: [Float]        // [n], distance to the nearest (non-identical) neighbour

  /// Builds the set from `knn` (each row starting with the point itself).
  public static func build(from knn: KNNGraph, localConnectivity: Float = 1, bandwidth: Float = 1)
    -> FuzzySimplicialSet
  {
    let (sigmas, rhos) = smoothDistances(knn, localConnectivity: localConnectivity, bandwidth: bandwidth)
    let directed = membershipStrengths(knn, sigmas: sigmas, rhos: rhos)
    return FuzzySimplicialSet(graph: fuzzyUnion(directed, count: knn.count), sigmas: sigmas, rhos: rhos)
  }

  // MARK: - Steps

  /// σ_i by bisection so that Σ_j exp(-max(0, d_ij - ρ_i) / σ_i) = log2(k) · bandwidth over the
  /// k - 1 neighbours; ρ_i interpolates the `localConnectivity`-th non-zero distance.
  public static func smoothDistances(_ knn: KNNGraph, localConnectivity: Float = 1, bandwidth: Float = 1)
    -> (sigmas: [Float], rhos: [Float])
  {
    let n = knn.count, k = knn.k
    let target = Elementary.log(Double(k)) / Elementary.log(2.0) * Double(bandwidth)
    let meanAll = knn.distances.reduce(0.0) { $0 + Double($1) } / Double(max(1, knn.distances.count))
    var sigmas = [Float](repeating: 0, count: n)
    var rhos = [Float](repeating: 0, count: n)
    for i in 0 ..< n {
      let row = knn.distances[i * k ..< (i + 1) * k].map(Double.init)
      let nonZero = row.filter { $0 > 0 }
      var rho = 0.0
      let lc = Double(localConnectivity)
      if Double(nonZero.count) >= lc {
        let index = Int(lc.rounded(.down))
        let interpolation = lc - Double(index)
        if index > 0 {
          rho = nonZero[index - 1]
          if interpolation > 1e-5 { rho += interpolation * (nonZero[index] - nonZero[index - 1]) }
        } else {
          rho = interpolation * nonZero[0]
        }
      } else if let largest = nonZero.max() {
        rho = largest
      }
      var lo = 0.0, hi = Double.infinity, mid = 1.0
      for _ in 0 ..< 64 {
        var sum = 0.0
        for j in 1 ..< k {
          let excess = row[j] - rho
          sum += excess > 0 ? Elementary.exp(-excess / mid) : 1
        }
        if abs(sum - target) < 1e-5 { break }
        if sum > target {
          hi = mid
          mid = (lo + hi) / 2
        } else {
          lo = mid
          mid = hi == .infinity ? mid * 2 : (lo + hi) / 2
        }
      }
      let meanRow = row.reduce(0, +) / Double(k)
      let floor = 1e-3 * (rho > 0 ? meanRow : meanAll)
      sigmas[i] = Float(max(mid, floor))
      rhos[i] = Float(rho)
    }
    return (sigmas, rhos)
  }

  /// Directed strengths exp(-(d_ij - ρ_i) / σ_i) (1 within ρ_i), as triples; the point itself is skipped.
  public static func membershipStrengths(_ knn: KNNGraph, sigmas: [Float], rhos: [Float])
    -> (rows: [Int32], columns: [Int32], weights: [Float])
  {
    let n = knn.count, k = knn.k
    var rows: [Int32] = [], columns: [Int32] = [], weights: [Float] = []
    rows.reserveCapacity(n * (k - 1))
    columns.reserveCapacity(n * (k - 1))
    weights.reserveCapacity(n * (k - 1))
    for i in 0 ..< n {
      for c in 0 ..< k {
        let j = knn.indices[i * k + c]
        if Int(j) == i { continue }
        let excess = Double(knn.distances[i * k + c]) - Double(rhos[i])
        let w = excess <= 0 || sigmas[i] == 0 ? 1 : Float(Elementary.exp(-excess / Double(sigmas[i])))
        if w <= 0 { continue }
        rows.append(Int32(i))
        columns.append(j)
        weights.append(w)
      }
    }
    return (rows, columns, weights)
  }

  /// W = A + Aᵀ - A ∘ Aᵀ (probabilistic t-conorm): an edge present in either direction survives.
  public static func fuzzyUnion(_ directed: (rows: [Int32], columns: [Int32], weights: [Float]), count n: Int)
    -> SparseGraph
  {
    // Repeated (i, j) inside A itself (a duplicated neighbour) counts once.
    let a = SparseGraph.fromTriples(count: n, rows: directed.rows, columns: directed.columns,
                                    weights: directed.weights, combine: max)
    // Every edge of A forward and transposed; a mutual pair meets its partner and is combined.
    var rows: [Int32] = [], columns: [Int32] = [], weights: [Float] = []
    rows.reserveCapacity(2 * a.edgeCount)
    columns.reserveCapacity(2 * a.edgeCount)
    weights.reserveCapacity(2 * a.edgeCount)
    for i in 0 ..< n {
      for e in a.offsets[i] ..< a.offsets[i + 1] {
        rows.append(Int32(i)); columns.append(a.columns[e]); weights.append(a.weights[e])
        rows.append(a.columns[e]); columns.append(Int32(i)); weights.append(a.weights[e])
      }
    }
    return SparseGraph.fromTriples(count: n, rows: rows, columns: columns, weights: weights) { $0 + $1 - $0 * $1 }
  }
}
