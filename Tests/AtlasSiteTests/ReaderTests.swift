import AtlasArtifacts
import AtlasFixtures
import Foundation
import TestSupport
import Testing

import AtlasSite

/// A synthetic atlas with the cases issue 16 found on real pages: a label "tested" on one held-out firing,
/// a promoted token far wider than its card, a feature that fires most in a big source but is
/// over-represented in a small one, a training evaluation that left out 30 outlier tokens and saw one
/// feature silent, a newline-only steering continuation, and corpus sources described in plain words.
enum ReaderAtlas {
  static let longToken = String(repeating: "_", count: 30) + "supercalifragilisticexpialidocious" + String(repeating: "=", count: 30)
  static let heldOut = 131_072
  static let measured = heldOut - 30

  static let shared: Result<AtlasDirectory, Error> = Result {
    let root = SharedAtlas.directory("reader")
    try? FileManager.default.removeItem(at: root)
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    var options = SyntheticAtlasOptions()
    options.features = 120
    options.clusters = [4, 8, 16]
    let atlas = try SyntheticAtlas.write(to: root, options: options)

    var record = try AtlasRecord.read(from: atlas.atlasRecord)
    if var corpus = record.corpus {
      for k in corpus.sources.indices where corpus.sources[k].name == "fortunes" { corpus.sources[k].about = "Unix fortune-cookie quotations" }
      for k in corpus.sources.indices where corpus.sources[k].name == "chat" { corpus.sources[k].about = "questions and answers in a chat" }
      record.corpus = corpus
    }
    try record.write(to: atlas.atlasRecord)

    let manifest = try FeaturesManifest.read(from: atlas.featuresManifest)
    for s in 0 ..< manifest.shards {
      var shard = try ShardDecoder.read(atlas, shard: s)
      for k in shard.records.indices {
        var r = shard.records[k]
        // As the features stage writes it: every held-out token is a positive or a negative.
        if var e = r.label.evidence { e.negatives = heldOut - e.positives; r.label.evidence = e }
        switch r.index {
        case 5:
          r.label.evidence = LabelEvidence(balancedAccuracy: 0.99, truePositiveRate: 1, trueNegativeRate: 0.98, positives: 1,
                                           negatives: heldOut - 1)
          r.label.contradicted = true
          r.label.note = "only 1 held-out firing"
        case 6:
          r.promotedTokens[0].token = longToken
        case 7:
          r.sourceShares = ["shakespeare": 0.5, "chat": 0.3, "fortunes": 0.2]
          r.dominantSource = "shakespeare"
        default: break
        }
        shard.records[k] = r
      }
      try ShardDecoder.write(shard, to: atlas, shard: s)
    }

    var training = try SAETrainingRecord.read(from: atlas.saeTraining)
    training.quality.heldOutTokens = measured
    training.quality.deadFraction = 1.0 / 8192
    try training.write(to: atlas.saeTraining)

    var steering = try SteeringRecord.read(from: atlas.steeringRecord)
    steering.features[0].runs[0].tokens = ["\n", "\n"]
    steering.features[0].runs[0].text = "\n\n"
    try steering.write(to: atlas.steeringRecord)

    try SiteRenderer(resources: SiteFixture.resources()).render(atlas: atlas)
    return atlas
  }

  static func page(_ path: String) throws -> (html: String, text: String) {
    let atlas = try shared.get()
    let html = try SiteFixture.text(atlas.site.appendingPathComponent(path))
    return (html, try XMLPage(Data(html.utf8), name: path).textContent())
  }

  /// A feature page as its script draws it, and its text.
  static func drawn(_ path: String) throws -> (html: String, text: String) {
    let html = try SiteFixture.drawn(try shared.get().site, path)
    return (html, try XMLPage(Data(html.utf8), name: path).textContent())
  }
}

@Suite("The site read by a newcomer and a researcher (issue 16, items 9–13)")
struct ReaderTests {
  @Test("“Over-represented in” names the source whose firing share most exceeds its text share, with both numbers, as the list does")
  func overRepresentedSource() throws {
    let (html, text) = try ReaderAtlas.drawn("features/f007.html")
    // Shakespeare holds most firings (50% of them, 35% of the text); chat is the over-represented one (30% vs 15%).
    #expect(text.contains("Over-represented in"))
    #expect(html.contains("<dd class=\"value\">chat</dd><dd class=\"hint\">30% of its firings vs 15% of the text</dd>"))
    #expect(!text.contains("Fires most in"))
    let row = try #require(html.range(of: "<tr class=\"over\">"))
    let rest = html[row.upperBound...]
    let end = try #require(rest.range(of: "</tr>"))
    let over = String(rest[..<end.lowerBound])
    #expect(over.contains("chat") && over.contains(">30%<") && over.contains(">15%<"), "\(over)")
    #expect(html.components(separatedBy: "<tr class=\"over\">").count == 2)
    // Sources are described in plain words where they are listed.
    #expect(text.contains("Unix fortune-cookie quotations"))

    // On every page: the source named above the list is the list's marked row, with the same two numbers.
    let atlas = try ReaderAtlas.shared.get()
    for i in 0 ..< 120 where SiteFixture.isDrawnSample(i) {
      let page = try SiteFixture.drawn(atlas.site, "features/f\(String(format: "%03d", i)).html")
      guard let stat = page.range(of: "<dt>Over-represented in</dt><dd class=\"value\">") else { continue }
      let after = page[stat.upperBound...]
      let name = String(after[..<(after.range(of: "</dd>")?.lowerBound ?? after.endIndex)])
      let hint = after.range(of: "<dd class=\"hint\">").map { after[$0.upperBound...] }.map { String($0[..<($0.range(of: "</dd>")?.lowerBound ?? $0.endIndex)]) } ?? ""
      let numbers = hint.components(separatedBy: " of its firings vs ")
      #expect(numbers.count == 2, "f\(i): \(hint)")
      let marked = page.range(of: "<tr class=\"over\"><th scope=\"row\">").map { page[$0.upperBound...] }.map { String($0[..<($0.range(of: "</tr>")?.lowerBound ?? $0.endIndex)]) } ?? ""
      #expect(marked.hasPrefix(name + " "), "f\(i): stat names \(name), list marks \(marked.prefix(40))")
      if numbers.count == 2 {
        #expect(marked.contains(">\(numbers[0])<") && marked.contains(">\(numbers[1].replacingOccurrences(of: " of the text", with: ""))<"), "f\(i)")
      }
    }
  }

  @Test("Evidence on fewer than 20 held-out firings is grey “insufficient evidence”, and never green beside a contradiction")
  func insufficientEvidence() throws {
    let (html, text) = try ReaderAtlas.page("features/f005.html")
    #expect(text.contains("insufficient evidence (1 firing)"))
    #expect(html.contains("<div class=\"evidence none\">"))
    #expect(!html.contains("<span class=\"num\">0.99</span>"))
    #expect(text.contains("Label contradicted by its evidence."))

    let atlas = try ReaderAtlas.shared.get()
    var contradicted = 0
    for i in 0 ..< 120 {
      let page = try SiteFixture.text(atlas.site.appendingPathComponent("features/f\(String(format: "%03d", i)).html"))
      guard page.contains("class=\"alert\"") else { continue }
      contradicted += 1
      #expect(!page.contains("<div class=\"evidence good\">"), "f\(i) shows green evidence beside a contradiction")
    }
    #expect(contradicted >= 2)
    // The cluster table shows the same grade.
    let cluster = try SiteFixture.text(atlas.site.appendingPathComponent("clusters/\(try clusterOf(5, atlas)).html"))
    let row = try #require(cluster.range(of: "<a href=\"../features/f005.html\">"))
    #expect(cluster[row.upperBound...].prefix(600).contains("data-sort=\"-1\">—</td>"))
  }

  @Test("A long token in the logit-effect table is cut inside a fixed-layout table, with the full token in its title")
  func longLogitToken() throws {
    let (html, _) = try ReaderAtlas.drawn("features/f006.html")
    #expect(html.contains("<code class=\"tok\" title=\"\(ReaderAtlas.longToken)\">\(ReaderAtlas.longToken)</code>"))
    let css = try SiteFixture.text(try ReaderAtlas.shared.get().site.appendingPathComponent("assets/atlas.css"))
    #expect(css.contains(".logits table { table-layout: fixed; }"))
    #expect(css.contains("text-overflow: ellipsis"))
  }

  @Test("The held-out token count and “dead” are one number and one definition on the map, run and feature pages")
  func consistentCounts() throws {
    let (_, index) = try ReaderAtlas.page("index.html")
    #expect(index.contains("Measured on 131,042 of the 131,072 held-out tokens: 30 tokens with an extreme activation norm"))
    let (_, run) = try ReaderAtlas.page("run.html")
    #expect(run.contains("Held-out tokens131,072") || run.contains("Held-out tokens 131,072"))
    #expect(run.contains("131,042 of the 131,072 held-out tokens"))
    let (_, feature) = try ReaderAtlas.page("features/f042.html")
    #expect(feature.contains("on 131,072 held-out tokens"))

    // "Dead" in the quality panel and in the counts is the same count of the same thing; the training
    // evaluation's 0.0122% (silent on held-out tokens) is not shown as "dead".
    let atlas = try ReaderAtlas.shared.get()
    let dead = try FeaturesManifest.read(from: atlas.featuresManifest).counts["dead"] ?? -1
    #expect(dead > 0)
    #expect(index.contains("never fired on the 1.0M analysed tokens (\(dead) of 120)"))
    let html = try SiteFixture.text(atlas.site.appendingPathComponent("index.html"))
    #expect(html.contains("<dt>Dead</dt><dd>\(dead)</dd>"))
    #expect(!index.contains("0.0122%"))
    #expect(run.contains("Silent on held-out0.0122%") || run.contains("Silent on held-out 0.0122%"))
  }

  @Test("A newline-only steering continuation shows ↵, not a blank box")
  func newlineContinuation() throws {
    let (html, _) = try ReaderAtlas.page("steering.html")
    #expect(html.contains("<p class=\"gen\"><mark>↵</mark><br/><mark>↵</mark><br/></p>") || html.contains("<p class=\"gen\">↵<br/>↵<br/></p>"),
            "\(html.components(separatedBy: "<p class=\"gen\">").dropFirst().prefix(3).map { $0.prefix(80) })")
  }

  @Test("Newcomers find an introduction on the map, a glossary linked from the map, run and feature pages, and described sources")
  func introductionAndGlossary() throws {
    let (indexHTML, index) = try ReaderAtlas.page("index.html")
    #expect(index.contains("Each point on this map is a feature"))
    #expect(indexHTML.contains("href=\"glossary.html\""))
    let (runHTML, _) = try ReaderAtlas.page("run.html")
    #expect(runHTML.contains("href=\"glossary.html\""))
    let (featureHTML, _) = try ReaderAtlas.page("features/f042.html")
    #expect(featureHTML.contains("href=\"../glossary.html#evidence\""))
    let (glossaryHTML, glossary) = try ReaderAtlas.page("glossary.html")
    for term in ["FVU", "L0", "CE loss recovered", "Dead", "Density", "Evidence", "Insufficient evidence", "Over-represented in"] {
      #expect(glossary.contains(term), "glossary lacks \(term)")
    }
    for anchor in ["fvu", "l0", "ce-loss-recovered", "dead", "density", "evidence"] {
      #expect(glossaryHTML.contains("<div id=\"\(anchor)\">"), "glossary lacks #\(anchor)")
    }
    #expect(glossary.contains("Unix fortune-cookie quotations"))
  }

  @Test("Researchers get sortable, filterable cluster tables, histogram counts, colour schemes and a JSON download per feature")
  func researcherTools() throws {
    let atlas = try ReaderAtlas.shared.get()
    let (list, listText) = try ReaderAtlas.page("clusters/index.html")
    #expect(list.contains("class=\"grid members sortable\" id=\"cluster-table\""))
    #expect(list.contains("class=\"table-filter\" data-table=\"cluster-table\""))
    #expect(list.contains("assets/tables.js"))
    #expect(listText.contains("28 clusters on 3 levels"))
    let cluster = try SiteFixture.text(atlas.site.appendingPathComponent("clusters/0-0.html"))
    #expect(cluster.contains("class=\"members sortable\" id=\"member-table\"") && cluster.contains("data-table=\"member-table\""))

    // Histogram: a count axis (peak count as a tick) and counts in each bar's title.
    let record = try SiteFixture.record(42, in: atlas)
    let peak = try #require(record.histogram.counts.max())
    let (featureHTML, _) = try ReaderAtlas.drawn("features/f042.html")
    #expect(featureHTML.contains(">\(Format.compact(peak))</text>"))
    #expect(featureHTML.contains(" firings</title>") || featureHTML.contains(" firing</title>"))

    // Map data carry what the colour schemes need; the index offers them.
    let meta = try SiteFixture.text(atlas.site.appendingPathComponent("data/map-meta.js"))
    #expect(meta.contains("\"sources\":[\"shakespeare\",\"python\",\"fortunes\",\"chat\",\"wiki\"]"))
    let chunk = try SiteFixture.text(atlas.site.appendingPathComponent("data/map-000.js"))
    #expect(chunk.contains("\"v\":[") && chunk.contains("\"e\":[") && chunk.contains("\"s\":["))
    let index = try SiteFixture.text(atlas.site.appendingPathComponent("index.html"))
    for mode in ["cluster", "density", "evidence", "source"] { #expect(index.contains("<option value=\"\(mode)\"")) }

    // The page's data file holds the feature's record (its example windows' text left to the shared windows.js) and
    // what the page draws; drawn, the JSON button saves the record with its examples as a blob.
    let (written, _) = try ReaderAtlas.page("features/f042.html")
    #expect(written.contains("<a id=\"json\" href=\"../data/features/f042.js\""))
    #expect(written.contains("<script src=\"../data/windows.js\"></script>") && written.contains("<script src=\"../data/features/f042.js\"></script>"))
    #expect(featureHTML.contains("download=\"f042.json\"") && featureHTML.contains("href=\"blob:"))
    let file = try SiteFixture.text(atlas.site.appendingPathComponent("data/features/f042.js"))
    #expect(file.hasPrefix("window.atlasFeature = {") && file.hasSuffix("};\n") && file.filter { $0 == "\n" }.count == 1)
    struct Script: Decodable { var record: FeatureRecord }
    let decoded = try JSONDecoder().decode(Script.self, from: Data(file.dropFirst("window.atlasFeature = ".count).dropLast(2).utf8)).record
    #expect(decoded.index == 42 && decoded.label == record.label && decoded.topExamples.isEmpty)
    #expect(decoded.density == record.density && decoded.sourceShares == record.sourceShares && decoded.topTokens == record.topTokens)
    #expect(decoded.promotedTokens == record.promotedTokens && decoded.histogram == record.histogram)
    #expect(decoded.quantileSamples.map(\.share) == record.quantileSamples.map(\.share))
    #expect(decoded.quantileSamples.allSatisfy { $0.examples.isEmpty })
  }

  @Test("In Chromium: logit tables fit their card, sweep boxes share one row at 1280 px, the 390 px header leaves the map's zoom button free, tables sort and filter, colour schemes switch",
        .timeLimit(.minutes(5)))
  func layoutInChromium() throws {
    let atlas = try ReaderAtlas.shared.get()
    let steered = try SteeringRecord.read(from: atlas.steeringRecord).features.map { "features/f\(String(format: "%03d", $0.feature)).html" }
    let plan: [String: Any] = [
      "mode": "normal", "features": 120, "loadOnly": true,
      "layout": [
        "logitPages": ["features/f006.html", "features/f042.html"],
        "sweepPages": ["steering.html"] + steered,
        "narrowPages": ["index.html", "features/f006.html", "clusters/index.html", "run.html", "steering.html"],
        "sortTable": ["page": "clusters/index.html", "table": "cluster-table", "column": 2, "filter": "fine"],
        "colourModes": ["density", "evidence", "source", "cluster"],
        "blankGen": ["steering.html"],
      ],
    ]
    let report = try BrowserCheck.run(site: atlas.site, plan: plan, screenshots: "reader")
    #expect(report.problems.isEmpty, "\(report.problems.joined(separator: "\n"))")
  }

  private func clusterOf(_ feature: Int, _ atlas: AtlasDirectory) throws -> String {
    let positions = try SafeTensorsFile(url: atlas.layoutPositions)
    let ids = try positions.integers("cluster_level_0")
    return "0-\(ids[feature])"
  }
}
