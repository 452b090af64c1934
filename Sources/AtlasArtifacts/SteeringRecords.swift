/// Default vs steered generations for selected features, with the scores that chose each feature's
/// strength, written by the steering stage so that rendering never runs the model.

public struct SteeringMethod: Codable, Sendable, Equatable {
  public var hookPoint: String           // "blocks.15.hook_resid_post"
  public var mode: String                // the sweep's mode: "add" or "clamp" (ablations are always clamps)
  public var positions: String           // "all", "generated" or "message"
  public var strengths: [Float]          // the sweep's grid, multiples of the feature's max activation
  public var ablationStrengths: [Float]  // clamp targets ≤ 0, same unit
  public var sweepTokens: Int            // new tokens per sweep continuation
  public var maxNewTokens: Int           // new tokens of the chosen runs and the default continuations
  public var decoding: String            // "greedy"
  public var criteria: SteeringCriteria
  public init(hookPoint: String, mode: String, positions: String, strengths: [Float], ablationStrengths: [Float],
              sweepTokens: Int, maxNewTokens: Int, decoding: String, criteria: SteeringCriteria) {
    self.hookPoint = hookPoint; self.mode = mode; self.positions = positions; self.strengths = strengths
    self.ablationStrengths = ablationStrengths; self.sweepTokens = sweepTokens; self.maxNewTokens = maxNewTokens
    self.decoding = decoding; self.criteria = criteria
  }
}

/// The bounds a steered continuation is judged by.
public struct SteeringCriteria: Codable, Sendable, Equatable {
  public var minimumFiringTokens: Int    // "carries the concept": fires on at least this many generated tokens ...
  public var conceptMultiple: Float      // ... with mean activation ≥ this × the default continuation's
  public var maximumNLLRatio: Float      // fluent: median NLL ≤ this × the default continuation's ...
  public var minimumDistinct2: Float     // ... and median distinct-2 ≥ this
  public init(minimumFiringTokens: Int, conceptMultiple: Float, maximumNLLRatio: Float, minimumDistinct2: Float) {
    self.minimumFiringTokens = minimumFiringTokens; self.conceptMultiple = conceptMultiple
    self.maximumNLLRatio = maximumNLLRatio; self.minimumDistinct2 = minimumDistinct2
  }
}

/// The steered feature's activation on the generated tokens, re-encoded from an unsteered forward pass
/// over prompt + continuation.
public struct ConceptScore: Codable, Sendable, Equatable {
  public var meanActivation: Float       // mean over generated tokens (0 where it does not fire)
  public var firingFraction: Float       // share of generated tokens where it fires
  public var firingTokens: Int
  public init(meanActivation: Float, firingFraction: Float, firingTokens: Int) {
    self.meanActivation = meanActivation; self.firingFraction = firingFraction; self.firingTokens = firingTokens
  }
}

public struct SteeringRun: Codable, Sendable, Equatable {
  public var prompt: Int                 // index into `prompts`
  public var mode: String                // "add", "clamp", "ablate" or "none" (a default continuation)
  public var strength: Float             // multiple of max activation (0 for "none")
  public var text: String                // the continuation (stop token left out)
  public var tokens: [String]            // its tokens as display pieces (a line break is "\n", shown as ↵)
  public var concept: ConceptScore
  public var nll: Float                  // mean negative log-likelihood per token under the unsteered model (nats)
  public var distinct2: Float            // distinct token bigrams / bigrams (1 when there are fewer than 2 tokens)
  public var carriesConcept: Bool        // per the criteria, against the default continuation of the same length
  public init(prompt: Int, mode: String, strength: Float, text: String, tokens: [String], concept: ConceptScore,
              nll: Float, distinct2: Float, carriesConcept: Bool) {
    self.prompt = prompt; self.mode = mode; self.strength = strength; self.text = text; self.tokens = tokens
    self.concept = concept; self.nll = nll; self.distinct2 = distinct2; self.carriesConcept = carriesConcept
  }
}

public struct SteeringPrompt: Codable, Sendable, Equatable {
  public var text: String                // the user message
  public var chat: Bool                  // run through the chat template
  public var defaultContinuation: String // unsteered greedy continuation, full length
  public var baseline: SteeringRun       // the same, with its tokens and scores (concept of no feature: zeros)
  public var sweepBaseline: SteeringRun  // the unsteered continuation at the sweep's length
  public init(text: String, chat: Bool, defaultContinuation: String, baseline: SteeringRun, sweepBaseline: SteeringRun) {
    self.text = text; self.chat = chat; self.defaultContinuation = defaultContinuation
    self.baseline = baseline; self.sweepBaseline = sweepBaseline
  }
}

/// One point of a feature's sweep, summarised over the prompts.
public struct SteeringPoint: Codable, Sendable, Equatable {
  public var mode: String
  public var strength: Float
  public var meanActivation: Float       // mean over prompts of the concept's mean activation
  public var carried: Int                // prompts whose continuation carries the concept
  public var medianNLLRatio: Float       // median over prompts of NLL / the default continuation's NLL
  public var medianDistinct2: Float
  public var fluent: Bool
  public init(mode: String, strength: Float, meanActivation: Float, carried: Int, medianNLLRatio: Float,
              medianDistinct2: Float, fluent: Bool) {
    self.mode = mode; self.strength = strength; self.meanActivation = meanActivation; self.carried = carried
    self.medianNLLRatio = medianNLLRatio; self.medianDistinct2 = medianDistinct2; self.fluent = fluent
  }
}

public struct ChosenStrength: Codable, Sendable, Equatable {
  public var mode: String
  public var strength: Float
  public var fluent: Bool                // false when no strength of the grid kept fluency (the lowest is shown)
  public init(mode: String, strength: Float, fluent: Bool) { self.mode = mode; self.strength = strength; self.fluent = fluent }
}

public struct SteeredFeature: Codable, Sendable, Equatable {
  public var feature: Int
  public var label: String              // its name as the site shows it (`FeatureRecord.displayName`)
  public var maxActivation: Float
  public var reason: String              // why it was picked
  public var chosen: ChosenStrength
  public var sweep: [SteeringPoint]      // every strength of the grid, ascending, ablations first
  public var runs: [SteeringRun]         // the sweep's continuations (short)
  public var chosenRuns: [SteeringRun]   // the chosen strength at full length, one per prompt
  public var steers: Bool                // chosen runs carry the concept in ≥ half the prompts and stay fluent
  public init(feature: Int, label: String, maxActivation: Float, reason: String, chosen: ChosenStrength,
              sweep: [SteeringPoint], runs: [SteeringRun], chosenRuns: [SteeringRun], steers: Bool) {
    self.feature = feature; self.label = label; self.maxActivation = maxActivation; self.reason = reason
    self.chosen = chosen; self.sweep = sweep; self.runs = runs; self.chosenRuns = chosenRuns; self.steers = steers
  }
}

/// A feature the stage tried, and how far it got: screened, swept, run at full length, shown.
public struct SteeringCandidate: Codable, Sendable, Equatable {
  public var feature: Int
  public var label: String              // its name as the site shows it (`FeatureRecord.displayName`)
  public var reason: String              // why it was picked
  public var screenCarried: Int?         // screen runs that carried the concept without repeating (nil: not screened)
  public var chosen: ChosenStrength?     // nil: not swept
  public var sweepCarried: Int?          // prompts whose sweep run at the chosen strength carried the concept
  public var fullCarried: Int?           // prompts whose full-length run carried it (nil: not run at full length)
  public var steers: Bool?               // the full-length runs' verdict
  public var shown: Bool
  public init(feature: Int, label: String, reason: String, screenCarried: Int? = nil, chosen: ChosenStrength? = nil,
              sweepCarried: Int? = nil, fullCarried: Int? = nil, steers: Bool? = nil, shown: Bool = false) {
    self.feature = feature; self.label = label; self.reason = reason; self.screenCarried = screenCarried; self.chosen = chosen
    self.sweepCarried = sweepCarried; self.fullCarried = fullCarried; self.steers = steers; self.shown = shown
  }
}

/// Candidates tried and what came of them.
public struct SteeringSummary: Codable, Sendable, Equatable {
  public var screened: Int?              // features screened (nil: no screen)
  public var candidates: Int             // features swept
  public var showcased: Int              // configured, or their chosen strength steers at full length
  public var steering: Int               // showcased features whose chosen runs `steers`
  public var medianChosenStrength: Float
  public init(screened: Int? = nil, candidates: Int, showcased: Int, steering: Int, medianChosenStrength: Float) {
    self.screened = screened; self.candidates = candidates; self.showcased = showcased; self.steering = steering
    self.medianChosenStrength = medianChosenStrength
  }
}

/// `steering/steering.json`.
public struct SteeringRecord: Artifact, Equatable {
  public static let kind = ArtifactKind.steering
  public static let formatVersion = 3
  public var kind = SteeringRecord.kind
  public var formatVersion = SteeringRecord.formatVersion
  public var parameters: JSONValue
  public var inputs: [String: String]
  public var method: SteeringMethod
  public var prompts: [SteeringPrompt]
  public var features: [SteeredFeature]
  /// Every feature tried, shown or not.
  public var candidates: [SteeringCandidate]
  public var summary: SteeringSummary
  public init(parameters: JSONValue, inputs: [String: String], method: SteeringMethod, prompts: [SteeringPrompt],
              features: [SteeredFeature], candidates: [SteeringCandidate] = [], summary: SteeringSummary) {
    self.parameters = parameters; self.inputs = inputs; self.method = method; self.prompts = prompts
    self.features = features; self.candidates = candidates; self.summary = summary
  }
}
