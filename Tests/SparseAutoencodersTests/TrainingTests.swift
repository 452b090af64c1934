import Foundation
import SparseAutoencoders
import TensorMath
import Testing

/// Activations made of k-sparse positive combinations of random unit atoms plus Gaussian noise, generated
/// batch by batch (a streaming source, as the pipeline's is).
struct SyntheticSparseSource: SAEBatchSource {
  let atoms: Matrix            // [atomCount, dIn], unit rows
  let activeAtoms: Int
  let batchSize: Int
  let noise: Float
  let offset: Float
  var rng: SplitMix64

  init(dIn: Int, atomCount: Int, activeAtoms: Int, batchSize: Int, noise: Float = 0.01, offset: Float = 0, seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    var atoms = Matrix(rows: atomCount, columns: dIn)
    for a in 0 ..< atomCount {
      let v = (0 ..< dIn).map { _ in rng.nextGaussian() }
      let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
      atoms.setRow(a, v.map { $0 / norm })
    }
    self.atoms = atoms
    self.activeAtoms = activeAtoms
    self.batchSize = batchSize
    self.noise = noise
    self.offset = offset
    self.rng = rng
  }

  mutating func nextBatch(into batch: inout Matrix) throws -> Bool {
    let d = atoms.columns
    if batch.rows != batchSize || batch.columns != d { batch = Matrix(rows: batchSize, columns: d) }
    for r in 0 ..< batchSize {
      var row = (0 ..< d).map { _ in rng.nextGaussian() * noise + offset }
      for _ in 0 ..< activeAtoms {
        let a = rng.nextInt(below: atoms.rows)
        let c = 0.5 + rng.nextUnitFloat()
        for i in 0 ..< d { row[i] += c * atoms[a, i] }
      }
      batch.setRow(r, row)
    }
    return true
  }

  func sample(rows: Int) -> Matrix {
    var copy = self
    var out = Matrix(rows: rows, columns: atoms.columns)
    var batch = Matrix(rows: batchSize, columns: atoms.columns)
    var filled = 0
    while filled < rows {
      _ = try? copy.nextBatch(into: &batch)
      let take = min(batchSize, rows - filled)
      for r in 0 ..< take { out.setRow(filled + r, batch.row(r)) }
      filled += take
    }
    return out
  }

  /// Fraction of atoms whose best-matching decoder row has cosine ≥ `threshold`.
  func recovered(by sae: SparseAutoencoder, threshold: Float = 0.9) -> Double {
    let norms = sae.decoderNorms
    var found = 0
    for a in 0 ..< atoms.rows {
      var best: Float = -1
      for j in 0 ..< sae.dSAE where norms[j] > 0 {
        var dot: Float = 0
        for i in 0 ..< atoms.columns { dot += atoms[a, i] * sae.decoder[j, i] }
        best = max(best, dot / norms[j])
      }
      if best >= threshold { found += 1 }
    }
    return Double(found) / Double(atoms.rows)
  }
}

@Suite("SAE training")
struct TrainingTests {
  static func configuration(_ architecture: SAETrainingArchitecture, latents: Int, batch: Int, steps: Int) -> SAETrainingConfiguration {
    var c = SAETrainingConfiguration()
    c.architecture = architecture
    c.latents = latents
    c.batchSize = batch
    c.tokens = batch * steps
    c.learningRate = 1e-3
    c.reportEvery = 25
    c.seed = 42
    return c
  }

  @Test("TopK recovers at least 90% of the planted atoms at cosine ≥ 0.9")
  func recoversAtoms() throws {
    var source = SyntheticSparseSource(dIn: 64, atomCount: 256, activeAtoms: 4, batchSize: 256, offset: 0.3, seed: 1)
    var config = Self.configuration(.topK(k: 4), latents: 512, batch: 256, steps: 600)
    config.learningRate = 3e-3
    var trainer = try SAETrainer(configuration: config, dIn: 64, normalisationSample: source.sample(rows: 2048))
    try trainer.train(source: &source)
    #expect(trainer.stepsTaken == 600)
    let recovered = source.recovered(by: trainer.autoencoder)
    #expect(recovered >= 0.9, "recovered \(recovered)")
    let heldOut = SAEMetrics.evaluate(trainer.autoencoder, on: source.sample(rows: 4096))
    #expect(heldOut.fvu < 0.15, "held-out FVU \(heldOut.fvu)")
    #expect(heldOut.meanL0 <= 4)
    #expect(trainer.curve.count == 600 / 25)
    #expect(trainer.curve.last!.fvu < trainer.curve.first!.fvu)
  }

  @Test("BatchTopK becomes a JumpReLU with about k active latents; ReLU + L1 learns sparse codes", arguments: [
    SAETrainingArchitecture.batchTopK(k: 4), .relu(l1Coefficient: 1),
  ])
  func otherArchitecturesLearn(_ architecture: SAETrainingArchitecture) throws {
    var source = SyntheticSparseSource(dIn: 32, atomCount: 64, activeAtoms: 3, batchSize: 128, offset: 0.2, seed: 3)
    var config = Self.configuration(architecture, latents: 128, batch: 128, steps: 400)
    config.learningRate = 3e-3
    var trainer = try SAETrainer(configuration: config, dIn: 32, normalisationSample: source.sample(rows: 1024))
    try trainer.train(source: &source)
    let report = SAEMetrics.evaluate(trainer.autoencoder, on: source.sample(rows: 2048))
    if case .batchTopK = architecture {
      guard case .jumpReLU(let threshold) = trainer.autoencoder.activation else {
        Issue.record("BatchTopK should save as JumpReLU")
        return
      }
      #expect(threshold.allSatisfy { $0 > 0 && $0 == threshold[0] })
      #expect(report.meanL0 > 2 && report.meanL0 < 8, "L0 \(report.meanL0)")
    } else {
      #expect(report.meanL0 < 20, "L0 \(report.meanL0)")
    }
    #expect(report.fvu < 0.3, "FVU \(report.fvu)")
    #expect(trainer.curve.last!.loss < trainer.curve.first!.loss)
  }

  /// A run small enough to repeat, with AuxK engaged (latents go dead after 2 batches) and centred inputs.
  static func smallRun(_ architecture: SAETrainingArchitecture) -> (SAETrainingConfiguration, SyntheticSparseSource) {
    var c = configuration(architecture, latents: 96, batch: 64, steps: 40)
    c.deadTokens = 128
    c.auxK = 8
    c.centreInputs = true
    c.warmupSteps = 5
    c.reportEvery = 7
    return (c, SyntheticSparseSource(dIn: 16, atomCount: 48, activeAtoms: 3, batchSize: 64, offset: 0.5, seed: 5))
  }

  @Test("Same seed and data give bit-identical weights (both cores busy)", arguments: [
    SAETrainingArchitecture.topK(k: 4), .batchTopK(k: 4), .relu(l1Coefficient: 0.5),
  ])
  func deterministic(_ architecture: SAETrainingArchitecture) throws {
    let (config, source) = Self.smallRun(architecture)
    var runs: [SAETrainer] = []
    for _ in 0 ..< 2 {
      var data = source
      var trainer = try SAETrainer(configuration: config, dIn: 16, normalisationSample: source.sample(rows: 512))
      try trainer.train(source: &data)
      runs.append(trainer)
    }
    #expect(runs[0].parameters == runs[1].parameters)
    #expect(runs[0].curve == runs[1].curve)
    #expect(runs[0].stepsTaken == 40)
    #expect(runs[0].curve.contains { $0.auxLoss > 0 } || architecture.k == nil, "AuxK never engaged")
    var other = config
    other.seed = 43
    var data = source
    var reseeded = try SAETrainer(configuration: other, dIn: 16, normalisationSample: source.sample(rows: 512))
    try reseeded.train(source: &data)
    #expect(reseeded.parameters != runs[0].parameters)
  }

  struct SimulatedCrash: Error {}

  @Test("Killed after a checkpoint, restored and resumed: ends bit-identical to the straight run", arguments: [
    SAETrainingArchitecture.topK(k: 4), .batchTopK(k: 4), .relu(l1Coefficient: 0.5),
  ])
  func resumeFromCheckpoint(_ architecture: SAETrainingArchitecture) throws {
    let (config, source) = Self.smallRun(architecture)
    let sample = source.sample(rows: 512)
    var straight = try SAETrainer(configuration: config, dIn: 16, normalisationSample: sample)
    var data = source
    try straight.train(source: &data)

    var interrupted = try SAETrainer(configuration: config, dIn: 16, normalisationSample: sample)
    var saved: SAECheckpoint?
    data = source
    #expect(throws: SimulatedCrash.self) {
      try interrupted.train(source: &data, checkpointEvery: 10) { checkpoint in
        saved = checkpoint
        if try SAETrainer(restoring: checkpoint).stepsTaken == 20 { throw SimulatedCrash() }
      }
    }
    let checkpoint = try #require(saved)
    var resumed = try SAETrainer(restoring: checkpoint)
    #expect(resumed.stepsTaken == 20)
    #expect(try resumed.checkpoint() == checkpoint)
    data = source  // a fresh stream from the start: the trainer skips what it has seen
    try resumed.train(source: &data)
    #expect(resumed.stepsTaken == straight.stepsTaken)
    #expect(resumed.parameters == straight.parameters)
    #expect(resumed.adam == straight.adam)
    #expect(resumed.firingCounts == straight.firingCounts)
    #expect(resumed.curve == straight.curve)
    #expect(try resumed.checkpoint() == straight.checkpoint())
  }

  @Test("The trained autoencoder reads model units: the normalisation is folded in exactly")
  func foldedNormalisation() throws {
    let (config, source) = Self.smallRun(.topK(k: 4))
    var data = source
    var trainer = try SAETrainer(configuration: config, dIn: 16, normalisationSample: source.sample(rows: 512))
    try trainer.train(source: &data)
    let s = trainer.normalisation.scale
    let shift = try #require(trainer.normalisation.shift)
    let p = trainer.parameters
    let inSAESpace = SparseAutoencoder(activation: .topK(k: 4), encoder: p.encoder, encoderBias: p.encoderBias,
                                     decoder: p.decoder, decoderBias: p.decoderBias)
    let x = source.sample(rows: 100)
    var normalised = x
    for r in 0 ..< x.rows { for i in 0 ..< 16 { normalised[r, i] = (x[r, i] - shift[i]) * s } }
    let outer = trainer.autoencoder.encode(x), inner = inSAESpace.encode(normalised)
    #expect(outer.latents == inner.latents)
    for e in 0 ..< outer.nonZeroCount { #expect(abs(outer.values[e] - inner.values[e] / s) < 1e-3 * max(1, abs(outer.values[e]))) }
    let a = trainer.autoencoder.reconstruct(x), b = inSAESpace.reconstruct(normalised)
    for r in 0 ..< x.rows { for i in 0 ..< 16 { #expect(abs(a[r, i] - (b[r, i] / s + shift[i])) < 1e-3) } }
  }

  @Test("Configuration decodes with defaults for absent keys and round-trips")
  func configurationCoding() throws {
    let empty = try JSONDecoder().decode(SAETrainingConfiguration.self, from: Data("{}".utf8))
    #expect(empty == .default)
    var c = SAETrainingConfiguration.relu(l1Coefficient: 3)
    c.seed = 9
    c.learningRate = 1e-3
    let back = try JSONDecoder().decode(SAETrainingConfiguration.self, from: JSONEncoder().encode(c))
    #expect(back == c)
    var bad = SAETrainingConfiguration()
    bad.architecture = .topK(k: 0)
    #expect(throws: SAETrainingError.self) { try bad.validate(dIn: 8) }
  }

  @Test("A batch of the wrong width is an error, not a crash")
  func batchShape() throws {
    let (config, source) = Self.smallRun(.topK(k: 4))
    var trainer = try SAETrainer(configuration: config, dIn: 16, normalisationSample: source.sample(rows: 64))
    #expect(throws: SAETrainingError.self) { try trainer.step(Matrix(rows: 4, columns: 15)) }
    #expect(throws: SAETrainingError.self) { try trainer.step(Matrix(rows: 65, columns: 16)) }
  }
}
