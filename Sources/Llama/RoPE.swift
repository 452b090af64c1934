import TensorMath

/// Rotary position embedding tables: cos and sin of `position * base^(-2i/headDim)` for each pair i,
/// computed in Float32 the way Hugging Face's `LlamaRotaryEmbedding` does (so both agree to rounding).
struct RoPETable: Sendable {
  let headDim: Int
  let style: RoPEStyle
  let positions: Int
  let cos: [Float]  // [positions, headDim / 2]
  let sin: [Float]  // [positions, headDim / 2]

  init(headDim: Int, base: Float, style: RoPEStyle, positions: Int) {
    self.headDim = headDim
    self.style = style
    self.positions = positions
    let half = headDim / 2
    let inverseFrequency: [Float] = (0 ..< half).map { i in
      1 / Elementary.pow(base, Float(2 * i) / Float(headDim))
    }
    var c = [Float](repeating: 0, count: positions * half)
    var s = [Float](repeating: 0, count: positions * half)
    for p in 0 ..< positions {
      for i in 0 ..< half {
        let angle = Float(p) * inverseFrequency[i]
        c[p * half + i] = Float(Elementary.cos(Double(angle)))
        s[p * half + i] = Float(Elementary.sin(Double(angle)))
      }
    }
    cos = c
    sin = s
  }

  /// Rotates one head vector `x` [headDim] in place for `position`.
  @inline(__always)
  func apply(_ x: UnsafeMutablePointer<Float>, position: Int) {
    let half = headDim / 2
    let base = position * half
    cos.withUnsafeBufferPointer { c in
      sin.withUnsafeBufferPointer { s in
        switch style {
        case .adjacentPairs:
          for i in 0 ..< half {
            let a = x[2 * i], b = x[2 * i + 1]
            let cc = c[base + i], ss = s[base + i]
            x[2 * i] = a * cc - b * ss
            x[2 * i + 1] = a * ss + b * cc
          }
        case .neox:
          for i in 0 ..< half {
            let a = x[i], b = x[i + half]
            let cc = c[base + i], ss = s[base + i]
            x[i] = a * cc - b * ss
            x[i + half] = a * ss + b * cc
          }
        }
      }
    }
  }
}
