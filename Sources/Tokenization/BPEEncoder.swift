// Encoding: special-token partition -> pre-tokenizer pieces -> cache or BPE merges -> ids.
// The merge step follows llama.cpp `llm_tokenizer_bpe_session::tokenize`: repeatedly merge the adjacent pair
// with the lowest rank (leftmost first among equal ranks), then look each final symbol up in the vocabulary.

/// Encodes text with one tokenizer and keeps a bounded cache of piece -> ids between calls.
///
/// Not thread-safe: give each thread its own encoder (`BPETokenizer.makeEncoder()`); they share the vocabulary.
public struct BPEEncoder {
  public let tokenizer: BPETokenizer
  private var cache: PieceCache
  private var symbols: [Int32] = []   // [piece bytes]  scratch: current symbols of the piece being merged
  private var ranks: [UInt64] = []    // [piece bytes]  scratch: rank << 32 | merged id of (symbols[i], symbols[i+1])
  private var pieceIDs: [Int] = []    // scratch: ids of the piece being encoded

  /// Pieces longer than this are encoded but not cached (long runs rarely repeat and would bloat the arena).
  static let maxCachedPieceBytes = 128
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
      vocabulary.byteSymbol.withUnsafeBufferPointer { byteSymbol in
        vocabulary.pairs.withTables { keys, values in
          let scanner = PieceScanner(bytes: bytes, classes: classes, preTokenizer: tokenizer.preTokenizer)
          var start = 0
          while start < bytes.count {
            let end = scanner.pieceEnd(from: start)
            let piece = UnsafeBufferPointer(rebasing: bytes[start ..< end])
            start = end
            if piece.count == 1 {
              Self.appendFinal(byteSymbol[Int(piece[0])], vocabulary: vocabulary, into: &output)
              continue
            }
            let cacheable = piece.count <= Self.maxCachedPieceBytes
            let hash = cacheable ? PieceCache.hash(piece) : 0
            if cacheable && cache.lookup(piece, hash: hash, into: &output) { continue }
            encodePiece(piece, byteSymbol: byteSymbol, keys: keys, values: values)
            output.append(contentsOf: pieceIDs)
            if cacheable { cache.insert(piece, hash: hash, value: pieceIDs[...]) }
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
    _ piece: UnsafeBufferPointer<UInt8>, byteSymbol: UnsafeBufferPointer<Int32>,
    keys: UnsafeBufferPointer<UInt64>, values: UnsafeBufferPointer<UInt64>
  ) {
    let vocabulary = tokenizer.vocabulary
    pieceIDs.removeAll(keepingCapacity: true)
    if tokenizer.preTokenizer.ignoresMergesForWholeTokens,
      let id = vocabulary.idByText[ByteLevel.encode(piece)]
    {
      pieceIDs.append(Int(id))
      return
    }
    symbols.removeAll(keepingCapacity: true)
    for byte in piece { symbols.append(byteSymbol[Int(byte)]) }
    if symbols.count > Self.quadraticLimit {
      mergeWithHeap(keys: keys, values: values)
    } else {
      mergeByScanning(keys: keys, values: values)
    }
    for symbol in symbols { Self.appendFinal(symbol, vocabulary: vocabulary, into: &pieceIDs) }
  }

  /// The classic loop: find the lowest-rank adjacent pair (leftmost on ties), merge it, update its two
  /// neighbours' ranks, repeat. Quadratic in the piece length, fastest for the short pieces of real text.
  private mutating func mergeByScanning(keys: UnsafeBufferPointer<UInt64>, values: UnsafeBufferPointer<UInt64>) {
    let pairs = tokenizer.vocabulary.pairs
    var n = symbols.count
    guard n > 1 else { return }
    ranks.removeAll(keepingCapacity: true)
    for i in 0 ..< n - 1 { ranks.append(pairs.lookup(symbols[i], symbols[i + 1], keys: keys, values: values)) }
    symbols.withUnsafeMutableBufferPointer { symbols in
      ranks.withUnsafeMutableBufferPointer { ranks in
        while n > 1 {
          // rank << 32 | merged: equal ranks mean the same pair and the same result, so the first minimum
          // is the leftmost occurrence of the best pair.
          var best = 0
          var bestValue = ranks[0]
          for i in 1 ..< n - 1 where ranks[i] < bestValue {
            best = i
            bestValue = ranks[i]
          }
          if bestValue == PairTable.none { break }
          symbols[best] = Int32(truncatingIfNeeded: bestValue & 0xFFFF_FFFF)
          var i = best + 1
          while i < n - 1 {
            symbols[i] = symbols[i + 1]
            if i < n - 2 { ranks[i] = ranks[i + 1] }
            i += 1
          }
          n -= 1
          if best > 0 { ranks[best - 1] = pairs.lookup(symbols[best - 1], symbols[best], keys: keys, values: values) }
          if best < n - 1 { ranks[best] = pairs.lookup(symbols[best], symbols[best + 1], keys: keys, values: values) }
        }
      }
    }
    symbols.removeLast(symbols.count - n)
  }

  /// Priority queue of (rank, left position) over a linked list of symbols: O(n log n) for long pieces.
  /// An entry is stale when its left symbol was merged away or its pair no longer has that rank.
  private mutating func mergeWithHeap(keys: UnsafeBufferPointer<UInt64>, values: UnsafeBufferPointer<UInt64>) {
    let pairs = tokenizer.vocabulary.pairs
    let n = symbols.count
    var next = Array(1 ... n)                 // [n]  index of the next live symbol, n = none
    var previous = Array(-1 ..< n - 1)        // [n]  index of the previous live symbol, -1 = none
    var alive = [Bool](repeating: true, count: n)
    var heap = MinHeap()
    for i in 0 ..< n - 1 {
      let value = pairs.lookup(symbols[i], symbols[i + 1], keys: keys, values: values)
      if value != PairTable.none { heap.push((value >> 32) << 32 | UInt64(i)) }
    }
    while let top = heap.pop() {
      let left = Int(top & 0xFFFF_FFFF)
      let rank = top >> 32
      guard alive[left], next[left] < n else { continue }
      let right = next[left]
      let value = pairs.lookup(symbols[left], symbols[right], keys: keys, values: values)
      guard value != PairTable.none, value >> 32 == rank else { continue }
      symbols[left] = Int32(truncatingIfNeeded: value & 0xFFFF_FFFF)
      alive[right] = false
      next[left] = next[right]
      if next[right] < n { previous[next[right]] = left }
      if previous[left] >= 0 {
        let p = previous[left]
        let v = pairs.lookup(symbols[p], symbols[left], keys: keys, values: values)
        if v != PairTable.none { heap.push((v >> 32) << 32 | UInt64(p)) }
      }
      if next[left] < n {
        let v = pairs.lookup(symbols[left], symbols[next[left]], keys: keys, values: values)
        if v != PairTable.none { heap.push((v >> 32) << 32 | UInt64(left)) }
      }
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
