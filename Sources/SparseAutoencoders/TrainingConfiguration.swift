/// Everything that decides a training run. Written verbatim into the stage manifest; same configuration,
/// same data order and same seed give bit-identical weights.
public struct SAETrainingConfiguration: Codable, Sendable, Equatable, Hashable {
  public var architecture: SAETrainingArchitecture = .topK(k: SAETrainingArchitecture.defaultK)
  /// Number of latents (d_sae).
  public var latents: Int = 4096
  public var batchSize: Int = 4096
  /// Training budget in tokens (rows); the run takes tokens / batchSize steps.
  public var tokens: Int = 2_000_000
  /// Adam learning rate; nil means 8e-4 / √(latents / 2^14) for TopK/BatchTopK (Gao et al.'s 1/√latents
  /// scaling at 4× their constant, which suits the short budgets of an atlas: on SmolLM2 layer 15,
  /// 4096 latents, k 32, 2.2M tokens, held-out FVU 0.236 at their rate and 0.190 at this one, with the
  /// 20% decay) and 4e-4 for ReLU.
  public var learningRate: Double? = nil
  /// Linear warm-up from 0 over this many steps.
  public var warmupSteps: Int = 0
  /// Linear decay to 0 over this final fraction of the steps (0 = constant rate).
  public var decayFraction: Double = 0.2
  public var adamBeta1: Double = 0.9
  public var adamBeta2: Double = 0.999
  public var adamEpsilon: Double = 6.25e-10
  /// Latents in the AuxK loss (TopK/BatchTopK; 0 = off): per token, the top-auxK pre-activations among dead
  /// latents (no ReLU, as SAELens) reconstruct the residual x − x̂. Gao et al. suggest about d_in / 2.
  public var auxK: Int = 256
  public var auxKCoefficient: Double = 1.0 / 32
  /// A latent that has not fired for this many training tokens is dead (AuxK and `deadFraction`).
  public var deadTokens: Int = 200_000
  public var inputScaling: SAEInputScaling = .meanSquaredNorm
  /// Subtract the dataset mean before scaling.
  public var centreInputs: Bool = false
  /// Clip the global gradient norm (nil = never); the ReLU recipe uses 1.
  public var gradientClipNorm: Double? = nil
  /// ReLU: the L1 coefficient rises linearly from 0 over this fraction of the steps.
  public var l1WarmupFraction: Double = 0.05
  /// BatchTopK: rate of the running average of the smallest selected activation (the inference threshold).
  public var thresholdRate: Double = 0.01
  /// Record a step report in the training curve every this many steps (and at the last step).
  public var reportEvery: Int = 10
  public var seed: UInt64 = 0

  public init() {}

  public static let `default` = SAETrainingConfiguration()

  /// The ReLU + decoder-norm-weighted L1 recipe with its usual companions.
  public static func relu(l1Coefficient: Double = SAETrainingArchitecture.defaultL1Coefficient,
                          latents: Int = 4096) -> SAETrainingConfiguration {
    var c = SAETrainingConfiguration()
    c.architecture = .relu(l1Coefficient: l1Coefficient)
    c.latents = latents
    c.gradientClipNorm = 1
    c.adamEpsilon = 1e-8
    return c
  }

  public var steps: Int { max(1, tokens / max(1, batchSize)) }

  public var resolvedLearningRate: Double {
    if let learningRate { return learningRate }
    switch architecture {
    case .topK, .batchTopK: return 8e-4 / (Double(latents) / 16_384).squareRoot()
    case .relu: return 4e-4
    }
  }

  /// The learning rate at 0-based step `step`: warm-up, constant, then linear decay to 0.
  public func learningRate(atStep step: Int) -> Double {
    var rate = resolvedLearningRate
    if warmupSteps > 0, step < warmupSteps { rate *= Double(step + 1) / Double(warmupSteps) }
    let decaySteps = Int((decayFraction * Double(steps)).rounded())
    if decaySteps > 0, step >= steps - decaySteps { rate *= Double(steps - step) / Double(decaySteps) }
    return rate
  }

  public func validate(dIn: Int) throws {
    func bad(_ field: String, _ value: String, _ expected: String) -> SAETrainingError {
      .invalidConfiguration(field: field, value: value, expected: expected)
    }
    guard dIn > 0 else { throw bad("dIn", "\(dIn)", "a positive input width") }
    guard latents > 0 else { throw bad("latents", "\(latents)", "at least 1") }
    guard batchSize > 0 else { throw bad("batchSize", "\(batchSize)", "at least 1") }
    guard tokens >= batchSize else { throw bad("tokens", "\(tokens)", "at least one batch (\(batchSize))") }
    if let k = architecture.k, !(1 ... latents).contains(k) {
      throw bad("k", "\(k)", "between 1 and latents (\(latents))")
    }
    if case .relu(let l1) = architecture, !(l1 >= 0) { throw bad("l1Coefficient", "\(l1)", "≥ 0") }
    guard resolvedLearningRate > 0, resolvedLearningRate.isFinite else {
      throw bad("learningRate", "\(resolvedLearningRate)", "a positive number")
    }
    guard (0 ... 1).contains(decayFraction) else { throw bad("decayFraction", "\(decayFraction)", "in 0...1") }
    guard warmupSteps >= 0 else { throw bad("warmupSteps", "\(warmupSteps)", "≥ 0") }
    guard auxK >= 0 else { throw bad("auxK", "\(auxK)", "≥ 0") }
    guard deadTokens > 0 else { throw bad("deadTokens", "\(deadTokens)", "≥ 1") }
    guard reportEvery > 0 else { throw bad("reportEvery", "\(reportEvery)", "≥ 1") }
    guard (0 ..< 1).contains(adamBeta1), (0 ..< 1).contains(adamBeta2), adamEpsilon > 0 else {
      throw bad("adam", "β1 \(adamBeta1), β2 \(adamBeta2), ε \(adamEpsilon)", "β in [0, 1) and ε > 0")
    }
  }

  // Decoding fills absent keys with the defaults, so older manifests stay readable.
  private enum CodingKeys: String, CodingKey {
    case architecture, latents, batchSize, tokens, learningRate, warmupSteps, decayFraction, adamBeta1, adamBeta2
    case adamEpsilon, auxK, auxKCoefficient, deadTokens, inputScaling, centreInputs, gradientClipNorm
    case l1WarmupFraction, thresholdRate, reportEvery, seed
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let d = SAETrainingConfiguration.default
    architecture = try c.decodeIfPresent(SAETrainingArchitecture.self, forKey: .architecture) ?? d.architecture
    latents = try c.decodeIfPresent(Int.self, forKey: .latents) ?? d.latents
    batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize
    tokens = try c.decodeIfPresent(Int.self, forKey: .tokens) ?? d.tokens
    learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate)
    warmupSteps = try c.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? d.warmupSteps
    decayFraction = try c.decodeIfPresent(Double.self, forKey: .decayFraction) ?? d.decayFraction
    adamBeta1 = try c.decodeIfPresent(Double.self, forKey: .adamBeta1) ?? d.adamBeta1
    adamBeta2 = try c.decodeIfPresent(Double.self, forKey: .adamBeta2) ?? d.adamBeta2
    adamEpsilon = try c.decodeIfPresent(Double.self, forKey: .adamEpsilon) ?? d.adamEpsilon
    auxK = try c.decodeIfPresent(Int.self, forKey: .auxK) ?? d.auxK
    auxKCoefficient = try c.decodeIfPresent(Double.self, forKey: .auxKCoefficient) ?? d.auxKCoefficient
    deadTokens = try c.decodeIfPresent(Int.self, forKey: .deadTokens) ?? d.deadTokens
    inputScaling = try c.decodeIfPresent(SAEInputScaling.self, forKey: .inputScaling) ?? d.inputScaling
    centreInputs = try c.decodeIfPresent(Bool.self, forKey: .centreInputs) ?? d.centreInputs
    gradientClipNorm = try c.decodeIfPresent(Double.self, forKey: .gradientClipNorm)
    l1WarmupFraction = try c.decodeIfPresent(Double.self, forKey: .l1WarmupFraction) ?? d.l1WarmupFraction
    thresholdRate = try c.decodeIfPresent(Double.self, forKey: .thresholdRate) ?? d.thresholdRate
    reportEvery = try c.decodeIfPresent(Int.self, forKey: .reportEvery) ?? d.reportEvery
    seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
  }
}

/// What can go wrong setting up or resuming training.
public enum SAETrainingError: Error, CustomStringConvertible, Equatable {
  case invalidConfiguration(field: String, value: String, expected: String)
  case emptyNormalisationSample
  case degenerateNormalisationSample(rows: Int)
  case batchShape(expectedColumns: Int, foundColumns: Int, rows: Int, maxRows: Int)
  case checkpoint(reason: String)

  public var description: String {
    switch self {
    case .invalidConfiguration(let field, let value, let expected):
      "SAE training configuration: \(field) is \(value), expected \(expected); fix the option and re-run"
    case .emptyNormalisationSample:
      "the normalisation sample has no rows; capture activations first (the sample is read from them)"
    case .degenerateNormalisationSample(let rows):
      "the \(rows) sample activations are all zero or not finite, so no input scale exists; check the capture"
    case .batchShape(let expectedColumns, let foundColumns, let rows, let maxRows):
      "a training batch is [\(rows), \(foundColumns)], expected 1...\(maxRows) rows of \(expectedColumns) values; the batch source and the trainer disagree"
    case .checkpoint(let reason):
      "cannot resume from this SAE checkpoint: \(reason); delete it to train from the start"
    }
  }
}
