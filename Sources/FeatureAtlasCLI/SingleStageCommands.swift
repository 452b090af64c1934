import ArgumentParser
import AtlasArtifacts
import AtlasPipeline
import Foundation
import SparseAutoencoders

/// A command that runs one stage of an existing atlas with its saved configuration (from atlas.json), changed
/// by its flags. `resolvedConfiguration()` is what the stage would run with (tests check flags → values there).
protocol SingleStageCommand: ResolvesConfiguration {
  static var stage: StageName { get }
  var atlasOptions: AtlasOptions { get }
  var configurationOptions: ConfigurationOptions { get }
  var modelOptions: ModelOptions { get }
  var force: Bool { get }
  /// Applies this command's flags.
  func edit(_ c: inout AtlasConfiguration)
}

extension SingleStageCommand {
  func resolvedConfiguration() throws -> AtlasConfiguration {
    var c = try configurationOptions.configuration(atlas: atlasOptions.directory, reuseSaved: true)
    if let model = modelOptions.model { c.model = model }
    edit(&c)
    return c
  }

  func runStage() throws {
    let c = try resolvedConfiguration()
    let progress = TerminalProgress()
    let summary = try AtlasBuild(configuration: c, atlas: atlasOptions.directory, progress: progress, force: force ? Self.stage : nil,
                                 stages: [Self.stage], resources: configurationOptions.resourcesURL).run()
    Summary.print(summary, json: false, progress: progress)
  }
}

extension SAETrainingArchitecture.Kind: ExpressibleByArgument {}
extension SteeringMode: ExpressibleByArgument {}
extension SteeringPositions: ExpressibleByArgument {}

extension FeatureAtlasCommand {
  struct Train: ParsableCommand, SingleStageCommand {
    static let configuration = CommandConfiguration(
      abstract: "Train a sparse autoencoder on the captured activations (or load one trained elsewhere).",
      discussion: "Writes <atlas>/sae/ in SAELens layout with training.json (quality and training curve). Resumes from its last checkpoint after an interruption.")
    static let stage = StageName.train

    @OptionGroup var atlasOptions: AtlasOptions
    @OptionGroup var configurationOptions: ConfigurationOptions
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "The SAE architecture (default: the configuration's, topk).") var architecture: SAETrainingArchitecture.Kind?
    @Option(help: "Number of latents (d_sae).") var latents: Int?
    @Option(help: "Active latents per token (TopK, BatchTopK; default \(SAETrainingArchitecture.defaultK)).") var k: Int?
    @Option(name: .customLong("l1"), help: "L1 coefficient (ReLU; default \(String(format: "%g", SAETrainingArchitecture.defaultL1Coefficient))).") var l1: Double?
    @Option(name: .customLong("training-tokens"), help: "Training budget in tokens.") var trainingTokens: Int?
    @Option(name: .customLong("batch-size"), help: "Rows per step.") var batchSize: Int?
    @Option(name: .customLong("learning-rate"), help: "Adam learning rate.") var learningRate: Double?
    @Option(help: "Seed.") var seed: UInt64?
    @Option(help: "Load this SAELens or sparsify folder instead of training.") var load: String?
    @Flag(help: "Retrain even if nothing changed.") var force = false

    func validate() throws {
      if let k, k <= 0 { throw ValidationError("--k must be positive") }
      if let latents, let k, k > latents { throw ValidationError("--k (\(k)) must not exceed --latents (\(latents))") }
      if let l1, !(l1 >= 0) { throw ValidationError("--l1 must be 0 or more, found \(l1)") }
    }

    /// --architecture picks the kind and keeps the configured k (or L1) unless --k (--l1) is given;
    /// --k or --l1 alone change the configured architecture's parameter when it has one.
    func edit(_ c: inout AtlasConfiguration) {
      var t = c.sae.training
      let kind = architecture ?? t.architecture.kind
      var currentL1 = SAETrainingArchitecture.defaultL1Coefficient
      if case .relu(let configured) = t.architecture { currentL1 = configured }
      t.architecture = .make(kind, k: k ?? t.architecture.k ?? SAETrainingArchitecture.defaultK, l1Coefficient: l1 ?? currentL1)
      if let latents { t.latents = latents }
      if let trainingTokens { t.tokens = trainingTokens }
      if let batchSize { t.batchSize = batchSize }
      if let learningRate { t.learningRate = learningRate }
      if let seed { t.seed = seed }
      c.sae.training = t
      if let load { c.sae.load = load }
    }

    func run() throws { try runStage() }
  }

  struct Analyze: ParsableCommand, SingleStageCommand {
    static let configuration = CommandConfiguration(
      abstract: "Describe every feature: statistics, examples, logit effects, neighbours, labels with held-out evidence.")
    static let stage = StageName.features
    @OptionGroup var atlasOptions: AtlasOptions
    @OptionGroup var configurationOptions: ConfigurationOptions
    @OptionGroup var modelOptions: ModelOptions
    @Option(name: .customLong("top-examples"), help: "Top-activating windows per feature.") var topExamples: Int?
    @Flag(help: "Redo even if nothing changed.") var force = false

    func edit(_ c: inout AtlasConfiguration) {
      if let topExamples { c.features.topExamples = topExamples }
    }

    func run() throws { try runStage() }
  }

  struct Layout: ParsableCommand, SingleStageCommand {
    static let configuration = CommandConfiguration(abstract: "Lay the features out as a 2D map with nested clusters.")
    static let stage = StageName.layout
    @OptionGroup var atlasOptions: AtlasOptions
    @OptionGroup var configurationOptions: ConfigurationOptions
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Neighbours per point.") var neighbours: Int?
    @Option(name: .customLong("min-distance"), help: "Minimum distance between points on the map.") var minDistance: Float?
    @Option(help: "Seed.") var seed: UInt64?
    @Flag(help: "Redo even if nothing changed.") var force = false

    func edit(_ c: inout AtlasConfiguration) {
      if let neighbours { c.layout.map.neighbours = neighbours }
      if let minDistance { c.layout.map.minDistance = minDistance }
      if let seed { c.layout.map.seed = seed }
    }

    func run() throws { try runStage() }
  }

  struct Steer: ParsableCommand, SingleStageCommand {
    static let configuration = CommandConfiguration(
      abstract: "Generate default and steered continuations for selected features (written to <atlas>/steering/).")
    static let stage = StageName.steer
    @OptionGroup var atlasOptions: AtlasOptions
    @OptionGroup var configurationOptions: ConfigurationOptions
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "A feature to steer (repeatable), in addition to the automatic picks.") var feature: [Int] = []
    @Option(help: "Number of automatic picks.") var automatic: Int?
    @Option(help: "A prompt (repeatable; replaces the defaults).") var prompt: [String] = []
    @Option(help: "A strength in multiples of max activation (repeatable).") var strength: [Float] = []
    @Option(help: "add (h += s·max·d) or clamp (the SAE activation set to s·max, error term kept); ablations are always clamps.")
    var mode: SteeringMode?
    @Option(help: "Where to edit: all (every position), generated (the last prompt token and the new ones) or message (the user's message and the answer).")
    var positions: SteeringPositions?
    @Flag(help: "Redo even if nothing changed.") var force = false

    func edit(_ c: inout AtlasConfiguration) {
      if !feature.isEmpty { c.steering.features = feature }
      if let automatic { c.steering.automatic = automatic }
      if !prompt.isEmpty { c.steering.prompts = prompt }
      if !strength.isEmpty { c.steering.strengths = strength }
      if let mode { c.steering.mode = mode }
      if let positions { c.steering.positions = positions }
    }

    func run() throws { try runStage() }
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
