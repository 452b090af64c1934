// The immutable tables behind `BPETokenizer`: token texts and bytes, merge ranks keyed by pairs of ids,
// and the special tokens. Built once from the GGUF arrays (llama.cpp `llama_vocab::impl::load`).

/// The kind of a vocabulary entry (GGUF `tokenizer.ggml.token_type`, llama.cpp `llama_token_type`).
public enum TokenType: Int, Sendable, Codable, CaseIterable {
  case undefined = 0
  case normal = 1
  case unknown = 2
  /// Marks a conversation structure (`<|im_start|>`); recognised in text only when asked (`parseSpecial`).
  case control = 3
  /// Added by the model author; always recognised in text, like llama.cpp.
  case userDefined = 4
  case unused = 5
  case byte = 6
}

/// Merge ranks keyed by a packed pair of symbol ids: open addressing with linear probing, key and value side
/// by side so that a lookup touches one cache line (the table is ~1 MB for 49k merges: L2-sized).
struct PairTable: Sendable {
  private var slots: [UInt64]   // [2 * capacity]  key (left << 32 | right, or `empty`), value (rank << 32 | merged)
  private let shift: UInt64     // 64 - log2(capacity)
  static let empty = UInt64.max
  static let none = UInt64.max

  /// Capacity: the power of two at or above 4/3 of the count (load factor <= 0.75).
  init(expectedCount: Int) {
    var bits = 4
    while (1 << bits) * 3 < expectedCount * 4 { bits += 1 }
    slots = Array(repeating: Self.empty, count: 2 << bits)
    shift = UInt64(64 - bits)
  }

  @inline(__always)
  static func key(_ left: Int32, _ right: Int32) -> UInt64 {
    UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
  }

  @inline(__always)
  static func slot(_ key: UInt64, shift: UInt64) -> Int {
    Int(truncatingIfNeeded: ((key ^ (key >> 29)) &* 0x9E37_79B9_7F4A_7C15) >> shift)
  }

  /// Inserts a merge unless the pair already has one (the first, lowest rank wins, as in llama.cpp).
  mutating func insert(left: Int32, right: Int32, rank: Int32, merged: Int32) {
    let key = Self.key(left, right)
    var i = Self.slot(key, shift: shift)
    let mask = slots.count / 2 - 1
    while slots[2 * i] != Self.empty {
      if slots[2 * i] == key { return }
      i = (i + 1) & mask
    }
    slots[2 * i] = key
    slots[2 * i + 1] = UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(UInt32(bitPattern: merged))
  }

  /// Calls `body` with a lookup over the table's storage (no reference counting in the hot loop).
  func withLookup<R>(_ body: (PairLookup) -> R) -> R {
    slots.withUnsafeBufferPointer { body(PairLookup(slots: $0, shift: shift)) }
  }

  func lookup(_ left: Int32, _ right: Int32) -> UInt64 { withLookup { $0.lookup(left, right) } }
}

/// Read-only view of a `PairTable` for the merge loops.
struct PairLookup {
  let slots: UnsafeBufferPointer<UInt64>  // [2 * capacity]
  let shift: UInt64

  /// `rank << 32 | merged` for the pair, or `PairTable.none` (which compares above every real entry).
  @inline(__always)
  func lookup(_ left: Int32, _ right: Int32) -> UInt64 {
    let key = PairTable.key(left, right)
    var i = PairTable.slot(key, shift: shift)
    let mask = slots.count / 2 - 1
    while true {
      let k = slots[2 * i]
      if k == key { return slots[2 * i + 1] }
      if k == PairTable.empty { return PairTable.none }
      i = (i + 1) & mask
    }
  }
}

/// Everything `BPETokenizer` needs, immutable after init (a class so that copies of the tokenizer share it).
final class Vocabulary: Sendable {
  let tokens: [String]                // [vocabularySize]  as stored in the GGUF (byte-level text for normal tokens)
  let types: [TokenType]              // [vocabularySize]
  let idByText: [String: Int32]       // token text -> id
  let tokenBytes: [UInt8]             // concatenated raw bytes of every token
  let tokenByteOffsets: [Int32]       // [vocabularySize + 1]  token i is tokenBytes[offsets[i] ..< offsets[i + 1]]
  let byteSymbol: [Int32]             // [256]  the initial BPE symbol of each byte (a token id or a virtual id)
  let virtualFallback: [[Int32]]      // [virtual symbols]  ids emitted for a final symbol that is not a token
  let pairs: PairTable
  let mergeCount: Int
  /// Control, unknown and user-defined tokens, longest text first (llama.cpp `cache_special_tokens`).
  let specialTokens: [(id: Int32, bytes: [UInt8], alwaysParsed: Bool)]
  let hasUserDefinedTokens: Bool

  init(tokens: [String], merges: [String], tokenTypes: [Int]?) throws {
    guard !tokens.isEmpty else { throw TokenizationError.emptyVocabulary }
    if let tokenTypes, tokenTypes.count != tokens.count {
      throw TokenizationError.tokenTypeCountMismatch(tokens: tokens.count, tokenTypes: tokenTypes.count)
    }
    self.tokens = tokens
    let types = (tokenTypes ?? []).map { TokenType(rawValue: $0) ?? .undefined }
    self.types = types.isEmpty ? Array(repeating: .normal, count: tokens.count) : types

    var idByText: [String: Int32] = [:]
    idByText.reserveCapacity(tokens.count)
    for (i, text) in tokens.enumerated() where !text.isEmpty {
      if let first = idByText[text] { throw TokenizationError.duplicateToken(text, firstID: Int(first), secondID: i) }
      idByText[text] = Int32(i)
    }
    self.idByText = idByText

    // Raw bytes: normal tokens are byte-level text; the others (and any text outside the alphabet) are raw UTF-8.
    var bytes: [UInt8] = []
    var offsets: [Int32] = [0]
    offsets.reserveCapacity(tokens.count + 1)
    for (i, text) in tokens.enumerated() {
      if self.types[i] == .normal || self.types[i] == .undefined || self.types[i] == .byte,
        let decoded = ByteLevel.decode(text)
      {
        bytes.append(contentsOf: decoded)
      } else {
        bytes.append(contentsOf: text.utf8)
      }
      offsets.append(Int32(bytes.count))
    }
    tokenBytes = bytes
    tokenByteOffsets = offsets

    // Symbols that are not tokens (a byte without a single-byte token, a merge result missing from the
    // vocabulary) get virtual ids after the vocabulary. llama.cpp keeps them as text and, if one survives to
    // the end, emits the single-byte tokens of its UTF-8 bytes that exist, silently dropping the rest.
    var virtualIDs: [String: Int32] = [:]
    var virtualTexts: [String] = []
    func symbol(_ text: String) -> Int32 {
      if let id = idByText[text] { return id }
      if let id = virtualIDs[text] { return id }
      let id = Int32(tokens.count + virtualTexts.count)
      virtualIDs[text] = id
      virtualTexts.append(text)
      return id
    }
    byteSymbol = ByteLevel.byteToScalar.map { symbol(String($0)) }

    var pairs = PairTable(expectedCount: merges.count)
    for (rank, merge) in merges.enumerated() {
      let utf8 = Array(merge.utf8)
      guard utf8.count >= 3, let space = utf8.dropFirst().firstIndex(of: 0x20), space + 1 < utf8.count else {
        throw TokenizationError.malformedMerge(index: rank, text: merge)
      }
      let left = String(decoding: utf8[..<space], as: UTF8.self)
      let right = String(decoding: utf8[(space + 1)...], as: UTF8.self)
      pairs.insert(left: symbol(left), right: symbol(right), rank: Int32(rank), merged: symbol(left + right))
    }
    self.pairs = pairs
    mergeCount = merges.count
    virtualFallback = virtualTexts.map { text in
      text.utf8.compactMap { byte in byte < 0x80 ? idByText[String(Unicode.Scalar(byte))] : nil }
    }

    var specials: [(id: Int32, bytes: [UInt8], alwaysParsed: Bool)] = []
    for (i, type) in self.types.enumerated() where type == .control || type == .unknown || type == .userDefined {
      guard !tokens[i].isEmpty else { continue }
      specials.append((Int32(i), Array(tokens[i].utf8), type == .userDefined))
    }
    specials.sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
    specialTokens = specials
    hasUserDefinedTokens = specials.contains { $0.alwaysParsed }
  }

  var count: Int { tokens.count }

  /// Raw bytes of token `id` (must be in range).
  func bytes(of id: Int) -> ArraySlice<UInt8> {
    tokenBytes[Int(tokenByteOffsets[id]) ..< Int(tokenByteOffsets[id + 1])]
  }
}
