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
      let ours = try Quality.trustworthiness(high: fixtures.high.matrix, low: fixtures.low.matrix, k: golden.k, metric: metric)
      #expect(abs(ours - golden.value) < 1e-6, "k=\(golden.k) \(golden.metric): \(ours) vs sklearn \(golden.value)")
    }
  }

  @Test("Tiled trustworthiness equals the whole-row reference, for both metrics, tile counts odd, even and one",
        arguments: [16, 37, 64, 1000])
  func tiledMatchesReference(tile: Int) throws {
    let data = PlantedGroups(n: 301, d: 12, groups: 5, spread: 1.5, seed: 9)
    var rng = SplitMix64(seed: 4)
    // A map that keeps some structure and scrambles the rest; one on a coarse lattice for tied distances.
    let noisy = Matrix(rows: 301, columns: 2, storage: (0 ..< 602).map { e in
      data.vectors[e / 2, e % 2] + Float(rng.nextInt(below: 1000)) * 2e-3 })
    let lattice = Matrix(rows: 301, columns: 2, storage: (0 ..< 602).map { _ in Float(rng.nextInt(below: 6)) })
    for low in [noisy, lattice] {
      for metric in DistanceMetric.allCases {
        for k in [1, 5, 12] {
          let reference = try Quality.trustworthinessReference(high: data.vectors, low: low, k: k, metric: metric)
          let tiled = try Quality.trustworthiness(high: data.vectors, low: low, k: k, metric: metric, tile: tile)
          #expect(abs(tiled - reference) < 1e-9, "\(metric) k=\(k): \(tiled) vs \(reference)")
        }
      }
    }
  }

  @Test("A map equal to the data is perfectly trustworthy; a shuffled one is not")
  func trustworthinessBounds() throws {
    let data = PlantedGroups(n: 200, d: 2, groups: 4, spread: 0.5, seed: 3)
    #expect(try abs(Quality.trustworthiness(high: data.vectors, low: data.vectors, k: 5, metric: .euclidean) - 1) < 1e-12)
    var shuffled = data.vectors
    var rng = SplitMix64(seed: 2)
    let order = (0 ..< 200).shuffled(using: &rng)
    for (i, j) in order.enumerated() { shuffled.setRow(i, data.vectors.row(j)) }
    #expect(try Quality.trustworthiness(high: data.vectors, low: shuffled, k: 5, metric: .euclidean) < 0.7)
  }

  @Test("The vector rank count equals a plain count, ties broken by index, on rows with many ties and zeros")
  func rankMatchesPlainCount() {
    var rng = SplitMix64(seed: 11)
    for n in [1, 15, 16, 17, 40, 333] {
      // Distances on a coarse grid (many exact ties), zeros included, as trustworthiness sees them.
      let row = (0 ..< n).map { _ in Float(rng.nextInt(below: 7)) * 0.125 }
      for i in 0 ..< n {
        for j in 0 ..< n where j != i {
          var plain = 0
          for m in 0 ..< n where m != i && (row[m] < row[j] || (row[m] == row[j] && m < j)) { plain += 1 }
          let fast = row.withUnsafeBufferPointer { Quality.rankOf(j, in: $0.baseAddress!, count: n, excluding: i) }
          #expect(fast == plain + 1, "n=\(n) i=\(i) j=\(j)")
        }
      }
    }
  }

  @Test("Map neighbours from the grid equal brute force: clumps, duplicates, a line, one point far out",
        arguments: [0, 1, 2, 3])
  func gridNeighboursMatchBruteForce(shape: Int) {
    var rng = SplitMix64(seed: UInt64(shape) + 5)
    let n = 700
    var p = [Float](repeating: 0, count: 2 * n)
    for i in 0 ..< n {
      switch shape {
      case 0:  // clumps of very different density
        let clump = Float(i % 5)
        p[2 * i] = clump * 3 + Float(rng.nextInt(below: 1000)) * (clump + 1) * 1e-3
        p[2 * i + 1] = Float(rng.nextInt(below: 1000)) * 1e-3
      case 1:  // coordinates on a coarse lattice: many exact duplicates and equal distances
        p[2 * i] = Float(rng.nextInt(below: 9))
        p[2 * i + 1] = Float(rng.nextInt(below: 9)) * 0.5
      case 2:  // a line (zero extent in y)
        p[2 * i] = Float(rng.nextInt(below: 100_000)) * 1e-4
        p[2 * i + 1] = 7
      default:  // uniform, with one point far away
        p[2 * i] = i == 0 ? 1e4 : Float(rng.nextInt(below: 100_000)) * 1e-4
        p[2 * i + 1] = i == 0 ? -1e4 : Float(rng.nextInt(below: 100_000)) * 1e-4
      }
    }
    let points = Matrix(rows: n, columns: 2, storage: p)
    for k in [1, 10, 30] {
      #expect(Quality.euclideanNeighbours(points, k: k) == Quality.euclideanNeighboursBruteForce(points, k: k), "k=\(k)")
    }
  }

  @Test("NMI, AMI and ARI equal scikit-learn's on the fixture labelings")
  func agreementMatchesSklearn() throws {
    for golden in try Fixtures.load().agreement {
      #expect(try abs(Quality.normalizedMutualInformation(golden.a, golden.b) - golden.nmi) < 1e-12)
      #expect(try abs(Quality.adjustedMutualInformation(golden.a, golden.b) - golden.ami) < 1e-10)
      #expect(try abs(Quality.adjustedRandIndex(golden.a, golden.b) - golden.ari) < 1e-12)
    }
  }

  @Test("NMI is 1 for the same partition under other names, 0 against a constant")
  func agreementEdgeCases() throws {
    #expect(try abs(Quality.normalizedMutualInformation([0, 0, 1, 1, 2], [7, 7, 3, 3, -1]) - 1) < 1e-12)
    #expect(try Quality.normalizedMutualInformation([0, 1, 2, 3], [5, 5, 5, 5]) == 0)
    #expect(try Quality.normalizedMutualInformation([1, 1], [2, 2]) == 1)
    #expect(try abs(Quality.adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0]) - 1) < 1e-12)
    #expect(try abs(Quality.adjustedMutualInformation([0, 0, 1, 1, 2], [7, 7, 3, 3, -1]) - 1) < 1e-12)
    // A random partition into many clusters gets a positive NMI by chance, an AMI near 0.
    var rng = SplitMix64(seed: 11)
    let truth = (0 ..< 2000).map { _ in Int(rng.next() % 5) }
    let random = (0 ..< 2000).map { _ in Int(rng.next() % 200) }
    #expect(try Quality.normalizedMutualInformation(random, truth) > 0.02)
    #expect(try abs(Quality.adjustedMutualInformation(random, truth)) < 0.01)
  }
}

@Suite("Shape errors")
struct ShapeErrorTests {
  @Test("Mismatched inputs throw errors that name the counts instead of trapping")
  func mismatches() throws {
    #expect(throws: LayoutError.shapeMismatch(what: "labels compared by NMI", expected: 3, found: 2)) {
      try Quality.normalizedMutualInformation([0, 1, 2], [0, 1])
    }
    let high = Matrix(rows: 10, columns: 3, repeating: 1)
    #expect(throws: LayoutError.self) { try Quality.trustworthiness(high: high, low: Matrix(rows: 9, columns: 2), k: 2) }
    #expect(throws: LayoutError.self) { try Quality.trustworthiness(high: high, low: Matrix(rows: 10, columns: 2), k: 5) }
    #expect(throws: LayoutError.self) { try KNNGraph(k: 3, indices: [0, 1, 2, 1], distances: [0, 0, 0, 0]) }
    #expect(throws: LayoutError.self) { try KNNGraph(k: 2, indices: [0, 5], distances: [0, 0.5]) }
    #expect(throws: LayoutError.self) { try SparseGraph(validating: 2, offsets: [0, 1, 3], columns: [1, 0], weights: [1, 1]) }
    let graph = try SparseGraph(validating: 2, offsets: [0, 1, 2], columns: [1, 0], weights: [1, 1])
    #expect(graph.degrees == [1, 1])
    #expect(NearestNeighbours.exact(Matrix(rows: 0, columns: 4), k: 5).count == 0)
  }
}
