import SparseAutoencoders
import TensorMath

/// Random inputs shared by the suites (all seeded).
enum TestData {
  static func gaussian(rows: Int, columns: Int, seed: UInt64, scale: Float = 1, offset: Float = 0) -> Matrix {
    var rng = SplitMix64(seed: seed)
    return Matrix(rows: rows, columns: columns, storage: (0 ..< rows * columns).map { _ in rng.nextGaussian() * scale + offset })
  }

  /// A random autoencoder with the given activation (weights N(0, 1/dIn), biases small).
  static func autoencoder(dIn: Int, dSAE: Int, activation: SAEActivation, seed: UInt64) -> SparseAutoencoder {
    var rng = SplitMix64(seed: seed)
    let std = 1 / Float(dIn).squareRoot()
    return SparseAutoencoder(
      activation: activation,
      encoder: Matrix(rows: dSAE, columns: dIn, storage: (0 ..< dSAE * dIn).map { _ in rng.nextGaussian() * std }),
      encoderBias: (0 ..< dSAE).map { _ in rng.nextGaussian() * 0.1 },
      decoder: Matrix(rows: dSAE, columns: dIn, storage: (0 ..< dSAE * dIn).map { _ in rng.nextGaussian() * std }),
      decoderBias: (0 ..< dIn).map { _ in rng.nextGaussian() * 0.1 })
  }

  static func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
  }
}
