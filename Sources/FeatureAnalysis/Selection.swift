/// The k best (value, index) pairs offered so far, best first. "Best" is the larger value; equal values
/// go to the lower index, so the result never depends on the order of offers.
struct TopSelection {
  let k: Int
  private(set) var values: [Float] = []
  private(set) var indices: [Int32] = []

  init(k: Int) {
    self.k = k
    values.reserveCapacity(k + 1)
    indices.reserveCapacity(k + 1)
  }

  /// Offers below this can never enter (−∞ until k entries are held).
  var threshold: Float { values.count < k ? -.infinity : values[k - 1] }

  @inline(__always)
  static func better(_ v: Float, _ i: Int32, than w: Float, _ j: Int32) -> Bool { v > w || (v == w && i < j) }

  mutating func offer(_ value: Float, _ index: Int32) {
    guard k > 0, !value.isNaN else { return }
    if values.count == k {
      guard TopSelection.better(value, index, than: values[k - 1], indices[k - 1]) else { return }
      values.removeLast()
      indices.removeLast()
    }
    var position = values.count
    while position > 0, TopSelection.better(value, index, than: values[position - 1], indices[position - 1]) {
      position -= 1
    }
    values.insert(value, at: position)
    indices.insert(index, at: position)
  }

  /// Scans `count` values at increasing indices `first ..< first + count`, skipping `exclude`.
  /// Because indices increase, an offer equal to the threshold can never win, so a plain `>` filters.
  mutating func scan(_ row: UnsafePointer<Float>, count: Int, first: Int = 0, exclude: Int = -1, negate: Bool = false) {
    var limit = threshold
    if negate {
      for j in 0 ..< count where -row[j] > limit && first + j != exclude {
        offer(-row[j], Int32(first + j))
        limit = threshold
      }
    } else {
      for j in 0 ..< count where row[j] > limit && first + j != exclude {
        offer(row[j], Int32(first + j))
        limit = threshold
      }
    }
  }
}

/// Seeded hashing: the same (seed, keys) always gives the same 64 bits. Used as "random" priorities, so a
/// sample is the k smallest priorities, whatever order the data arrives in and however many threads run.
enum SeededHash {
  @inline(__always)
  static func mix(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  @inline(__always)
  static func hash(_ seed: UInt64, _ a: Int, _ b: Int, _ c: Int) -> UInt64 {
    mix(mix(mix(seed ^ UInt64(truncatingIfNeeded: a)) ^ UInt64(truncatingIfNeeded: b)) ^ UInt64(truncatingIfNeeded: c))
  }
}
