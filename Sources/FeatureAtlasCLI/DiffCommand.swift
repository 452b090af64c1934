import ArgumentParser
import AtlasArtifacts
import AtlasDiff
import AtlasPipeline
import Foundation

extension FeatureAtlasCommand {
  struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Compare two atlases: matched, changed, split, merged, vanished and new features, on aligned maps.",
      discussion: """
        A and B are atlas directories. On the same model width and hook point, features are paired one-to-one by
        decoder cosine (≥ 0.7, encoder cosine as the second signal) with an exact optimal assignment; splits and
        merges are groups confirmed by non-negative least squares. On different hook points, layers or widths they
        are paired by the correlation of their activations (≥ 0.7) on A's held-out windows, encoded by both SAEs
        (B's activations from a capture holding those windows, else from a run of B's model).
        Writes D/diff.json and the site D/site/index.html.
        """)

    @Argument(help: "The first atlas directory (A).") var a: String
    @Argument(help: "The second atlas directory (B).") var b: String
    @Option(name: .long, help: "Output directory D (receives diff.json and site/).") var out: String
    @Flag(name: .long, help: "Print diff.json's summary (JSON) on stdout instead of the plain-words report.") var json = false
    @Option(name: .long, help: "Decoder cosine a one-to-one pair needs (default 0.7).") var threshold: Double?
    @Option(name: .customLong("match-by"),
            help: "What features are compared by: automatic (directions when the hook point and width agree, else activations), directions, activations.")
    var matchBy: DiffConfiguration.MatchBasis = .automatic
    @Option(name: .customLong("correlation-threshold"), help: "Activation correlation a one-to-one pair needs when matching by activations (default 0.7).")
    var correlationThreshold: Double?
    @Option(name: .customLong("correlation-tokens"), help: "Shared tokens (A's held-out windows) the correlations are computed on (default 32768).")
    var correlationTokens: Int?
    @Option(name: .customLong("substitution-tokens"), help: "Held-out activation rows of A for the substitution check (0: off; default 4096).")
    var substitutionTokens: Int?
    @Option(name: .long, help: "Site resources folder holding templates/ and site/ (default: FEATURE_ATLAS_RESOURCES, else this checkout's).")
    var resources: String?
    @Flag(name: .customLong("no-site"), help: "Write diff.json only.") var noSite = false

    func validate() throws {
      if let threshold, !(threshold > 0 && threshold <= 1) { throw ValidationError("--threshold must be in (0, 1], found \(threshold)") }
      if let substitutionTokens, substitutionTokens < 0 { throw ValidationError("--substitution-tokens must not be negative") }
      if let correlationThreshold, !(correlationThreshold > 0 && correlationThreshold <= 1) {
        throw ValidationError("--correlation-threshold must be in (0, 1], found \(correlationThreshold)")
      }
      if let correlationTokens, correlationTokens < 2 { throw ValidationError("--correlation-tokens must be at least 2, found \(correlationTokens)") }
    }

    func run() throws {
      var configuration = DiffConfiguration()
      if let threshold { configuration.matchThreshold = threshold }
      if let substitutionTokens { configuration.substitutionTokens = substitutionTokens }
      configuration.matchBy = matchBy
      if let correlationThreshold { configuration.correlationThreshold = correlationThreshold }
      if let correlationTokens { configuration.correlationTokens = correlationTokens }
      let progress = TerminalProgress()
      let started = Date()
      let outURL = URL(fileURLWithPath: out)
      let outcome = try DiffStage(configuration: configuration, progress: progress)
        .run(a: URL(fileURLWithPath: a), b: URL(fileURLWithPath: b), out: outURL,
             site: noSite ? nil : DiffStage.SiteRequest(resources: resources.map { URL(fileURLWithPath: $0) }))
      let record = outcome.record
      if json {
        let data = try CanonicalJSON.encode(record.summary)
        FileHandle.standardOutput.write(data)
        return
      }
      print(record.summary.sentence)
      print("diff.json: \(outURL.appendingPathComponent("diff.json").path)")
      if !noSite { print("site: \(outURL.appendingPathComponent("site/index.html").path)") }
      print(String(format: "%.1f s", Date().timeIntervalSince(started)))
    }
  }
}

extension DiffConfiguration.MatchBasis: ExpressibleByArgument {}
