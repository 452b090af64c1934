import MapLayout
import TensorMath
import Testing

@Suite("Quality measures against scikit-learn")
struct QualityTests {
  @Test("Trustworthiness equals sklearn.manifold.trustworthiness on the fixture")
  func trustworthinessMatchesSklearn() throws {
    let fixtures = try Fixtures.load()
    #expect(fixtures.trustworthiness.count == 4)
    for golden in fixtures.trustworthiness {
      let metric = try #require(DistanceMetric(rawValue: golden.metric))
      let ours = Quality.trustworthiness(high: fixtures.high.matrix, low: fixtures.low.matrix, k: golden.k, metric: metric)
      #expect(abs(ours - golden.value) < 1e-6, "k=\(golden.k) \(golden.metric): \(ours) vs sklearn \(golden.value)")
    }
  }

  @Test("A map equal to the data is perfectly trustworthy; a shuffled one is not")
  func trustworthinessBounds() {
    let data = PlantedGroups(n: 200, d: 2, groups: 4, spread: 0.5, seed: 3)
    #expect(abs(Quality.trustworthiness(high: data.vectors, low: data.vectors, k: 5, metric: .euclidean) - 1) < 1e-12)
    var shuffled = data.vectors
    var rng = SplitMix64(seed: 2)
    let order = (0 ..< 200).shuffled(using: &rng)
    for (i, j) in order.enumerated() { shuffled.setRow(i, data.vectors.row(j)) }
    #expect(Quality.trustworthiness(high: data.vectors, low: shuffled, k: 5, metric: .euclidean) < 0.7)
  }

  @Test("NMI and ARI equal scikit-learn's on the fixture labelings")
  func agreementMatchesSklearn() throws {
    for golden in try Fixtures.load().agreement {
      #expect(abs(Quality.normalizedMutualInformation(golden.a, golden.b) - golden.nmi) < 1e-12)
      #expect(abs(Quality.adjustedRandIndex(golden.a, golden.b) - golden.ari) < 1e-12)
    }
  }

  @Test("NMI is 1 for the same partition under other names, 0 against a constant")
  func agreementEdgeCases() {
    #expect(abs(Quality.normalizedMutualInformation([0, 0, 1, 1, 2], [7, 7, 3, 3, -1]) - 1) < 1e-12)
    #expect(Quality.normalizedMutualInformation([0, 1, 2, 3], [5, 5, 5, 5]) == 0)
    #expect(Quality.normalizedMutualInformation([1, 1], [2, 2]) == 1)
    #expect(abs(Quality.adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0]) - 1) < 1e-12)
  }
}
