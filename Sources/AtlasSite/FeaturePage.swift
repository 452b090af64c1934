import AtlasArtifacts
import Foundation
import Mustache

/// The description block of a feature page: what the description says, how it was grounded and tested.
struct DescriptionView: MustacheParent {
  var text: String
  var kind: String
  var status: String
  var tone: String
  var score: String
  var what: String
  var detail: String

  func child(named name: String) -> Any? {
    switch name {
    case "text": text
    case "kind": kind
    case "status": status
    case "tone": tone
    case "score": score
    case "what": what
    case "detail": detail
    default: nil
    }
  }

  static func make(_ d: FeatureDescription, patternLabel: String) -> [DescriptionView] {
    let kind: String
    switch d.kind {
    case .concept: kind = "concept"
    case .wordForms: kind = "word family"
    case .lexical: kind = d.testedTokens == 0 ? "pieces of words" : "one word"   // no tokens: a part of a word is tested
    case .syntactic: kind = "syntax"
    case .unclear: kind = "unclear"
    }
    var parts: [String] = []
    if let g = d.grounding { parts.append("Grounded in " + g + ".") }
    if let e = d.evidence {
      let pattern = d.testedTokens > 0 ? "one of its \(Format.count(d.testedTokens)) tokens" : "any token that is such a piece of a word"
      parts.append("Tested as “fires strongly on \(pattern)”: balanced accuracy "
        + "\(Format.fixed(e.balancedAccuracy, digits: 2)) on \(Format.count(e.positives)) strong firings and "
        + "\(Format.count(e.negatives)) other tokens of text the description was not composed from (held-out windows "
        + "and the analysis windows kept for testing).")
    }
    if let p = d.topPrecision { parts.append("\(Format.percent(p)) of its top examples peak on one of these tokens.") }
    if d.kind != .unclear { parts.append("\(Format.percent(d.coverage)) of its firings are on them.") }
    if let note = d.note { parts.append(note.prefix(1).uppercased() + note.dropFirst() + ".") }
    var status: String, tone: String
    switch d.status {
    case .supported: status = "supported"; tone = "good"
    case .insufficient: status = "insufficient evidence"; tone = "none"
    case .unclear: status = "unclear"; tone = "poor"
    }
    var score = d.evidence.map { Format.fixed($0.balancedAccuracy, digits: 2) } ?? "n/a"
    var what = "description evidence"
    if let e = d.evidence, EvidenceGrade.insufficient(e) {
      status = "insufficient evidence"; tone = "none"; score = "—"; what = EvidenceGrade.insufficientText(e)
    }
    return [DescriptionView(text: Markup.displayable(d.headline), kind: kind, status: status, tone: tone,
                            score: score, what: what, detail: Markup.displayable(parts.joined(separator: " ")))]
  }
}

/// `features/fNNNNN.html`: everything known about one feature. The header (title, cluster path,
/// description, label evidence, statistics) and any steering are XHTML; the examples, histogram, top
/// tokens, logit effects, neighbours and sources are drawn by `assets/feature.js` from the feature's
/// `FeatureData` script (they were nine tenths of a page, and its example text is shared across features).
enum FeaturePage {
  static func view(_ r: FeatureRecord, input: SiteInput, steering: SteeringIndex) -> FeatureView {
    let naming = input.naming
    let id = naming.id(r.index)
    let label = Markup.displayable(r.displayName)
    let root = "../"
    let maxAct = r.maxActivation

    // Label evidence.
    let evidence = r.label.evidence
    let grade = EvidenceGrade(evidence, contradicted: r.label.contradicted)
    let evidenceText = evidence.map { e in
      "Balanced accuracy \(Format.fixed(e.balancedAccuracy, digits: 2)) on \(Format.count(e.positives + e.negatives)) held-out tokens "
        + "(\(Format.count(e.positives)) where the feature fired, \(Format.count(e.negatives)) where it did not): "
        + "true-positive rate \(Format.fixed(e.truePositiveRate, digits: 2)), true-negative rate \(Format.fixed(e.trueNegativeRate, digits: 2))."
    }.map { grade.insufficient ? "Too few held-out firings to judge this label. " + $0 : $0 } ?? "No held-out test of this label."

    var badges: [MetricView] = []
    for flag in r.flags {
      switch flag {
      case .dead: badges.append(MetricView(name: "dead", value: "", hint: "never fired on the analysed tokens", tone: "warn"))
      case .dense: badges.append(MetricView(name: "dense", value: "", hint: "fires on more than 10% of tokens", tone: "warn"))
      case .singleToken: badges.append(MetricView(name: "single token", value: "", hint: "90% or more of its firings are on one token"))
      }
    }

    var stats = [
      MetricView(name: "Density", value: Format.percent(r.density), hint: "of \(Format.compact(input.features.analysedTokens)) analysed tokens"),
      MetricView(name: "Max activation", value: Format.activation(maxAct), hint: "highest value seen"),
      MetricView(name: "Mean activation", value: Format.activation(r.meanActivation), hint: "over its firings"),
    ]
    // The source where the feature fires most out of proportion to the source's size, with the two shares
    // that make it so (the same numbers as the "Where it fires" list).
    let over = input.sources.overRepresented(r.sourceShares)
    if let over {
      stats.append(MetricView(name: "Over-represented in", value: Markup.displayable(over.name),
                              hint: "\(Format.percent(over.firings)) of its firings vs \(Format.percent(over.text)) of the text"))
    } else if let source = r.dominantSource {
      stats.append(MetricView(name: "Fires most in", value: Markup.displayable(source),
                              hint: "relative to the source's size; \(Format.percent(r.sourceShares[source] ?? 0)) of its firings"))
    }

    // Cluster path, coarse to fine.
    var clusterPath: [LinkView] = []
    for level in 0 ..< input.levels {
      let c = input.map.assignment[level][r.index]
      guard let cluster = input.cluster(level: level, id: c) else {
        clusterPath.append(LinkView(href: root + "run.html#layout", text: "unclustered", detail: input.hierarchy.levels[level].name, colour: Palette.unclustered))
        continue
      }
      clusterPath.append(LinkView(href: naming.clusterHref(level: level, id: c, root: root), text: Markup.displayable(cluster.label),
                                  detail: input.hierarchy.levels[level].name,
                                  colour: level == 0 ? Palette.colour(cluster: c) : ""))
    }

    let steered = steering.runs(for: r.index, input: input, root: root)
    let described = r.description.map { DescriptionView.make($0, patternLabel: r.label.text) } ?? []
    return FeatureView(
      chrome: ChromeView.make(input, title: "\(id) · \(r.displayName)", root: root, current: "feature", bodyClass: "page-feature",
                              scripts: [FeatureData.windowsFile, FeatureData.file(r.index, naming: naming), "assets/feature.js"]),
      id: id, label: label, description: described, patternLabel: Markup.displayable(r.label.text),
      labelBasis: Markup.displayable(r.label.basis),
      pattern: r.label.pattern.map { "“\(Markup.displayable(Markup.tokenText($0)))”" }.joined(separator: ", "),
      hasEvidence: evidence != nil,
      evidenceScore: grade.score, evidenceWhat: grade.what,
      evidenceTone: grade.tone, evidenceText: evidenceText,
      contradicted: r.label.contradicted,
      contradictionNote: Markup.displayable(r.label.note ?? "the held-out test does not support this label"),
      badges: badges, stats: stats, clusterPath: clusterPath,
      steering: steered, steeringMethod: steering.methodText(maxActivation: maxAct),
      prev: r.index > 0 ? [LinkView(href: naming.featureFile(r.index - 1), text: naming.id(r.index - 1),
                                    note: Markup.displayable(input.summaries[r.index - 1].label.text))] : [],
      next: r.index + 1 < input.summaries.count ? [LinkView(href: naming.featureFile(r.index + 1), text: naming.id(r.index + 1),
                                                            note: Markup.displayable(input.summaries[r.index + 1].label.text))] : [])
  }
}

/// An example window's identity on a page: two windows are the same example when everything shown of
/// them is (tokens, activations, peak, source, document, window).
struct WindowKey: Hashable {
  var tokens: [String]
  var activations: [UInt32]         // bit patterns, so equal keys render equal strips
  var peak: Int
  var source: String
  var document: Int
  var window: Int
  init(_ w: ExampleWindow) {
    tokens = w.tokens; activations = w.activations.map(\.bitPattern); peak = w.peak
    source = w.source; document = w.document; window = w.window
  }
}

/// How a held-out test is shown: its score, colour and caption. A test on fewer than
/// `minimumFirings` held-out firings is "insufficient evidence" (grey, no score colour), whatever its
/// accuracy; a contradicted label is never shown in green.
struct EvidenceGrade {
  /// Below this many held-out firings, a balanced accuracy says little (one firing gives 0 or 1).
  static let minimumFirings = 20

  static func insufficient(_ e: LabelEvidence) -> Bool { e.positives < minimumFirings }
  static func insufficientText(_ e: LabelEvidence) -> String {
    "insufficient evidence (\(Format.count(e.positives)) firing\(e.positives == 1 ? "" : "s"))"
  }

  let tone: String                  // "good", "fair", "poor", "none" (grey)
  let score: String
  let what: String
  let insufficient: Bool

  init(_ evidence: LabelEvidence?, contradicted: Bool) {
    guard let e = evidence else {
      tone = "none"; score = "n/a"; what = "label evidence"; insufficient = false
      return
    }
    if Self.insufficient(e) {
      tone = "none"; score = "—"; what = Self.insufficientText(e); insufficient = true
      return
    }
    let a = e.balancedAccuracy
    let byScore = a >= 0.8 ? "good" : a >= 0.65 ? "fair" : "poor"
    tone = contradicted ? "poor" : byScore
    score = Format.fixed(a, digits: 2)
    what = "label evidence"
    insufficient = false
  }
}
