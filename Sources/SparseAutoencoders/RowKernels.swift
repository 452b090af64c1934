/// Kernels over several rows at once for the sparse products of training.
///
/// Why: the rows an entry needs (a decoder row, an input row) sit at random places in memory, so a
/// one-row-at-a-time loop waits on each row's first cache lines. Reading four rows per pass keeps four
/// streams in flight and reads and writes the destination once instead of four times.
enum RowKernels {
  /// y += a[0]·x0 + a[1]·x1 + a[2]·x2 + a[3]·x3 over n values.
  @inline(__always)
  static func axpy4(_ a: SIMD4<Float>, _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>,
                    _ x2: UnsafePointer<Float>, _ x3: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    let (a0, a1, a2, a3) = (SIMD8<Float>(repeating: a[0]), SIMD8<Float>(repeating: a[1]),
                            SIMD8<Float>(repeating: a[2]), SIMD8<Float>(repeating: a[3]))
    let (r0, r1, r2, r3) = (UnsafeRawPointer(x0), UnsafeRawPointer(x1), UnsafeRawPointer(x2), UnsafeRawPointer(x3))
    let ry = UnsafeMutableRawPointer(y)
    var i = 0
    while i + 8 <= n {
      let o = i * 4
      var v = ry.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
      v.addProduct(a0, r0.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
      v.addProduct(a1, r1.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
      v.addProduct(a2, r2.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
      v.addProduct(a3, r3.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
      ry.storeBytes(of: v, toByteOffset: o, as: SIMD8<Float>.self)
      i += 8
    }
    while i < n {
      y[i] += a[0] * x0[i] + a[1] * x1[i] + a[2] * x2[i] + a[3] * x3[i]
      i += 1
    }
  }

  /// (x0·y, x1·y, x2·y, x3·y) over n values.
  @inline(__always)
  static func dot4(_ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, _ x2: UnsafePointer<Float>,
                   _ x3: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> SIMD4<Float> {
    var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
    let (r0, r1, r2, r3) = (UnsafeRawPointer(x0), UnsafeRawPointer(x1), UnsafeRawPointer(x2), UnsafeRawPointer(x3))
    let ry = UnsafeRawPointer(y)
    var i = 0
    while i + 8 <= n {
      let o = i * 4
      let v = ry.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
      s0.addProduct(v, r0.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
      s1.addProduct(v, r1.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
      s2.addProduct(v, r2.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
      s3.addProduct(v, r3.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
      i += 8
    }
    var out = SIMD4<Float>(s0.sum(), s1.sum(), s2.sum(), s3.sum())
    while i < n {
      out += SIMD4(x0[i], x1[i], x2[i], x3[i]) * y[i]
      i += 1
    }
    return out
  }

  /// y += Σ_t a(t)·x(t) for t in 0 ..< count, four rows per pass.
  @inline(__always)
  static func accumulate(count: Int, _ y: UnsafeMutablePointer<Float>, _ n: Int,
                         _ term: (Int) -> (Float, UnsafePointer<Float>)) {
    var t = 0
    while t + 4 <= count {
      let (a0, x0) = term(t), (a1, x1) = term(t + 1), (a2, x2) = term(t + 2), (a3, x3) = term(t + 3)
      axpy4(SIMD4(a0, a1, a2, a3), x0, x1, x2, x3, y, n)
      t += 4
    }
    while t < count {
      let (a, x) = term(t)
      axpy1(a, x, y, n)
      t += 1
    }
  }

  /// y += a·x.
  @inline(__always)
  static func axpy1(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    let va = SIMD8<Float>(repeating: a)
    let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
    var i = 0
    while i + 8 <= n {
      let o = i * 4
      var v = ry.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
      v.addProduct(va, rx.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
      ry.storeBytes(of: v, toByteOffset: o, as: SIMD8<Float>.self)
      i += 8
    }
    while i < n {
      y[i] += a * x[i]
      i += 1
    }
  }
}
