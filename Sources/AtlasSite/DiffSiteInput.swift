import AtlasArtifacts
import Dispatch
import Foundation

/// What the diff pages read from one atlas: feature records without example windows, the map, and where
/// its own site's feature pages are (for links).
struct DiffSiteSide: Sendable {
  let atlas: AtlasDirectory
  let title: String
  let records: [FeatureRecord]?      // [latents] by index, with at most `examplesKept` top examples; nil without a features stage
  let x: [Float]?                    // [latents]
  let y: [Float]?                    // [latents]
  let naming: Naming
  let hasSite: Bool                  // <atlas>/site/index.html exists: feature pages can be linked

  /// Top examples kept per feature for the pair pages.
  static let examplesKept = 3

  static func read(_ atlas: AtlasDirectory, latents: Int, name: String) throws -> DiffSiteSide {
    let fm = FileManager.default
    let record = try? AtlasRecord.read(from: atlas.atlasRecord)
    var records: [FeatureRecord]?
    if let manifest = try? FeaturesManifest.read(from: atlas.featuresManifest) {
      let results = ShardResults<FeatureShard>(count: manifest.shards)
      DispatchQueue.concurrentPerform(iterations: manifest.shards) { s in
        results.set(s) {
          var shard = try ShardDecoder.read(atlas, shard: s, detail: .topExamples)
          for k in shard.records.indices { shard.records[k].topExamples = Array(shard.records[k].topExamples.prefix(examplesKept)) }
          return shard
        }
      }
      var all: [FeatureRecord] = []
      for s in 0 ..< manifest.shards { all += try results.get(s).records }
      guard all.count == latents else {
        throw SiteError.inconsistentArtifacts("atlas \(name) has \(all.count) feature records, diff.json says \(latents) latents; run `feature-atlas diff` again")
      }
      records = all
    }
    var x: [Float]?, y: [Float]?
    if let positions = try? SafeTensorsFile(url: atlas.layoutPositions), let px = try? positions.floats("x"), let py = try? positions.floats("y"),
      px.count == latents, py.count == latents {
      (x, y) = (px, py)
    }
    return DiffSiteSide(atlas: atlas, title: record?.title ?? atlas.root.lastPathComponent, records: records, x: x, y: y,
                        naming: Naming(features: latents), hasSite: fm.fileExists(atPath: atlas.siteIndex.path))
  }

  func label(_ i: Int) -> String {
    guard let records, i >= 0, i < records.count else { return "" }
    return Markup.displayable(records[i].label.text)
  }

  /// The relative link from a page in `pageDirectory` to this atlas's page for feature i, or nil.
  func featureLink(_ i: Int, from pageDirectory: URL) -> String? {
    guard hasSite else { return nil }
    let target = atlas.site.appendingPathComponent("features").appendingPathComponent(naming.featureFile(i))
    return DiffSiteSide.relativePath(from: pageDirectory, to: target)
  }

  /// `to` relative to the directory `from` ("../../runs/a/site/features/f01.html").
  static func relativePath(from directory: URL, to target: URL) -> String {
    let from = directory.standardizedFileURL.resolvingSymlinksInPath().pathComponents
    let to = target.deletingLastPathComponent().standardizedFileURL.resolvingSymlinksInPath().pathComponents + [target.lastPathComponent]
    var common = 0
    while common < from.count, common < to.count - 1, from[common] == to[common] { common += 1 }
    let ups = Array(repeating: "..", count: from.count - common)
    return (ups + to[common...]).joined(separator: "/")
  }
}
