// Text cleaning (FACTS §3.1 "Processing") and decoding of raw file bytes.
// Real corpora carry terminal formatting: fortunes has backspace overstrikes ("H\bHe\bel\bll\blo" renders as
// bold "Hello"), fortunes-zh has ANSI colour codes. The tokenizer has no token for several C0 bytes, so they
// would be dropped silently; we remove them on purpose instead, and keep the text a reader would see.

/// Cleaning and decoding shared by every source.
public enum TextCleaner {
  /// The text a terminal would show, as plain text:
  /// 1. CRLF becomes LF;
  /// 2. a backspace deletes the character before it (so the overstrike pairs `x\bx` and `_\bx` leave `x`),
  ///    never a line break;
  /// 3. ANSI escape sequences (CSI `ESC [ ... final`, OSC/DCS strings up to BEL or `ESC \`, two- and
  ///    three-character escapes) are removed;
  /// 4. remaining C0 controls other than tab and line feed, and DEL, are dropped (a lone CR included).
  public static func clean(_ text: String) -> String {
    var text = text
    let dirty = text.withUTF8 { bytes in bytes.contains { ($0 < 0x20 && $0 != 0x09 && $0 != 0x0A) || $0 == 0x7F } }
    guard dirty else { return text }
    let scalars = Array(text.unicodeScalars)  // [n]
    var kept: [Unicode.Scalar] = []
    kept.reserveCapacity(scalars.count)
    var i = 0
    while i < scalars.count {
      let value = scalars[i].value
      switch value {
      case 0x08:
        if let last = kept.last, last != "\n" { kept.removeLast() }
        i += 1
      case 0x1B:
        i = endOfEscape(scalars, from: i)
      case 0x09, 0x0A:
        kept.append(scalars[i])
        i += 1
      case 0x00 ..< 0x20, 0x7F:
        i += 1  // includes CR: a CRLF keeps its LF, a lone CR goes
      default:
        kept.append(scalars[i])
        i += 1
      }
    }
    var view = String.UnicodeScalarView()
    view.append(contentsOf: kept)
    return String(view)
  }

  /// The index just past the escape sequence starting at `scalars[start]` (an ESC).
  /// An ESC that starts no recognisable sequence is removed on its own.
  static func endOfEscape(_ scalars: [Unicode.Scalar], from start: Int) -> Int {
    var i = start + 1
    guard i < scalars.count else { return i }
    let introducer = scalars[i].value
    switch introducer {
    case 0x5B:  // '[' CSI: parameters 0x30-0x3F, intermediates 0x20-0x2F, one final 0x40-0x7E
      i += 1
      while i < scalars.count, (0x30 ... 0x3F).contains(scalars[i].value) { i += 1 }
      while i < scalars.count, (0x20 ... 0x2F).contains(scalars[i].value) { i += 1 }
      if i < scalars.count, (0x40 ... 0x7E).contains(scalars[i].value) { i += 1 }
      return i
    case 0x5D, 0x50, 0x58, 0x5E, 0x5F:  // ']' OSC, 'P' DCS, 'X' SOS, '^' PM, '_' APC: a string up to BEL or ST
      i += 1
      while i < scalars.count {
        let v = scalars[i].value
        if v == 0x07 { return i + 1 }
        if v == 0x1B { return i + 1 < scalars.count && scalars[i + 1] == "\\" ? i + 2 : i }
        if v == 0x0A { return i }  // an unterminated string never swallows the next line
        i += 1
      }
      return i
    case 0x20 ... 0x2F:  // nF: intermediates then one final 0x30-0x7E (like "ESC ( B")
      while i < scalars.count, (0x20 ... 0x2F).contains(scalars[i].value) { i += 1 }
      if i < scalars.count, (0x30 ... 0x7E).contains(scalars[i].value) { i += 1 }
      return i
    case 0x30 ... 0x7E:  // Fp, Fe, Fs: two characters
      return i + 1
    default:
      return i
    }
  }

  /// The lines of `text` split at every LF (byte-wise: fast, and a "\r\n" grapheme never hides a line break).
  static func lines(_ text: String) -> [Substring] {
    text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { Substring($0) }
  }

  /// Leading blank lines and trailing white space removed; the first line keeps its indentation.
  static func trimDocument(_ text: String) -> String {
    let scalars = text.unicodeScalars
    var start = scalars.startIndex
    var lineStart = start
    while start < scalars.endIndex, scalars[start].properties.isWhitespace {
      if scalars[start] == "\n" { lineStart = scalars.index(after: start) }
      start = scalars.index(after: start)
    }
    guard start < scalars.endIndex else { return "" }
    var end = scalars.endIndex
    while end > start, scalars[scalars.index(before: end)].properties.isWhitespace { end = scalars.index(before: end) }
    return String(scalars[lineStart ..< end])
  }

  // MARK: - Bytes to text

  /// UTF-8 text of `bytes` (a leading byte-order mark removed), with each maximal invalid sequence replaced by
  /// U+FFFD, and the number of replacements.
  public static func decodeUTF8(_ bytes: [UInt8]) -> (text: String, replaced: Int) {
    var body = bytes[...]
    if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
    if let text = String(validating: body, as: UTF8.self) { return (text, 0) }
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = body.makeIterator()
    var view = String.UnicodeScalarView()
    var replaced = 0
    loop: while true {
      switch parser.parseScalar(from: &iterator) {
      case .valid(let encoded): view.append(Unicode.UTF8.decode(encoded))
      case .error:
        view.append("\u{FFFD}")
        replaced += 1
      case .emptyInput: break loop
      }
    }
    return (String(view), replaced)
  }

  /// True for bytes that are not text: any NUL byte, or more than 30% of the first 64 KiB made of control
  /// bytes (other than tab, LF, CR, FF, backspace and ESC, which text files do use) and invalid UTF-8.
  public static func looksBinary(_ bytes: [UInt8]) -> Bool {
    if bytes.contains(0) { return true }
    let sample = bytes.prefix(1 << 16)
    guard !sample.isEmpty else { return false }
    var suspicious = 0
    for byte in sample where byte < 0x20 || byte == 0x7F {
      switch byte {
      case 0x09, 0x0A, 0x0D, 0x0C, 0x08, 0x1B: break
      default: suspicious += 1
      }
    }
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = sample.makeIterator()
    loop: while true {
      switch parser.parseScalar(from: &iterator) {
      case .valid: continue
      case .error(let length): suspicious += length
      case .emptyInput: break loop
      }
    }
    return suspicious * 10 > sample.count * 3
  }
}
