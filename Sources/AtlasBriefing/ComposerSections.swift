import AtlasArtifacts
import AtlasSite
import Foundation

extension Composer {
  // MARK: - The three properties

  func properties(_ topic: Topic, steering: [SteeringExample]) -> PropertiesView {
    let intro = [Prose("Older word models had two useful properties, and a feature dictionary adds a third. Here is each one, shown with this atlas.").paragraph]
    var nextFigure = steering.count + 2

    // Directions
    var directions: [Paragraph] = []
    var directionFigure: DirectionFigure?
    let d = Prose("Directions mean something. In older word models, going from “man” to “woman” and then from “king” lands near “queen”. Here each feature is a direction. ")
    if let e = steering.first, let record = input.steering {
      d.text("Pushing the model along the direction of ").feature(id(e.feature), href: href(e.feature), label: label(e.feature))
      d.text(e.themeWords.isEmpty ? " changed its answer (Figure 2)." : " moved its answer toward that feature’s theme (Figure 2).")
      if let other = SteeringReading.elsewhere(e, record: record) {
        d.text(" The same push works on a different question (Figure \(nextFigure)).")
        let diff = WordDiff.diff(other.defaultText, other.steeredText)
        let caption = Prose("Figure \(nextFigure). The same direction, ")
        caption.feature(id(e.feature), href: href(e.feature)).text(" at \(PlainLanguage.times(e.strength)), on another question.")
        directionFigure = DirectionFigure(number: nextFigure, prompt: other.prompt, left: BriefingFigures.marked(diff.left),
                                          right: BriefingFigures.marked(diff.right), caption: caption.paragraph)
        nextFigure += 1
      }
    } else {
      d.text("This atlas has no steering results, so the directions are not shown pushing the model here.")
    }
    directions.append(d.paragraph)

    // Distances
    let centre = topic.features.first { !summaries[$0].decoderNeighbours.isEmpty } ?? topic.features.first
    var distances: [Paragraph] = []
    var distanceMap = ""
    var distanceCaption = Prose()
    if let centre {
      let neighbours = summaries[centre].decoderNeighbours.prefix(4).map(\.feature).filter { $0 >= 0 && $0 < input.count && $0 != centre }
      let p = Prose("Distances mean something. Features that point in similar directions respond to related text. ")
      if neighbours.isEmpty {
        p.text("The feature ").feature(id(centre), href: href(centre), label: label(centre)).text(" has no close neighbour in this atlas.")
      } else {
        p.text("The nearest neighbours of ").feature(id(centre), href: href(centre), label: label(centre)).text(" are ")
        for (k, j) in neighbours.prefix(3).enumerated() {
          if k > 0 { p.text(k == min(3, neighbours.count) - 1 ? " and " : ", ") }
          p.feature(id(j), href: href(j), label: label(j))
        }
        p.text(" (Figure \(nextFigure)).")
        if let far = farFeature(from: centre) {
          p.text(" Far away on the map lies ").feature(id(far), href: href(far), label: label(far))
          p.text(", which responds to unrelated text.")
        }
        distanceMap = BriefingFigures.zoomedMap(
          input: input, focus: [centre] + neighbours, highlighted: [centre] + neighbours, named: [centre] + neighbours, centre: centre,
          width: 720, height: 300, label: "The feature \(id(centre)) and its nearest neighbours on the map", thumbnail: false)
        distanceCaption = Prose("Figure \(nextFigure). The feature ")
        distanceCaption.feature(id(centre), href: href(centre)).text(" (large dot) and its nearest neighbours by direction (lines), placed on the map.")
        nextFigure += 1
      }
      distances.append(p.paragraph)
    }

    // Coordinates
    var coordinates: [Paragraph] = []
    var rows: [CoordinateRow] = []
    var coordinateCaption = Prose()
    let readable = topic.features.prefix(Composer.tableRows).first { examples[$0].map { !$0.topExamples.isEmpty } ?? false }
    if let f = readable, let r = examples[f] {
      let p = Prose("Coordinates mean something. The dictionary describes each moment of the model’s state with a few numbers, one per feature, and each number can be read. ")
      p.text("The number for ").feature(id(f), href: href(f), label: label(f))
      p.text(" is high where the text matches its label and lower where the match is weaker (Figure \(nextFigure)).")
      coordinates.append(p.paragraph)
      rows = coordinateRows(r)
      coordinateCaption = Prose("Figure \(nextFigure). Three real passages and the value of ")
      coordinateCaption.feature(id(f), href: href(f)).text(" on the highlighted word, from its strongest firings to weak ones.")
    }
    return PropertiesView(intro: intro, directions: directions, directionFigure: directionFigure, distances: distances,
                          distanceMap: distanceMap, distanceCaption: distanceCaption.paragraph, coordinates: coordinates,
                          coordinateRows: rows, coordinateCaption: coordinateCaption.paragraph,
                          hasDistanceMap: !distanceMap.isEmpty, hasCoordinateRows: !rows.isEmpty)
  }

  /// The representative of the coarse cluster whose centre is farthest from `feature` on the map.
  func farFeature(from feature: Int) -> Int? {
    guard let level = input.hierarchy.levels.first else { return nil }
    let (fu, fv) = (Double(input.map.u[feature]), Double(input.map.v[feature]))
    var best: (distance: Double, feature: Int)?
    for c in level.clusters where c.size > 0 && c.representative >= 0 && c.representative < input.count {
      let r = c.representative
      guard !summaries[r].flags.contains(.dead) else { continue }
      let du = Double(input.map.u[r]) - fu, dv = Double(input.map.v[r]) - fv
      let distance = du * du + dv * dv
      if distance > (best?.distance ?? -1) { best = (distance, r) }
    }
    return best?.feature
  }

  /// Three examples from the strongest, a middle and the weakest band of a feature's firings.
  func coordinateRows(_ r: FeatureRecord) -> [CoordinateRow] {
    let groups = r.quantileSamples.filter { !$0.examples.isEmpty }.sorted { $0.lower > $1.lower }
    var picks: [(ExampleWindow, String)] = []
    if let top = r.topExamples.first { picks.append((top, "strongest")) }
    if groups.count >= 3 {
      if let e = groups[groups.count / 2].examples.first { picks.append((e, "middling")) }
    }
    if let weakest = groups.last?.examples.first, groups.count >= 2 { picks.append((weakest, "weak")) }
    if picks.count < 3, r.topExamples.count >= 3 {
      picks = [(r.topExamples[0], "strongest"), (r.topExamples[r.topExamples.count / 2], "middling"), (r.topExamples[r.topExamples.count - 1], "weaker")]
    }
    let scale = max(r.maxActivation, 1e-6)
    return picks.map { window, band in
      let peak = max(0, min(window.activations.count - 1, window.peak))
      let value = window.activations.isEmpty ? 0 : window.activations[peak]
      let width = max(2, min(100, Int((Double(value / scale) * 100).rounded())))
      return CoordinateRow(value: Format.activation(value), width: String(width), band: band, snippet: BriefingFigures.snippet(window))
    }
  }

  // MARK: - Implications and limits

  func implications() -> [Paragraph] {
    var out: [Paragraph] = []
    var reading = "Reading a model. A dictionary like this turns the model’s hidden numbers into thousands of named features that anyone can check."
    if request.siteLink != nil { reading += " Each feature id in this briefing links to its page in the atlas, with its evidence." }
    out.append(Prose(reading).paragraph)
    out.append(Prose("Checking for topics of concern. Features can be searched by word, so an auditor can ask whether a model holds an idea, where it sits, and which text sets it off.").paragraph)
    out.append(Prose("Changing behaviour without retraining. Turning a feature up changed what the model wrote. The same tool could remove unwanted behaviour, or add it. It needs full access to the model’s inner workings, so it works on open models and for the companies that build models. It does not work on closed models used over the internet.").paragraph)
    let seconds = input.record.stages.filter { !$0.skipped }.reduce(0) { $0 + $1.seconds }
    if seconds >= 60 {
      out.append(Prose("Cost. Building this atlas took about \(Int((seconds / 60).rounded())) minutes on one ordinary computer, with no special chips. Larger models need far more computing.").paragraph)
    }
    return out
  }

  func limits(_ steering: [SteeringExample]) -> [Paragraph] {
    var out: [Paragraph] = []
    let size = PlainLanguage.parameterCount(modelName: input.record.model.name)
    out.append(Prose("This is one small model\(size.map { " (\($0) settings)" } ?? ""). We have not shown that larger models hold the same features.").paragraph)
    let (tested, held) = labelCounts
    if tested > 0 {
      out.append(Prose("The labels are written by a program. \(Format.count(held)) of \(Format.count(tested)) held up on new text, and the rest are marked as doubtful. A label is a short summary of the evidence, not a full account of what a feature does.").paragraph)
    } else {
      out.append(Prose("The labels are written by a program and were not tested on new text.").paragraph)
    }
    out.append(Prose("A dictionary is one way to split the model’s state into features, not the only one. Training it again, or with a different size, gives a similar but not identical set.").paragraph)
    if let q = input.training?.quality, q.fvu.isFinite {
      out.append(Prose("The dictionary is not a perfect copy. It misses \(PlainLanguage.percent(q.fvu)) of the variation in the model’s state.").paragraph)
    }
    if let record = input.steering {
      let m = record.method
      out.append(Prose("Steering was tried on \(record.prompts.count) short prompt\(record.prompts.count == 1 ? "" : "s") at \(m.strengths.count) strength\(m.strengths.count == 1 ? "" : "s"), with answers of up to \(m.maxNewTokens) word pieces. Steered text is often less fluent, and a feature pushed too hard can make the model repeat itself.").paragraph)
    } else {
      out.append(Prose("This atlas has no steering results, so nothing here shows that features change what the model writes.").paragraph)
    }
    let kinds = input.record.corpus?.sources.count ?? 0
    out.append(Prose("The model read only about \(PlainLanguage.about(tokens)) word pieces\(kinds > 0 ? " from \(kinds) kind\(kinds == 1 ? "" : "s") of text" : ""). Topics missing from that text cannot show up as features.").paragraph)
    out.append(Prose("Features show what the model keeps track of, not what it would do in use. This briefing makes no claim that the model is safe or unsafe.").paragraph)
    return out
  }

  // MARK: - Method box

  func method() -> [MethodRow] {
    let record = input.record
    let m = record.model
    var rows: [MethodRow] = []
    rows.append(MethodRow(term: "Model", value: "\(m.name) (\(m.architecture), \(m.layers) layers, width \(m.dModel), vocabulary \(Format.count(m.vocabularySize)))", code: false))
    rows.append(MethodRow(term: "Model file", value: (m.file as NSString).lastPathComponent, code: true))
    rows.append(MethodRow(term: "Model SHA-256", value: m.sha256, code: true))
    let (layer, layers) = layerText
    rows.append(MethodRow(term: "Where we looked", value: record.hookPoint + (layer.map { " (after layer \($0) of \(layers))" } ?? ""), code: false))
    if let corpus = record.corpus {
      let parts = corpus.sources.map { "\(Markup.displayable($0.name)) \(Format.count($0.tokens)) tokens" }
      rows.append(MethodRow(term: "Text", value: "\(Format.count(corpus.documents)) documents, \(Format.count(corpus.tokens)) tokens: " + parts.joined(separator: "; "), code: false))
      rows.append(MethodRow(term: "Text digest", value: corpus.digest, code: true))
    }
    if let t = input.training {
      let q = t.quality
      rows.append(MethodRow(term: "Dictionary (SAE)", value: "\(t.architecture)\(t.k.map { " k=\($0)" } ?? ""), \(Format.count(t.dSAE)) features on \(t.dIn) dimensions, \(t.origin), \(Format.count(t.trainingTokens)) training tokens", code: false))
      var quality = "FVU \(Format.fixed(q.fvu, digits: 3)), L0 \(Format.fixed(q.l0, digits: 1)), dead \(Format.percent(q.deadFraction))"
      if let ce = q.ceLossRecovered { quality += ", CE loss recovered \(Format.fixed(ce, digits: 3))" }
      if let kl = q.klDivergence { quality += ", KL \(Format.fixed(kl, digits: 3))" }
      quality += " on \(Format.count(q.heldOutTokens)) held-out tokens"
      rows.append(MethodRow(term: "Dictionary quality", value: quality, code: false))
      rows.append(MethodRow(term: "Dictionary SHA-256", value: t.weightsDigest, code: true))
    }
    let (tested, held) = labelCounts
    rows.append(MethodRow(term: "Labels", value: "\(Format.count(held)) of \(Format.count(tested)) tested labels held up on \(Format.count(input.features.heldOutTokens)) held-out tokens (balanced accuracy)", code: false))
    if let steering = input.steering {
      rows.append(MethodRow(term: "Steering", value: SteeringReading.methodText(steering), code: false))
    }
    rows.append(MethodRow(term: "Atlas built", value: "\(record.createdAt) with feature-atlas \(record.toolVersion)", code: false))
    return rows
  }
}
