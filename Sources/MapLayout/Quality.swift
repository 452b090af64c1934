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
  /// Exact: every row of the high-dimensional distance matrix is computed (sgemm in blocks) and never
  /// stored whole, so memory stays O(block · n). `low` is [n, 2 or more], compared euclidean.
  public static func trustworthiness(high: Matrix, low: Matrix, k: Int, metric: DistanceMetric = .cosine)
    throws(LayoutError) -> Double
  {
    let n = high.rows
    guard low.rows == n else { throw .shapeMismatch(what: "map rows", expected: n, found: low.rows) }
    guard k >= 1, 2 * k < n else { throw .invalidParameter(name: "k", value: "\(k)", expected: "at least 1 and below n / 2 = \(n / 2)") }
    guard high.columns > 0, low.columns > 0 else { throw .shapeMismatch(what: "columns", expected: 1, found: 0) }
    let lowNeighbours = euclideanNeighbours(low, k: k)  // [n * k]
    var rows = high
    var squaredNorms = [Float](repeating: 0, count: n)
    let d = high.columns
    for i in 0 ..< n {
      var s: Float = 0
      for c in 0 ..< d { s += high[i, c] * high[i, c] }
      squaredNorms[i] = s
      if metric == .cosine {
        let inverse = s > 0 ? 1 / s.squareRoot() : 0
        for c in 0 ..< d { rows[i, c] *= inverse }
      }
    }
    let norms = squaredNorms
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
          for (a, i) in range.enumerated() {
            for j in 0 ..< n {
              let dot = distances[a * n + j]
              distances[a * n + j] = metric == .cosine
                ? (j == i ? 0 : max(0, 1 - dot))
                : (j == i ? 0 : max(0, norms[i] + norms[j] - 2 * dot))
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
  static func rankOf(_ j: Int, in row: UnsafePointer<Float>, count n: Int, excluding i: Int) -> Int {
    let t = row[j]
    let threshold = SIMD8<Float>(repeating: t)
    let one = SIMD8<Int32>(repeating: 1), zero = SIMD8<Int32>(repeating: 0)
    var less = zero
    var l = 0
    while l + 8 <= n {
      let v = UnsafeRawPointer(row + l).loadUnaligned(as: SIMD8<Float>.self)
      less &+= zero.replacing(with: one, where: v .< threshold)
      l += 8
    }
    var count = Int(less.wrappedSum())
    while l < n {
      if row[l] < t { count += 1 }
      l += 1
    }
    for m in 0 ..< j where row[m] == t { count += 1 }
    if row[i] < t || (row[i] == t && i < j) { count -= 1 }
    return count + 1
  }

  /// The k nearest other points of each row of `points` [n, dims] by euclidean distance, ties by index.
  public static func euclideanNeighbours(_ points: Matrix, k: Int) -> [Int32] {
    let n = points.rows
    var out = [Int32](repeating: 0, count: n * k)
    out.withUnsafeMutableBufferPointer { o in
      let o = UnsafeSendable(o.baseAddress!)
      let dims = points.columns
      points.storage.withUnsafeBufferPointer { p in
        let p = UnsafeSendable(p.baseAddress!)
        Parallel.chunks(n, parts: 16) { range in
          var best = [(Float, Int32)](repeating: (.infinity, .max), count: k)
          for i in range {
            for t in 0 ..< k { best[t] = (.infinity, .max) }
            let x = p.value + i * dims
            for j in 0 ..< n where j != i {
              let y = p.value + j * dims
              var s: Float = 0
              for c in 0 ..< dims {
                let delta = x[c] - y[c]
                s += delta * delta
              }
              if s > best[k - 1].0 || (s == best[k - 1].0 && Int32(j) > best[k - 1].1) { continue }
              var pos = k - 1
              while pos > 0 && (s < best[pos - 1].0 || (s == best[pos - 1].0 && Int32(j) < best[pos - 1].1)) {
                best[pos] = best[pos - 1]
                pos -= 1
              }
              best[pos] = (s, Int32(j))
            }
            for t in 0 ..< k { o.value[i * k + t] = best[t].1 }
          }
        }
      }
    }
    return out
  }
}
