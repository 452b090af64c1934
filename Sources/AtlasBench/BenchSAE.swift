import ArgumentParser
import AtlasArtifacts
import AtlasPipeline
import Foundation
import SparseAutoencoders
import TensorMath

/// `atlas-bench sae --activations ACTS.npy [--latents 4096] [--k 32] [--batch 4096] [--epochs 10] ...`
///
/// Trains an SAE the way `peers/ref_sae.py` does on the same .npy, so the two can be compared: the last
/// --eval-frac of rows held out, rows with norm > --max-norm-ratio × median dropped from both splits, one
/// input scale with E‖x‖ = √d on the training rows, ⌊rows / batch⌋ batches per epoch in a fresh
/// permutation, --epochs epochs. tokens/s counts training rows per second of step time (batch gathering and
/// evaluation excluded, as the peer does).
struct BenchSAE: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sae", abstract: "Train an SAE on captured activations, as peers/ref_sae.py does.")

  @Option(help: ArgumentHelp("Activations [rows, d] as float32 .npy (peers/capture_acts.py writes out/acts_L15.npy).", valueName: "acts.npy"))
  var activations: String
  @Option(name: .customLong("arch"), help: "Architecture.") var architecture = SAETrainingArchitecture.Kind.topk
  @Option(help: "Latents (d_sae).") var latents = 4096
  @Option(help: "Active latents per token (topk, batchtopk).") var k = SAETrainingArchitecture.defaultK
  @Option(help: "L1 coefficient (relu).") var l1 = SAETrainingArchitecture.defaultL1Coefficient
  @Option(name: .customLong("batch"), help: "Rows per step.") var batchSize = 4096
  @Option(help: "Epochs over the training rows (may be fractional).") var epochs = 10.0
  @Option(name: .customLong("eval-frac"), help: "Final fraction of rows held out.") var evalFraction = 0.1
  @Option(name: .customLong("max-norm-ratio"), help: "Drop rows whose norm exceeds this × the median (0: keep all).") var maxNormRatio = 10.0
  @Option(help: "Adam learning rate (default: the configuration's rule for the architecture and latents).") var lr: Double?
  @Option(help: "Final fraction of steps with a linear decay to 0.") var decay = SAETrainingConfiguration.default.decayFraction
  @Option(help: "Warm-up steps.") var warmup = SAETrainingConfiguration.default.warmupSteps
  @Option(name: .customLong("aux-k"), help: "Latents in the AuxK loss (0: off).") var auxK = SAETrainingConfiguration.default.auxK
  @Option(name: .customLong("dead-tokens"), help: "Tokens without firing after which a latent is dead.") var deadTokens = SAETrainingConfiguration.default.deadTokens
  @Option(help: "Input scaling.") var scaling = SAEInputScaling.meanNorm
  @Option(help: "Seed.") var seed: UInt64 = 0
  @Option(help: ArgumentHelp("Write the SAE (SAELens layout) and a few held-out cases here.", valueName: "dir")) var out: String?

  func validate() throws {
    guard latents > 0, batchSize > 0 else { throw ValidationError("--latents and --batch must be positive") }
    guard epochs > 0 else { throw ValidationError("--epochs must be positive, found \(epochs)") }
    guard evalFraction >= 0 && evalFraction < 1 else { throw ValidationError("--eval-frac must be in [0, 1), found \(evalFraction)") }
  }

  func run() throws {
    let path = activations
    let array = try Npy.read(URL(fileURLWithPath: path))
    guard array.shape.count == 2 else { throw ValidationError("\(path) has shape \(array.shape); expected a 2-D [rows, d] array") }
    let (total, d) = (array.shape[0], array.shape[1])
    let all = Matrix(rows: total, columns: d, storage: array.values)
    let evalCount = Int((Double(total) * evalFraction).rounded(.toNearestOrEven))
    let split = total - evalCount

    // Rows far above the median norm (attention sinks) are dropped from both splits.
    let norms = Self.rowNorms(all)
    let ratio = maxNormRatio
    var median = norms.prefix(min(total, 200_000)).sorted()
    let middle = median.count / 2
    let medianNorm = median.count % 2 == 1 ? Double(median[middle]) : (Double(median[middle - 1]) + Double(median[middle])) / 2
    median = []
    let limit = ratio > 0 ? Float(ratio * medianNorm) : .infinity
    let train = all.gatherRows((0 ..< split).filter { norms[$0] <= limit })
    let held = all.gatherRows((split ..< total).filter { norms[$0] <= limit })

    var c = SAETrainingConfiguration()
    if architecture == .relu { c = .relu(l1Coefficient: l1, latents: latents) }
    c.architecture = .make(architecture, k: k, l1Coefficient: l1)
    c.latents = latents
    c.batchSize = batchSize
    let stepsPerEpoch = train.rows / c.batchSize
    let steps = Int((epochs * Double(stepsPerEpoch)).rounded(.toNearestOrEven))
    c.tokens = steps * c.batchSize
    if let lr { c.learningRate = lr }
    c.decayFraction = decay
    c.warmupSteps = warmup
    c.auxK = auxK
    c.deadTokens = deadTokens
    c.inputScaling = scaling
    c.seed = seed
    c.reportEvery = max(1, stepsPerEpoch / 2)

    print("sae bench: \(total) rows x \(d) from \(path); train \(train.rows), held out \(held.rows) (dropped \(split - train.rows) + \(evalCount - held.rows) rows with norm > \(limit))")
    print("config: \(String(decoding: try CanonicalJSON.encodeCompact(c), as: UTF8.self))")
    print("BLAS core: \(BLAS.coreName), workers: \(Parallel.workers)")
    var trainer = try SAETrainer(configuration: c, dIn: d, normalisationSample: train)
    print("input scale \(trainer.normalisation.scale), lr \(c.resolvedLearningRate), \(steps) steps of \(c.batchSize)")
    var source = InMemoryBatchSource(activations: train, batchSize: c.batchSize, seed: c.seed &+ 1)
    var batch = Matrix(rows: c.batchSize, columns: d)
    var stepSeconds = 0.0
    let wallStart = DispatchTime.now().uptimeNanoseconds
    while !trainer.isFinished {
      guard try source.nextBatch(into: &batch) else { break }
      let t0 = DispatchTime.now().uptimeNanoseconds
      let report = try trainer.step(batch)
      stepSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
      if report.step % c.reportEvery == 0 || trainer.isFinished {
        print(String(format: "step %4d  loss %.4f  fvu_batch %.4f  aux %.4f  L0 %.1f  dead %.4f  tok/s %.0f",
                     report.step, report.loss, report.fvu, report.auxLoss, report.meanL0, report.deadFraction,
                     Double(trainer.tokensSeen) / stepSeconds))
      }
    }
    let f = trainer.profile, perStep = 1000 / Double(max(1, trainer.stepsTaken))
    print(String(format: "CPU ms per step: encode+select %.1f, entries %.1f, tokens %.1f, sort %.1f, latents %.1f, optimiser %.1f; total %.1f (≈ %.0f tokens/s on %d idle cores)",
                 f.encode * perStep, f.entries * perStep, f.tokens * perStep, f.sort * perStep, f.latents * perStep,
                 f.optimiser * perStep, f.total * perStep,
                 Double(Parallel.workers) * Double(trainer.tokensSeen) / f.total, Parallel.workers))
    let wall = Double(DispatchTime.now().uptimeNanoseconds - wallStart) / 1e9
    let sae = trainer.autoencoder
    let t0 = DispatchTime.now().uptimeNanoseconds
    let heldOut = SAEMetrics.evaluate(sae, on: held)
    let evalSeconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    let trainSubset = SAEMetrics.evaluate(sae, on: train.rows(0 ..< min(train.rows, 50_000)))
    let deadLastEpoch = trainer.silentFraction(forTokens: stepsPerEpoch * c.batchSize)
    print(String(format: "RESULT tokens/s %.1f (step time %.2f s, loop wall %.2f s)  held-out FVU %.4f  train-subset FVU %.4f  L0 %.2f  dead held-out %.4f  dead last epoch %.4f  dense %.4f  eval %.2f s",
                 Double(trainer.tokensSeen) / stepSeconds, stepSeconds, wall, heldOut.fvu, trainSubset.fvu,
                 heldOut.meanL0, heldOut.deadFraction, deadLastEpoch, heldOut.denseFraction, evalSeconds))
    if let out {
      let (cfg, weights) = try SAELensFormat.encode(sae, metadata: SAEMetadata(hookName: CaptureConfiguration.defaultHookPoint.name))
      let directory = URL(fileURLWithPath: out)
      try AtomicFile.write(cfg, to: directory.appendingPathComponent("cfg.json"))
      try AtomicFile.write(weights, to: directory.appendingPathComponent("sae_weights.safetensors"))
      try AtomicFile.write(SAELensFormat.encodeSparsity(firingCounts: trainer.firingCounts, tokens: trainer.tokensSeen),
                           to: directory.appendingPathComponent(SAELensFormat.sparsityFile))
      // A few held-out rows with our encodings, for checking the files in SAELens itself.
      let probe = held.rows(0 ..< min(64, held.rows))
      let codes = sae.encode(probe)
      var cases = SafeTensorsWriter()
      cases.add("inputs", floats: probe.storage, shape: [probe.rows, d])
      cases.add("feature_acts", floats: codes.dense().storage, shape: [probe.rows, sae.dSAE])
      cases.add("reconstruction", floats: sae.decode(codes).storage, shape: [probe.rows, d])
      try cases.write(to: directory.appendingPathComponent("cases.safetensors"))
      print("wrote \(out)/cfg.json, sae_weights.safetensors, sparsity.safetensors, cases.safetensors")
    }
    print("loadavg \(((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").trimmingCharacters(in: .whitespacesAndNewlines))")
  }

  static func rowNorms(_ m: Matrix) -> [Float] {
    m.storage.withUnsafeBufferPointer { p in
      (0 ..< m.rows).map { r in Kernels.dot(p.baseAddress! + r * m.columns, p.baseAddress! + r * m.columns, m.columns).squareRoot() }
    }
  }
}

extension SAETrainingArchitecture.Kind: ExpressibleByArgument {}
extension SAEInputScaling: ExpressibleByArgument {}
