import TensorMath

/// The trainable parameters in one flat array, so Adam, clipping and checkpoints are single loops:
///
///     storage = [ encoder [dSAE, dIn] | decoder [dSAE, dIn] | encoderBias [dSAE] | decoderBias [dIn] ]
///
/// Gradients and Adam moments use the same layout. Values live in the normalised input space.
package struct SAEParameters: Sendable, Equatable {
  package let dIn: Int
  package let dSAE: Int
  package var storage: [Float]

  package init(dIn: Int, dSAE: Int, storage: [Float]) {
    precondition(storage.count == SAEParameters.count(dIn: dIn, dSAE: dSAE), "parameter storage size")
    self.dIn = dIn
    self.dSAE = dSAE
    self.storage = storage
  }

  package static func count(dIn: Int, dSAE: Int) -> Int { 2 * dSAE * dIn + dSAE + dIn }

  package var count: Int { storage.count }
  package var encoderOffset: Int { 0 }
  package var decoderOffset: Int { dSAE * dIn }
  package var encoderBiasOffset: Int { 2 * dSAE * dIn }
  package var decoderBiasOffset: Int { 2 * dSAE * dIn + dSAE }

  package var encoder: Matrix { Matrix(rows: dSAE, columns: dIn, storage: Array(storage[0 ..< decoderOffset])) }
  package var decoder: Matrix {
    Matrix(rows: dSAE, columns: dIn, storage: Array(storage[decoderOffset ..< encoderBiasOffset]))
  }
  package var encoderBias: [Float] { Array(storage[encoderBiasOffset ..< decoderBiasOffset]) }
  package var decoderBias: [Float] { Array(storage[decoderBiasOffset...]) }

  /// Gao et al.'s init: random directions (norm `decoderNorm`) as decoder rows, encoder = decoderᵀ,
  /// b_enc = 0, b_dec = the data mean (in the normalised space).
  package static func initial(dIn: Int, dSAE: Int, decoderNorm: Float, dataMean: [Float],
                              rng: inout SplitMix64) -> SAEParameters {
    var storage = [Float](repeating: 0, count: count(dIn: dIn, dSAE: dSAE))
    let decoderOffset = dSAE * dIn
    for j in 0 ..< dSAE {
      var row = (0 ..< dIn).map { _ in rng.nextGaussian() }
      var norm: Float = 0
      for v in row { norm += v * v }
      norm = norm.squareRoot()
      if norm == 0 {
        row[0] = 1
        norm = 1
      }
      for i in 0 ..< dIn {
        let v = row[i] / norm * decoderNorm
        storage[decoderOffset + j * dIn + i] = v
        storage[j * dIn + i] = v
      }
    }
    for i in 0 ..< dIn { storage[2 * decoderOffset + dSAE + i] = dataMean[i] }
    return SAEParameters(dIn: dIn, dSAE: dSAE, storage: storage)
  }
}

/// A manually managed buffer for per-step scratch (the encoder output alone is 64 MB at 4096 × 4096):
/// allocated once and reused, shared by pointer with worker threads.
final class Scratch<T>: @unchecked Sendable {
  private(set) var pointer: UnsafeMutablePointer<T>
  private(set) var capacity: Int
  private let zero: T

  init(_ capacity: Int, zero: T) {
    self.capacity = max(1, capacity)
    self.zero = zero
    pointer = .allocate(capacity: self.capacity)
    pointer.initialize(repeating: zero, count: self.capacity)
  }

  /// Grows to at least `count` elements; contents are not preserved when it grows.
  func reserve(_ count: Int) {
    if count <= capacity { return }
    pointer.deinitialize(count: capacity)
    pointer.deallocate()
    capacity = max(count, capacity + capacity / 2)
    pointer = .allocate(capacity: capacity)
    pointer.initialize(repeating: zero, count: capacity)
  }

  deinit {
    pointer.deinitialize(count: capacity)
    pointer.deallocate()
  }
}
