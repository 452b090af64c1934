import AtlasArtifacts
import Foundation
import Llama
import SparseAutoencoders

extension SteeringStage {
  /// Screens word-like features, sweeps the best, runs the chosen strengths at full length and shows the features
  /// that steer there (and configured ones), with their ablations; writes `steering/steering.json`.
  @discardableResult
  public func run(model: LanguageModel, autoencoder: SparseAutoencoder, hookPoint: String, records: [FeatureRecord],
                  coarseAssignments: [Int], inputs: [String: String]) throws -> SteeringRecord {
    let c = configuration
    guard !c.prompts.isEmpty else { throw PipelineError.invalidConfiguration("steering.prompts is empty; give at least one prompt") }
    guard c.sweepTokens > 0, c.maxNewTokens > 0, c.screenTokens > 0 else {
      throw PipelineError.invalidConfiguration("steering.sweepTokens, steering.screenTokens and steering.maxNewTokens must be positive")
    }
    let bench = try SteeringBench(stage: self, model: model, autoencoder: autoencoder, hookPoint: hookPoint, records: records)
    let prompts = bench.prompts.indices

    // MARK: Screen many word-like features cheaply; sweep the ones that steer best (those that carried their
    // concept fluently in at least one screen run).
    let picks = Self.select(records: records, coarseAssignments: coarseAssignments, configuration: c,
                            count: max(c.automatic, c.screened))
    var candidates = picks.map { SteeringCandidate(feature: $0.feature, label: records[$0.feature].displayName, reason: $0.reason) }
    var swept = picks.map(\.feature)
    if c.screened > c.automatic {
      let automatic = picks.filter { $0.reason != "configured" }.map(\.feature)
      let screenPrompts = Array(prompts.prefix(c.screenPrompts))
      let jobs = screenPrompts.map { Job(feature: nil, prompt: $0, mode: "none", strength: 0) } + automatic.flatMap { f in
        screenPrompts.flatMap { p in c.screenStrengths.map { Job(feature: f, prompt: p, mode: c.mode.rawValue, strength: $0) } }
      }
      // Concept only (the pass stops at the hook point): fluency here is distinct-2, NLL waits for the sweep.
      let screen = try bench.run(jobs, tokens: jobs.map { _ in c.screenTokens }, baselineFeatures: automatic, nll: false,
                                 label: "steer screen")
      let carried = Self.fluentCarries(screen, configuration: c, nll: false)
      let ranked = automatic.indices.sorted { a, b in
        let (ka, kb) = (carried[automatic[a]] ?? 0, carried[automatic[b]] ?? 0)
        return ka != kb ? ka > kb : a < b
      }
      let best = Set(ranked.prefix(c.automatic).filter { (carried[automatic[$0]] ?? 0) > 0 }.map { automatic[$0] })
      for i in candidates.indices where candidates[i].reason != "configured" { candidates[i].screenCarried = carried[candidates[i].feature] ?? 0 }
      swept = picks.map(\.feature).filter { !automatic.contains($0) || best.contains($0) }
    }

    // MARK: Sweep: every swept feature × prompt × strength, short continuations; a strength per feature.
    let sweepJobs = prompts.map { Job(feature: nil, prompt: $0, mode: "none", strength: 0) } + swept.flatMap { f in
      prompts.flatMap { p in c.strengths.map { Job(feature: f, prompt: p, mode: c.mode.rawValue, strength: $0) } }
    }
    let sweep = try bench.run(sweepJobs, tokens: sweepJobs.map { _ in c.sweepTokens }, baselineFeatures: swept, label: "steer sweep")
    var chosen: [Int: ChosenStrength] = [:]
    for f in swept {
      let (choice, curve) = Self.choose(jobs: sweep.pairs(of: f), baselines: sweep.baselines, feature: f, configuration: c)
      chosen[f] = choice
      let i = candidates.firstIndex { $0.feature == f }!
      candidates[i].chosen = choice
      candidates[i].sweepCarried = curve.first { $0.mode == choice.mode && $0.strength == choice.strength }?.carried ?? 0
    }

    // MARK: At full length: configured features and those whose chosen strength carried the concept in a sweep
    // run, in one batch with their ablations at the sweep's length (kept for the features shown).
    let trials = candidates.filter { $0.reason == "configured" || ($0.chosen?.fluent == true && ($0.sweepCarried ?? 0) > 0) }.map(\.feature)
    let fullJobs = prompts.map { Job(feature: nil, prompt: $0, mode: "none", strength: 0) } + trials.flatMap { f in
      prompts.map { p in Job(feature: f, prompt: p, mode: chosen[f]?.mode ?? c.mode.rawValue, strength: chosen[f]?.strength ?? 0) }
    }
    let ablationJobs = trials.flatMap { f in prompts.flatMap { p in c.ablationStrengths.map { Job(feature: f, prompt: p, mode: "ablate", strength: $0) } } }
    let lengths = fullJobs.map { _ in c.maxNewTokens } + ablationJobs.map { _ in c.sweepTokens }
    let both = try bench.run(fullJobs + ablationJobs, tokens: lengths, baselineFeatures: trials, label: "steer chosen")
    let full = both.slice(0 ..< fullJobs.count, baselines: both.baselines)
    let ablations = both.slice(fullJobs.count ..< both.jobs.count, baselines: sweep.baselines)
    var shown: [Int] = []
    for f in trials {
      let i = candidates.firstIndex { $0.feature == f }!
      let runs = full.pairs(of: f)
      candidates[i].fullCarried = runs.filter {
        Self.carries($0.1, feature: f, baseline: full.baselines[$0.0.prompt], criteria: c.criteria)
      }.count
      candidates[i].steers = Self.steers(runs, feature: f, baselines: full.baselines, configuration: c, prompts: prompts.count)
      if candidates[i].reason == "configured" || candidates[i].steers == true {
        candidates[i].shown = true
        shown.append(f)
      }
    }

    // MARK: Record.
    let steered = shown.map { f -> SteeredFeature in
      let candidate = candidates.first { $0.feature == f }!
      let pairs = ablations.pairs(of: f) + sweep.pairs(of: f)
      let (_, curve) = Self.choose(jobs: pairs, baselines: sweep.baselines, feature: f, configuration: c)
      return SteeredFeature(
        feature: f, label: records[f].displayName, maxActivation: records[f].maxActivation, reason: candidate.reason,
        chosen: chosen[f] ?? ChosenStrength(mode: c.mode.rawValue, strength: 0, fluent: false),
        sweep: curve.sorted { Self.curveOrder($0, $1) },
        runs: ablations.runs(of: f, bench: bench) + sweep.runs(of: f, bench: bench), chosenRuns: full.runs(of: f, bench: bench),
        steers: candidate.steers ?? false)
    }
    let promptRecords = prompts.map { p in
      let baseline = full.run(at: p, bench: bench)
      return SteeringPrompt(text: c.prompts[p], chat: c.chat, defaultContinuation: baseline.text, baseline: baseline,
                            sweepBaseline: sweep.run(at: p, bench: bench))
    }
    let record = SteeringRecord(
      parameters: try JSONValue(encoding: c), inputs: inputs,
      method: SteeringMethod(hookPoint: hookPoint, mode: c.mode.rawValue, positions: c.positions.rawValue, strengths: c.strengths,
                             ablationStrengths: c.ablationStrengths, sweepTokens: c.sweepTokens, maxNewTokens: c.maxNewTokens,
                             decoding: "greedy", criteria: c.criteria),
      prompts: promptRecords, features: steered, candidates: candidates,
      summary: SteeringSummary(screened: c.screened > c.automatic ? picks.count : nil, candidates: swept.count,
                               showcased: steered.count, steering: steered.filter(\.steers).count,
                               medianChosenStrength: median(steered.map(\.chosen.strength))))
    try FileManager.default.createDirectory(at: atlas.steering, withIntermediateDirectories: true)
    try record.write(to: atlas.steeringRecord)
    progress.log("steering: \(picks.count) candidates, \(swept.count) swept, \(trials.count) run at full length, \(steered.count) shown, "
                 + "\(record.summary.steering) carry their concept fluently in ≥ half the prompts")
    return record
  }

  /// Per feature, its runs that carry the concept and stay fluent (NLL ≤ the bound × the default continuation's,
  /// unless the batch was scored without NLL, and distinct-2 ≥ the bound).
  package static func fluentCarries(_ batch: SteeringBatch, configuration c: SteeringConfiguration, nll: Bool = true) -> [Int: Int] {
    var carried: [Int: Int] = [:]
    for (job, score) in zip(batch.jobs, batch.scores) {
      guard let f = job.feature else { continue }
      let base = batch.baselines[job.prompt]
      let fluent = (!nll || score.nll <= c.maximumNLLRatio * max(base.nll, 1e-6)) && score.distinct2 >= c.minimumDistinct2
      if fluent && carries(score, feature: f, baseline: base, criteria: c.criteria) { carried[f, default: 0] += 1 }
    }
    return carried
  }

  static func carries(_ score: ContinuationScore, feature: Int, baseline: ContinuationScore, criteria: SteeringCriteria) -> Bool {
    let zero = ConceptScore(meanActivation: 0, firingFraction: 0, firingTokens: 0)
    return carries(score.concept[feature] ?? zero, baseline: baseline.concept[feature] ?? zero, criteria: criteria)
  }

  /// A feature steers when its chosen runs carry the concept in at least half the prompts, each such run without
  /// looping (distinct-2 ≥ `minimumDistinct2`: "Dear Sarah, Dear Sarah, …" carries "dear" but says nothing), and their
  /// median NLL stays within the bound of the default continuations'.
  package static func steers(_ runs: [(Job, ContinuationScore)], feature: Int, baselines: [ContinuationScore],
                     configuration c: SteeringConfiguration, prompts: Int) -> Bool {
    let carried = runs.filter {
      $0.1.distinct2 >= c.minimumDistinct2 && carries($0.1, feature: feature, baseline: baselines[$0.0.prompt], criteria: c.criteria)
    }.count
    let ratios = runs.map { $0.1.nll / max(baselines[$0.0.prompt].nll, 1e-6) }
    return 2 * carried >= prompts && median(ratios) <= c.maximumNLLRatio
  }
}

/// What the phases of one steering run share: the prompts, where each user message begins, and how a batch of
/// jobs is generated and scored.
struct SteeringBench {
  let stage: SteeringStage
  let model: LanguageModel
  let autoencoder: SparseAutoencoder
  let records: [FeatureRecord]
  let point: HookPoint
  let prompts: [[Int]]
  let messageStarts: [Int]
  let reader: AutoencoderLatents
  let scorer: ContinuationScorer

  init(stage: SteeringStage, model: LanguageModel, autoencoder: SparseAutoencoder, hookPoint: String, records: [FeatureRecord]) throws {
    let c = stage.configuration
    self.stage = stage; self.model = model; self.autoencoder = autoencoder; self.records = records
    point = try HookPoint(name: hookPoint)
    prompts = try c.prompts.map { c.chat ? try model.chatPrompt($0) : model.tokenizer.encode($0) }
    // Where each user message begins: the length of the prefix its chat prompt shares with an empty message's.
    let empty = c.chat ? try model.chatPrompt("") : []
    messageStarts = prompts.map { prompt in zip(prompt, empty).prefix { $0 == $1 }.count }
    reader = AutoencoderLatents(autoencoder)
    scorer = ContinuationScorer(model: model, autoencoder: autoencoder, point: point, prompts: prompts)
  }

  /// Generates `tokens[i]` new tokens for job i and scores them (without `nll`, the concept alone); default
  /// continuations (no feature) are scored for every feature in `baselineFeatures`.
  func run(_ jobs: [SteeringStage.Job], tokens: [Int], baselineFeatures: [Int], nll: Bool = true, label: String) throws
    -> SteeringBatch
  {
    guard !jobs.isEmpty else { return SteeringBatch(jobs: [], tokens: [], scores: [], baselines: []) }
    let generated = try generate(jobs, tokens: tokens, label: label)
    let scored = try scorer.score(jobs.indices.map { (jobs[$0].prompt, generated[$0], jobs[$0].feature) },
                                  baselineFeatures: baselineFeatures, nll: nll, progress: stage.progress, label: label + " scores")
    return SteeringBatch(jobs: jobs, tokens: generated, scores: scored.scores, baselines: scored.baselines)
  }

  /// Greedy continuations of every job (`tokens[i]` new tokens for job i), batched; a job's edit per its mode and
  /// the configured positions.
  func generate(_ jobs: [SteeringStage.Job], tokens: [Int], label: String) throws -> [[Int]] {
    let c = stage.configuration
    let progress = stage.progress
    let norms = autoencoder.decoderNorms
    func plan(_ job: SteeringStage.Job) -> InterventionPlan {
      guard let f = job.feature else { return [:] }
      let positions: PositionSelector = switch c.positions {
      case .all: .all
      case .generated: .from(prompts[job.prompt].count - 1)
      case .message: .from(messageStarts[job.prompt])
      }
      let target = job.strength * records[f].maxActivation
      if job.mode == SteeringMode.add.rawValue {
        let direction = Array(autoencoder.decoder.row(f))
        let unit = direction.map { $0 / max(norms[f], 1e-12) }
        return [point: [.add(vector: unit, scale: target * norms[f], positions: positions)]]
      }
      return [point: [.clampLatent(latent: f, target: target, reader: reader, positions: positions)]]
    }
    let sampling = SamplingConfiguration(maxTokens: tokens.max() ?? 0, stopTokens: model.stopTokens)
    var outputs = [[Int]](repeating: [], count: jobs.count)
    var start = 0
    while start < jobs.count {
      let group = Array(start ..< min(start + max(c.batchSize, 1), jobs.count))
      let results = try model.model.generate(
        group.map { GenerationRequest(prompt: prompts[jobs[$0].prompt], interventions: plan(jobs[$0]), maxTokens: tokens[$0]) },
        sampling: sampling,
        sharePromptPrefixes: true)
      for (i, r) in zip(group, results) { outputs[i] = r.tokens.filter { !model.stopTokens.contains($0) } }
      start = group.count + start
      progress.progress(label, done: start, total: jobs.count, unit: "continuations")
    }
    progress.finish(label)
    return outputs
  }

  func makeRun(_ job: SteeringStage.Job, _ tokens: [Int], _ score: ContinuationScore, baseline: ContinuationScore?) -> SteeringRun {
    let c = stage.configuration
    let concept = job.feature.flatMap { score.concept[$0] } ?? ConceptScore(meanActivation: 0, firingFraction: 0, firingTokens: 0)
    var carries = false
    if let f = job.feature, let base = baseline?.concept[f] {
      carries = SteeringStage.carries(concept, baseline: base, criteria: c.criteria)
    }
    return SteeringRun(prompt: job.prompt, mode: job.mode, strength: job.strength, text: model.tokenizer.decodeText(tokens),
                       tokens: model.tokenizer.displayPieces(tokens), concept: concept, nll: score.nll, distinct2: score.distinct2,
                       carriesConcept: carries)
  }
}

/// Jobs with their continuations and scores; `baselines[p]` scores prompt p's default continuation.
package struct SteeringBatch {
  var jobs: [SteeringStage.Job]
  var tokens: [[Int]]
  var scores: [ContinuationScore]
  var baselines: [ContinuationScore]

  package init(jobs: [SteeringStage.Job], tokens: [[Int]], scores: [ContinuationScore], baselines: [ContinuationScore]) {
    self.jobs = jobs; self.tokens = tokens; self.scores = scores; self.baselines = baselines
  }

  /// Jobs `range`, judged against `baselines`.
  func slice(_ range: Range<Int>, baselines: [ContinuationScore]) -> SteeringBatch {
    SteeringBatch(jobs: Array(jobs[range]), tokens: Array(tokens[range]), scores: Array(scores[range]), baselines: baselines)
  }

  func pairs(of feature: Int) -> [(SteeringStage.Job, ContinuationScore)] {
    jobs.indices.filter { jobs[$0].feature == feature }.map { (jobs[$0], scores[$0]) }
  }

  func runs(of feature: Int, bench: SteeringBench) -> [SteeringRun] {
    jobs.indices.filter { jobs[$0].feature == feature }.map {
      bench.makeRun(jobs[$0], tokens[$0], scores[$0], baseline: baselines[jobs[$0].prompt])
    }
  }

  /// The default continuation of prompt `p` (the batch's first job without a feature on it).
  func run(at p: Int, bench: SteeringBench) -> SteeringRun {
    let i = jobs.indices.first { jobs[$0].feature == nil && jobs[$0].prompt == p } ?? p
    return bench.makeRun(jobs[i], tokens[i], scores[i], baseline: nil)
  }
}
