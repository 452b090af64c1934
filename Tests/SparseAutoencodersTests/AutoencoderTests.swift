import SparseAutoencoders
import TensorMath
import Testing

@Suite("Encode and decode")
struct AutoencoderTests {
  static let activations: [(String, SAEActivation)] = {
    var rng = SplitMix64(seed: 3)
    let n = 300
    return [
      ("topK", .topK(k: 12)),
      ("relu", .relu),
      ("jumpReLU", .jumpReLU(threshold: (0 ..< n).map { _ in abs(rng.nextGaussian()) * 0.2 })),
      ("gated", .gated(gateBias: (0 ..< n).map { _ in rng.nextGaussian() * 0.1 },
                       magnitudeLogScale: (0 ..< n).map { _ in rng.nextGaussian() * 0.3 })),
    ]
  }()

  @Test("Fast encoding matches the Double reference for every activation", arguments: 0 ..< 4)
  func encodeMatchesReference(_ which: Int) {
    let (name, activation) = Self.activations[which]
    let sae = TestData.autoencoder(dIn: 40, dSAE: 300, activation: activation, seed: 7)
    // 2100 rows: three encode blocks of 1024, so the block split is exercised.
    let x = TestData.gaussian(rows: 2100, columns: 40, seed: 8)
    let fast = sae.encode(x)
    let reference = SAEReference.encode(sae, x)
    #expect(fast.rows == 2100)
    var mismatchedRows = 0
    for r in 0 ..< x.rows {
      let a = fast.row(r), b = reference.row(r)
      if a.map(\.latent) != b.map(\.latent) {
        mismatchedRows += 1
        continue
      }
      for (p, q) in zip(a, b) { #expect(abs(p.value - q.value) < 1e-4, "\(name) row \(r)") }
    }
    #expect(mismatchedRows == 0, "\(name): \(mismatchedRows) rows select different latents")
    #expect(fast.nonZeroCount > 0)
  }

  @Test("Decoding sparse codes equals the dense product plus b_dec")
  func decodeMatchesDense() {
    let sae = TestData.autoencoder(dIn: 16, dSAE: 64, activation: .topK(k: 5), seed: 2)
    let x = TestData.gaussian(rows: 33, columns: 16, seed: 4)
    let codes = sae.encode(x)
    #expect(codes.rowCounts.allSatisfy { $0 <= 5 })
    let dense = codes.dense().matmul(sae.decoder)
    let decoded = sae.decode(codes)
    for r in 0 ..< 33 {
      for i in 0 ..< 16 { #expect(abs(decoded[r, i] - (dense[r, i] + sae.decoderBias[i])) < 1e-5) }
    }
    #expect(sae.reconstruct(x) == decoded)
  }

  @Test("Folding decoder norms gives unit rows and the same reconstruction for ReLU, JumpReLU and gated")
  func foldDecoderNorms() {
    for which in 1 ..< 4 {
      var sae = TestData.autoencoder(dIn: 12, dSAE: 300, activation: Self.activations[which].1, seed: 5)
      for j in 0 ..< 300 { for i in 0 ..< 12 { sae.decoder[j, i] *= Float(1 + j % 7) } }
      let folded = sae.foldingDecoderNorms()
      #expect(folded.decoderNorms.allSatisfy { abs($0 - 1) < 1e-5 })
      let x = TestData.gaussian(rows: 50, columns: 12, seed: 6)
      let a = sae.reconstruct(x), b = folded.reconstruct(x)
      #expect(TestData.maxAbsDifference(a.storage, b.storage) < 1e-4, "\(Self.activations[which].0)")
      #expect(sae.encode(x).latents == folded.encode(x).latents)
    }
  }
}
