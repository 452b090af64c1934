import AtlasArtifacts
import Foundation
import Llama
import SparseAutoencoders
import TensorMath

public enum SteeringMode: String, Codable, Sendable, CaseIterable {
  /// h ← h + s · maxAct · d (d the feature's decoder row).
  case add
  /// Anthropic's clamp: encode h with the SAE, set the feature's activation a to s · maxAct, decode and keep
  /// the SAE's error term: h ← h + (s · maxAct − a) · d. Strengths ≤ 0 ablate.
  case clamp
}

/// Where the edit applies.
public enum SteeringPositions: String, Codable, Sendable, CaseIterable {
  /// Every position, prompt and generated tokens.
  case all
  /// The last prompt token (the one that predicts the first new token) and every generated token.
  case generated
}

/// Which features to steer, on which prompts, how hard, and how the result is judged.
public struct SteeringConfiguration: Codable, Sendable, Equatable {
  /// Features always steered and shown (by index), in addition to the automatic picks.
  public var features: [Int] = []
  /// Candidates picked automatically (word-like features spread across coarse clusters); those whose
  /// chosen strength does not raise the concept are dropped.
  public var automatic = 16
  /// Minimum label evidence (balanced accuracy) of an automatic pick; 0 = no requirement (the default:
  /// high label evidence favours token and syntax features, which do not steer into a concept).
  public var minimumEvidence = 0.0
  /// Neutral prompts, run through the chat template as user messages.
  public var prompts = [
    "Tell me about your day.", "Write two sentences about the weather.", "What is a good name for a dog?",
    "What should I cook for dinner tonight?", "Describe your favourite place.",
  ]
  /// The sweep's strengths in multiples of the feature's max activation (log-spaced 0.5 to 20).
  public var strengths: [Float] = [0.5, 0.85, 1.4, 2.4, 4, 7, 12, 20]
  /// Ablation clamp targets in the same unit (0 removes the feature, negative values push against it).
  public var ablationStrengths: [Float] = [0, -2]
  public var mode = SteeringMode.add
  /// Measured on the quick atlas (same two features, same grid): editing every position let the concept
  /// carry in 3 of 5 prompts at a fluent strength where editing only the answer reached 1 of 5.
  public var positions = SteeringPositions.all
  /// New tokens per sweep continuation, and of the chosen runs at full length.
  public var sweepTokens = 16
  public var maxNewTokens = 40
  public var chat = true
  /// Sequences generated in one batch.
  public var batchSize = 128
  /// "Carries the concept": fires on ≥ `minimumFiringTokens` generated tokens with a mean activation ≥
  /// `conceptMultiple` × the default continuation's.
  public var minimumFiringTokens = 2
  public var conceptMultiple: Float = 3
  /// Fluent: median NLL ≤ `maximumNLLRatio` × the default continuation's and median distinct-2 ≥ `minimumDistinct2`.
  public var maximumNLLRatio: Float = 2
  public var minimumDistinct2: Float = 0.5
  public init() {}

  package var criteria: SteeringCriteria {
    SteeringCriteria(minimumFiringTokens: minimumFiringTokens, conceptMultiple: conceptMultiple,
                     maximumNLLRatio: maximumNLLRatio, minimumDistinct2: minimumDistinct2)
  }
}

public struct SteeringStage {
  public var configuration: SteeringConfiguration
  public var atlas: AtlasDirectory
  public var progress: any ProgressSink

  public init(configuration: SteeringConfiguration, atlas: AtlasDirectory, progress: any ProgressSink) {
    self.configuration = configuration
    self.atlas = atlas
    self.progress = progress
  }

  /// One continuation to generate: a feature at a strength on a prompt (no feature: the default).
  package struct Job {
    package var feature: Int?
    package var prompt: Int
    package var mode: String      // "none", "add", "clamp", "ablate"
    package var strength: Float
    package init(feature: Int?, prompt: Int, mode: String, strength: Float) {
      self.feature = feature; self.prompt = prompt; self.mode = mode; self.strength = strength
    }
  }

  @discardableResult
  public func run(model: LanguageModel, autoencoder: SparseAutoencoder, hookPoint: String, records: [FeatureRecord],
                  coarseAssignments: [Int], inputs: [String: String]) throws -> SteeringRecord {
    let point = try HookPoint(name: hookPoint)
    let c = configuration
    guard !c.prompts.isEmpty else { throw PipelineError.invalidConfiguration("steering.prompts is empty; give at least one prompt") }
    guard c.sweepTokens > 0, c.maxNewTokens > 0 else {
      throw PipelineError.invalidConfiguration("steering.sweepTokens and steering.maxNewTokens must be positive")
    }
    let picks = Self.select(records: records, coarseAssignments: coarseAssignments, configuration: c)
    let prompts = try c.prompts.map { c.chat ? try model.chatPrompt($0) : model.tokenizer.encode($0) }
    let reader = AutoencoderLatents(autoencoder)
    let scorer = ContinuationScorer(model: model, autoencoder: autoencoder, point: point, prompts: prompts)

    // MARK: Sweep: every candidate × prompt × strength, short continuations.
    var sweep = prompts.indices.map { Job(feature: nil, prompt: $0, mode: "none", strength: 0) }
    for (feature, _) in picks {
      for p in prompts.indices {
        for s in c.ablationStrengths { sweep.append(Job(feature: feature, prompt: p, mode: "ablate", strength: s)) }
        for s in c.strengths { sweep.append(Job(feature: feature, prompt: p, mode: c.mode.rawValue, strength: s)) }
      }
    }
    let sweepTokens = try generate(sweep, prompts: prompts, tokens: c.sweepTokens, model: model, autoencoder: autoencoder,
                                   reader: reader, records: records, point: point, label: "steer sweep")
    let sweepScores = try scorer.score(sweep.indices.map { (sweep[$0].prompt, sweepTokens[$0], sweep[$0].feature) },
                                       baselineFeatures: picks.map(\.feature), progress: progress, label: "steer scores")

    // MARK: Choose a strength per feature; keep those whose chosen run raises the concept.
    var chosen: [Int: (ChosenStrength, [SteeringPoint], [Int])] = [:]  // feature -> (choice, curve, its sweep jobs)
    var kept: [(feature: Int, reason: String)] = []
    for (feature, reason) in picks {
      let jobs = sweep.indices.filter { sweep[$0].feature == feature }
      let baseline = prompts.indices.map { sweepScores.baselines[$0] }
      let (choice, curve) = Self.choose(jobs: jobs.map { (sweep[$0], sweepScores.scores[$0]) }, baselines: baseline,
                                        feature: feature, configuration: c)
      chosen[feature] = (choice, curve, jobs)
      let raised = curve.first { $0.mode == choice.mode && $0.strength == choice.strength }.map { $0.carried > 0 } ?? false
      if reason == "configured" || raised { kept.append((feature, reason)) }
    }

    // MARK: The chosen strengths at full length, and the default continuations.
    var full = prompts.indices.map { Job(feature: nil, prompt: $0, mode: "none", strength: 0) }
    for (feature, _) in kept {
      guard let choice = chosen[feature]?.0 else { continue }
      for p in prompts.indices { full.append(Job(feature: feature, prompt: p, mode: choice.mode, strength: choice.strength)) }
    }
    let fullTokens = try generate(full, prompts: prompts, tokens: c.maxNewTokens, model: model, autoencoder: autoencoder,
                                  reader: reader, records: records, point: point, label: "steer chosen")
    let fullScores = try scorer.score(full.indices.map { (full[$0].prompt, fullTokens[$0], full[$0].feature) },
                                      baselineFeatures: kept.map(\.feature), progress: progress, label: "steer chosen scores")

    // MARK: Record.
    func makeRun(_ job: Job, _ tokens: [Int], _ score: ContinuationScore, baseline: ContinuationScore?) -> SteeringRun {
      let concept = job.feature.flatMap { score.concept[$0] } ?? ConceptScore(meanActivation: 0, firingFraction: 0, firingTokens: 0)
      var carries = false
      if let f = job.feature, let base = baseline?.concept[f] {
        carries = Self.carries(concept, baseline: base, criteria: c.criteria)
      }
      return SteeringRun(prompt: job.prompt, mode: job.mode, strength: job.strength, text: model.tokenizer.decodeText(tokens),
                         tokens: model.tokenizer.displayPieces(tokens), concept: concept, nll: score.nll,
                         distinct2: score.distinct2, carriesConcept: carries)
    }
    let steered = kept.map { feature, reason -> SteeredFeature in
      let (choice, curve, jobs) = chosen[feature] ?? (ChosenStrength(mode: c.mode.rawValue, strength: 0, fluent: false), [], [])
      let sweepRuns = jobs.map {
        makeRun(sweep[$0], sweepTokens[$0], sweepScores.scores[$0], baseline: sweepScores.baselines[sweep[$0].prompt])
      }
      let chosenRuns = full.indices.filter { full[$0].feature == feature }.map {
        makeRun(full[$0], fullTokens[$0], fullScores.scores[$0], baseline: fullScores.baselines[full[$0].prompt])
      }
      let carried = chosenRuns.filter(\.carriesConcept).count
      let ratios = chosenRuns.map { $0.nll / max(fullScores.baselines[$0.prompt].nll, 1e-6) }
      let steers = 2 * carried >= prompts.count && median(ratios) <= c.maximumNLLRatio
      return SteeredFeature(feature: feature, label: records[feature].label.text, maxActivation: records[feature].maxActivation,
                            reason: reason, chosen: choice, sweep: curve, runs: sweepRuns, chosenRuns: chosenRuns, steers: steers)
    }
    let promptRecords = prompts.indices.map { p in
      SteeringPrompt(text: c.prompts[p], chat: c.chat, defaultContinuation: model.tokenizer.decodeText(fullTokens[p]),
                     baseline: makeRun(full[p], fullTokens[p], fullScores.scores[p], baseline: nil),
                     sweepBaseline: makeRun(sweep[p], sweepTokens[p], sweepScores.scores[p], baseline: nil))
    }
    let record = SteeringRecord(
      parameters: try JSONValue(encoding: c), inputs: inputs,
      method: SteeringMethod(hookPoint: hookPoint, mode: c.mode.rawValue, positions: c.positions.rawValue, strengths: c.strengths,
                             ablationStrengths: c.ablationStrengths, sweepTokens: c.sweepTokens, maxNewTokens: c.maxNewTokens,
                             decoding: "greedy", criteria: c.criteria),
      prompts: promptRecords, features: steered,
      summary: SteeringSummary(candidates: picks.count, showcased: steered.count, steering: steered.filter(\.steers).count,
                               medianChosenStrength: median(steered.map(\.chosen.strength))))
    try FileManager.default.createDirectory(at: atlas.steering, withIntermediateDirectories: true)
    try record.write(to: atlas.steeringRecord)
    progress.log("steering: \(picks.count) candidates swept, \(steered.count) shown, \(record.summary.steering) carry their concept fluently in ≥ half the prompts")
    return record
  }

  /// Greedy continuations of every job, batched; a job's edit per its mode and the configured positions.
  func generate(_ jobs: [Job], prompts: [[Int]], tokens: Int, model: LanguageModel, autoencoder: SparseAutoencoder,
                reader: AutoencoderLatents, records: [FeatureRecord], point: HookPoint, label: String) throws -> [[Int]] {
    let c = configuration
    let norms = autoencoder.decoderNorms
    func plan(_ job: Job) -> InterventionPlan {
      guard let f = job.feature else { return [:] }
      let positions: PositionSelector = c.positions == .all ? .all : .from(prompts[job.prompt].count - 1)
      let target = job.strength * records[f].maxActivation
      if job.mode == SteeringMode.add.rawValue {
        let direction = Array(autoencoder.decoder.row(f))
        let unit = direction.map { $0 / max(norms[f], 1e-12) }
        return [point: [.add(vector: unit, scale: target * norms[f], positions: positions)]]
      }
      return [point: [.clampLatent(latent: f, target: target, reader: reader, positions: positions)]]
    }
    let sampling = SamplingConfiguration(maxTokens: tokens, stopTokens: model.stopTokens)
    var outputs = [[Int]](repeating: [], count: jobs.count)
    var start = 0
    while start < jobs.count {
      let group = Array(start ..< min(start + max(c.batchSize, 1), jobs.count))
      let results = try model.model.generate(
        group.map { GenerationRequest(prompt: prompts[jobs[$0].prompt], interventions: plan(jobs[$0])) }, sampling: sampling,
        sharePromptPrefixes: true)
      for (i, r) in zip(group, results) { outputs[i] = r.tokens.filter { !model.stopTokens.contains($0) } }
      start = group.count + start
      progress.progress(label, done: start, total: jobs.count, unit: "continuations")
    }
    progress.finish(label)
    return outputs
  }

  package static func carries(_ concept: ConceptScore, baseline: ConceptScore, criteria: SteeringCriteria) -> Bool {
    concept.firingTokens >= criteria.minimumFiringTokens && concept.meanActivation > 0
      && concept.meanActivation >= criteria.conceptMultiple * baseline.meanActivation
  }

  /// Summarises each strength of one feature's sweep over the prompts and picks the one with the most
  /// prompts carrying the concept (then the highest mean activation) among the fluent ones; when none is
  /// fluent, the weakest positive strength (marked not fluent).
  package static func choose(jobs: [(Job, ContinuationScore)], baselines: [ContinuationScore], feature: Int,
                     configuration c: SteeringConfiguration) -> (ChosenStrength, [SteeringPoint]) {
    var keys: [(mode: String, strength: Float)] = []
    for (job, _) in jobs where !keys.contains(where: { $0.mode == job.mode && $0.strength == job.strength }) {
      keys.append((job.mode, job.strength))
    }
    let zero = ConceptScore(meanActivation: 0, firingFraction: 0, firingTokens: 0)
    let curve = keys.map { key -> SteeringPoint in
      let runs = jobs.filter { $0.0.mode == key.mode && $0.0.strength == key.strength }
      let concepts = runs.map { $0.1.concept[feature] ?? zero }
      let carried = zip(runs, concepts).filter {
        carries($1, baseline: baselines[$0.0.prompt].concept[feature] ?? zero, criteria: c.criteria)
      }.count
      let ratio = median(runs.map { $0.1.nll / max(baselines[$0.0.prompt].nll, 1e-6) })
      let distinct = median(runs.map(\.1.distinct2))
      let mean = concepts.map(\.meanActivation).reduce(0, +) / Float(max(concepts.count, 1))
      return SteeringPoint(mode: key.mode, strength: key.strength, meanActivation: mean, carried: carried, medianNLLRatio: ratio,
                           medianDistinct2: distinct,
                           fluent: ratio <= c.maximumNLLRatio && distinct >= c.minimumDistinct2)
    }
    let candidates = curve.filter { $0.mode != "ablate" }
    if let best = candidates.filter(\.fluent).max(by: {
      ($0.carried, $0.meanActivation, -$0.strength) < ($1.carried, $1.meanActivation, -$1.strength)
    }) {
      return (ChosenStrength(mode: best.mode, strength: best.strength, fluent: true), curve)
    }
    let weakest = candidates.min { $0.strength < $1.strength }
    return (ChosenStrength(mode: weakest?.mode ?? c.mode.rawValue, strength: weakest?.strength ?? 0, fluent: false), curve)
  }
}

package func median(_ values: [Float]) -> Float {
  guard !values.isEmpty else { return 0 }
  let s = values.sorted()
  return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// The pipeline's SAE as a `LatentReader`, so Llama can clamp a feature without importing SparseAutoencoders.
final class AutoencoderLatents: LatentReader {
  let autoencoder: SparseAutoencoder
  init(_ autoencoder: SparseAutoencoder) { self.autoencoder = autoencoder }
  var dModel: Int { autoencoder.dIn }

  func activations(_ rows: Matrix, latents: [Int]) -> [Float] {
    let codes = autoencoder.encode(rows)
    return latents.enumerated().map { r, j in codes.row(r).first { $0.latent == j }?.value ?? 0 }
  }

  func decoderRow(_ latent: Int) -> [Float] { Array(autoencoder.decoder.row(latent)) }
}
