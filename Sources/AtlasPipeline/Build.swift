import AtlasArtifacts
import Foundation
import Llama
import SparseAutoencoders

/// What a build reports at the end (`--json` prints it).
public struct BuildSummary: Codable, Sendable {
  public var atlas: String
  public var index: String?
  public var stages: [StageRecord]
  public var metrics: [String: Double]
  public var seconds: Double
}

/// Runs the stages of `stagePlan(only:force:)` in order, each the same way: its fingerprint (parameters +
/// digests of what it reads) is compared with the stamp it wrote last time, whose file digests are checked
/// too; a stage that is current is reused, anything else is (re)run and stamped. Stages write their files to
/// temporary names and the stamp last, so a killed build never leaves a stamp that vouches for half-written
/// data: the rerun redoes (or, for capture and training, resumes) that stage.
public struct AtlasBuild {
  public var configuration: AtlasConfiguration
  public var atlas: AtlasDirectory
  public var progress: any ProgressSink
  public var force: StageName?
  public var stages: [StageName]
  /// Site resources (templates/, site/); nil finds them (flag, environment, package checkout).
  public var resources: URL?
  /// What the lock names as its holder ("feature-atlas build").
  public var command: String

  public init(configuration: AtlasConfiguration, atlas: AtlasDirectory, progress: any ProgressSink,
              force: StageName? = nil, stages: [StageName] = StageName.allCases, resources: URL? = nil,
              command: String = "feature-atlas build") {
    self.configuration = configuration
    self.atlas = atlas
    self.progress = progress
    self.force = force
    self.stages = stages
    self.resources = resources
    self.command = command
  }

  public func run() throws -> BuildSummary {
    let started = Date()
    try configuration.validate()
    let lock = try AtlasLock(atlas: atlas, command: command)
    for path in lock.removeLeftovers(in: atlas) { progress.log("  removed a leftover of an interrupted run: \(path)") }
    let context = try BuildContext(configuration: configuration, atlas: atlas, progress: progress, resources: resources)
    try configuration.validate(dModel: context.identity.record.dModel)
    let plan = stagePlan(only: stages == StageName.allCases ? [] : stages, force: force)
    let running = plan.filter { $0.action != .check }
    for (stage, action) in plan {
      if action == .check {
        try check(Stage.named(stage), context: context)
      } else {
        let position = (running.firstIndex { $0.stage == stage } ?? 0) + 1
        progress.log("[\(position)/\(running.count)] \(stage.title)")
        do {
          try runOrReuse(Stage.named(stage), forced: action == .rerun, context: context)
        } catch {
          throw PipelineError.stage(name: stage.rawValue, underlying: error)
        }
      }
    }
    try context.writeAtlasRecord()
    withExtendedLifetime(lock) {}
    let index = plan.contains { $0.stage == .render } ? atlas.siteIndex.path : nil
    return BuildSummary(atlas: atlas.root.path, index: index, stages: context.records, metrics: try context.metrics(),
                        seconds: Date().timeIntervalSince(started))
  }

  /// A stage that is not asked to run but that a requested stage reads: it must have run, and its files
  /// must be the ones it wrote.
  func check(_ stage: Stage, context: BuildContext) throws {
    guard let stamp = try? StageStamp.read(from: atlas.stamp(stage.name.rawValue)) else {
      if stage.name.isOptional {
        // Steering only adds to the site: a build that never asked for it renders without it.
        progress.log("  (\(stage.name.rawValue) has not run: what follows goes without it)")
        context.outputs[stage.name] = "not run"
        return
      }
      throw PipelineError.stale(stage: stage.name.rawValue, reason: "it has not run on \(atlas.root.path)")
    }
    let changes = try ArtifactFiles.verify(stamp, root: atlas.root, folders: stage.name.outputFolders,
                                           excluding: stage.name.excludedFolders)
    guard changes.isEmpty else { throw PipelineError.tampered(stage: stage.name.rawValue, changes: changes.map(\.description)) }
    context.outputs[stage.name] = stamp.outputDigest
  }

  func runOrReuse(_ stage: Stage, forced: Bool, context: BuildContext) throws {
    let t0 = Date()
    let inputs = try stage.inputs(context)
    let fingerprint = try inputs.fingerprint(stage.name)
    let stampURL = atlas.stamp(stage.name.rawValue)
    let stamp = try? StageStamp.read(from: stampURL)
    var stale: String?
    if forced {
      stale = "forced"
    } else if let stamp {
      if stamp.fingerprint != fingerprint {
        stale = "parameters or inputs changed"
      } else if !stage.present(atlas) {
        stale = "its output is missing"
      } else {
        let changes = try ArtifactFiles.verify(stamp, root: atlas.root, folders: stage.name.outputFolders,
                                               excluding: stage.name.excludedFolders)
        if !changes.isEmpty {
          for change in changes.prefix(10) { progress.log("  \(change)") }
          if changes.count > 10 { progress.log("  … and \(changes.count - 10) more changed files") }
          stale = "its files changed since it wrote them"
        }
      }
    }
    if let stamp, stale == nil {
      context.outputs[stage.name] = stamp.outputDigest
      let seconds = Date().timeIntervalSince(t0)
      progress.log("  unchanged, reused (\(String(format: "%.1f", seconds)) s)")
      context.record(StageRecord(name: stage.name, seconds: seconds, skipped: true, fingerprint: fingerprint))
      try context.writeAtlasRecord()
      return
    }
    if let stale, stamp != nil { progress.log("  redoing: \(stale)") }
    // The stamp goes first and comes back last: a stage killed in between is never taken as current. A stage
    // that fails keeps its previous files and stamp (capture keeps what it wrote instead: it resumes).
    let backup = stage.name == .capture ? nil : stamp.flatMap { StageBackup(stage: stage.name, stamp: $0, atlas: atlas) }
    defer { backup?.discard() }
    try? FileManager.default.removeItem(at: stampURL)
    let details: [String: Double]
    do {
      details = try stage.run(context, fingerprint)
    } catch {
      if let backup {
        progress.log(backup.restore(to: stampURL)
          ? "  the \(stage.name.rawValue) stage failed: its previous files and stamp are back"
          : "  the \(stage.name.rawValue) stage failed, and its previous files no longer match their stamp: the next build redoes it")
      }
      throw error
    }
    let paths = ArtifactFiles.list(root: atlas.root, folders: stage.name.outputFolders, excluding: stage.name.excludedFolders)
    let files = try ArtifactFiles.digests(root: atlas.root, paths: paths)
    let written = StageStamp(stage: stage.name, fingerprint: fingerprint, inputs: inputs.digests, files: files)
    try written.write(to: stampURL)
    context.outputs[stage.name] = written.outputDigest
    context.record(StageRecord(name: stage.name, seconds: Date().timeIntervalSince(t0), skipped: false,
                               fingerprint: fingerprint, details: details))
    try context.writeAtlasRecord()
    try stage.after(context)
  }
}

/// What the stages of one build share: the configuration and atlas, what earlier stages produced (each loaded
/// once, when first needed), the stage records and atlas.json.
final class BuildContext {
  let configuration: AtlasConfiguration
  let atlas: AtlasDirectory
  let progress: any ProgressSink
  let resources: URL?
  let identity: ModelIdentity
  let previous: AtlasRecord?
  /// Each stage's output digest (from its stamp): the inputs of the stages after it.
  var outputs: [StageName: String] = [:]
  private(set) var records: [StageRecord] = []
  private var corpusRecord: CorpusRecord?
  private var loadedModel: LoadedModel?
  private var plan: CapturePlan?
  private var activationStore: ActivationStore?
  private var sae: SparseAutoencoder?
  private var trainingRecord: SAETrainingRecord?
  private var summaries: [FeatureRecord]?

  init(configuration: AtlasConfiguration, atlas: AtlasDirectory, progress: any ProgressSink, resources: URL?) throws {
    self.configuration = configuration
    self.atlas = atlas
    self.progress = progress
    self.resources = resources
    identity = try ModelIdentity(url: DefaultPaths.model(configuration.model))
    previous = try? AtlasRecord.read(from: atlas.atlasRecord)
    corpusRecord = previous?.corpus
  }

  var hookPoint: String { configuration.capture.hookPoints.first ?? CaptureConfiguration().hookPoints[0] }

  /// The weights, loaded by the first stage that runs the model (a build with nothing to do never does).
  func model() throws -> LoadedModel {
    if let loadedModel { return loadedModel }
    progress.log("  loading model")
    let loaded = try LoadedModel.load(identity.url, maxPositions: max(configuration.corpus.windowLength, 2048),
                                      fileDigest: identity.fileDigest)
    loadedModel = loaded
    return loaded
  }

  /// The corpus planned with the model's tokenizer alone (the capture's fingerprint needs the plan's digest).
  func capturePlan() throws -> CapturePlan {
    if let plan { return plan }
    let made = try CaptureRunner.plan(modelURL: identity.url, modelDigest: identity.fileDigest,
                                      corpus: configuration.corpus, progress: progress)
    plan = made
    corpusRecord = made.source.record
    return made
  }

  func output(_ stage: StageName) throws -> String {
    guard let digest = outputs[stage] else {
      throw PipelineError.stale(stage: stage.rawValue, reason: "no record of its output")
    }
    return digest
  }

  func store() throws -> ActivationStore {
    if let activationStore { return activationStore }
    let store = try ActivationStore(atlas: atlas)
    activationStore = store
    return store
  }

  /// Digest of a loaded SAE's files ("" when training).
  func loadedSAEDigest() throws -> String {
    guard let path = configuration.sae.load else { return "" }
    let folder = URL(fileURLWithPath: path)
    var digest = ""
    for name in ["cfg.json", "sae_weights.safetensors", "sae.safetensors"] {
      let url = (folder.pathExtension.isEmpty ? folder : folder.deletingLastPathComponent()).appendingPathComponent(name)
      if FileManager.default.fileExists(atPath: url.path) { digest += try FileDigest.sha256(of: url) }
    }
    return digest
  }

  func trained(_ outcome: TrainStage.Outcome) {
    sae = outcome.autoencoder
    trainingRecord = outcome.record
  }

  func autoencoder() throws -> SparseAutoencoder {
    if let sae { return sae }
    let loaded = try SAELensFormat.decode(cfg: Data(contentsOf: atlas.saeConfig), weights: Data(contentsOf: atlas.saeWeights),
                                          expectedDIn: store().dModel).autoencoder
    sae = loaded
    return loaded
  }

  func analysed(_ records: [FeatureRecord]) { summaries = records }

  /// Feature records without their example windows (what layout and steering read).
  func featureRecords() throws -> [FeatureRecord] {
    if let summaries { return summaries }
    let records = try FeaturesStage.readRecords(atlas, summary: true).1
    summaries = records
    return records
  }

  func record(_ stage: StageRecord) {
    records.removeAll { $0.name == stage.name }
    records.append(stage)
  }

  /// atlas.json: this run's stage records replace the previous run's records of the same stage.
  func writeAtlasRecord() throws {
    let names = Set(records.map(\.name))
    let stages = ((previous?.stages ?? []).filter { !names.contains($0.name) } + records).sorted { $0.name < $1.name }
    let record = AtlasRecord(
      toolVersion: FeatureAtlasVersion.current, createdAt: ISO8601DateFormatter().string(from: Date()),
      title: configuration.title, model: identity.record, corpus: corpusRecord, hookPoint: hookPoint,
      configuration: try JSONValue(encoding: configuration), stages: stages)
    try record.write(to: atlas.atlasRecord)
  }

  /// Headline figures for the summary: tokens, SAE quality, map quality.
  func metrics() throws -> [String: Double] {
    var metrics: [String: Double] = [:]
    if let m = try? ActivationsManifest.read(from: atlas.activationsManifest) {
      metrics["tokens"] = Double(m.windows * m.windowLength)
    }
    if let quality = (trainingRecord ?? (try? SAETrainingRecord.read(from: atlas.saeTraining)))?.quality {
      metrics["fvu"] = quality.fvu
      metrics["l0"] = quality.l0
      metrics["deadFraction"] = quality.deadFraction
      metrics["denseFraction"] = quality.denseFraction
      if let ce = quality.ceLossRecovered { metrics["ceLossRecovered"] = ce }
      if let kl = quality.klDivergence { metrics["klDivergence"] = kl }
    }
    if let layout = try? LayoutManifest.read(from: atlas.layoutManifest) {
      for (key, value) in layout.quality { metrics[key] = value }
    }
    return metrics
  }
}

public enum FeatureAtlasVersion {
  public static let current = "0.1.0"
}
