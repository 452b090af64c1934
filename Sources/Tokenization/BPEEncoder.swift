// Encoding: special-token partition -> pre-tokenizer pieces -> cache or BPE merges -> ids.
// The merge step follows llama.cpp `llm_tokenizer_bpe_session::tokenize`: repeatedly merge the adjacent pair
// with the lowest rank (leftmost first among equal ranks), then look each final symbol up in the vocabulary.

/// Encodes text with one tokenizer and keeps a bounded cache of piece -> ids between calls.
///
/// Not thread-safe: give each thread its own encoder (`BPETokenizer.makeEncoder()`); they share the vocabulary.
public struct BPEEncoder: Sendable {
  public let tokenizer: BPETokenizer
  private var cache: PieceCache
  private var pieceIDs: [Int] = []    // scratch: ids of the piece being encoded

  /// Pieces with more symbols than this use the heap-based merge instead of the quadratic scan.
  static let quadraticLimit = 64

  init(tokenizer: BPETokenizer, cacheEntries: Int) {
    self.tokenizer = tokenizer
    cache = PieceCache(maxEntries: cacheEntries)
  }

  /// Number of cached pieces, and lookups that hit / missed since the encoder was made.
  public var cacheStatistics: (entries: Int, hits: Int, misses: Int) { (cache.count, cache.hits, cache.misses) }

  public mutating func clearCache() { cache.removeAll() }

  /// Token ids of `text`. With `parseSpecial`, control tokens written in the text (like "<|im_start|>") become
  /// their ids; without it they are ordinary characters. User-defined tokens are always recognised.
  /// Bytes that have no token in the vocabulary are dropped, as llama.cpp does (see `BPETokenizer.sanitized`).
  public mutating func encode(_ text: String, parseSpecial: Bool = false) -> [Int] {
    var text = text
    var output: [Int] = []
    output.reserveCapacity(text.utf8.count / 3)
    text.withUTF8 { utf8 in
      for fragment in tokenizer.vocabulary.partition(utf8, parseSpecial: parseSpecial) {
        switch fragment {
        case .special(let id): output.append(Int(id))
        case .text(let range): encodeFragment(UnsafeBufferPointer(rebasing: utf8[range]), into: &output)
        }
      }
    }
    return output
  }

  /// Encodes a fragment of text that contains no special tokens.
  mutating func encodeFragment(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [Int]) {
    guard !bytes.isEmpty else { return }
    let vocabulary = tokenizer.vocabulary
    ScalarClass.table.withUnsafeBufferPointer { classes in
      ScalarClass.ascii.withUnsafeBufferPointer { ascii in
        vocabulary.byteSymbol.withUnsafeBufferPointer { byteSymbol in
          vocabulary.pairs.withLookup { pairs in
            let scanner = PieceScanner(
              bytes: bytes, classes: classes, asciiTables: ascii, preTokenizer: tokenizer.preTokenizer)
            var start = 0
            while start < bytes.count {
              let end = scanner.pieceEnd(from: start)
              let piece = UnsafeBufferPointer(rebasing: bytes[start ..< end])
              start = end
              if piece.count == 1 {
                Self.appendFinal(byteSymbol[Int(piece[0])], vocabulary: vocabulary, into: &output)
                continue
              }
              let cacheable = piece.count <= PieceCache.maxKeyLength
              let print = cacheable ? PieceCache.fingerprint(piece) : (0, 0)
              if cacheable && cache.lookup(piece, print, into: &output) { continue }
              encodePiece(piece, byteSymbol: byteSymbol, pairs: pairs)
              output.append(contentsOf: pieceIDs)
              if cacheable { cache.insert(piece, print, value: pieceIDs[...]) }
            }
          }
        }
      }
    }
  }

  // MARK: - One piece

  @inline(__always)
  private static func appendFinal(_ symbol: Int32, vocabulary: Vocabulary, into output: inout [Int]) {
    if Int(symbol) < vocabulary.count {
      output.append(Int(symbol))
    } else {
      for id in vocabulary.virtualFallback[Int(symbol) - vocabulary.count] { output.append(Int(id)) }
    }
  }

  /// Replaces `pieceIDs` with the ids of one piece.
  private mutating func encodePiece(
    _ piece: UnsafeBufferPointer<UInt8>, byteSymbol: UnsafeBufferPointer<Int32>, pairs: PairLookup
  ) {
    let vocabulary = tokenizer.vocabulary
    pieceIDs.removeAll(keepingCapacity: true)
    if tokenizer.preTokenizer.ignoresMergesForWholeTokens,
      let id = vocabulary.idByText[ByteLevel.encode(piece)]
    {
      pieceIDs.append(Int(id))
      return
    }
    let n = piece.count
    if n > Self.quadraticLimit {
      var symbols = piece.map { byteSymbol[Int($0)] }
      Self.mergeWithHeap(&symbols, pairs: pairs)
      for symbol in symbols { Self.appendFinal(symbol, vocabulary: vocabulary, into: &pieceIDs) }
      return
    }
    withUnsafeTemporaryAllocation(of: Int32.self, capacity: n) { symbols in
      withUnsafeTemporaryAllocation(of: UInt64.self, capacity: n) { ranks in
        for i in 0 ..< n { symbols[i] = byteSymbol[Int(piece[i])] }
        let count = Self.mergeByScanning(symbols, n, ranks: ranks, pairs: pairs)
        for i in 0 ..< count { Self.appendFinal(symbols[i], vocabulary: vocabulary, into: &pieceIDs) }
      }
    }
  }

  /// The classic loop: find the lowest-rank adjacent pair (leftmost on ties), merge it, update its two
  /// neighbours' ranks, repeat. Quadratic in the piece length, fastest for the short pieces of real text.
  /// Returns the number of symbols left in `symbols[0 ..< n]`.
  static func mergeByScanning(
    _ symbols: UnsafeMutableBufferPointer<Int32>, _ count: Int, ranks: UnsafeMutableBufferPointer<UInt64>,
    pairs: PairLookup
  ) -> Int {
    var n = count
    guard n > 1 else { return n }
    for i in 0 ..< n - 1 { ranks[i] = pairs.lookup(symbols[i], symbols[i + 1]) }
    while n > 1 {
      // rank << 32 | merged: equal ranks mean the same pair and the same result, so the first minimum
      // is the leftmost occurrence of the best pair.
      var best = 0
      var bestValue = ranks[0]
      var i = 1
      while i < n - 1 {
        if ranks[i] < bestValue {
          best = i
          bestValue = ranks[i]
        }
        i += 1
      }
      if bestValue == PairTable.none { break }
      symbols[best] = Int32(truncatingIfNeeded: bestValue & 0xFFFF_FFFF)
      i = best + 1
      while i < n - 1 {
        symbols[i] = symbols[i + 1]
        if i < n - 2 { ranks[i] = ranks[i + 1] }
        i += 1
      }
      n -= 1
      if best > 0 { ranks[best - 1] = pairs.lookup(symbols[best - 1], symbols[best]) }
      if best < n - 1 { ranks[best] = pairs.lookup(symbols[best], symbols[best + 1]) }
    }
    return n
  }

  /// Priority queue of (rank, left position) over a linked list of symbols: O(n log n) for long pieces.
  /// An entry is stale when its left symbol was merged away or its pair no longer has that rank.
  static func mergeWithHeap(_ symbols: inout [Int32], pairs: PairLookup) {
    let n = symbols.count
    guard n > 1 else { return }
    var next = Array(1 ... n)                 // [n]  index of the next live symbol, n = none
    var previous = Array(-1 ..< n - 1)        // [n]  index of the previous live symbol, -1 = none
    var alive = [Bool](repeating: true, count: n)
    var heap = MinHeap()
    func push(_ left: Int) {
      let value = pairs.lookup(symbols[left], symbols[next[left]])
      if value != PairTable.none { heap.push((value >> 32) << 32 | UInt64(left)) }
    }
    for i in 0 ..< n - 1 { push(i) }
    while let top = heap.pop() {
      let left = Int(top & 0xFFFF_FFFF)
      guard alive[left], next[left] < n else { continue }
      let right = next[left]
      let value = pairs.lookup(symbols[left], symbols[right])
      guard value != PairTable.none, value >> 32 == top >> 32 else { continue }
      symbols[left] = Int32(truncatingIfNeeded: value & 0xFFFF_FFFF)
      alive[right] = false
      next[left] = next[right]
      if next[right] < n { previous[next[right]] = left }
      if previous[left] >= 0 { push(previous[left]) }
      if next[left] < n { push(left) }
    }
    var merged: [Int32] = []
    var i = 0
    while i < n {
      merged.append(symbols[i])
      i = next[i]
    }
    symbols = merged
  }
}

/// A binary min-heap of UInt64 (rank << 32 | position: lowest rank first, then leftmost).
struct MinHeap {
  private var items: [UInt64] = []

  mutating func push(_ value: UInt64) {
    items.append(value)
    var i = items.count - 1
    while i > 0 {
      let parent = (i - 1) / 2
      if items[parent] <= items[i] { break }
      items.swapAt(parent, i)
      i = parent
    }
  }

  mutating func pop() -> UInt64? {
    guard let first = items.first else { return nil }
    let last = items.removeLast()
    if !items.isEmpty {
      items[0] = last
      var i = 0
      while true {
        let l = 2 * i + 1
        let r = l + 1
        var smallest = i
        if l < items.count && items[l] < items[smallest] { smallest = l }
        if r < items.count && items[r] < items[smallest] { smallest = r }
        if smallest == i { break }
        items.swapAt(i, smallest)
        i = smallest
      }
    }
    return first
  }
}
