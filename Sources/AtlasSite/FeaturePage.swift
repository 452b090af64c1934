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

/// `features/fNNNNN.html`: everything known about one feature.
enum FeaturePage {
  /// `data/features/fNNNNN.json`: the feature's record for download, compact, with sorted keys (so
  /// byte-identical across renders), without its example windows: the windows are three quarters of a
  /// record (about 14 kB of 19 kB on the quick atlas) and the site should shrink, not grow; they are on the
  /// page, and every window is in the atlas's features/ shards. The quantile and interval bands keep their
  /// bounds and shares.
  static func downloadFile(_ index: Int, naming: Naming) -> String { "data/features/" + naming.id(index) + ".json" }

  static func download(_ r: FeatureRecord) throws -> Data {
    var slim = r
    slim.topExamples = []
    slim.quantileSamples = r.quantileSamples.map {
      SampleGroup(title: $0.title, lower: $0.lower, upper: $0.upper, share: $0.share, examples: [])
    }
    slim.intervalSamples = r.intervalSamples.map {
      SampleGroup(title: $0.title, lower: $0.lower, upper: $0.upper, share: $0.share, examples: [])
    }
    do { return try CanonicalJSON.encodeCompact(slim) } catch {
      throw SiteError.inconsistentArtifacts("feature \(r.index) cannot be written as JSON: \(error)")
    }
  }

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
    // that make it so (the same numbers as the "Where it fires" list below).
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

    let firings = r.histogram.counts.reduce(0, +)
    let histogram = Charts.logHistogram(r.histogram, label: "Histogram of \(id)'s activations on a log scale", what: "firing",
                                        valueFormat: { Format.number($0, significant: 2) })

    let scale = maxAct > 0 ? maxAct : (r.topExamples.first?.activations.max() ?? 1)
    // Each example is shown once, where it first appears (top activations, then the quantile bands, then
    // the interval bands): a band that sampled examples already on the page ends with one line linking to
    // them by their peaks instead of repeating their strips. On the default atlas a third of a page's
    // examples were such repeats (the top bands sample the top examples), a fifth of its bytes; one line
    // per band, not a captioned line per repeat, takes a tenth of what those lines took.
    var seen: [WindowKey: Int] = [:]
    for w in r.topExamples + (r.quantileSamples + r.intervalSamples).flatMap(\.examples) { seen[WindowKey(w), default: 0] += 1 }
    var shown: [WindowKey: String] = [:]
    func peakText(_ w: ExampleWindow) -> String {
      let peak = w.peak >= 0 && w.peak < w.activations.count ? w.activations[w.peak] : 0
      let peakToken = w.peak >= 0 && w.peak < w.tokens.count ? Markup.tokenText(w.tokens[w.peak]) : ""
      return "peak \(Format.activation(peak)) on “\(peakToken)”"
    }
    func caption(_ w: ExampleWindow) -> String {
      "\(w.source) · document \(Format.count(w.document)) · window \(Format.count(w.window)) · " + peakText(w)
    }
    func examples(_ windows: [ExampleWindow]) -> String {
      var html = ""
      var again: [String] = []
      for w in windows {
        let key = WindowKey(w)
        if let anchor = shown[key] {
          again.append("<a href=\"#\(anchor)\">" + Markup.text(peakText(w)) + "</a>")
          continue
        }
        var anchor = ""
        if (seen[key] ?? 0) > 1 {
          anchor = "e\(shown.count)"
          shown[key] = anchor
        }
        html += TokenStrip.figure(w, scale: scale, caption: caption(w), id: anchor)
      }
      if !again.isEmpty { html += "<p class=\"again\">Also in this band, shown above: " + again.joined(separator: " · ") + "</p>\n" }
      return html
    }
    let top = examples(r.topExamples)
    func group(_ g: SampleGroup) -> GroupView {
      GroupView(title: Markup.displayable(g.title),
                caption: "activations \(Format.activation(g.lower))–\(Format.activation(g.upper)) · \(Format.percent(g.share)) of firings",
                examples: examples(g.examples))
    }
    let quantiles = r.quantileSamples.map(group)
    let intervals = r.intervalSamples.map(group)

    let largest = (r.promotedTokens + r.suppressedTokens).map { abs($0.value) }.max() ?? 1
    func logit(_ t: TokenValue) -> LogitView {
      let width = largest > 0 ? Int((abs(t.value) / largest * 20).rounded()) : 0
      return LogitView(token: Markup.displayable(Markup.tokenText(t.token)),
                       value: (t.value > 0 ? "+" : "") + Format.fixed(t.value, digits: 2), bar: "w\(max(0, min(20, width)))")
    }

    func neighbour(_ n: Neighbour) -> LinkView? {
      guard n.feature >= 0, n.feature < input.summaries.count else { return nil }
      let s = input.summaries[n.feature]
      return LinkView(href: naming.featureFile(n.feature), text: naming.id(n.feature), detail: Format.fixed(n.similarity, digits: 2),
                      note: Markup.displayable(s.label.text),
                      swatch: Palette.swatchClass(cluster: input.map.assignment.first?[n.feature] ?? -1))
    }
    let decoder = r.decoderNeighbours.compactMap(neighbour)
    let minimap = MapSVG.neighbourhood(feature: r.index,
                                       neighbours: r.decoderNeighbours.map(\.feature).filter { $0 >= 0 && $0 < input.map.count },
                                       input: input, label: r.displayName, root: root)

    let sources = r.sourceShares.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { name, share in
      SourceRowView(name: Markup.displayable(name), about: Markup.displayable(input.sources.about[name] ?? ""),
                    firings: Format.percent(share), text: input.sources.textShare[name].map(Format.percent) ?? "n/a",
                    over: name == over?.name)
    }

    let steered = steering.runs(for: r.index, input: input, root: root)
    let described = r.description.map { DescriptionView.make($0, patternLabel: r.label.text) } ?? []
    return FeatureView(
      chrome: ChromeView.make(input, title: "\(id) · \(r.displayName)", root: root, current: "feature", bodyClass: "page-feature"),
      id: id, label: label, description: described, patternLabel: Markup.displayable(r.label.text),
      labelBasis: Markup.displayable(r.label.basis),
      pattern: r.label.pattern.map { "“\(Markup.displayable(Markup.tokenText($0)))”" }.joined(separator: ", "),
      hasEvidence: evidence != nil,
      evidenceScore: grade.score, evidenceWhat: grade.what,
      evidenceTone: grade.tone, evidenceText: evidenceText,
      contradicted: r.label.contradicted,
      contradictionNote: Markup.displayable(r.label.note ?? "the held-out test does not support this label"),
      badges: badges, stats: stats, clusterPath: clusterPath,
      histogramSVG: histogram,
      histogramCaption: "log-scaled activations of its \(Format.count(firings)) firings; bar heights grow with the square root of the count (axis on the left); hover a bar for its range and count",
      topTokens: r.topTokens.map { LinkView(href: "", text: Markup.displayable(Markup.tokenText($0.token)), detail: "×" + Format.count($0.count)) },
      examplesNote: "Each token is shaded by this feature's activation on it, relative to its maximum (\(Format.activation(maxAct))); hover a token for its value. Pieces such as <0xE2> are tokens that end inside a multi-byte character; ↵ is a line break.",
      topExamples: top,
      quantileGroups: quantiles,
      intervalGroups: intervals,
      promoted: r.promotedTokens.map(logit), suppressed: r.suppressedTokens.map(logit),
      decoderNeighbours: decoder, coactivationNeighbours: r.coactivationNeighbours.compactMap(neighbour),
      minimapSVG: minimap, sources: sources,
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
