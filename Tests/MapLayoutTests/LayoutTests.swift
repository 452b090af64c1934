import MapLayout
import TensorMath
import Testing

@Suite("Layout")
struct LayoutTests {
  static let planted = PlantedGroups(n: 1000, d: 64, groups: 10, spread: 1.1, seed: 42)

  static func quickConfiguration(seed: UInt64 = 0) -> LayoutConfiguration {
    var configuration = LayoutConfiguration()
    configuration.epochs = 200
    configuration.seed = seed
    return configuration
  }

  @Test("Ten groups planted in 64-d come out as ten separate islands")
  func recoversPlantedGroups() throws {
    let data = Self.planted
    let result = try FeatureMap.layout(vectors: data.vectors, configuration: Self.quickConfiguration())
    #expect(result.positions.count == 2000)
    #expect(result.positions.allSatisfy { $0.isFinite })
    let purity = mapNeighbourPurity(result.positions, labels: data.labels, k: 10)
    #expect(purity > 0.97, "only \(purity) of 2-D neighbours share the point's group")
    let s = silhouette(result.positions, labels: data.labels)
    #expect(s > 0.6, "silhouette \(s)")
  }

  @Test("No point is flung off the map: every point within 3x the 99th-percentile distance from the centre",
        arguments: [(3000, 60, Float(1.5)), (2000, 200, Float(3.0)), (4000, 20, Float(2.0))])
  func noPointFlungAway(n: Int, groups: Int, spread: Float) throws {
    // A step that overshoots (e.g. one double pull instead of two pulls in a row) sends a few dozen
    // points far out on real decoders; the default configuration must keep every point with the rest.
    let data = PlantedGroups(n: n, d: 48, groups: groups, spread: spread, seed: UInt64(n + groups))
    let p = try FeatureMap.layout(vectors: data.vectors, configuration: LayoutConfiguration()).positions
    let cx = p.enumerated().filter { $0.offset % 2 == 0 }.map(\.element).sorted()[n / 2]
    let cy = p.enumerated().filter { $0.offset % 2 == 1 }.map(\.element).sorted()[n / 2]
    let radii = (0 ..< n).map { i in ((p[2 * i] - cx) * (p[2 * i] - cx) + (p[2 * i + 1] - cy) * (p[2 * i + 1] - cy)).squareRoot() }
    let p99 = radii.sorted()[n * 99 / 100]
    let far = radii.filter { $0 > 3 * p99 }.count
    #expect(far == 0, "\(far) of \(n) points beyond 3 x \(p99) (max \(radii.max() ?? 0))")
  }

  @Test("Same seed, same bytes; another seed, another layout")
  func deterministic() throws {
    let data = PlantedGroups(n: 600, d: 32, groups: 6, spread: 1.2, seed: 8)
    let a = try FeatureMap.layout(vectors: data.vectors, configuration: Self.quickConfiguration(seed: 5))
    let b = try FeatureMap.layout(vectors: data.vectors, configuration: Self.quickConfiguration(seed: 5))
    let c = try FeatureMap.layout(vectors: data.vectors, configuration: Self.quickConfiguration(seed: 6))
    #expect(a.positions.map(\.bitPattern) == b.positions.map(\.bitPattern))
    #expect(a.knn == b.knn)
    #expect(a.positions != c.positions)
  }

  @Test("The NN-descent path lays out the planted groups as well, deterministically")
  func nnDescentPath() throws {
    var configuration = Self.quickConfiguration()
    configuration.neighbourMethod = .nnDescent
    let a = try FeatureMap.layout(vectors: Self.planted.vectors, configuration: configuration)
    let b = try FeatureMap.layout(vectors: Self.planted.vectors, configuration: configuration)
    #expect(!a.exactNeighbours)
    #expect(a.positions == b.positions)
    #expect(mapNeighbourPurity(a.positions, labels: Self.planted.labels, k: 10) > 0.97)
  }

  @Test("The optimised map is more trustworthy than its spectral start and than a random map")
  func optimisationHelps() throws {
    let data = PlantedGroups(n: 800, d: 48, groups: 16, spread: 1.6, seed: 13)
    let result = try FeatureMap.layout(vectors: data.vectors, configuration: Self.quickConfiguration())
    let unit = try NearestNeighbours.unitRows(data.vectors)
    let start = SpectralInit.layout(result.fuzzySet.graph, unitRows: unit, seed: 0).positions
    var rng = SplitMix64(seed: 1)
    let random = (0 ..< 1600).map { _ in rng.nextUnitFloat() }
    func trust(_ p: [Float]) throws -> Double {
      try Quality.trustworthiness(high: data.vectors, low: Matrix(rows: 800, columns: 2, storage: p), k: 10)
    }
    let final = try trust(result.positions)
    #expect(try final > trust(start))
    #expect(try final > trust(random) + 0.2)
    #expect(final > 0.9)
  }

  @Test("Invalid configurations are refused with the parameter named")
  func validation() {
    var configuration = LayoutConfiguration()
    configuration.neighbours = 1
    #expect(throws: LayoutError.self) { try configuration.validate(pointCount: 100) }
    #expect(throws: LayoutError.tooFewPoints(found: 1)) {
      try FeatureMap.layout(vectors: Matrix(rows: 1, columns: 4, repeating: 1))
    }
    configuration = LayoutConfiguration()
    configuration.minDistance = 2
    #expect(throws: LayoutError.self) { try configuration.validate(pointCount: 100) }
  }

  @Test("Default epochs follow umap-learn: 500 up to 10,000 points, 200 above")
  func epochs() {
    #expect(LayoutConfiguration().resolvedEpochs(for: 4096) == 500)
    #expect(LayoutConfiguration().resolvedEpochs(for: 16384) == 200)
  }
}

@Suite("Optimiser kernels")
struct OptimizerKernelTests {
  @Test("The interleaved SGD kernel gives the reference kernel's bits")
  func interleavedMatchesReference() throws {
    let data = PlantedGroups(n: 700, d: 24, groups: 7, spread: 1.3, seed: 12)
    let unit = try NearestNeighbours.unitRows(data.vectors)
    let set = FuzzySimplicialSet.build(from: NearestNeighbours.exact(unit, k: 15))
    let initial = SpectralInit.layout(set.graph, unitRows: unit, seed: 1).positions
    let configuration = LayoutConfiguration()
    let curve = SimilarityCurve.fit(spread: configuration.spread, minDistance: configuration.minDistance)
    let reference = LayoutOptimizer.optimize(initial: initial, graph: set.graph, curve: curve, epochs: 60,
                                             configuration: configuration, kernel: .reference)
    let fast = LayoutOptimizer.optimize(initial: initial, graph: set.graph, curve: curve, epochs: 60,
                                        configuration: configuration, kernel: .interleaved)
    #expect(reference.map(\.bitPattern) == fast.map(\.bitPattern))
    #expect(reference != LayoutOptimizer.rescaleToBox(initial))
  }
}
