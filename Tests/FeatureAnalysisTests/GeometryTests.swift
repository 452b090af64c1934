import AtlasArtifacts
import FeatureAnalysis
import TensorMath
import Testing

@Suite("Logit effects and neighbours")
struct GeometryTests {
  static func gaussian(_ rows: Int, _ columns: Int, seed: UInt64) -> Matrix {
    var rng = SplitMix64(seed: seed)
    return Matrix(rows: rows, columns: columns, storage: (0 ..< rows * columns).map { _ in rng.nextGaussian() })
  }

  /// Plain loops: every logit of every feature, sorted (ties to the lower token).
  static func naiveLogits(_ decoder: Matrix, _ g: [Float], _ unembedding: Matrix) -> [[(token: Int, value: Double)]] {
    (0 ..< decoder.rows).map { i in
      (0 ..< unembedding.rows).map { t in
        (t, (0 ..< decoder.columns).reduce(0.0) { $0 + Double(unembedding[t, $1]) * Double(decoder[i, $1]) * Double(g[$1]) })
      }
    }
  }

  @Test("Logit effects on a tiny hand-built unembedding match a naive computation, for any block size and core count")
  func logitEffects() throws {
    let decoder = Self.gaussian(7, 6, seed: 1), unembedding = Self.gaussian(40, 6, seed: 2)
    let g: [Float] = [1, 0.5, 2, 1.5, 0.25, 1]
    let naive = Self.naiveLogits(decoder, g, unembedding)
    let effects = try LogitEffects.compute(decoder: decoder, normWeight: g, unembedding: unembedding, k: 5, blockSize: 3, workers: 2)
    for i in 0 ..< 7 {
      let up = naive[i].sorted { $0.value > $1.value || ($0.value == $1.value && $0.token < $1.token) }.prefix(5)
      let down = naive[i].sorted { $0.value < $1.value || ($0.value == $1.value && $0.token < $1.token) }.prefix(5)
      #expect(effects.promoted(i).map(\.token) == up.map(\.token))
      #expect(effects.suppressed(i).map(\.token) == down.map(\.token))
      for (got, want) in zip(effects.promoted(i) + effects.suppressed(i), Array(up) + Array(down)) {
        #expect(abs(Double(got.value) - want.value) < 1e-4)
      }
    }
    let other = try LogitEffects.compute(decoder: decoder, normWeight: g, unembedding: unembedding, k: 5, blockSize: 3, workers: 1)
    #expect(other == effects)
    // A hand-checkable case: one feature along dimension 0, a norm weight of 2, tokens with known weights.
    let one = Matrix(rows: 1, columns: 2, storage: [1, 0])
    let wu = Matrix(rows: 4, columns: 2, storage: [3, 9, -1, 0, 0.5, 5, -4, 1])
    let hand = try LogitEffects.compute(decoder: one, normWeight: [2, 1], unembedding: wu, k: 2)
    #expect(hand.promoted(0).map(\.token) == [0, 2] && hand.promoted(0).map(\.value) == [6, 1])
    #expect(hand.suppressed(0).map(\.token) == [3, 1] && hand.suppressed(0).map(\.value) == [-8, -2])
  }

  @Test("Logit effects of selected features equal the full computation; the others are empty")
  func selectedLogitEffects() throws {
    let decoder = Self.gaussian(9, 6, seed: 5), unembedding = Self.gaussian(30, 6, seed: 6)
    let g = [Float](repeating: 1, count: 6)
    let all = try LogitEffects.compute(decoder: decoder, normWeight: g, unembedding: unembedding, k: 4, blockSize: 1)
    let some = try LogitEffects.compute(decoder: decoder, normWeight: g, unembedding: unembedding, k: 4, features: [7, 2], blockSize: 1)
    for f in 0 ..< 9 {
      if f == 2 || f == 7 {
        #expect(some.promoted(f).map(\.token) == all.promoted(f).map(\.token)
                  && some.promoted(f).map(\.value) == all.promoted(f).map(\.value))
        #expect(some.suppressed(f).map(\.token) == all.suppressed(f).map(\.token))
      } else {
        #expect(some.promoted(f).isEmpty && some.suppressed(f).isEmpty)
      }
    }
    #expect(throws: FeatureAnalysisError.self) {
      try LogitEffects.compute(decoder: decoder, normWeight: g, unembedding: unembedding, features: [9])
    }
  }

  @Test("Mismatched shapes are an error, not a crash")
  func logitShapes() {
    #expect(throws: FeatureAnalysisError.self) {
      try LogitEffects.compute(decoder: Matrix(rows: 2, columns: 3), normWeight: [1, 1], unembedding: Matrix(rows: 4, columns: 3))
    }
  }

  @Test("Decoder neighbours match brute-force cosine, skip zero rows and never list the feature itself")
  func decoderNeighbours() throws {
    var decoder = Self.gaussian(150, 12, seed: 4)
    for c in 0 ..< 12 { decoder.storage[17 * 12 + c] = 0 }                      // a dead decoder row
    for c in 0 ..< 12 { decoder.storage[40 * 12 + c] = 3 * decoder[41, c] }     // a scaled copy: cosine 1
    let table = try DecoderNeighbours.compute(decoder: decoder, k: 6, blockSize: 37, workers: 2)
    func cosine(_ i: Int, _ j: Int) -> Double {
      var dot = 0.0, a = 0.0, b = 0.0
      for c in 0 ..< 12 {
        dot += Double(decoder[i, c]) * Double(decoder[j, c])
        a += Double(decoder[i, c] * decoder[i, c])
        b += Double(decoder[j, c] * decoder[j, c])
      }
      return a > 0 && b > 0 ? dot / (a * b).squareRoot() : -2
    }
    for i in 0 ..< 150 where i != 17 {
      let brute = (0 ..< 150).filter { $0 != i && $0 != 17 }.map { ($0, cosine(i, $0)) }.sorted { $0.1 > $1.1 }.prefix(6)
      let got = table.neighbours(of: i)
      #expect(got.count == 6)
      #expect(!got.contains { $0.feature == i || $0.feature == 17 })
      for (n, want) in zip(got, brute) {
        #expect(abs(Double(n.similarity) - want.1) < 1e-5)          // the k best cosines
        #expect(abs(Double(n.similarity) - cosine(i, n.feature)) < 1e-5)
      }
    }
    #expect(table.neighbours(of: 17).isEmpty)
    #expect(table.neighbours(of: 40).first?.feature == 41)
    #expect(abs((table.neighbours(of: 40).first?.similarity ?? 0) - 1) < 1e-5)
    #expect(try DecoderNeighbours.compute(decoder: decoder, k: 6, blockSize: 37, workers: 1) == table)   // blocks fix the result, not cores
  }

  @Test("Co-activation neighbours find planted co-firing pairs and match brute-force Jaccard")
  func coactivation() throws {
    let corpus = SyntheticCorpus(windows: 60, length: 20, heldOutEvery: 1_000)
    var rng = SplitMix64(seed: 8)
    // 0 and 1 always fire together; 2 fires with 3 half the time; 4…11 at random.
    let coded = corpus.coded { _, _ in
      var active: [(latent: Int, value: Float)] = []
      let r = rng.nextInt(below: 10)
      if r < 2 { active += [(0, 1), (1, 2)] }
      if r == 3 || r == 4 { active.append((2, 1)); if r == 3 { active.append((3, 1)) } }
      for f in 4 ..< 12 where rng.nextInt(below: 6) == 0 { active.append((f, 0.5)) }
      return active
    }
    var c = FeatureAnalysisConfiguration()
    c.coactivationNeighbours = 4
    let records = try analyse(coded, latents: 12, sources: SyntheticCorpus.sources, texts: corpus.texts, configuration: c).records
    #expect(records[0].coactivationNeighbours.first == Neighbour(feature: 1, similarity: 1))
    #expect(records[1].coactivationNeighbours.first == Neighbour(feature: 0, similarity: 1))
    #expect(records[3].coactivationNeighbours.first?.feature == 2)
    // Brute force over the firing sets.
    var sets = [Set<Int>](repeating: [], count: 12)
    var token = 0
    for cw in coded { for row in cw.rows { for e in row { sets[e.latent].insert(token) }; token += 1 } }
    for i in 0 ..< 12 {
      var all: [Neighbour] = []
      for j in 0 ..< 12 where j != i && !sets[i].isDisjoint(with: sets[j]) {
        let both = Double(sets[i].intersection(sets[j]).count), either = Double(sets[i].union(sets[j]).count)
        all.append(Neighbour(feature: j, similarity: Float(both / either)))
      }
      all.sort { $0.similarity > $1.similarity || ($0.similarity == $1.similarity && $0.feature < $1.feature) }
      #expect(records[i].coactivationNeighbours == Array(all.prefix(4)))
    }
  }
}
