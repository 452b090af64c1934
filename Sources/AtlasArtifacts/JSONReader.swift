import Foundation

/// A pull parser over UTF-8 JSON, just enough to read feature shards several times faster than
/// Foundation's `JSONDecoder` (which is kept as the oracle in the tests and as the fallback: any input
/// this reader does not understand exactly makes it throw, and the caller decodes with `JSONDecoder`).
package struct JSONReader {
  package struct Unsupported: Error { package var reason: String; package var offset: Int }

  private let bytes: UnsafeRawBufferPointer
  private(set) var offset = 0

  init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

  // MARK: - Structure

  private mutating func skipWhitespace() {
    while offset < bytes.count {
      switch bytes[offset] {
      case 0x20, 0x0A, 0x0D, 0x09: offset += 1
      default: return
      }
    }
  }

  private func fail(_ reason: String) -> Unsupported { Unsupported(reason: reason, offset: offset) }

  private mutating func consume(_ byte: UInt8) throws {
    skipWhitespace()
    guard offset < bytes.count, bytes[offset] == byte else { throw fail("expected \(Character(Unicode.Scalar(byte)))") }
    offset += 1
  }

  /// Calls `body` with each key of an object; `body` must read the value.
  mutating func object(_ body: (inout JSONReader, String) throws -> Void) throws {
    try consume(0x7B)  // {
    skipWhitespace()
    if offset < bytes.count, bytes[offset] == 0x7D { offset += 1; return }
    while true {
      let key = try string()
      try consume(0x3A)  // :
      try body(&self, key)
      skipWhitespace()
      guard offset < bytes.count else { throw fail("unterminated object") }
      if bytes[offset] == 0x2C { offset += 1; continue }
      if bytes[offset] == 0x7D { offset += 1; return }
      throw fail("expected , or }")
    }
  }

  /// Reads an array, calling `element` for each item.
  mutating func array<T>(_ element: (inout JSONReader) throws -> T) throws -> [T] {
    try consume(0x5B)  // [
    var out: [T] = []
    skipWhitespace()
    if offset < bytes.count, bytes[offset] == 0x5D { offset += 1; return out }
    while true {
      out.append(try element(&self))
      skipWhitespace()
      guard offset < bytes.count else { throw fail("unterminated array") }
      if bytes[offset] == 0x2C { offset += 1; continue }
      if bytes[offset] == 0x5D { offset += 1; return out }
      throw fail("expected , or ]")
    }
  }

  /// Skips one value of any kind without building it: strings are scanned for their closing quote
  /// (escapes stepped over), arrays and objects by bracket depth outside strings, numbers and literals
  /// to the next delimiter. It checks structure, not content: a skipped part is never read.
  mutating func skipValue() throws {
    skipWhitespace()
    guard offset < bytes.count, let base = bytes.baseAddress else { throw fail("expected a value") }
    let count = bytes.count
    var at = offset
    defer { offset = at }
    switch base.load(fromByteOffset: at, as: UInt8.self) {
    case 0x5B, 0x7B:
      // Raw loads, one test per byte for the common case (nothing structural): a shard is mostly
      // example windows, which the summary read skips.
      var depth = 0
      while at < count {
        let b = base.load(fromByteOffset: at, as: UInt8.self)
        at += 1
        if b > 0x22 && b != 0x5B && b != 0x5D && b != 0x7B && b != 0x7D { continue }
        switch b {
        case 0x22: at = try Self.stringEnd(base, count, from: at)
        case 0x5B, 0x7B: depth += 1
        case 0x5D, 0x7D:
          depth -= 1
          if depth == 0 { return }
        default: break
        }
      }
      throw fail("unterminated array or object")
    case 0x22:
      at = try Self.stringEnd(base, count, from: at + 1)
    default:
      let start = at
      scan: while at < count {
        switch base.load(fromByteOffset: at, as: UInt8.self) {
        case 0x2C, 0x5D, 0x7D, 0x20, 0x0A, 0x0D, 0x09: break scan
        default: at += 1
        }
      }
      if at == start { throw fail("expected a value") }
    }
  }

  /// The offset just past the closing quote of a string whose contents start at `from`.
  private static func stringEnd(_ base: UnsafeRawPointer, _ count: Int, from: Int) throws -> Int {
    var at = from
    while at < count {
      let b = base.load(fromByteOffset: at, as: UInt8.self)
      if b == 0x22 { return at + 1 }
      at += b == 0x5C ? 2 : 1
    }
    throw Unsupported(reason: "unterminated string", offset: at)
  }

  /// Consumes `null` if it comes next.
  mutating func null() -> Bool {
    skipWhitespace()
    guard offset + 4 <= bytes.count, bytes[offset] == 0x6E, bytes[offset + 1] == 0x75, bytes[offset + 2] == 0x6C,
          bytes[offset + 3] == 0x6C else { return false }
    offset += 4
    return true
  }

  mutating func bool() throws -> Bool {
    skipWhitespace()
    if offset + 4 <= bytes.count, bytes[offset] == 0x74, bytes[offset + 1] == 0x72, bytes[offset + 2] == 0x75, bytes[offset + 3] == 0x65 {
      offset += 4
      return true
    }
    if offset + 5 <= bytes.count, bytes[offset] == 0x66, bytes[offset + 1] == 0x61, bytes[offset + 2] == 0x6C,
       bytes[offset + 3] == 0x73, bytes[offset + 4] == 0x65 {
      offset += 5
      return false
    }
    throw fail("expected a boolean")
  }

  // MARK: - Strings

  mutating func string() throws -> String {
    try consume(0x22)
    let start = offset
    var ascii = true
    // Fast path: no escapes (and no validation needed when every byte is ASCII).
    while offset < bytes.count {
      let b = bytes[offset]
      if b == 0x22 {
        let slice = UnsafeRawBufferPointer(rebasing: bytes[start ..< offset])
        offset += 1
        if ascii { return String(decoding: slice, as: UTF8.self) }
        guard let s = String(validating: slice, as: UTF8.self) else { throw fail("invalid UTF-8") }
        return s
      }
      if b >= 0x80 { ascii = false }
      if b == 0x5C { break }
      if b < 0x20 { throw fail("control character in string") }
      offset += 1
    }
    // Slow path: escapes.
    var utf8 = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start ..< offset]))
    while offset < bytes.count {
      let b = bytes[offset]
      offset += 1
      switch b {
      case 0x22:
        guard let s = String(validating: utf8, as: UTF8.self) else { throw fail("invalid UTF-8") }
        return s
      case 0x5C:
        guard offset < bytes.count else { throw fail("unterminated escape") }
        let e = bytes[offset]
        offset += 1
        switch e {
        case 0x22, 0x5C, 0x2F: utf8.append(e)
        case 0x62: utf8.append(0x08)
        case 0x66: utf8.append(0x0C)
        case 0x6E: utf8.append(0x0A)
        case 0x72: utf8.append(0x0D)
        case 0x74: utf8.append(0x09)
        case 0x75:
          var scalar = try hex4()
          if (0xD800 ..< 0xDC00).contains(scalar) {
            guard offset + 2 <= bytes.count, bytes[offset] == 0x5C, bytes[offset + 1] == 0x75 else { throw fail("lone surrogate") }
            offset += 2
            let low = try hex4()
            guard (0xDC00 ..< 0xE000).contains(low) else { throw fail("bad surrogate pair") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
          } else if (0xDC00 ..< 0xE000).contains(scalar) {
            throw fail("lone surrogate")
          }
          guard let u = Unicode.Scalar(scalar) else { throw fail("bad scalar") }
          utf8.append(contentsOf: UTF8.encode(u).map { Array($0) } ?? [])
        default:
          throw fail("bad escape")
        }
      default:
        if b < 0x20 { throw fail("control character in string") }
        utf8.append(b)
      }
    }
    throw fail("unterminated string")
  }

  private mutating func hex4() throws -> UInt32 {
    guard offset + 4 <= bytes.count else { throw fail("short \\u escape") }
    var value: UInt32 = 0
    for _ in 0 ..< 4 {
      let c = bytes[offset]
      offset += 1
      let digit: UInt8
      switch c {
      case 0x30 ... 0x39: digit = c - 0x30
      case 0x41 ... 0x46: digit = c - 0x41 + 10
      case 0x61 ... 0x66: digit = c - 0x61 + 10
      default: throw fail("bad hex digit")
      }
      value = value << 4 | UInt32(digit)
    }
    return value
  }

  // MARK: - Numbers

  /// The characters of the next number (validated against the JSON grammar).
  private mutating func numberToken() throws -> UnsafeRawBufferPointer {
    skipWhitespace()
    let start = offset
    if offset < bytes.count, bytes[offset] == 0x2D { offset += 1 }
    let digitsStart = offset
    while offset < bytes.count, (0x30 ... 0x39).contains(bytes[offset]) { offset += 1 }
    guard offset > digitsStart else { throw fail("expected a number") }
    if bytes[digitsStart] == 0x30 && offset - digitsStart > 1 { throw fail("leading zero") }
    if offset < bytes.count, bytes[offset] == 0x2E {
      offset += 1
      let fraction = offset
      while offset < bytes.count, (0x30 ... 0x39).contains(bytes[offset]) { offset += 1 }
      guard offset > fraction else { throw fail("empty fraction") }
    }
    if offset < bytes.count, bytes[offset] == 0x65 || bytes[offset] == 0x45 {
      offset += 1
      if offset < bytes.count, bytes[offset] == 0x2B || bytes[offset] == 0x2D { offset += 1 }
      let exponent = offset
      while offset < bytes.count, (0x30 ... 0x39).contains(bytes[offset]) { offset += 1 }
      guard offset > exponent else { throw fail("empty exponent") }
    }
    return UnsafeRawBufferPointer(rebasing: bytes[start ..< offset])
  }

  /// An integer written without fraction or exponent.
  mutating func int() throws -> Int {
    let token = try numberToken()
    var negative = false
    var value = 0
    for (k, c) in token.enumerated() {
      if k == 0 && c == 0x2D { negative = true; continue }
      guard (0x30 ... 0x39).contains(c) else { throw fail("not an integer") }
      let (times, o1) = value.multipliedReportingOverflow(by: 10)
      let (sum, o2) = times.addingReportingOverflow(Int(c - 0x30))
      guard !o1, !o2 else { throw fail("integer overflow") }
      value = sum
    }
    return negative ? -value : value
  }

  /// A Double, or the strings "nan", "inf", "-inf" that `CanonicalJSON` writes for non-finite values.
  mutating func double() throws -> Double {
    skipWhitespace()
    if offset < bytes.count, bytes[offset] == 0x22 { return try nonFinite(Double.self) }
    let token = try numberToken()
    guard let value = Double(String(decoding: token, as: UTF8.self)) else { throw fail("bad number") }
    return value
  }

  /// A Float, parsed directly (correctly rounded) like `JSONDecoder` does.
  mutating func float() throws -> Float {
    skipWhitespace()
    if offset < bytes.count, bytes[offset] == 0x22 { return try nonFinite(Float.self) }
    let token = try numberToken()
    guard let value = Float(String(decoding: token, as: UTF8.self)) else { throw fail("bad number") }
    guard value.isFinite else { throw fail("number out of Float range") }
    return value
  }

  private mutating func nonFinite<T: BinaryFloatingPoint>(_: T.Type) throws -> T {
    switch try string() {
    case "nan": return .nan
    case "inf": return .infinity
    case "-inf": return -.infinity
    default: throw fail("expected a number")
    }
  }

  /// The end of input (only whitespace left).
  mutating func end() throws {
    skipWhitespace()
    guard offset == bytes.count else { throw fail("trailing characters") }
  }
}
