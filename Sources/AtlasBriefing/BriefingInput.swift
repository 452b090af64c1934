import AtlasArtifacts
import AtlasSite
import Dispatch
import Foundation

/// What the briefing reads from an atlas directory: its records, every feature's summary (labels,
/// statistics, tokens, neighbours; example windows skipped unread) and the map. Full records, with their
/// examples, are read afterwards only for the handful of features the briefing shows.
/// Reads artifacts only: never the model or the SAE weights.
package struct BriefingInput: Sendable {
  package let atlas: AtlasDirectory
  package let record: AtlasRecord
  package let training: SAETrainingRecord?        // absent for an SAE loaded without training metrics
  package let features: FeaturesManifest
  package let hierarchy: ClusterHierarchyRecord
  package let steering: SteeringRecord?
  package let summaries: [FeatureRecord]           // [features], by index, without example windows
  package let map: MapGeometry
  package let naming: Naming
  package let probes: [TopicRecord]               // topics measured by `feature-atlas probe`, if any

  package static func read(_ atlas: AtlasDirectory) throws -> BriefingInput {
    let record = try AtlasRecord.read(from: atlas.atlasRecord)
    let training = FileManager.default.fileExists(atPath: atlas.saeTraining.path)
      ? try SAETrainingRecord.read(from: atlas.saeTraining) : nil
    let features = try FeaturesManifest.read(from: atlas.featuresManifest)
    _ = try LayoutManifest.read(from: atlas.layoutManifest)   // header check: kind and format version
    let hierarchy = try CanonicalJSON.read(ClusterHierarchyRecord.self, from: atlas.layoutClusters)
    let steering = FileManager.default.fileExists(atPath: atlas.steeringRecord.path)
      ? try SteeringRecord.read(from: atlas.steeringRecord) : nil

    let summaries = try readSummaries(atlas, manifest: features)
    let n = features.features
    let layout = try LayoutPositions.read(atlas, hierarchy: hierarchy, features: n)
    return BriefingInput(atlas: atlas, record: record, training: training, features: features, hierarchy: hierarchy,
                         steering: steering, summaries: summaries,
                         map: MapGeometry(x: layout.x, y: layout.y, assignment: layout.assignment),
                         naming: Naming(features: n), probes: try atlas.readTopicRecords())
  }

  /// Every feature's record without its example windows, shards read in parallel.
  private static func readSummaries(_ atlas: AtlasDirectory, manifest: FeaturesManifest) throws -> [FeatureRecord] {
    let shards = manifest.shards
    let results = ShardResults<[FeatureRecord]>(count: shards)
    DispatchQueue.concurrentPerform(iterations: shards) { s in
      results.set(s) { try ShardDecoder.read(atlas, shard: s, detail: .summary).records }
    }
    var summaries: [FeatureRecord] = []
    summaries.reserveCapacity(manifest.features)
    for s in 0 ..< shards { summaries += try results.get(s) }
    guard summaries.count == manifest.features else {
      throw BriefingError.inconsistentArtifacts(
        "features/manifest.json lists \(manifest.features) features, the shards hold \(summaries.count)",
        fix: "run `feature-atlas analyze --atlas \(atlas.root.path) --force` again")
    }
    for (i, summary) in summaries.enumerated() where summary.index != i {
      throw BriefingError.inconsistentArtifacts(
        "feature record \(summary.index) is at position \(i) of the shards; shards must hold features in order",
        fix: "run `feature-atlas analyze --atlas \(atlas.root.path) --force` again")
    }
    return summaries
  }

  /// Full records (examples included) of `indices`, reading only the shards that hold them.
  package func fullRecords(_ indices: [Int]) throws -> [Int: FeatureRecord] {
    let per = max(1, features.featuresPerShard)
    var out: [Int: FeatureRecord] = [:]
    for shard in Set(indices.filter { $0 >= 0 && $0 < summaries.count }.map { $0 / per }).sorted() {
      for r in try ShardDecoder.read(atlas, shard: shard, detail: .full).records where indices.contains(r.index) {
        out[r.index] = r
      }
    }
    return out
  }

  var count: Int { summaries.count }

  /// The cluster record of `feature` at `level`, if it has one.
  func cluster(of feature: Int, level: Int) -> ClusterRecord? {
    guard level >= 0, level < hierarchy.levels.count, feature >= 0, feature < map.assignment[level].count else { return nil }
    let id = map.assignment[level][feature]
    let clusters = hierarchy.levels[level].clusters
    return id >= 0 && id < clusters.count ? clusters[id] : nil
  }
}

/// What can go wrong while building a briefing: what was expected, what was found, what to do.
public enum BriefingError: Error, CustomStringConvertible, Equatable {
  case inconsistentArtifacts(String, fix: String)
  case missingTemplate(path: String)
  case invalidTemplate(path: String, reason: String)
  case unknownFeature(Int, features: Int)

  public var description: String {
    switch self {
    case .inconsistentArtifacts(let what, let fix):
      "the atlas's artifacts disagree: \(what); \(fix)"
    case .missingTemplate(let path):
      "the briefing template was not found at \(path); pass --resources DIR (a folder holding templates/briefing.mustache) or set FEATURE_ATLAS_RESOURCES"
    case .invalidTemplate(let path, let reason):
      "the briefing template \(path) does not parse: \(reason)"
    case .unknownFeature(let feature, let features):
      "briefing.features names feature \(feature), but this atlas has features 0 to \(features - 1); fix the list in the configuration"
    }
  }
}
