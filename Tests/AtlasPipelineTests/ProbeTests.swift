import AtlasArtifacts
import AtlasPipeline
import Foundation
import TestSupport
import Testing

/// Topic search on a tiny atlas built from the real model over the test corpus (the Apache licence and
/// fortunes): every stage real, 128 latents.
@Suite("Probe", .enabled(if: PipelineTestModel.available), .serialized)
struct ProbeTests {
  static func buildAtlas() throws -> AtlasDirectory {
    let dir = try TestPaths.scratchDirectory("probe")
    var c = try AtlasConfiguration.load(yaml: """
      title: Probe test atlas
      sae:
        training:
          latents: 128
          batchSize: 256
          tokens: 40000
          deadTokens: 20000
        ceWindows: 2
        checkpointEvery: 1000
      """, over: AtlasConfiguration(), source: "probe.yaml")
    c.corpus = try PipelineTestModel.tinyCorpus(tokens: 4000, window: 64)
    c.model = TestPaths.smolLM2?.path
    let atlas = AtlasDirectory(dir)
    _ = try AtlasBuild(configuration: c, atlas: atlas, progress: CollectingProgress(),
                       stages: [.capture, .train, .features, .layout, .render]).run()
    return atlas
  }

  @Test("A word finds the features that fire on it in the corpus; example texts find the same ones; pages are written")
  func probeWordAndExamples() throws {
    let atlas = try Self.buildAtlas()
    defer { try? FileManager.default.removeItem(at: atlas.root) }
    var configuration = ProbeConfiguration()
    configuration.top = 10
    configuration.neutralSpans = 600

    // Corpus words: "license" and its forms (License, licenses, Licensed, LICENSE) in the Apache licence.
    let outcomes = try ProbeRunner.run(atlas: atlas, configuration: configuration, topics: ["license"], examples: nil, model: nil,
                                       resources: nil, writeSite: true, progress: CollectingProgress())
    let record = try #require(outcomes.first?.record)
    #expect(record.mode == "corpus" && record.slug == "license")
    #expect(record.topicSpans >= 20, "the fixture has about 40 occurrences; found \(record.topicSpans)")
    #expect(Set(record.terms.map(\.term)).isSuperset(of: ["license", "licenses"]))
    let best = try #require(record.features.first)
    #expect(best.topicRate > best.neutralRate + 0.3, "best feature fires on \(best.topicRate) of topic spans, \(best.neutralRate) of neutral")
    #expect(record.features.map(\.score) == record.features.map(\.score).sorted(by: >))
    // Each feature is named as the atlas names it to a reader (its description, else unclear), never by a
    // corpus-source pattern label such as "licenses context".
    let summaries = try FeaturesStage.readRecords(atlas, summary: true).1
    for f in record.features { #expect(f.label == summaries[f.feature].displayName) }
    // Its evidence is text about the topic: each strip holds a form of the word where the feature fires.
    for window in best.evidence {
      let firing = zip(window.tokens, window.activations).filter { $0.1 > 0 }.map(\.0).joined()
      #expect(window.tokens.joined().lowercased().contains("licen"), "\(window.tokens.joined())")
      #expect(!firing.isEmpty)
    }

    // Deterministic: a second probe gives the same record, byte for byte.
    let again = try TopicProbe(atlas: atlas, configuration: configuration).probe(topic: "license")
    #expect(try CanonicalJSON.encode(again) == CanonicalJSON.encode(record))

    // Example texts run through the real model: the licence features come back.
    let examples = atlas.root.appendingPathComponent("examples.txt")
    try """
      This software is licensed under a permissive open source license.
      You may not use this file except in compliance with the License.
      The licensor grants you a perpetual, worldwide, royalty-free license to reproduce the work.
      Each contributor grants a patent license to make, use and sell the work.
      Distributed under the License on an "AS IS" basis, without warranties of any kind.
      See the License for the specific language governing permissions and limitations.
      """.write(to: examples, atomically: true, encoding: .utf8)
    let fromExamples = try ProbeRunner.run(atlas: atlas, configuration: configuration, topics: ["licences (examples)"],
                                           examples: examples, model: nil, resources: nil, writeSite: true,
                                           progress: CollectingProgress())
    let exampleRecord = try #require(fromExamples.first?.record)
    #expect(exampleRecord.mode == "examples" && exampleRecord.topicSpans >= 20)
    let shared = Set(exampleRecord.features.map(\.feature)).intersection(record.features.map(\.feature))
    #expect(!shared.isEmpty, "examples found \(exampleRecord.features.map(\.feature)), corpus words \(record.features.map(\.feature))")

    // Pages: one per topic, an index, and the search data; each page well-formed, linking the best feature.
    let page = try Data(contentsOf: atlas.site.appendingPathComponent("topics/license.html"))
    #expect(EndToEnd.xmlProblem(page, name: "topics/license.html") == nil)
    let html = String(decoding: page, as: UTF8.self)
    let naming = "f" + String(repeating: "0", count: max(0, 3 - String(best.feature).count)) + String(best.feature)
    #expect(html.contains("../features/\(naming).html"), "no link to the best feature \(naming)")
    let index = try Data(contentsOf: atlas.site.appendingPathComponent("topics/index.html"))
    #expect(EndToEnd.xmlProblem(index, name: "topics/index.html") == nil)
    #expect(String(decoding: index, as: UTF8.self).contains("licences-examples.html"))
    let search = try String(contentsOf: atlas.site.appendingPathComponent("data/topics.js"), encoding: .utf8)
    #expect(search.hasPrefix("FA.topics([") && search.contains("\"licenses\""))

    // A re-render keeps the topic pages (they are rendered from topics/*.json).
    _ = try RenderStage.run(atlas: atlas, resources: nil, progress: CollectingProgress())
    #expect(try Data(contentsOf: atlas.site.appendingPathComponent("topics/license.html")) == page)

    // A word the corpus never uses is a clear error.
    #expect(throws: ProbeError.self) { try TopicProbe(atlas: atlas, configuration: configuration).probe(topic: "zebra") }
  }
}
