import AtlasArtifacts
import Testing

import AtlasBriefing

@Suite("Plain language")
struct PlainLanguageTests {
  @Test("Model size, layer and depth in words")
  func model() {
    #expect(PlainLanguage.parameterCount(modelName: "SmolLM2-135M-Instruct") == "135 million")
    #expect(PlainLanguage.parameterCount(modelName: "Qwen2.5-1.5B") == "1.5 billion")
    #expect(PlainLanguage.parameterCount(modelName: "gpt2") == nil)
    #expect(PlainLanguage.parameterCount(modelName: "Llama-3-8B-Instruct") == "8 billion")
    #expect(PlainLanguage.layer(hookPoint: "blocks.15.hook_resid_post") == 16)
    #expect(PlainLanguage.layer(hookPoint: "blocks.15.hook_resid_pre") == 15)
    #expect(PlainLanguage.layer(hookPoint: "embed") == nil)
    #expect(PlainLanguage.depth(layer: 16, of: 30) == "halfway through")
    #expect(PlainLanguage.depth(layer: 3, of: 30) == "early in")
    #expect(PlainLanguage.depth(layer: 28, of: 30) == "late in")
  }

  @Test("Numbers rounded for prose")
  func numbers() {
    #expect(PlainLanguage.about(312_448) == "310,000")
    #expect(PlainLanguage.about(24_576) == "25,000")
    #expect(PlainLanguage.about(1_600_000) == "1.6 million")
    #expect(PlainLanguage.about(950) == "950")
    #expect(PlainLanguage.percent(0.9884) == "98.8%")
    #expect(PlainLanguage.percent(0.41) == "41%")
    #expect(PlainLanguage.percent(0.004) == "0.4%")
    #expect(PlainLanguage.percent(0.99999) == "100%")
    #expect(PlainLanguage.frequency(0.0033) == "on about 1 word piece in 300")
    #expect(PlainLanguage.frequency(0.6) == "on most word pieces")
    #expect(PlainLanguage.times(5) == "5 times")
    #expect(PlainLanguage.date(iso: "2026-12-05T14:52:36Z") == "5 December 2026")
    #expect(PlainLanguage.date(iso: "soon") == "soon")
  }

  func record(label: String, basis: String, dominant: String? = nil, promoted: [String] = []) -> FeatureRecord {
    FeatureRecord(index: 0, density: 0.01, meanActivation: 1, maxActivation: 2, flags: [],
                  label: FeatureLabel(text: label, pattern: [], basis: basis, evidence: nil, contradicted: false),
                  histogram: LogHistogram(lowerLog10: 0, binWidth: 1, counts: []), topTokens: [], topExamples: [], quantileSamples: [],
                  intervalSamples: [], promotedTokens: promoted.map { TokenValue(token: $0, value: 1) }, suppressedTokens: [],
                  decoderNeighbours: [], coactivationNeighbours: [], dominantSource: dominant, sourceShares: [:])
  }

  @Test("One sentence per label kind")
  func sentences() {
    #expect(PlainLanguage.sentence(record(label: "rain · snow", basis: "tokens: the token is one of these")) == "It lights up on the words “rain” and “snow”.")
    #expect(PlainLanguage.sentence(record(label: "thou", basis: "tokens: x")) == "It lights up on the word “thou”.")
    #expect(PlainLanguage.sentence(record(label: "thee · thy in shakespeare", basis: "tokens in one source: x", dominant: "shakespeare"))
      == "It lights up on “thee” and “thy” in Shakespeare’s plays.")
    #expect(PlainLanguage.sentence(record(label: "fortunes context", basis: "corpus source: x")) == "It lights up on most words in fortune-cookie sayings.")
    #expect(PlainLanguage.sentence(record(label: "‘of the’ · ‘in a’", basis: "bigrams: x")) == "It lights up on the phrases “of the” and “in a”.")
    #expect(PlainLanguage.sentence(record(label: "after: import · from", basis: "context: x")) == "It lights up on words that come soon after “import” or “from”.")
    #expect(PlainLanguage.sentence(record(label: "before: (", basis: "next token: x")) == "It lights up on the word just before “(”.")
    #expect(PlainLanguage.sentence(record(label: "→ promotes: 'x'", basis: "logit effects: x", promoted: [" love", " hate"]))
      == "It makes the model more likely to write “love” or “hate” next.")
    #expect(PlainLanguage.quoted("\n") == "a line break")
    #expect(PlainLanguage.quoted(" ") == "a space")
  }

  @Test("A description in words that held up on new text is the name, the sentence and the score a reader sees")
  func descriptions() {
    let e = LabelEvidence(balancedAccuracy: 0.876, truePositiveRate: 0.8, trueNegativeRate: 0.95, positives: 40, negatives: 400)
    var r = record(label: "measles · plague", basis: "tokens: x")
    r.description = FeatureDescription(text: "diseases (measles, plague, fever)", kind: .concept, status: .supported,
                                       words: ["measles", "plague", "fever"], testedTokens: 3, grounding: "WordNet n: disease",
                                       coverage: 0.7, evidence: e, topPrecision: 0.9, note: nil)
    #expect(PlainLanguage.name(r) == "diseases (measles, plague, fever)")
    #expect(PlainLanguage.sentence(r) == "It responds to diseases (measles, plague, fever).")
    #expect(PlainLanguage.evidence(r) == "This description scored 88 out of 100 on new text.")
    var strongest = r
    strongest.description?.text = "at its strongest, the word 'too'"
    #expect(PlainLanguage.sentence(strongest) == "At its strongest, it responds to the word 'too'.")
    // One that failed its test, or was tested on too few firings, is not shown: the pattern label speaks.
    for status in [DescriptionStatus.unclear, .insufficient] {
      r.description?.status = status
      #expect(PlainLanguage.name(r) == "measles · plague")
      #expect(PlainLanguage.sentence(r) == "It lights up on the words “measles” and “plague”.")
      #expect(PlainLanguage.evidence(r) == "Its label was not tested.")
    }
    // A corpus-source label is never the name on its own: the feature is unclear, with the words it fires on most.
    var sourced = record(label: "wordnet · fortunes context", basis: "corpus source: x")
    sourced.topTokens = [TokenCount(token: " against", count: 9, meanActivation: 2), TokenCount(token: " defy", count: 4, meanActivation: 1)]
    #expect(PlainLanguage.name(sourced) == "unclear: “against” “defy”")
    r.description?.status = .supported
    r.label = sourced.label
    #expect(PlainLanguage.name(r) == "diseases (measles, plague, fever)")
  }

  @Test("Label evidence as a score out of 100 against a coin toss")
  func evidence() {
    let e = LabelEvidence(balancedAccuracy: 0.914, truePositiveRate: 0.9, trueNegativeRate: 0.93, positives: 10, negatives: 100)
    #expect(PlainLanguage.evidence(FeatureLabel(text: "x", pattern: [], basis: "", evidence: e, contradicted: false))
      == "Its label scored 91 out of 100 on new text.")
    #expect(PlainLanguage.evidence(FeatureLabel(text: "x", pattern: [], basis: "", evidence: e, contradicted: true)).contains("doubtful"))
    #expect(PlainLanguage.evidence(FeatureLabel(text: "x", pattern: [], basis: "", evidence: nil, contradicted: false)) == "Its label was not tested.")
  }

  @Test("The word diff marks what steering changed and keeps the text as generated")
  func wordDiff() {
    let (left, right) = WordDiff.diff("I had a good day at work.", "I had a rainy day, rain at work.")
    #expect(left.filter(\.changed).map(\.text) == ["good "])
    #expect(right.filter(\.changed).map(\.text) == ["rainy ", "rain "])   // "day," matches "day": case and punctuation ignored
    #expect(right.map(\.text).joined() == "I had a rainy day, rain at work.")
    #expect(left.map(\.text).joined() == "I had a good day at work.")
    #expect(BriefingFigures.marked(WordDiff.diff("a <b>", "a <c>").right) == "a <mark>&lt;c&gt;</mark>")
  }
}
