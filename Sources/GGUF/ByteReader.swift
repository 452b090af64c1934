/// A little-endian cursor over a byte buffer that throws instead of trapping when the buffer ends.
struct ByteReader {
  let bytes: UnsafeRawBufferPointer
  private(set) var offset: Int

  init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
    self.bytes = bytes
    self.offset = offset
  }

  var remaining: Int { bytes.count - offset }

  mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws -> T {
    let size = MemoryLayout<T>.size
    guard size <= remaining else { throw GGUFError.truncated(offset: offset, needed: size, available: remaining) }
    defer { offset += size }
    return T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
  }

  mutating func readFloat() throws -> Float { Float(bitPattern: try read(UInt32.self)) }
  mutating func readDouble() throws -> Double { Double(bitPattern: try read(UInt64.self)) }

  /// A GGUF string: u64 length, then that many UTF-8 bytes (no terminator). Invalid UTF-8 is repaired.
  mutating func readString() throws -> String {
    let start = offset
    let length = try read(UInt64.self)
    guard length <= UInt64(remaining) else {
      throw GGUFError.truncated(offset: start + 8, needed: Int(clamping: length), available: remaining)
    }
    let n = Int(length)
    defer { offset += n }
    return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + n]), as: UTF8.self)
  }

  /// Checks that `count` elements of at least `elementSize` bytes each can still follow, before anything
  /// is allocated for them: a corrupt count fails here instead of reserving gigabytes.
  func ensure(count: UInt64, elementSize: Int) throws {
    let (needed, overflow) = count.multipliedReportingOverflow(by: UInt64(elementSize))
    guard !overflow, needed <= UInt64(remaining) else {
      throw GGUFError.truncated(offset: offset, needed: Int(clamping: overflow ? UInt64.max : needed), available: remaining)
    }
  }
}
