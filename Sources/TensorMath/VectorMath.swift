/// Vectorised transcendental kernels. `expf` from libm costs ~5 ns per call; softmax over attention
/// scores and SiLU in the MLP need tens of thousands per token, so they use this SIMD exp
/// (Cephes' expf polynomial, about 1 ulp over the float range) instead.
public enum VectorMath {
  public typealias V = SIMD16<Float>

  /// e^x lane-wise. Inputs below -87.3 flush towards 0; above 88.7 they saturate.
  /// Rounding and the 2^n scaling use the 1.5·2²³ "magic number" trick, so everything stays in
  /// vector registers (Swift's generic SIMD Float→Int conversion and `clamped` are per-lane calls).
  @inlinable @inline(__always)
  public static func exp(_ input: V) -> V {
    let lo = V(repeating: -87.3), hi = V(repeating: 88.7)
    var x = input.replacing(with: lo, where: input .< lo)
    x = x.replacing(with: hi, where: x .> hi)
    let magic = V(repeating: 12_582_912)  // 1.5 * 2^23: adding it rounds to an integer in the low mantissa bits
    let shifted = x * 1.442_695_04 + magic
    let n = shifted - magic
    x = x - n * 0.693_359_375
    x = x - n * -2.121_944_40e-4
    var p = V(repeating: 1.987_569_150_0e-4)
    p = p * x + 1.398_199_950_7e-3
    p = p * x + 8.333_451_907_3e-3
    p = p * x + 4.166_579_589_4e-2
    p = p * x + 1.666_666_545_9e-1
    p = p * x + 5.000_000_120_1e-1
    let y = p * (x * x) + x + 1
    // The low bits of `shifted` hold n + 0x400000; turn them into the exponent field of 2^n.
    let integer = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000
    let scale = unsafeBitCast((integer &+ 127) &<< 23, to: V.self)
    return y * scale
  }

  /// Scalar e^x with the same polynomial (for tails, so every element sees the same function).
  @inlinable
  public static func exp(_ x: Float) -> Float { exp(V(repeating: x))[0] }

  /// In place: x[i] = e^(x[i] - shift); returns Σ of the results (accumulated in Float lanes).
  @inlinable
  public static func expShifted(_ x: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Float {
    var sum = V(repeating: 0)
    var i = 0
    let raw = UnsafeMutableRawPointer(x)
    let s = V(repeating: shift)
    while i + 16 <= n {
      let e = exp(raw.loadUnaligned(fromByteOffset: i * 4, as: V.self) - s)
      raw.storeBytes(of: e, toByteOffset: i * 4, as: V.self)
      sum += e
      i += 16
    }
    var total = sum.sum()
    while i < n {
      let e = exp(x[i] - shift)
      x[i] = e
      total += e
      i += 1
    }
    return total
  }

  /// In-place softmax of n values with the SIMD exp.
  @inlinable
  public static func softmax(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
    var maximum = -Float.infinity
    for i in 0 ..< n where x[i] > maximum { maximum = x[i] }
    let sum = expShifted(x, n, shift: maximum)
    scale(x, n, by: 1 / sum)
  }

  @inlinable
  public static func scale(_ x: UnsafeMutablePointer<Float>, _ n: Int, by factor: Float) {
    var i = 0
    let raw = UnsafeMutableRawPointer(x)
    while i + 16 <= n {
      raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: i * 4, as: V.self) * factor, toByteOffset: i * 4, as: V.self)
      i += 16
    }
    while i < n {
      x[i] *= factor
      i += 1
    }
  }

  /// out[i] = silu(gate[i]) * up[i], silu(z) = z / (1 + e^-z). `out` may alias `gate`.
  @inlinable
  public static func swiGLU(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    let g = UnsafeRawPointer(gate)
    let u = UnsafeRawPointer(up)
    let o = UnsafeMutableRawPointer(out)
    while i + 16 <= n {
      let z = g.loadUnaligned(fromByteOffset: i * 4, as: V.self)
      let s = z / (1 + exp(-z))
      o.storeBytes(of: s * u.loadUnaligned(fromByteOffset: i * 4, as: V.self), toByteOffset: i * 4, as: V.self)
      i += 16
    }
    while i < n {
      let z = gate[i]
      out[i] = z / (1 + exp(-z)) * up[i]
      i += 1
    }
  }
}
