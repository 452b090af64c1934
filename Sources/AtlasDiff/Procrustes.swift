import AtlasArtifacts
import Foundation

/// Similarity Procrustes in the plane: the scale, rotation, optional reflection and translation that best
/// put B's map onto A's (least squares over matched features).
public enum Procrustes {
  /// Fits `a ≈ s · R · b + t` over the point pairs (aᵢ, bᵢ); R is a rotation, or a rotation after negating
  /// x, whichever fits better. Nil for fewer than 2 pairs or when every b is the same point.
  public static func fit(a: [(Double, Double)], b: [(Double, Double)]) -> DiffAlignmentRecord? {
    let n = min(a.count, b.count)
    guard n >= 2 else { return nil }
    let ma = mean(a[0 ..< n]), mb = mean(b[0 ..< n])
    var normA = 0.0, normB = 0.0
    // Cross terms of the centred clouds.
    var sxx = 0.0, sxy = 0.0, syx = 0.0, syy = 0.0   // Σ bx·ax, Σ bx·ay, Σ by·ax, Σ by·ay
    for i in 0 ..< n {
      let (ax, ay) = (a[i].0 - ma.0, a[i].1 - ma.1)
      let (bx, by) = (b[i].0 - mb.0, b[i].1 - mb.1)
      normA += ax * ax + ay * ay
      normB += bx * bx + by * by
      sxx += bx * ax; sxy += bx * ay; syx += by * ax; syy += by * ay
    }
    guard normB > 0 else { return nil }
    // Rotation by θ maximises Σ a·R b = cosθ (sxx + syy) + sinθ (sxy − syx).
    let rotationDot = ((sxx + syy) * (sxx + syy) + (sxy - syx) * (sxy - syx)).squareRoot()
    // With x negated first: bx → −bx.
    let reflectionDot = ((-sxx + syy) * (-sxx + syy) + (-sxy - syx) * (-sxy - syx)).squareRoot()
    let reflected = reflectionDot > rotationDot + 1e-12 * max(1, rotationDot)
    let theta = reflected ? atan2(-sxy - syx, -sxx + syy) : atan2(sxy - syx, sxx + syy)
    let dotBest = max(rotationDot, reflectionDot)
    let scale = dotBest / normB
    let (c, s) = (cos(theta), sin(theta))
    let bxSign = reflected ? -1.0 : 1.0
    let tx = ma.0 - scale * (c * bxSign * mb.0 - s * mb.1)
    let ty = ma.1 - scale * (s * bxSign * mb.0 + c * mb.1)
    // Residuals: after the full fit, and after centring and matching the spread only (what "unaligned" costs).
    let after = max(0, normA - dotBest * dotBest / normB)
    let plainScale = (normA / normB).squareRoot()
    var before = 0.0
    for i in 0 ..< n {
      let dx = (a[i].0 - ma.0) - plainScale * (b[i].0 - mb.0)
      let dy = (a[i].1 - ma.1) - plainScale * (b[i].1 - mb.1)
      before += dx * dx + dy * dy
    }
    return DiffAlignmentRecord(scale: scale, rotation: theta, reflected: reflected, translation: [tx, ty], pairs: n,
                               rmsBefore: (before / Double(n)).squareRoot(), rmsAfter: (after / Double(n)).squareRoot(),
                               extentA: (normA / Double(n)).squareRoot())
  }

  private static func mean(_ p: ArraySlice<(Double, Double)>) -> (Double, Double) {
    var x = 0.0, y = 0.0
    for q in p { x += q.0; y += q.1 }
    return (x / Double(p.count), y / Double(p.count))
  }
}
