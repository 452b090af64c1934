import TensorMath

/// Which windows are held out from SAE training (for FVU, CE loss recovered and other evaluations).
///
/// Windows are grouped in blocks of `period = round(1 / fraction)` consecutive indices; in every block exactly
/// one window, at an offset drawn from (seed, block), is held out. So any prefix of the stream (a capture that
/// stopped early, a resumed one) holds out the same windows, within one per block of the exact fraction, and
/// the held-out windows are not evenly spaced. The held-out fraction actually used is `1 / period`
/// (0.1 -> every 10th on average). Windows overlap documents at their edges, so this is a split of token windows,
/// not of documents; the sources are interleaved at random in the stream, so both sides see every source.
public struct HeldOutSplit: Codable, Sendable, Equatable {
  public var fraction: Double
  public var seed: UInt64

  public init(fraction: Double, seed: UInt64) {
    self.fraction = fraction
    self.seed = seed
  }

  /// Block length; 0 when nothing is held out (fraction 0, or below 1e-15).
  public var period: Int {
    guard fraction > 0, fraction.isFinite, 1 / fraction < 1e15 else { return 0 }
    return max(2, Int((1 / fraction).rounded()))
  }

  /// True when window `index` belongs to the held-out set.
  public func isHeldOut(window index: Int) -> Bool {
    let period = period
    guard period > 0, index >= 0 else { return false }
    let block = index / period
    var rng = SplitMix64(seed: seed ^ 0x6865_6C64_2D6F_7574).fork(UInt64(block))  // "held-out"
    return index % period == rng.nextInt(below: period)
  }
}
