import ArgumentParser
import AtlasArtifacts
import AtlasPipeline
import Foundation
import SparseAutoencoders

/// Runs one stage of an existing atlas with its saved configuration (from atlas.json), changed by flags.
struct SingleStage {
  static func run(_ stage: StageName, atlas: AtlasOptions, configuration: ConfigurationOptions, model: String?,
                  force: Bool, edit: (inout AtlasConfiguration) -> Void = { _ in }) throws {
    var c = try configuration.configuration(atlas: atlas.directory, reuseSaved: true)
    if let model { c.model = model }
    edit(&c)
    let progress = TerminalProgress()
    let summary = try AtlasBuild(configuration: c, atlas: atlas.directory, progress: progress, force: force ? stage : nil,
                                 stages: [stage], resources: configuration.resourcesURL).run()
    Summary.print(summary, json: false, progress: progress)
  }
}

enum ArchitectureName: String, ExpressibleByArgument, CaseIterable {
  case topk, batchtopk, relu
}

extension FeatureAtlasCommand {
  struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Train a sparse autoencoder on the captured activations (or load one trained elsewhere).",
      discussion: "Writes <atlas>/sae/ in SAELens layout with training.json (quality and training curve). Resumes from its last checkpoint after an interruption.")

    @OptionGroup var atlasOptions: AtlasOptions
    @OptionGroup var configurationOptions: ConfigurationOptions
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "topk, batchtopk or relu.") var architecture: ArchitectureName?
    @Option(help: "Number of latents (d_sae).") var latents: Int?
    @Option(help: "Active latents per token (TopK, BatchTopK).") var k: Int?
    @Option(name: .customLong("l1"), help: "L1 coefficient (ReLU).") var l1: Double?
    @Option(name: .customLong("training-tokens"), help: "Training budget in tokens.") var trainingTokens: Int?
    @Option(name: .customLong("batch-size"), help: "Rows per step.") var batchSize: Int?
    @Option(name: .customLong("learning-rate"), help: "Adam learning rate.") var learningRate: Double?
    @Option(help: "Seed.") var seed: UInt64?
    @Option(help: "Load this SAELens or sparsify folder instead of training.") var load: String?
    @Flag(help: "Retrain even if nothing changed.") var force = false

    func validate() throws {
      if let k, k <= 0 { throw ValidationError("--k must be positive") }
      if let latents, let k, k > latents { throw ValidationError("--k (\(k)) must not exceed --latents (\(latents))") }
    }

    func run() throws {
      try SingleStage.run(.train, atlas: atlasOptions, configuration: configurationOptions, model: modelOptions.model, force: force) { c in
        var t = c.sae.training
        let currentK = k ?? t.architecture.k ?? 32
        switch architecture {
        case .topk?: t.architecture = .topK(k: currentK)
        case .batchtopk?: t.architecture = .batchTopK(k: currentK)
        case .relu?: t.architecture = .relu(l1Coefficient: l1 ?? 5)
        case nil:
          if let k {
            if case .batchTopK = t.architecture { t.architecture = .batchTopK(k: k) } else { t.architecture = .topK(k: k) }
          }
          if let l1, case .relu = t.architecture { t.architecture = .relu(l1Coefficient: l1) }
        }
        if let latents { t.latents = latents }
        if let trainingTokens { t.tokens = trainingTokens }
        if let batchSize { t.batchSize = batchSize }
        if let learningRate { t.learningRate = learningRate }
        if let seed { t.seed = seed }
        c.sae.training = t
        if let load { c.sae.load = load }
      }
    }
  }

  struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Describe every feature: statistics, examples, logit effects, neighbours, labels with held-out evidence.")
    @OptionGroup var atlasOptions: AtlasOptions
    @OptionGroup var configurationOptions: ConfigurationOptions
    @OptionGroup var modelOptions: ModelOptions
    @Option(name: .customLong("top-examples"), help: "Top-activating windows per feature.") var topExamples: Int?
    @Flag(help: "Redo even if nothing changed.") var force = false

    func run() throws {
      try SingleStage.run(.features, atlas: atlasOptions, configuration: configurationOptions, model: modelOptions.model, force: force) { c in
        if let topExamples { c.features.topExamples = topExamples }
      }
    }
  }

  struct Layout: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Lay the features out as a 2D map with nested clusters.")
    @OptionGroup var atlasOptions: AtlasOptions
    @OptionGroup var configurationOptions: ConfigurationOptions
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Neighbours per point.") var neighbours: Int?
    @Option(name: .customLong("min-distance"), help: "Minimum distance between points on the map.") var minDistance: Float?
    @Option(help: "Seed.") var seed: UInt64?
    @Flag(help: "Redo even if nothing changed.") var force = false

    func run() throws {
      try SingleStage.run(.layout, atlas: atlasOptions, configuration: configurationOptions, model: modelOptions.model, force: force) { c in
        if let neighbours { c.layout.map.neighbours = neighbours }
        if let minDistance { c.layout.map.minDistance = minDistance }
        if let seed { c.layout.map.seed = seed }
      }
    }
  }

  struct Steer: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Generate default and steered continuations for selected features (written to <atlas>/steering/).")
    @OptionGroup var atlasOptions: AtlasOptions
    @OptionGroup var configurationOptions: ConfigurationOptions
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "A feature to steer (repeatable), in addition to the automatic picks.") var feature: [Int] = []
    @Option(help: "Number of automatic picks.") var automatic: Int?
    @Option(help: "A prompt (repeatable; replaces the defaults).") var prompt: [String] = []
    @Option(help: "A strength in multiples of max activation (repeatable).") var strength: [Float] = []
    @Option(help: "add or clamp (ablations are always clamps).") var mode: String?
    @Option(help: "Where to edit: all (every position) or generated (the last prompt token and the new ones).") var positions: String?
    @Flag(help: "Redo even if nothing changed.") var force = false

    func validate() throws {
      if let mode, SteeringMode(rawValue: mode) == nil { throw ValidationError("--mode must be add or clamp, not '\(mode)'") }
      if let positions, SteeringPositions(rawValue: positions) == nil {
        throw ValidationError("--positions must be all or generated, not '\(positions)'")
      }
    }

    func run() throws {
      try SingleStage.run(.steer, atlas: atlasOptions, configuration: configurationOptions, model: modelOptions.model, force: force) { c in
        if !feature.isEmpty { c.steering.features = feature }
        if let automatic { c.steering.automatic = automatic }
        if !prompt.isEmpty { c.steering.prompts = prompt }
        if !strength.isEmpty { c.steering.strengths = strength }
        if let mode, let m = SteeringMode(rawValue: mode) { c.steering.mode = m }
        if let positions, let p = SteeringPositions(rawValue: positions) { c.steering.positions = p }
      }
    }
  }

  struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write the static site from the artifacts (no model needed).")
    @OptionGroup var atlasOptions: AtlasOptions
    @OptionGroup var configurationOptions: ConfigurationOptions

    func run() throws {
      let progress = TerminalProgress()
      let details = try RenderStage.run(atlas: atlasOptions.directory, resources: configurationOptions.resourcesURL, progress: progress)
      progress.log(String(format: "rendered %.0f pages (%@) to %@", details["pages"] ?? 0,
                          Format.bytes(Int(details["bytes"] ?? 0)), atlasOptions.directory.siteIndex.path))
    }
  }
}
