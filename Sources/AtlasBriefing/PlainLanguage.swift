import AtlasArtifacts
import AtlasSite
import Foundation

/// Numbers and artifact names turned into words a reader without a machine-learning background can
/// follow. Every function is pure: the same record gives the same sentence.
package enum PlainLanguage {
  // MARK: - Numbers

  /// "135 million" from a model name such as "SmolLM2-135M-Instruct"; nil when the name has no size.
  package static func parameterCount(modelName: String) -> String? {
    let chars = Array(modelName)
    var i = 0
    while i < chars.count {
      guard chars[i].isNumber, i == 0 || !chars[i - 1].isLetter else { i += 1; continue }
      var j = i
      while j < chars.count, chars[j].isNumber || chars[j] == "." { j += 1 }
      if j < chars.count, "MBmb".contains(chars[j]), j + 1 == chars.count || !chars[j + 1].isLetter {
        let number = String(chars[i ..< j])
        return number + (chars[j] == "M" || chars[j] == "m" ? " million" : " billion")
      }
      i = j + 1
    }
    return nil
  }

  /// Layer of a TransformerLens hook name, counted from 1 as a reader would ("blocks.15.hook_resid_post"
  /// is after layer 16); nil for other names.
  package static func layer(hookPoint: String) -> Int? {
    let parts = hookPoint.split(separator: ".")
    guard parts.count >= 3, parts[0] == "blocks", let block = Int(parts[1]) else { return nil }
    return parts[2].hasSuffix("resid_pre") ? block : block + 1
  }

  /// Where in the model, in words: "halfway through", "early in", "late in".
  package static func depth(layer: Int, of layers: Int) -> String {
    guard layers > 0 else { return "inside" }
    let f = Double(layer) / Double(layers)
    return f < 0.34 ? "early in" : f < 0.67 ? "halfway through" : "late in"
  }

  /// A count rounded for prose: two significant digits from 1,000 ("300,000", "1.6 million").
  package static func about(_ n: Int) -> String {
    guard n >= 1_000 else { return Format.count(n) }
    if n >= 1_000_000 { return Format.number(significant(Double(n), 2) / 1e6, significant: 3) + " million" }
    return Format.count(Int(significant(Double(n), 2)))
  }

  /// `x` rounded to `digits` significant digits.
  static func significant(_ x: Double, _ digits: Int) -> Double {
    guard x > 0, x.isFinite else { return x }
    let magnitude = pow(10, floor(log10(x)) - Double(digits - 1))
    return (x / magnitude).rounded() * magnitude
  }

  /// A share as a whole-number percentage, or with one decimal near the ends ("99.2%", "41%", "0.4%").
  package static func percent(_ fraction: Double) -> String {
    guard fraction.isFinite else { return "n/a" }
    let p = fraction * 100
    if p >= 99.95 { return "100%" }
    if p >= 95 || p < 5 { return Format.fixed(p, digits: 1) + "%" }
    return Format.fixed(p, digits: 0) + "%"
  }

  /// "about 1 word piece in 300" from a firing density.
  package static func frequency(_ density: Double) -> String {
    guard density > 0, density.isFinite else { return "never" }
    if density >= 0.5 { return "on most word pieces" }
    let n = 1 / density
    let rounded = n < 10 ? n.rounded() : n < 100 ? (n / 5).rounded() * 5 : significant(n, 2)
    return "on about 1 word piece in \(Format.count(Int(max(2, rounded))))"
  }

  /// A multiple as a reader says it: "5 times", "2.5 times".
  package static func times(_ s: Float) -> String {
    Format.number(Double(abs(s)), significant: 3) + " times"
  }

  // MARK: - Names

  /// The default corpus sources, described.
  package static func source(_ name: String) -> String {
    switch name.lowercased() {
    case "wordnet": "dictionary definitions from WordNet"
    case "devil": "The Devil’s Dictionary, a book of satirical definitions"
    case "shakespeare": "Shakespeare’s plays"
    case "fortunes": "fortune-cookie sayings"
    case "networkx": "Python code from the networkx library"
    case "calendar": "calendar entries of historical dates"
    case "licenses", "licences": "software licence texts"
    default: "“" + Markup.displayable(name) + "”"
    }
  }

  /// "a, b and c".
  package static func list(_ items: [String], conjunction: String = "and") -> String {
    switch items.count {
    case 0: return ""
    case 1: return items[0]
    default: return items.dropLast().joined(separator: ", ") + " \(conjunction) " + (items.last ?? "")
    }
  }

  /// A token as a reader sees it: trimmed, quoted; a line break or space spelled out.
  package static func quoted(_ token: String) -> String {
    let trimmed = Markup.displayable(token).trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.isEmpty { return token.contains("\n") || token.contains("↵") ? "a line break" : "a space" }
    if trimmed == "↵" || trimmed.allSatisfy({ $0 == "↵" }) { return "a line break" }
    return "“" + trimmed + "”"
  }

  /// A long label cut at a word boundary for the map ("rain · snow · wind" stays, longer ones get "…").
  package static func short(_ text: String, _ length: Int) -> String {
    let clean = Markup.displayable(text).replacingOccurrences(of: "\n", with: " ")
    guard clean.count > length else { return clean }
    var cut = String(clean.prefix(length - 1))
    if let space = cut.lastIndex(of: " "), cut.distance(from: cut.startIndex, to: space) > length / 2 { cut = String(cut[..<space]) }
    return cut.trimmingCharacters(in: CharacterSet(charactersIn: " ·,")) + "…"
  }

  // MARK: - A feature in one sentence

  /// The label's parts (a label joins its terms with " · ").
  static func labelParts(_ text: String) -> [String] {
    text.components(separatedBy: " · ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
  }

  /// The description in words when its own test on new text held up, else nil.
  static func supportedDescription(_ r: FeatureRecord) -> FeatureDescription? {
    guard let d = r.description, d.status == .supported, d.kind != .unclear else { return nil }
    return d
  }

  /// The name a reader sees: the description in words when its test held up ("diseases (measles, plague,
  /// fever)"), else the pattern label, except that a corpus-source label ("wordnet · fortunes context") is never
  /// a name on its own: such a feature is "unclear" with the words it fires on most.
  package static func name(_ r: FeatureRecord) -> String {
    if let d = supportedDescription(r) { return d.text }
    guard r.label.basis.hasPrefix("corpus source") else { return r.label.text }
    let words = r.topTokens.prefix(3).map { quoted($0.token) }
    return words.isEmpty ? "unclear" : "unclear: " + words.joined(separator: " ")
  }

  /// What a feature responds to, in one plain sentence: its description in words when it held up, else
  /// built from its label's kind (the label's `basis`).
  package static func sentence(_ r: FeatureRecord) -> String {
    if r.flags.contains(.dead) { return "It never fired on the text we used." }
    if let d = supportedDescription(r) {
      let prefix = FeatureDescription.strongestPrefix
      guard d.text.hasPrefix(prefix) else { return "It responds to \(Markup.displayable(d.text))." }
      return "At its strongest, it responds to \(Markup.displayable(String(d.text.dropFirst(prefix.count))))."
    }
    let label = r.label
    let basis = label.basis
    func words(_ parts: [String], _ conjunction: String = "and") -> String {
      list(parts.prefix(3).map { quoted($0) }, conjunction: conjunction)
    }
    var text = label.text
    if basis.hasPrefix("tokens in one source") {
      let source = r.dominantSource ?? ""
      let suffix = " in " + source
      if !source.isEmpty, text.hasSuffix(suffix) { text = String(text.dropLast(suffix.count)) }
      let parts = labelParts(text)
      return "It lights up on \(words(parts)) in \(PlainLanguage.source(source))."
    }
    if basis.hasPrefix("tokens") {
      let parts = labelParts(text)
      return parts.count == 1 ? "It lights up on the word \(words(parts))." : "It lights up on the words \(words(parts))."
    }
    if basis.hasPrefix("corpus source") {
      let names = labelParts(text.hasSuffix(" context") ? String(text.dropLast(" context".count)) : text)
      return "It lights up on most words in \(list(names.map(source), conjunction: "or"))."
    }
    if basis.hasPrefix("bigrams") || basis.hasPrefix("trigrams") {
      let parts = labelParts(text).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "‘’")) }
      return parts.count == 1 ? "It lights up on the phrase \(words(parts))." : "It lights up on the phrases \(words(parts))."
    }
    if basis.hasPrefix("context") {
      let parts = labelParts(text.hasPrefix("after: ") ? String(text.dropFirst("after: ".count)) : text)
      return "It lights up on words that come soon after \(words(parts, "or"))."
    }
    if basis.hasPrefix("next token") {
      let parts = labelParts(text.hasPrefix("before: ") ? String(text.dropFirst("before: ".count)) : text)
      return "It lights up on the word just before \(words(parts, "or"))."
    }
    if basis.hasPrefix("logit effects") {
      let tokens = r.promotedTokens.prefix(3).map(\.token)
      return "It makes the model more likely to write \(words(tokens, "or")) next."
    }
    let tokens = r.topTokens.prefix(3).map(\.token)
    return tokens.isEmpty ? "It has no clear pattern." : "It fires most often on \(words(tokens, "or"))."
  }

  /// How the label fared on held-out text, in words (balanced accuracy; 50 is a coin toss).
  /// How the name a reader sees held up on new text: the description's test when the description is shown.
  package static func evidence(_ r: FeatureRecord) -> String {
    guard let d = supportedDescription(r), let e = d.evidence else { return evidence(r.label) }
    return "This description scored \(Int((e.balancedAccuracy * 100).rounded())) out of 100 on new text."
  }

  package static func evidence(_ label: FeatureLabel) -> String {
    guard let e = label.evidence else { return "Its label was not tested." }
    let score = Int((e.balancedAccuracy * 100).rounded())
    return label.contradicted
      ? "Its label scored only \(score) out of 100 on new text, so it is doubtful."
      : "Its label scored \(score) out of 100 on new text."
  }

  // MARK: - Dates

  /// "5 December 2026" from an ISO 8601 timestamp ("2026-12-05T14:52:36Z"); the text itself when it
  /// does not start with a date.
  package static func date(iso: String) -> String {
    let parts = iso.prefix(10).split(separator: "-")
    guard parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1 ... 12).contains(m) else { return iso }
    let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
    return "\(d) \(months[m - 1]) \(y)"
  }
}
