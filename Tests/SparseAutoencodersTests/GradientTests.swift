import SparseAutoencoders
import TensorMath
import Testing

/// The hand-written backward pass against central finite differences of the Double reference objective.
@Suite("Training gradients")
struct GradientTests {
  static let dIn = 12, latents = 24, rows = 6

  /// Checks every parameter's gradient; returns the worst error relative to the largest gradient.
  func check(_ options: SAEPassOptions, dead: [Int32], seed: UInt64, decoderNorm: Float = 1) -> Double {
    var rng = SplitMix64(seed: seed)
    let mean = (0 ..< Self.dIn).map { _ in rng.nextGaussian() * 0.2 }
    var parameters = SAEParameters.initial(dIn: Self.dIn, dSAE: Self.latents, decoderNorm: decoderNorm, dataMean: mean, rng: &rng)
    // Move away from the symmetric init so the encoder, decoder and biases all differ.
    for i in 0 ..< parameters.count { parameters.storage[i] += rng.nextGaussian() * 0.3 }
    let batch = TestData.gaussian(rows: Self.rows, columns: Self.dIn, seed: seed &+ 1)
    let (_, gradient) = SAEPass.lossAndGradient(parameters: parameters, batch: batch, deadLatents: dead, options: options)
    let residual = SAEReference.residuals(parameters: parameters, batch: batch, options: options)
    var worst = 0.0
    let largest = gradient.reduce(0) { max($0, abs(Double($1))) }
    for i in 0 ..< parameters.count {
      var plus = parameters, minus = parameters
      plus.storage[i] += 1e-4
      minus.storage[i] -= 1e-4
      let delta = Double(plus.storage[i]) - Double(minus.storage[i])
      let numeric = (SAEReference.loss(parameters: plus, batch: batch, deadLatents: dead, options: options, auxResidual: residual)
        - SAEReference.loss(parameters: minus, batch: batch, deadLatents: dead, options: options, auxResidual: residual)) / delta
      let err = abs(numeric - Double(gradient[i])) / max(largest, 1e-6)
      worst = max(worst, err)
    }
    return worst
  }

  @Test("TopK with AuxK: every gradient matches finite differences")
  func topK() {
    let options = SAEPassOptions(architecture: .topK(k: 3), auxK: 4, auxCoefficient: 0.5)
    #expect(check(options, dead: [1, 4, 7, 10, 13, 16, 19], seed: 1) < 1e-4)
    #expect(check(SAEPassOptions(architecture: .topK(k: 5)), dead: [], seed: 2) < 1e-4)
  }

  @Test("BatchTopK with AuxK: every gradient matches finite differences")
  func batchTopK() {
    let options = SAEPassOptions(architecture: .batchTopK(k: 3), auxK: 3, auxCoefficient: 0.25)
    #expect(check(options, dead: [0, 2, 3, 5, 8, 11], seed: 3) < 1e-4)
  }

  @Test("ReLU with the decoder-norm-weighted L1 penalty: every gradient matches finite differences, row by row and dense")
  func relu() {
    var options = SAEPassOptions(architecture: .relu(l1Coefficient: 2), l1Coefficient: 0.7)
    options.denseAbove = 2  // never dense
    #expect(check(options, dead: [], seed: 4, decoderNorm: 0.5) < 1e-4)
    options.denseAbove = 0  // always dense
    #expect(check(options, dead: [], seed: 4, decoderNorm: 0.5) < 1e-4)
  }

  @Test("BatchTopK without AuxK on the dense path matches finite differences")
  func batchTopKDense() {
    var options = SAEPassOptions(architecture: .batchTopK(k: 3))
    options.denseAbove = 0
    #expect(check(options, dead: [], seed: 6) < 1e-4)
  }

  @Test("Dense and row-by-row passes agree on loss, gradient and firing counts")
  func denseMatchesSparse() {
    var rng = SplitMix64(seed: 21)
    let parameters = SAEParameters.initial(dIn: 40, dSAE: 300, decoderNorm: 0.1, dataMean: Array(repeating: 0.1, count: 40), rng: &rng)
    let batch = TestData.gaussian(rows: 1100, columns: 40, seed: 22)  // more than one encoder chunk
    var options = SAEPassOptions(architecture: .relu(l1Coefficient: 1), l1Coefficient: 0.5)
    options.denseAbove = 2
    let (sparse, g1) = SAEPass.lossAndGradient(parameters: parameters, batch: batch, deadLatents: [], options: options)
    options.denseAbove = 0
    let (dense, g2) = SAEPass.lossAndGradient(parameters: parameters, batch: batch, deadLatents: [], options: options)
    #expect(abs(sparse.loss - dense.loss) < 1e-5 * sparse.loss)
    #expect(sparse.meanL0 == dense.meanL0)
    #expect(sparse.meanL0 > 100)
    let largest = g1.reduce(0) { max($0, abs($1)) }
    #expect(TestData.maxAbsDifference(g1, g2) < 1e-4 * largest)
  }

  @Test("The pass reports the reference loss")
  func lossValue() {
    var rng = SplitMix64(seed: 8)
    let parameters = SAEParameters.initial(dIn: 6, dSAE: 20, decoderNorm: 1, dataMean: Array(repeating: 0, count: 6), rng: &rng)
    let batch = TestData.gaussian(rows: 7, columns: 6, seed: 9)
    let options = SAEPassOptions(architecture: .topK(k: 4), auxK: 3, auxCoefficient: 0.1)
    let (result, _) = SAEPass.lossAndGradient(parameters: parameters, batch: batch, deadLatents: [2, 3, 5, 7], options: options)
    let expected = SAEReference.loss(parameters: parameters, batch: batch, deadLatents: [2, 3, 5, 7], options: options)
    #expect(abs(result.loss - expected) < 1e-4 * max(1, expected))
  }
}
