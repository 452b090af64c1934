// A bounded cache of piece bytes -> token ids. Real text repeats a small set of pieces (" the", ",", "\n"),
// so most pieces skip BPE entirely. Open addressing on a 64-bit hash; keys and values live in two arenas.

/// Piece -> ids, bounded: when full it is cleared and refilled (simple, deterministic, no eviction order).
struct PieceCache {
  private struct Entry {
    var hash: UInt64
    var keyStart: Int32
    var keyCount: Int32
    var idsStart: Int32
    var idsCount: Int32
  }

  let maxEntries: Int
  private var slots: [Int32] = []      // [capacity]  entry index + 1, 0 = empty
  private var entries: [Entry] = []
  private var keyBytes: [UInt8] = []   // arena of piece bytes
  private var ids: [Int32] = []        // arena of token ids
  private var shift: UInt64 = 64
  private(set) var hits = 0
  private(set) var misses = 0

  /// `maxEntries` 0 disables the cache.
  init(maxEntries: Int) { self.maxEntries = max(0, maxEntries) }

  var count: Int { entries.count }

  mutating func removeAll() {
    slots = []
    entries.removeAll(keepingCapacity: true)
    keyBytes.removeAll(keepingCapacity: true)
    ids.removeAll(keepingCapacity: true)
    shift = 64
  }

  /// FNV-1a over the bytes, finished with a multiply so that the top bits are well mixed.
  @inline(__always)
  static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in key { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
    return (h ^ (h >> 29)) &* 0x9E37_79B9_7F4A_7C15
  }

  /// Appends the cached ids of `key` to `output` and returns true, or returns false on a miss.
  @inline(__always)
  mutating func lookup(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64, into output: inout [Int]) -> Bool {
    guard !slots.isEmpty else {
      misses += 1
      return false
    }
    let mask = slots.count - 1
    var i = Int(truncatingIfNeeded: hash >> shift)
    while true {
      let slot = Int(slots[i])
      if slot == 0 {
        misses += 1
        return false
      }
      let entry = entries[slot - 1]
      if entry.hash == hash && Int(entry.keyCount) == key.count && equalKey(entry, key) {
        let start = Int(entry.idsStart)
        for j in start ..< start + Int(entry.idsCount) { output.append(Int(ids[j])) }
        hits += 1
        return true
      }
      i = (i + 1) & mask
    }
  }

  @inline(__always)
  private func equalKey(_ entry: Entry, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
    let start = Int(entry.keyStart)
    for j in 0 ..< key.count where keyBytes[start + j] != key[j] { return false }
    return true
  }

  /// Stores `value` for `key` (which must not be present).
  mutating func insert(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64, value: ArraySlice<Int>) {
    guard maxEntries > 0 else { return }
    if entries.count >= maxEntries { removeAll() }
    if slots.isEmpty || entries.count * 2 >= slots.count { grow() }
    entries.append(
      Entry(
        hash: hash, keyStart: Int32(keyBytes.count), keyCount: Int32(key.count), idsStart: Int32(ids.count),
        idsCount: Int32(value.count)))
    keyBytes.append(contentsOf: key)
    for id in value { ids.append(Int32(id)) }
    place(entries.count - 1)
  }

  private mutating func place(_ index: Int) {
    let mask = slots.count - 1
    var i = Int(truncatingIfNeeded: entries[index].hash >> shift)
    while slots[i] != 0 { i = (i + 1) & mask }
    slots[i] = Int32(index + 1)
  }

  private mutating func grow() {
    let capacity = max(1024, slots.count * 2)
    var bits: UInt64 = 0
    while (1 << bits) < capacity { bits += 1 }
    slots = Array(repeating: 0, count: 1 << Int(bits))
    shift = 64 - bits
    for index in entries.indices { place(index) }
  }
}
