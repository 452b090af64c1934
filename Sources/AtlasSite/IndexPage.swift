import AtlasArtifacts
import Mustache

/// `index.html`: the run summary, the map, search and the legend.
struct IndexView: MustacheParent {
  var chrome: ChromeView
  var title: String
  var runLine: [String]             // "SmolLM2-135M-Instruct", "blocks.15.hook_resid_post", ...
  var hookPoint: String
  var intro: String
  var quality: [MetricView]
  var qualityNote: String
  var mapSVG: String                // our own SVG
  var mapLabel: String
  var thinnedNote: String
  var geometryNote: String
  var legend: [LinkView]
  var legendTitle: String
  var counts: [MetricView]
  var levelsNote: String
  var staticPoints: Int             // points drawn in the inline SVG

  func child(named name: String) -> Any? {
    switch name {
    case "chrome": chrome
    case "title": title
    case "runLine": runLine
    case "hookPoint": hookPoint
    case "intro": intro
    case "quality": quality
    case "qualityNote": qualityNote
    case "mapSVG": mapSVG
    case "mapLabel": mapLabel
    case "thinnedNote": thinnedNote
    case "hasThinnedNote": !thinnedNote.isEmpty
    case "geometryNote": geometryNote
    case "legend": legend
    case "legendTitle": legendTitle
    case "counts": counts
    case "levelsNote": levelsNote
    default: nil
    }
  }
}

enum IndexPage {
  static func view(_ input: SiteInput, pointLimit: Int) -> IndexView {
    let (svg, shown) = MapSVG.index(input, pointLimit: pointLimit)
    let n = input.map.count
    let record = input.record
    var runLine = [Markup.displayable(record.model.displayName)]
    if let corpus = record.corpus { runLine.append("\(Format.compact(corpus.tokens)) corpus tokens") }
    if let t = input.training {
      runLine.append("\(architectureName(t.architecture)) SAE · \(Format.count(t.dSAE)) features\(t.k.map { " · k = \($0)" } ?? "")")
    } else {
      runLine.append("\(Format.count(n)) features")
    }

    let coarse = input.hierarchy.levels.first
    let coarseIds = input.map.assignment.first ?? []
    let legend = (coarse?.clusters ?? []).sorted { ($0.size, -$0.id) > ($1.size, -$1.id) }.map { c in
      LinkView(href: input.naming.clusterHref(level: 0, id: c.id, root: ""), text: Markup.displayable(c.label),
               detail: Format.count(c.size), colour: Palette.colour(cluster: c.id))
    }
    let unclustered = coarseIds.filter { $0 < 0 }.count
    let legendAll = unclustered > 0
      ? legend + [LinkView(href: "run.html#layout", text: "unclustered", detail: Format.count(unclustered), colour: Palette.unclustered)]
      : legend

    let counts = input.features.counts
    let dead = counts["dead"] ?? 0
    let levelNames = input.hierarchy.levels.map(\.name).joined(separator: " › ")
    let geometry = "Features sit near features with similar decoder directions (UMAP of the decoder rows). "
      + "UMAP keeps local neighbourhoods, not global geometry: distances between far-apart groups, the sizes of "
      + "clusters and the empty space between them are not quantitative. Feature pages list nearest neighbours "
      + "measured in the full \(input.training.map { "\($0.dIn)-dimensional" } ?? "") decoder space."
      + (input.layout.quality["trustworthiness@10"].map { " Trustworthiness@10 of this layout: \(Format.fixed($0, digits: 3))." } ?? "")
    return IndexView(
      chrome: ChromeView.make(input, title: "Map", root: "", current: "map", bodyClass: "page-index",
                              scripts: ["assets/map.js", "assets/search.js", MapData.metaFile(), TopicPage.searchDataFile]),
      title: Markup.displayable(record.title),
      runLine: runLine,
      hookPoint: Markup.displayable(record.hookPoint),
      intro: "Each point on this map is a feature: a pattern that a sparse autoencoder found in how the language model "
        + "\(Markup.displayable(record.model.displayName)) represents text inside one of its layers, which switches on for particular "
        + "words or kinds of text. Features with similar directions sit close together, and the coloured groups are clusters "
        + "named after what their features share. Click a point to read the text that makes it fire, check how well its label "
        + "holds up on text it was not built from, and see what happens when it is turned up.",
      quality: qualityMetrics(input.training?.quality, dead: DeadCount(input)),
      qualityNote: heldOutNote(input),
      mapSVG: svg,
      mapLabel: "Feature map: \(Format.count(n)) features. Drag or use the arrow keys to pan, scroll or + and − to zoom, 0 to reset.",
      thinnedNote: shown < n ? "Without JavaScript the map shows \(Format.count(shown)) of \(Format.count(n)) features (every \(max(1, n / max(1, shown)))th)." : "",
      geometryNote: geometry,
      legend: legendAll,
      legendTitle: "\(coarse?.name.capitalized ?? "Coarse") clusters",
      counts: [
        MetricView(name: "Features", value: Format.count(n), hint: "latents of the SAE"),
        MetricView(name: "Alive", value: Format.count(n - dead), hint: "fired on the analysed tokens"),
        MetricView(name: "Dead", value: Format.count(dead), hint: DeadCount(input).definition, tone: dead > n / 10 ? "warn" : ""),
        MetricView(name: "Dense", value: Format.count(counts["dense"] ?? 0), hint: "fire on more than 10% of tokens"),
        MetricView(name: "Contradicted labels", value: Format.count(counts["contradictedLabels"] ?? 0),
                   hint: "labels the held-out test does not support (shown, flagged)"),
      ],
      levelsNote: "Zoom in to see finer cluster names (\(Markup.displayable(levelNames))).",
      staticPoints: shown
    )
  }

  /// How the field writes SAE architecture names ("topk" -> "TopK").
  static func architectureName(_ raw: String) -> String {
    switch raw.lowercased() {
    case "topk": "TopK"
    case "batchtopk": "BatchTopK"
    case "jumprelu": "JumpReLU"
    case "relu", "standard": "ReLU"
    case "gated": "Gated"
    case "matryoshka_batchtopk": "Matryoshka BatchTopK"
    default: Markup.displayable(raw)
    }
  }

  /// What the SAE quality figures were measured on, with the one held-out token count the whole site uses
  /// (the features stage's: every held-out token but each window's first, the attention sink). Training
  /// leaves out tokens with an extreme activation norm when it measures quality; when it did, the note
  /// says how many, so the map's count and the feature pages' count are visibly the same set.
  static func heldOutNote(_ input: SiteInput) -> String {
    guard let q = input.training?.quality else {
      return "No SAE training record (sae/training.json): quality metrics are not available for this SAE."
    }
    let all = input.features.heldOutTokens, measured = q.heldOutTokens
    if measured == all || all <= 0 { return "Measured on \(Format.count(measured)) held-out tokens." }
    if measured < all {
      let left = all - measured
      return "Measured on \(Format.count(measured)) of the \(Format.count(all)) held-out tokens: \(Format.count(left)) "
        + "token\(left == 1 ? "" : "s") with an extreme activation norm (far above the median) "
        + "\(left == 1 ? "is" : "are") left out of the SAE's quality metrics, as in its training."
    }
    return "Measured on \(Format.count(measured)) held-out tokens (the label tests use \(Format.count(all)))."
  }

  /// The SAE quality figures the field reports, each with what it means; "n/a" when not measured. "Dead"
  /// has one definition on the whole site: never fired on the analysed tokens (the features stage's count).
  static func qualityMetrics(_ q: SAEQuality?, dead: DeadCount) -> [MetricView] {
    [
      MetricView(name: "FVU", value: q.map { Format.fixed($0.fvu, digits: 3) } ?? "n/a",
                 hint: "variance of the activations the SAE fails to reconstruct (0 is perfect)"),
      MetricView(name: "L0", value: q.map { Format.fixed($0.l0, digits: 1) } ?? "n/a",
                 hint: "active features per token, on average"),
      MetricView(name: "Dead", value: dead.percent, hint: "\(dead.definition) (\(Format.count(dead.count)) of \(Format.count(dead.features)))"),
      MetricView(name: "CE loss recovered", value: q?.ceLossRecovered.map { Format.percent($0) } ?? "n/a",
                 hint: "share of the next-token loss, lost by zero-ablating this layer, that splicing in the SAE recovers"),
    ]
  }
}

/// Dead features as the whole site counts them: features that never fired on the analysed tokens.
struct DeadCount {
  let count: Int
  let features: Int
  let analysedTokens: Int

  init(_ input: SiteInput) {
    count = input.features.counts["dead"] ?? 0
    features = input.features.features
    analysedTokens = input.features.analysedTokens
  }

  var percent: String { features > 0 ? Format.percent(Double(count) / Double(features)) : "n/a" }
  var definition: String { "never fired on the \(Format.compact(analysedTokens)) analysed tokens" }
}
