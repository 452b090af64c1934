/// The token groups, sources and word pieces of a set of windows, kept flat so label patterns and descriptions
/// can be counted over the corpus and checked at any firing. Costs 13 bytes per token (the analysis windows until
/// the first pass ends, the held-out windows until `finish`), next to the 4 × k bytes per token of the
/// co-activation rows.
struct StoredTokens: Sendable {
  struct Span: Sendable {
    var start: Int    // flat index of the window's position 0 (the sink)
    var length: Int   // T
  }

  private(set) var groups: [Int32] = []     // [positions] token group of every position, position 0 included
  private(set) var parts: [WordPart] = []   // [positions] where the token sits in its word (`TokenVocabulary.wordPart`)
  private(set) var words: [Int32] = []      // [positions] the whole word (`WholeWords` id) the token is a piece of, or -1
  private(set) var sources: [Int32] = []    // [positions]
  private(set) var spans: [Span] = []       // windows in the order they arrived
  private(set) var windowIndex: [Int] = []  // [windows] capture index of each span
  private var spanOf: [Int: Int32] = [:]    // capture index -> span
  /// Positions 1..<T of every window: the tokens labels are counted and tested on.
  private(set) var countedTokens = 0

  mutating func append(_ window: AnalysisWindow, vocabulary: TokenVocabulary, wholeWords: inout WholeWords) {
    let start = groups.count
    spanOf[window.index] = Int32(spans.count)
    spans.append(Span(start: start, length: window.tokens.count))
    windowIndex.append(window.index)
    for token in window.tokens { groups.append(vocabulary.group[token]) }
    let own = vocabulary.wordParts(window.tokens)
    parts.append(contentsOf: own)
    words.append(contentsOf: repeatElement(-1, count: window.tokens.count))
    for run in TokenVocabulary.wordRuns(own) {
      let id = wholeWords.intern(vocabulary.wordKey(window.tokens, run))
      for q in run { words[start + q] = id }
    }
    for source in window.sources { sources.append(Int32(source)) }
    countedTokens += max(0, window.tokens.count - 1)
  }

  func span(window: Int) -> Span? { spanOf[window].map { spans[Int($0)] } }

  /// The distinct groups among the `span` tokens before flat position i (never position 0 of the window).
  @inline(__always)
  func contextGroups(_ i: Int, windowStart: Int, span: Int, into out: inout [Int32]) {
    out.removeAll(keepingCapacity: true)
    var j = max(windowStart + 1, i - span)
    while j < i {
      let g = groups[j]
      if !out.contains(g) { out.append(g) }
      j += 1
    }
  }
}

/// Keys of the multi-part terms. Token groups fit in 21 bits for any real vocabulary (< 2,097,152 groups);
/// trigrams are skipped when they do not.
enum PatternKey {
  static let trigramLimit = 1 << 21

  @inline(__always) static func bigram(_ previous: Int32, _ group: Int32) -> UInt64 {
    UInt64(UInt32(bitPattern: previous)) << 32 | UInt64(UInt32(bitPattern: group))
  }
  @inline(__always) static func trigram(_ a: Int32, _ b: Int32, _ c: Int32) -> UInt64 {
    UInt64(UInt32(bitPattern: a)) << 42 | UInt64(UInt32(bitPattern: b)) << 21 | UInt64(UInt32(bitPattern: c))
  }
  @inline(__always) static func groupInSource(_ group: Int32, _ source: Int32) -> UInt64 {
    UInt64(UInt32(bitPattern: group)) << 32 | UInt64(UInt32(bitPattern: source))
  }
  static func parts(bigram key: UInt64) -> [Int] { [Int(key >> 32), Int(key & 0xFFFF_FFFF)] }
  static func parts(trigram key: UInt64) -> [Int] { [Int(key >> 42), Int(key >> 21 & 0x1F_FFFF), Int(key & 0x1F_FFFF)] }
}

/// How many counted tokens of a corpus match each single term: the background every pattern is
/// contrasted with (analysis windows) or tested against (held-out windows). Terms of one kind are
/// disjoint, so a set of them matches the sum of their counts.
struct PatternCounts: Sendable {
  var tokens = 0
  var groups: [Int32]              // [groups] tokens in the group
  var next: [Int32]                // [groups] tokens followed, in their window, by a token of the group
  var sources: [Int]               // [sources]
  var parts = [Int](repeating: 0, count: WordPart.allCases.count)   // [WordPart] tokens in each part of a word
  var wholeWords: [Int32: Int] = [:]                                // whole word -> tokens that are its pieces
  var bigrams: [UInt64: Int32] = [:]
  var trigrams: [UInt64: Int32] = [:]
  var groupsInSources: [UInt64: Int32] = [:]

  /// Tokens matching a word-set id: those of a token group and the pieces of a whole word (`WholeWords`) with it.
  func tokens(in id: Int32) -> Int { (Int(id) < groups.count ? Int(groups[Int(id)]) : 0) + (wholeWords[id] ?? 0) }

  init(_ t: StoredTokens, groups groupCount: Int, sources sourceCount: Int, trigrams: Bool) {
    groups = [Int32](repeating: 0, count: groupCount)
    next = [Int32](repeating: 0, count: groupCount)
    sources = [Int](repeating: 0, count: sourceCount)
    bigrams.reserveCapacity(t.countedTokens / 2)
    for span in t.spans {
      for p in 1 ..< max(1, span.length) {
        let i = span.start + p, g = t.groups[i], s = t.sources[i]
        tokens += 1
        groups[Int(g)] += 1
        sources[Int(s)] += 1
        parts[Int(t.parts[i].rawValue)] += 1
        if t.words[i] >= 0 { wholeWords[t.words[i], default: 0] += 1 }
        if p + 1 < span.length { next[Int(t.groups[i + 1])] += 1 }
        bigrams[PatternKey.bigram(t.groups[i - 1], g), default: 0] += 1
        if trigrams, p >= 2 { self.trigrams[PatternKey.trigram(t.groups[i - 2], t.groups[i - 1], g), default: 0] += 1 }
        groupsInSources[PatternKey.groupInSource(g, s), default: 0] += 1
      }
    }
  }
}

/// For each token group, the positions (of a chosen subset of a corpus) that have the group among the
/// `span` tokens before them. A context pattern (a set of groups) matches the union of its groups'
/// positions. Rare groups keep a sorted list; a group in more than 1/32 of the positions (at most 32 × span
/// groups) also keeps a bitset, which is then no bigger than its list, so unions are cheap either way.
struct ContextIndex: Sendable {
  let span: Int
  let positions: Int         // size of the indexed subset; local ids 0..<positions
  let start: [Int]           // [groups + 1] into `entries`
  let entries: [Int32]       // local position ids, increasing within a group
  let words: Int             // UInt64 words of a bitset over the positions
  let bitsetSlot: [Int32]    // [groups] index into `bitsets` / words, or -1
  let bitsets: [UInt64]      // [frequent groups * words]

  /// - Parameter keep: whether the position (window index, p) is indexed.
  init(_ t: StoredTokens, groups groupCount: Int, span: Int, keep: (Int, Int) -> Bool) {
    self.span = span
    var pairs: [(group: Int32, position: Int32)] = []
    pairs.reserveCapacity(t.countedTokens * min(span, 8))
    var context: [Int32] = []
    var local: Int32 = 0
    for (w, s) in t.spans.enumerated() {
      for p in 1 ..< max(1, s.length) where keep(t.windowIndex[w], p) {
        t.contextGroups(s.start + p, windowStart: s.start, span: span, into: &context)
        for g in context { pairs.append((g, local)) }
        local += 1
      }
    }
    positions = Int(local)
    var start = [Int](repeating: 0, count: groupCount + 1)
    for pair in pairs { start[Int(pair.group) + 1] += 1 }
    for g in 0 ..< groupCount { start[g + 1] += start[g] }
    var fill = start
    var entries = [Int32](repeating: 0, count: pairs.count)
    for pair in pairs {   // positions arrive in increasing order, so each list comes out sorted
      entries[fill[Int(pair.group)]] = pair.position
      fill[Int(pair.group)] += 1
    }
    words = (positions + 63) / 64
    var slots = [Int32](repeating: -1, count: groupCount)
    var bitsets: [UInt64] = []
    for g in 0 ..< groupCount where (start[g + 1] - start[g]) * 32 > positions {
      slots[g] = Int32(bitsets.count / max(1, words))
      var bits = [UInt64](repeating: 0, count: words)
      for position in entries[start[g] ..< start[g + 1]] { bits[Int(position) >> 6] |= 1 << UInt64(position & 63) }
      bitsets += bits
    }
    self.start = start
    self.entries = entries
    self.bitsetSlot = slots
    self.bitsets = bitsets
  }

  func count(_ group: Int) -> Int { start[group + 1] - start[group] }
  func list(_ group: Int) -> ArraySlice<Int32> { entries[start[group] ..< start[group + 1]] }

  /// A running union of groups' positions, as a bitset; `count` is exact.
  struct Union {
    var bits: [UInt64]
    var count = 0

    init(words: Int) { bits = [UInt64](repeating: 0, count: words) }

    /// Positions of `group` not yet in the union.
    func added(by group: Int, in index: ContextIndex) -> Int {
      let slot = Int(index.bitsetSlot[group])
      if slot < 0 {
        var new = 0
        for position in index.list(group) where bits[Int(position) >> 6] & (1 << UInt64(position & 63)) == 0 { new += 1 }
        return new
      }
      var total = 0
      let base = slot * index.words
      for w in 0 ..< index.words { total &+= (bits[w] | index.bitsets[base + w]).nonzeroBitCount }
      return total - count
    }

    mutating func add(_ group: Int, in index: ContextIndex) {
      let slot = Int(index.bitsetSlot[group])
      if slot < 0 {
        for position in index.list(group) { bits[Int(position) >> 6] |= 1 << UInt64(position & 63) }
      } else {
        for w in 0 ..< index.words { bits[w] |= index.bitsets[slot * index.words + w] }
      }
      count = bits.reduce(0) { $0 + $1.nonzeroBitCount }
    }

    mutating func clear() {
      for w in bits.indices { bits[w] = 0 }
      count = 0
    }
  }

  /// Indexed positions with at least one of `groups` in their context.
  func unionCount(_ groups: [Int], scratch union: inout Union) -> Int {
    union.clear()
    for g in groups { union.add(g, in: self) }
    defer { union.clear() }
    return union.count
  }
}
