import AtlasArtifacts
import AtlasBriefing
import AtlasPipeline
import AtlasSite
import Foundation
import TestSupport
import Testing

/// The briefing document built from a synthetic atlas: one well-formed XHTML file, no reference that leaves
/// it or dangles, plain prose, the configured topic, deterministic bytes.
@Suite("Briefing document")
struct DocumentTests {
  static let shared: Result<(AtlasDirectory, BriefStage.Report), Error> = Result {
    let atlas = try BriefingFixture.atlas("shared")
    return (atlas, try BriefingFixture.brief(atlas, topics: ["london"]))
  }

  func parsed(_ url: URL) throws -> (Data, [XHTMLDocument.Element]) {
    let data = try Data(contentsOf: url)
    let document = try XHTMLDocument(data, name: url.lastPathComponent)
    return (data, document.elements())
  }

  @Test("One well-formed XHTML file under 5 MB, with every section, no script and no image file")
  func wellFormed() throws {
    let (atlas, report) = try Self.shared.get()
    #expect(report.html == atlas.root.appendingPathComponent("briefing/briefing.html"))
    let (data, elements) = try parsed(report.html)
    #expect(data.count < 5 << 20)
    let ids = Set(elements.compactMap { $0.attributes["id"] })
    for section in ["summary", "scan", "steering", "properties", "implications", "method"] {
      #expect(ids.contains(section), "section \(section) is missing")
    }
    #expect(!elements.contains { ["script", "img", "iframe", "object", "embed", "link"].contains($0.name) })
    #expect(elements.filter { $0.name == "svg" }.count >= 2)
    #expect(elements.contains { $0.name == "style" })
    let files = try FileManager.default.contentsOfDirectory(atPath: atlas.root.appendingPathComponent("briefing").path)
    #expect(files == ["briefing.html"], "the HTML-only run left \(files)")
  }

  @Test("No external or dangling reference: links resolve to the atlas's site pages, fragments to ids")
  func references() throws {
    let (_, report) = try Self.shared.get()
    let (data, elements) = try parsed(report.html)
    let ids = Set(elements.compactMap { $0.attributes["id"] })
    let folder = report.html.deletingLastPathComponent()
    var links = 0
    for element in elements {
      for key in ["href", "src", "xlink:href", "action", "poster", "data"] {
        guard let value = element.attributes[key] else { continue }
        if value.hasPrefix("#") {
          #expect(ids.contains(String(value.dropFirst())), "\(value) names no element")
          continue
        }
        let scheme = value.split(separator: "/", maxSplits: 1).first.map { $0.contains(":") } ?? false
        #expect(!scheme, "external reference \(value)")
        let target = folder.appendingPathComponent(value).standardizedFileURL
        #expect(FileManager.default.fileExists(atPath: target.path), "\(value) does not exist")
        links += 1
      }
    }
    #expect(links >= 8, "feature ids should link to their site pages; found \(links) links")
    let text = String(decoding: data, as: UTF8.self)
    for pattern in ["url(", "@import", "http://", "https://"] where pattern != "http://" {
      #expect(!text.contains(pattern), "the page contains \(pattern)")
    }
    // The only http:// strings are XML namespace names, which are not fetched.
    let namespaces = ["http://www.w3.org/1999/xhtml", "http://www.w3.org/2000/svg"]
    var stripped = text
    for n in namespaces { stripped = stripped.replacingOccurrences(of: n, with: "") }
    #expect(!stripped.contains("http://"))
  }

  @Test("Without a rendered site, feature ids are plain text (no dangling link)")
  func noSite() throws {
    let atlas = try BriefingFixture.atlas("nosite", site: false)
    let report = try BriefingFixture.brief(atlas)
    let (_, elements) = try parsed(report.html)
    #expect(!elements.contains { $0.attributes["href"] != nil })
    #expect(elements.contains { $0.attributes["class"] == "fid" })
  }

  @Test("Every prose section reads at grade 11 or below (Flesch–Kincaid)")
  func readable() throws {
    let (_, report) = try Self.shared.get()
    let (_, elements) = try parsed(report.html)
    var sections: [String: String] = [:]
    for e in elements where (e.attributes["class"] ?? "").split(separator: " ").contains("prose") {
      sections[e.section ?? "?", default: ""] += e.text + " "
    }
    #expect(Set(sections.keys).isSuperset(of: ["summary", "scan", "steering", "properties", "implications"]))
    for (section, text) in sections.sorted(by: { $0.key < $1.key }) {
      let grade = try #require(Readability.grade(text))
      #expect(grade <= 11, "section \(section) reads at grade \(grade)")
    }
  }

  @Test("The brain scan shows the features that match the topic word, ids and labels in the table")
  func topic() throws {
    let (atlas, report) = try Self.shared.get()
    #expect(report.topic == "“london”")
    #expect(report.topicFeatures > 0)
    let records = try SiteFixtureRecords.all(atlas)
    let matching = records.filter { r in r.topTokens.prefix(5).contains { $0.token.lowercased().contains("london") } || r.label.text.lowercased().contains("london") }
    #expect(report.topicFeatures == matching.filter { !$0.flags.contains(.dead) }.count)
    let (_, elements) = try parsed(report.html)
    let rows = elements.filter { $0.name == "tr" && $0.section == "scan" }.dropFirst()   // header row first
    #expect(!rows.isEmpty)
    let naming = Naming(features: records.count)
    let shownIds = Set(elements.filter { $0.attributes["class"] == "fid" && $0.section == "scan" }.map(\.text))
    for id in shownIds { #expect(matching.contains { naming.id($0.index) == id }, "\(id) does not match the topic") }
  }

  @Test("A topic measured by probe shows probe's ranking (positive contrast only), not label matches; with no topic, the clearest probed one")
  func probedTopic() throws {
    let atlas = try BriefingFixture.atlas("probed", site: false)
    func ranked(_ feature: Int, _ score: Double, topic: Double, neutral: Double) -> TopicFeatureRecord {
      TopicFeatureRecord(feature: feature, score: score, topicRate: topic, neutralRate: neutral, topicMean: 1, neutralMean: 0.1,
                         label: "x", topTokens: [], evidence: [])
    }
    let record = TopicRecord(topic: "zeppelin", slug: TopicRecord.slug("zeppelin"), mode: "corpus", terms: [], topicSpans: 30,
                             neutralSpans: 400, parameters: .object([:]), inputs: [:],
                             features: [ranked(7, 0.9, topic: 0.8, neutral: 0.01), ranked(3, 0.5, topic: 0.5, neutral: 0.02),
                                        ranked(11, -0.2, topic: 0.01, neutral: 0.3)])
    try FileManager.default.createDirectory(at: atlas.topics, withIntermediateDirectories: true)
    try record.write(to: atlas.topics.appendingPathComponent("zeppelin.json"))
    let report = try BriefingFixture.brief(atlas, topics: ["Zeppelin"])
    #expect(report.unmatchedTopics.isEmpty)
    #expect(report.topicFeatures == 2)
    let text = try String(contentsOf: report.html, encoding: .utf8)
    #expect(text.contains("We gave the model text about “zeppelin” and ordinary text"))
    // With no topic asked for, a probed topic is preferred to the most coherent cluster.
    let unasked = try BriefingFixture.brief(atlas)
    #expect(unasked.topic == "“zeppelin”")
    #expect(unasked.topicFeatures == 2)
  }

  @Test("An unmatched topic falls back to the most coherent cluster and says so")
  func unmatched() throws {
    let atlas = try BriefingFixture.atlas("unmatched", site: false)
    let report = try BriefingFixture.brief(atlas, topics: ["zeppelin"])
    #expect(report.unmatchedTopics == ["zeppelin"])
    #expect(report.topicFeatures >= 5)
    let text = try String(contentsOf: report.html, encoding: .utf8)
    #expect(text.contains("No feature matched “zeppelin”"))
  }

  @Test("The briefing: section of atlas.yaml sets title, organisation, author, date, page and text")
  func configured() throws {
    let atlas = try BriefingFixture.atlas("configured", site: false)
    let yaml = atlas.root.appendingPathComponent("atlas.yaml")
    try """
      briefing:
        title: "Inside a small model <for the committee>"
        organisation: "Example Institute"
        author: "A. Analyst"
        date: "1 April 2027"
        topics: [paris]
        page: letter
        summary: |
          First paragraph of our own.

          Second paragraph & more.
      """.write(to: yaml, atomically: true, encoding: .utf8)
    let report = try BriefingFixture.brief(atlas, configuration: yaml)
    let text = try String(contentsOf: report.html, encoding: .utf8)
    #expect(text.contains("<title>Inside a small model &lt;for the committee&gt;</title>"))
    #expect(text.contains("Example Institute"))
    #expect(text.contains("A. Analyst · 1 April 2027"))
    #expect(text.contains("size: letter;"))
    #expect(text.contains("<p class=\"prose\">First paragraph of our own.</p>"))
    #expect(text.contains("<p class=\"prose\">Second paragraph &amp; more.</p>"))
    #expect(report.topic == "“paris”")
    #expect(text.contains("feature-atlas brief --atlas \(atlas.root.lastPathComponent) --config atlas.yaml"))

    let bad = atlas.root.appendingPathComponent("bad.yaml")
    try "briefing:\n  titel: x\n".write(to: bad, atomically: true, encoding: .utf8)
    #expect(throws: PipelineError.self) { try BriefingFixture.brief(atlas, configuration: bad) }
    let badFeature = atlas.root.appendingPathComponent("feature.yaml")
    try "briefing:\n  features: [100000]\n".write(to: badFeature, atomically: true, encoding: .utf8)
    #expect(throws: BriefingError.unknownFeature(100000, features: 300)) { try BriefingFixture.brief(atlas, configuration: badFeature) }
  }

  @Test("Same atlas in, same HTML bytes out")
  func deterministic() throws {
    let (atlas, report) = try Self.shared.get()
    let first = try Data(contentsOf: report.html)
    let other = try TestPaths.scratchDirectory("briefing-again")
    let again = try BriefingFixture.brief(atlas, topics: ["london"], output: other)
    let second = try Data(contentsOf: again.html)
    // The site link differs by output folder; everything else is the same.
    let a = String(decoding: first, as: UTF8.self).replacingOccurrences(of: "../site/", with: "SITE/")
    let relative = BriefStage.relativePath(from: other, to: atlas.site)
    let b = String(decoding: second, as: UTF8.self).replacingOccurrences(of: relative + "/", with: "SITE/")
    #expect(a == b)
    let third = try BriefingFixture.brief(atlas, topics: ["london"])
    #expect(try Data(contentsOf: third.html) == first)
  }

  @Test("Steering panels show default and steered text with the changed words marked")
  func steering() throws {
    let (atlas, report) = try Self.shared.get()
    let steering = try SteeringRecord.read(from: atlas.steeringRecord)
    let (_, elements) = try parsed(report.html)
    let panels = elements.filter { $0.name == "figure" && $0.attributes["class"] == "steer" && $0.section == "steering" }
    #expect(panels.count >= 2 && panels.count <= 4)
    #expect(elements.contains { $0.name == "mark" && $0.section == "steering" })
    let defaults = Set(steering.prompts.map(\.defaultContinuation))
    let columns = elements.filter { $0.attributes["class"] == "column default" && $0.section == "steering" }
    for column in columns {
      let text = column.text.replacingOccurrences(of: "Default model", with: "")
      #expect(defaults.contains { WordDiff.words($0) == WordDiff.words(text) }, "\(text) is not a default continuation")
    }
  }
}

/// The synthetic atlas's records, read back with the artifact decoder.
enum SiteFixtureRecords {
  static func all(_ atlas: AtlasDirectory) throws -> [FeatureRecord] {
    let manifest = try FeaturesManifest.read(from: atlas.featuresManifest)
    return try (0 ..< manifest.shards).flatMap { try ShardDecoder.read(atlas, shard: $0).records }
  }
}
