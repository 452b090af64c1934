import TensorMath

/// Distance used for the high-dimensional side of a quality measure.
public enum DistanceMetric: String, Codable, Sendable, CaseIterable {
  case cosine, euclidean
}

/// Measures of a map and of a clustering, defined as scikit-learn defines them (so numbers compare).
public enum Quality {
  // MARK: - Trustworthiness

  /// Trustworthiness T(k) (Venna & Kaski 2001; scikit-learn's `trustworthiness`): 1 minus the normalised
  /// rank excess of each point's k nearest map neighbours in the original space.
  ///
  /// Exact, and never stores the n × n distance matrix: tiles of it come from sgemm, each tile (I, J)
  /// once for both I's rows and (transposed) J's, as in the exact kNN search; the rank of each map
  /// neighbour j of i is counted as the tiles go by (points closer than j, ties by index). `low` is
  /// [n, 2 or more], compared euclidean. `trustworthinessReference` (whole rows, half the tiles twice) is
  /// the oracle.
  public static func trustworthiness(high: Matrix, low: Matrix, k: Int, metric: DistanceMetric = .cosine,
                                     tile: Int? = nil) throws(LayoutError) -> Double {
    let n = try checkTrustworthinessInputs(high: high, low: low, k: k)
    let lowNeighbours = euclideanNeighbours(low, k: k)  // [n * k]
    let (rows, norms) = prepareRows(high, metric: metric)
    let d = high.columns
    // thresholds[i * k + s]: the distance from i to its s-th map neighbour, computed directly.
    var thresholds = [Float](repeating: 0, count: n * k)
    rows.storage.withUnsafeBufferPointer { r in
      for i in 0 ..< n {
        for s in 0 ..< k {
          let j = Int(lowNeighbours[i * k + s])
          let dot = Kernels.dot(r.baseAddress! + i * d, r.baseAddress! + j * d, d)
          thresholds[i * k + s] = distance(dot, norms[i], norms[j], metric)
        }
      }
    }
    var closer = [Int32](repeating: 0, count: n * k)  // points closer to i than its s-th map neighbour
    let tile = tile ?? max(64, min(512, (n + 7) / 8))
    let tiles = (n + tile - 1) / tile
    rows.storage.withUnsafeBufferPointer { r in
      closer.withUnsafeMutableBufferPointer { out in
        let r = UnsafeSendable(r.baseAddress!), out = UnsafeSendable(out.baseAddress!)
        let t = thresholds, neighbours = lowNeighbours, squared = norms
        for round in NearestNeighbours.roundRobinRounds(tiles) {
          Parallel.forEach(round.count) { task in
            let (a, b) = round[task]
            let rowRange = a * tile ..< min(n, (a + 1) * tile), columnRange = b * tile ..< min(n, (b + 1) * tile)
            let width = columnRange.count, height = rowRange.count
            var block = [Float](repeating: 0, count: height * width)      // [rows, columns] distances
            var flipped = [Float](repeating: 0, count: a == b ? 0 : width * height)
            block.withUnsafeMutableBufferPointer { g in
              let g = g.baseAddress!
              BLAS.sgemm(transA: false, transB: true, m: height, n: width, k: d, a: r.value + rowRange.lowerBound * d,
                         lda: d, b: r.value + columnRange.lowerBound * d, ldb: d, c: g, ldc: width)
              squared.withUnsafeBufferPointer { nrm in
                toDistances(g, rows: rowRange, columns: columnRange, norms: nrm.baseAddress!, metric: metric)
              }
              if a == b { for x in 0 ..< height { g[x * width + x] = .infinity } }  // a point is not its own neighbour
              countCloser(g, rows: rowRange, columns: columnRange, k: k, thresholds: t, neighbours: neighbours, into: out.value)
              guard a != b else { return }
              flipped.withUnsafeMutableBufferPointer { f in
                let f = f.baseAddress!
                for x in 0 ..< height { for y in 0 ..< width { f[y * height + x] = g[x * width + y] } }
                countCloser(f, rows: columnRange, columns: rowRange, k: k, thresholds: t, neighbours: neighbours, into: out.value)
              }
            }
          }
        }
      }
    }
    var sum = 0
    for e in 0 ..< n * k where Int(closer[e]) + 1 > k { sum += Int(closer[e]) + 1 - k }
    let nd = Double(n), kd = Double(k)
    return 1 - Double(sum) * 2 / (nd * kd * (2 * nd - 3 * kd - 1))
  }

  static func checkTrustworthinessInputs(high: Matrix, low: Matrix, k: Int) throws(LayoutError) -> Int {
    let n = high.rows
    guard low.rows == n else { throw .shapeMismatch(what: "map rows", expected: n, found: low.rows) }
    guard k >= 1, 2 * k < n else { throw .invalidParameter(name: "k", value: "\(k)", expected: "at least 1 and below n / 2 = \(n / 2)") }
    guard high.columns > 0, low.columns > 0 else { throw .shapeMismatch(what: "columns", expected: 1, found: 0) }
    return n
  }

  /// Rows scaled to unit length for cosine (as given for euclidean), and their squared norms before.
  static func prepareRows(_ high: Matrix, metric: DistanceMetric) -> (Matrix, [Float]) {
    var rows = high
    var squaredNorms = [Float](repeating: 0, count: high.rows)
    let d = high.columns
    for i in 0 ..< high.rows {
      var s: Float = 0
      for c in 0 ..< d { s += high[i, c] * high[i, c] }
      squaredNorms[i] = s
      if metric == .cosine {
        let inverse = s > 0 ? 1 / s.squareRoot() : 0
        for c in 0 ..< d { rows[i, c] *= inverse }
      }
    }
    return (rows, squaredNorms)
  }

  @inline(__always)
  static func distance(_ dot: Float, _ normI: Float, _ normJ: Float, _ metric: DistanceMetric) -> Float {
    metric == .cosine ? max(0, 1 - dot) : max(0, normI + normJ - 2 * dot)
  }

  /// Similarities of a tile to distances in place (branch-free loops per metric: they vectorise).
  static func toDistances(_ g: UnsafeMutablePointer<Float>, rows: Range<Int>, columns: Range<Int>,
                          norms: UnsafePointer<Float>, metric: DistanceMetric) {
    let width = columns.count
    for (x, i) in rows.enumerated() {
      let row = g + x * width
      switch metric {
      case .cosine:
        for y in 0 ..< width { row[y] = max(0, 1 - row[y]) }
      case .euclidean:
        let own = norms[i], other = norms + columns.lowerBound
        for y in 0 ..< width { row[y] = max(0, own + other[y] - 2 * row[y]) }
      }
    }
  }

  /// For each row i of a distance tile and each of its map neighbours j (slot s): adds the number of
  /// columns m != j with distance below d(i, j), or equal with m < j, to `closer[i * k + s]`.
  static func countCloser(_ g: UnsafePointer<Float>, rows: Range<Int>, columns: Range<Int>, k: Int,
                          thresholds: [Float], neighbours: [Int32], into closer: UnsafeMutablePointer<Int32>) {
    let width = columns.count
    for (x, i) in rows.enumerated() {
      let row = g + x * width
      for s in 0 ..< k {
        let t = thresholds[i * k + s]
        let j = Int(neighbours[i * k + s]) - columns.lowerBound   // may lie outside this tile
        let split = min(max(j, 0), width)
        var count = countAtMost(row, split, t)                   // columns before j: ties count
        let after = min(max(j + 1, 0), width)
        count += countBelow(row + after, width - after, t)       // columns after j: ties do not
        closer[i * k + s] += Int32(count)
      }
    }
  }

  /// How many of x[0 ..< n] are < t: the sign bit of x - t (never -0 for x != t, +0 for x == t).
  /// Counting sign bits keeps everything in vector registers; a SIMD mask (`v .< t`) was read back lane
  /// by lane through the stack, 10x slower.
  @inline(__always)
  static func countBelow(_ x: UnsafePointer<Float>, _ n: Int, _ t: Float) -> Int {
    countSigns(x, n, t, atMost: false)
  }

  /// How many of x[0 ..< n] are <= t: those for which t - x has no sign bit (+inf never counts).
  @inline(__always)
  static func countAtMost(_ x: UnsafePointer<Float>, _ n: Int, _ t: Float) -> Int {
    countSigns(x, n, t, atMost: true)
  }

  @inline(__always)
  private static func countSigns(_ x: UnsafePointer<Float>, _ n: Int, _ t: Float, atMost: Bool) -> Int {
    var lanes = SIMD16<UInt32>(repeating: 0)
    let threshold = SIMD16<Float>(repeating: t)
    var i = 0
    while i + 16 <= n {
      let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
      lanes &+= unsafeBitCast(atMost ? threshold - v : v - threshold, to: SIMD16<UInt32>.self) &>> 31
      i += 16
    }
    let negative = Int(lanes.wrappedSum())
    var count = atMost ? i - negative : negative
    while i < n {
      if atMost ? x[i] <= t : x[i] < t { count += 1 }
      i += 1
    }
    return count
  }

  /// The first implementation, kept as the oracle: whole rows of the distance matrix from sgemm, each
  /// map neighbour's rank counted over its row.
  package static func trustworthinessReference(high: Matrix, low: Matrix, k: Int, metric: DistanceMetric = .cosine)
    throws(LayoutError) -> Double
  {
    let n = try checkTrustworthinessInputs(high: high, low: low, k: k)
    let lowNeighbours = euclideanNeighbours(low, k: k)  // [n * k]
    let (rows, norms) = prepareRows(high, metric: metric)
    let d = high.columns
    let block = 128
    let blocks = (n + block - 1) / block
    var penalties = [Int](repeating: 0, count: blocks)
    rows.storage.withUnsafeBufferPointer { r in
      penalties.withUnsafeMutableBufferPointer { out in
        let base = UnsafeSendable(r.baseAddress!)
        let out = UnsafeSendable(out.baseAddress!)
        Parallel.forEach(blocks) { bi in
          let range = bi * block ..< min(n, (bi + 1) * block)
          var distances = [Float](repeating: 0, count: range.count * n)  // [block, n]
          distances.withUnsafeMutableBufferPointer { g in
            BLAS.sgemm(transA: false, transB: true, m: range.count, n: n, k: d, a: base.value + range.lowerBound * d,
                       lda: d, b: base.value, ldb: d, c: g.baseAddress!, ldc: n)
          }
          // Similarities to distances: branch-free loops per metric (they vectorise), the point itself 0.
          distances.withUnsafeMutableBufferPointer { g in
            norms.withUnsafeBufferPointer { norm in
              for (a, i) in range.enumerated() {
                let row = g.baseAddress! + a * n
                switch metric {
                case .cosine:
                  for j in 0 ..< n { row[j] = max(0, 1 - row[j]) }
                case .euclidean:
                  let own = norm[i]
                  for j in 0 ..< n { row[j] = max(0, own + norm[j] - 2 * row[j]) }
                }
                row[i] = 0
              }
            }
          }
          var total = 0
          distances.withUnsafeBufferPointer { g in
            for (a, i) in range.enumerated() {
              let row = g.baseAddress! + a * n
              for t in 0 ..< k {
                let j = Int(lowNeighbours[i * k + t])
                let rank = rankOf(j, in: row, count: n, excluding: i)
                if rank > k { total += rank - k }
              }
            }
          }
          out.value[bi] = total
        }
      }
    }
    let sum = Double(penalties.reduce(0, +))
    let nd = Double(n), kd = Double(k)
    return 1 - sum * 2 / (nd * kd * (2 * nd - 3 * kd - 1))
  }

  /// 1-based rank of `j` among all points but `i`, ordered by (distance, index).
  package static func rankOf(_ j: Int, in row: UnsafePointer<Float>, count n: Int, excluding i: Int) -> Int {
    let t = row[j]
    var count = countBelow(row, n, t)
    for m in 0 ..< j where row[m] == t { count += 1 }
    if row[i] < t || (row[i] == t && i < j) { count -= 1 }
    return count + 1
  }

  /// The k nearest other points of each row of `points` [n, dims] by euclidean distance, ties by index.
  /// Maps (two columns) search a grid ring by ring; other shapes go through `euclideanNeighboursBruteForce`.
  /// Both give the same lists: the k smallest (squared distance, index) pairs, distances computed alike.
  public static func euclideanNeighbours(_ points: Matrix, k: Int) -> [Int32] {
    points.columns == 2 && points.rows > 0 ? gridNeighbours(points, k: k) : euclideanNeighboursBruteForce(points, k: k)
  }

  /// All pairs, plain loops: the oracle for the grid search.
  package static func euclideanNeighboursBruteForce(_ points: Matrix, k: Int) -> [Int32] {
    let n = points.rows
    var out = [Int32](repeating: 0, count: n * k)
    out.withUnsafeMutableBufferPointer { o in
      let o = UnsafeSendable(o.baseAddress!)
      let dims = points.columns
      points.storage.withUnsafeBufferPointer { p in
        let p = UnsafeSendable(p.baseAddress!)
        Parallel.chunks(n, parts: 16) { range in
          var best = NearestList(k: k)
          for i in range {
            best.reset()
            let x = p.value + i * dims
            for j in 0 ..< n where j != i {
              let y = p.value + j * dims
              var s: Float = 0
              for c in 0 ..< dims {
                let delta = x[c] - y[c]
                s += delta * delta
              }
              best.offer(s, Int32(j))
            }
            best.write(to: o.value + i * k)
          }
        }
      }
    }
    return out
  }

  /// The k smallest (squared distance, index) pairs offered, kept sorted.
  struct NearestList {
    var items: [(Float, Int32)]
    init(k: Int) { items = [(Float, Int32)](repeating: (.infinity, .max), count: k) }
    mutating func reset() { for t in items.indices { items[t] = (.infinity, .max) } }
    var worst: Float { items[items.count - 1].0 }

    @inline(__always)
    mutating func offer(_ s: Float, _ j: Int32) {
      let k = items.count
      if s > items[k - 1].0 || (s == items[k - 1].0 && j > items[k - 1].1) { return }
      var pos = k - 1
      while pos > 0 && (s < items[pos - 1].0 || (s == items[pos - 1].0 && j < items[pos - 1].1)) {
        items[pos] = items[pos - 1]
        pos -= 1
      }
      items[pos] = (s, j)
    }

    func write(to out: UnsafeMutablePointer<Int32>) {
      for t in items.indices { out[t] = items[t].1 }
    }
  }

  /// Exact kNN in the plane: points bucketed in a grid of about two per cell; each point scans rings of
  /// cells around its own until its k-th distance is below the distance to the next ring.
  static func gridNeighbours(_ points: Matrix, k: Int) -> [Int32] {
    let n = points.rows
    let p = points.storage
    var lo = (Float.infinity, Float.infinity), hi = (-Float.infinity, -Float.infinity)
    for i in 0 ..< n {
      lo = (min(lo.0, p[2 * i]), min(lo.1, p[2 * i + 1]))
      hi = (max(hi.0, p[2 * i]), max(hi.1, p[2 * i + 1]))
    }
    let side = max(1, Int((Double(n) / 2).squareRoot()))
    let extent = max(hi.0 - lo.0, hi.1 - lo.1)
    let width: Float = extent > 0 ? extent / Float(side) : 1
    func cell(_ v: Float, _ origin: Float) -> Int { min(side - 1, max(0, Int((v - origin) / width))) }
    // Counting sort by cell; within a cell, points stay in index order.
    var cellOf = [Int](repeating: 0, count: n)
    var start = [Int](repeating: 0, count: side * side + 1)
    for i in 0 ..< n {
      cellOf[i] = cell(p[2 * i + 1], lo.1) * side + cell(p[2 * i], lo.0)
      start[cellOf[i] + 1] += 1
    }
    for c in 0 ..< side * side { start[c + 1] += start[c] }
    var fill = start
    var members = [Int32](repeating: 0, count: n)
    for i in 0 ..< n {
      members[fill[cellOf[i]]] = Int32(i)
      fill[cellOf[i]] += 1
    }
    var out = [Int32](repeating: 0, count: n * k)
    let cells = start, sorted = members, owner = cellOf, origin = lo
    out.withUnsafeMutableBufferPointer { o in
      let o = UnsafeSendable(o.baseAddress!)
      p.withUnsafeBufferPointer { pp in
        let pp = UnsafeSendable(pp.baseAddress!)
        Parallel.chunks(n, parts: 16) { range in
          var best = NearestList(k: k)
          for i in range {
            best.reset()
            let x = pp.value[2 * i], y = pp.value[2 * i + 1]
            let cx = owner[i] % side, cy = owner[i] / side
            var ring = 0
            while true {
              // Cells at Chebyshev distance `ring` from (cx, cy).
              func scan(_ gx: Int, _ gy: Int) {
                for m in cells[gy * side + gx] ..< cells[gy * side + gx + 1] {
                  let j = Int(sorted[m])
                  if j == i { continue }
                  let dx = x - pp.value[2 * j], dy = y - pp.value[2 * j + 1]
                  best.offer(dx * dx + dy * dy, Int32(j))
                }
              }
              for gy in max(0, cy - ring) ... min(side - 1, cy + ring) {
                if gy == cy - ring || gy == cy + ring {
                  for gx in max(0, cx - ring) ... min(side - 1, cx + ring) { scan(gx, gy) }
                } else {
                  if cx - ring >= 0 { scan(cx - ring, gy) }
                  if cx + ring < side { scan(cx + ring, gy) }
                }
              }
              if ring >= side { break }
              // Every point outside the rings searched so far is at least this far away (a slightly
              // smaller bound than the exact one, so rounding can only make the search go on longer).
              let left = x - (origin.0 + Float(cx - ring) * width), right = origin.0 + Float(cx + ring + 1) * width - x
              let below = y - (origin.1 + Float(cy - ring) * width), above = origin.1 + Float(cy + ring + 1) * width - y
              let reach = max(0, min(min(left, right), min(below, above)) * 0.999 - width * 1e-4)
              if reach * reach > best.worst { break }
              ring += 1
            }
            best.write(to: o.value + i * k)
          }
        }
      }
    }
    return out
  }
}
