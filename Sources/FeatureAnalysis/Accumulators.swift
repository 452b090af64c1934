/// A flat, manually managed buffer: the workers of one pass write disjoint slots of it without locks.
final class FlatBuffer<Element>: @unchecked Sendable {
  let count: Int
  let base: UnsafeMutablePointer<Element>

  init(count: Int, repeating value: Element) {
    self.count = count
    base = .allocate(capacity: max(1, count))
    base.initialize(repeating: value, count: count)
  }

  deinit {
    base.deinitialize(count: count)
    base.deallocate()
  }

  @inline(__always) subscript(i: Int) -> Element {
    get { base[i] }
    set { base[i] = newValue }
  }

  var array: [Element] { Array(UnsafeBufferPointer(start: base, count: count)) }
}

/// Space-Saving heavy hitters (Metwally, Agrawal & El Abbadi 2005), `capacity` slots per feature.
/// While a feature has at most `capacity` distinct keys every count is exact. After that a new key takes
/// a slot of smallest estimate; `exact` counts only what the slot saw since, so it is a true lower bound,
/// and it misses at most firings / capacity of any key.
///
/// Speed: a one-byte fingerprint per slot (never 0) is compared 32 at a time, so a miss, the common case
/// for a diffuse feature, touches one cache line instead of every key; the smallest estimate is found by a
/// cursor that only rescans all slots once every slot at the old minimum has grown (estimates never fall).
final class HeavyHitters: @unchecked Sendable {
  typealias Lanes = SIMD32<UInt8>
  let capacity: Int
  let stride: Int                     // capacity rounded up to a multiple of 32 (fingerprint rows)
  let keys: FlatBuffer<UInt64>        // [features * capacity]
  let fingerprints: FlatBuffer<UInt8> // [features * stride]; 0 = empty slot
  let estimates: FlatBuffer<Int32>    // [features * capacity] Space-Saving count (an upper bound)
  let exact: FlatBuffer<Int32>        // [features * capacity] firings since the key entered (a lower bound)
  let sums: FlatBuffer<Double>?       // [features * capacity] activation sum over those firings
  let sizes: FlatBuffer<Int32>        // [features]
  let minimum: FlatBuffer<Int32>      // [features] a lower bound of the estimates (exact after a rescan)
  let cursor: FlatBuffer<Int32>       // [features] where the search for a minimal slot resumes

  init(features: Int, capacity: Int, withSums: Bool) {
    self.capacity = capacity
    stride = (capacity + Lanes.scalarCount - 1) / Lanes.scalarCount * Lanes.scalarCount
    keys = FlatBuffer(count: features * capacity, repeating: 0)
    fingerprints = FlatBuffer(count: features * stride, repeating: 0)
    estimates = FlatBuffer(count: features * capacity, repeating: 0)
    exact = FlatBuffer(count: features * capacity, repeating: 0)
    sums = withSums ? FlatBuffer(count: features * capacity, repeating: 0) : nil
    sizes = FlatBuffer(count: features, repeating: 0)
    minimum = FlatBuffer(count: features, repeating: 0)
    cursor = FlatBuffer(count: features, repeating: 0)
  }

  @inline(__always)
  func add(_ feature: Int, key: UInt64, value: Float) {
    let base = feature * capacity
    let fingerprint = UInt8(truncatingIfNeeded: SeededHash.mix(key) % 255 + 1)
    let row = UnsafeRawPointer(fingerprints.base + feature * stride)
    let probe = Lanes(repeating: fingerprint)
    var chunk = 0
    while chunk < stride {
      let match = row.loadUnaligned(fromByteOffset: chunk, as: Lanes.self) .== probe
      if any(match) {
        for lane in 0 ..< Lanes.scalarCount where match[lane] {
          let slot = chunk + lane
          if keys[base + slot] == key {
            estimates[base + slot] += 1
            exact[base + slot] += 1
            sums?[base + slot] += Double(value)
            return
          }
        }
      }
      chunk += Lanes.scalarCount
    }
    let size = Int(sizes[feature])
    let slot: Int
    if size < capacity {
      slot = size
      sizes[feature] = Int32(size + 1)
    } else {
      slot = minimalSlot(feature)
    }
    keys[base + slot] = key
    fingerprints[feature * stride + slot] = fingerprint
    estimates[base + slot] += 1
    exact[base + slot] = 1
    sums?[base + slot] = Double(value)
  }

  /// A slot holding the smallest estimate of a full feature.
  @inline(__always)
  private func minimalSlot(_ feature: Int) -> Int {
    let base = feature * capacity
    let low = minimum[feature]
    var slot = Int(cursor[feature])
    for _ in 0 ..< capacity {
      if slot >= capacity { slot = 0 }
      if estimates[base + slot] == low {
        cursor[feature] = Int32(slot + 1)
        return slot
      }
      slot += 1
    }
    var best = 0
    for s in 1 ..< capacity where estimates[base + s] < estimates[base + best] { best = s }
    minimum[feature] = estimates[base + best]
    cursor[feature] = Int32(best + 1)
    return best
  }

  /// The feature's entries as (key, exact count, activation sum), most firings first (ties: smaller key).
  func entries(_ feature: Int) -> [(key: UInt64, count: Int, sum: Double)] {
    let base = feature * capacity
    return (0 ..< Int(sizes[feature]))
      .map { (keys[base + $0], Int(exact[base + $0]), sums?[base + $0] ?? 0) }
      .sorted { $0.count > $1.count || ($0.count == $1.count && $0.key < $1.key) }
  }
}

/// One firing kept in a feature's uniform sample.
struct SampledFiring: Sendable {
  var priority: UInt32   // seeded hash of (feature, window, position): the sample keeps the smallest
  var value: Float
  var window: Int32
  var position: Int32

  /// Total order used by the sample: smaller priority first, then window, then position.
  @inline(__always)
  static func before(_ a: SampledFiring, _ b: SampledFiring) -> Bool {
    if a.priority != b.priority { return a.priority < b.priority }
    if a.window != b.window { return a.window < b.window }
    return a.position < b.position
  }
}

/// The `capacity` firings with the smallest priorities: a uniform sample without replacement that does not
/// depend on the order the firings arrive in. Until it is full it keeps everything (a plain append); when
/// it fills up it becomes a max-heap on priority, and a new firing replaces the root if it comes before it.
struct FiringSample: Sendable {
  var heap: [SampledFiring] = []

  @inline(__always)
  mutating func offer(_ firing: SampledFiring, capacity: Int) {
    if heap.count < capacity {
      heap.append(firing)
      if heap.count == capacity {
        for parent in stride(from: capacity / 2 - 1, through: 0, by: -1) { siftDown(parent) }
      }
    } else if SampledFiring.before(firing, heap[0]) {
      heap[0] = firing
      siftDown(0)
    }
  }

  private mutating func siftDown(_ start: Int) {
    var parent = start
    while true {
      let left = 2 * parent + 1, right = left + 1
      var largest = parent
      if left < heap.count, SampledFiring.before(heap[largest], heap[left]) { largest = left }
      if right < heap.count, SampledFiring.before(heap[largest], heap[right]) { largest = right }
      if largest == parent { return }
      heap.swapAt(parent, largest)
      parent = largest
    }
  }
}

/// The highest-activating windows of each feature, at most one per near-duplicate key, `capacity` per
/// feature. A new window replaces the kept window with the same key if it ranks higher, else the lowest
/// ranked window if the table is full. Ranking: larger maximum, then smaller window index. Because the
/// ranking is a total order this keeps exactly the best window of each of the best `capacity` keys.
final class TopWindows: @unchecked Sendable {
  let capacity: Int
  let values: FlatBuffer<Float>     // [features * capacity] the window's maximum activation
  let windows: FlatBuffer<Int32>    // [features * capacity]
  let peaks: FlatBuffer<Int32>      // [features * capacity] position of the maximum
  let keys: FlatBuffer<UInt64>      // [features * capacity] near-duplicate key
  let sizes: FlatBuffer<Int32>      // [features]

  init(features: Int, capacity: Int) {
    self.capacity = capacity
    values = FlatBuffer(count: features * capacity, repeating: 0)
    windows = FlatBuffer(count: features * capacity, repeating: 0)
    peaks = FlatBuffer(count: features * capacity, repeating: 0)
    keys = FlatBuffer(count: features * capacity, repeating: 0)
    sizes = FlatBuffer(count: features, repeating: 0)
  }

  @inline(__always)
  static func ranksAbove(_ v: Float, _ w: Int32, _ u: Float, _ x: Int32) -> Bool { v > u || (v == u && w < x) }

  func offer(_ feature: Int, value: Float, window: Int32, peak: Int32, key: UInt64) {
    guard capacity > 0 else { return }
    let base = feature * capacity
    let size = Int(sizes[feature])
    for s in 0 ..< size where keys[base + s] == key {
      if TopWindows.ranksAbove(value, window, values[base + s], windows[base + s]) {
        values[base + s] = value; windows[base + s] = window; peaks[base + s] = peak
      }
      return
    }
    var slot = size
    if size < capacity {
      sizes[feature] = Int32(size + 1)
    } else {
      slot = 0
      for s in 1 ..< capacity where TopWindows.ranksAbove(values[base + slot], windows[base + slot], values[base + s], windows[base + s]) {
        slot = s
      }
      guard TopWindows.ranksAbove(value, window, values[base + slot], windows[base + slot]) else { return }
    }
    values[base + slot] = value; windows[base + slot] = window; peaks[base + slot] = peak; keys[base + slot] = key
  }

  /// (value, window, peak) best first.
  func ranked(_ feature: Int) -> [(value: Float, window: Int, peak: Int)] {
    let base = feature * capacity
    return (0 ..< Int(sizes[feature]))
      .map { (values[base + $0], Int(windows[base + $0]), Int(peaks[base + $0])) }
      .sorted { TopWindows.ranksAbove($0.value, Int32($0.window), $1.value, Int32($1.window)) }
  }
}
