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
  /// The user's message and the answer: every position after the chat template's system turn, which all
  /// prompts then share unedited (computed once instead of once per continuation).
  case message
}

/// Which features to steer, on which prompts, how hard, and how the result is judged.
public struct SteeringConfiguration: Codable, Sendable, Equatable {
  /// Features always steered and shown (by index), in addition to the automatic picks.
  public var features: [Int] = []
  /// Candidates swept automatically: at most `automatic` of a quick screen of `screened` word-like features
  /// spread across coarse clusters, the ones that carried their concept fluently in the most screen runs (at
  /// least one). Only those that steer at full length are shown.
  public var automatic = 6
  /// Features screened (0 = no screen: the first `automatic` picks are swept): each runs the first
  /// `screenPrompts` prompts at `screenStrengths`, `screenTokens` new tokens, and is ranked by how many of
  /// those runs carry its concept fluently. A screened run costs about a tenth of a swept feature.
  public var screened = 80
  public var screenPrompts = 2
  public var screenStrengths: [Float] = [0.8]
  public var screenTokens = 12
  /// Minimum label evidence (balanced accuracy) of an automatic pick; 0 = no requirement (the default:
  /// high label evidence favours token and syntax features, which do not steer into a concept).
  public var minimumEvidence = 0.0
  /// Neutral prompts, run through the chat template as user messages.
  public var prompts = [
    "Tell me about your day.", "Write two sentences about the weather.", "What is a good name for a dog?",
    "What should I cook for dinner tonight?", "Describe your favourite place.",
  ]
  /// The sweep's strengths in multiples of the feature's max activation, log-spaced from 0.3× and dense up to 2×,
  /// where fluent steering happens (above 4× every feature tried collapses into repetition).
  public var strengths: [Float] = [0.3, 0.5, 0.7, 1, 1.4, 2, 4, 10]
  /// Ablation clamp targets in the same unit (0 removes the feature, negative values push against it).
  public var ablationStrengths: [Float] = [0, -2]
  public var mode = SteeringMode.add
  /// Measured on the default atlas (same screen of 80, same grid, AMD EPYC): `all` showed 3 steering features of
  /// 4 swept in 134 s, `message` 2 of 4 in 94–99 s (the system turn's prefill shared); `generated` reached 1 of
  /// 5 prompts where `all` reached 3 on the quick atlas. `message` is the default for the 90-second budget.
  public var positions = SteeringPositions.message
  /// New tokens per sweep continuation (and ablation), and of the chosen runs at full length.
  public var sweepTokens = 12
  public var maxNewTokens = 40
  public var chat = true
  /// Sequences generated in one batch.
  public var batchSize = 512
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

  /// Ablations first, then each mode by strength: the order a sweep's curve is drawn in.
  static func curveOrder(_ a: SteeringPoint, _ b: SteeringPoint) -> Bool {
    let (ra, rb) = (a.mode == "ablate" ? 0 : 1, b.mode == "ablate" ? 0 : 1)
    return ra != rb ? ra < rb : a.mode != b.mode ? a.mode < b.mode : a.strength < b.strength
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
