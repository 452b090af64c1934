// GPT-2's byte-level alphabet (`bytes_to_unicode` in OpenAI's encoder.py; llama.cpp `unicode_byte_to_utf8_map`).
//
// Byte-level BPE vocabularies store every token as text over a 256-character alphabet: one character per
// byte value, chosen so that no token contains whitespace or control characters. Printable bytes stand for
// themselves; the other 68 bytes are moved to U+0100, U+0101, ... in increasing byte order.

/// The byte <-> character mapping of byte-level BPE vocabularies.
public enum ByteLevel {
  /// The character that stands for each byte value: `[256]`, indexed by byte.
  ///
  /// Bytes 0x21-0x7E ('!'...'~'), 0xA1-0xAC and 0xAE-0xFF map to themselves; the remaining 68 bytes map to
  /// U+0100 + n, where n counts them in increasing byte order (so 0x20 ' ' is 'Ġ' U+0120, 0x0A is 'Ċ' U+010A).
  public static let byteToScalar: [Unicode.Scalar] = {
    var table = [Unicode.Scalar](repeating: "\0", count: 256)
    var next: UInt32 = 0x100
    for byte in 0 ..< 256 {
      let printable = (0x21 ... 0x7E).contains(byte) || (0xA1 ... 0xAC).contains(byte) || (0xAE ... 0xFF).contains(byte)
      let value = printable ? UInt32(byte) : next
      if !printable { next += 1 }
      table[byte] = Unicode.Scalar(value) ?? "\0"  // values are all below 0x144, always valid
    }
    return table
  }()

  /// The byte a character of the alphabet stands for, or nil when the character is not in the alphabet.
  @inlinable
  public static func byte(for scalar: Unicode.Scalar) -> UInt8? {
    let value = Int(scalar.value)
    guard value < scalarToByte.count else { return nil }
    let byte = scalarToByte[value]
    return byte < 0 ? nil : UInt8(byte)
  }

  /// Inverse of `byteToScalar`: `[0x144]` indexed by scalar value, -1 where the scalar is not in the alphabet.
  @usableFromInline
  static let scalarToByte: [Int16] = {
    var table = [Int16](repeating: -1, count: 0x144)
    for (byte, scalar) in byteToScalar.enumerated() { table[Int(scalar.value)] = Int16(byte) }
    return table
  }()

  /// The alphabet text for raw bytes: "Hello world" -> "HelloĠworld".
  public static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
    var text = String.UnicodeScalarView()
    for byte in bytes { text.append(byteToScalar[Int(byte)]) }
    return String(text)
  }

  /// The raw bytes of alphabet text, or nil if the text has a character outside the alphabet.
  public static func decode(_ text: String) -> [UInt8]? {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.unicodeScalars.count)
    for scalar in text.unicodeScalars {
      guard let byte = byte(for: scalar) else { return nil }
      bytes.append(byte)
    }
    return bytes
  }
}
