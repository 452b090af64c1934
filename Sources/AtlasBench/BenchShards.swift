import ArgumentParser
import AtlasArtifacts
import Foundation

/// `atlas-bench shards --atlas DIR`: how long reading an atlas's feature records takes, per file kind
/// (summaries, examples) and per decoder (`JSONDecoder` through `Codable`, and the hand-written
/// `ShardDecoder` that the stages use), on one core, files already in the page cache. The figures decide
/// where the hand-written reader is kept.
struct BenchShards: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "shards",
    abstract: "Feature-record reads: summaries and examples files, JSONDecoder vs the fast reader.")

  @Option(help: ArgumentHelp("A built atlas directory.", valueName: "dir")) var atlas = "atlas"
  @Option(help: "Repetitions; the best is reported.") var repeats = 3

  func run() throws {
    let atlas = AtlasDirectory(URL(fileURLWithPath: self.atlas))
    let manifest = try FeaturesManifest.read(from: atlas.featuresManifest)
    let summaries = try (0 ..< manifest.shards).map { try Data(contentsOf: atlas.featureSummaries($0)) }
    let examples = try (0 ..< manifest.shards).map { try Data(contentsOf: atlas.featureExamples($0)) }
    let mb = { (files: [Data]) in Double(files.reduce(0) { $0 + $1.count }) / 1e6 }
    print("atlas \(atlas.root.path): \(manifest.features) features in \(manifest.shards) shards; \(BenchMachine.cpu()); "
      + BenchMachine.load())
    print(String(format: "summaries files %.1f MB, examples files %.1f MB", mb(summaries), mb(examples)))
    print("file        decoder          seconds    MB/s  (best of \(repeats), one core)")
    let rows: [(String, String, [Data], (Data) throws -> Int)] = [
      ("summaries", "JSONDecoder", summaries, { try CanonicalJSON.decode(FeatureSummaryShard.self, from: $0).records.count }),
      ("summaries", "fast reader", summaries, { try ShardDecoder.fastSummaries($0).records.count }),
      ("examples", "JSONDecoder", examples, { try CanonicalJSON.decode(FeatureExampleShard.self, from: $0).records.count }),
      ("examples", "fast reader", examples, { try ShardDecoder.fastExamples($0).records.count }),
      ("examples", "fast, top only", examples, { try ShardDecoder.fastExamples($0, detail: .topExamples).records.count }),
    ]
    for (file, decoder, files, decode) in rows {
      var best = Double.infinity
      for _ in 0 ..< max(1, repeats) {
        let t0 = Date()
        var records = 0
        for data in files { records += try decode(data) }
        guard records == manifest.features else { throw ValidationError("\(file) files hold \(records) records, expected \(manifest.features)") }
        best = min(best, Date().timeIntervalSince(t0))
      }
      print(file.padding(toLength: 12, withPad: " ", startingAt: 0) + decoder.padding(toLength: 16, withPad: " ", startingAt: 0)
        + String(format: "%8.2f %7.0f", best, mb(files) / best))
    }
  }
}
