/// How the 2-D map is initialised before optimisation.
public enum LayoutInitialization: String, Codable, Sendable, CaseIterable {
  /// Eigenvectors of the normalised graph Laplacian (UMAP's default): global structure from the start.
  case spectral
  /// Uniform in [-10, 10]²: a baseline, and the fallback for tiny components.
  case random
}

/// How the k nearest neighbours are found.
public enum NeighbourMethod: String, Codable, Sendable, CaseIterable {
  /// Exact up to `exactKNNLimit` points, NN-descent above.
  case automatic
  /// Blocked Gram matrix through BLAS: exact, O(n² d) work.
  case exact
  /// Random-projection-forest start refined by NN-descent: approximate, about O(n k² d) per iteration.
  case nnDescent
}

/// Parameters of the UMAP-style layout. Defaults follow umap-learn except two, chosen by measurement
/// on SAE decoder directions (TopK SAEs on SmolLM2 layer 15, 4,096 and 16,384 latents): with umap-learn's
/// `min_dist` 0.1 and `repulsion_strength` 1 the map's trustworthiness (k = 10, cosine) is 0.632 / 0.565,
/// below umap-learn's own 0.637 / 0.581 (its approximate kNN graph happens to score higher than the exact
/// one: umap-learn given our exact graph scores 0.565 too). Stronger repulsion and tighter packing spread
/// each point's true neighbours less: minDistance 0.05 with repulsionStrength 4 gives 0.707 / 0.600.
public struct LayoutConfiguration: Codable, Sendable, Equatable {
  /// Neighbours per point, the point itself included (umap-learn's `n_neighbors`).
  public var neighbours: Int = 15
  /// Minimum distance between points in the map (umap-learn's `min_dist`; its default is 0.1).
  public var minDistance: Float = 0.05
  /// Scale of the embedded points (umap-learn's `spread`).
  public var spread: Float = 1
  /// Optimisation epochs; nil = 500 below 10,000 points, 200 above (as umap-learn).
  public var epochs: Int? = nil
  /// Repulsive samples per attractive sample.
  public var negativeSampleRate: Int = 5
  /// Weight of the repulsive term (umap-learn's `repulsion_strength`; its default is 1).
  public var repulsionStrength: Float = 4
  /// Initial SGD step; decays linearly to zero.
  public var learningRate: Float = 1
  public var initialization: LayoutInitialization = .spectral
  public var neighbourMethod: NeighbourMethod = .automatic
  /// Largest n for which `automatic` uses the exact search. Measured on SAE decoder directions (16,384
  /// TopK latents): NN-descent finds only 39-60% of the true neighbours (pynndescent 38%), at a cost close
  /// to the exact search's; exact at 65,536 takes about 16x the 16,384 time (BLAS-bound). Hence exact up
  /// to 65,536 and approximate beyond.
  public var exactKNNLimit: Int = 65_536
  /// Parameters of the approximate search (its seed is replaced by `seed`).
  public var nnDescent = NNDescentConfiguration()
  public var seed: UInt64 = 0

  public init() {}

  public static let `default` = LayoutConfiguration()

  /// The epoch count used for `n` points.
  public func resolvedEpochs(for n: Int) -> Int {
    if let epochs { return epochs }
    return n <= 10_000 ? 500 : 200
  }

  /// Whether the exact search is used for `n` points.
  public func usesExactSearch(for n: Int) -> Bool {
    switch neighbourMethod {
    case .automatic: n <= exactKNNLimit
    case .exact: true
    case .nnDescent: false
    }
  }

  /// Checks ranges the type system cannot; throws with the value at fault.
  public func validate(pointCount n: Int) throws(LayoutError) {
    guard n >= 2 else { throw .tooFewPoints(found: n) }
    guard neighbours >= 2 else {
      throw .invalidParameter(name: "neighbours", value: "\(neighbours)", expected: ">= 2")
    }
    guard minDistance >= 0, spread > 0, minDistance <= spread else {
      throw .invalidParameter(name: "minDistance/spread", value: "\(minDistance)/\(spread)",
                              expected: "0 <= minDistance <= spread, spread > 0")
    }
    guard negativeSampleRate >= 0 else {
      throw .invalidParameter(name: "negativeSampleRate", value: "\(negativeSampleRate)", expected: ">= 0")
    }
    guard learningRate > 0, repulsionStrength >= 0 else {
      throw .invalidParameter(name: "learningRate/repulsionStrength", value: "\(learningRate)/\(repulsionStrength)",
                              expected: "learningRate > 0, repulsionStrength >= 0")
    }
    if let epochs, epochs < 1 { throw .invalidParameter(name: "epochs", value: "\(epochs)", expected: ">= 1") }
  }
}

/// What went wrong in a layout or clustering call, with what was expected and what to do.
public enum LayoutError: Error, CustomStringConvertible, Equatable {
  case tooFewPoints(found: Int)
  case invalidParameter(name: String, value: String, expected: String)
  case nonFiniteInput(row: Int)
  case shapeMismatch(what: String, expected: Int, found: Int)

  public var description: String {
    switch self {
    case .tooFewPoints(let n):
      "a map needs at least 2 points, found \(n); check that the SAE decoder has latents"
    case .invalidParameter(let name, let value, let expected):
      "layout parameter \(name) = \(value) is out of range; expected \(expected)"
    case .nonFiniteInput(let row):
      "row \(row) of the input vectors holds NaN or infinity; the SAE weights are corrupt or diverged"
    case .shapeMismatch(let what, let expected, let found):
      "\(what): expected \(expected) values, found \(found)"
    }
  }
}
