import TensorMath

/// How well an autoencoder reconstructs a set of activations, in the model's units.
public struct SAEQualityReport: Codable, Sendable, Equatable {
  public var tokens: Int
  public var mse: Double            // Σ‖x − x̂‖² / (tokens · dIn)
  public var fvu: Double            // Σ‖x − x̂‖² / Σ‖x − mean‖²  (fraction of variance unexplained)
  public var meanL0: Double         // active latents per token
  public var deadFraction: Double   // latents that never fired on these tokens
  public var denseFraction: Double  // latents that fired on more than `SAEMetrics.denseDensity` of them
  public var firingCounts: [Int]    // [dSAE] tokens each latent fired on
}

/// Accumulates quality metrics batch by batch, so held-out activations can stream from disk.
public struct SAEEvaluation: Sendable {
  public let autoencoder: SparseAutoencoder
  private var squaredError = 0.0
  private var columnSum: [Double]     // [dIn] Σ x
  private var squaredNorm = 0.0       // Σ ‖x‖²
  private var tokens = 0
  private var activeEntries = 0
  private var firingCounts: [Int]     // [dSAE]

  public init(autoencoder: SparseAutoencoder) {
    self.autoencoder = autoencoder
    columnSum = Array(repeating: 0, count: autoencoder.dIn)
    firingCounts = Array(repeating: 0, count: autoencoder.dSAE)
  }

  /// Adds a batch [rows, dIn] of activations in the model's units.
  public mutating func add(_ batch: Matrix) {
    precondition(batch.columns == autoencoder.dIn, "evaluation batch has \(batch.columns) columns, the SAE reads \(autoencoder.dIn)")
    let codes = autoencoder.encode(batch)
    let reconstruction = autoencoder.decode(codes)
    let d = batch.columns
    for r in 0 ..< batch.rows {
      var error = 0.0, norm = 0.0
      for i in 0 ..< d {
        let x = Double(batch.storage[r * d + i])
        let e = x - Double(reconstruction.storage[r * d + i])
        error += e * e
        norm += x * x
        columnSum[i] += x
      }
      squaredError += error
      squaredNorm += norm
    }
    for latent in codes.latents { firingCounts[Int(latent)] += 1 }
    activeEntries += codes.nonZeroCount
    tokens += batch.rows
  }

  public var report: SAEQualityReport {
    let n = Double(max(tokens, 1))
    let variance = squaredNorm - columnSum.reduce(0) { $0 + $1 * $1 } / n
    let latents = Double(max(firingCounts.count, 1))
    return SAEQualityReport(
      tokens: tokens, mse: squaredError / (n * Double(autoencoder.dIn)),
      fvu: variance > 0 ? squaredError / variance : .nan, meanL0: Double(activeEntries) / n,
      deadFraction: Double(firingCounts.lazy.filter { $0 == 0 }.count) / latents,
      denseFraction: Double(firingCounts.lazy.filter { Double($0) > SAEMetrics.denseDensity * n }.count) / latents,
      firingCounts: firingCounts)
  }
}

/// Quality measures as functions.
public enum SAEMetrics {
  /// A latent firing on more than this fraction of tokens counts as dense.
  public static let denseDensity = 0.1

  /// All metrics over `activations` [n, dIn] (model units), in batches of `batchRows`.
  public static func evaluate(_ autoencoder: SparseAutoencoder, on activations: Matrix, batchRows: Int = 4096) -> SAEQualityReport {
    var evaluation = SAEEvaluation(autoencoder: autoencoder)
    var start = 0
    while start < activations.rows {
      let end = min(activations.rows, start + batchRows)
      evaluation.add(activations.rows(start ..< end))
      start = end
    }
    return evaluation.report
  }

  /// Fraction of the cross-entropy lost by zero-ablating the hook point that splicing in the SAE's
  /// reconstruction recovers: (CE_zero − CE_spliced) / (CE_zero − CE_clean). 1 is perfect, 0 is no better
  /// than zeros. The pipeline measures the three losses with the model.
  public static func ceLossRecovered(clean: Double, spliced: Double, zeroAblation: Double) -> Double {
    (zeroAblation - spliced) / (zeroAblation - clean)
  }

  /// log10(firing frequency + 1e-10) per latent: SAELens' `sparsity` tensor.
  public static func logFrequencies(firingCounts: [Int], tokens: Int) -> [Float] {
    firingCounts.map { Elementary.log10(Float(Double($0) / Double(max(tokens, 1))) + 1e-10) }
  }
}
