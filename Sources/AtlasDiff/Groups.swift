import TensorMath

/// Non-negative least squares for small groups, and the split/merge test built on it.
public enum GroupFit {
  public struct Fit: Sendable, Equatable {
    public var parts: [Int]          // indices into the candidate list, by descending weight
    public var weights: [Double]     // ≥ 0, same order
    public var explained: Double     // cosine between the target and Σ wᵢ partᵢ
  }

  /// min ‖t − Σ wᵢ vᵢ‖² subject to w ≥ 0, for a unit target t and unit vectors vᵢ given through their Gram
  /// matrix `gram` [m, m] and the products `h` [m] = vᵢ·t. Exact by enumeration of supports: the optimum is the
  /// unconstrained solution on its own support with positive weights, and every such feasible solution is
  /// a candidate, so the best feasible one is the optimum. m ≤ 10.
  public static func nonNegativeLeastSquares(gram: [Double], h: [Double]) -> Fit {
    let m = h.count
    var best = Fit(parts: [], weights: [], explained: 0)
    var bestValue = 0.0     // hᵀw at the optimum = ‖Σ wᵢ vᵢ‖² = explained²
    guard m > 0, m <= 10 else { return best }
    for mask in 1 ..< (1 << m) {
      let support = (0 ..< m).filter { mask & (1 << $0) != 0 }
      guard let w = solve(gram: gram, m: m, h: h, support: support), w.allSatisfy({ $0 > 0 }) else { continue }
      let value = zip(support, w).reduce(0.0) { $0 + h[$1.0] * $1.1 }
      if value > bestValue + 1e-12 {
        bestValue = value
        let order = (0 ..< support.count).sorted { w[$0] > w[$1] || (w[$0] == w[$1] && support[$0] < support[$1]) }
        best = Fit(parts: order.map { support[$0] }, weights: order.map { w[$0] }, explained: min(1, bestValue.squareRoot()))
      }
    }
    return best
  }

  /// Solves G[S, S] w = h[S] by Gaussian elimination with partial pivoting; nil when singular.
  static func solve(gram: [Double], m: Int, h: [Double], support: [Int]) -> [Double]? {
    let s = support.count
    var a = [Double](repeating: 0, count: s * (s + 1))   // [s, s + 1] augmented
    for (r, i) in support.enumerated() {
      for (c, j) in support.enumerated() { a[r * (s + 1) + c] = gram[i * m + j] }
      a[r * (s + 1) + s] = h[i]
    }
    for col in 0 ..< s {
      var pivot = col
      for r in col + 1 ..< s where abs(a[r * (s + 1) + col]) > abs(a[pivot * (s + 1) + col]) { pivot = r }
      guard abs(a[pivot * (s + 1) + col]) > 1e-9 else { return nil }
      if pivot != col { for c in 0 ... s { a.swapAt(col * (s + 1) + c, pivot * (s + 1) + c) } }
      for r in 0 ..< s where r != col {
        let f = a[r * (s + 1) + col] / a[col * (s + 1) + col]
        if f == 0 { continue }
        for c in col ... s { a[r * (s + 1) + c] -= f * a[col * (s + 1) + c] }
      }
    }
    return (0 ..< s).map { a[$0 * (s + 1) + s] / a[$0 * (s + 1) + $0] }
  }

  /// Whether `target` (a unit row) is explained by a group of the unit rows `candidates` of `other` much
  /// better than by the best single one. Returns the confirmed group (indices into `other`), or nil.
  static func confirmedGroup(target: UnsafePointer<Float>, candidates: [Int], other: Matrix, configuration c: DiffConfiguration)
    -> (parts: [Int], weights: [Double], explained: Double, bestSingle: Double)? {
    var pool = candidates
    guard pool.count >= 2 else { return nil }
    let d = other.columns
    func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Double {
      var s: Float = 0
      for t in 0 ..< d { s += x[t] * y[t] }
      return Double(s)
    }
    return other.storage.withUnsafeBufferPointer { p in
      let base = p.baseAddress!
      // Fit, drop the parts that carry less than the minimum share, refit on what is left.
      var bestSingle = -1.0
      for _ in 0 ..< 3 {
        let m = pool.count
        guard m >= 2 else { return nil }
        let h = pool.map { dot(target, base + $0 * d) }
        if bestSingle < 0 { bestSingle = h.max() ?? 0 }
        var gram = [Double](repeating: 0, count: m * m)
        for r in 0 ..< m { for s in r ..< m {
          let v = dot(base + pool[r] * d, base + pool[s] * d)
          gram[r * m + s] = v; gram[s * m + r] = v
        } }
        let fit = nonNegativeLeastSquares(gram: gram, h: h)
        let total = fit.explained * fit.explained
        let kept = zip(fit.parts, fit.weights).filter { h[$0.0] * $0.1 >= c.minimumPartShare * total }
        let parts = kept.map { pool[$0.0] }
        if parts.count == fit.parts.count || parts.count < 2 {
          guard parts.count >= 2, parts.count == fit.parts.count else { return nil }
          guard fit.explained >= c.groupExplained, fit.explained - bestSingle >= c.groupMargin else { return nil }
          return (parts, kept.map { $0.1 }, fit.explained, bestSingle)
        }
        pool = parts
      }
      return nil
    }
  }
}
