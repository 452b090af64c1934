import AtlasArtifacts
import AtlasSite
import Foundation

/// `feature-atlas probe`: probes topics, writes `topics/<slug>.json` and the topic pages of the site.
public enum ProbeRunner {
  public struct Outcome: Sendable {
    public var record: TopicRecord
    public var file: URL
    public var seconds: Double
  }

  /// Probes each topic (from the corpus words, or from `examples` when given: then exactly one topic),
  /// writes the records, and, when the atlas has a site and `writeSite` is set, its topic pages.
  public static func run(atlas: AtlasDirectory, configuration: ProbeConfiguration, topics: [String], examples: URL?,
                         model: String?, resources: URL?, writeSite: Bool, progress: any ProgressSink) throws -> [Outcome] {
    let t0 = Date()
    // Topic records and pages are written into the atlas: one writer at a time, as for every stage.
    let lock = try AtlasLock(atlas: atlas, command: "feature-atlas probe")
    defer { withExtendedLifetime(lock) {} }
    let probe = try TopicProbe(atlas: atlas, configuration: configuration, model: model)
    progress.log(String(format: "loaded the atlas's SAE, activations and features in %.1f s", Date().timeIntervalSince(t0)))
    var outcomes: [Outcome] = []
    if let examples {
      let (texts, digest) = try readExamples(examples)
      let t1 = Date()
      let loaded = try LoadedModel.load(probe.modelURL, maxPositions: probe.windowLength)
      let topic = topics.first ?? examples.deletingPathExtension().lastPathComponent
      let record = try probe.probe(topic: topic, examples: texts, model: loaded.language, examplesDigest: digest)
      outcomes.append(try write(record, atlas: atlas, seconds: Date().timeIntervalSince(t1)))
    } else {
      for topic in topics {
        let t1 = Date()
        do {
          let record = try probe.probe(topic: topic)
          outcomes.append(try write(record, atlas: atlas, seconds: Date().timeIntervalSince(t1)))
        } catch let error as ProbeError where topics.count > 1 {
          // One topic the corpus never mentions does not stop the others.
          progress.log("topic \"\(topic)\" skipped: \(error)")
        }
      }
    }
    if writeSite, FileManager.default.fileExists(atPath: atlas.siteIndex.path) {
      let pages = try SiteRenderer(resources: try SiteResources.locate(explicit: resources)).renderTopics(atlas: atlas)
      progress.log("wrote \(pages) topic pages to \(atlas.site.appendingPathComponent("topics").path)")
    }
    return outcomes
  }

  static func write(_ record: TopicRecord, atlas: AtlasDirectory, seconds: Double) throws -> Outcome {
    let url = atlas.topicRecord(record.slug)
    try FileManager.default.createDirectory(at: atlas.topics, withIntermediateDirectories: true)
    try record.write(to: url)
    return Outcome(record: record, file: url, seconds: seconds)
  }

  /// Example texts: one per paragraph when the file has blank lines, else one per line. Also its digest.
  public static func readExamples(_ url: URL) throws -> ([String], String) {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw ProbeError.unreadableExamples(path: url.path, reason: "\(error.localizedDescription)")
    }
    let text = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
    let lines = text.components(separatedBy: "\n")
    let hasParagraphs = lines.contains { $0.trimmingCharacters(in: .whitespaces).isEmpty }
      && lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.count > 1
      && text.contains("\n\n")
    let texts = (hasParagraphs ? text.components(separatedBy: "\n\n") : lines)
      .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
      .filter { !$0.isEmpty }
    guard !texts.isEmpty else { throw ProbeError.noExamples(path: url.path) }
    return (texts, SHA256.hex(data))
  }
}
