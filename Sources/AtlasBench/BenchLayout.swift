import ArgumentParser
import AtlasArtifacts
import Foundation
import MapLayout
import TensorMath

/// `atlas-bench layout --decoder DEC.npy [--out DIR] [--no-trust] [--knn automatic|exact|nnDescent]
///   [--epochs N] [--neighbours K] [--seed S] [--hdbscan-labels L.npy] [--knn-recall]`
/// or `--synthetic N` (a Gaussian mixture of directions in 576-d: 2-level planted structure).
///
/// Prints per-step timings, trustworthiness (k = 10, cosine, exact), cluster counts per level and the
/// largest share, peak RSS; writes `layout2d.npy` [n, 2] (score it with `ref_umap.py --layout2d`), the
/// cluster labels per level and `layout.json`.
struct BenchLayout: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "layout", abstract: "2-D map + clusters of SAE decoder directions (vs umap-learn + HDBSCAN).")

  private static let defaults = LayoutConfiguration()

  @Option(help: ArgumentHelp("SAE decoder rows [n, d] as float32 .npy (default: a synthetic mixture, see --synthetic).", valueName: "dec.npy"))
  var decoder: String?
  @Option(help: "Synthetic points when no --decoder is given.") var synthetic = 4096
  @Option(help: "Synthetic: weight of the planted direction (the rest is noise).") var signal: Float = 0.3
  @Option(help: "Synthetic: dimensions.") var dimensions = 576
  @Option(help: "Seed (synthetic data and layout).") var seed: UInt64 = 0
  @Option(help: "Neighbours per point.") var neighbours = BenchLayout.defaults.neighbours
  @Option(name: .customLong("min-dist"), help: "Minimum distance on the map.") var minDistance = BenchLayout.defaults.minDistance
  @Option(help: "SGD epochs (default: chosen from n).") var epochs: Int?
  @Option(help: "Neighbour search.") var knn = BenchLayout.defaults.neighbourMethod
  @Option(name: .customLong("exact-limit"), help: "Exact search up to this many points (automatic).") var exactLimit = BenchLayout.defaults.exactKNNLimit
  @Option(name: .customLong("nnd-trees"), help: "NN-descent: random-projection trees.") var nndTrees = BenchLayout.defaults.nnDescent.trees
  @Option(name: .customLong("nnd-leaf"), help: "NN-descent: leaf size.") var nndLeaf = BenchLayout.defaults.nnDescent.leafSize
  @Option(name: .customLong("nnd-candidates"), help: "NN-descent: candidates per round.") var nndCandidates = BenchLayout.defaults.nnDescent.candidates
  @Option(name: .customLong("nnd-iterations"), help: "NN-descent: maximum rounds.") var nndIterations = BenchLayout.defaults.nnDescent.maxIterations
  @Flag(name: .customLong("random-init"), help: "Random instead of spectral initialisation.") var randomInit = false
  @Option(name: .customLong("negative-rate"), help: "Negative samples per positive.") var negativeRate = BenchLayout.defaults.negativeSampleRate
  @Option(help: "Repulsion strength.") var repulsion = BenchLayout.defaults.repulsionStrength
  @Option(name: .customLong("learning-rate"), help: "SGD learning rate.") var learningRate = BenchLayout.defaults.learningRate
  @Flag(name: .customLong("cpu-profile"), help: "Also run the steps one by one with CPU seconds each.") var cpuProfile = false
  @Flag(name: .customLong("knn-tiles"), help: "Also time exact kNN at several tile sizes.") var knnTiles = false
  @Flag(name: .customLong("sgd-kernels"), help: "Also compare the reference and interleaved SGD kernels.") var sgdKernels = false
  @Option(name: .customLong("sgd-epochs"), help: "Epochs for --sgd-kernels (default: chosen from n).") var sgdEpochs: Int?
  @Flag(name: .customLong("knn-recall"), help: "Report NN-descent's recall against exact search.") var knnRecall = false
  @Flag(name: .customLong("no-trust"), help: "Skip trustworthiness.") var noTrust = false
  @Option(name: .customLong("hdbscan-labels"), help: ArgumentHelp("HDBSCAN labels (.npy) to compare clusters with (NMI).", valueName: "labels.npy"))
  var hdbscanLabels: String?
  @Option(help: ArgumentHelp("Write layout2d.npy, knn and cluster arrays and layout.json here.", valueName: "dir")) var out: String?

  func validate() throws {
    guard synthetic > 1, dimensions > 0 else { throw ValidationError("--synthetic must be at least 2 and --dimensions positive") }
    guard neighbours > 0 else { throw ValidationError("--neighbours must be positive, found \(neighbours)") }
    if let epochs, epochs <= 0 { throw ValidationError("--epochs must be positive, found \(epochs)") }
  }

  func run() throws {
    let vectors: Matrix
    var source: String
    if let path = decoder {
      let array = try Npy.read(URL(fileURLWithPath: path))
      guard array.shape.count == 2 else { throw BenchLayoutError.notAMatrix(path: path, shape: array.shape) }
      vectors = Matrix(rows: array.shape[0], columns: array.shape[1], storage: array.values)
      source = path
    } else {
      let n = synthetic
      vectors = Self.syntheticDirections(n: n, d: dimensions, signal: signal, seed: seed)
      source = "synthetic Gaussian mixture of directions (signal \(signal)), n=\(n)"
    }
    var configuration = LayoutConfiguration()
    configuration.neighbours = neighbours
    configuration.seed = seed
    configuration.minDistance = minDistance
    if let epochs { configuration.epochs = epochs }
    configuration.neighbourMethod = knn
    configuration.exactKNNLimit = exactLimit
    configuration.nnDescent.trees = nndTrees
    configuration.nnDescent.leafSize = nndLeaf
    configuration.nnDescent.candidates = nndCandidates
    configuration.nnDescent.maxIterations = nndIterations
    if randomInit { configuration.initialization = .random }
    configuration.negativeSampleRate = negativeRate
    configuration.repulsionStrength = repulsion
    configuration.learningRate = learningRate

    print("layout: \(source): n=\(vectors.rows) d=\(vectors.columns), load \(Self.loadAverage())")
    if cpuProfile { try Self.cpuProfile(vectors, configuration) }
    if knnTiles { try Self.knnTiles(vectors, k: configuration.neighbours) }
    if sgdKernels { try Self.sgdKernels(vectors, configuration, epochs: sgdEpochs) }
    let start = Date()
    let result = try FeatureMap.build(vectors: vectors, layout: configuration)
    let wall = Date().timeIntervalSince(start)
    let t = result.timings
    let n = vectors.rows
    print(String(format: "  knn %.3f s (%@)  graph %.3f s  spectral %.3f s  sgd %.3f s (%d epochs)  clusters %.3f s",
                 t.neighbours, result.layout.exactNeighbours ? "exact" : "nn-descent", t.graph, t.spectral,
                 t.optimization, result.layout.epochs, t.clustering))
    print(String(format: "  total %.3f s (wall %.3f s incl. normalisation), process CPU %.2f s", t.total, wall, Self.cpuSeconds()))
    if let s = result.layout.spectral {
      print("  spectral: \(s.components) component(s), largest \(s.largestComponent), Lanczos steps \(s.lanczosIterations), converged \(s.converged)")
    }
    for (index, level) in result.clusters.levels.enumerated() {
      let sizes = level.clusters.map(\.size).sorted()
      print(String(format: "  level %d: %d clusters, largest %.1f%%, median size %d, smallest %d (resolution %.3g)",
                   index, level.clusters.count, 100 * level.largestShare, sizes[sizes.count / 2], sizes.first ?? 0,
                   level.resolution))
    }
    print("  nested: \(result.clusters.isNested)")
    var report: [String: Any] = [
      "source": source, "n": n, "d": vectors.columns, "timings": [
        "knn": t.neighbours, "graph": t.graph, "spectral": t.spectral, "sgd": t.optimization,
        "clusters": t.clustering, "total": t.total, "wall": wall,
      ],
      "exactNeighbours": result.layout.exactNeighbours, "epochs": result.layout.epochs,
      "levels": result.clusters.levels.map { ["clusters": $0.clusters.count, "largestShare": $0.largestShare] },
      "loadAverage": Self.loadAverage(),
    ]
    if knnRecall && !result.layout.exactNeighbours {
      let unit = try NearestNeighbours.unitRows(vectors)
      let clock = Date()
      let exact = NearestNeighbours.exact(unit, k: configuration.neighbours)
      let recall = KNNRecall.recall(result.layout.knn, exact)
      print(String(format: "  nn-descent recall vs exact %.4f (exact search took %.2f s)", recall, Date().timeIntervalSince(clock)))
      report["knnRecall"] = recall
    }
    if !noTrust {
      let clock = Date()
      let low = Matrix(rows: n, columns: 2, storage: result.layout.positions)
      let tw = try Quality.trustworthiness(high: vectors, low: low, k: 10, metric: .cosine)
      print(String(format: "  trustworthiness (k=10, cosine) %.4f  [%.1f s]", tw, Date().timeIntervalSince(clock)))
      report["trustworthiness"] = tw
    }
    if let path = hdbscanLabels {
      let other = try Npy.read(URL(fileURLWithPath: path)).values.map { Int($0) }
      for (index, level) in result.clusters.levels.enumerated() {
        let ours = level.assignments.map(Int.init)
        let all = try Quality.normalizedMutualInformation(ours, other)
        let kept = other.indices.filter { other[$0] >= 0 }
        let clean = try Quality.normalizedMutualInformation(kept.map { ours[$0] }, kept.map { other[$0] })
        print(String(format: "  NMI vs HDBSCAN, level %d: %.3f (all points, noise as a label), %.3f (non-noise)", index, all, clean))
      }
    }
    let rss = Self.peakResidentMiB()
    print(String(format: "  peak RSS %.0f MiB", rss))
    report["peakRSSMiB"] = rss
    if let dir = out {
      let url = URL(fileURLWithPath: dir)
      try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
      try Npy.write(result.layout.positions, shape: [n, 2], to: url.appendingPathComponent("layout2d.npy"))
      let k = result.layout.knn.k
      try Npy.write(result.layout.knn.indices.map(Float.init), shape: [n, k], to: url.appendingPathComponent("knn_indices.npy"))
      try Npy.write(result.layout.knn.distances, shape: [n, k], to: url.appendingPathComponent("knn_distances.npy"))
      for (index, level) in result.clusters.levels.enumerated() {
        try Npy.write(level.assignments.map(Float.init), shape: [n], to: url.appendingPathComponent("clusters\(index).npy"))
      }
      let json = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
      try AtomicFile.write(json, to: url.appendingPathComponent("layout.json"))
      print("  wrote \(dir)/layout2d.npy, knn_{indices,distances}.npy, clusters{0,1,2}.npy, layout.json")
    }
  }

  /// Directions around 2-level planted centres: √n/4 groups, each with 4 sub-groups; each point is
  /// signal * its sub-group's direction + sqrt(1 - signal²) * a random unit direction.
  static func syntheticDirections(n: Int, d: Int, signal: Float, seed: UInt64) -> Matrix {
    var rng = SplitMix64(seed: seed ^ 0x53594E5448)
    let groups = max(2, Int(Double(n).squareRoot() / 4))
    func unit() -> [Float] {
      let v = (0 ..< d).map { _ in rng.nextGaussian() }
      let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
      return v.map { $0 / norm }
    }
    let centres = (0 ..< groups).map { _ in unit() }
    let subs = (0 ..< groups * 4).map { s in zip(centres[s / 4], unit()).map { 0.8 * $0 + 0.6 * $1 } }
    var m = Matrix(rows: n, columns: d)
    for i in 0 ..< n {
      let s = rng.nextInt(below: subs.count)
      let noise = unit()
      let noiseWeight = (1 - signal * signal).squareRoot()
      for c in 0 ..< d { m[i, c] = signal * subs[s][c] + noiseWeight * noise[c] }
    }
    return m
  }

  /// The steps one by one with process CPU seconds each (meaningful when the machine is shared).
  static func cpuProfile(_ vectors: Matrix, _ configuration: LayoutConfiguration) throws {
    var last = cpuSeconds()
    func step(_ name: String) {
      let now = cpuSeconds()
      print(String(format: "  [cpu] %@ %.3f s", name, now - last))
      last = now
    }
    let unit = try NearestNeighbours.unitRows(vectors)
    step("normalise")
    let knn: KNNGraph
    if configuration.usesExactSearch(for: vectors.rows) {
      knn = NearestNeighbours.exact(unit, k: configuration.neighbours)
      step("knn")
    } else {
      let (graph, report) = NearestNeighbours.nnDescent(unit, k: configuration.neighbours, configuration: configuration.nnDescent)
      knn = graph
      step("knn")
      print("  [nn-descent] \(report.iterations) rounds, new entries per round \(report.changesPerIteration)")
    }
    let fuzzy = FuzzySimplicialSet.build(from: knn)
    step("graph")
    let epochs = configuration.resolvedEpochs(for: vectors.rows)
    let pruned = LayoutOptimizer.prune(fuzzy.graph, epochs: epochs)
    let maximum = pruned.weights.max() ?? 1
    let samples = pruned.weights.reduce(0.0) { $0 + Double($1 / maximum) } * Double(epochs)
    print(String(format: "  [graph] %d directed edges (%d after pruning), %.1f M attractive samples over %d epochs",
                 fuzzy.graph.edgeCount, pruned.edgeCount, samples / 1e6, epochs))
    let initial = SpectralInit.layout(fuzzy.graph, unitRows: unit, seed: configuration.seed).positions
    step("spectral")
    let curve = SimilarityCurve.fit(spread: configuration.spread, minDistance: configuration.minDistance)
    let positions = LayoutOptimizer.optimize(initial: initial, graph: fuzzy.graph, curve: curve,
                                             epochs: configuration.resolvedEpochs(for: vectors.rows),
                                             configuration: configuration)
    step("sgd")
    _ = try Clustering.hierarchy(graph: fuzzy.graph, unitRows: unit, positions: positions)
    step("clusters")
  }

  /// Exact kNN at several tile sizes, and the bare sgemm work, in CPU seconds.
  static func knnTiles(_ vectors: Matrix, k: Int) throws {
    let unit = try NearestNeighbours.unitRows(vectors)
    let n = unit.rows, d = unit.columns
    for tile in [256, 512, 1024, 2048] {
      var c0 = cpuSeconds()
      var w0 = Date()
      _ = NearestNeighbours.exact(unit, k: k, tile: tile)
      print(String(format: "  [knn] tile %d: cpu %.3f s wall %.3f s", tile, cpuSeconds() - c0, Date().timeIntervalSince(w0)))
      c0 = cpuSeconds()
      w0 = Date()
      var out = [Float](repeating: 0, count: tile * tile)
      unit.storage.withUnsafeBufferPointer { u in
        out.withUnsafeMutableBufferPointer { o in
          BLAS.singleThreaded {
            var a = 0
            while a < n {
              var b = a
              while b < n {
                BLAS.sgemm(transA: false, transB: true, m: min(tile, n - a), n: min(tile, n - b), k: d,
                           a: u.baseAddress! + a * d, lda: d, b: u.baseAddress! + b * d, ldb: d,
                           c: o.baseAddress!, ldc: min(tile, n - b))
                b += tile
              }
              a += tile
            }
          }
        }
      }
      print(String(format: "  [sgemm only, 1 thread] tile %d: cpu %.3f s wall %.3f s", tile, cpuSeconds() - c0, Date().timeIntervalSince(w0)))
    }
  }

  /// The reference and the interleaved SGD kernels on the same input: CPU seconds and whether the bits agree.
  static func sgdKernels(_ vectors: Matrix, _ configuration: LayoutConfiguration, epochs: Int?) throws {
    let unit = try NearestNeighbours.unitRows(vectors)
    let fuzzy = FuzzySimplicialSet.build(from: NearestNeighbours.exact(unit, k: configuration.neighbours))
    let initial = SpectralInit.layout(fuzzy.graph, unitRows: unit, seed: configuration.seed).positions
    let curve = SimilarityCurve.fit(spread: configuration.spread, minDistance: configuration.minDistance)
    let epochs = epochs ?? configuration.resolvedEpochs(for: vectors.rows)
    var results: [[Float]] = []
    for kernel in [LayoutOptimizer.Kernel.reference, .interleaved, .reference, .interleaved] {
      let c0 = cpuSeconds(), w0 = Date()
      results.append(LayoutOptimizer.optimize(initial: initial, graph: fuzzy.graph, curve: curve, epochs: epochs,
                                              configuration: configuration, kernel: kernel))
      print(String(format: "  [sgd] %@: cpu %.3f s wall %.3f s", "\(kernel)", cpuSeconds() - c0, Date().timeIntervalSince(w0)))
    }
    print("  [sgd] reference == interleaved bitwise: \(results[0].map(\.bitPattern) == results[1].map(\.bitPattern))")
  }

  static func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
  }

  static func peakResidentMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kb / 1024
  }

  static func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
  }
}

extension NeighbourMethod: ExpressibleByArgument {}

enum KNNRecall {
  /// Share of exact neighbours (self excluded) the approximate graph found.
  static func recall(_ approximate: KNNGraph, _ exact: KNNGraph) -> Double {
    var hits = 0, total = 0
    for i in 0 ..< exact.count {
      let truth = Set(exact.neighbours(of: i).dropFirst())
      let found = Set(approximate.neighbours(of: i).dropFirst())
      hits += truth.intersection(found).count
      total += truth.count
    }
    return Double(hits) / Double(max(1, total))
  }
}

enum BenchLayoutError: Error, CustomStringConvertible {
  case notAMatrix(path: String, shape: [Int])
  var description: String {
    switch self {
    case .notAMatrix(let path, let shape): "\(path) has shape \(shape); expected a 2-D [n_features, d] matrix"
    }
  }
}
