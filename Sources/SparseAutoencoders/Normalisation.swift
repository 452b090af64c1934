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

  /// Estimates the map from a sample of activations [n, dIn] (original units), in Double.
  public static func estimate(from sample: Matrix, scaling: SAEInputScaling, centre: Bool) throws -> SAENormalisation {
    let n = sample.rows, d = sample.columns
    guard n > 0, d > 0 else { throw SAETrainingError.emptyNormalisationSample }
    var mean = [Double](repeating: 0, count: d)
    if centre {
      for r in 0 ..< n { for i in 0 ..< d { mean[i] += Double(sample.storage[r * d + i]) } }
      for i in 0 ..< d { mean[i] /= Double(n) }
    }
    var sumNorm = 0.0, sumSquared = 0.0
    for r in 0 ..< n {
      var s = 0.0
      for i in 0 ..< d {
        let v = Double(sample.storage[r * d + i]) - mean[i]
        s += v * v
      }
      sumSquared += s
      sumNorm += s.squareRoot()
    }
    let scale: Double
    switch scaling {
    case .meanSquaredNorm: scale = (Double(d) / (sumSquared / Double(n))).squareRoot()
    case .meanNorm: scale = Double(d).squareRoot() / (sumNorm / Double(n))
    }
    guard scale.isFinite, scale > 0 else { throw SAETrainingError.degenerateNormalisationSample(rows: n) }
    return SAENormalisation(scale: Float(scale), shift: centre ? mean.map { Float($0) } : nil)
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
