/// A small, fast, seedable generator (Steele, Lea & Flood 2014). All randomness in the project
/// comes from one of these, seeded from a configuration, so runs are reproducible.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  public var state: UInt64

  public init(seed: UInt64) { state = seed }

  @inlinable
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform Float in [0, 1) with 24 random bits.
  @inlinable
  public mutating func nextUnitFloat() -> Float {
    Float(next() >> 40) * (1.0 / 16_777_216.0)
  }

  /// A uniform integer in 0 ..< bound (bound > 0), without modulo bias worth caring about at 64 bits.
  @inlinable
  public mutating func nextInt(below bound: Int) -> Int {
    Int(truncatingIfNeeded: (UInt64(truncatingIfNeeded: next()).multipliedFullWidth(by: UInt64(bound))).high)
  }

  /// A standard normal sample (Box-Muller).
  public mutating func nextGaussian() -> Float {
    var u1 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    if u1 < 1e-300 { u1 = 1e-300 }
    let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
  }

  /// A derived, independent stream (for per-worker or per-stage generators).
  public func fork(_ salt: UInt64) -> SplitMix64 {
    var copy = SplitMix64(seed: state ^ (salt &* 0xD1B5_4A32_D192_ED03))
    _ = copy.next()
    return copy
  }
}

@usableFromInline func _log(_ x: Double) -> Double { Foundation_log(x) }
@usableFromInline func _cos(_ x: Double) -> Double { Foundation_cos(x) }
