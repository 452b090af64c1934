import AtlasArtifacts
import AtlasPipeline
import Testing

/// The steering stage's rules without a model: which features are candidates, which strength is chosen,
/// what counts as carrying a concept and as repetition.
@Suite("Steering rules")
struct SteeringRulesTests {
  static func record(_ index: Int, tokens: [(String, Int)], flags: [FeatureFlag] = [], firings: Int = 500) -> FeatureRecord {
    FeatureRecord(
      index: index, density: 0.001, meanActivation: 1, maxActivation: 4, flags: flags,
      label: FeatureLabel(text: tokens.first?.0 ?? "", pattern: [], basis: "top tokens", evidence: nil, contradicted: false),
      histogram: LogHistogram(lowerLog10: 0, binWidth: 1, counts: []),
      topTokens: tokens.map { TokenCount(token: $0.0, count: $0.1, meanActivation: 1) }, topExamples: [], quantileSamples: [],
      intervalSamples: [], promotedTokens: [], suppressedTokens: [], decoderNeighbours: [], coactivationNeighbours: [],
      dominantSource: nil, sourceShares: [:], firings: firings)
  }

  static let words = [(" smooth", 40), (" glide", 20), (" slippery", 10), ("ly", 5)]
  static let digits = [("0", 40), ("1", 30), ("2", 20)]
  static let punctuation = [("[", 40), ("(", 30), (" ·", 20)]

  @Test("Meaning score: word-like top tokens over several words score; digits, punctuation and one word do not")
  func meaning() {
    #expect(SteeringStage.meaningScore(Self.record(0, tokens: Self.words)) == 70.0 / 75.0)
    #expect(SteeringStage.meaningScore(Self.record(1, tokens: Self.digits)) == nil)
    #expect(SteeringStage.meaningScore(Self.record(2, tokens: Self.punctuation)) == nil)
    #expect(SteeringStage.meaningScore(Self.record(3, tokens: [(" the", 90), (" The", 9)])) == nil)
    // Function words are words, not concepts.
    #expect(SteeringStage.meaningScore(Self.record(5, tokens: [(" the", 40), (" you", 30), (" and", 20), (" thou", 10)])) == nil)
    // Mostly code with a few words: below the 60% share.
    #expect(SteeringStage.meaningScore(Self.record(4, tokens: [("()", 50), (" def", 10), (" self", 10), (" return", 10)])) == nil)
  }

  @Test("Meaning score: a supported concept description ranks above word forms, which rank above token-based scores; a syntactic description or a label about neighbouring tokens is never a candidate")
  func meaningFromDescriptions() {
    func described(_ kind: DescriptionKind, _ status: DescriptionStatus, coverage: Double) -> FeatureRecord {
      var r = Self.record(0, tokens: Self.words)
      r.description = FeatureDescription(text: "a description", kind: kind, status: status, words: ["smooth"], testedTokens: 3,
                                         grounding: nil, coverage: coverage, evidence: nil, topPrecision: nil, note: nil)
      return r
    }
    let tokenBased = 70.0 / 75.0
    #expect(SteeringStage.meaningScore(described(.concept, .supported, coverage: 0.4)) == 2.4)
    #expect(SteeringStage.meaningScore(described(.wordForms, .supported, coverage: 0.9)) == 1.9)
    #expect(SteeringStage.meaningScore(described(.syntactic, .supported, coverage: 0.9)) == nil)
    // Lexical, unsupported or insufficient descriptions fall back to the top tokens.
    #expect(SteeringStage.meaningScore(described(.lexical, .supported, coverage: 0.9)) == tokenBased)
    #expect(SteeringStage.meaningScore(described(.concept, .insufficient, coverage: 0.9)) == tokenBased)
    #expect(SteeringStage.meaningScore(described(.concept, .unclear, coverage: 0.9)) == tokenBased)
    // A syntactic description that did not hold up still says the feature is about position, not meaning.
    #expect(SteeringStage.meaningScore(described(.syntactic, .unclear, coverage: 0.9)) == nil)
    // Word-like tokens picked out by their neighbours ("after: the · a") are positions too.
    for basis in ["context: one of these tokens is among the 8 tokens before it", "next token: the token after it is one of these",
                  "bigrams: the previous token and the token are one of these pairs"] {
      var r = Self.record(0, tokens: Self.words)
      r.label.basis = basis
      #expect(SteeringStage.meaningScore(r) == nil, "\(basis)")
    }
  }

  @Test("Selection: configured first, then word-like live features one per coarse cluster in turn; dead, dense and single-token skipped")
  func selection() {
    let records = [
      Self.record(0, tokens: Self.digits),
      Self.record(1, tokens: Self.words, firings: 900),
      Self.record(2, tokens: Self.words, firings: 300),
      Self.record(3, tokens: Self.words, flags: [.dense]),
      Self.record(4, tokens: Self.words, flags: [.singleToken]),
      Self.record(5, tokens: Self.words, firings: 5),        // too few firings to be live
      Self.record(6, tokens: Self.words, firings: 200),
    ]
    let clusters = [0, 0, 0, 1, 1, 1, 1]
    var c = SteeringConfiguration()
    c.features = [0]
    c.automatic = 3
    let picks = SteeringStage.select(records: records, coarseAssignments: clusters, configuration: c)
    // Cluster 0 has two candidates (1, 2), cluster 1 one (6): round one takes 1 and 6, round two takes 2.
    #expect(picks.map(\.feature) == [0, 1, 6, 2])
    #expect(picks[0].reason == "configured")
    // The selection can be re-pointed at another notion of meaning.
    let only6 = SteeringStage.select(records: records, coarseAssignments: clusters, configuration: c) { $0.index == 6 ? 1 : nil }
    #expect(only6.map(\.feature) == [0, 6])
  }

  @Test("Chosen strength: the most prompts carrying the concept among fluent strengths; none fluent gives the weakest, marked")
  func choice() {
    var c = SteeringConfiguration()
    c.strengths = [1, 2, 4, 8]
    c.ablationStrengths = [0]
    let f = 7
    let baselines = (0 ..< 2).map { _ in
      ContinuationScore(concept: [f: ConceptScore(meanActivation: 0.1, firingFraction: 0.1, firingTokens: 1)], nll: 1, distinct2: 1)
    }
    // Concept grows with strength; NLL passes 2× the default at strength 8, repetition sets in there too.
    func score(_ s: Float) -> ContinuationScore {
      ContinuationScore(concept: [f: ConceptScore(meanActivation: 0.2 * s, firingFraction: 0.1 * s, firingTokens: Int(s))],
                        nll: 0.8 + 0.2 * s, distinct2: s >= 8 ? 0.3 : 0.9)
    }
    var jobs: [(SteeringStage.Job, ContinuationScore)] = []
    for p in 0 ..< 2 {
      jobs.append((SteeringStage.Job(feature: f, prompt: p, mode: "ablate", strength: 0), score(0)))
      for s in c.strengths { jobs.append((SteeringStage.Job(feature: f, prompt: p, mode: "add", strength: s), score(s))) }
    }
    let (chosen, curve) = SteeringStage.choose(jobs: jobs, baselines: baselines, feature: f, configuration: c)
    #expect(chosen == ChosenStrength(mode: "add", strength: 4, fluent: true))
    #expect(curve.map(\.strength) == [0, 1, 2, 4, 8])
    #expect(curve.map(\.carried) == [0, 0, 2, 2, 2])   // strength 1 fires on one token only
    #expect(curve.map(\.fluent) == [true, true, true, true, false])
    // Nothing fluent: the weakest positive strength, flagged.
    let broken = jobs.map { ($0.0, ContinuationScore(concept: $0.1.concept, nll: 5, distinct2: 0.2)) }
    let (fallback, _) = SteeringStage.choose(jobs: broken, baselines: baselines, feature: f, configuration: c)
    #expect(fallback == ChosenStrength(mode: "add", strength: 1, fluent: false))
  }

  @Test("Screen and verdict: a run counts when it carries the concept and stays fluent (NLL only where scored); steers needs half the prompts")
  func screenAndVerdict() {
    let c = SteeringConfiguration()
    let f = 3
    let quiet = ConceptScore(meanActivation: 0.1, firingFraction: 0.05, firingTokens: 1)
    let strong = ConceptScore(meanActivation: 2, firingFraction: 0.3, firingTokens: 4)
    let baselines = (0 ..< 4).map { _ in ContinuationScore(concept: [f: quiet], nll: 1, distinct2: 1) }
    let runs = [  // carries and fluent; carries but NLL 3× the default; carries but loops; does not carry
      ContinuationScore(concept: [f: strong], nll: 1.5, distinct2: 0.9), ContinuationScore(concept: [f: strong], nll: 3, distinct2: 0.9),
      ContinuationScore(concept: [f: strong], nll: 1.2, distinct2: 0.2), ContinuationScore(concept: [f: quiet], nll: 1, distinct2: 1),
    ]
    let jobs = (0 ..< 4).map { SteeringStage.Job(feature: f, prompt: $0, mode: "add", strength: 1) }
    let batch = SteeringBatch(jobs: jobs, tokens: jobs.map { _ in [] }, scores: runs, baselines: baselines)
    #expect(SteeringStage.fluentCarries(batch, configuration: c) == [f: 1])
    #expect(SteeringStage.fluentCarries(batch, configuration: c, nll: false) == [f: 2])
    // The verdict on full-length runs: two of four carry without looping (the loop does not count), median NLL
    // ratio 1.35: steers; one carrying and one loop do not; one does not; all carrying with a median NLL ratio of 3
    // does not.
    func steers(_ picked: [Int]) -> Bool {
      SteeringStage.steers(Array(zip(jobs, picked.map { runs[$0] })), feature: f, baselines: baselines, configuration: c, prompts: 4)
    }
    #expect(steers([0, 1, 2, 3]))
    #expect(steers([0, 0, 2, 3]))
    #expect(!steers([0, 2, 3, 3]))
    #expect(!steers([0, 3, 3, 3]))
    #expect(!steers([1, 1, 1, 0]))
  }

  @Test("Carrying the concept needs ≥ 2 firing tokens and ≥ 3× the default's mean; distinct-2 counts repeated pairs")
  func carriesAndDistinct() {
    let criteria = SteeringConfiguration().criteria
    let base = ConceptScore(meanActivation: 0.5, firingFraction: 0.1, firingTokens: 2)
    #expect(SteeringStage.carries(ConceptScore(meanActivation: 1.5, firingFraction: 0.1, firingTokens: 2), baseline: base,
                                  criteria: criteria))
    #expect(!SteeringStage.carries(ConceptScore(meanActivation: 1.4, firingFraction: 0.1, firingTokens: 5), baseline: base,
                                   criteria: criteria))
    #expect(!SteeringStage.carries(ConceptScore(meanActivation: 9, firingFraction: 0.05, firingTokens: 1), baseline: base,
                                   criteria: criteria))
    let silent = ConceptScore(meanActivation: 0, firingFraction: 0, firingTokens: 0)
    #expect(SteeringStage.carries(ConceptScore(meanActivation: 0.2, firingFraction: 0.2, firingTokens: 2), baseline: silent,
                                  criteria: criteria))
    #expect(abs(distinct2([5, 5, 5, 5]) - 1.0 / 3.0) < 1e-6)
    #expect(distinct2([1, 2, 3, 4]) == 1)
    #expect(distinct2([1, 2, 1, 2, 1]) == 0.5)
    #expect(distinct2([9]) == 1)
  }
}
