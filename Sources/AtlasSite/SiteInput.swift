import AtlasArtifacts
import Dispatch
import Foundation

/// What a feature page needs to know about every other feature (for links, search and the map).
struct FeatureSummary: Sendable {
  struct Label: Sendable { var text: String; var contradicted: Bool }
  struct Token: Sendable { var token: String }
  var index: Int
  var density: Double
  var maxActivation: Float
  var flags: [FeatureFlag]
  var label: Label
  var topTokens: [Token]
  var neighbours: [Int]             // first decoder neighbours (full space), for lines on the map
  var evidence: LabelEvidence?      // the held-out test of the name shown (description, else pattern label)
  var overSource: String?           // corpus source where it is most over-represented (CorpusSources)
}

extension FeatureSummary {
  init(_ r: FeatureRecord, sources: CorpusSources) {
    self.init(index: r.index, density: r.density, maxActivation: r.maxActivation, flags: r.flags,
              label: Label(text: r.displayName, contradicted: r.displayNameUnsupported),
              topTokens: r.topTokens.map { Token(token: $0.token) },
              neighbours: r.decoderNeighbours.prefix(5).map(\.feature),
              evidence: r.description != nil ? r.description?.evidence : r.label.evidence,
              overSource: sources.overRepresented(r.sourceShares)?.name ?? r.dominantSource)
  }
}

/// Everything the renderer reads from an atlas directory except the per-feature evidence, which is read
/// shard by shard while pages are written. Rendering reads artifacts only: never the model or the SAE.
struct SiteInput: Sendable {
  let atlas: AtlasDirectory
  let record: AtlasRecord
  let training: SAETrainingRecord?          // absent for an SAE loaded without training metrics
  let features: FeaturesManifest
  let layout: LayoutManifest
  let hierarchy: ClusterHierarchyRecord
  let steering: SteeringRecord?
  let summaries: [FeatureSummary]           // [features], by index
  let map: MapGeometry
  let naming: Naming
  let topics: [TopicRecord]                 // probed topics (`topics/*.json`), by slug
  let sources: CorpusSources                // text shares and plain-words descriptions of the corpus sources

  static func read(_ atlas: AtlasDirectory) throws -> SiteInput {
    let record = try AtlasRecord.read(from: atlas.atlasRecord)
    let training = FileManager.default.fileExists(atPath: atlas.saeTraining.path)
      ? try SAETrainingRecord.read(from: atlas.saeTraining) : nil
    let features = try FeaturesManifest.read(from: atlas.featuresManifest)
    let layout = try LayoutManifest.read(from: atlas.layoutManifest)
    let hierarchy = try CanonicalJSON.read(ClusterHierarchyRecord.self, from: atlas.layoutClusters)
    let steering = FileManager.default.fileExists(atPath: atlas.steeringRecord.path)
      ? try SteeringRecord.read(from: atlas.steeringRecord) : nil

    let sources = CorpusSources(record.corpus)
    let summaries = try readSummaries(atlas, manifest: features, sources: sources)
    let n = features.features
    let positions = try LayoutPositions.read(atlas, hierarchy: hierarchy, features: n)
    let map = MapGeometry(x: positions.x, y: positions.y, assignment: positions.assignment)
    return SiteInput(atlas: atlas, record: record, training: training, features: features, layout: layout,
                     hierarchy: hierarchy, steering: steering, summaries: summaries, map: map,
                     naming: Naming(features: n), topics: try atlas.readTopicRecords(), sources: sources)
  }

  /// Pass 1 over the shards' summaries files (in parallel): labels, densities and top tokens of every feature.
  private static func readSummaries(_ atlas: AtlasDirectory, manifest: FeaturesManifest,
                                    sources: CorpusSources) throws -> [FeatureSummary] {
    let shards = manifest.shards
    let results = ShardResults<[FeatureSummary]>(count: shards)
    DispatchQueue.concurrentPerform(iterations: shards) { s in
      results.set(s) {
        try ShardDecoder.read(atlas, shard: s, detail: .summary).records.map { FeatureSummary($0, sources: sources) }
      }
    }
    var summaries: [FeatureSummary] = []
    summaries.reserveCapacity(manifest.features)
    for s in 0 ..< shards { summaries += try results.get(s) }
    guard summaries.count == manifest.features else {
      throw SiteError.inconsistentArtifacts("features/manifest.json lists \(manifest.features) features, the shards hold \(summaries.count)")
    }
    for (i, summary) in summaries.enumerated() where summary.index != i {
      throw SiteError.inconsistentArtifacts("feature record \(summary.index) is at position \(i) of the shards; shards must hold features in order")
    }
    return summaries
  }

  /// Reads one shard with all its evidence, example windows included (pass 2, while pages are written).
  func shard(_ s: Int) throws -> FeatureShard { try ShardDecoder.read(atlas, shard: s) }

  var levels: Int { hierarchy.levels.count }

  func cluster(level: Int, id: Int) -> ClusterRecord? {
    guard level >= 0, level < hierarchy.levels.count, id >= 0, id < hierarchy.levels[level].clusters.count else { return nil }
    return hierarchy.levels[level].clusters[id]
  }
}

/// Results of parallel work, one slot per task; errors are kept and rethrown in order (also the briefing's).
package final class ShardResults<T>: @unchecked Sendable {
  private var slots: [Result<T, Error>?]
  private let lock = NSLock()
  package init(count: Int) { slots = Array(repeating: nil, count: count) }
  package func set(_ i: Int, _ body: () throws -> T) {
    let result = Result { try body() }
    lock.withLock { slots[i] = result }
  }
  package func get(_ i: Int) throws -> T {
    guard let result = lock.withLock({ slots[i] }) else {
      throw SiteError.inconsistentArtifacts("internal: task \(i) produced no result")
    }
    return try result.get()
  }
}

/// File names and display ids: `f00042` (zero-padded to the width of the largest index), cluster
/// pages `clusters/<level>-<id>.html`.
package struct Naming: Sendable {
  package let width: Int
  package init(features: Int) { width = max(1, String(max(0, features - 1)).count) }

  package func id(_ feature: Int) -> String {
    let digits = String(feature)
    return "f" + String(repeating: "0", count: max(0, width - digits.count)) + digits
  }
  package func featureFile(_ feature: Int) -> String { id(feature) + ".html" }
  package func clusterFile(level: Int, id: Int, page: Int = 1) -> String {
    page <= 1 ? "\(level)-\(id).html" : "\(level)-\(id)-p\(page).html"
  }
}
