import TensorMath

/// Adam's moments over the flat parameter layout (`SAEParameters`).
package struct AdamState: Sendable, Equatable {
  package var firstMoment: [Float]   // [parameter count]
  package var secondMoment: [Float]  // [parameter count]
  package var steps: Int             // updates applied so far (t)

  package init(count: Int) {
    firstMoment = Array(repeating: 0, count: count)
    secondMoment = Array(repeating: 0, count: count)
    steps = 0
  }
}

/// One optimiser update, computed as `torch.optim.Adam` does it (bias corrections, ε added to √v̂), over
/// every parameter every step (silent latents' moments decay too). For unit-norm architectures the decoder
/// rows' gradients lose their component along the row first, and the rows are renormalised after.
/// Rows are independent, so the parallel split cannot change the result.
enum AdamUpdate {
  struct Hyper {
    var learningRate: Double
    var beta1: Double
    var beta2: Double
    var epsilon: Double
    var step: Int                 // t, 1-based
    var gradientScale: Float      // clipping factor (1 = none)
    var unitNormDecoder: Bool
  }

  static func apply(parameters: UnsafeMutablePointer<Float>, gradient: UnsafeMutablePointer<Float>,
                    first: UnsafeMutablePointer<Float>, second: UnsafeMutablePointer<Float>,
                    dIn d: Int, dSAE n: Int, hyper h: Hyper) {
    let correction1 = 1 - Elementary.pow(h.beta1, Double(h.step))
    let correction2 = 1 - Elementary.pow(h.beta2, Double(h.step))
    let stepSize = Float(h.learningRate / correction1)
    let inverseRootCorrection2 = Float(1 / correction2.squareRoot())
    let constants = AdamConstants(
      beta1: Float(h.beta1), beta2: Float(h.beta2), stepSize: stepSize,
      inverseRootCorrection2: inverseRootCorrection2, epsilon: Float(h.epsilon), gradientScale: h.gradientScale)
    let pointers = UnsafeSendable((parameters, gradient, first, second))
    let matrixRows = 2 * n
    let chunkRows = PassChunks.latents
    let rowChunks = (matrixRows + chunkRows - 1) / chunkRows
    Parallel.forEach(rowChunks + 1) { c in
      let (p, g, m, v) = pointers.value
      if c == rowChunks {  // the biases, b_enc and b_dec
        let offset = matrixRows * d
        update(p + offset, g + offset, m + offset, v + offset, count: n + d, constants)
        return
      }
      for row in c * chunkRows ..< min(matrixRows, (c + 1) * chunkRows) {
        let offset = row * d
        let isDecoder = row >= n
        if isDecoder, h.unitNormDecoder {
          // Remove the gradient's component along the (unit) row: only its direction may change.
          let along = Kernels.dot(g + offset, p + offset, d)
          Kernels.axpy(-along, p + offset, g + offset, d)
        }
        update(p + offset, g + offset, m + offset, v + offset, count: d, constants)
        if isDecoder, h.unitNormDecoder {
          let norm = Kernels.dot(p + offset, p + offset, d).squareRoot()
          if norm > 0 {
            let inverse = 1 / norm
            for i in 0 ..< d { p[offset + i] *= inverse }
          }
        }
      }
    }
  }

  struct AdamConstants {
    var beta1, beta2, stepSize, inverseRootCorrection2, epsilon, gradientScale: Float
  }

  /// m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;  p ← p − stepSize · m / (√v / √(1−β2^t) + ε)
  private static func update(_ p: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>,
                             _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>,
                             count: Int, _ c: AdamConstants) {
    let b1 = SIMD8<Float>(repeating: c.beta1), b2 = SIMD8<Float>(repeating: c.beta2)
    let ob1 = SIMD8<Float>(repeating: 1 - c.beta1), ob2 = SIMD8<Float>(repeating: 1 - c.beta2)
    let step = SIMD8<Float>(repeating: c.stepSize), inv = SIMD8<Float>(repeating: c.inverseRootCorrection2)
    let eps = SIMD8<Float>(repeating: c.epsilon), scale = SIMD8<Float>(repeating: c.gradientScale)
    let (rp, rg, rm, rv) = (UnsafeMutableRawPointer(p), UnsafeMutableRawPointer(g),
                            UnsafeMutableRawPointer(m), UnsafeMutableRawPointer(v))
    var i = 0
    while i + 8 <= count {
      let o = i * 4
      let gi = rg.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) * scale
      let mi = b1 * rm.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) + ob1 * gi
      let vi = b2 * rv.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) + ob2 * (gi * gi)
      let denominator = vi.squareRoot() * inv + eps
      let pi = rp.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) - step * (mi / denominator)
      rm.storeBytes(of: mi, toByteOffset: o, as: SIMD8<Float>.self)
      rv.storeBytes(of: vi, toByteOffset: o, as: SIMD8<Float>.self)
      rp.storeBytes(of: pi, toByteOffset: o, as: SIMD8<Float>.self)
      i += 8
    }
    while i < count {
      let gi = g[i] * c.gradientScale
      let mi = c.beta1 * m[i] + (1 - c.beta1) * gi
      let vi = c.beta2 * v[i] + (1 - c.beta2) * (gi * gi)
      m[i] = mi
      v[i] = vi
      p[i] -= c.stepSize * (mi / (vi.squareRoot() * c.inverseRootCorrection2 + c.epsilon))
      i += 1
    }
  }

  /// ‖g‖ over the whole gradient (fixed chunks, summed in order, in Double).
  static func globalNorm(_ gradient: UnsafeMutablePointer<Float>, count: Int) -> Double {
    let chunk = 1 << 16
    let chunks = (count + chunk - 1) / chunk
    let partial = Scratch<Double>(chunks, zero: 0)
    let g = UnsafeSendable(gradient)
    Parallel.forEach(chunks) { c in
      let lo = c * chunk, hi = min(count, lo + chunk)
      partial.pointer[c] = Double(Kernels.dot(g.value + lo, g.value + lo, hi - lo))
    }
    var total = 0.0
    for c in 0 ..< chunks { total += partial.pointer[c] }
    return total.squareRoot()
  }
}
