/// The Flesch–Kincaid grade level of English prose, so the briefing's text can be held to a reading
/// level (the tests require grade ≤ 11 for every prose section):
///
///     grade = 0.39 · (words / sentences) + 11.8 · (syllables / words) − 15.59
///
/// Counting rules (simple and documented, so a passage's grade can be worked out by hand):
/// - A **word** is a run of characters between spaces, hyphens, slashes and dashes that contains at least
///   one letter; punctuation around it is ignored. Runs without a letter ("8,192", "98.8%", "·") are not
///   words and add no syllables.
/// - A **sentence** ends at ".", "!" or "?" (a run of them counts once) followed by a space, a closing
///   quote or bracket, or the end of the text. A decimal point is not followed by a space, so "98.8" ends
///   nothing. Text without a terminator is one sentence.
/// - **Syllables** of a word: its letters lower-cased (digits and apostrophes dropped) are split into groups
///   of consecutive vowels (a, e, i, o, u, y); each group is a syllable, then
///   1. a final "e" is silent, except in a consonant + "le" ending ("ta·ble") or when it is the only vowel;
///   2. a final "ed" is silent unless it follows "t" or "d" ("changed" 1, "wanted" 2);
///   3. a final "es" is silent unless it follows s, x, z, ch, sh, c, g or a consonant + "l" ("makes" 1,
///      "boxes" 2, "changes" 2, "apples" 2);
///   4. every word has at least one syllable.
package enum Readability {
  package struct Counts: Equatable, Sendable {
    package var words: Int
    package var sentences: Int
    package var syllables: Int
    package init(words: Int, sentences: Int, syllables: Int) {
      self.words = words; self.sentences = sentences; self.syllables = syllables
    }
  }

  package static func counts(_ text: String) -> Counts {
    let list = words(text)
    return Counts(words: list.count, sentences: list.isEmpty ? 0 : max(1, sentences(text)),
                  syllables: list.reduce(0) { $0 + syllables($1) })
  }

  /// The grade, or nil for text without words.
  package static func grade(_ text: String) -> Double? {
    let c = counts(text)
    guard c.words > 0 else { return nil }
    return 0.39 * Double(c.words) / Double(c.sentences) + 11.8 * Double(c.syllables) / Double(c.words) - 15.59
  }

  /// Words as defined above, without surrounding punctuation.
  package static func words(_ text: String) -> [String] {
    var out: [String] = []
    var current = ""
    func flush() {
      if current.contains(where: \.isLetter) {
        out.append(String(current.drop { !$0.isLetter && !$0.isNumber }.reversed().drop { !$0.isLetter && !$0.isNumber }.reversed()))
      }
      current = ""
    }
    for ch in text {
      if ch.isWhitespace || "-/–—".contains(ch) { flush() } else { current.append(ch) }
    }
    flush()
    return out
  }

  package static func sentences(_ text: String) -> Int {
    let chars = Array(text)
    var count = 0
    var i = 0
    while i < chars.count {
      guard ".!?".contains(chars[i]) else { i += 1; continue }
      var j = i
      while j < chars.count, ".!?".contains(chars[j]) { j += 1 }
      // Closing quotes and brackets may follow the terminator.
      var k = j
      while k < chars.count, "\"'’”)]".contains(chars[k]) { k += 1 }
      if k == chars.count || chars[k].isWhitespace { count += 1 }
      i = j
    }
    return count
  }

  package static func syllables(_ word: String) -> Int {
    let w = Array(word.lowercased().filter { $0.isLetter })
    guard !w.isEmpty else { return 0 }
    func vowel(_ c: Character) -> Bool { "aeiouy".contains(c) }
    var groups = 0
    var previousVowel = false
    for c in w {
      let v = vowel(c)
      if v && !previousVowel { groups += 1 }
      previousVowel = v
    }
    let n = w.count
    if n >= 2, w[n - 1] == "e", !vowel(w[n - 2]), groups > 1 {
      // Rule 1: silent final e, except consonant + "le".
      let consonantLE = n >= 3 && w[n - 2] == "l" && !vowel(w[n - 3])
      if !consonantLE { groups -= 1 }
    } else if n >= 3, w[n - 2] == "e", w[n - 1] == "d", !vowel(w[n - 3]), groups > 1 {
      // Rule 2: silent "ed" unless after t or d.
      if w[n - 3] != "t" && w[n - 3] != "d" { groups -= 1 }
    } else if n >= 3, w[n - 2] == "e", w[n - 1] == "s", !vowel(w[n - 3]), groups > 1 {
      // Rule 3: silent "es" unless after a sibilant.
      let sibilant = "sxzcg".contains(w[n - 3]) || (n >= 4 && w[n - 3] == "h" && "cs".contains(w[n - 4]))
      let consonantLES = n >= 4 && w[n - 3] == "l" && !vowel(w[n - 4])
      if !sibilant && !consonantLES { groups -= 1 }
    }
    return max(1, groups)
  }
}
