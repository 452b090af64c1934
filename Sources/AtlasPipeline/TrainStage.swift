import AtlasArtifacts
import Foundation
import Llama
import SparseAutoencoders
import TensorMath

/// The SAE stage: train on the capture (or load an SAE trained elsewhere), then measure it as the
/// field does: FVU, L0, dead and dense fractions on held-out activations, and CE loss recovered + KL by
/// splicing the reconstruction into the model.
public struct SAEStageConfiguration: Codable, Sendable, Equatable {
  public var training = SAETrainingConfiguration()
  /// A SAELens (cfg.json + sae_weights.safetensors) or sparsify (cfg.json + sae.safetensors) folder to load
  /// instead of training.
  public var load: String? = nil
  /// SAELens `expected_average_only_in` scale factor for a loaded SAE (it lives outside cfg.json).
  public var loadNormalisationScale: Float? = nil
  /// Rescale a loaded SAE to unit-norm decoder rows (needed for cosine maps and steering in ×max units).
  public var foldDecoderNorms = true
  /// Training rows whose norm exceeds this multiple of the median are skipped.
  public var outlierNormFactor: Float = 10
  /// Steps between checkpoints (resume after an interruption).
  public var checkpointEvery = 25
  /// Held-out windows used for CE loss recovered and KL.
  public var ceWindows = 24
  public var shardsPerBuffer = 16
  public init() {}
}

public struct TrainStage {
  public var configuration: SAEStageConfiguration
  public var atlas: AtlasDirectory
  public var progress: any ProgressSink

  public init(configuration: SAEStageConfiguration, atlas: AtlasDirectory, progress: any ProgressSink) {
    self.configuration = configuration
    self.atlas = atlas
    self.progress = progress
  }

  /// Trains (resuming from a checkpoint with the same fingerprint) or loads, then evaluates and writes
  /// `sae/`: cfg.json, sae_weights.safetensors, sparsity.safetensors, training.json.
  /// The written record and how long training itself took (timings go to atlas.json, not the record).
  public struct Outcome: Sendable {
    public var record: SAETrainingRecord
    public var autoencoder: SparseAutoencoder
    public var trainingSeconds: Double
  }

  @discardableResult
  public func run(model: LoadedModel, store: ActivationStore, fingerprint: String) throws -> Outcome {
    let hook = store.manifest.hookPoints[0]
    let dIn = store.dModel
    guard dIn == model.language.configuration.dModel else {
      throw CaptureError.wrongModelWidth(expected: model.language.configuration.dModel, found: dIn)
    }
    let started = Date()
    var autoencoder: SparseAutoencoder
    var curve: [TrainingCurvePoint] = []
    var trainingTokens = 0
    var origin = SAEOrigin.trained
    var firingCounts: [Int]?
    var notes: [String] = []
    if let path = configuration.load {
      let imported = try Self.loadSAE(path: path, expectedDIn: dIn, scale: configuration.loadNormalisationScale,
                                      fold: configuration.foldDecoderNorms)
      autoencoder = imported.autoencoder
      origin = .loaded(path: path)
      notes = imported.adjustments
      if let hookName = imported.metadata.hookName, hookName != hook {
        progress.log("  warning: the SAE was trained at \(hookName); the capture is at \(hook)")
      }
    } else {
      let trained = try train(store: store, hook: hook, dIn: dIn, fingerprint: fingerprint)
      autoencoder = trained.autoencoder
      curve = trained.curve
      trainingTokens = trained.tokens
      firingCounts = trained.firingCounts
    }
    let trainSeconds = Date().timeIntervalSince(started)

    // MARK: Quality on held-out activations
    var evaluation = SAEEvaluation(autoencoder: autoencoder)
    var heldOutTokens = 0
    let threshold = try outlierThreshold(store: store, hook: hook)
    for shard in 0 ..< store.shardCount {
      let (rows, _) = try store.rows(shard: shard, hookPoint: hook, heldOut: true)
      let kept = Self.dropOutliers(rows, maximumNorm: threshold)
      if kept.rows > 0 { evaluation.add(kept) }
      heldOutTokens += kept.rows
      progress.progress("evaluate", done: shard + 1, total: store.shardCount, unit: "shards")
    }
    progress.finish("evaluate")
    let report = evaluation.report
    let ce = try crossEntropy(model: model.language.model, store: store, hook: hook, autoencoder: autoencoder)
    let quality = SAEQuality(
      fvu: report.fvu, mse: report.mse, l0: report.meanL0, deadFraction: report.deadFraction,
      denseFraction: report.denseFraction,
      ceLossRecovered: SAEMetrics.ceLossRecovered(clean: ce.clean, spliced: ce.spliced, zeroAblation: ce.zero),
      ceClean: ce.clean, ceSpliced: ce.spliced, ceZeroAblation: ce.zero, klDivergence: ce.kl, heldOutTokens: heldOutTokens)

    // MARK: Write sae/
    let metadata = SAEMetadata(hookName: hook, modelName: model.language.name, contextSize: store.windowLength,
                               prependBOS: true, datasetPath: "feature-atlas corpus \(store.manifest.inputs["corpus"] ?? "")")
    let (cfg, weights) = try SAELensFormat.encode(autoencoder, metadata: metadata)
    try AtomicFile.write(cfg, to: atlas.saeConfig)
    try AtomicFile.write(weights, to: atlas.saeWeights)
    try AtomicFile.write(SAELensFormat.encodeSparsity(firingCounts: firingCounts ?? report.firingCounts,
                                                      tokens: firingCounts == nil ? report.tokens : max(trainingTokens, 1)),
                         to: atlas.saeSparsity)
    var parameters = try JSONValue(encoding: configuration)
    if case .object(var object) = parameters, !notes.isEmpty {
      object["loadAdjustments"] = .array(notes.map { .string($0) })
      parameters = .object(object)
    }
    let record = SAETrainingRecord(
      origin: origin, architecture: autoencoder.activation.saeLensName, dIn: dIn, dSAE: autoencoder.dSAE,
      k: { if case .topK(let k) = autoencoder.activation { return k } else { return nil } }(),
      trainingTokens: trainingTokens, parameters: parameters, inputDigest: fingerprint, weightsDigest: SHA256.hex(weights),
      quality: quality, curve: curve)
    try record.write(to: atlas.saeTraining)
    try? FileManager.default.removeItem(at: atlas.saeCheckpoints)
    return Outcome(record: record, autoencoder: autoencoder, trainingSeconds: trainSeconds)
  }

  // MARK: - Training with checkpoints

  struct Trained {
    var autoencoder: SparseAutoencoder
    var curve: [TrainingCurvePoint]
    var tokens: Int
    var firingCounts: [Int]
  }

  func outlierThreshold(store: ActivationStore, hook: String) throws -> Float {
    guard configuration.outlierNormFactor.isFinite, configuration.outlierNormFactor > 0 else { return .infinity }
    let (sample, _) = try store.rows(shard: 0, hookPoint: hook, heldOut: false)
    var norms = (0 ..< sample.rows).map { r in
      sample.storage.withUnsafeBufferPointer { Kernels.sumOfSquares($0.baseAddress! + r * sample.columns, sample.columns).squareRoot() }
    }
    norms.sort()
    return norms.isEmpty ? .infinity : norms[norms.count / 2] * configuration.outlierNormFactor
  }

  static func dropOutliers(_ m: Matrix, maximumNorm: Float) -> Matrix {
    guard maximumNorm.isFinite else { return m }
    let keep = (0 ..< m.rows).filter { r in
      m.storage.withUnsafeBufferPointer { Kernels.sumOfSquares($0.baseAddress! + r * m.columns, m.columns).squareRoot() } <= maximumNorm
    }
    return keep.count == m.rows ? m : m.gatherRows(keep)
  }

  func train(store: ActivationStore, hook: String, dIn: Int, fingerprint: String) throws -> Trained {
    let c = configuration.training
    let threshold = try outlierThreshold(store: store, hook: hook)
    let checkpointState = atlas.saeCheckpoints.appendingPathComponent("state.json")
    let checkpointTensors = atlas.saeCheckpoints.appendingPathComponent("state.safetensors")
    let checkpointFingerprint = atlas.saeCheckpoints.appendingPathComponent("fingerprint")
    var trainer: SAETrainer
    if let saved = try? String(contentsOf: checkpointFingerprint, encoding: .utf8), saved == fingerprint,
      let state = try? Data(contentsOf: checkpointState), let tensors = try? Data(contentsOf: checkpointTensors),
      let restored = try? SAETrainer(restoring: SAECheckpoint(state: state, tensors: tensors))
    {
      trainer = restored
      progress.log("  resuming SAE training at step \(trainer.stepsTaken) of \(trainer.totalSteps) (checkpoint)")
    } else {
      try? FileManager.default.removeItem(at: atlas.saeCheckpoints)
      // Normalisation from the first shard's training rows (outliers dropped).
      let (sample, _) = try store.rows(shard: 0, hookPoint: hook, heldOut: false)
      trainer = try SAETrainer(configuration: c, dIn: dIn, normalisationSample: Self.dropOutliers(sample, maximumNorm: threshold))
    }
    var source = ShardBatchSource(store: store, hookPoint: hook, batchSize: c.batchSize, seed: c.seed,
                                  shardsPerBuffer: configuration.shardsPerBuffer, maximumNorm: threshold)
    let total = trainer.totalSteps
    try trainer.train(
      source: &source, checkpointEvery: configuration.checkpointEvery,
      checkpoint: { checkpoint in
        // The tensors and state are written first, the fingerprint last: a checkpoint counts only when complete.
        try? FileManager.default.removeItem(at: checkpointFingerprint)
        try AtomicFile.write(checkpoint.tensors, to: checkpointTensors)
        try AtomicFile.write(checkpoint.state, to: checkpointState)
        try AtomicFile.write(fingerprint, to: checkpointFingerprint)
      },
      progress: { report in
        progress.progress("train SAE", done: report.step, total: total, unit: "steps")
      })
    progress.finish("train SAE")
    let curve = trainer.curve.map {
      TrainingCurvePoint(step: $0.step, tokens: $0.tokens, loss: $0.loss, mse: $0.mse, l0: $0.meanL0, deadFraction: $0.deadFraction)
    }
    return Trained(autoencoder: trainer.autoencoder, curve: curve, tokens: trainer.tokensSeen, firingCounts: trainer.firingCounts)
  }

  // MARK: - Loading

  /// Loads a SAELens or sparsify folder (or a file inside one), orienting matrices by d_in.
  public static func loadSAE(path: String, expectedDIn: Int, scale: Float?, fold: Bool) throws -> ImportedSAE {
    var folder = URL(fileURLWithPath: (path as NSString).expandingTildeInPath)
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), !isDirectory.boolValue {
      folder.deleteLastPathComponent()
    }
    let cfgURL = folder.appendingPathComponent("cfg.json")
    guard let cfg = try? Data(contentsOf: cfgURL) else {
      throw PipelineError.missingInput(what: "the SAE's cfg.json", path: cfgURL.path,
                                       fix: "pass a SAELens folder (cfg.json + sae_weights.safetensors) or a sparsify folder (cfg.json + sae.safetensors)")
    }
    let saeLens = folder.appendingPathComponent(SAELensFormat.weightsFile)
    let sparsify = folder.appendingPathComponent(SparsifyFormat.weightsFile)
    if let weights = try? Data(contentsOf: saeLens, options: .alwaysMapped) {
      return try SAELensFormat.decode(cfg: cfg, weights: weights, expectedDIn: expectedDIn, normalisationScale: scale,
                                      foldDecoderNorms: fold)
    }
    if let weights = try? Data(contentsOf: sparsify, options: .alwaysMapped) {
      return try SparsifyFormat.decode(cfg: cfg, weights: weights, expectedDIn: expectedDIn, foldDecoderNorms: fold)
    }
    throw PipelineError.missingInput(what: "SAE weights", path: folder.path,
                                     fix: "the folder needs sae_weights.safetensors (SAELens) or sae.safetensors (sparsify)")
  }

  // MARK: - CE loss recovered

  struct CrossEntropy { var clean: Double; var spliced: Double; var zero: Double; var kl: Double }

  /// Next-token cross-entropy on held-out windows: clean, with the hook replaced by the SAE reconstruction
  /// (positions ≥ 1; the attention sink is left alone), and with the hook zero-ablated; KL(clean ‖ spliced).
  func crossEntropy(model: LlamaModel, store: ActivationStore, hook: String, autoencoder: SparseAutoencoder) throws -> CrossEntropy {
    let point = try HookPoint(name: hook)
    var windows: [[Int]] = []
    for shard in 0 ..< store.shardCount where windows.count < configuration.ceWindows {
      let s = try store.shard(shard)
      for w in 0 ..< s.windows where store.manifest.isHeldOut(window: s.firstWindow + w) && windows.count < configuration.ceWindows {
        windows.append(Array(s.tokens[w * s.windowLength ..< (w + 1) * s.windowLength]))
      }
    }
    guard !windows.isEmpty else { return CrossEntropy(clean: .nan, spliced: .nan, zero: .nan, kl: .nan) }
    let sae = autoencoder
    let splice: InterventionPlan = [point: [.transform({ values, _ in values = sae.reconstruct(values) }, positions: .from(1))]]
    let zero: InterventionPlan = [point: [.transform({ values, _ in
      values.storage = [Float](repeating: 0, count: values.count) }, positions: .from(1))]]
    var sums = (clean: 0.0, spliced: 0.0, zero: 0.0, kl: 0.0)
    var count = 0
    let batch = 8
    var start = 0
    while start < windows.count {
      let group = Array(windows[start ..< min(start + batch, windows.count)])
      var none = NoObserver()
      guard let clean = try model.forward(group, observer: &none, logits: .all),
        let spliced = try model.forward(group, observer: &none, interventions: Array(repeating: splice, count: group.count), logits: .all),
        let zeroed = try model.forward(group, observer: &none, interventions: Array(repeating: zero, count: group.count), logits: .all)
      else { break }
      let T = group[0].count
      let V = clean.columns
      for (b, tokens) in group.enumerated() {
        for t in 1 ..< T - 1 {
          let row = b * T + t
          let target = tokens[t + 1]
          let (ceClean, logZClean) = Self.crossEntropy(clean, row: row, target: target)
          let (ceSpliced, logZSpliced) = Self.crossEntropy(spliced, row: row, target: target)
          sums.clean += ceClean
          sums.spliced += ceSpliced
          sums.zero += Self.crossEntropy(zeroed, row: row, target: target).0
          // KL(p ‖ q) = Σ p (log p − log q)
          var kl = 0.0
          clean.storage.withUnsafeBufferPointer { p in
            spliced.storage.withUnsafeBufferPointer { q in
              for v in 0 ..< V {
                let lp = Double(p[row * V + v]) - logZClean
                let lq = Double(q[row * V + v]) - logZSpliced
                kl += Foundation.exp(lp) * (lp - lq)
              }
            }
          }
          sums.kl += kl
          count += 1
        }
      }
      start += group.count
      progress.progress("CE loss recovered", done: start, total: windows.count, unit: "windows")
    }
    progress.finish("CE loss recovered")
    let n = Double(max(count, 1))
    return CrossEntropy(clean: sums.clean / n, spliced: sums.spliced / n, zero: sums.zero / n, kl: sums.kl / n)
  }

  /// (−log softmax(logits)[target], log Σ exp) for one row.
  static func crossEntropy(_ logits: Matrix, row: Int, target: Int) -> (Double, Double) {
    logits.storage.withUnsafeBufferPointer { p in
      let base = p.baseAddress! + row * logits.columns
      let logZ = Double(Kernels.logSumExp(base, logits.columns))
      return (logZ - Double(base[target]), logZ)
    }
  }
}
