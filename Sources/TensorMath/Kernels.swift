/// Vector kernels used by the model and the SAE. Each works on raw pointers so callers can run it
/// on a row of a larger buffer without copying; SIMD8 loops need the `-target-cpu` flag in Package.swift.
public enum Kernels {
  /// Σ x[i] * y[i] in SIMD8 lanes (8 independent accumulators, then a horizontal sum).
  @inlinable
  public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc0 = SIMD8<Float>(repeating: 0)
    var acc1 = SIMD8<Float>(repeating: 0)
    var i = 0
    let rx = UnsafeRawPointer(x)
    let ry = UnsafeRawPointer(y)
    while i + 16 <= n {
      acc0 = acc0.addingProduct(rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self),
                                ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self))
      acc1 = acc1.addingProduct(rx.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self),
                                ry.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self))
      i += 16
    }
    while i + 8 <= n {
      acc0 = acc0.addingProduct(rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self),
                                ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self))
      i += 8
    }
    var sum = (acc0 + acc1).sum()
    while i < n {
      sum += x[i] * y[i]
      i += 1
    }
    return sum
  }

  /// y[i] += a * x[i].
  @inlinable
  public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    let va = SIMD8<Float>(repeating: a)
    let rx = UnsafeRawPointer(x)
    let ry = UnsafeMutableRawPointer(y)
    while i + 8 <= n {
      let v = ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        .addingProduct(va, rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self))
      ry.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
      i += 8
    }
    while i < n {
      y[i] += a * x[i]
      i += 1
    }
  }

  /// Σ x[i]² accumulated in Double for stability over long rows.
  @inlinable
  public static func sumOfSquares(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    dot(x, x, n)
  }

  /// out = x / sqrt(mean(x²) + eps) * weight. `out` may alias `x`.
  @inlinable
  public static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, epsilon: Float,
                             out: UnsafeMutablePointer<Float>, _ n: Int) {
    let meanSquare = dot(x, x, n) / Float(n)
    let scale = 1 / (meanSquare + epsilon).squareRoot()
    for i in 0 ..< n { out[i] = x[i] * scale * weight[i] }
  }

  /// In-place softmax over n values; returns the normaliser's log (log Σ exp) for cross-entropy users.
  @discardableResult @inlinable
  public static func softmax(_ x: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
    var maximum = -Float.infinity
    for i in 0 ..< n where x[i] > maximum { maximum = x[i] }
    var sum: Float = 0
    for i in 0 ..< n {
      let e = Elementary.exp(x[i] - maximum)
      x[i] = e
      sum += e
    }
    let inverse = 1 / sum
    for i in 0 ..< n { x[i] *= inverse }
    return maximum + Elementary.log(sum)
  }

  /// log Σ exp(x) without modifying x.
  @inlinable
  public static func logSumExp(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var maximum = -Float.infinity
    for i in 0 ..< n where x[i] > maximum { maximum = x[i] }
    var sum: Double = 0
    for i in 0 ..< n { sum += Double(Elementary.exp(x[i] - maximum)) }
    return maximum + Float(Elementary.log(sum))
  }

  /// silu(z) = z / (1 + e^-z).
  @inlinable
  public static func silu(_ z: Float) -> Float { z / (1 + Elementary.exp(-z)) }
}
