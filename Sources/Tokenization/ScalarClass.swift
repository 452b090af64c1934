// The character classes the pre-tokenizer regexes use: \p{L}, \p{N}, \s and everything else.
// Matches llama.cpp's `unicode_cpt_flags` (general category from UnicodeData, whitespace = White_Space).

/// Which of the regex classes a Unicode scalar belongs to.
///
/// The four classes partition all scalars: no White_Space character is a letter or a number.

enum ScalarClass {
  /// Not a character: the end of the text fragment, or (for `smollm`) a digit acting as a split point.
  static let boundary: UInt8 = 0
  /// `\p{L}`: general category Lu, Ll, Lt, Lm or Lo.
  static let letter: UInt8 = 1
  /// `\p{N}`: general category Nd, Nl or No.
  static let number: UInt8 = 2
  /// `\s`: the White_Space property.
  static let whitespace: UInt8 = 3
  /// Anything else (punctuation, symbols, marks, controls, unassigned).
  static let other: UInt8 = 4

  /// The class from the Unicode tables of the standard library (slow; the reference for `table`).
  static func compute(_ scalar: Unicode.Scalar) -> UInt8 {
    let properties = scalar.properties
    if properties.isWhitespace { return whitespace }
    switch properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return letter
    case .decimalNumber, .letterNumber, .otherNumber: return number
    default: return other
    }
  }

  /// Precomputed classes of the Basic Multilingual Plane: `[0x10000]`, indexed by scalar value
  /// (surrogate code points, which are not scalars, are `other`).

  static let table: [UInt8] = {
    var table = [UInt8](repeating: other, count: 0x10000)
    for value in 0 ..< UInt32(0x10000) {
      if let scalar = Unicode.Scalar(value) { table[Int(value)] = compute(scalar) }
    }
    return table
  }()

  /// Classes of the ASCII bytes as the scanners see them: `[256]`, bytes 0 ..< 128 for every pre-tokenizer,
  /// then the same for smollm, where digits are `boundary` (each digit is its own piece).
  static let ascii: [UInt8] = {
    let plain = (0 ..< 128).map { table[$0] }
    return plain + plain.map { $0 == number ? boundary : $0 }
  }()

  /// The class of a scalar value (valid scalar values only).
  @inline(__always)
  static func of(_ value: UInt32) -> UInt8 {
    if value < 0x10000 { return table.withUnsafeBufferPointer { $0[Int(value)] } }
    guard let scalar = Unicode.Scalar(value) else { return other }
    return compute(scalar)
  }
}
