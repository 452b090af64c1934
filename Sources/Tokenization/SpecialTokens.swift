// Special tokens written in text (llama.cpp `tokenizer_st_partition`): before pre-tokenization, the text is cut
// at every occurrence of a special token's text, longest tokens first, and each occurrence becomes that id.
// Control and unknown tokens are cut only with `parseSpecial`; user-defined tokens always.

/// A piece of the input after special tokens were cut out: a token id, or a byte range of ordinary text.
enum Fragment: Equatable {
  case special(Int32)
  case text(Range<Int>)
}

extension Vocabulary {
  /// Cuts `utf8` at special tokens. Without `parseSpecial` and without user-defined tokens this is the
  /// whole text as one fragment.
  func partition(_ utf8: UnsafeBufferPointer<UInt8>, parseSpecial: Bool) -> [Fragment] {
    guard !utf8.isEmpty else { return [] }
    var fragments: [Fragment] = [.text(0 ..< utf8.count)]
    guard parseSpecial || hasUserDefinedTokens else { return fragments }
    for special in specialTokens where parseSpecial || special.alwaysParsed {
      var cut: [Fragment] = []
      cut.reserveCapacity(fragments.count)
      for fragment in fragments {
        guard case .text(let range) = fragment else {
          cut.append(fragment)
          continue
        }
        var start = range.lowerBound
        while let match = Self.firstOccurrence(of: special.bytes, in: utf8, range: start ..< range.upperBound) {
          if match > start { cut.append(.text(start ..< match)) }
          cut.append(.special(special.id))
          start = match + special.bytes.count
        }
        if start < range.upperBound { cut.append(.text(start ..< range.upperBound)) }
      }
      fragments = cut
    }
    return fragments
  }

  /// The offset of the first occurrence of `needle` inside `haystack[range]`, or nil.
  static func firstOccurrence(of needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>, range: Range<Int>) -> Int? {
    guard let first = needle.first, needle.count <= range.count else { return nil }
    var i = range.lowerBound
    let last = range.upperBound - needle.count
    while i <= last {
      if haystack[i] == first {
        var j = 1
        while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
        if j == needle.count { return i }
      }
      i += 1
    }
    return nil
  }
}
