import AtlasArtifacts
import Foundation
import Mustache

/// Steering results for feature pages and `steering.html`, from `steering/steering.json` (rendering
/// never runs the model).
struct SteeringIndex: Sendable {
  let record: SteeringRecord?
  private let byFeature: [Int: Int]   // feature -> index into record.features

  init(_ record: SteeringRecord?) {
    self.record = record
    var map: [Int: Int] = [:]
    for (k, f) in (record?.features ?? []).enumerated() where map[f.feature] == nil { map[f.feature] = k }
    byFeature = map
  }

  /// The method in words first, then the formulas.
  func methodText(maxActivation: Float?) -> String {
    guard let record else { return "" }
    let m = record.method
    let c = m.criteria
    let hook = Markup.displayable(m.hookPoint)
    let where_ = switch m.positions {
    case "all": "at every position of the prompt and the answer"
    case "message": "on the user's question and the answer (every position after the chat template's fixed system text)"
    default: "on the answer as it is written (the prompt's last token and every new token)"
    }
    let grid = m.strengths.isEmpty ? "" : " from \(number(m.strengths.min() ?? 0))× to \(number(m.strengths.max() ?? 0))×"
    let mode = m.mode == "clamp" ? "pins the feature's value in the sparse autoencoder to a target" : "adds the feature's direction"
    let here = maxActivation.map { " (here \(Format.activation($0)))" } ?? ""
    return "Steering edits the model's internal state while it answers a neutral question: it \(mode) \(where_), "
      + "and the answer is compared with the unedited one. Each feature is tried at \(m.strengths.count) strengths\(grid) its strongest "
      + "activation on the corpus\(here), plus \(m.ablationStrengths.count) ablations, on \(record.prompts.count) prompts with short "
      + "\(m.sweepTokens)-token answers; the strongest setting that keeps the text fluent is chosen and run again at up to "
      + "\(m.maxNewTokens) tokens. An answer carries the concept when, read back by the unedited model, the feature fires on at least "
      + "\(c.minimumFiringTokens) of its tokens with a mean activation at least \(number(c.conceptMultiple))× the default answer's; it "
      + "is fluent when its loss (mean negative log-likelihood per token, under the unedited model) is at most "
      + "\(number(c.maximumNLLRatio))× the default answer's and at least \(Format.percent(Double(c.minimumDistinct2))) of its token pairs "
      + "are distinct. Formulas, at \(hook) with d the feature's decoder row and m its max activation: add h ← h + s·m·d; "
      + "clamp h ← h + (s·m − a(h))·d, where a(h) is the SAE's activation of the feature, which keeps the SAE's reconstruction error; "
      + "ablate is a clamp with s ≤ 0. Greedy decoding."
  }

  /// The steering views of one feature (empty if it was not steered).
  func runs(for feature: Int, input: SiteInput, root: String) -> [SteeredFeatureView] {
    guard let record, let k = byFeature[feature] else { return [] }
    return [view(record.features[k], input: input, root: root)]
  }

  func view(_ f: SteeredFeature, input: SiteInput, root: String) -> SteeredFeatureView {
    let prompts = record?.prompts ?? []
    let chosenName = "\(modeName(f.chosen.mode)) \(number(f.chosen.strength))×"
    var comparisons: [SteeringComparisonView] = []
    for run in f.chosenRuns where run.prompt < prompts.count {
      let base = prompts[run.prompt].baseline
      let changed = SteeringIndex.changedTokens(base.tokens, run.tokens)
      let ratio = run.nll / max(base.nll, 1e-6)
      let minimum = record?.method.criteria.minimumFiringTokens ?? 2
      let verdict = (run.carriesConcept ? "carries the concept"
        : run.concept.firingTokens >= minimum ? "fires, but not clearly above the default" : "concept not detected")
        + " · fires on \(run.concept.firingTokens) of \(run.tokens.count) tokens · loss \(number(ratio))× default"
      comparisons.append(SteeringComparisonView(
        prompt: Markup.displayable(prompts[run.prompt].text), defaultHTML: SteeringIndex.tokensHTML(base.tokens, marked: []),
        steeredHTML: SteeringIndex.tokensHTML(run.tokens, marked: changed), chosen: chosenName, verdict: verdict,
        tone: run.carriesConcept ? "pos" : "flat"))
    }
    var rows: [SteeringSweepRowView] = []
    for (p, prompt) in prompts.enumerated() {
      let runs = f.runs.filter { $0.prompt == p }.sorted { ($0.mode == "ablate" ? 0 : 1, $0.strength) < ($1.mode == "ablate" ? 0 : 1, $1.strength) }
      guard !runs.isEmpty else { continue }
      var cells = [SteeringCellView(strength: "default", text: SteeringIndex.tokensHTML(prompt.sweepBaseline.tokens, marked: []),
                                    scores: "loss \(number(prompt.sweepBaseline.nll))", tone: "base")]
      for run in runs {
        let ratio = run.nll / max(prompt.sweepBaseline.nll, 1e-6)
        let chosen = run.mode == f.chosen.mode && run.strength == f.chosen.strength
        cells.append(SteeringCellView(
          strength: "\(modeName(run.mode)) \(number(run.strength))×",
          text: SteeringIndex.tokensHTML(run.tokens, marked: SteeringIndex.changedTokens(prompt.sweepBaseline.tokens, run.tokens)),
          scores: "act \(Format.activation(run.concept.meanActivation)) · loss \(number(ratio))× · d2 \(number(run.distinct2))",
          tone: chosen ? "chosen" : run.mode == "ablate" ? "neg" : run.carriesConcept ? "pos" : "flat"))
      }
      rows.append(SteeringSweepRowView(prompt: Markup.displayable(prompt.text), cells: cells))
    }
    let valid = f.feature >= 0 && f.feature < input.summaries.count
    return SteeredFeatureView(
      href: valid ? input.naming.featureHref(f.feature, root: root) : "", id: valid ? input.naming.id(f.feature) : "f?",
      label: Markup.displayable(f.label), reason: Markup.displayable(f.reason), maxActivation: Format.activation(f.maxActivation),
      sentence: sentence(f), curveSVG: SteeringIndex.curveSVG(f, bound: record?.method.criteria.maximumNLLRatio ?? 2),
      comparisons: comparisons, sweep: rows)
  }

  /// One plain sentence: what turning the feature up did.
  func sentence(_ f: SteeredFeature) -> String {
    let n = f.chosenRuns.count
    let carried = f.chosenRuns.filter(\.carriesConcept).count
    let how = f.chosen.mode == "clamp" ? "Pinned at" : "Turned up to"
    let label = "“\(Markup.displayable(f.label))”"
    let outcome = f.steers ? "its concept shows up in \(carried) of \(n) answers while they stay fluent"
      : carried > 0 ? "its concept shows up in \(carried) of \(n) answers, short of a reliable effect"
      : "the answers do not measurably carry its concept"
    let fluency = f.chosen.fluent ? "" : " (no strength kept the text fluent; the weakest is shown)"
    return "\(how) \(number(f.chosen.strength))× its strongest activation, the feature \(label): \(outcome)\(fluency)."
  }

  private func modeName(_ mode: String) -> String { mode == "none" ? "default" : Markup.displayable(mode) }
  private func number(_ s: Float) -> String { SteeringIndex.number(s) }

  static func number(_ s: Float) -> String {
    (s < 0 ? "−" : "") + Format.number(Double(abs(s)), significant: 2)
  }

  // MARK: - Continuations as token strips

  /// Indices of `steered` tokens outside a longest common subsequence with `base`: the changed words.
  static func changedTokens(_ base: [String], _ steered: [String]) -> Set<Int> {
    let n = base.count, m = steered.count
    guard n > 0, m > 0 else { return Set(0 ..< m) }
    var table = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)  // [n + 1][m + 1] LCS lengths of suffixes
    for i in stride(from: n - 1, through: 0, by: -1) {
      for j in stride(from: m - 1, through: 0, by: -1) {
        table[i][j] = base[i] == steered[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
      }
    }
    var kept = Set<Int>()
    var i = 0, j = 0
    while i < n, j < m {
      if base[i] == steered[j] { kept.insert(j); i += 1; j += 1 } else if table[i + 1][j] >= table[i][j + 1] { i += 1 } else { j += 1 }
    }
    return Set(0 ..< m).subtracting(kept)
  }

  /// Escaped XHTML of a continuation: tokens in order, line breaks shown as ↵ (then broken), changed
  /// tokens inside <mark>.
  static func tokensHTML(_ tokens: [String], marked: Set<Int>) -> String {
    var out = ""
    var open = false
    for (i, token) in tokens.enumerated() {
      if marked.contains(i) != open {
        out += open ? "</mark>" : "<mark>"
        open.toggle()
      }
      out += Markup.escape(Markup.tokenText(token))
      if token.contains("\n") {
        if open { out += "</mark>"; open = false }
        out += "<br/>"
      }
    }
    if open { out += "</mark>" }
    return out.isEmpty ? "<span class=\"muted\">(no text: the model stopped at once)</span>" : out
  }

  // MARK: - Concept and fluency against strength

  /// A small SVG: the concept (mean activation on the answers, scaled to its largest value) and the loss
  /// ratio against the default answer (dashed line at the fluency bound), over the positive strengths on
  /// a log axis; the chosen strength is marked.
  static func curveSVG(_ f: SteeredFeature, bound ratioBound: Float) -> String {
    let points = f.sweep.filter { $0.mode != "ablate" && $0.strength > 0 }.sorted { $0.strength < $1.strength }
    guard points.count >= 2, let lo = points.first?.strength, let hi = points.last?.strength, hi > lo else { return "" }
    let (w, h, left, right, top, bottom): (Double, Double, Double, Double, Double, Double) = (300, 130, 34, 34, 10, 26)
    func x(_ s: Float) -> Double { left + (w - left - right) * log(Double(s / lo)) / log(Double(hi / lo)) }
    let peak = max(points.map(\.meanActivation).max() ?? 0, 1e-6)
    let ratioTop = max(2 * Double(ratioBound), Double(points.map(\.medianNLLRatio).max() ?? 0).rounded(.up))
    func yConcept(_ v: Float) -> Double { top + (h - top - bottom) * (1 - Double(v / peak)) }
    func yRatio(_ r: Float) -> Double { top + (h - top - bottom) * (1 - min(Double(r), ratioTop) / ratioTop) }
    func path(_ ys: [Double]) -> String {
      zip(points, ys).enumerated().map { i, p in String(format: "%@%.1f,%.1f", i == 0 ? "M" : "L", x(p.0.strength), p.1) }.joined()
    }
    var svg = String(format: "<svg class=\"steer-curve\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"concept and loss against strength\">", w, h, w, h)
    svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>", left, h - bottom, w - right, h - bottom)
    let bound = yRatio(ratioBound)
    svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"bound\"/>", left, bound, w - right, bound)
    if let chosen = points.first(where: { $0.mode == f.chosen.mode && $0.strength == f.chosen.strength }) {
      svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"chosen\"/>", x(chosen.strength), top, x(chosen.strength), h - bottom)
    }
    svg += "<path class=\"concept\" d=\"\(path(points.map { yConcept($0.meanActivation) }))\"/>"
    svg += "<path class=\"loss\" d=\"\(path(points.map { yRatio($0.medianNLLRatio) }))\"/>"
    for p in points {
      svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\" class=\"concept%@\"/>", x(p.strength), yConcept(p.meanActivation), p.carried > 0 ? "" : " none")
      svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\">%@</text>", x(p.strength), h - bottom + 13, Markup.escape(number(p.strength)))
    }
    svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"tick end\">%@×</text>", w - right + 30, bound + 4, Markup.escape(number(ratioBound)))
    svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\">strength (× max activation)</text>", w / 2, h - 1)
    svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"tick start concept\">concept</text>", 2.0, top + 8)
    svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"tick start loss\">loss</text>", 2.0, top + 22)
    return svg + "</svg>"
  }
}

/// `steering.html`: every steered feature.
struct SteeringGalleryView: MustacheParent {
  var chrome: ChromeView
  var method: String
  var features: [SteeredFeatureView]
  var promptCount: String
  var summary: String
  func child(named name: String) -> Any? {
    switch name {
    case "chrome": chrome
    case "method": method
    case "features": features
    case "promptCount": promptCount
    case "summary": summary
    default: nil
    }
  }

  static func make(_ input: SiteInput, steering: SteeringIndex) -> SteeringGalleryView {
    let features = (steering.record?.features ?? []).map { steering.view($0, input: input, root: "") }
    let prompts = steering.record?.prompts.count ?? 0
    let strengths = (steering.record?.method.strengths.count ?? 0) + (steering.record?.method.ablationStrengths.count ?? 0)
    var summary = ""
    if let s = steering.record?.summary {
      let screen = s.screened.map { "\($0) word-like features were screened (two short answers each); " } ?? ""
      summary = screen + "\(s.candidates) were swept over every strength; \(s.showcased) are shown, and \(s.steering) of them "
        + "carry their concept in at least half the answers while staying fluent. Median chosen strength: "
        + "\(SteeringIndex.number(s.medianChosenStrength))× max activation."
      if let tried = steering.record?.candidates.filter({ $0.chosen != nil && !$0.shown }), !tried.isEmpty {
        summary += " Swept but not shown (they did not steer at full length): "
          + tried.map { "f\($0.feature)" + ($0.fullCarried.map { n in " (\(n) of \(prompts) answers)" } ?? "") }.joined(separator: ", ") + "."
      }
    }
    return SteeringGalleryView(
      chrome: ChromeView.make(input, title: "Steering", root: "", current: "steering", bodyClass: "page-steering"),
      method: steering.record == nil ? "This atlas has no steering results (run `feature-atlas steer`)." : steering.methodText(maxActivation: nil),
      features: features,
      promptCount: "\(features.count) feature\(features.count == 1 ? "" : "s") × \(prompts) prompt\(prompts == 1 ? "" : "s") × \(strengths) strength\(strengths == 1 ? "" : "s")",
      summary: summary)
  }
}

extension String {
  var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
