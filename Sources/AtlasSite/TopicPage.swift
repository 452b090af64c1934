import AtlasArtifacts
import Foundation
import Mustache

/// `topics/<slug>.html`: the features that fire more on a topic than on neutral text (`feature-atlas
/// probe`), lit up on the map and listed best first with their evidence.
struct TopicView: MustacheParent {
  var chrome: ChromeView
  var topic: String
  var summary: String
  var terms: [String]
  var method: String
  var mapSVG: String                // our own SVG
  var features: [TopicFeatureView]

  func child(named name: String) -> Any? {
    switch name {
    case "chrome": chrome
    case "topic": topic
    case "summary": summary
    case "terms": terms
    case "hasTerms": !terms.isEmpty
    case "method": method
    case "mapSVG": mapSVG
    case "features": features
    case "hasFeatures": !features.isEmpty
    default: nil
    }
  }
}

struct TopicFeatureView: MustacheParent {
  var rank: Int
  var href: String
  var id: String
  var label: String
  var colour: String
  var score: String
  var topicRate: String
  var neutralRate: String
  var topTokens: [String]
  var evidence: String              // token strips built in code (escaped there)

  func child(named name: String) -> Any? {
    switch name {
    case "rank": rank
    case "href": href
    case "id": id
    case "label": label
    case "colour": colour
    case "score": score
    case "topicRate": topicRate
    case "neutralRate": neutralRate
    case "topTokens": topTokens
    case "hasTopTokens": !topTokens.isEmpty
    case "evidence": evidence
    default: nil
    }
  }
}

/// `topics/index.html`: every probed topic with its best features.
struct TopicsIndexView: MustacheParent {
  var chrome: ChromeView
  var topics: [TopicsIndexRow]
  func child(named name: String) -> Any? {
    switch name {
    case "chrome": chrome
    case "topics": topics
    case "hasTopics": !topics.isEmpty
    default: nil
    }
  }
}

struct TopicsIndexRow: MustacheParent {
  var href: String
  var topic: String
  var detail: String
  var best: [LinkView]
  func child(named name: String) -> Any? {
    switch name {
    case "href": href
    case "topic": topic
    case "detail": detail
    case "best": best
    default: nil
    }
  }
}

enum TopicPage {
  static let root = "../"
  static let searchDataFile = "data/topics.js"

  /// Ranked features that exist in this atlas (a record from another SAE is not shown against this map).
  static func members(_ record: TopicRecord, input: SiteInput) -> [TopicFeatureRecord] {
    record.features.filter { $0.feature >= 0 && $0.feature < input.map.count }
  }

  static func view(_ record: TopicRecord, input: SiteInput) -> TopicView {
    let naming = input.naming
    let features = members(record, input: input)
    let rows = features.enumerated().map { k, f -> TopicFeatureView in
      let scale = f.evidence.flatMap(\.activations).max() ?? 1
      let strips = f.evidence.map { w in
        TokenStrip.figure(w, scale: scale, caption: w.window >= 0 ? "\(w.source) · window \(w.window)" : "example \(w.document + 1)")
      }.joined()
      let coarse = input.map.assignment.first?[f.feature] ?? -1
      return TopicFeatureView(
        rank: k + 1, href: naming.featureHref(f.feature, root: root), id: naming.id(f.feature),
        label: Markup.displayable(input.summaries[f.feature].label.text), colour: Palette.colour(cluster: coarse),
        score: Format.fixed(f.score, digits: 2), topicRate: Format.percent(f.topicRate), neutralRate: Format.percent(f.neutralRate),
        topTokens: f.topTokens.prefix(5).map { Markup.displayable(Markup.tokenText($0)) }, evidence: strips)
    }
    let source = record.mode == "examples"
      ? "\(Format.count(record.topicSpans)) slices of the example texts"
      : "\(Format.count(record.topicSpans)) places in the corpus where the words below occur"
    // The relatives by count, with a few named: a topic such as disease has hundreds, most never in the corpus;
    // the ones found are the chips below.
    let named = record.relativesFoundFirst.prefix(8).joined(separator: ", ") + (record.related.count > 8 ? ", …" : "")
    let relatives = record.related.isEmpty ? ""
      : " It also looked for \(Format.count(record.related.count)) relative\(record.related.count == 1 ? "" : "s") of the topic words "
        + "(WordNet's kinds and derivations; the model's embedding neighbours when configured: \(named)); the words found are listed below."
    let summary = "\(features.count) features that fire more on \(source) than on \(Format.count(record.neutralSpans)) neutral spans of the corpus." + relatives
    var fraction = "a share"
    if case .object(let parameters) = record.parameters, case .number(let share)? = parameters["firingFraction"] {
      fraction = Format.percent(share)
    }
    let method = "A span is a topic word and the tokens right after it (or a slice of an example text); neutral spans have the same "
      + "lengths and come from corpus windows without the words. A feature fires on a span when it reaches \(fraction) of its "
      + "largest activation in the corpus. With r_t and r_n its smoothed firing rates on topic and neutral spans, the score "
      + "is (r_t − r_n) · |logit r_t − logit r_n|: high when the feature fires on much of the topic and rarely elsewhere, low for "
      + "features that fire everywhere."
    return TopicView(
      chrome: ChromeView.make(input, title: "Topic · \(record.topic)", root: root, current: "topics", bodyClass: "page-topic"),
      topic: Markup.displayable(record.topic), summary: summary,
      terms: record.terms.map { "\(Markup.displayable($0.term)) ×\($0.occurrences)" },
      method: method, mapSVG: map(record.topic, features: features.map(\.feature), input: input), features: rows)
  }

  /// The whole map in grey with the topic's features lit up, numbered by rank for the first ten.
  static func map(_ topic: String, features: [Int], input: SiteInput) -> String {
    let map = input.map
    var svg = SVG(width: MapGeometry.width, height: MapGeometry.height, className: "footprint topic-map",
                  label: "Where the features of topic “\(topic)” lie on the map (\(features.count) features lit)")
    svg.rect(x: 0, y: 0, width: MapGeometry.width, height: MapGeometry.height, className: "map-bg")
    svg.path(MapSVG.backdrop(map), className: "pt rest", stroke: Palette.unclustered)
    for (k, f) in features.enumerated().reversed() {
      let x = Double(map.u[f]), y = Double(map.v[f])
      let colour = Palette.colour(cluster: map.assignment.first?[f] ?? -1)
      svg.link(input.naming.featureFile(f)) { a in
        a.circle(cx: x, cy: y, r: k < 10 ? 9 : 6, className: "lit", fill: colour,
                 title: "#\(k + 1) \(input.naming.id(f)): \(input.summaries[f].label.text)")
        if k < 10 { a.text(String(k + 1), x: x, y: y + 4, className: "rank", anchor: "middle") }
      }
    }
    return svg.finished()
  }

  static func indexView(_ records: [TopicRecord], input: SiteInput) -> TopicsIndexView {
    let rows = records.map { r -> TopicsIndexRow in
      let best = members(r, input: input).prefix(3).map { f in
        LinkView(href: input.naming.featureHref(f.feature, root: root), text: input.naming.id(f.feature),
                 note: Markup.displayable(input.summaries[f.feature].label.text))
      }
      return TopicsIndexRow(href: r.slug + ".html", topic: Markup.displayable(r.topic),
                            detail: "\(members(r, input: input).count) features · \(r.mode == "examples" ? "from example texts" : "from corpus words")",
                            best: Array(best))
    }
    return TopicsIndexView(chrome: ChromeView.make(input, title: "Topics", root: root, current: "topics", bodyClass: "page-topic"),
                           topics: rows)
  }

  /// `data/topics.js`: every topic's words and ranked features, for the map's search (a concept word
  /// finds the features of a topic whose words it shares a stem with).
  static func searchData(_ records: [TopicRecord], input: SiteInput) -> String {
    var out = "FA.topics(["
    out += records.map { r in
      let words = Set([r.topic.lowercased()] + r.terms.map(\.term)).sorted()
      return "{\"topic\":\(Markup.jsString(r.topic)),\"href\":\(Markup.jsString("topics/" + r.slug + ".html")),"
        + "\"words\":[" + words.map(Markup.jsString).joined(separator: ",") + "],"
        + "\"features\":[" + members(r, input: input).map { String($0.feature) }.joined(separator: ",") + "]}"
    }.joined(separator: ",")
    return out + "]);\n"
  }

  /// Writes the topic pages, their index and `data/topics.js` into `site` (a staging directory or the
  /// live site; every file is written whole under a temporary name and renamed).
  static func write(_ records: [TopicRecord], input: SiteInput, templates: Templates, into site: URL) throws -> Int {
    let folder = site.appendingPathComponent("topics")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    var pages = 0
    for record in records {
      try AtomicFile.write(try templates.render(view(record, input: input), page: "topic"),
                           to: folder.appendingPathComponent(record.slug + ".html"))
      pages += 1
    }
    try AtomicFile.write(try templates.render(indexView(records, input: input), page: "topics"), to: folder.appendingPathComponent("index.html"))
    try AtomicFile.write(searchData(records, input: input), to: site.appendingPathComponent(searchDataFile))
    return pages + 1
  }
}

extension SiteRenderer {
  /// Writes the pages of the atlas's probed topics (`topics/*.json`) into its existing site, without
  /// re-rendering the rest (what `feature-atlas probe` calls after it writes a topic). Returns the pages written.
  @discardableResult
  public func renderTopics(atlas: AtlasDirectory) throws -> Int {
    guard FileManager.default.fileExists(atPath: atlas.siteIndex.path) else {
      throw SiteError.inconsistentArtifacts("\(atlas.site.path) has no rendered site yet; run `feature-atlas render` first")
    }
    let templates = try Templates(directory: resources.templates)
    let input = try SiteInput.read(atlas)
    return try TopicPage.write(input.topics, input: input, templates: templates, into: atlas.site)
  }
}
