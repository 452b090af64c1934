import TensorMath

/// The low-dimensional similarity curve 1 / (1 + a d^(2b)) fitted to UMAP's target: 1 up to `minDistance`,
/// then exp(-(d - minDistance) / spread).
public struct SimilarityCurve: Codable, Sendable, Equatable {
  public var a: Float
  public var b: Float

  public init(a: Float, b: Float) {
    self.a = a
    self.b = b
  }

  /// Least-squares fit (Levenberg-Marquardt, in Double) on 300 points of [0, 3 spread], as umap-learn does
  /// with scipy's `curve_fit`; (spread 1, minDistance 0.1) gives a ≈ 1.577, b ≈ 0.895.
  public static func fit(spread: Float, minDistance: Float) -> SimilarityCurve {
    let spread = Double(spread), minDistance = Double(minDistance)
    let xs = (0 ..< 300).map { Double($0) * spread * 3 / 299 }
    let ys = xs.map { $0 < minDistance ? 1 : Elementary.exp(-($0 - minDistance) / spread) }
    func residualsAndJacobian(_ a: Double, _ b: Double) -> (r: [Double], ja: [Double], jb: [Double]) {
      var r = [Double](repeating: 0, count: xs.count)
      var ja = r, jb = r
      for (i, x) in xs.enumerated() {
        guard x > 0 else {
          r[i] = 1 - ys[i]
          continue
        }
        let p = Elementary.pow(x, 2 * b)
        let denominator = 1 + a * p
        r[i] = 1 / denominator - ys[i]
        ja[i] = -p / (denominator * denominator)
        jb[i] = -a * p * 2 * Elementary.log(x) / (denominator * denominator)
      }
      return (r, ja, jb)
    }
    func cost(_ r: [Double]) -> Double { r.reduce(0) { $0 + $1 * $1 } }
    var a = 1.0, b = 1.0, lambda = 1e-3
    var current = residualsAndJacobian(a, b)
    for _ in 0 ..< 200 {
      var gaa = 0.0, gab = 0.0, gbb = 0.0, ga = 0.0, gb = 0.0
      for i in xs.indices {
        gaa += current.ja[i] * current.ja[i]
        gab += current.ja[i] * current.jb[i]
        gbb += current.jb[i] * current.jb[i]
        ga += current.ja[i] * current.r[i]
        gb += current.jb[i] * current.r[i]
      }
      // (JᵀJ + λ diag(JᵀJ)) δ = -Jᵀr
      let m11 = gaa * (1 + lambda), m22 = gbb * (1 + lambda)
      let det = m11 * m22 - gab * gab
      guard det != 0 else { break }
      let da = -(m22 * ga - gab * gb) / det
      let db = -(m11 * gb - gab * ga) / det
      let candidate = residualsAndJacobian(a + da, b + db)
      if cost(candidate.r) < cost(current.r) {
        a += da
        b += db
        let improvement = cost(current.r) - cost(candidate.r)
        current = candidate
        lambda = max(lambda / 10, 1e-12)
        if improvement < 1e-16 && abs(da) < 1e-12 + 1e-10 * abs(a) { break }
      } else {
        lambda *= 10
        if lambda > 1e12 { break }
      }
    }
    return SimilarityCurve(a: Float(a), b: Float(b))
  }
}
