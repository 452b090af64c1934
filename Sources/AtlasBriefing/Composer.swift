import AtlasArtifacts
import AtlasSite
import Foundation

/// Writes the briefing's text and figures from the artifacts. Sentences are short on purpose: every prose
/// section is held to grade 11 on the Flesch–Kincaid scale (see `Readability`).
struct Composer {
  let input: BriefingInput
  let request: BriefingRequest
  let examples: [Int: FeatureRecord]
  let links: Bool

  /// Features shown in the table and the properties section; at most this many rows.
  static let tableRows = 8
  static let maxPanels = 3

  var configuration: BriefingConfiguration { request.configuration }
  var summaries: [FeatureRecord] { input.summaries }

  // MARK: - Shared pieces

  func href(_ feature: Int) -> String? {
    guard links, let site = request.siteLink else { return nil }
    return site + "/features/" + input.naming.featureFile(feature)
  }

  func id(_ feature: Int) -> String { input.naming.id(feature) }
  func label(_ feature: Int) -> String { PlainLanguage.name(summaries[feature]) }

  static func title(_ input: BriefingInput, _ c: BriefingConfiguration) -> String {
    c.title.isEmpty ? "What a small AI model has learned: a look inside \(input.record.model.displayName)" : c.title
  }

  static func topic(_ input: BriefingInput, _ request: BriefingRequest) -> Topic {
    TopicSelection.select(words: request.topicWords, summaries: input.summaries, hierarchy: input.hierarchy,
                          assignment: input.map.assignment, probes: input.probes)
  }

  /// Features whose examples the text may show: the table's, the steered ones and the properties' feature.
  static func featuresNeedingExamples(_ input: BriefingInput, _ request: BriefingRequest) -> [Int] {
    let t = topic(input, request)
    var out = Array(t.features.prefix(tableRows))
    out += request.configuration.features
    return Array(Set(out)).sorted()
  }

  /// Live features whose label was tested on held-out text, and how many of those held up.
  var labelCounts: (tested: Int, held: Int) {
    var tested = 0, held = 0
    for r in summaries where !r.flags.contains(.dead) && r.label.evidence != nil {
      tested += 1
      if !r.label.contradicted { held += 1 }
    }
    return (tested, held)
  }

  var layerText: (layer: Int?, layers: Int) {
    (PlainLanguage.layer(hookPoint: input.record.hookPoint), input.record.model.layers)
  }

  var tokens: Int { input.record.corpus?.tokens ?? input.features.analysedTokens }

  // MARK: - The document

  func view() -> BriefingView {
    let topic = Composer.topic(input, request)
    let steering = steeringExamples(topic)
    let c = configuration
    let record = input.record
    return BriefingView(
      title: Composer.title(input, c),
      subtitle: "A briefing generated from the feature atlas of \(record.model.displayName)",
      organisation: c.organisation, author: c.author,
      date: c.date.isEmpty ? PlainLanguage.date(iso: record.createdAt) : c.date,
      hasOrganisation: !c.organisation.isEmpty, hasAuthor: !c.author.isEmpty,
      pageSize: c.page.css,
      summary: c.summary.isEmpty ? summary(topic, steered: !steering.isEmpty) : Paragraph.plain(c.summary),
      keyNumbers: keyNumbers(),
      scan: scan(topic),
      steering: steeringSection(steering),
      properties: properties(topic, steering: steering),
      implications: c.implications.isEmpty ? implications() : Paragraph.plain(c.implications),
      limits: limits(steering),
      method: method(),
      rebuild: request.rebuild,
      generator: request.generator)
  }

  // MARK: - Executive summary

  func summary(_ topic: Topic, steered: Bool) -> [Paragraph] {
    let model = input.record.model
    let size = PlainLanguage.parameterCount(modelName: model.name)
    let sources = (input.record.corpus?.sources ?? []).map { PlainLanguage.source($0.name) }
    var p1 = "We looked inside \(model.displayName), a small AI language model that anyone can download. "
    if let size { p1 += "It has \(size) internal settings learned in training; leading commercial models are far larger. " }
    let (layer, layers) = layerText
    p1 += "While it read about \(PlainLanguage.about(tokens)) word pieces of text"
    p1 += sources.isEmpty ? ", " : " from \(PlainLanguage.list(sources)), "
    if let layer {
      p1 += "we recorded its internal state \(PlainLanguage.depth(layer: layer, of: layers)) its \(layers) layers."
    } else {
      p1 += "we recorded its internal state at one point inside it."
    }

    var p2 = "From these records, a second program learned a “dictionary” of \(Format.count(input.count)) features: patterns in the model’s state, each with a short label. "
    if let q = input.training?.quality {
      if let ce = q.ceLossRecovered, ce.isFinite {
        p2 += "The dictionary is faithful. When the model runs on the dictionary’s copy of its state, its next-word guesses keep \(PlainLanguage.percent(ce)) of their quality. "
      } else {
        p2 += "The dictionary’s copy of the model’s state keeps \(PlainLanguage.percent(1 - q.fvu)) of its variation. "
      }
    }
    let (tested, held) = labelCounts
    if tested > 0 {
      p2 += "Of the \(Format.count(tested)) labels we tested on text the dictionary had not seen, \(Format.count(held)) held up."
    }

    var p3 = ""
    switch topic.source {
    case .words, .probed: p3 += "Features about \(topic.name) sit together on a map of the model’s knowledge (Figure 1). "
    case .cluster: p3 += "Related features sit together on a map of the model’s knowledge, as the features about \(topic.name) show (Figure 1). "
    }
    if steered { p3 += "Turning one feature up changes what the model writes. " }
    p3 += "This is a small model and an automatic method, so these are early results. They do not prove that larger models work the same way."
    return [Prose(p1).paragraph, Prose(p2).paragraph, Prose(p3).paragraph]
  }

  func keyNumbers() -> [KeyNumber] {
    var out = [KeyNumber(value: Format.count(input.count), caption: "features in the dictionary"),
               KeyNumber(value: PlainLanguage.about(tokens), caption: "word pieces of text read")]
    if let q = input.training?.quality {
      if let ce = q.ceLossRecovered, ce.isFinite {
        out.append(KeyNumber(value: PlainLanguage.percent(ce), caption: "of the model’s prediction quality kept"))
      } else {
        out.append(KeyNumber(value: PlainLanguage.percent(1 - q.fvu), caption: "of the model’s internal variation captured"))
      }
    }
    let (tested, held) = labelCounts
    if tested > 0 {
      out.append(KeyNumber(value: PlainLanguage.percent(Double(held) / Double(tested)), caption: "of tested labels confirmed on new text"))
    }
    return out
  }

  // MARK: - Brain scan

  func scan(_ topic: Topic) -> ScanView {
    let intro = Prose("The map places all \(Format.count(input.count)) features so that features that respond to similar text sit close together. Each dot is one feature. ")
    switch topic.source {
    case .probed:
      intro.text("We gave the model text about \(topic.name) and ordinary text, and picked the features that respond much more often to the first: \(Format.count(topic.features.count)) of them. They are shown in orange.")
    case .words:
      intro.text("We searched the labels and top words for \(topic.name) and found \(Format.count(topic.features.count)) feature\(topic.features.count == 1 ? "" : "s"). They are shown in orange.")
    case .cluster:
      intro.text("No topic was asked for, so we show the group of features whose labels held up best on new text: the group around \(topic.name). Its features are shown in orange.")
    }
    var paragraphs = [intro.paragraph]
    if !topic.unmatched.isEmpty {
      paragraphs.append(Prose("No feature matched \(PlainLanguage.list(topic.unmatched.map { "“\($0)”" }, conjunction: "or")). The text we used may not cover \(topic.unmatched.count == 1 ? "that word" : "those words").").paragraph)
    }
    paragraphs.append(Prose("The labels are written by a program, not by people. Each label was tested on text held back for the purpose: a score of 100 means it always predicts where the feature fires, and 50 is no better than a coin toss. The table gives each score and a real example, with the word where the feature fires most strongly highlighted.").paragraph)

    let shown = Array(topic.features.prefix(Composer.tableRows))
    let named = Array(topic.features.prefix(TopicSelection.labelledOnMap))
    let focus = Array(topic.features.prefix(30))
    let svg = BriefingFigures.zoomedMap(
      input: input, focus: focus, highlighted: topic.features, named: named, centre: nil, width: 720, height: 430,
      label: "Map of the features about \(topic.name), with their neighbours", thumbnail: true)
    let caption = Prose("Figure 1. The \(Format.count(topic.features.count)) features about \(topic.name) (orange) among their neighbours (grey). Each label starts with the feature’s id. The small map shows where this part lies in the whole map.")
    let rows = shown.map { i -> FeatureRow in
      let r = examples[i] ?? summaries[i]
      let example = r.topExamples.first.map { BriefingFigures.snippet($0) } ?? ""
      return FeatureRow(reference: Prose.reference(id(i), href: href(i)), label: PlainLanguage.short(PlainLanguage.name(r), 60),
                        sentence: PlainLanguage.sentence(r) + " " + PlainLanguage.evidence(r),
                        example: example, doubtful: r.label.contradicted)
    }
    return ScanView(heading: "Key finding 1: a brain scan of \(topic.name)", intro: paragraphs, map: svg, caption: caption.paragraph,
                    rows: rows, hasRows: !rows.isEmpty)
  }

  // MARK: - Steering

  /// Two to four steered features: configured ones first, then steered features of the topic, then those
  /// whose steered text brings in the most of their own words.
  func steeringExamples(_ topic: Topic) -> [SteeringExample] {
    guard let record = input.steering else { return [] }
    let all = SteeringReading.examples(record, summaries: summaries)
    var chosen: [SteeringExample] = []
    func take(_ e: SteeringExample) { if !chosen.contains(where: { $0.feature == e.feature }) { chosen.append(e) } }
    for f in configuration.features { if let e = all.first(where: { $0.feature == f }) { take(e) } }
    let limit = max(Composer.maxPanels, min(4, chosen.count))
    let topicSet = Set(topic.features)
    // Automatic picks need a label with a word in it, or the reader cannot tell what the feature is about.
    let worded = all.filter { TopicSelection.hasWord(label($0.feature)) }
    for e in worded where topicSet.contains(e.feature) && chosen.count < limit { take(e) }
    let ranked = worded.sorted { ($0.themeWords.count, -$0.feature) > ($1.themeWords.count, -$1.feature) }
    for e in ranked where chosen.count < limit { take(e) }
    return Array(chosen.prefix(limit))
  }

  func steeringSection(_ examples: [SteeringExample]) -> SteeringSectionView {
    let intro = [
      Prose("Each feature is also a direction inside the model. While the model writes, we can push its state along that direction. We asked the model the same question twice: once as it is, and once with one feature turned up. Words that differ between the two answers are highlighted.").paragraph,
      Prose("The strength is a multiple of the strongest level the feature reached on its own while the model read the text.").paragraph,
    ]
    let panels = examples.enumerated().map { k, e in panel(e, number: k + 2) }
    return SteeringSectionView(intro: intro, panels: panels,
                               empty: "This atlas has no steering results yet. Run “feature-atlas steer” to add them.",
                               hasPanels: !panels.isEmpty)
  }

  func panel(_ e: SteeringExample, number: Int) -> SteeringPanel {
    let diff = WordDiff.diff(e.defaultText, e.steeredText)
    let heading = Prose("Figure \(number). Feature ")
    heading.feature(id(e.feature), href: href(e.feature), label: label(e.feature))
    return SteeringPanel(number: number, heading: heading.paragraph, prompt: e.prompt,
                         strength: "turned up to \(PlainLanguage.times(e.strength)) its strongest natural level",
                         left: BriefingFigures.marked(diff.left), right: BriefingFigures.marked(diff.right),
                         what: whatChanged(e))
  }

  func whatChanged(_ e: SteeringExample) -> Paragraph {
    let p = Prose()
    let share = e.words > 0 ? Double(e.changedWords) / Double(e.words) : 0
    p.text("\(e.changedWords) of the \(e.words) words changed (\(PlainLanguage.percent(share))). ")
    if e.themeWords.isEmpty {
      p.text("None of the feature’s own top words appear, so the change is real but not clearly on its theme.")
    } else {
      let words = PlainLanguage.list(e.themeWords.prefix(3).map { "“\($0)”" })
      p.text("The steered answer brings in \(words), \(e.themeWords.count == 1 ? "a word" : "words") this feature responds to.")
    }
    return p.paragraph
  }
}
