import Foundation
import TensorMath

/// Word pools, themes and hostile strings for `SyntheticAtlas`: enough variety that a synthetic atlas
/// looks and stresses like a real one (multi-byte pieces, newlines, long labels, skewed cluster sizes).

/// The synthetic generators draw from TensorMath's `SplitMix64`, the project's one generator, through these
/// helpers (Double-valued, as the fixtures were written; the streams are the ones the fixtures always had).
extension SplitMix64 {
  /// Uniform in [0, 1).
  package mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
  /// Uniform in 0 ..< n (n > 0).
  package mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
  /// Standard normal (Box-Muller).
  package mutating func gaussian() -> Double {
    let u = max(unit(), 1e-12)
    let v = unit()
    return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
  }
  package mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// One coarse theme: a name, its token pool and the phrases fine labels are built from.
package struct SyntheticTheme: Sendable {
  package let name: String
  package let tokens: [String]
  package let contexts: [String]
  package let source: String
}

package enum SyntheticContent {
  package static let themes: [SyntheticTheme] = [
    SyntheticTheme(
      name: "Early-modern English",
      tokens: [" thou", " thee", " thy", " hath", " doth", " art", " ere", " wherefore", " methinks", " prithee",
               " shalt", " dost", " ’tis", " nay", " aye", " whence", " hither", " thine", " alas", " anon"],
      contexts: ["in verse dialogue", "addressing a listener", "in stage directions", "in archaic questions"],
      source: "shakespeare"),
    SyntheticTheme(
      name: "Code & markup",
      tokens: [" def", " return", " import", "()", " {", "}", " =", " ==", " self", "_", " if", " else", "</",
               "div", ">", " class", " int", " for", " in", "    "],
      contexts: ["in Python functions", "in HTML tags", "after an assignment", "in loop headers"],
      source: "python"),
    SyntheticTheme(
      name: "People & places",
      tokens: [" London", " Paris", " John", " Mary", " King", " Queen", " Rome", " Verona", " Romeo", " Juliet",
               " Sir", " Mr", " Mrs", " England", " France", " Lord", " Duke", " Hamlet", " Denmark", " Venice"],
      contexts: ["as a form of address", "after a preposition", "in titles", "as the subject"],
      source: "shakespeare"),
    SyntheticTheme(
      name: "Numbers & time",
      tokens: [" 1", "2", "0", " 19", "99", " 2024", " January", " Monday", " o’clock", " hours", " years",
               " minutes", "%", " 10", " hundred", " thousand", " first", " second", " 3", "5"],
      contexts: ["in dates", "in measurements", "counting things", "in percentages"],
      source: "fortunes"),
    SyntheticTheme(
      name: "Punctuation & layout",
      tokens: [",", ".", ";", ":", "!", "?", " —", "(", ")", "\n", "\n\n", " “", "”", "’", " –", "…", " -", "*",
               "#", "\t"],
      contexts: ["ending a clause", "opening a quotation", "at line breaks", "inside parentheses"],
      source: "fortunes"),
    SyntheticTheme(
      name: "Feelings & judgement",
      tokens: [" love", " hate", " fear", " joy", " sorrow", " happy", " sad", " angry", " good", " bad", " great",
               " terrible", " wonderful", " afraid", " proud", " ashamed", " kind", " cruel", " gentle", " brave"],
      contexts: ["describing a person", "as an exclamation", "in comparisons", "negated"],
      source: "shakespeare"),
    SyntheticTheme(
      name: "Questions & requests",
      tokens: [" what", " why", " how", " where", " who", " please", " could", " would", " tell", " explain",
               " help", " can", " should", " which", " when", " may", " ask", " answer", " wonder", " whether"],
      contexts: ["opening a question", "in polite requests", "in indirect questions", "in chat prompts"],
      source: "chat"),
    SyntheticTheme(
      name: "Non-English & symbols",
      tokens: [" café", "é", " naïve", " über", " señor", "ß", " 東京", "語", " Привет", "ł", " €", "°", "½",
               " 😀", "→", " ∑", "ü", " façade", "ñ", " œuvre"],
      contexts: ["in loanwords", "in accented names", "in emoji", "in symbols"],
      source: "wiki"),
  ]

  /// Frequent pieces that fill a window around the firing tokens.
  package static let filler: [String] = [
    " the", " of", " and", " to", " a", " in", " that", " is", " was", " he", " it", " with", " as", " his",
    " on", " be", " at", " by", " I", " this", " not", " but", " from", " or", " have", " an", " they", " which",
    " you", " were", " her", " all", " she", " there", " would", " their", " we", " him", " been", " has",
  ]

  /// Multi-byte characters split across tokens, as display pieces (hex for a partial character, then
  /// the character on the token that completes it).
  package static let splitCharacters: [[String]] = [
    ["<0xE2>", "<0x80>", "’"], ["<0xF0><0x9F>", "<0x98>", "😀"], ["<0xE6>", "<0x9D>", "東"], [" <0xC3>", "é"],
  ]

  /// Strings that try to break out of HTML, SVG, JavaScript, CDATA and Mustache.
  package static let hostile: [String] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "</textarea>",
    "javascript:alert(1)",
    "\u{FFFD}\u{FFFD} invalid UTF-8",
    "ctl\u{01}\u{07}\u{1B}[31m\u{7F}",
    "]]>",
    "{{mustache}} {{{triple}}}",
    "</script><!--",
    "line\u{2028}sep\u{2029}para",
    "&amp; &lt;b&gt; &#x3C;",
    "' onmouseover='alert(1)",
    "<svg onload=alert(1)>",
    "\u{FFFE}\u{FFFF}",
  ]

  package static let prompts: [(text: String, reply: String)] = [
    ("Write one sentence about the sea.", " The sea is vast and deep, and it covers most of our planet."),
    ("What is the capital of France?", " The capital of France is Paris."),
    ("Describe your morning in a few words.", " I woke up early, made coffee and read the news."),
  ]
}
