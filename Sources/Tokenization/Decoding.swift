// Decoding: ids -> bytes (exact inverse of the byte-level mapping), and per-token text for display.
// A token can hold part of a multi-byte UTF-8 character (Cyrillic and CJK are often split in 2-3 tokens),
// so per-token text is computed from the bytes of the whole sequence, never token by token.

/// How control and unknown tokens (like "<|im_end|>") appear in decoded text.
public enum SpecialTokenDecoding: Sendable {
  /// As their text, "<|im_end|>" (llama.cpp `token_to_piece(special: true)`).
  case text
  /// As nothing (llama.cpp `special: false`).
  case omitted
}

/// The text one token contributes to a decoded sequence.
public struct TokenPiece: Sendable, Equatable {
  /// The characters that end in this token: a character split across tokens belongs to the token holding its
  /// last byte. Concatenated over a sequence these give `decodeText(ids)` exactly.
  public var text: String
  /// The token's own bytes.
  public var bytes: [UInt8]
  /// True when the token has bytes but completes no character (its bytes start a character finished later).
  public var isPartial: Bool

  /// What to show for the token: `text`, or for a partial token the hex of its bytes, like "<0xE2><0x96>".
  public var label: String { isPartial ? hexLabel(bytes) : text }
}

func hexLabel<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
  let digits = Array("0123456789ABCDEF")
  return bytes.map { "<0x\(digits[Int($0 >> 4)])\(digits[Int($0 & 15)])>" }.joined()
}

extension BPETokenizer {
  /// The raw bytes of one token: normal tokens through the byte-level alphabet, control and user-defined
  /// tokens as their UTF-8 text; empty for an id outside the vocabulary.
  public func tokenBytes(_ id: Int) -> [UInt8] {
    guard id >= 0 && id < vocabulary.count else { return [] }
    return Array(vocabulary.bytes(of: id))
  }

  /// Whether `id` decodes to its text only when special tokens are shown (control and unknown tokens),
  /// or never (unused and undefined types are skipped, like llama.cpp).
  private func contributes(_ id: Int, _ special: SpecialTokenDecoding) -> Bool {
    guard id >= 0 && id < vocabulary.count else { return false }
    switch vocabulary.types[id] {
    case .normal, .userDefined, .byte: return true
    case .control, .unknown: return special == .text
    case .unused, .undefined: return false
    }
  }

  /// The bytes of a sequence: exact inverse of `encode` for sanitized text. Ids outside the vocabulary are skipped.
  public func decode(_ ids: [Int], specialTokens: SpecialTokenDecoding = .text) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(ids.count * 4)
    for id in ids where contributes(id, specialTokens) { bytes.append(contentsOf: vocabulary.bytes(of: id)) }
    return bytes
  }

  /// The text of a sequence; invalid UTF-8 (a sequence cut inside a character) becomes U+FFFD.
  public func decodeText(_ ids: [Int], specialTokens: SpecialTokenDecoding = .text) -> String {
    String(decoding: decode(ids, specialTokens: specialTokens), as: UTF8.self)
  }

  /// The text of one token on its own: its valid UTF-8, with bytes that do not form a whole character shown
  /// as hex ("<0xE2>"); control tokens as their text; "<invalid:ID>" for an id outside the vocabulary.
  public func tokenText(_ id: Int) -> String {
    guard id >= 0 && id < vocabulary.count else { return "<invalid:\(id)>" }
    var text = ""
    forEachScalar(in: vocabulary.bytes(of: id)) { scalar, range in
      if let scalar { text.unicodeScalars.append(scalar) } else { text += hexLabel(vocabulary.bytes(of: id)[range]) }
    }
    return text
  }

  /// Per-token text of a sequence, for display (special tokens shown as their text).
  ///
  /// Each character is attached to the token that completes it; a token that only starts a character is
  /// `isPartial` with empty `text`. `pieces(ids).map(\.text).joined() == decodeText(ids)` always (invalid
  /// UTF-8 appears as U+FFFD in both).
  public func pieces(_ ids: [Int]) -> [TokenPiece] {
    var all: [UInt8] = []
    var owner: [Int] = []  // [all.count]  index into ids of the token each byte came from
    var pieces: [TokenPiece] = []
    pieces.reserveCapacity(ids.count)
    for (index, id) in ids.enumerated() {
      let bytes = contributes(id, .text) ? Array(vocabulary.bytes(of: id)) : []
      all.append(contentsOf: bytes)
      owner.append(contentsOf: repeatElement(index, count: bytes.count))
      pieces.append(TokenPiece(text: "", bytes: bytes, isPartial: false))
    }
    forEachScalar(in: all[...]) { scalar, range in
      pieces[owner[range.upperBound - 1]].text.unicodeScalars.append(scalar ?? "\u{FFFD}")
    }
    for i in pieces.indices { pieces[i].isPartial = !pieces[i].bytes.isEmpty && pieces[i].text.isEmpty }
    return pieces
  }

  /// `pieces(ids).map(\.label)`: per-token text where a token holding only the start of a character is shown
  /// as the hex of its bytes ("<0xD0>") and the completed character is shown on the token that completes it.
  public func displayPieces(_ ids: [Int]) -> [String] { pieces(ids).map(\.label) }

  /// Calls `body` for each scalar of `bytes` (nil for each maximal invalid subsequence, as `String(decoding:)`
  /// replaces it with U+FFFD), with its byte range.
  private func forEachScalar(in bytes: ArraySlice<UInt8>, _ body: (Unicode.Scalar?, Range<Int>) -> Void) {
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes.makeIterator()
    var offset = bytes.startIndex
    while true {
      switch parser.parseScalar(from: &iterator) {
      case .valid(let encoded):
        body(Unicode.UTF8.decode(encoded), offset ..< offset + encoded.count)
        offset += encoded.count
      case .error(let length):
        body(nil, offset ..< offset + length)
        offset += length
      case .emptyInput:
        return
      }
    }
  }
}
