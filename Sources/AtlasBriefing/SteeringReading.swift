import AtlasArtifacts
import AtlasSite

/// One steering result as the briefing shows it: the same prompt answered by the default model and with
/// one feature turned up.
package struct SteeringExample: Sendable, Equatable {
  package var feature: Int
  package var prompt: String
  package var strength: Float                // multiple of the feature's max activation
  package var defaultText: String
  package var steeredText: String
  package var themeWords: [String]           // the feature's own top words that the steered text brings in
  package var changedWords: Int              // words of the steered text not in the default one (word diff)
  package var words: Int                     // words of the steered text
  package var otherPrompts: Int              // further prompts steered the same way
}

/// The only place that knows how `steering/steering.json` is laid out (a `chosen` strength per feature
/// may be added to it; `run(for:)` is where it would be read).
package enum SteeringReading {
  /// The best run of each steered feature, in the record's order; features whose steered text never
  /// differs from the default are left out.
  package static func examples(_ record: SteeringRecord, summaries: [FeatureRecord]) -> [SteeringExample] {
    record.features.compactMap { example($0, record: record, summaries: summaries) }
  }

  static func example(_ f: SteeredFeature, record: SteeringRecord, summaries: [FeatureRecord]) -> SteeringExample? {
    guard f.feature >= 0, f.feature < summaries.count else { return nil }
    let own = themeVocabulary(summaries[f.feature])
    var best: (score: Double, example: SteeringExample)?
    for run in f.runs where run.strength > 0 && run.prompt >= 0 && run.prompt < record.prompts.count {
      let prompt = record.prompts[run.prompt]
      // An answer of a word or two (or only line breaks) shows nothing a reader can follow.
      guard run.text != prompt.defaultContinuation, WordDiff.words(run.text).count >= 3 else { continue }
      let before = Set(WordDiff.words(prompt.defaultContinuation).map(WordDiff.key))
      let after = WordDiff.words(run.text).map(WordDiff.key)
      var theme: [String] = []
      for w in after where own.contains(w) && !before.contains(w) && !theme.contains(w) { theme.append(w) }
      let diff = WordDiff.diff(prompt.defaultContinuation, run.text)
      let changed = diff.right.filter(\.changed).count
      // On theme first (any of its own words), then text that is not one word repeated, then more theme
      // words; ties go to the gentler strength.
      let distinct = Double(Set(after).count) / Double(max(1, after.count))
      let score = (theme.isEmpty ? 0 : 10) + distinct * 6 + Double(min(3, theme.count)) - Double(run.strength) * 0.01
      let e = SteeringExample(feature: f.feature, prompt: prompt.text, strength: run.strength, defaultText: prompt.defaultContinuation,
                              steeredText: run.text, themeWords: theme, changedWords: changed, words: diff.right.count,
                              otherPrompts: Set(f.runs.map(\.prompt)).count - 1)
      if score > (best?.score ?? -.infinity) { best = (score, e) }
    }
    return best?.example
  }

  /// A feature's own words (top tokens and label terms), lower-cased, letters only, at least 3 letters.
  static func themeVocabulary(_ r: FeatureRecord) -> Set<String> {
    var out = Set<String>()
    for t in r.topTokens.prefix(12) { out.insert(WordDiff.key(t.token)) }
    for part in PlainLanguage.labelParts(r.label.text) { for w in WordDiff.words(part) { out.insert(WordDiff.key(w)) } }
    return out.filter { $0.count >= 3 && !stopWords.contains($0) }
  }

  /// Words too common to show that a steered answer is on a feature's theme.
  static let stopWords: Set<String> = [
    "the", "and", "for", "with", "that", "this", "are", "was", "were", "you", "your", "his", "her", "its", "they", "them",
    "their", "have", "has", "had", "not", "but", "from", "all", "one", "can", "will", "our", "who", "what", "which",
  ]
}

/// A word-level diff (longest common subsequence) between two short texts, to highlight what steering
/// changed. Words keep their trailing spaces so the texts can be shown exactly as generated.
package enum WordDiff {
  package struct Piece: Sendable, Equatable {
    package var text: String
    package var changed: Bool
  }

  /// Words with the whitespace that follows them.
  package static func pieces(_ text: String) -> [String] {
    var out: [String] = []
    var current = ""
    var inSpace = false
    for ch in text {
      if ch.isWhitespace {
        inSpace = true
      } else if inSpace {
        out.append(current)
        current = ""
        inSpace = false
      }
      current.append(ch)
    }
    if !current.isEmpty { out.append(current) }
    return out
  }

  package static func words(_ text: String) -> [String] {
    pieces(text).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
  }

  /// A word compared without case and surrounding punctuation.
  package static func key(_ word: String) -> String {
    String(word.lowercased().filter { $0.isLetter || $0.isNumber })
  }

  /// The pieces of both texts, marking those outside their longest common subsequence of words.
  package static func diff(_ a: String, _ b: String) -> (left: [Piece], right: [Piece]) {
    let pa = pieces(a), pb = pieces(b)
    let ka = pa.map { key($0) }, kb = pb.map { key($0) }
    let n = ka.count, m = kb.count
    // lcs[i][j]: length of the LCS of ka[i...] and kb[j...].  [n + 1][m + 1]
    var lcs = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
    for i in stride(from: n - 1, through: 0, by: -1) {
      for j in stride(from: m - 1, through: 0, by: -1) {
        lcs[i][j] = ka[i] == kb[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
      }
    }
    var left: [Piece] = [], right: [Piece] = []
    var i = 0, j = 0
    while i < n || j < m {
      if i < n, j < m, ka[i] == kb[j] {
        left.append(Piece(text: pa[i], changed: false)); right.append(Piece(text: pb[j], changed: false))
        i += 1; j += 1
      } else if j < m, i == n || lcs[i][j + 1] >= lcs[i + 1][j] {
        right.append(Piece(text: pb[j], changed: true)); j += 1
      } else {
        left.append(Piece(text: pa[i], changed: true)); i += 1
      }
    }
    return (left, right)
  }
}

extension SteeringReading {
  /// The same feature at the same strength on another prompt (the direction's effect elsewhere).
  package static func elsewhere(_ e: SteeringExample,
                                record: SteeringRecord) -> (prompt: String, defaultText: String, steeredText: String)? {
    guard let f = record.features.first(where: { $0.feature == e.feature }) else { return nil }
    for run in f.runs where run.strength == e.strength && run.prompt >= 0 && run.prompt < record.prompts.count {
      let prompt = record.prompts[run.prompt]
      guard prompt.text != e.prompt, run.text != prompt.defaultContinuation else { continue }
      return (prompt.text, prompt.defaultContinuation, run.text)
    }
    return nil
  }

  /// What the method box says about the steering runs.
  package static func methodText(_ record: SteeringRecord) -> String {
    let m = record.method
    let strengths = m.strengths.map { Format.number(Double($0), significant: 3) }.joined(separator: ", ")
    return "\(record.features.count) features × \(record.prompts.count) prompts, mode \(m.mode), strengths \(strengths) × max activation, \(m.decoding) decoding, up to \(m.maxNewTokens) new tokens, at \(m.hookPoint)"
  }
}
