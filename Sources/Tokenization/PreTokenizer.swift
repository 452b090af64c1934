// Pre-tokenizers: split text into the pieces BPE runs on. Hand-written scanners over UTF-8 with the
// semantics of llama.cpp `unicode.cpp` (`unicode_regex_split_custom_gpt2` / `_llama3` and the std::regex
// fallback it uses for `\p{N}` and qwen2), written from the regexes:
//   gpt2:      's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   smollm:    \p{N} (every digit alone), then gpt2 on the text between digits
//   llama-bpe: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   qwen2:     the same with \p{N} instead of \p{N}{1,3}

/// How text is split into pieces before BPE (GGUF `tokenizer.ggml.pre`).
public enum PreTokenizer: String, Sendable, Codable, CaseIterable {
  /// SmolLM / StarCoder: every `\p{N}` is its own piece, the rest is split with the GPT-2 regex.
  case smollm
  /// GPT-2's regex (contractions lowercase only; optional prefix is U+0020 only).
  case gpt2 = "gpt-2"
  /// Llama 3: case-insensitive contractions, numbers in groups of up to 3, newlines kept with punctuation.
  /// Like llama.cpp, a piece that is a whole token is emitted as that token without running the merges.
  case llamaBPE = "llama-bpe"
  /// Qwen 2: Llama 3's regex with single digits.
  case qwen2

  /// Other names llama.cpp accepts for the same pre-tokenizers.
  public static let aliases: [String: PreTokenizer] = [
    "gpt2": .gpt2, "llama3": .llamaBPE, "llama-v3": .llamaBPE, "starcoder": .smollm, "refact": .smollm,
    "deepseek-r1-qwen": .qwen2, "megrez": .qwen2,
  ]

  /// The pre-tokenizer for a GGUF `tokenizer.ggml.pre` value.
  public init(ggufName name: String) throws {
    if let known = PreTokenizer(rawValue: name) ?? Self.aliases[name] {
      self = known
    } else {
      throw TokenizationError.unsupportedPreTokenizer(name)
    }
  }

  /// The pieces of `text` as byte ranges of its UTF-8, in order and covering it.
  public func pieceRanges(_ text: String) -> [Range<Int>] {
    var text = text
    return text.withUTF8 { pieceRanges($0) }
  }

  func pieceRanges(_ utf8: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
    ScalarClass.table.withUnsafeBufferPointer { classes in
      ScalarClass.ascii.withUnsafeBufferPointer { ascii in
        let scanner = PieceScanner(bytes: utf8, classes: classes, asciiTables: ascii, preTokenizer: self)
        var ranges: [Range<Int>] = []
        var start = 0
        while start < utf8.count {
          let end = scanner.pieceEnd(from: start)
          ranges.append(start ..< end)
          start = end
        }
        return ranges
      }
    }
  }

  /// llama.cpp `ignore_merges`: a piece that is itself a token is not split by the merges.
  var ignoresMergesForWholeTokens: Bool { self == .llamaBPE }

  /// The pieces of `text`, in order; their concatenation is `text`.
  public func split(_ text: String) -> [String] {
    var text = text
    return text.withUTF8 { utf8 in
      pieceRanges(utf8).map { String(decoding: UnsafeBufferPointer(rebasing: utf8[$0]), as: UTF8.self) }
    }
  }
}

/// Finds where the piece starting at a byte offset ends, for one fragment of valid UTF-8.
///
/// Positions are byte offsets. `classAt` answers `boundary` past the end, and (for `smollm`) at every number:
/// splitting at each digit first and scanning the text between digits with the GPT-2 rules is the same as
/// scanning once with digits acting like the end of the text, because no GPT-2 rule ever consumes a digit
/// (` ?\p{N}+` cannot start inside a digit-free fragment) and digits never match a contraction letter.
struct PieceScanner {
  let bytes: UnsafeBufferPointer<UInt8>    // [fragment length]  UTF-8
  let classes: UnsafeBufferPointer<UInt8>  // [0x10000]  ScalarClass.table
  let ascii: UnsafeBufferPointer<UInt8>    // [128]  ScalarClass.ascii as this scanner sees it (digits may be boundaries)
  let preTokenizer: PreTokenizer
  let splitDigits: Bool

  /// `asciiTables` is `ScalarClass.ascii`.
  init(bytes: UnsafeBufferPointer<UInt8>, classes: UnsafeBufferPointer<UInt8>, asciiTables: UnsafeBufferPointer<UInt8>,
       preTokenizer: PreTokenizer) {
    self.bytes = bytes
    self.classes = classes
    self.preTokenizer = preTokenizer
    splitDigits = preTokenizer == .smollm
    ascii = UnsafeBufferPointer(rebasing: asciiTables[splitDigits ? 128 ..< 256 : 0 ..< 128])
  }

  var end: Int { bytes.count }

  // MARK: - Characters

  /// The class and UTF-8 length of the scalar at `p` (which must be a scalar start inside the fragment).
  @inline(__always)
  func rawClass(at p: Int) -> (UInt8, Int) {
    let b0 = UInt32(bytes[p])
    if b0 < 0x80 { return (classes[Int(b0)], 1) }
    if b0 < 0xE0 {
      return (classes[Int((b0 & 0x1F) << 6 | UInt32(bytes[p + 1]) & 0x3F)], 2)
    }
    if b0 < 0xF0 {
      let value = (b0 & 0x0F) << 12 | (UInt32(bytes[p + 1]) & 0x3F) << 6 | UInt32(bytes[p + 2]) & 0x3F
      return (classes[Int(value)], 3)
    }
    let value = (b0 & 0x07) << 18 | (UInt32(bytes[p + 1]) & 0x3F) << 12 | (UInt32(bytes[p + 2]) & 0x3F) << 6
      | UInt32(bytes[p + 3]) & 0x3F
    return (ScalarClass.of(value), 4)
  }

  /// Like `rawClass`, but `boundary` past the end and, for `smollm`, at numbers.
  @inline(__always)
  func classAt(_ p: Int) -> (UInt8, Int) {
    guard p < end else { return (ScalarClass.boundary, 0) }
    let b0 = bytes[p]
    if b0 < 0x80 { return (ascii[Int(b0)], 1) }
    let (c, n) = rawClass(at: p)
    if c == ScalarClass.number && splitDigits { return (ScalarClass.boundary, 0) }
    return (c, n)
  }

  @inline(__always)
  func skip(_ cls: UInt8, from start: Int) -> Int {
    var p = start
    while true {
      let (c, n) = classAt(p)
      if c != cls { return p }
      p += n
    }
  }

  // MARK: - Pieces

  /// The end of the piece that starts at `start` (< end).
  @inline(__always)
  func pieceEnd(from start: Int) -> Int {
    switch preTokenizer {
    case .smollm, .gpt2: gpt2PieceEnd(from: start)
    case .llamaBPE: llama3PieceEnd(from: start, maxDigits: 3)
    case .qwen2: llama3PieceEnd(from: start, maxDigits: 1)
    }
  }

  /// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+  (digits alone first for smollm)
  func gpt2PieceEnd(from start: Int) -> Int {
    let (c0, n0) = rawClass(at: start)
    if c0 == ScalarClass.number && splitDigits { return start + n0 }
    let b0 = bytes[start]
    if b0 == UInt8(ascii: "'"), let length = contractionLength(at: start, caseInsensitive: false) {
      return start + length
    }
    let spacePrefix = b0 == UInt8(ascii: " ")
    let c = spacePrefix ? classAt(start + 1).0 : c0
    if c == ScalarClass.letter || c == ScalarClass.number || c == ScalarClass.other {
      return skip(c, from: spacePrefix ? start + 1 : start)
    }
    return whitespaceEnd(from: start, newlineRule: false) ?? start + n0
  }

  /// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  func llama3PieceEnd(from start: Int, maxDigits: Int) -> Int {
    let (c0, n0) = rawClass(at: start)
    let b0 = bytes[start]
    if b0 == UInt8(ascii: "'"), let length = contractionLength(at: start, caseInsensitive: true) {
      return start + length
    }
    let isNewline = b0 == UInt8(ascii: "\r") || b0 == UInt8(ascii: "\n")
    if !isNewline && c0 != ScalarClass.number && (c0 == ScalarClass.letter || classAt(start + n0).0 == ScalarClass.letter) {
      return skip(ScalarClass.letter, from: start + n0)
    }
    if c0 == ScalarClass.number {
      var p = start
      var count = 0
      while count < maxDigits {
        let (c, n) = classAt(p)
        if c != ScalarClass.number { break }
        p += n
        count += 1
      }
      return p
    }
    let spacePrefix = b0 == UInt8(ascii: " ")
    let c = spacePrefix ? classAt(start + 1).0 : c0
    if c == ScalarClass.other {
      var p = skip(ScalarClass.other, from: spacePrefix ? start + 1 : start)
      while p < end && (bytes[p] == UInt8(ascii: "\r") || bytes[p] == UInt8(ascii: "\n")) { p += 1 }
      return p
    }
    return whitespaceEnd(from: start, newlineRule: true) ?? start + n0
  }

  /// The contraction at an apostrophe: 's 't 'm 'd (2 bytes) or 're 've 'll (3 bytes), ASCII only.
  @inline(__always)
  func contractionLength(at p: Int, caseInsensitive: Bool) -> Int? {
    guard p + 1 < end else { return nil }
    let fold: (UInt8) -> UInt8 = { b in caseInsensitive && b >= 0x41 && b <= 0x5A ? b | 0x20 : b }
    let b1 = fold(bytes[p + 1])
    if b1 == UInt8(ascii: "s") || b1 == UInt8(ascii: "t") || b1 == UInt8(ascii: "m") || b1 == UInt8(ascii: "d") {
      return 2
    }
    guard p + 2 < end else { return nil }
    let b2 = fold(bytes[p + 2])
    switch (b1, b2) {
    case (UInt8(ascii: "r"), UInt8(ascii: "e")), (UInt8(ascii: "v"), UInt8(ascii: "e")), (UInt8(ascii: "l"), UInt8(ascii: "l")):
      return 3
    default:
      return nil
    }
  }

  /// `\s*[\r\n]+` (when `newlineRule`), then `\s+(?!\S)`, then `\s+`; nil when `start` is not whitespace.
  ///
  /// `\s+(?!\S)` takes a run of two or more whitespace characters except the last one when a character
  /// follows (the last one then starts the next piece, e.g. " word"); at the end of the fragment (or before
  /// a digit, for smollm) it takes the whole run.
  @inline(__always)
  func whitespaceEnd(from start: Int, newlineRule: Bool) -> Int? {
    var p = start
    var count = 0
    var lastStart = start
    var afterLastNewline = -1
    while true {
      let (c, n) = classAt(p)
      if c != ScalarClass.whitespace { break }
      if newlineRule && (bytes[p] == UInt8(ascii: "\r") || bytes[p] == UInt8(ascii: "\n")) { afterLastNewline = p + 1 }
      lastStart = p
      p += n
      count += 1
    }
    if afterLastNewline >= 0 { return afterLastNewline }
    if count > 1 && classAt(p).0 != ScalarClass.boundary { return lastStart }
    return count > 0 ? p : nil
  }
}
