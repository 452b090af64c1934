import TensorMath

/// Which single number the input scale makes equal to d_in.
public enum SAEInputScaling: String, Codable, Sendable, CaseIterable {
  /// E‖x‖² = d_in: the mean squared norm (Anthropic's April 2024 update).
  case meanSquaredNorm
  /// E‖x‖ = √d_in: the mean norm (SAELens `expected_average_only_in`, the PyTorch peer `ref_sae.py`).
  case meanNorm
}

/// The map from model activations to the space the trainer works in: x' = (x − shift) · scale.
///
/// Why: residual-stream norms differ by layer and model (≈170 at SmolLM2 layer 15), and Adam's learning rate
/// and the init assume O(1) coordinates. The trained autoencoder has this map folded into its weights
/// (`SAETrainer.autoencoder`), so nothing downstream needs to know it; it is kept here and in checkpoints.
public struct SAENormalisation: Codable, Sendable, Equatable {
  public var scale: Float           // > 0
  public var shift: [Float]?        // [dIn] dataset mean when inputs are centred, else nil

  public init(scale: Float, shift: [Float]? = nil) {
    self.scale = scale
    self.shift = shift
  }

  public static let identity = SAENormalisation(scale: 1)

  /// Estimates the map from a sample of activations [n, dIn] (model units), in Double.
  public static func estimate(from sample: Matrix, scaling: SAEInputScaling, centre: Bool) throws -> SAENormalisation {
    try estimateWithMean(from: sample, scaling: scaling, centre: centre).normalisation
  }

  /// The map and the sample mean in the normalised space (b_dec's initial value).
  static func estimateWithMean(from sample: Matrix, scaling: SAEInputScaling, centre: Bool) throws
    -> (normalisation: SAENormalisation, normalisedMean: [Float])
  {
    let n = sample.rows, d = sample.columns
    guard n > 0, d > 0 else { throw SAETrainingError.emptyNormalisationSample }
    // Pass 1: column sums, Σ‖x‖² and Σ‖x‖ in fixed row chunks (summed in chunk order).
    var stats = rowStatistics(sample, shift: nil)
    let mean = stats.columnSum.map { $0 / Double(n) }
    if centre, scaling == .meanNorm {
      stats = rowStatistics(sample, shift: mean)  // Σ‖x − μ‖ needs the mean first
    } else if centre {
      stats.squaredNormSum -= Double(n) * mean.reduce(0) { $0 + $1 * $1 }  // Σ‖x − μ‖² = Σ‖x‖² − n‖μ‖²
    }
    let scale: Double
    switch scaling {
    case .meanSquaredNorm: scale = (Double(d) / (stats.squaredNormSum / Double(n))).squareRoot()
    case .meanNorm: scale = Double(d).squareRoot() / (stats.normSum / Double(n))
    }
    guard scale.isFinite, scale > 0 else { throw SAETrainingError.degenerateNormalisationSample(rows: n) }
    let normalisation = SAENormalisation(scale: Float(scale), shift: centre ? mean.map { Float($0) } : nil)
    let normalisedMean = mean.enumerated().map { i, m in
      Float((m - Double(normalisation.shift?[i] ?? 0)) * Double(normalisation.scale))
    }
    return (normalisation, normalisedMean)
  }

  private static func rowStatistics(_ sample: Matrix, shift: [Double]?)
    -> (columnSum: [Double], squaredNormSum: Double, normSum: Double)
  {
    let n = sample.rows, d = sample.columns
    let chunk = 1024
    let chunks = (n + chunk - 1) / chunk
    let partial = ResultSlots<(columns: [Double], squared: Double, norm: Double)>(count: chunks)
    sample.storage.withUnsafeBufferPointer { buffer in
      let x = UnsafeSendable(buffer.baseAddress!)
      Parallel.forEach(chunks) { c in
        var columns = [Double](repeating: 0, count: d)
        var squared = 0.0, norm = 0.0
        for r in c * chunk ..< min(n, (c + 1) * chunk) {
          let row = x.value + r * d
          var s = 0.0
          for i in 0 ..< d {
            let v = Double(row[i]) - (shift?[i] ?? 0)
            columns[i] += Double(row[i])
            s += v * v
          }
          squared += s
          norm += s.squareRoot()
        }
        partial.set(c, (columns, squared, norm))
      }
    }
    var columnSum = [Double](repeating: 0, count: d)
    var squared = 0.0, norm = 0.0
    for part in partial.values {
      for i in 0 ..< d { columnSum[i] += part.columns[i] }
      squared += part.squared
      norm += part.norm
    }
    return (columnSum, squared, norm)
  }

  /// x' = (x − shift) · scale, row by row, into `out` (same shape).
  func apply(_ x: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
    let scale = self.scale
    if let shift {
      shift.withUnsafeBufferPointer { s in
        for r in 0 ..< rows {
          for i in 0 ..< columns { out[r * columns + i] = (x[r * columns + i] - s[i]) * scale }
        }
      }
    } else {
      for i in 0 ..< rows * columns { out[i] = x[i] * scale }
    }
  }
}
