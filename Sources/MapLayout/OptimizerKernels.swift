import TensorMath

/// What every point does in one epoch (the SGD inner loop), in two implementations that give the same
/// bits: `movePointsReference` (one point at a time, the oracle) and `movePoints` (four points
/// interleaved, a slot taking the next point as soon as its point is done).
///
/// Per point, for each of its edges due this epoch, in row order:
///   1. two pulls towards the neighbour (umap-learn pulls each end once per directed copy of the edge),
///      the second from where the first left the point. (One pull at twice the step would save a fifth
///      of the SGD time, but early steps overshoot and the doubled ones flung dozens of points off the
///      map: `LayoutTests.noPointFlungAway`.)
///   2. the edge's negative samples (random points), all evaluated at that position, summed and applied.
/// Step 2 is a sum of independent terms rather than a chain of dependent updates: the CPU overlaps them.
struct EpochStep: Sendable {
  let n: Int
  let a: Float
  let b: Float              // the curve's exponent
  let epoch: Float
  let alpha: Float          // learning rate this epoch
  let attractScale: Float   // -2ab
  let repelScale: Float     // 2 gamma b
  let epochSalt: UInt64

  init(n: Int, curve: SimilarityCurve, epoch: Int, alpha: Float, gamma: Float, seed: UInt64) {
    self.n = n
    a = curve.a
    b = curve.b
    self.epoch = Float(epoch)
    self.alpha = alpha
    attractScale = -2 * curve.a * curve.b
    repelScale = 2 * gamma * curve.b
    epochSalt = seed ^ (UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
  }

  /// The generator of point i's negative samples this epoch.
  @inline(__always)
  func generator(_ i: Int) -> SplitMix64 { SplitMix64(seed: epochSalt ^ (UInt64(i) &* 0xC2B2_AE3D_27D4_EB4F)) }

  /// Advances edge e's schedule; returns its number of negative samples this epoch.
  @inline(__always)
  func takeSample(_ e: Int, _ buffers: LayoutOptimizer.EpochBuffers) -> Int {
    buffers.next[e] += buffers.perSample[e]
    let perNegative = buffers.perNegative[e]
    guard perNegative.isFinite else { return 0 }
    let negatives = max(0, Int((epoch - buffers.nextNegative[e]) / perNegative))
    buffers.nextNegative[e] += Float(negatives) * perNegative
    return negatives
  }

  // MARK: - Reference

  /// One point at a time: the oracle `movePoints` must match bit for bit.
  func movePointsReference(_ range: Range<Int>, _ buffers: LayoutOptimizer.EpochBuffers, blockStart: Int) {
    for i in range {
      var x = buffers.positions[2 * i], y = buffers.positions[2 * i + 1]
      var rng = generator(i)
      for e in buffers.offsets[i] ..< buffers.offsets[i + 1] where buffers.next[e] <= epoch {
        sampleEdge(e, of: i, &x, &y, &rng, buffers)
      }
      buffers.moved[2 * (i - blockStart)] = x
      buffers.moved[2 * (i - blockStart) + 1] = y
    }
  }

  /// One sampled edge e of point i: two pulls, then its negative samples summed.
  @inline(__always)
  func sampleEdge(_ e: Int, of i: Int, _ x: inout Float, _ y: inout Float, _ rng: inout SplitMix64,
                  _ buffers: LayoutOptimizer.EpochBuffers) {
    let p = buffers.positions
    let j = Int(buffers.columns[e])
    let ox = p[2 * j], oy = p[2 * j + 1]
    for _ in 0 ..< 2 {
      let dx = x - ox, dy = y - oy
      let d2 = dx * dx + dy * dy
      if d2 > 0 {
        let q = Elementary.pow(d2, b)
        let coefficient = attractScale * q / (d2 * (a * q + 1))
        x += Self.clip(coefficient * dx) * alpha
        y += Self.clip(coefficient * dy) * alpha
      }
    }
    var gx: Float = 0, gy: Float = 0
    for _ in 0 ..< takeSample(e, buffers) {
      let k = rng.nextInt(below: n)
      if k == i { continue }
      let dx = x - p[2 * k], dy = y - p[2 * k + 1]
      let d2 = dx * dx + dy * dy
      if d2 > 0 {
        let q = Elementary.pow(d2, b)
        let coefficient = repelScale / ((0.001 + d2) * (a * q + 1))
        gx += Self.clip(coefficient * dx)
        gy += Self.clip(coefficient * dy)
      } else {
        gx += 4
        gy += 4
      }
    }
    x += gx * alpha
    y += gy * alpha
  }

  @inline(__always)
  static func clip(_ v: Float) -> Float { min(4, max(-4, v)) }

  // MARK: - Interleaved

  /// Four points at once, one edge of each per turn: four independent chains of dependent updates
  /// (each pull waits for the previous one) that the CPU executes side by side. Same arithmetic per point
  /// as the reference, so the same bits.
  func movePoints(_ range: Range<Int>, _ buffers: LayoutOptimizer.EpochBuffers, blockStart: Int) {
    var slots = (Slot(), Slot(), Slot(), Slot())
    var nextPoint = range.lowerBound
    var busy = 4
    while busy > 0 {
      busy = 0
      advance(&slots.0, &nextPoint, range, buffers, blockStart, &busy)
      advance(&slots.1, &nextPoint, range, buffers, blockStart, &busy)
      advance(&slots.2, &nextPoint, range, buffers, blockStart, &busy)
      advance(&slots.3, &nextPoint, range, buffers, blockStart, &busy)
    }
  }

  /// A point being moved by the interleaved kernel.
  struct Slot {
    var point = -1
    var edge = 0
    var end = 0
    var x: Float = 0
    var y: Float = 0
    var rng = SplitMix64(seed: 0)
  }

  /// Runs the slot's next due edge, retiring its point (and taking the next) when it has none left.
  @inline(__always)
  func advance(_ slot: inout Slot, _ nextPoint: inout Int, _ range: Range<Int>,
               _ buffers: LayoutOptimizer.EpochBuffers, _ blockStart: Int, _ busy: inout Int) {
    while true {
      if slot.point < 0 {
        guard nextPoint < range.upperBound else { return }
        let i = nextPoint
        nextPoint += 1
        slot = Slot(point: i, edge: buffers.offsets[i], end: buffers.offsets[i + 1],
                    x: buffers.positions[2 * i], y: buffers.positions[2 * i + 1], rng: generator(i))
      }
      var e = slot.edge
      while e < slot.end && buffers.next[e] > epoch { e += 1 }
      if e < slot.end {
        sampleEdge(e, of: slot.point, &slot.x, &slot.y, &slot.rng, buffers)
        slot.edge = e + 1
        busy += 1
        return
      }
      buffers.moved[2 * (slot.point - blockStart)] = slot.x
      buffers.moved[2 * (slot.point - blockStart) + 1] = slot.y
      slot.point = -1
    }
  }
}
