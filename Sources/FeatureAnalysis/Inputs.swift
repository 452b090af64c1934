import Foundation

/// One context window of the capture. Position 0 is the `<|endoftext|>` attention sink: it is context for
/// its neighbours but never counted, labelled or shown.
public struct AnalysisWindow: Sendable, Equatable {
  public var index: Int           // window index in the capture (unique)
  public var tokens: [Int]        // [T] token ids, tokens[0] the sink
  public var sources: [Int]       // [T] corpus source id per position (index into the analyzer's source names)
  public var documents: [Int]     // [T] document id per position
  public var heldOut: Bool        // held out for label evidence: never counted in statistics or examples

  public init(index: Int, tokens: [Int], sources: [Int], documents: [Int], heldOut: Bool) {
    self.index = index; self.tokens = tokens; self.sources = sources; self.documents = documents
    self.heldOut = heldOut
  }
}

/// The SAE's sparse codes for a batch of windows, in compressed sparse rows (the layout of the
/// SparseAutoencoders module's `SparseCodes`, so the pipeline passes its arrays through unchanged).
/// Rows run over positions 1..<T of each window, windows in batch order: Σ (T - 1) rows.
/// Entries with value ≤ 0 are ignored (a TopK SAE may keep zeros).
public struct LatentCodes: Sendable, Equatable {
  public var rowStart: [Int]      // [rows + 1]; row r holds entries rowStart[r] ..< rowStart[r + 1]
  public var latents: [Int32]     // [nnz]
  public var values: [Float]      // [nnz]

  public init(rowStart: [Int], latents: [Int32], values: [Float]) {
    self.rowStart = rowStart; self.latents = latents; self.values = values
  }

  /// Codes with exactly `k` entries per row (TopK): `latents`/`values` are [rows * k].
  public init(k: Int, latents: [Int32], values: [Float]) {
    let rows = k > 0 ? latents.count / k : 0
    self.init(rowStart: (0 ... rows).map { $0 * k }, latents: latents, values: values)
  }

  public var rows: Int { max(0, rowStart.count - 1) }
}

/// Where a token sits in a word the tokenizer split into pieces: a word of its own (or no word at all: a
/// symbol, a number), or the first, a middle or the last piece of a longer word ("Bolingb|roke": first, last;
/// "rec|urs|ive": first, middle, last).
enum WordPart: UInt8, Sendable, CaseIterable {
  case whole, first, middle, last

  static let pieces: [WordPart] = [.first, .middle, .last]

  /// How a description names firings on this piece of words (`.whole`: on any piece); how a cluster name
  /// shortens it; and how it shortens it further where its theme already says "pieces".
  var piecesHead: (full: String, term: String, short: String) {
    switch self {
    case .whole: ("pieces of long or rare words", "pieces of words", "any piece")
    case .first: ("the first piece of long or rare words", "first pieces of words", "first pieces")
    case .middle: ("a middle piece of long or rare words", "middle pieces of words", "middle pieces")
    case .last: ("the last piece of long or rare words", "last pieces of words", "last pieces")
    }
  }
}

/// Words the tokenizer splits into pieces, as met in the analysed text, each with an id in the token groups'
/// id space, so a description's word set holds token groups and whole words alike: "diseases (cholera,
/// poliomyelitis)" is tested on the token " cholera" and on every piece of "polio|myelitis". A whole word that is
/// also one token somewhere ("fun|gus" and " fungus") takes that token's group id; the others take ids after the
/// groups (`base` + k) in the order of their first appearance — the windows arrive in capture order, so the ids
/// are deterministic.
struct WholeWords: Sendable {
  let base: Int32                          // the vocabulary's group count
  private(set) var keys: [String] = []     // [ids from base] the pieces' group keys joined ("knowlton|ii": "knowltonii")
  private var ids: [String: Int32]

  init(vocabulary v: TokenVocabulary) {
    base = Int32(v.groupCount)
    var ids: [String: Int32] = [:]
    for (g, key) in v.groupKeys.enumerated() where key.first?.isLetter == true && ids[key] == nil { ids[key] = Int32(g) }
    self.ids = ids
  }

  mutating func intern(_ key: String) -> Int32 {
    if let id = ids[key] { return id }
    let id = base + Int32(keys.count)
    ids[key] = id
    keys.append(key)
    return id
  }

  func id(of key: String) -> Int32? { ids[key] }
}

/// Token texts, and groups of tokens that differ only by case or surrounding white space (" the", "The",
/// "the"): labels count and test a group as one term.
public struct TokenVocabulary: Sendable {
  public let texts: [String]        // [vocab] display text of each token id
  let group: [Int32]                // [vocab] group id of each token
  let groupKeys: [String]           // [groups] normalised text (trimmed, lower-cased; white space kept as is)
  let memberStart: [Int]            // [groups + 1] into `members`
  let members: [Int32]              // token ids by group, increasing within a group

  public init(texts: [String]) {
    self.texts = texts
    var ids: [String: Int32] = [:]
    var keys: [String] = []
    var group = [Int32](repeating: 0, count: texts.count)
    for (token, text) in texts.enumerated() {
      let key = TokenVocabulary.normalised(text)
      if let id = ids[key] {
        group[token] = id
      } else {
        let id = Int32(keys.count)
        ids[key] = id
        keys.append(key)
        group[token] = id
      }
    }
    var counts = [Int](repeating: 0, count: keys.count + 1)
    for g in group { counts[Int(g) + 1] += 1 }
    for g in 0 ..< keys.count { counts[g + 1] += counts[g] }
    var fill = counts
    var members = [Int32](repeating: 0, count: texts.count)
    for (token, g) in group.enumerated() {
      members[fill[Int(g)]] = Int32(token)
      fill[Int(g)] += 1
    }
    self.group = group
    self.groupKeys = keys
    self.memberStart = counts
    self.members = members
  }

  /// Builds the table from the tokenizer's per-token display text.
  public init(size: Int, tokenText: (Int) -> String) {
    self.init(texts: (0 ..< size).map(tokenText))
  }

  public var size: Int { texts.count }
  var groupCount: Int { groupKeys.count }

  func members(ofGroup g: Int) -> ArraySlice<Int32> { members[memberStart[g] ..< memberStart[g + 1]] }

  /// Where the token at `p` sits in a word written without spaces: it continues a word when it starts with a
  /// letter after a token that ends in one ("Ephes|us", "rec|urs|ive"), and is continued when it ends in a letter
  /// before a token that starts with one ("gen|us"). A token with its own leading space starts a word.
  func wordPart(_ tokens: [Int], at p: Int) -> WordPart {
    func text(_ i: Int) -> String? { i >= 0 && i < tokens.count && tokens[i] >= 0 && tokens[i] < texts.count ? texts[tokens[i]] : nil }
    guard let own = text(p), let first = own.first, let last = own.last else { return .whole }
    let continues = first.isLetter && text(p - 1)?.last?.isLetter == true
    let continued = last.isLetter && text(p + 1)?.first?.isLetter == true
    switch (continues, continued) {
    case (false, false): return .whole
    case (false, true): return .first
    case (true, true): return .middle
    case (true, false): return .last
    }
  }

  /// Where each token of a window sits in its word (`wordPart`).
  func wordParts(_ tokens: [Int]) -> [WordPart] { tokens.indices.map { wordPart(tokens, at: $0) } }

  /// The runs of pieces that make whole words (first … last), as index ranges of `parts`.
  static func wordRuns(_ parts: [WordPart]) -> [ClosedRange<Int>] {
    var runs: [ClosedRange<Int>] = []
    var p = 0
    while p < parts.count {
      guard parts[p] == .first else { p += 1; continue }
      var end = p + 1
      while end < parts.count, parts[end] == .middle { end += 1 }
      guard end < parts.count, parts[end] == .last else { p = end; continue }
      runs.append(p ... end)
      p = end + 1
    }
    return runs
  }

  /// A whole word's key: its pieces' group keys joined ("knowlton|ii" is "knowltonii").
  func wordKey(_ tokens: [Int], _ run: ClosedRange<Int>) -> String { run.map { groupKeys[Int(group[tokens[$0]])] }.joined() }

  /// Trimmed and lower-cased; a token that is only white space keeps its exact text.
  static func normalised(_ text: String) -> String {
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    return trimmed.isEmpty ? text : trimmed.lowercased()
  }

  /// How a token is written inside a label: trimmed; white space made visible.
  static func labelText(_ text: String) -> String {
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    if !trimmed.isEmpty { return trimmed }
    var out = ""
    for ch in text {
      switch ch {
      case "\n", "\r\n": out += "↵"
      case "\t": out += "⇥"
      case " ": out += "⎵"
      default: out += ch.unicodeScalars.map { String(format: "U+%04X", $0.value) }.joined()
      }
    }
    return out.isEmpty ? "∅" : out
  }
}
