import ArgumentParser
import AtlasArtifacts
import AtlasBriefing
import AtlasPipeline
import Foundation

extension PageSize: ExpressibleByArgument {}

extension FeatureAtlasCommand {
  struct Brief: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Write a briefing for policymakers: one self-contained HTML file and a PDF (no model needed).",
      discussion: """
        Reads the atlas's artifacts and writes <atlas>/briefing/briefing.html (CSS and figures inline, no
        script, opens offline) and briefing.pdf, printed by headless Chromium with its dates set to the
        atlas's build time, so the same atlas always gives the same bytes. --topic picks the features of the
        "brain scan" map (repeatable); the `briefing:` section of atlas.yaml sets title, organisation,
        author, date, topics, features, page size and text overrides.
        """)

    @OptionGroup var atlasOptions: AtlasOptions
    @Option(name: .long, help: "A topic word for the brain-scan map (repeatable); default: briefing.topics, else the most coherent cluster.")
    var topic: [String] = []
    @Option(name: .long, help: "Write briefing.html and briefing.pdf here instead of <atlas>/briefing.")
    var out: String?
    @Option(name: .long, help: "A YAML configuration whose `briefing:` section applies (see `feature-atlas init`).")
    var config: String?
    @Option(name: .long, help: "Paper size of the PDF: a4 or letter.")
    var page: PageSize?
    @Option(name: .long, help: "Resources folder holding templates/ (default: FEATURE_ATLAS_RESOURCES, else this checkout's).")
    var resources: String?
    @Flag(name: .customLong("no-pdf"), help: "Write only the HTML.")
    var noPDF = false

    func run() throws {
      let progress = TerminalProgress()
      let report = try BriefStage.run(
        BriefStage.Options(atlas: atlasOptions.directory, output: out.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) },
                           topics: topic, configurationFile: config.map { URL(fileURLWithPath: $0) }, page: page,
                           resources: resources.map { URL(fileURLWithPath: $0) }, pdf: !noPDF),
        progress: progress)
      if !report.unmatchedTopics.isEmpty {
        progress.log("no feature matched \(report.unmatchedTopics.map { "'\($0)'" }.joined(separator: ", "))")
      }
      let atlas = atlasOptions.directory
      let unprobed = topic.filter {
        !FileManager.default.fileExists(atPath: atlas.topics.appendingPathComponent(TopicRecord.slug($0) + ".json").path)
      }
      if !unprobed.isEmpty {
        progress.log("the scan of \(unprobed.map { "'\($0)'" }.joined(separator: ", ")) matched labels and top words only; for features measured on text about it, run `feature-atlas probe --atlas \(atlas.root.path) --topic \(unprobed[0])` first")
      }
      progress.log("brain scan: \(report.topic), \(report.topicFeatures) features")
      progress.log("wrote \(report.html.path) (\(Format.bytes(report.htmlBytes)))")
      if let pdf = report.pdf {
        progress.log("wrote \(pdf.path) (\(report.pdfPages) pages, printed in \(String(format: "%.1f", report.printSeconds)) s)")
      } else if let problem = report.pdfProblem {
        progress.log("no PDF: \(problem)")
      }
      progress.log(String(format: "briefing done in %.1f s", report.seconds))
    }
  }
}
