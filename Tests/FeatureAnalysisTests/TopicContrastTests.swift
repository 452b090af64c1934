import FeatureAnalysis
import TensorMath
import Testing

/// Planted activations for topic search: spans of 3 rows, topic spans first, then neutral spans.
struct PlantedSpans {
  var rows: [[(latent: Int, value: Float)]] = []
  var topic: [Range<Int>] = []
  var neutral: [Range<Int>] = []

  /// `fire(latent, spanIndex, isTopic) -> value` (0 = silent) decides each feature on each span; the value
  /// lands on the span's middle row, and a noise latent fires somewhere on every span.
  init(topicSpans: Int, neutralSpans: Int, latents: Int, seed: UInt64, fire: (Int, Int, Bool, inout SplitMix64) -> Float) {
    var rng = SplitMix64(seed: seed)
    for (count, isTopic) in [(topicSpans, true), (neutralSpans, false)] {
      for s in 0 ..< count {
        let start = rows.count
        var middle: [(latent: Int, value: Float)] = []
        for j in 0 ..< latents {
          let v = fire(j, s, isTopic, &rng)
          if v > 0 { middle.append((j, v)) }
        }
        rows.append([(latents, 1)])          // the noise latent, on every span
        rows.append(middle)
        rows.append([])
        if isTopic { topic.append(start ..< rows.count) } else { neutral.append(start ..< rows.count) }
      }
    }
  }

  var codes: LatentCodes {
    var rowStart = [0], latents: [Int32] = [], values: [Float] = []
    for row in rows {
      for e in row { latents.append(Int32(e.latent)); values.append(e.value) }
      rowStart.append(latents.count)
    }
    return LatentCodes(rowStart: rowStart, latents: latents, values: values)
  }
}

@Suite("Topic contrast")
struct TopicContrastTests {
  /// Feature 0 fires only on topic spans (70% of them); 1 fires everywhere; 2 on two topic spans only;
  /// 3 on 90% of topic spans and 40% of neutral ones; 4 only on neutral spans; 5 fires weakly everywhere
  /// and strongly on half the topic spans.
  static func planted() -> PlantedSpans {
    PlantedSpans(topicSpans: 200, neutralSpans: 2000, latents: 6, seed: 7) { j, s, topic, rng in
      let u = rng.nextUnitFloat()
      switch j {
      case 0: return topic && u < 0.7 ? 5 : 0
      case 1: return topic ? 3.2 : 3
      case 2: return topic && s < 2 ? 9 : 0
      case 3: return (topic ? u < 0.9 : u < 0.4) ? 4 : 0
      case 4: return topic ? 0 : (u < 0.5 ? 2 : 0)
      default: return topic && u < 0.5 ? 6 : 0.3
      }
    }
  }

  @Test("A feature that fires only on topic tokens ranks first; dense, rare and anti-topic features do not")
  func plantedRanking() {
    let planted = Self.planted()
    var contrast = TopicContrast(latents: 7, thresholds: [Float](repeating: 0.5, count: 7))
    contrast.add(planted.codes, spans: planted.topic, topic: true)
    contrast.add(planted.codes, spans: planted.neutral, topic: false)
    #expect(contrast.topicSpans == 200 && contrast.neutralSpans == 2000)
    let scores = contrast.scores()
    let order = scores.map(\.feature)
    #expect(order.first == 0, "ranking \(order)")
    let score = Dictionary(uniqueKeysWithValues: scores.map { ($0.feature, $0) })
    // The weak-everywhere, strong-on-half-the-topic feature is specific once weak firings do not count.
    #expect((score[5]?.score ?? 0) > (score[3]?.score ?? 0))
    #expect((score[3]?.score ?? 0) > (score[2]?.score ?? 0))
    // Dense features and features that fire on every span (the noise latent) score about zero.
    #expect(abs(score[1]?.score ?? 1) < 0.05)
    #expect(abs(score[6]?.score ?? 1) < 0.05)
    #expect((score[2]?.score ?? 1) < 0.2, "two firings in 200 topic spans is not a topic feature")
    // Feature 4 never fires on the topic: it is not listed at all.
    #expect(score[4] == nil)
    #expect(score[0]?.topicFirings ?? 0 > 120 && score[0]?.neutralFirings == 0)
    #expect(abs((score[1]?.topicRate ?? 0) - 1) < 1e-9 && abs((score[1]?.neutralRate ?? 0) - 1) < 1e-9)
  }

  @Test("Without thresholds, weak firings count: the weak-everywhere feature loses its specificity")
  func thresholdsMatter() {
    let planted = Self.planted()
    var contrast = TopicContrast(latents: 7)
    contrast.add(planted.codes, spans: planted.topic, topic: true)
    contrast.add(planted.codes, spans: planted.neutral, topic: false)
    let score = Dictionary(uniqueKeysWithValues: contrast.scores().map { ($0.feature, $0.score) })
    #expect((score[5] ?? 1) < 0.05)
    #expect(contrast.scores().first?.feature == 0)
  }

  @Test("The score is zero for equal rates, grows with topic firings, and is negative below the neutral rate")
  func scoreShape() {
    #expect(abs(TopicContrast.score(topicFirings: 20, topicSpans: 100, neutralFirings: 200, neutralSpans: 1000)) < 0.01)
    var last = -Double.infinity
    for k in stride(from: 0, through: 100, by: 10) {
      let s = TopicContrast.score(topicFirings: k, topicSpans: 100, neutralFirings: 10, neutralSpans: 1000)
      #expect(s > last)
      last = s
    }
    #expect(TopicContrast.score(topicFirings: 1, topicSpans: 100, neutralFirings: 500, neutralSpans: 1000) < 0)
    // Dense: 100% on topic but 90% elsewhere scores below 40% on topic and 0.1% elsewhere.
    let dense = TopicContrast.score(topicFirings: 100, topicSpans: 100, neutralFirings: 900, neutralSpans: 1000)
    let specific = TopicContrast.score(topicFirings: 40, topicSpans: 100, neutralFirings: 1, neutralSpans: 1000)
    #expect(specific > 5 * dense)
  }

  @Test("A span counts once, at its largest value, however many of its rows fire")
  func spanMaximum() {
    let codes = LatentCodes(rowStart: [0, 1, 2, 3, 3], latents: [0, 0, 0], values: [1, 4, 2])
    var contrast = TopicContrast(latents: 1)
    contrast.add(codes, spans: [0 ..< 3], topic: true)
    contrast.add(codes, spans: [3 ..< 4], topic: false)
    let s = contrast.scores()
    #expect(s.count == 1 && s[0].topicFirings == 1 && s[0].neutralFirings == 0)
    #expect(s[0].topicMean == 4)
  }
}

@Suite("Topic terms")
struct TopicTermsTests {
  @Test("A phrase's content words with their inflections; stop words dropped")
  func expansion() {
    let forms = Set(TopicTerms.expand("War and Weapons"))
    for expected in ["war", "wars", "warring", "weapon", "weapons"] { #expect(forms.contains(expected), "\(expected)") }
    #expect(!forms.contains("and"))
    let disease = Set(TopicTerms.expand("disease"))
    for expected in ["disease", "diseases", "diseased"] { #expect(disease.contains(expected), "\(expected)") }
    let maths = Set(TopicTerms.expand("mathematics"))
    #expect(maths.contains("mathematical") && maths.contains("mathematics"))
    let programming = Set(TopicTerms.expand("programming"))
    #expect(programming.contains("program") && programming.contains("programs"))
    #expect(Set(TopicTerms.expand("royalty")).contains("royalties"))
    #expect(Set(TopicTerms.expand("love", related: ["affection"])).contains("affections"))
    // A relative adds its plural only: grippe's "-ing" form is another word.
    #expect(Set(TopicTerms.expand("disease", related: ["grippe", "flu", "pox", "malady"])).isSuperset(of: ["grippes", "flus", "poxes", "maladies"]))
    #expect(!TopicTerms.expand("disease", related: ["grippe"]).contains("gripping"))
    #expect(TopicTerms.words("  the  ").isEmpty)
  }

  @Test("The stem undoes one inflection")
  func stems() {
    #expect(TopicTerms.stem("diseases") == "disease")
    #expect(TopicTerms.stem("warring") == "war")
    #expect(TopicTerms.stem("studied") == "study")
    #expect(TopicTerms.stem("royalties") == "royalty")
    #expect(TopicTerms.stem("kisses") == "kiss")
    #expect(TopicTerms.stem("virus") == "virus")
    #expect(TopicTerms.stem("Programming") == "program")
  }
}
