/// out[m, n] (+)= x[m, k] · W[n, k]ᵀ for few rows m (decode steps, small batches).
///
/// OpenBLAS packs (copies) the whole weight matrix on every sgemm call; with one or a few rows that
/// copy costs more than the multiplication (perf: 50% of decode time in `sgemm_incopy`). Here each
/// weight row is streamed once and dotted with every input row while it is in L1, four weight rows at
/// a time, split across the cores by weight rows.
public enum SkinnyLinear {
  /// Rows up to which `apply` beats sgemm on this kind of machine (measured with `atlas-bench forward`).
  public static let maximumRows = 8

  public static func apply(x: UnsafePointer<Float>, m: Int, k: Int, w: UnsafePointer<Float>, n: Int,
                           out: UnsafeMutablePointer<Float>, ldOut: Int, accumulate: Bool) {
    let xs = UnsafeSendable(x), ws = UnsafeSendable(w), os = UnsafeSendable(out)
    // Small products run here (no BLAS inside, so no single-threaded region to enter per call).
    guard n * m * k >= 1 << 18, Parallel.workers > 1 else {
      rows(x: x, m: m, k: k, w: w, rows: 0 ..< n, out: out, ldOut: ldOut, accumulate: accumulate)
      return
    }
    Parallel.chunks(n, parts: Parallel.workers) { range in
      rows(x: xs.value, m: m, k: k, w: ws.value, rows: range, out: os.value, ldOut: ldOut, accumulate: accumulate)
    }
  }

  @inline(__always)
  static func rows(x: UnsafePointer<Float>, m: Int, k: Int, w: UnsafePointer<Float>, rows: Range<Int>,
                   out: UnsafeMutablePointer<Float>, ldOut: Int, accumulate: Bool) {
    var j = rows.lowerBound
    while j + 4 <= rows.upperBound {
      let w0 = UnsafeRawPointer(w + j * k), w1 = UnsafeRawPointer(w + (j + 1) * k)
      let w2 = UnsafeRawPointer(w + (j + 2) * k), w3 = UnsafeRawPointer(w + (j + 3) * k)
      for i in 0 ..< m {
        let xi = UnsafeRawPointer(x + i * k)
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        var c = 0
        while c + 8 <= k {
          let v = xi.loadUnaligned(fromByteOffset: c * 4, as: SIMD8<Float>.self)
          a0 = a0.addingProduct(v, w0.loadUnaligned(fromByteOffset: c * 4, as: SIMD8<Float>.self))
          a1 = a1.addingProduct(v, w1.loadUnaligned(fromByteOffset: c * 4, as: SIMD8<Float>.self))
          a2 = a2.addingProduct(v, w2.loadUnaligned(fromByteOffset: c * 4, as: SIMD8<Float>.self))
          a3 = a3.addingProduct(v, w3.loadUnaligned(fromByteOffset: c * 4, as: SIMD8<Float>.self))
          c += 8
        }
        var s0 = a0.sum(), s1 = a1.sum(), s2 = a2.sum(), s3 = a3.sum()
        while c < k {
          let v = x[i * k + c]
          s0 += v * w[j * k + c]
          s1 += v * w[(j + 1) * k + c]
          s2 += v * w[(j + 2) * k + c]
          s3 += v * w[(j + 3) * k + c]
          c += 1
        }
        let o = out + i * ldOut + j
        if accumulate {
          o[0] += s0; o[1] += s1; o[2] += s2; o[3] += s3
        } else {
          o[0] = s0; o[1] = s1; o[2] = s2; o[3] = s3
        }
      }
      j += 4
    }
    while j < rows.upperBound {
      for i in 0 ..< m {
        let s = Kernels.dot(x + i * k, w + j * k, k)
        if accumulate { out[i * ldOut + j] += s } else { out[i * ldOut + j] = s }
      }
      j += 1
    }
  }
}
