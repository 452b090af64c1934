import TensorMath

/// The k nearest neighbours of every point under cosine distance, the point itself first.
public struct KNNGraph: Sendable, Equatable {
  /// Neighbours per point, the point itself included.
  public var k: Int
  public var indices: [Int32]    // [n * k], row i = i, then neighbours by increasing distance
  public var distances: [Float]  // [n * k], cosine distance 1 - cos(i, j) (0 for i itself), ascending per row

  /// A graph from stored arrays (e.g. read back from an artifact); throws when the shapes disagree.
  public init(k: Int, indices: [Int32], distances: [Float]) throws(LayoutError) {
    guard k > 0 else { throw .invalidParameter(name: "k", value: "\(k)", expected: ">= 1") }
    guard indices.count % k == 0 else {
      throw .shapeMismatch(what: "kNN indices (a multiple of k = \(k))", expected: (indices.count / k + 1) * k,
                           found: indices.count)
    }
    guard distances.count == indices.count else {
      throw .shapeMismatch(what: "kNN distances", expected: indices.count, found: distances.count)
    }
    let n = indices.count / k
    if let bad = indices.first(where: { $0 < 0 || Int($0) >= n }) {
      throw .invalidParameter(name: "kNN index", value: "\(bad)", expected: "0 ..< \(n)")
    }
    self.init(checked: k, indices: indices, distances: distances)
  }

  init(checked k: Int, indices: [Int32], distances: [Float]) {
    self.k = k
    self.indices = indices
    self.distances = distances
  }

  public var count: Int { indices.count / k }

  /// Neighbours of point `i` (itself first).
  public func neighbours(of i: Int) -> ArraySlice<Int32> { indices[i * k ..< (i + 1) * k] }
}

/// Exact and approximate k-nearest-neighbour search on unit rows.
public enum NearestNeighbours {
  // MARK: - Input

  /// Rows scaled to unit L2 norm, so cosine similarity is a dot product. Zero rows stay zero
  /// (similarity 0, distance 1 to everything). Throws on NaN or infinity.
  public static func unitRows(_ vectors: Matrix) throws(LayoutError) -> Matrix {
    guard vectors.columns > 0 || vectors.rows == 0 else {
      throw .invalidParameter(name: "vector dimensions", value: "0", expected: ">= 1")
    }
    var out = vectors
    let d = vectors.columns
    for r in 0 ..< vectors.rows {
      var sum: Double = 0
      for c in 0 ..< d {
        let v = vectors.storage[r * d + c]
        guard v.isFinite else { throw .nonFiniteInput(row: r) }
        sum += Double(v) * Double(v)
      }
      let scale: Float = sum > 0 ? Float(1 / sum.squareRoot()) : 0
      for c in 0 ..< d { out.storage[r * d + c] *= scale }
    }
    return out
  }

  // MARK: - Oracle

  /// Plain loops over all pairs: the reference `exact` is tested against.
  public static func bruteForce(_ unitRows: Matrix, k: Int) -> KNNGraph {
    let n = unitRows.rows
    let k = min(k, n)
    if n == 0 || unitRows.columns == 0 { return KNNGraph(checked: max(1, k), indices: [], distances: []) }
    var indices = [Int32](repeating: 0, count: n * k)
    var distances = [Float](repeating: 0, count: n * k)
    unitRows.storage.withUnsafeBufferPointer { u in
      let base = u.baseAddress!
      let d = unitRows.columns
      for i in 0 ..< n {
        var all: [(Float, Int)] = []
        for j in 0 ..< n where j != i {
          all.append((1 - Kernels.dot(base + i * d, base + j * d, d), j))
        }
        all.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        indices[i * k] = Int32(i)
        for c in 1 ..< k {
          indices[i * k + c] = Int32(all[c - 1].1)
          distances[i * k + c] = max(0, all[c - 1].0)
        }
      }
    }
    return KNNGraph(checked: k, indices: indices, distances: distances)
  }

  // MARK: - Exact, blocked

  /// Exact kNN from tiles of the Gram matrix: each pair of row tiles (I, J) is one sgemm, used for
  /// the rows of I and (transposed) the rows of J, so the n² d work is halved.
  ///
  /// Why a round-robin schedule: pairs in one round share no tile, so the two workers update
  /// disjoint rows without locks, and every row's candidates arrive in a fixed order (bit-identical
  /// output for any core count).
  public static func exact(_ unitRows: Matrix, k: Int, tile: Int? = nil) -> KNNGraph {
    let n = unitRows.rows
    let k = min(k, n)
    if n == 0 || unitRows.columns == 0 { return KNNGraph(checked: max(1, k), indices: [], distances: []) }
    var lists = CandidateLists(rows: n, capacity: k - 1)
    let tile = tile ?? max(64, min(512, (n + 7) / 8))
    let tiles = (n + tile - 1) / tile
    let d = unitRows.columns
    unitRows.storage.withUnsafeBufferPointer { u in
      let rows = UnsafeSendable(u.baseAddress!)
      lists.withPointers { p in
        for round in roundRobinRounds(tiles) {
          Parallel.forEach(round.count) { r in
            let (a, b) = round[r]
            let aRange = a * tile ..< min(n, (a + 1) * tile)
            let bRange = b * tile ..< min(n, (b + 1) * tile)
            var gram = [Float](repeating: 0, count: aRange.count * bRange.count)  // [|I|, |J|]
            gram.withUnsafeMutableBufferPointer { g in
              BLAS.sgemm(transA: false, transB: true, m: aRange.count, n: bRange.count, k: d,
                         a: rows.value + aRange.lowerBound * d, lda: d,
                         b: rows.value + bRange.lowerBound * d, ldb: d, c: g.baseAddress!, ldc: bRange.count)
              scanTile(g.baseAddress!, rows: aRange, columns: bRange, diagonal: a == b, lists: p)
            }
          }
        }
      }
    }
    return lists.graph(k: k)
  }

  /// Pushes the similarities of one Gram tile [rows.count, columns.count] into the candidate lists of
  /// its rows and (off the diagonal) of its columns.
  static func scanTile(_ g: UnsafeMutablePointer<Float>, rows: Range<Int>, columns: Range<Int>, diagonal: Bool,
                       lists p: CandidateLists.Pointers) {
    let width = columns.count
    // Thresholds only rise, so a pair below both its row's and its column's current threshold cannot be
    // kept: skipping it gives the same lists as offering every pair. Plain scalar compares: almost every
    // pair fails them, and Swift's SIMD masks went through the stack lane by lane (slower than the sgemm).
    // Diagonal tiles hold every pair twice, so there only the row side is offered.
    let columnThresholds = diagonal ? nil : p.threshold + columns.lowerBound
    for a in 0 ..< rows.count {
      let i = rows.lowerBound + a
      let line = g + a * width
      var rowThreshold = p.threshold[i]
      for c in 0 ..< width {
        let s = line[c]
        if s >= rowThreshold || (columnThresholds.map { s >= $0[c] } ?? false) {
          offer(s, row: i, column: columns.lowerBound + c, diagonal: diagonal, p)
          rowThreshold = p.threshold[i]
        }
      }
    }
  }

  /// Offers the pair (row, column) with similarity s to the row's list and, off the diagonal tiles
  /// (where the pair also appears transposed), to the column's.
  @inline(__always)
  static func offer(_ s: Float, row i: Int, column j: Int, diagonal: Bool, _ p: CandidateLists.Pointers) {
    if j == i { return }
    p.insert(row: i, similarity: s, index: Int32(j))
    if !diagonal { p.insert(row: j, similarity: s, index: Int32(i)) }
  }

  /// Pairs of tiles (a <= b) grouped into rounds in which no tile appears twice (the circle method),
  /// diagonal pairs first.
  static func roundRobinRounds(_ tiles: Int) -> [[(Int, Int)]] {
    var rounds: [[(Int, Int)]] = [(0 ..< tiles).map { ($0, $0) }]
    if tiles < 2 { return rounds }
    let slots = tiles + tiles % 2  // a dummy slot when odd
    var ring = Array(1 ..< slots)
    for _ in 0 ..< slots - 1 {
      let order = [0] + ring
      var round: [(Int, Int)] = []
      for s in 0 ..< slots / 2 {
        let a = order[s], b = order[slots - 1 - s]
        if a < tiles && b < tiles { round.append((min(a, b), max(a, b))) }
      }
      rounds.append(round)
      ring = [ring[ring.count - 1]] + ring.dropLast()
    }
    return rounds
  }
}

// MARK: - Candidate lists

/// Per-row bounded lists of the best (highest similarity, then lowest index) candidates, kept sorted.
/// The result is the top `capacity` of everything offered, whatever the order of offers.
struct CandidateLists {
  let rows: Int
  let capacity: Int
  var similarity: [Float]  // [rows * capacity], descending per row; -inf = empty
  var index: [Int32]       // [rows * capacity]; Int32.max = empty
  var threshold: [Float]   // [rows], similarity of the worst kept candidate (-inf while not full)
  var fresh: [UInt8]       // [rows * capacity], 1 = inserted since NN-descent last sampled it

  init(rows: Int, capacity: Int) {
    self.rows = rows
    self.capacity = capacity
    similarity = [Float](repeating: -.infinity, count: rows * capacity)
    index = [Int32](repeating: .max, count: rows * capacity)
    threshold = [Float](repeating: capacity > 0 ? -.infinity : .infinity, count: rows)
    fresh = [UInt8](repeating: 0, count: rows * capacity)
  }

  /// Raw pointers for workers that own disjoint rows.
  struct Pointers: @unchecked Sendable {
    let capacity: Int
    let similarity: UnsafeMutablePointer<Float>
    let index: UnsafeMutablePointer<Int32>
    let threshold: UnsafeMutablePointer<Float>
    let fresh: UnsafeMutablePointer<UInt8>

    /// Offers candidate `j` with similarity `s` to `row`; returns whether it was kept.
    @inline(__always) @discardableResult
    func insert(row: Int, similarity s: Float, index j: Int32) -> Bool {
      if capacity == 0 || s < threshold[row] { return false }
      let sims = similarity + row * capacity
      let ids = index + row * capacity
      let fresh = self.fresh + row * capacity
      let last = capacity - 1
      if s == sims[last] && j >= ids[last] { return false }
      var pos = last
      while pos > 0 && (s > sims[pos - 1] || (s == sims[pos - 1] && j < ids[pos - 1])) { pos -= 1 }
      // Already listed? (NN-descent offers a pair again, possibly with a similarity rounded differently.)
      for q in 0 ..< capacity where ids[q] == j { return false }
      var t = last
      while t > pos {
        sims[t] = sims[t - 1]
        ids[t] = ids[t - 1]
        fresh[t] = fresh[t - 1]
        t -= 1
      }
      sims[pos] = s
      ids[pos] = j
      fresh[pos] = 1
      threshold[row] = sims[last]
      return true
    }
  }

  mutating func withPointers<R>(_ body: (Pointers) -> R) -> R {
    let capacity = capacity
    return similarity.withUnsafeMutableBufferPointer { s in
      index.withUnsafeMutableBufferPointer { i in
        threshold.withUnsafeMutableBufferPointer { t in
          fresh.withUnsafeMutableBufferPointer { f in
            body(Pointers(capacity: capacity, similarity: s.baseAddress!, index: i.baseAddress!,
                          threshold: t.baseAddress!, fresh: f.baseAddress!))
          }
        }
      }
    }
  }

  /// The lists as a kNN graph with each point first (distance 0), then its candidates.
  func graph(k: Int) -> KNNGraph {
    var indices = [Int32](repeating: 0, count: rows * k)
    var distances = [Float](repeating: 0, count: rows * k)
    for r in 0 ..< rows {
      indices[r * k] = Int32(r)
      for c in 0 ..< k - 1 {
        let s = similarity[r * capacity + c]
        let id = index[r * capacity + c]
        // Unfilled slots (fewer real candidates than k - 1) repeat the point itself at distance 1.
        indices[r * k + 1 + c] = id == .max ? Int32(r) : id
        distances[r * k + 1 + c] = id == .max ? 1 : max(0, 1 - s)
      }
    }
    return KNNGraph(checked: k, indices: indices, distances: distances)
  }
}
