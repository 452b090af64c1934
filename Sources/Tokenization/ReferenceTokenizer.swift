// The slow, obvious tokenizer: the test oracle for `BPETokenizer`.
// Written straight from the regexes and the BPE definition, on arrays of scalars and strings, with classes
// from the standard library's Unicode properties (not the fast table) and every split done in stages:
// no fused scanners, no ids during merging, no cache.

/// Reference pre-tokenizer and BPE; package API so the tests can compare it with the fast path.
package struct ReferenceTokenizer {
  let tokens: [String]
  let types: [TokenType]
  let idByText: [String: Int]
  let ranks: [String: Int]  // "left right" -> rank (first occurrence wins)
  let preTokenizer: PreTokenizer

  package init(tokens: [String], merges: [String], tokenTypes: [Int]?, preTokenizer: PreTokenizer) {
    self.tokens = tokens
    types = tokenTypes.map { $0.map { TokenType(rawValue: $0) ?? .undefined } } ?? tokens.map { _ in .normal }
    var idByText: [String: Int] = [:]
    for (i, token) in tokens.enumerated() where idByText[token] == nil { idByText[token] = i }
    self.idByText = idByText
    var ranks: [String: Int] = [:]
    for (i, merge) in merges.enumerated() where ranks[merge] == nil { ranks[merge] = i }
    self.ranks = ranks
    self.preTokenizer = preTokenizer
  }

  // MARK: - Special tokens

  package func encode(_ text: String, parseSpecial: Bool) -> [Int] {
    // Fragments: (text, nil) or ("", id). Longest special tokens first, every occurrence, left to right.
    var fragments: [(String, Int?)] = text.isEmpty ? [] : [(text, nil)]
    let specials = tokens.indices.filter {
      (types[$0] == .control || types[$0] == .unknown) ? parseSpecial : types[$0] == .userDefined
    }.filter { !tokens[$0].isEmpty }.sorted {
      tokens[$0].utf8.count != tokens[$1].utf8.count ? tokens[$0].utf8.count > tokens[$1].utf8.count : $0 < $1
    }
    for id in specials {
      let needle = Array(tokens[id].utf8)
      fragments = fragments.flatMap { fragment -> [(String, Int?)] in
        guard fragment.1 == nil else { return [fragment] }
        var result: [(String, Int?)] = []
        var rest = Array(fragment.0.utf8)
        while let i = (0 ..< max(0, rest.count - needle.count + 1)).first(where: { Array(rest[$0 ..< $0 + needle.count]) == needle }) {
          if i > 0 { result.append((String(decoding: rest[..<i], as: UTF8.self), nil)) }
          result.append(("", id))
          rest = Array(rest[(i + needle.count)...])
        }
        if !rest.isEmpty { result.append((String(decoding: rest, as: UTF8.self), nil)) }
        return result
      }
    }
    return fragments.flatMap { fragment in fragment.1.map { [$0] } ?? splitPieces(fragment.0).flatMap(bpe) }
  }

  // MARK: - Pre-tokenizer

  package func splitPieces(_ text: String) -> [String] {
    let scalars = Array(text.unicodeScalars)
    var segments: [Range<Int>] = []
    if preTokenizer == .smollm {
      // \p{N}: each number alone, and the text between numbers.
      var start = 0
      for i in scalars.indices where Self.isNumber(scalars[i]) {
        if i > start { segments.append(start ..< i) }
        segments.append(i ..< i + 1)
        start = i + 1
      }
      if start < scalars.count { segments.append(start ..< scalars.count) }
    } else {
      segments = scalars.isEmpty ? [] : [0 ..< scalars.count]
    }
    var pieces: [String] = []
    for segment in segments {
      let s = Array(scalars[segment])
      var i = 0
      while i < s.count {
        let length = preTokenizer == .smollm || preTokenizer == .gpt2 ? gpt2Match(s, i) : llama3Match(s, i)
        pieces.append(String(String.UnicodeScalarView(s[i ..< i + length])))
        i += length
      }
    }
    return pieces
  }

  static func isLetter(_ s: Unicode.Scalar) -> Bool { ScalarClass.compute(s) == ScalarClass.letter }
  static func isNumber(_ s: Unicode.Scalar) -> Bool { ScalarClass.compute(s) == ScalarClass.number }
  static func isSpace(_ s: Unicode.Scalar) -> Bool { s.properties.isWhitespace }
  static func isOther(_ s: Unicode.Scalar) -> Bool { !isLetter(s) && !isNumber(s) && !isSpace(s) }

  /// Length of the run of scalars satisfying `p` starting at `i`.
  static func run(_ s: [Unicode.Scalar], _ i: Int, _ p: (Unicode.Scalar) -> Bool) -> Int {
    var j = i
    while j < s.count && p(s[j]) { j += 1 }
    return j - i
  }

  /// Regex alternative `\s+(?!\S)`: the longest run of whitespace not followed by a non-whitespace character.
  static func whitespaceNotBeforeNonSpace(_ s: [Unicode.Scalar], _ i: Int) -> Int? {
    let n = run(s, i, isSpace)
    for length in stride(from: n, through: 1, by: -1) where i + length == s.count || isSpace(s[i + length]) {
      return length
    }
    return nil
  }

  static func contraction(_ s: [Unicode.Scalar], _ i: Int, caseInsensitive: Bool) -> Int? {
    for suffix in ["s", "t", "re", "ve", "m", "ll", "d"] {
      let candidate = Array(("'" + suffix).unicodeScalars)
      guard i + candidate.count <= s.count else { continue }
      let window = s[i ..< i + candidate.count].map { scalar -> Unicode.Scalar in
        caseInsensitive && scalar.value >= 0x41 && scalar.value <= 0x5A ? Unicode.Scalar(scalar.value + 32) ?? scalar : scalar
      }
      if window == candidate { return candidate.count }
    }
    return nil
  }

  /// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  func gpt2Match(_ s: [Unicode.Scalar], _ i: Int) -> Int {
    if let n = Self.contraction(s, i, caseInsensitive: false) { return n }
    let space = s[i] == " " ? 1 : 0
    for p in [Self.isLetter, Self.isNumber, Self.isOther] {
      let n = Self.run(s, i + space, p)
      if n > 0 { return space + n }
    }
    if let n = Self.whitespaceNotBeforeNonSpace(s, i) { return n }
    return max(1, Self.run(s, i, Self.isSpace))
  }

  /// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  /// (qwen2: \p{N} instead of \p{N}{1,3})
  func llama3Match(_ s: [Unicode.Scalar], _ i: Int) -> Int {
    if let n = Self.contraction(s, i, caseInsensitive: true) { return n }
    let isNewline: (Unicode.Scalar) -> Bool = { $0 == "\r" || $0 == "\n" }
    if !isNewline(s[i]) && !Self.isLetter(s[i]) && !Self.isNumber(s[i]) {
      let n = Self.run(s, i + 1, Self.isLetter)
      if n > 0 { return 1 + n }
    }
    let letters = Self.run(s, i, Self.isLetter)
    if letters > 0 { return letters }
    let digits = Self.run(s, i, Self.isNumber)
    if digits > 0 { return min(digits, preTokenizer == .qwen2 ? 1 : 3) }
    let space = s[i] == " " ? 1 : 0
    for prefix in Set([space, 0]).sorted(by: >) {
      let n = Self.run(s, i + prefix, Self.isOther)
      if n > 0 { return prefix + n + Self.run(s, i + prefix + n, isNewline) }
    }
    // \s*[\r\n]+: the longest whitespace prefix that is followed by at least one newline.
    let spaces = Self.run(s, i, Self.isSpace)
    for a in stride(from: spaces, through: 0, by: -1) {
      let k = Self.run(s, i + a, isNewline)
      if k > 0 { return a + k }
    }
    if let n = Self.whitespaceNotBeforeNonSpace(s, i) { return n }
    return max(1, spaces)
  }

  // MARK: - BPE

  /// Byte-level symbols of the piece, merged lowest rank first (leftmost on ties), then looked up; a final
  /// symbol that is not a token contributes the single-byte tokens of its UTF-8 bytes that exist.
  package func bpe(_ piece: String) -> [Int] {
    let word = ByteLevel.encode(piece.utf8)
    if preTokenizer.ignoresMergesForWholeTokens, let id = idByText[word] { return [id] }
    var symbols = word.unicodeScalars.map { String($0) }
    while symbols.count > 1 {
      var best: (rank: Int, index: Int)? = nil
      for i in 0 ..< symbols.count - 1 {
        if let rank = ranks[symbols[i] + " " + symbols[i + 1]], rank < (best?.rank ?? Int.max) { best = (rank, i) }
      }
      guard let (_, i) = best else { break }
      symbols[i] += symbols[i + 1]
      symbols.remove(at: i + 1)
    }
    return symbols.flatMap { symbol -> [Int] in
      if let id = idByText[symbol] { return [id] }
      return symbol.utf8.compactMap { byte in byte < 0x80 ? idByText[String(Unicode.Scalar(byte))] : nil }
    }
  }
}
