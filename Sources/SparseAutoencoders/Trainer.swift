import TensorMath

/// What one optimisation step measured (on its own batch, in the normalised space).
public struct SAEStepReport: Codable, Sendable, Equatable {
  public var step: Int               // steps done, this one included
  public var tokens: Int             // training tokens seen so far
  public var learningRate: Double
  public var loss: Double            // mse·dIn + α·auxLoss + sparsityPenalty: the optimised objective
  public var mse: Double             // mean over rows and coordinates of (x − x̂)²
  public var fvu: Double             // Σ‖x − x̂‖² / Σ‖x − batch mean‖²
  public var auxLoss: Double         // mean_b ‖ê − e‖² of the AuxK term (0 when no latent is dead)
  public var sparsityPenalty: Double // ReLU: λ mean_b Σ_j f_j ‖W_dec_j‖
  public var meanL0: Double          // active latents per token
  public var deadFraction: Double    // latents silent for the last `deadTokens` tokens, before this step
}

/// Trains one sparse autoencoder: `step` does one batch, `train` runs the budget from a batch source.
///
/// Training happens in the normalised space x' = (x − shift)·scale; `autoencoder` folds that map into the
/// weights so the result reads activations in the model's units. All randomness is the initialisation,
/// drawn from SplitMix64(seed); with the same batches the weights are bit-identical on every run.
public struct SAETrainer: Sendable {
  public let configuration: SAETrainingConfiguration
  public let dIn: Int
  public let normalisation: SAENormalisation
  public private(set) var stepsTaken = 0
  public private(set) var tokensSeen = 0
  /// Tokens each latent fired on over the whole run [latents].
  public private(set) var firingCounts: [Int]
  /// Sampled step reports (every `reportEvery` steps and the last).
  public private(set) var curve: [SAEStepReport] = []
  /// CPU time per phase since this trainer was created or restored (not part of a checkpoint).
  public private(set) var profile = SAETrainingProfile()
  package private(set) var parameters: SAEParameters
  package private(set) var adam: AdamState
  /// Tokens since each latent last fired [latents].
  package private(set) var tokensSinceFired: [Int]
  /// BatchTopK: running average of the batch threshold (normalised units).
  package private(set) var batchThreshold: Double = 0
  package private(set) var rng: SplitMix64
  private var workspace = SAEWorkspace()
  /// BatchTopK: the previous batch's threshold, a speed hint only (results never depend on it).
  private var lastBatchThreshold: Float?

  /// A fresh trainer. `normalisationSample` [n, dIn] (model units) sets the input scale, the optional mean
  /// and b_dec's initial value (the sample mean, normalised).
  public init(configuration: SAETrainingConfiguration, dIn: Int, normalisationSample: Matrix) throws {
    try configuration.validate(dIn: dIn)
    guard normalisationSample.columns == dIn else {
      throw SAETrainingError.batchShape(expectedColumns: dIn, foundColumns: normalisationSample.columns,
                                        rows: normalisationSample.rows, maxRows: normalisationSample.rows)
    }
    let (normalisation, dataMean) = try SAENormalisation.estimateWithMean(
      from: normalisationSample, scaling: configuration.inputScaling, centre: configuration.centreInputs)
    var rng = SplitMix64(seed: configuration.seed)
    let decoderNorm: Float = configuration.architecture.keepsUnitNormDecoder ? 1 : 0.1
    self.configuration = configuration
    self.dIn = dIn
    self.normalisation = normalisation
    parameters = .initial(dIn: dIn, dSAE: configuration.latents, decoderNorm: decoderNorm, dataMean: dataMean, rng: &rng)
    self.rng = rng
    adam = AdamState(count: parameters.count)
    tokensSinceFired = Array(repeating: 0, count: configuration.latents)
    firingCounts = Array(repeating: 0, count: configuration.latents)
  }

  /// Rebuilds a trainer from its parts (checkpoint restore).
  package init(configuration: SAETrainingConfiguration, dIn: Int, normalisation: SAENormalisation,
               parameters: SAEParameters, adam: AdamState, stepsTaken: Int, tokensSeen: Int,
               tokensSinceFired: [Int], firingCounts: [Int], batchThreshold: Double, rng: SplitMix64,
               curve: [SAEStepReport]) {
    self.configuration = configuration
    self.dIn = dIn
    self.normalisation = normalisation
    self.parameters = parameters
    self.adam = adam
    self.stepsTaken = stepsTaken
    self.tokensSeen = tokensSeen
    self.tokensSinceFired = tokensSinceFired
    self.firingCounts = firingCounts
    self.batchThreshold = batchThreshold
    self.rng = rng
    self.curve = curve
  }

  public var totalSteps: Int { configuration.steps }
  public var isFinished: Bool { stepsTaken >= totalSteps }

  /// Fraction of latents that have not fired for `deadTokens` tokens.
  public var deadFraction: Double {
    Double(tokensSinceFired.lazy.filter { $0 >= configuration.deadTokens }.count) / Double(configuration.latents)
  }

  /// Fraction of latents silent for at least `tokens` tokens (e.g. the last epoch).
  public func silentFraction(forTokens tokens: Int) -> Double {
    Double(tokensSinceFired.lazy.filter { $0 >= tokens }.count) / Double(configuration.latents)
  }

  // MARK: - One step

  /// One optimisation step on `batch` [rows ≤ batchSize, dIn], in the model's units.
  @discardableResult
  public mutating func step(_ batch: Matrix) throws -> SAEStepReport {
    let B = batch.rows, d = dIn, n = configuration.latents
    guard batch.columns == d, B > 0, B <= configuration.batchSize else {
      throw SAETrainingError.batchShape(expectedColumns: d, foundColumns: batch.columns, rows: B,
                                        maxRows: configuration.batchSize)
    }
    if !isKnownUniquelyReferenced(&workspace) { workspace = SAEWorkspace() }
    let ws = workspace
    ws.x.reserve(B * d)
    batch.storage.withUnsafeBufferPointer { normalisation.apply($0.baseAddress!, rows: B, columns: d, into: ws.x.pointer) }

    let architecture = configuration.architecture
    let deadBefore = deadFraction
    var dead: [Int32] = []
    if architecture.k != nil, configuration.auxK > 0 {
      for j in 0 ..< n where tokensSinceFired[j] >= configuration.deadTokens { dead.append(Int32(j)) }
    }
    var l1: Float = 0
    if case .relu(let coefficient) = architecture {
      let warmup = max(1, Int(configuration.l1WarmupFraction * Double(totalSteps)))
      l1 = Float(coefficient * min(1, Double(stepsTaken + 1) / Double(warmup)))
    }
    var options = SAEPassOptions(architecture: architecture, l1Coefficient: l1, auxK: configuration.auxK,
                                 auxCoefficient: Float(configuration.auxKCoefficient))
    options.thresholdHint = lastBatchThreshold.map { $0 * 0.95 }
    let learningRate = configuration.learningRate(atStep: stepsTaken)
    adam.steps += 1
    var hyper = AdamUpdate.Hyper(
      learningRate: learningRate, beta1: configuration.adamBeta1, beta2: configuration.adamBeta2,
      epsilon: configuration.adamEpsilon, step: adam.steps, gradientScale: 1,
      unitNormDecoder: architecture.keepsUnitNormDecoder)
    let gradient = ws.gradient
    gradient.reserve(parameters.count)  // before its pointer is taken below
    let clip = configuration.gradientClipNorm
    var result = SAEPassResult()
    var first = adam.firstMoment, second = adam.secondMoment
    adam.firstMoment = []
    adam.secondMoment = []  // moved out so the updates below work in place without copies
    parameters.storage.withUnsafeMutableBufferPointer { p in
      result = SAEPass.run(parameters: p.baseAddress!, dIn: d, dSAE: n, x: ws.x.pointer, rows: B,
                           deadLatents: dead, options: options, workspace: ws, gradient: gradient.pointer)
      var clock = SAEPhaseClock()
      defer { result.profile.optimiser += clock.lap() }
      if let clip {
        let norm = AdamUpdate.globalNorm(gradient.pointer, count: p.count)
        let coefficient = clip / (norm + 1e-6)
        if coefficient < 1 { hyper.gradientScale = Float(coefficient) }
      }
      first.withUnsafeMutableBufferPointer { m in
        second.withUnsafeMutableBufferPointer { v in
          AdamUpdate.apply(parameters: p.baseAddress!, gradient: gradient.pointer, first: m.baseAddress!,
                           second: v.baseAddress!, dIn: d, dSAE: n, hyper: hyper)
        }
      }
    }
    adam.firstMoment = first
    adam.secondMoment = second
    profile = profile + result.profile

    let fired = ws.fireCount.pointer
    for j in 0 ..< n {
      if fired[j] > 0 {
        tokensSinceFired[j] = 0
        firingCounts[j] += fired[j]
      } else {
        tokensSinceFired[j] += B
      }
    }
    lastBatchThreshold = result.batchThreshold
    if case .batchTopK = architecture, let threshold = result.batchThreshold {
      // A running average, started at the first batch's value rather than at 0 (SAELens starts at 0,
      // which leaves short runs with a threshold far too low for inference).
      let rate = stepsTaken == 0 ? 1 : configuration.thresholdRate
      batchThreshold = (1 - rate) * batchThreshold + rate * Double(threshold)
    }
    stepsTaken += 1
    tokensSeen += B
    let report = SAEStepReport(
      step: stepsTaken, tokens: tokensSeen, learningRate: learningRate, loss: result.loss,
      mse: result.reconstructionError / Double(d), fvu: result.fvu, auxLoss: result.auxLoss,
      sparsityPenalty: result.sparsityPenalty, meanL0: result.meanL0, deadFraction: deadBefore)
    if stepsTaken % configuration.reportEvery == 0 || stepsTaken == totalSteps { curve.append(report) }
    return report
  }

  // MARK: - The loop

  /// Runs the remaining steps with batches from `source`, which must start at the beginning of the data:
  /// a restored trainer first skips the batches it has already seen. Stops early if the source runs dry.
  /// Every `checkpointEvery` steps (0 = never) hands a checkpoint to `checkpoint` (which writes it);
  /// `progress` gets the sampled reports.
  public mutating func train<Source: SAEBatchSource>(
    source: inout Source, checkpointEvery: Int = 0,
    checkpoint: (SAECheckpoint) throws -> Void = { _ in },
    progress: (SAEStepReport) -> Void = { _ in }
  ) throws {
    if stepsTaken > 0 { try source.skip(batches: stepsTaken) }
    var batch = Matrix(rows: configuration.batchSize, columns: dIn)
    while stepsTaken < totalSteps {
      guard try source.nextBatch(into: &batch) else { break }
      let report = try step(batch)
      if stepsTaken % configuration.reportEvery == 0 || stepsTaken == totalSteps { progress(report) }
      if checkpointEvery > 0, stepsTaken % checkpointEvery == 0, stepsTaken < totalSteps {
        try checkpoint(self.checkpoint())
      }
    }
  }

  // MARK: - The result

  /// The trained autoencoder, reading activations in the model's units (the normalisation folded in):
  /// with s = scale and μ = shift, encoder rows and decoder rows stay as trained (decoder rows unit-norm),
  /// b_enc ← b_enc / s, b_dec ← μ + b_dec / s, thresholds ← threshold / s. Latent values come out in the
  /// model's units (the trained values divided by s); BatchTopK becomes JumpReLU with its running threshold.
  public var autoencoder: SparseAutoencoder {
    let s = normalisation.scale
    let bias = parameters.encoderBias.map { $0 / s }
    let centre = parameters.decoderBias
    let decoderBias = (0 ..< dIn).map { (normalisation.shift?[$0] ?? 0) + centre[$0] / s }
    let activation: SAEActivation
    switch configuration.architecture {
    case .topK(let k): activation = .topK(k: k)
    case .batchTopK: activation = .jumpReLU(threshold: Array(repeating: Float(batchThreshold) / s, count: configuration.latents))
    case .relu: activation = .relu
    }
    return SparseAutoencoder(activation: activation, encoder: parameters.encoder, encoderBias: bias,
                             decoder: parameters.decoder, decoderBias: decoderBias, subtractDecoderBias: true)
  }
}
