import AtlasArtifacts
import Foundation
import Lexicon

/// What each stage of a build is (the names and their order live with the records, in AtlasArtifacts).
extension StageName {
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

  /// Folders (relative to the atlas root) whose files this stage writes; its stamp records their digests.
  /// The site is not listed: no stage reads it, and hashing 100k pages on every build would cost more than it
  /// protects.
  var outputFolders: [String] {
    switch self {
    case .capture: ["activations"]
    case .train: ["sae"]
    case .features: ["features"]
    case .layout: ["layout"]
    case .steer: ["steering"]
    case .render: []
    }
  }

  /// A stage later stages can do without when it was not asked for (the site renders without steering).
  var isOptional: Bool { self == .steer }

  /// The on-disk format of what the stage writes, where it has changed since atlases were first built: part
  /// of the fingerprint, so an atlas written in an older format redoes the stage instead of failing on
  /// files a newer reader does not know (features format 2 split each shard into summaries and examples).
  var outputFormat: String? {
    switch self {
    case .features: "features-\(FeaturesManifest.formatVersion)"
    case .steer: "steering-\(SteeringRecord.formatVersion)"
    default: nil
    }
  }

  /// Sub-folders of `outputFolders` that are working state, not output (training checkpoints).
  var excludedFolders: Set<String> { self == .train ? ["sae/checkpoints"] : [] }
}

/// What a build does with each stage: `check` a stage that is not asked to run but that a requested stage
/// reads (its files must be intact), run a stage if it is stale, or `rerun` it regardless (`--force`).
public enum StageAction: String, Sendable, Equatable {
  case check, runIfStale, rerun
}

/// `--only` and `--force` in one place: the stages a build visits, in order, and what it does with each.
/// `only` empty means every stage. `force` redoes that stage and every later requested one. Stages after the
/// last requested one are not visited; those before it that are not requested are checked.
public func stagePlan(only: [StageName], force: StageName?) -> [(stage: StageName, action: StageAction)] {
  let requested = only.isEmpty ? Set(StageName.allCases) : Set(only)
  guard let last = requested.max() else { return [] }
  return StageName.allCases.filter { $0 <= last }.map { stage in
    guard requested.contains(stage) else { return (stage, .check) }
    if let force, stage >= force { return (stage, .rerun) }
    return (stage, .runIfStale)
  }
}

/// What a stage's fingerprint covers: its parameters and the digests of what it reads.
struct StageInputs {
  var parameters: JSONValue
  var digests: [String: String]

  func fingerprint(_ stage: StageName) throws -> String {
    var hasher = SHA256()
    hasher.update(stage.rawValue)
    if let format = stage.outputFormat { hasher.update(format) }
    hasher.update(try CanonicalJSON.encodeCompact(parameters))
    hasher.update(try CanonicalJSON.encodeCompact(digests))
    return hasher.hexDigest()
  }
}

/// One stage as data: how to name its inputs, how to run it. The runner (`AtlasBuild`) does the rest the same
/// way for every stage: fingerprint, up-to-date check against the stamp, timing, stamp, atlas.json.
struct Stage {
  var name: StageName
  var inputs: (BuildContext) throws -> StageInputs
  /// Runs the stage; returns figures for its record in atlas.json.
  var run: (BuildContext, _ fingerprint: String) throws -> [String: Double]
  /// Whether the stage's product is on disk beyond the files its stamp lists (the site's index page).
  var present: (AtlasDirectory) -> Bool = { _ in true }
  /// Work after the stage's record is in atlas.json (render refreshes the run page that shows the timings).
  var after: (BuildContext) throws -> Void = { _ in }

  static func named(_ name: StageName) -> Stage {
    switch name {
    case .capture: .capture
    case .train: .train
    case .features: .features
    case .layout: .layout
    case .steer: .steer
    case .render: .render
    }
  }
}

extension Stage {
  static var capture: Stage { Stage(
    name: .capture,
    inputs: { c in
      let plan = try c.capturePlan()
      return StageInputs(parameters: try JSONValue(encoding: c.configuration.capture), digests: plan.inputs)
    },
    run: { c, _ in
      let plan = try c.capturePlan()
      let t0 = Date()
      let outcome = try CaptureRunner.capture(plan, model: c.model(), configuration: c.configuration.capture,
                                              atlas: c.atlas, progress: c.progress)
      let tokens = Double(outcome.manifest.windows * outcome.manifest.windowLength)
      return ["tokens": tokens, "tokensPerSecond": tokens / max(Date().timeIntervalSince(t0), 1e-9)]
    }) }

  static var train: Stage { Stage(
    name: .train,
    inputs: { c in
      StageInputs(parameters: try JSONValue(encoding: c.configuration.sae),
                  digests: ["activations": try c.output(.capture), "load": try c.loadedSAEDigest()])
    },
    run: { c, fingerprint in
      let outcome = try TrainStage(configuration: c.configuration.sae, atlas: c.atlas, progress: c.progress)
        .run(model: c.model(), store: c.store(), fingerprint: fingerprint)
      c.trained(outcome)
      return ["trainingSeconds": outcome.trainingSeconds,
              "tokensPerSecond": Double(outcome.record.trainingTokens) / max(outcome.trainingSeconds, 1e-9)]
    }) }

  static var features: Stage { Stage(
    name: .features,
    inputs: { c in
      StageInputs(parameters: try JSONValue(encoding: c.configuration.features),
                  digests: ["sae": try c.output(.train), "activations": try c.output(.capture), "model": c.identity.fileDigest,
                            "wordnet": FeaturesStage.wordNetDigest(Lexicon.defaultDirectory)])
    },
    run: { c, fingerprint in
      let outcome = try FeaturesStage(configuration: c.configuration.features, atlas: c.atlas, progress: c.progress)
        .run(model: c.model().language, autoencoder: c.autoencoder(), store: c.store(), inputs: ["fingerprint": fingerprint])
      c.analysed(outcome.records)
      return [:]
    }) }

  static var layout: Stage { Stage(
    name: .layout,
    inputs: { c in
      StageInputs(parameters: try JSONValue(encoding: c.configuration.layout),
                  digests: ["sae": try c.output(.train), "features": try c.output(.features)])
    },
    run: { c, fingerprint in
      try LayoutStage(configuration: c.configuration.layout, atlas: c.atlas, progress: c.progress)
        .run(autoencoder: c.autoencoder(), records: c.featureRecords(), inputs: ["fingerprint": fingerprint]).timings
    }) }

  static var steer: Stage { Stage(
    name: .steer,
    inputs: { c in
      var parameters = try JSONValue(encoding: c.configuration.steering)
      if case .object(var o) = parameters {
        o["hookPoint"] = .string(c.hookPoint)
        parameters = .object(o)
      }
      return StageInputs(parameters: parameters,
                         digests: ["sae": try c.output(.train), "features": try c.output(.features),
                                   "layout": try c.output(.layout), "model": c.identity.fileDigest])
    },
    run: { c, fingerprint in
      try SteeringStage(configuration: c.configuration.steering, atlas: c.atlas, progress: c.progress)
        .run(model: c.model().language, autoencoder: c.autoencoder(), hookPoint: c.hookPoint, records: c.featureRecords(),
             coarseAssignments: LayoutStage.readAssignments(c.atlas, level: 0), inputs: ["fingerprint": fingerprint])
      return [:]
    }) }

  static var render: Stage { Stage(
    name: .render,
    inputs: { c in
      var digests = ["resources": try RenderStage.resourceDigest(c.resources)]
      for stage in [StageName.capture, .train, .features, .layout, .steer] { digests[stage.rawValue] = try c.output(stage) }
      return StageInputs(parameters: .object(["title": .string(c.configuration.title)]), digests: digests)
    },
    run: { c, _ in
      // atlas.json must exist before rendering: the run page shows it.
      try c.writeAtlasRecord()
      return try RenderStage.run(atlas: c.atlas, resources: c.resources, progress: c.progress)
    },
    present: { atlas in FileManager.default.fileExists(atPath: atlas.siteIndex.path) },
    after: { c in try RenderStage.refreshRunPage(atlas: c.atlas, resources: c.resources) }) }
}
