import AtlasArtifacts
import AtlasDiff
import AtlasSite
import Foundation
import SparseAutoencoders
import TensorMath

/// `feature-atlas diff A B --out D`: reads both atlases' artifacts (SAE weights through the SAELens
/// reader, feature records, map), matches them in AtlasDiff and writes `D/diff.json`, then the site.
/// Never loads the model.
public struct DiffStage {
  public var configuration: DiffConfiguration
  public var progress: any ProgressSink
  public init(configuration: DiffConfiguration = DiffConfiguration(), progress: any ProgressSink) {
    self.configuration = configuration; self.progress = progress
  }

  /// What `run` produced, with its timings.
  public struct Outcome: Sendable {
    public var record: DiffRecord
    public var seconds: [String: Double]   // "load", "match", "substitution", "write"
  }

  /// Everything loaded from one atlas.
  struct Loaded {
    var side: DiffSide
    var autoencoder: SparseAutoencoder
    var atlas: AtlasDirectory
  }

  /// Where the site's templates and assets come from (nil: the default search, as for `render`).
  public struct SiteRequest: Sendable {
    public var resources: URL?
    public init(resources: URL? = nil) { self.resources = resources }
  }

  public func run(a: URL, b: URL, out: URL, site: SiteRequest? = SiteRequest()) throws -> Outcome {
    var seconds: [String: Double] = [:]
    var t0 = Date()
    let (la, lb) = (try load(a, name: "A"), try load(b, name: "B"))
    seconds["load"] = Date().timeIntervalSince(t0)
    // Decide, before reading activations, what the features are compared by (refusing early when
    // directions are asked for and cannot be compared).
    let differ = AtlasDiffer(configuration: configuration)
    let byDirections = try differ.comparesDirections(a: la.side, b: lb.side)

    t0 = Date()
    var substitution: SubstitutionInput?
    var shared: AtlasDiffer.SharedCodes?
    if byDirections {
      substitution = try substitutionInput(la, lb)
      seconds["substitutionInput"] = Date().timeIntervalSince(t0)
    } else {
      progress.log("diff: comparing features by activation correlation (\(la.side.identity.hookPoint) vs \(lb.side.identity.hookPoint))")
      shared = try DiffSharedTokens(progress: progress).codes(la, lb, tokens: configuration.correlationTokens)
      seconds["sharedTokens"] = Date().timeIntervalSince(t0)
    }
    t0 = Date()
    progress.log("diff: matching \(la.side.latents) × \(lb.side.latents) features")
    let record = try differ.diff(a: la.side, b: lb.side, substitution: substitution, shared: shared)
    seconds["match"] = Date().timeIntervalSince(t0)

    t0 = Date()
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    try record.write(to: out.appendingPathComponent("diff.json"))
    seconds["write"] = Date().timeIntervalSince(t0)
    if let site {
      t0 = Date()
      let renderer = DiffSiteRenderer(resources: try SiteResources.locate(explicit: site.resources))
      let report = try renderer.render(diff: record, a: a, b: b, output: out)
      seconds["site"] = Date().timeIntervalSince(t0)
      progress.log("diff: site \(report.pages) pages, \(report.bytes / 1024) kB")
    }
    return Outcome(record: record, seconds: seconds)
  }

  /// Reads one atlas: atlas.json, the SAE, and (when present) training metrics, features and layout.
  func load(_ url: URL, name: String) throws -> Loaded {
    let atlas = AtlasDirectory(url)
    let fm = FileManager.default
    guard fm.fileExists(atPath: atlas.atlasRecord.path) else {
      throw PipelineError.missingInput(what: "atlas \(name) (\(url.path))", path: atlas.atlasRecord.path,
                                       fix: "give an atlas directory built by `feature-atlas build` (it holds atlas.json)")
    }
    let record = try AtlasRecord.read(from: atlas.atlasRecord)
    guard fm.fileExists(atPath: atlas.saeWeights.path), fm.fileExists(atPath: atlas.saeConfig.path) else {
      throw PipelineError.missingInput(what: "atlas \(name)'s SAE", path: atlas.saeWeights.path,
                                       fix: "run `feature-atlas train --atlas \(url.path)` first")
    }
    let sae = try SAELensFormat.decode(cfg: Data(contentsOf: atlas.saeConfig),
                                       weights: Data(contentsOf: atlas.saeWeights, options: .alwaysMapped),
                                       expectedDIn: record.model.dModel).autoencoder
    let training = fm.fileExists(atPath: atlas.saeTraining.path) ? try SAETrainingRecord.read(from: atlas.saeTraining) : nil
    var features: [DiffFeatureFacts]?
    var featuresManifest: FeaturesManifest?
    if fm.fileExists(atPath: atlas.featuresManifest.path) {
      let (manifest, records) = try FeaturesStage.readRecords(atlas, summary: true)
      guard records.count == sae.dSAE else {
        throw PipelineError.mismatch("atlas \(name): features/ describes \(records.count) features but the SAE has \(sae.dSAE) latents; re-run `feature-atlas analyze --atlas \(url.path)`")
      }
      features = records.map(DiffFeatureFacts.init)
      featuresManifest = manifest
    }
    var x: [Float]?, y: [Float]?
    var clusters: [DiffClusterLevel] = []
    if fm.fileExists(atPath: atlas.layoutPositions.path), fm.fileExists(atPath: atlas.layoutManifest.path) {
      let manifest = try LayoutManifest.read(from: atlas.layoutManifest)
      let positions = try SafeTensorsFile(url: atlas.layoutPositions)
      let (px, py) = (try positions.floats("x"), try positions.floats("y"))
      if px.count == sae.dSAE, py.count == sae.dSAE { (x, y) = (px, py) }
      let hierarchy = try? CanonicalJSON.read(ClusterHierarchyRecord.self, from: atlas.layoutClusters)
      for (level, levelName) in manifest.levels.enumerated() {
        guard let ids = try? positions.integers("cluster_level_\(level)"), ids.count == sae.dSAE else { continue }
        let labels = hierarchy.flatMap { level < $0.levels.count ? $0.levels[level].clusters.map(\.label) : nil } ?? []
        clusters.append(DiffClusterLevel(name: levelName, ids: ids, labels: labels))
      }
    }
    let identity = DiffSideRecord(path: url.path, title: record.title, modelName: record.model.name, modelSHA256: record.model.sha256,
                                  hookPoint: record.hookPoint, dModel: sae.dIn, latents: sae.dSAE, corpusDigest: record.corpus?.digest,
                                  saeWeightsDigest: training?.weightsDigest)
    let side = DiffSide(identity: identity, decoder: sae.decoder, encoder: sae.encoder, features: features, x: x, y: y, clusters: clusters,
                        record: record, training: training, featuresManifest: featuresManifest)
    return Loaded(side: side, autoencoder: sae, atlas: atlas)
  }

  /// Held-out activations of A (the windows A's capture held out), encoded by both SAEs. Nil when A kept no
  /// activations or the check is turned off.
  func substitutionInput(_ a: Loaded, _ b: Loaded) throws -> SubstitutionInput? {
    let limit = configuration.substitutionTokens
    guard limit > 0, let store = try? ActivationStore(atlas: a.atlas) else {
      progress.log("diff: no activations in A (or substitutionTokens 0): the substitution check is skipped")
      return nil
    }
    let hook = a.side.identity.hookPoint
    var rows: [Float] = []
    var count = 0
    for s in 0 ..< store.shardCount where count < limit {
      let (m, _) = try store.rows(shard: s, hookPoint: hook, heldOut: true)
      let take = min(m.rows, limit - count)
      rows.append(contentsOf: m.storage[0 ..< take * m.columns])
      count += take
    }
    guard count > 1 else { return nil }
    let x = Matrix(rows: count, columns: store.dModel, storage: rows)   // [count, dModel]
    let codesA = a.autoencoder.encode(x), codesB = b.autoencoder.encode(x)
    func tokenCodes(_ c: SparseCodes) -> TokenCodes {
      TokenCodes(latentCount: c.latentCount, rowStart: c.rowStart, latents: c.latents, values: c.values)
    }
    return SubstitutionInput(activations: x, reconstructionA: a.autoencoder.decode(codesA), codesA: tokenCodes(codesA),
                             codesB: tokenCodes(codesB))
  }
}
