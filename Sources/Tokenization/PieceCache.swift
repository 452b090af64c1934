// A bounded cache of piece bytes -> token ids. Real text repeats a small set of pieces (" the", ",", "\n    "),
// so most pieces skip BPE entirely. Open addressing; each slot holds the hash, the first 8 key bytes and up to
// two ids, so a hit on a short piece touches a single cache line. Longer keys and id lists live in two arenas.

/// Piece -> ids, bounded: when full it is cleared and refilled (simple, deterministic, no eviction order).
struct PieceCache {
  private struct Slot {
    var hash: UInt64 = 0
    var key0: UInt64 = 0       // key bytes 0 ..< 8, little-endian, zero padded
    var keyLength: UInt16 = 0  // 0 = empty slot (cached keys have 2 ... maxKeyLength bytes)
    var idCount: UInt16 = 0
    var keyRest: UInt32 = 0    // arena offset of key bytes 8...
    var ids: UInt64 = 0        // up to 2 ids inline (low, high 32 bits), else the arena offset
  }

  static let maxKeyLength = 128
  let maxEntries: Int
  private var slots: [Slot] = []       // [capacity]  power of two, at most half full
  private var keyBytes: [UInt8] = []   // arena: bytes 8... of keys longer than 8
  private var idArena: [Int32] = []    // arena: id lists longer than 2
  private var shift: UInt64 = 64
  private(set) var count = 0
  private(set) var hits = 0
  private(set) var misses = 0

  /// `maxEntries` 0 disables the cache.
  init(maxEntries: Int) { self.maxEntries = max(0, maxEntries) }

  mutating func removeAll() {
    slots = []
    keyBytes.removeAll(keepingCapacity: true)
    idArena.removeAll(keepingCapacity: true)
    shift = 64
    count = 0
  }

  /// The hash and the first 8 bytes of a key (2 ... maxKeyLength bytes), reading 8 bytes at a time.
  @inline(__always)
  static func fingerprint(_ key: UnsafeBufferPointer<UInt8>) -> (hash: UInt64, key0: UInt64) {
    let n = key.count
    guard let base = key.baseAddress.map(UnsafeRawPointer.init) else { return (0, 0) }
    @inline(__always) func word(_ offset: Int) -> UInt64 {
      if offset + 8 <= n { return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
      var w: UInt64 = 0
      for j in offset ..< n { w |= UInt64(key[j]) << UInt64(8 * (j - offset)) }
      return w
    }
    let key0 = word(0)
    var h = (key0 ^ UInt64(n) &* 0x9E37_79B9_7F4A_7C15) &* 0xBF58_476D_1CE4_E5B9
    var offset = 8
    while offset < n {
      h = (h ^ (h >> 31) ^ word(offset)) &* 0x94D0_49BB_1331_11EB
      offset += 8
    }
    return (h ^ (h >> 29), key0)
  }

  /// Appends the cached ids of `key` to `output` and returns true, or returns false on a miss.
  @inline(__always)
  mutating func lookup(_ key: UnsafeBufferPointer<UInt8>, _ print: (hash: UInt64, key0: UInt64), into output: inout [Int])
    -> Bool
  {
    guard count > 0 else {
      misses += 1
      return false
    }
    let found: Bool = slots.withUnsafeBufferPointer { slots in
      let mask = slots.count - 1
      var i = Int(truncatingIfNeeded: print.hash >> shift)
      while true {
        let slot = slots[i]
        if slot.keyLength == 0 { return false }
        if slot.hash == print.hash && slot.key0 == print.key0 && Int(slot.keyLength) == key.count
          && (key.count <= 8 || restMatches(slot, key))
        {
          if slot.idCount <= 2 {
            if slot.idCount >= 1 { output.append(Int(Int32(truncatingIfNeeded: slot.ids))) }
            if slot.idCount == 2 { output.append(Int(Int32(truncatingIfNeeded: slot.ids >> 32))) }
          } else {
            let start = Int(slot.ids)
            for j in start ..< start + Int(slot.idCount) { output.append(Int(idArena[j])) }
          }
          return true
        }
        i = (i + 1) & mask
      }
    }
    if found { hits += 1 } else { misses += 1 }
    return found
  }

  @inline(__always)
  private func restMatches(_ slot: Slot, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
    let start = Int(slot.keyRest) - 8
    for j in 8 ..< key.count where keyBytes[start + j] != key[j] { return false }
    return true
  }

  /// Stores `value` for `key` (2 ... maxKeyLength bytes, not present).
  mutating func insert(_ key: UnsafeBufferPointer<UInt8>, _ print: (hash: UInt64, key0: UInt64), value: ArraySlice<Int>) {
    guard maxEntries > 0, key.count >= 2, key.count <= Self.maxKeyLength, value.count <= Int(UInt16.max) else { return }
    if count >= maxEntries { removeAll() }
    if slots.isEmpty || (count + 1) * 2 > slots.count { grow() }
    var slot = Slot(hash: print.hash, key0: print.key0, keyLength: UInt16(key.count), idCount: UInt16(value.count))
    if key.count > 8 {
      slot.keyRest = UInt32(keyBytes.count)
      keyBytes.append(contentsOf: key[8...])
    }
    if value.count <= 2 {
      let first = UInt64(UInt32(truncatingIfNeeded: value.first ?? 0))
      let second = UInt64(UInt32(truncatingIfNeeded: value.count == 2 ? value[value.startIndex + 1] : 0))
      slot.ids = first | second << 32
    } else {
      slot.ids = UInt64(idArena.count)
      for id in value { idArena.append(Int32(truncatingIfNeeded: id)) }
    }
    place(slot)
    count += 1
  }

  private mutating func place(_ slot: Slot) {
    let mask = slots.count - 1
    var i = Int(truncatingIfNeeded: slot.hash >> shift)
    while slots[i].keyLength != 0 { i = (i + 1) & mask }
    slots[i] = slot
  }

  private mutating func grow() {
    let old = slots
    var bits: UInt64 = 10
    while (1 << bits) < max(1024, old.count * 2) { bits += 1 }
    slots = Array(repeating: Slot(), count: 1 << Int(bits))
    shift = 64 - bits
    for slot in old where slot.keyLength != 0 { place(slot) }
  }
}
