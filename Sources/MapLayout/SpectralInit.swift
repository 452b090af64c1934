import TensorMath

/// Initial 2-D positions from the graph's spectrum, per connected component.
///
/// Each component with enough points is embedded by the two smallest non-trivial eigenvectors of its
/// normalised Laplacian (dense LAPACK when small, Lanczos when large); the components are then placed
/// by classical MDS of their mean directions (when vectors are given) and scaled so they cannot overlap.
public enum SpectralInit {
  /// Components up to this size use the dense eigensolver.
  static let denseLimit = 600

  public struct Report: Sendable {
    public var components: Int
    public var largestComponent: Int
    public var lanczosIterations: Int
    public var converged: Bool
  }

  /// Positions [n * 2] with max |coordinate| = 10 (umap-learn's expansion), plus a tiny seeded jitter.
  public static func layout(_ graph: SparseGraph, unitRows: Matrix? = nil, seed: UInt64)
    -> (positions: [Float], report: Report)
  {
    let n = graph.count
    let (labels, componentCount) = connectedComponents(graph)
    var members = [[Int]](repeating: [], count: componentCount)
    for i in 0 ..< n { members[Int(labels[i])].append(i) }
    var rng = SplitMix64(seed: seed ^ 0x5350_4543_5452_414C)
    let centres = componentCentres(members, unitRows: unitRows)
    let range = minimumSeparation(centres) / 2
    let largest = members.map(\.count).max() ?? 0
    var positions = [Float](repeating: 0, count: n * 2)
    var iterations = 0
    var converged = true
    for (c, nodes) in members.enumerated() {
      var local: [Float]  // [nodes.count * 2]
      if nodes.count > 3, let eigen = eigenvectors(subgraph(graph, nodes: nodes), method: .automatic, seed: rng.next()) {
        iterations += eigen.iterations
        converged = converged && eigen.converged
        local = (0 ..< nodes.count).flatMap { [eigen.vectors[0][$0], eigen.vectors[1][$0]] }
      } else {
        local = (0 ..< nodes.count * 2).map { _ in rng.nextUnitFloat() * 2 - 1 }
      }
      let extent = local.reduce(Float(0)) { max($0, abs($1)) }
      let radius = componentCount == 1 ? 1 : range * max(0.25, (Float(nodes.count) / Float(largest)).squareRoot())
      let factor = extent > 0 ? radius / extent : 0
      for (r, i) in nodes.enumerated() {
        positions[i * 2] = centres[c].0 + local[r * 2] * factor
        positions[i * 2 + 1] = centres[c].1 + local[r * 2 + 1] * factor
      }
    }
    let extent = positions.reduce(Float(0)) { max($0, abs($1)) }
    let expansion = extent > 0 ? 10 / extent : 1
    for i in positions.indices { positions[i] = positions[i] * expansion + rng.nextGaussian() * 1e-4 }
    return (positions, Report(components: componentCount, largestComponent: largest,
                              lanczosIterations: iterations, converged: converged))
  }

  /// Which eigensolver embeds a component.
  public enum EigenSolver: String, Codable, Sendable, CaseIterable {
    /// Dense up to 600 nodes, Lanczos above.
    case automatic
    /// LAPACK on the dense matrix: O(n³), the reference.
    case dense
    /// Lanczos on the sparse matrix.
    case lanczos
  }

  /// Spectral embedding [n * 2] of one connected graph: the unit-norm eigenvectors 2 and 3 of its
  /// normalised Laplacian as x and y; nil when the graph is too small or the solver fails.
  public static func embedding(_ graph: SparseGraph, method: EigenSolver = .automatic, seed: UInt64) -> [Float]? {
    guard let eigen = eigenvectors(graph, method: method, seed: seed) else { return nil }
    return (0 ..< graph.count).flatMap { [eigen.vectors[0][$0], eigen.vectors[1][$0]] }
  }

  static func eigenvectors(_ graph: SparseGraph, method: EigenSolver, seed: UInt64) -> SparseEigen.Result? {
    guard graph.count > 3 else { return nil }
    let dense = method == .dense || (method == .automatic && graph.count <= denseLimit)
    let result = dense ? SparseEigen.dense(graph, count: 2) : SparseEigen.lanczos(graph, count: 2, seed: seed)
    guard let result, result.vectors.count == 2 else { return nil }
    return result
  }

  // MARK: - Components

  /// Connected components by breadth-first search; labels [n] numbered in order of their first node.
  public static func connectedComponents(_ graph: SparseGraph) -> (labels: [Int32], count: Int) {
    var labels = [Int32](repeating: -1, count: graph.count)
    var count: Int32 = 0
    var queue: [Int] = []
    for s in 0 ..< graph.count where labels[s] < 0 {
      labels[s] = count
      queue.removeAll(keepingCapacity: true)
      queue.append(s)
      var head = 0
      while head < queue.count {
        let i = queue[head]
        head += 1
        for e in graph.offsets[i] ..< graph.offsets[i + 1] where graph.weights[e] > 0 {
          let j = Int(graph.columns[e])
          if labels[j] < 0 {
            labels[j] = count
            queue.append(j)
          }
        }
      }
      count += 1
    }
    return (labels, Int(count))
  }

  /// The induced subgraph on `nodes` (in that order).
  static func subgraph(_ graph: SparseGraph, nodes: [Int]) -> SparseGraph {
    if nodes.count == graph.count { return graph }
    var local = [Int32: Int32]()
    for (r, i) in nodes.enumerated() { local[Int32(i)] = Int32(r) }
    var offsets = [0]
    var columns: [Int32] = []
    var weights: [Float] = []
    for i in nodes {
      for e in graph.offsets[i] ..< graph.offsets[i + 1] {
        if let j = local[graph.columns[e]] {
          columns.append(j)
          weights.append(graph.weights[e])
        }
      }
      offsets.append(columns.count)
    }
    return SparseGraph(count: nodes.count, offsets: offsets, columns: columns, weights: weights)
  }

  // MARK: - Placing components

  /// One 2-D centre per component: classical MDS of the cosine distances between the components' mean
  /// directions when vectors are given (and there are 3..4000 components), else points on a circle.
  static func componentCentres(_ members: [[Int]], unitRows: Matrix?) -> [(Float, Float)] {
    let c = members.count
    let circle = (0 ..< c).map { k -> (Float, Float) in
      let angle = 2 * Double.pi * Double(k) / Double(max(c, 1))
      return (Float(Elementary.cos(angle)), Float(Elementary.sin(angle)))
    }
    guard c >= 3, c <= 4000, let rows = unitRows else { return c == 1 ? [(0, 0)] : circle }
    let d = rows.columns
    var means = Matrix(rows: c, columns: d)
    for (k, nodes) in members.enumerated() {
      for i in nodes { for j in 0 ..< d { means[k, j] += rows[i, j] } }
      var norm: Float = 0
      for j in 0 ..< d { norm += means[k, j] * means[k, j] }
      let inverse = norm > 0 ? 1 / norm.squareRoot() : 0
      for j in 0 ..< d { means[k, j] *= inverse }
    }
    // B = -1/2 J D² J with D = cosine distance; its top two eigenpairs give the MDS coordinates.
    let gram = means.matmul(means, transposeOther: true)
    var squared = Matrix(rows: c, columns: c)
    for a in 0 ..< c { for b in 0 ..< c { let dist = 1 - gram[a, b]; squared[a, b] = dist * dist } }
    var rowMean = [Float](repeating: 0, count: c)
    for a in 0 ..< c { for b in 0 ..< c { rowMean[a] += squared[a, b] / Float(c) } }
    let total = rowMean.reduce(0, +) / Float(c)
    var centred = Matrix(rows: c, columns: c)
    for a in 0 ..< c { for b in 0 ..< c { centred[a, b] = -0.5 * (squared[a, b] - rowMean[a] - rowMean[b] + total) } }
    guard let eigen = LAPACK.symmetricEigen(centred), eigen.values[c - 2] > 1e-8 else { return circle }
    let s1 = eigen.values[c - 1].squareRoot(), s2 = eigen.values[c - 2].squareRoot()
    let centres = (0 ..< c).map { (eigen.vectors[c - 1, $0] * s1, eigen.vectors[c - 2, $0] * s2) }
    return minimumSeparation(centres) > 0 ? centres : circle
  }

  /// Smallest distance between two centres (1 when there is only one).
  static func minimumSeparation(_ centres: [(Float, Float)]) -> Float {
    if centres.count < 2 { return 2 }
    var best = Float.infinity
    for a in 0 ..< centres.count {
      for b in a + 1 ..< centres.count {
        let dx = centres[a].0 - centres[b].0, dy = centres[a].1 - centres[b].1
        best = min(best, (dx * dx + dy * dy).squareRoot())
      }
    }
    return best
  }
}
