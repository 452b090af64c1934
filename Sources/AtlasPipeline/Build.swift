import AtlasArtifacts
import Foundation
import Llama
import SparseAutoencoders

/// The stages of a build, in order.
public enum StageName: String, CaseIterable, Codable, Sendable, Comparable {
  case capture, train, features, layout, steer, render

  public static func < (a: StageName, b: StageName) -> Bool {
    allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
  }

  var title: String {
    switch self {
    case .capture: "capture activations"
    case .train: "train sparse autoencoder"
    case .features: "analyse features"
    case .layout: "map and clusters"
    case .steer: "steering experiments"
    case .render: "render site"
    }
  }
}

/// What a build reports at the end (`--json` prints it).
public struct BuildSummary: Codable, Sendable {
  public var atlas: String
  public var index: String?
  public var stages: [StageRecord]
  public var metrics: [String: Double]
  public var seconds: Double
}

/// Runs the stages in order; a stage whose fingerprint (parameters + input digests) matches what its
/// artifact records is skipped. `force` redoes that stage and every later one. Each stage writes its
/// artifacts to temporary names and its manifest last, so a killed build never leaves a manifest that
/// vouches for half-written data: the rerun redoes (or, for capture and training, resumes) that stage.
public struct AtlasBuild {
  public var configuration: AtlasConfiguration
  public var atlas: AtlasDirectory
  public var progress: any ProgressSink
  public var force: StageName?
  public var stages: [StageName]
  /// Site resources (templates/, site/); nil finds them (flag, environment, package checkout).
  public var resources: URL?

  public init(configuration: AtlasConfiguration, atlas: AtlasDirectory, progress: any ProgressSink,
              force: StageName? = nil, stages: [StageName] = StageName.allCases, resources: URL? = nil) {
    self.configuration = configuration
    self.atlas = atlas
    self.progress = progress
    self.force = force
    self.stages = stages
    self.resources = resources
  }

  func forced(_ stage: StageName) -> Bool { force.map { stage >= $0 } ?? false }

  static func fingerprint(_ parts: [any Encodable]) throws -> String {
    var hasher = SHA256()
    for part in parts { hasher.update(try CanonicalJSON.encodeCompact(AnyEncodable(part))) }
    return hasher.hexDigest()
  }

  public func run() throws -> BuildSummary {
    let started = Date()
    try FileManager.default.createDirectory(at: atlas.root, withIntermediateDirectories: true)
    let c = configuration
    var records: [StageRecord] = []
    var metrics: [String: Double] = [:]
    let previous = try? AtlasRecord.read(from: atlas.atlasRecord)

    let modelURL = try DefaultPaths.model(c.model)
    let identity = try ModelIdentity(url: modelURL)
    // The weights are loaded by the first stage that runs the model (layout and render never do).
    var loadedModel: LoadedModel?
    func model() throws -> LoadedModel {
      if let loadedModel { return loadedModel }
      progress.log("loading model")
      let loaded = try LoadedModel.load(modelURL, maxPositions: max(c.corpus.windowLength, 2048), fileDigest: identity.fileDigest)
      loadedModel = loaded
      return loaded
    }
    var corpusRecord = previous?.corpus
    let stageList = stages.sorted()
    func header(_ stage: StageName) {
      let i = stageList.firstIndex(of: stage)! + 1
      progress.log("[\(i)/\(stageList.count)] \(stage.title)")
    }
    func writeAtlasRecord() throws {
      let record = AtlasRecord(
        toolVersion: FeatureAtlasVersion.current, createdAt: ISO8601DateFormatter().string(from: Date()),
        title: c.title, model: identity.record, corpus: corpusRecord, hookPoint: c.capture.hookPoints[0],
        configuration: try JSONValue(encoding: c), stages: mergedStages(previous?.stages ?? [], records))
      try record.write(to: atlas.atlasRecord)
    }
    @discardableResult func timed<T>(_ stage: StageName, fingerprint: String, skipped: Bool, details: [String: Double] = [:],
                  _ body: () throws -> T) throws -> T {
      header(stage)
      let t0 = Date()
      do {
        let value = try body()
        let seconds = Date().timeIntervalSince(t0)
        records.append(StageRecord(name: stage.rawValue, seconds: seconds, skipped: skipped, fingerprint: fingerprint,
                                   details: details))
        if skipped { progress.log("  unchanged, reused (\(String(format: "%.1f", seconds)) s)") }
        try writeAtlasRecord()
        return value
      } catch {
        throw PipelineError.stage(name: stage.rawValue, underlying: error)
      }
    }

    // MARK: capture
    if forced(.capture) { try? FileManager.default.removeItem(at: atlas.activations) }
    var captureFingerprint = (try? ActivationsManifest.read(from: atlas.activationsManifest))?.fingerprint ?? ""
    if stages.contains(.capture) {
      let t0 = Date()
      header(.capture)
      let result = try wrap(.capture) {
        try CaptureRunner.run(model: model(), corpus: c.corpus, capture: c.capture, atlas: atlas, progress: progress)
      }
      corpusRecord = result.corpus
      captureFingerprint = result.manifest.fingerprint
      let seconds = Date().timeIntervalSince(t0)
      let tokens = Double(result.manifest.windows * result.manifest.windowLength)
      if result.reused { progress.log("  unchanged, reused (\(String(format: "%.1f", seconds)) s)") }
      records.append(StageRecord(name: "capture", seconds: seconds, skipped: result.reused, fingerprint: captureFingerprint,
                                 details: result.reused ? [:] : ["tokens": tokens, "tokensPerSecond": tokens / max(seconds, 1e-9)]))
      metrics["tokens"] = tokens
      try writeAtlasRecord()
    }
    let store = try ActivationStore(atlas: atlas)

    // MARK: train
    var saeRecord = try? SAETrainingRecord.read(from: atlas.saeTraining)
    var loadDigest = ""
    if let path = c.sae.load {
      let folder = URL(fileURLWithPath: path)
      for name in ["cfg.json", "sae_weights.safetensors", "sae.safetensors"] {
        let url = (folder.pathExtension.isEmpty ? folder : folder.deletingLastPathComponent()).appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: url.path) { loadDigest += try FileDigest.sha256(of: url) }
      }
    }
    let trainFingerprint = try Self.fingerprint([c.sae, captureFingerprint, loadDigest])
    var autoencoder: SparseAutoencoder?
    if stages.contains(.train) {
      let upToDate = !forced(.train) && saeRecord?.inputDigest == trainFingerprint
        && (try? FileDigest.sha256(of: atlas.saeWeights)) == saeRecord?.weightsDigest
      if upToDate {
        try timed(.train, fingerprint: trainFingerprint, skipped: true) {}
      } else {
        let t0 = Date()
        header(.train)
        let outcome = try wrap(.train) {
          try TrainStage(configuration: c.sae, atlas: atlas, progress: progress)
            .run(model: model(), store: store, fingerprint: trainFingerprint)
        }
        saeRecord = outcome.record
        autoencoder = outcome.autoencoder
        records.append(StageRecord(
          name: "train", seconds: Date().timeIntervalSince(t0), skipped: false, fingerprint: trainFingerprint,
          details: ["trainingSeconds": outcome.trainingSeconds,
                    "tokensPerSecond": Double(outcome.record.trainingTokens) / max(outcome.trainingSeconds, 1e-9)]))
        try writeAtlasRecord()
      }
    }
    guard let saeRecord else {
      throw PipelineError.missingInput(what: "the SAE", path: atlas.saeTraining.path, fix: "run `feature-atlas train` first")
    }
    metrics["fvu"] = saeRecord.quality.fvu
    metrics["l0"] = saeRecord.quality.l0
    metrics["deadFraction"] = saeRecord.quality.deadFraction
    metrics["denseFraction"] = saeRecord.quality.denseFraction
    if let ce = saeRecord.quality.ceLossRecovered { metrics["ceLossRecovered"] = ce }
    if let kl = saeRecord.quality.klDivergence { metrics["klDivergence"] = kl }
    func loadAutoencoder() throws -> SparseAutoencoder {
      if let autoencoder { return autoencoder }
      return try SAELensFormat.decode(cfg: Data(contentsOf: atlas.saeConfig), weights: Data(contentsOf: atlas.saeWeights),
                                      expectedDIn: store.dModel).autoencoder
    }

    // MARK: features
    let featuresFingerprint = try Self.fingerprint([c.features, saeRecord.weightsDigest, captureFingerprint, identity.fileDigest])
    var featureRecords: [FeatureRecord]?
    if stages.contains(.features) {
      let existing = try? FeaturesManifest.read(from: atlas.featuresManifest)
      if !forced(.features), existing?.inputs["fingerprint"] == featuresFingerprint {
        try timed(.features, fingerprint: featuresFingerprint, skipped: true) {}
      } else {
        let sae = try loadAutoencoder()
        autoencoder = sae
        featureRecords = try timed(.features, fingerprint: featuresFingerprint, skipped: false) {
          try FeaturesStage(configuration: c.features, atlas: atlas, progress: progress)
            .run(model: model().language, autoencoder: sae, store: store,
                 inputs: ["fingerprint": featuresFingerprint, "sae": saeRecord.weightsDigest, "activations": captureFingerprint])
            .records
        }
      }
    }
    // Layout and steering read labels and statistics, never example windows: records read back from disk
    // for them leave the windows out (at 16k features: 490 MB of JSON, read in about 0.7 s instead of 3.3 s).
    func loadRecords() throws -> [FeatureRecord] {
      if let featureRecords { return featureRecords }
      let records = try FeaturesStage.readRecords(atlas, summary: true).1
      featureRecords = records
      return records
    }

    // MARK: layout
    let layoutFingerprint = try Self.fingerprint([c.layout, saeRecord.weightsDigest, featuresFingerprint])
    if stages.contains(.layout) {
      let existing = try? LayoutManifest.read(from: atlas.layoutManifest)
      if !forced(.layout), existing?.inputs["fingerprint"] == layoutFingerprint {
        try timed(.layout, fingerprint: layoutFingerprint, skipped: true) {}
      } else {
        let sae = try loadAutoencoder()
        autoencoder = sae
        let recordsForLayout = try loadRecords()
        let t0 = Date()
        header(.layout)
        let outcome = try wrap(.layout) {
          try LayoutStage(configuration: c.layout, atlas: atlas, progress: progress)
            .run(autoencoder: sae, records: recordsForLayout,
                 inputs: ["fingerprint": layoutFingerprint, "sae": saeRecord.weightsDigest, "features": featuresFingerprint])
        }
        records.append(StageRecord(name: "layout", seconds: Date().timeIntervalSince(t0), skipped: false,
                                   fingerprint: layoutFingerprint, details: outcome.timings))
        try writeAtlasRecord()
      }
    }
    if let layout = try? LayoutManifest.read(from: atlas.layoutManifest) {
      for (key, value) in layout.quality { metrics[key] = value }
    }

    // MARK: steer
    let steerFingerprint = try Self.fingerprint([c.steering, saeRecord.weightsDigest, featuresFingerprint, layoutFingerprint,
                                                 identity.fileDigest, c.capture.hookPoints[0]])
    if stages.contains(.steer) {
      let existing = try? SteeringRecord.read(from: atlas.steeringRecord)
      if !forced(.steer), existing?.inputs["fingerprint"] == steerFingerprint {
        try timed(.steer, fingerprint: steerFingerprint, skipped: true) {}
      } else {
        let sae = try loadAutoencoder()
        let featureList = try loadRecords()
        let coarse = try LayoutStage.readAssignments(atlas, level: 0)
        try timed(.steer, fingerprint: steerFingerprint, skipped: false) {
          try SteeringStage(configuration: c.steering, atlas: atlas, progress: progress)
            .run(model: model().language, autoencoder: sae, hookPoint: c.capture.hookPoints[0], records: featureList,
                 coarseAssignments: coarse, inputs: ["fingerprint": steerFingerprint])
        }
      }
    }

    // MARK: render
    var index: String?
    if stages.contains(.render) {
      let resourceDigest = try RenderStage.resourceDigest(resources)
      let renderFingerprint = try Self.fingerprint([captureFingerprint, trainFingerprint, featuresFingerprint,
                                                    layoutFingerprint, steerFingerprint, resourceDigest, c.title])
      let last = previous?.stages.last { $0.name == "render" }
      if !forced(.render), last?.fingerprint == renderFingerprint, FileManager.default.fileExists(atPath: atlas.siteIndex.path) {
        try timed(.render, fingerprint: renderFingerprint, skipped: true) {}
      } else {
        // atlas.json must exist before rendering: the run page shows it.
        try writeAtlasRecord()
        let details = try timed(.render, fingerprint: renderFingerprint, skipped: false) {
          try RenderStage.run(atlas: atlas, resources: resources, progress: progress)
        }
        if let i = records.lastIndex(where: { $0.name == "render" }) { records[i].details = details }
        try writeAtlasRecord()
        // The run page shows stage timings; render it once more now that they include this render.
        _ = try RenderStage.run(atlas: atlas, resources: resources, progress: CollectingProgress())
      }
      index = atlas.siteIndex.path
    }
    try writeAtlasRecord()
    return BuildSummary(atlas: atlas.root.path, index: index, stages: records, metrics: metrics,
                        seconds: Date().timeIntervalSince(started))
  }

  /// Tags errors with the stage they came from.
  func wrap<T>(_ stage: StageName, _ body: () throws -> T) throws -> T {
    do { return try body() } catch { throw PipelineError.stage(name: stage.rawValue, underlying: error) }
  }

  /// This run's stage records replace the previous run's records of the same stage; the others are kept.
  func mergedStages(_ old: [StageRecord], _ new: [StageRecord]) -> [StageRecord] {
    let names = Set(new.map(\.name))
    let kept = old.filter { !names.contains($0.name) } + new
    return kept.sorted { (StageName(rawValue: $0.name) ?? .render) < (StageName(rawValue: $1.name) ?? .render) }
  }
}

/// Type-erased Encodable (fingerprints hash heterogeneous parts).
struct AnyEncodable: Encodable {
  let value: any Encodable
  init(_ value: any Encodable) { self.value = value }
  func encode(to encoder: Encoder) throws { try value.encode(to: encoder) }
}

public enum FeatureAtlasVersion {
  public static let current = "0.1.0"
}
