import Foundation

/// The four parts of speech WordNet stores, one pair of files (`index.*`, `data.*`) and one exception
/// list (`*.exc`) each.
public enum PartOfSpeech: UInt8, Sendable, CaseIterable, Codable, Comparable {
  case noun, verb, adjective, adverb

  /// The file suffix: `data.noun`, `index.adj`, …
  public var fileSuffix: String {
    switch self {
    case .noun: "noun"
    case .verb: "verb"
    case .adjective: "adj"
    case .adverb: "adv"
    }
  }

  /// WordNet's one-letter code ("s", an adjective satellite, is an adjective here).
  init?(letter: UInt8) {
    switch letter {
    case UInt8(ascii: "n"): self = .noun
    case UInt8(ascii: "v"): self = .verb
    case UInt8(ascii: "a"), UInt8(ascii: "s"): self = .adjective
    case UInt8(ascii: "r"): self = .adverb
    default: return nil
    }
  }

  public static func < (a: PartOfSpeech, b: PartOfSpeech) -> Bool { a.rawValue < b.rawValue }
}

/// A synset: its part of speech and its byte offset in `data.<pos>` (WordNet's own identifier).
public struct SynsetID: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
  public var pos: PartOfSpeech
  public var offset: UInt32

  public init(pos: PartOfSpeech, offset: UInt32) { self.pos = pos; self.offset = offset }

  public static func < (a: SynsetID, b: SynsetID) -> Bool { (a.pos, a.offset) < (b.pos, b.offset) }
  /// "n:14123044"
  public var description: String { "\(["n", "v", "a", "r"][Int(pos.rawValue)]):\(String(format: "%08d", offset))" }
}

/// One synset as stored: its lemmas (in file order, spaces for WordNet's underscores), its hypernyms
/// (`@` and instance hypernyms `@i`), its "similar to" heads (`&`, for adjective satellites), the
/// synsets its words are derivationally related to (`+`), and its gloss.
public struct Synset: Sendable, Equatable {
  public var id: SynsetID
  public var words: [String]
  public var hypernyms: [SynsetID]
  public var similar: [SynsetID]      // for a satellite: its head; for a head: its satellites
  public var isSatellite: Bool        // an adjective satellite ("s"), whose `similar` is its head
  public var derived: [SynsetID]      // derivationally related forms (`+`) and pertainyms (`\`)
  public var gloss: String
  /// Per word, whether the file spells it with a capital: a name or an acronym ("York", "ARDS"); `words`
  /// are lower-case.
  public var capitalised: [Bool] = []
  /// WordNet's lexicographer file (`lex_filenum`): 3 noun.Tops, 7 noun.attribute, 9 noun.cognition,
  /// 10 noun.communication, 23 noun.quantity, 24 noun.relation, 5 noun.animal, 26 noun.state, …
  public var lexicographerFile: Int = -1
}

/// What can go wrong reading WordNet's files. Each case says what was expected, what was found and what to do.
public enum LexiconError: Error, CustomStringConvertible, Equatable {
  case missingFile(path: String)
  case malformed(file: String, line: Int, reason: String)

  public var description: String {
    switch self {
    case .missingFile(let path):
      "WordNet file \(path) is missing; install Debian's `wordnet-base` (apt-get install -y wordnet-base) "
        + "or point the lexicon at a directory holding index.* and data.* files"
    case .malformed(let file, let line, let reason):
      "WordNet file \(file), line \(line): \(reason); expected WordNet 3.0's data/index format, reinstall `wordnet-base`"
    }
  }
}

/// Byte-level parsing of WordNet's text files (lines of space-separated fields; license lines start
/// with two spaces).
enum WordNetParser {
  static func read(_ url: URL) throws(LexiconError) -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: url.path) else { throw .missingFile(path: url.path) }
    return [UInt8](data)
  }

  /// Calls `body` with each non-header line's fields (split on single spaces) and the text after " | ".
  static func lines(_ bytes: [UInt8], file: String,
                    _ body: (_ fields: [Substring], _ gloss: Substring, _ line: Int) throws(LexiconError) -> Void) throws(LexiconError) {
    let text = String(decoding: bytes, as: UTF8.self)
    var number = 0
    // Split on bytes, not Characters: grapheme breaking and Foundation's `range(of:)` on substrings were
    // most of the time of loading WordNet (a few seconds of every features stage).
    for bytes in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
      number += 1
      let line = Substring(bytes)
      if line.isEmpty || line.hasPrefix("  ") { continue }
      var head = line[...], gloss: Substring = ""
      if let bar = WordNetText.bar(line) {
        head = line[..<bar.lowerBound]
        gloss = line[bar.upperBound...]
      }
      let fields = head.utf8.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true).map { Substring($0) }
      try body(fields, gloss, number)
    }
  }

  /// The synsets of one `data.<pos>` file, by offset.
  static func synsets(_ bytes: [UInt8], pos: PartOfSpeech, file: String) throws(LexiconError) -> [UInt32: Synset] {
    var out: [UInt32: Synset] = [:]
    try lines(bytes, file: file) { (f: [Substring], gloss: Substring, line: Int) throws(LexiconError) in
      func bad(_ reason: String) -> LexiconError { .malformed(file: file, line: line, reason: reason) }
      guard f.count >= 4, let offset = UInt32(f[0]), let wordCount = Int(f[3], radix: 16) else {
        throw bad("expected `offset lex_filenum ss_type w_cnt …`")
      }
      var i = 4
      var words: [String] = [], capitalised: [Bool] = []
      for _ in 0 ..< wordCount {
        guard i + 1 < f.count else { throw bad("fewer words than w_cnt \(wordCount)") }
        words.append(lemma(f[i]))
        capitalised.append(f[i].contains { $0.isUppercase })
        i += 2
      }
      guard i < f.count, let pointers = Int(f[i]) else { throw bad("expected the pointer count after the words") }
      i += 1
      var hypernyms: [SynsetID] = [], similar: [SynsetID] = [], derived: [SynsetID] = []
      for _ in 0 ..< pointers {
        guard i + 3 < f.count, let target = UInt32(f[i + 1]), let letter = f[i + 2].utf8.first,
              let targetPos = PartOfSpeech(letter: letter) else {
          throw bad("a pointer is not `symbol offset pos source/target`")
        }
        let id = SynsetID(pos: targetPos, offset: target)
        switch f[i] {
        case "@", "@i": hypernyms.append(id)
        case "&": similar.append(id)
        case "+", "\\": if !derived.contains(id) { derived.append(id) }   // derivation; pertainym (adjectives, adverbs)
        default: break
        }
        i += 4
      }
      out[offset] = Synset(id: SynsetID(pos: pos, offset: offset), words: words, hypernyms: hypernyms, similar: similar,
                           isSatellite: f[2] == "s", derived: derived, gloss: WordNetText.trimmed(gloss),
                           capitalised: capitalised, lexicographerFile: Int(f[1]) ?? -1)
    }
    return out
  }

  /// Lemma -> synset offsets in sense order (most frequent first), from one `index.<pos>` file.
  static func index(_ bytes: [UInt8], file: String) throws(LexiconError) -> [String: [UInt32]] {
    var out: [String: [UInt32]] = [:]
    try lines(bytes, file: file) { (f: [Substring], _: Substring, line: Int) throws(LexiconError) in
      guard f.count >= 4, let senses = Int(f[2]), let pointers = Int(f[3]), f.count >= 4 + pointers + 2 + senses else {
        throw .malformed(file: file, line: line, reason: "expected `lemma pos synset_cnt p_cnt [ptr…] sense_cnt tagsense_cnt offsets…`")
      }
      let first = 4 + pointers + 2
      out[lemma(f[0])] = f[first ..< first + senses].compactMap { UInt32($0) }
    }
    return out
  }

  /// Inflected form -> base forms, from one `<pos>.exc` file.
  static func exceptions(_ bytes: [UInt8], file: String) throws(LexiconError) -> [String: [String]] {
    var out: [String: [String]] = [:]
    try lines(bytes, file: file) { (f: [Substring], _: Substring, line: Int) throws(LexiconError) in
      guard f.count >= 2 else { throw .malformed(file: file, line: line, reason: "expected `inflected base…`") }
      out[lemma(f[0]), default: []] += f.dropFirst().map(lemma)
    }
    return out
  }

  /// A lemma as compared: lower-cased, underscores as spaces, an adjective marker such as "(a)" dropped.
  static func lemma(_ field: Substring) -> String {
    var s = field
    if let open = s.firstIndex(of: "("), s.last == ")" { s = s[..<open] }
    return WordNetText.spaced(s).lowercased()
  }
}

/// Small text helpers for WordNet's files, in plain Swift (Foundation's string search and trimming on
/// substrings go through NSString and were the bulk of loading WordNet).
package enum WordNetText {
  /// The first " | " of a data line (between a synset's fields and its gloss).
  package static func bar(_ line: Substring) -> Range<Substring.Index>? {
    let u = line.utf8
    var i = u.startIndex
    while i != u.endIndex {
      if u[i] == UInt8(ascii: "|"), i != u.startIndex, u[u.index(before: i)] == UInt8(ascii: " ") {
        let after = u.index(after: i)
        if after != u.endIndex, u[after] == UInt8(ascii: " ") { return u.index(before: i) ..< u.index(after: after) }
      }
      i = u.index(after: i)
    }
    return nil
  }

  /// `text` without the spaces and tabs at its ends (what `trimmingCharacters(in: .whitespaces)` removes:
  /// tab and the space separators, U+0020, U+00A0, U+1680, U+2000…U+200A, U+202F, U+205F, U+3000).
  package static func trimmed(_ text: Substring) -> String {
    func blank(_ s: Unicode.Scalar) -> Bool { s == "\t" || s.properties.generalCategory == .spaceSeparator }
    let scalars = text.unicodeScalars
    guard let first = scalars.firstIndex(where: { !blank($0) }), let last = scalars.lastIndex(where: { !blank($0) }) else { return "" }
    return String(scalars[first ... last])
  }

  /// Underscores (WordNet's spaces inside a lemma) as spaces.
  package static func spaced<S: StringProtocol>(_ text: S) -> String {
    text.utf8.contains(UInt8(ascii: "_")) ? String(text.map { $0 == "_" ? " " : $0 }) : String(text)
  }
}
