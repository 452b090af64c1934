import TensorMath

/// Where a layout run is, for progress reporting.
public enum LayoutStep: Sendable, Equatable {
  case neighbours
  case graph
  case spectral
  case optimizing(epoch: Int, of: Int)
  case clustering
}

/// Wall-clock seconds per step.
public struct LayoutTimings: Codable, Sendable, Equatable {
  public var neighbours: Double = 0
  public var graph: Double = 0
  public var spectral: Double = 0
  public var optimization: Double = 0
  public var clustering: Double = 0

  public var total: Double { neighbours + graph + spectral + optimization + clustering }
}

/// A finished 2-D layout and what it was built from.
public struct LayoutResult: Sendable {
  public var positions: [Float]            // [n * 2], x then y per point
  public var knn: KNNGraph                 // the neighbour graph the layout used
  public var fuzzySet: FuzzySimplicialSet  // its symmetric membership graph
  public var curve: SimilarityCurve
  public var epochs: Int
  public var exactNeighbours: Bool
  public var spectral: SpectralInit.Report?
  public var timings: LayoutTimings
}

/// The map and its clusters together.
public struct FeatureMapResult: Sendable {
  public var layout: LayoutResult
  public var clusters: ClusterHierarchy
  public var timings: LayoutTimings        // layout's timings plus clustering
}

/// The facade: one call per product, each a sequence of the step functions (kNN, fuzzy set, spectral
/// initialisation, optimisation, clustering) with timings. No step's logic lives here.
public enum FeatureMap {
  /// A UMAP-style 2-D layout of `vectors` [n, d] under cosine distance.
  public static func layout(vectors: Matrix, configuration: LayoutConfiguration = .default,
                            progress: (LayoutStep) -> Void = { _ in }) throws(LayoutError) -> LayoutResult {
    let n = vectors.rows
    try configuration.validate(pointCount: n)
    let unit = try NearestNeighbours.unitRows(vectors)
    return layout(unitRows: unit, configuration: configuration, progress: progress)
  }

  /// Layout plus the cluster hierarchy of the same neighbour graph.
  public static func build(vectors: Matrix, layout configuration: LayoutConfiguration = .default,
                           clusters clusterConfiguration: ClusterConfiguration = .default,
                           progress: (LayoutStep) -> Void = { _ in }) throws(LayoutError) -> FeatureMapResult {
    try configuration.validate(pointCount: vectors.rows)
    let unit = try NearestNeighbours.unitRows(vectors)
    let layout = layout(unitRows: unit, configuration: configuration, progress: progress)
    progress(.clustering)
    var timings = layout.timings
    let start = ContinuousClock.now
    var graph = layout.fuzzySet.graph
    if clusterConfiguration.mapWeight > 0 {
      graph = MapGraph.combined(graph, MapGraph.graph(positions: layout.positions, k: clusterConfiguration.mapNeighbours),
                                weight: Float(clusterConfiguration.mapWeight))
    }
    let clusters = try Clustering.hierarchy(graph: graph, unitRows: unit, positions: layout.positions,
                                            configuration: clusterConfiguration)
    timings.clustering = seconds(since: start)
    return FeatureMapResult(layout: layout, clusters: clusters, timings: timings)
  }

  // MARK: - Steps in order

  static func layout(unitRows unit: Matrix, configuration: LayoutConfiguration,
                     progress: (LayoutStep) -> Void) -> LayoutResult {
    let n = unit.rows
    var timings = LayoutTimings()
    var clock = ContinuousClock.now

    progress(.neighbours)
    let exact = configuration.usesExactSearch(for: n)
    let knn: KNNGraph
    if exact {
      knn = NearestNeighbours.exact(unit, k: configuration.neighbours)
    } else {
      var search = configuration.nnDescent
      search.seed = configuration.seed
      knn = NearestNeighbours.nnDescent(unit, k: configuration.neighbours, configuration: search).graph
    }
    timings.neighbours = lap(&clock)

    progress(.graph)
    let fuzzySet = FuzzySimplicialSet.build(from: knn)
    timings.graph = lap(&clock)

    progress(.spectral)
    let initial: [Float]
    var report: SpectralInit.Report?
    switch configuration.initialization {
    case .spectral:
      let result = SpectralInit.layout(fuzzySet.graph, unitRows: unit, seed: configuration.seed)
      initial = result.positions
      report = result.report
    case .random:
      var rng = SplitMix64(seed: configuration.seed ^ 0x52414E44)
      initial = (0 ..< 2 * n).map { _ in rng.nextUnitFloat() * 20 - 10 }
    }
    timings.spectral = lap(&clock)

    let epochs = configuration.resolvedEpochs(for: n)
    let curve = SimilarityCurve.fit(spread: configuration.spread, minDistance: configuration.minDistance)
    let positions = LayoutOptimizer.optimize(initial: initial, graph: fuzzySet.graph, curve: curve, epochs: epochs,
                                             configuration: configuration) { progress(.optimizing(epoch: $0, of: epochs)) }
    timings.optimization = lap(&clock)

    return LayoutResult(positions: positions, knn: knn, fuzzySet: fuzzySet, curve: curve, epochs: epochs,
                        exactNeighbours: exact, spectral: report, timings: timings)
  }

  static func lap(_ clock: inout ContinuousClock.Instant) -> Double {
    let elapsed = seconds(since: clock)
    clock = ContinuousClock.now
    return elapsed
  }

  static func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }
}
