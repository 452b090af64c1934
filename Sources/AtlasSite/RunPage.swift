import AtlasArtifacts
import Mustache

/// `run.html`: configuration, hashes, metrics, training curves and stage timings.
struct RunView: MustacheParent {
  var chrome: ChromeView
  var title: String
  var overview: [RowView]
  var model: [RowView]
  var corpus: [RowView]
  var sources: [TableRowView]
  var sae: [RowView]
  var quality: [MetricView]
  var qualityNote: String
  var curves: [ChartView]
  var features: [RowView]
  var densitySVG: String
  var layout: [RowView]
  var steering: String
  var stages: [TableRowView]
  var digests: [RowView]
  var configuration: [RowView]

  func child(named name: String) -> Any? {
    switch name {
    case "chrome": chrome
    case "title": title
    case "overview": overview
    case "model": model
    case "corpus": corpus
    case "sources": sources
    case "hasSources": !sources.isEmpty
    case "sae": sae
    case "quality": quality
    case "qualityNote": qualityNote
    case "curves": curves
    case "hasCurves": !curves.isEmpty
    case "features": features
    case "densitySVG": densitySVG
    case "layout": layout
    case "steering": steering
    case "hasSteering": !steering.isEmpty
    case "stages": stages
    case "digests": digests
    case "configuration": configuration
    default: nil
    }
  }
}

struct TableRowView: MustacheParent {
  var cells: [String]
  var bar: String = ""
  func child(named name: String) -> Any? {
    switch name {
    case "cells": cells
    case "bar": bar
    case "hasBar": !bar.isEmpty
    default: nil
    }
  }
}

struct ChartView: MustacheParent {
  var title: String
  var svg: String
  var caption: String
  func child(named name: String) -> Any? {
    switch name {
    case "title": title
    case "svg": svg
    case "caption": caption
    default: nil
    }
  }
}

enum RunPage {
  static func view(_ input: SiteInput, steering: SteeringIndex) -> RunView {
    let r = input.record
    let d = Markup.displayable
    var overview = [RowView(key: "Title", value: d(r.title)), RowView(key: "Created", value: d(r.createdAt)),
                    RowView(key: "Tool version", value: d(r.toolVersion)), RowView(key: "Hook point", value: d(r.hookPoint), mono: true)]
    overview.append(RowView(key: "Features", value: Format.count(input.features.features)))

    let model = [RowView(key: "Name", value: d(r.model.name)), RowView(key: "File", value: d(r.model.file), mono: true),
                 RowView(key: "SHA-256", value: d(r.model.sha256), mono: true), RowView(key: "Architecture", value: d(r.model.architecture)),
                 RowView(key: "d_model", value: Format.count(r.model.dModel)), RowView(key: "Layers", value: Format.count(r.model.layers)),
                 RowView(key: "Vocabulary", value: Format.count(r.model.vocabularySize))]

    var corpus: [RowView] = []
    var sources: [TableRowView] = []
    if let c = r.corpus {
      corpus = [RowView(key: "Documents", value: Format.count(c.documents)), RowView(key: "Tokens", value: Format.count(c.tokens)),
                RowView(key: "Digest", value: d(c.digest), mono: true)]
      sources = c.sources.map {
        TableRowView(cells: [d($0.name), d($0.about ?? $0.kind), Format.number($0.weight, significant: 3), Format.count($0.documents),
                             Format.count($0.tokens), Format.count($0.replacedInvalidUTF8), Format.count($0.skippedFiles)])
      }
    } else {
      corpus = [RowView(key: "Corpus", value: "not recorded")]
    }

    var sae: [RowView] = []
    var curves: [ChartView] = []
    if let t = input.training {
      sae = [RowView(key: "Origin", value: d(t.origin.description)), RowView(key: "Architecture", value: d(t.architecture)),
             RowView(key: "d_in × d_sae", value: "\(Format.count(t.dIn)) × \(Format.count(t.dSAE))"),
             RowView(key: "k", value: t.k.map(String.init) ?? "n/a"),
             RowView(key: "Training tokens", value: Format.count(t.trainingTokens))]
      if let train = r.stages.last(where: { $0.name == .train }), let seconds = train.details["trainingSeconds"] {
        sae.append(RowView(key: "Training time", value: Format.seconds(seconds)))
        if let rate = train.details["tokensPerSecond"] {
          sae.append(RowView(key: "Throughput", value: "\(Format.count(Int(rate.rounded()))) tokens/s"))
        }
      }
      sae += flatten(t.parameters, prefix: "parameters")
      let tokens = { (p: TrainingCurvePoint) in Double(p.tokens) }
      let compact = { (v: Double) in Format.compact(Int(v)) }
      curves = [
        ChartView(title: "Reconstruction", svg: Charts.lines(
          [Charts.Series(name: "MSE", points: t.curve.map { (tokens($0), $0.mse) }, className: "s1"),
           // The loss sums over the d_in coordinates of a row (plus AuxK / L1 terms): per coordinate, it
           // shares the MSE's scale, so both curves are readable on one axis.
           Charts.Series(name: "loss", points: t.curve.map { (tokens($0), $0.loss / Double(max(1, t.dIn))) }, className: "s2")],
          label: "Training MSE and loss per coordinate against tokens seen", xTitle: "tokens", yTitle: "per coordinate",
          xFormat: compact, yFormat: { Format.number($0, significant: 2) }),
          caption: "MSE (solid) and total loss ÷ d_in (dashed), on normalised activations"),
        ChartView(title: "Sparsity", svg: Charts.lines(
          [Charts.Series(name: "L0", points: t.curve.map { (tokens($0), $0.l0) }, className: "s1")],
          label: "Mean active features per token (L0) against tokens seen", xTitle: "tokens", yTitle: "L0",
          xFormat: compact, yFormat: { Format.number($0, significant: 3) }), caption: "active features per token (L0)"),
        ChartView(title: "Dead features", svg: Charts.lines(
          [Charts.Series(name: "dead", points: t.curve.map { (tokens($0), $0.deadFraction * 100) }, className: "s3")],
          label: "Percentage of dead features against tokens seen", xTitle: "tokens", yTitle: "dead %",
          xFormat: compact, yFormat: { Format.number($0, significant: 2) + "%" }), caption: "share of features that had not fired recently during training (not the site's “dead”: see the glossary)"),
      ]
    } else {
      sae = [RowView(key: "Training record", value: "sae/training.json is absent (an SAE loaded from elsewhere): no training metrics")]
    }

    let f = input.features
    var features = [RowView(key: "Analysed tokens", value: Format.count(f.analysedTokens)),
                    RowView(key: "Held-out tokens", value: Format.count(f.heldOutTokens)),
                    RowView(key: "Shards", value: "\(f.shards) × \(f.featuresPerShard) features")]
    features += f.counts.keys.sorted().map { RowView(key: d($0), value: Format.count(f.counts[$0] ?? 0)) }
    features += flatten(f.parameters, prefix: "parameters")
    let density = Charts.logHistogram(f.densityHistogram, label: "Histogram of feature densities on a log scale", what: "feature",
                                      valueFormat: { Format.percent($0) })

    let l = input.layout
    var layout = [RowView(key: "Levels", value: input.hierarchy.levels.map { "\(d($0.name)) (\($0.clusters.count))" }.joined(separator: " › "))]
    layout += l.quality.keys.sorted().map { RowView(key: d($0), value: Format.number(l.quality[$0] ?? .nan, significant: 3)) }
    if let timings = r.stages.last(where: { $0.name == .layout })?.details {
      layout += timings.keys.sorted().map { RowView(key: "time: " + d($0), value: Format.seconds(timings[$0] ?? .nan)) }
    }
    layout += flatten(l.parameters, prefix: "parameters")

    let longest = r.stages.map(\.seconds).max() ?? 1
    let stages = r.stages.map { s in
      TableRowView(cells: [d(s.name.rawValue), Format.seconds(s.seconds), s.skipped ? "reused (inputs unchanged)" : "ran"],
                   bar: "w\(longest > 0 ? max(0, min(20, Int((s.seconds / longest * 20).rounded()))) : 0)")
    }

    var digests: [RowView] = [RowView(key: "model sha256", value: d(r.model.sha256), mono: true)]
    if let c = r.corpus { digests.append(RowView(key: "corpus", value: d(c.digest), mono: true)) }
    if let t = input.training {
      digests.append(RowView(key: "sae weights", value: d(t.weightsDigest), mono: true))
      digests.append(RowView(key: "sae input (activations)", value: d(t.inputDigest), mono: true))
    }
    for (stage, inputs) in [("features", f.inputs), ("layout", l.inputs), ("steering", input.steering?.inputs ?? [:])] {
      for key in inputs.keys.sorted() {
        digests.append(RowView(key: "\(stage) input: \(d(key))", value: d(inputs[key] ?? ""), mono: true))
      }
    }

    return RunView(
      chrome: ChromeView.make(input, title: "Run", root: "", current: "run", bodyClass: "page-run"),
      title: d(r.title), overview: overview, model: model, corpus: corpus, sources: sources, sae: sae,
      quality: fullQuality(input.training?.quality, dead: DeadCount(input)), qualityNote: IndexPage.heldOutNote(input), curves: curves,
      features: features, densitySVG: density, layout: layout,
      steering: steering.methodText(maxActivation: nil), stages: stages, digests: digests,
      configuration: flatten(r.configuration, prefix: nil))
  }

  static func fullQuality(_ q: SAEQuality?, dead: DeadCount) -> [MetricView] {
    var metrics = IndexPage.qualityMetrics(q, dead: dead)
    metrics += [
      // Not "dead": a feature can be silent on the smaller held-out set and still fire on the analysed text.
      MetricView(name: "Silent on held-out", value: q.map { Format.percent($0.deadFraction) } ?? "n/a",
                 hint: "features that never fired on the held-out tokens these metrics use"),
      MetricView(name: "MSE", value: q.map { Format.number($0.mse, significant: 3) } ?? "n/a", hint: "mean squared reconstruction error"),
      MetricView(name: "Dense", value: q.map { Format.percent($0.denseFraction) } ?? "n/a", hint: "features firing on more than 10% of tokens"),
      MetricView(name: "CE clean", value: Format.optional(q?.ceClean, digits: 3), hint: "next-token loss of the unmodified model"),
      MetricView(name: "CE spliced", value: Format.optional(q?.ceSpliced, digits: 3), hint: "with the SAE's reconstruction in place of the layer"),
      MetricView(name: "CE zero-ablated", value: Format.optional(q?.ceZeroAblation, digits: 3), hint: "with the layer's output set to zero"),
      MetricView(name: "KL divergence", value: Format.optional(q?.klDivergence, digits: 3), hint: "mean KL(clean ‖ spliced) per token"),
    ]
    return metrics
  }

  /// A JSON tree as indented rows: objects by sorted key, scalar arrays on one line.
  static func flatten(_ value: JSONValue, prefix: String?, depth: Int = 0) -> [RowView] {
    let d = Markup.displayable
    func scalar(_ v: JSONValue) -> String? {
      switch v {
      case .null: "null"
      case .bool(let b): b ? "true" : "false"
      case .number(let n): Format.number(n, significant: 6)
      case .string(let s): d(s)
      case .array(let items): items.allSatisfy({ scalar($0) != nil && !isContainer($0) }) ? "[" + items.compactMap(scalar).joined(separator: ", ") + "]" : nil
      case .object: nil
      }
    }
    func isContainer(_ v: JSONValue) -> Bool {
      if case .object = v { return true }
      if case .array = v { return true }
      return false
    }
    let depthLimit = 8
    var rows: [RowView] = []
    var level = depth
    if let prefix {
      if let s = scalar(value) { return [RowView(key: d(prefix), value: s, depth: depth)] }
      rows.append(RowView(key: d(prefix), value: "", depth: depth, isGroup: true))
      level += 1
    }
    switch value {
    case .object(let entries):
      for key in entries.keys.sorted() {
        guard let v = entries[key] else { continue }
        rows += level >= depthLimit ? [RowView(key: d(key), value: "…", depth: level)] : flatten(v, prefix: key, depth: level)
      }
    case .array(let items):
      for (k, v) in items.enumerated() {
        rows += level >= depthLimit ? [RowView(key: "[\(k)]", value: "…", depth: level)] : flatten(v, prefix: "[\(k)]", depth: level)
      }
    default:
      if let s = scalar(value) { rows.append(RowView(key: "", value: s, depth: level)) }
    }
    return rows
  }
}
