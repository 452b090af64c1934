import ArgumentParser
import AtlasArtifacts
import AtlasPipeline
import Foundation

extension FeatureAtlasCommand {
  struct Probe: ParsableCommand, ResolvesConfiguration {
    static let configuration = CommandConfiguration(
      abstract: "Topic search: rank features by how much more they fire on text about a topic than on neutral text.",
      discussion: """
        With --topic WORD (or a phrase), the topic text is the atlas's own corpus windows at each occurrence of the
        words and their forms (plural, -ing, -ed, capitalised), from the stored activations; neutral text is a seeded
        sample of windows without them. With --examples FILE (one text per line, or per paragraph when the file has
        blank lines), the model runs on the texts at the atlas's hook point. Writes <atlas>/topics/<slug>.json and,
        when the atlas has a site, site/topics/<slug>.html. --configured probes the topics listed under probe.topics.
        """)

    @OptionGroup var atlasOptions: AtlasOptions
    @OptionGroup var configurationOptions: ConfigurationOptions
    @OptionGroup var modelOptions: ModelOptions
    @Option(name: .long, help: "A topic: a word or phrase (repeatable).") var topic: [String] = []
    @Option(name: .long, help: "A file of example texts about the topic (one per line, or per paragraph).") var examples: String?
    @Flag(name: .long, help: "Probe the topics of probe.topics in the configuration.") var configured = false
    @Option(name: .long, help: "Features to keep and print per topic.") var top: Int?
    @Option(name: .long, help: "Tokens after a topic word that count as near it.") var after: Int?
    @Option(name: .long, help: "Seed for the neutral sample.") var seed: UInt64?
    @Flag(name: .long, help: "Print the rankings as JSON on stdout.") var json = false
    @Flag(name: .customLong("no-site"), help: "Do not write topic pages into the site.") var noSite = false

    func validate() throws {
      if topic.isEmpty && !configured && examples == nil {
        throw ValidationError("give --topic WORD, --examples FILE or --configured")
      }
      if examples != nil && (topic.count > 1 || configured) {
        throw ValidationError("--examples describes one topic: give at most one --topic (its name) and no --configured")
      }
      if let top, top <= 0 { throw ValidationError("--top must be positive") }
      if let after, after < 0 { throw ValidationError("--after must be 0 or more") }
    }

    func resolvedConfiguration() throws -> AtlasConfiguration {
      var c = try configurationOptions.configuration(atlas: atlasOptions.directory, reuseSaved: true)
      if let top { c.probe.top = top }
      if let after { c.probe.after = after }
      if let seed { c.probe.seed = seed }
      return c
    }

    func run() throws {
      let atlas = atlasOptions.directory
      let c = try resolvedConfiguration().probe
      let topics = topic + (configured ? c.topics : [])
      guard !topics.isEmpty || examples != nil else {
        throw ValidationError("probe.topics is empty in this atlas's configuration; give --topic WORD")
      }
      let progress = TerminalProgress()
      let outcomes = try ProbeRunner.run(
        atlas: atlas, configuration: c, topics: topics, examples: examples.map { URL(fileURLWithPath: $0) },
        model: modelOptions.model, resources: configurationOptions.resourcesURL, writeSite: !noSite, progress: progress)
      if json {
        let records = outcomes.map(\.record)
        let data = try CanonicalJSON.encode(records)
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
        return
      }
      for outcome in outcomes {
        let r = outcome.record
        print("topic \"\(r.topic)\": \(r.topicSpans) topic spans, \(r.neutralSpans) neutral spans, "
              + String(format: "%.1f s", outcome.seconds) + " → \(outcome.file.path)")
        if !r.related.isEmpty {
          print("  relatives looked for: \(r.related.count) (WordNet kinds and derivations; model embedding when configured), "
                + "e.g. " + r.relativesFoundFirst.prefix(12).joined(separator: ", ") + (r.related.count > 12 ? ", …" : ""))
        }
        if !r.terms.isEmpty {
          print("  words: " + r.terms.prefix(16).map { "\($0.term) ×\($0.occurrences)" }.joined(separator: ", "))
        }
        print("  rank  feature  score  topic%  neutral%  description  [top tokens]")
        for (k, f) in r.features.enumerated() {
          let tokens = f.topTokens.prefix(4).map { $0.replacingOccurrences(of: "\n", with: "⏎") }.joined(separator: " · ")
          print(String(format: "  %4d  %7d  %5.2f  %5.1f%%  %7.2f%%  ", k + 1, f.feature, f.score, 100 * f.topicRate, 100 * f.neutralRate)
                + "\(f.label)  [\(tokens)]")
        }
      }
    }
  }
}
