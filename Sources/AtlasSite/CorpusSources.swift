import AtlasArtifacts

/// The corpus sources as a reader needs them: each source's share of the text (its tokens over all
/// tokens, from atlas.json) and its description in plain words. One place, so the feature page's
/// "over-represented in" and its "Where it fires" list are computed from the same numbers.
struct CorpusSources: Sendable {
  let textShare: [String: Double]   // source name -> fraction of the corpus tokens
  let about: [String: String]       // source name -> "Unix fortune-cookie quotations"

  init(_ corpus: CorpusRecord?) {
    var tokens: [String: Int] = [:]
    var about: [String: String] = [:]
    for s in corpus?.sources ?? [] {
      tokens[s.name, default: 0] += max(0, s.tokens)
      if let a = s.about, !a.isEmpty { about[s.name] = a }
    }
    let total = tokens.values.reduce(0, +)
    textShare = total > 0 ? tokens.mapValues { Double($0) / Double(total) } : [:]
    self.about = about
  }

  /// The source whose share of the feature's firings most exceeds its share of the text (the largest
  /// ratio firing share ÷ text share), with both shares; nil without firings or text shares.
  func overRepresented(_ firingShares: [String: Double]) -> (name: String, firings: Double, text: Double)? {
    var best: (name: String, firings: Double, text: Double, ratio: Double)?
    for name in firingShares.keys.sorted() {
      guard let firing = firingShares[name], firing > 0, let text = textShare[name], text > 0 else { continue }
      let ratio = firing / text
      if ratio > (best?.ratio ?? -1) { best = (name, firing, text, ratio) }
    }
    return best.map { ($0.name, $0.firings, $0.text) }
  }

  /// "fortunes (Unix fortune-cookie quotations)", or the bare name when nothing describes it.
  func described(_ name: String) -> String {
    about[name].map { "\(name) (\($0))" } ?? name
  }
}
