import Foundation
import TensorMath
import Testing

@Suite("Matrix and BLAS")
struct MatrixTests {
  @Test("sgemm agrees with the triple loop on every transpose combination")
  func matmulMatchesNaive() {
    var rng = SplitMix64(seed: 7)
    let a = Matrix(rows: 5, columns: 7, storage: (0 ..< 35).map { _ in rng.nextGaussian() })
    let b = Matrix(rows: 7, columns: 3, storage: (0 ..< 21).map { _ in rng.nextGaussian() })
    var naive = Matrix(rows: 5, columns: 3)
    for i in 0 ..< 5 { for j in 0 ..< 3 { for k in 0 ..< 7 { naive[i, j] += a[i, k] * b[k, j] } } }
    let cases = [
      a.matmul(b),
      a.transposed.matmul(b, transposeSelf: true),
      a.matmul(b.transposed, transposeOther: true),
      a.transposed.matmul(b.transposed, transposeSelf: true, transposeOther: true),
    ]
    for c in cases {
      for i in 0 ..< c.count { #expect(abs(c.storage[i] - naive.storage[i]) < 1e-5) }
    }
  }

  @Test("A thread count set while a single-threaded region is active waits for the region to end")
  func threadCountInsideRegions() {
    // Only what holds whatever concurrent tests do: inside a region OpenBLAS stays on one thread, even when
    // someone sets the count (the setting is applied when the last region leaves).
    BLAS.singleThreaded {
      let requested = BLAS.requestedThreads
      #expect(BLAS.threads == 1)
      BLAS.threads = 3
      #expect(BLAS.threads == 1)
      #expect(BLAS.requestedThreads == 3)
      BLAS.singleThreaded { #expect(BLAS.threads == 1) }
      #expect(BLAS.threads == 1)
      BLAS.threads = requested
    }
  }

  @Test("Parallel loops run BLAS on one thread for any item count, one item and one chunk included")
  func parallelLoopsAreSingleThreaded() {
    // A BLAS product's bits depend on OpenBLAS's thread count; a loop body that ran outside the region
    // (one item, e.g. NN-descent's single leaf on ≤ 1,024 points) computed with whatever count the process
    // had, which concurrent tests change: two identical layouts in one process differed.
    for count in [0, 1, 2, 7] {
      let seen = ResultBox()
      Parallel.forEach(count) { _ in seen.add(BLAS.threads) }
      #expect(seen.values.allSatisfy { $0 == 1 }, "\(count) items: \(seen.values)")
      #expect(seen.values.count == count)
    }
    for parts in [1, 2, 5] {
      let seen = ResultBox()
      Parallel.chunks(10, parts: parts) { _ in seen.add(BLAS.threads) }
      #expect(seen.values == [Int](repeating: 1, count: parts), "\(parts) chunks")
    }
  }

  final class ResultBox: @unchecked Sendable {
    private var stored: [Int] = []
    private let lock = NSLock()
    func add(_ v: Int) { lock.withLock { stored.append(v) } }
    var values: [Int] { lock.withLock { stored } }
  }

  @Test("SIMD dot equals the scalar sum for every length up to 40")
  func dotLengths() {
    var rng = SplitMix64(seed: 3)
    for n in 0 ... 40 {
      let x = (0 ..< n).map { _ in rng.nextGaussian() }
      let y = (0 ..< n).map { _ in rng.nextGaussian() }
      let expected = zip(x, y).reduce(Float(0)) { $0 + $1.0 * $1.1 }
      let got = Kernels.dot(x, y, n)
      #expect(abs(got - expected) < 1e-4)
    }
  }

  @Test("SplitMix64 is reproducible and its floats lie in [0, 1)")
  func rng() {
    var a = SplitMix64(seed: 42)
    var b = SplitMix64(seed: 42)
    for _ in 0 ..< 1000 {
      let x = a.nextUnitFloat()
      #expect(x == b.nextUnitFloat())
      #expect(x >= 0 && x < 1)
    }
    // Reference value of SplitMix64(0).next() from the original C implementation.
    var zero = SplitMix64(seed: 0)
    #expect(zero.next() == 0xE220_A839_7B1D_CDAF)
  }
}

@Suite("Vector math")
struct VectorMathTests {
  @Test("SIMD exp is within 2 ulp of libm's over [-87, 88]")
  func expAccuracy() {
    var worst: Float = 0
    var x: Float = -87
    while x < 88 {
      let ours = VectorMath.exp(x)
      let libm = Elementary.exp(x)
      worst = max(worst, abs(ours - libm) / libm.ulp)
      x += 0.0137
    }
    #expect(worst <= 2)
  }

  @Test("SIMD softmax sums to one and matches the libm version")
  func softmax() {
    var rng = SplitMix64(seed: 5)
    for n in [1, 7, 16, 33, 300] {
      var a = (0 ..< n).map { _ in rng.nextGaussian() * 10 }
      var b = a
      a.withUnsafeMutableBufferPointer { VectorMath.softmax($0.baseAddress!, n) }
      b.withUnsafeMutableBufferPointer { _ = Kernels.softmax($0.baseAddress!, n) }
      #expect(abs(a.reduce(0, +) - 1) < 1e-5)
      for i in 0 ..< n { #expect(abs(a[i] - b[i]) < 1e-6) }
    }
  }
}

@Suite("Skinny linear")
struct SkinnyLinearTests {
  @Test("Matches sgemm for 1...9 rows, odd sizes, with and without accumulation")
  func matchesSGEMM() {
    var rng = SplitMix64(seed: 21)
    for m in 1 ... 9 {
      let k = 37 + m, n = 1030 + m
      let x = Matrix(rows: m, columns: k, storage: (0 ..< m * k).map { _ in rng.nextGaussian() })
      let w = Matrix(rows: n, columns: k, storage: (0 ..< n * k).map { _ in rng.nextGaussian() })
      let expected = x.matmul(w, transposeOther: true)
      for accumulate in [false, true] {
        var out = [Float](repeating: accumulate ? 1 : 0, count: m * n)
        x.storage.withUnsafeBufferPointer { xp in
          w.storage.withUnsafeBufferPointer { wp in
            out.withUnsafeMutableBufferPointer { op in
              SkinnyLinear.apply(x: xp.baseAddress!, m: m, k: k, w: wp.baseAddress!, n: n,
                                 out: op.baseAddress!, ldOut: n, accumulate: accumulate)
            }
          }
        }
        let offset: Float = accumulate ? 1 : 0
        for i in 0 ..< m * n { #expect(abs(out[i] - offset - expected.storage[i]) < 1e-3) }
      }
    }
  }
}
