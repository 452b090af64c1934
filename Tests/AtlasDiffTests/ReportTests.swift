import AtlasArtifacts
import Foundation
import TensorMath
import Testing

import AtlasDiff

@Suite("Diff report: alignment, substitution, JSON")
struct ReportTests {
  @Test("Procrustes recovers a planted scale, rotation, reflection and translation")
  func procrustesRecoversTransform() throws {
    var rng = SplitMix64(seed: 2)
    let b = (0 ..< 50).map { _ in (Double(rng.nextGaussian()), Double(rng.nextGaussian())) }
    for reflected in [false, true] {
      let truth = DiffAlignmentRecord(scale: 2.5, rotation: 0.7, reflected: reflected, translation: [3, -1], pairs: 50, rmsBefore: 0,
                                      rmsAfter: 0, extentA: 0)
      let a = b.map { truth.apply(x: $0.0, y: $0.1) }
      let fit = try #require(Procrustes.fit(a: a.map { ($0.x, $0.y) }, b: b))
      #expect(fit.reflected == reflected)
      #expect(abs(fit.scale - 2.5) < 1e-9 && abs(fit.rotation - 0.7) < 1e-9)
      #expect(abs(fit.translation[0] - 3) < 1e-9 && abs(fit.translation[1] + 1) < 1e-9 && fit.rmsAfter < 1e-6 * fit.extentA)
    }
  }

  /// Dense reference: FVU of x against Σ codes · decoder + bias, with codes given densely.
  static func fvu(_ x: Matrix, _ codes: Matrix, _ decoder: Matrix, _ bias: [Float]) -> Double {
    let r = codes.matmul(decoder)
    var mean = [Double](repeating: 0, count: x.columns)
    for t in 0 ..< x.rows { for c in 0 ..< x.columns { mean[c] += Double(x[t, c]) / Double(x.rows) } }
    var num = 0.0, den = 0.0
    for t in 0 ..< x.rows { for c in 0 ..< x.columns {
      let e = Double(x[t, c]) - Double(r[t, c] + bias[c])
      num += e * e
      den += (Double(x[t, c]) - mean[c]) * (Double(x[t, c]) - mean[c])
    } }
    return num / den
  }

  static func sparse(_ dense: Matrix) -> TokenCodes {
    var rowStart = [0], latents: [Int32] = [], values: [Float] = []
    for t in 0 ..< dense.rows {
      for j in 0 ..< dense.columns where dense[t, j] != 0 { latents.append(Int32(j)); values.append(dense[t, j]) }
      rowStart.append(latents.count)
    }
    return TokenCodes(latentCount: dense.columns, rowStart: rowStart, latents: latents, values: values)
  }

  @Test("Substitution ΔFVU equals a full recomputation with B's latent in place of A's; a copy costs nothing")
  func substitutionMatchesRecomputation() throws {
    var rng = SplitMix64(seed: 21)
    let (tokens, d, n) = (200, 16, 12)
    let decoderA = Matrix(rows: n, columns: d, storage: (0 ..< n * d).map { _ in rng.nextGaussian() })
    var decoderB = decoderA
    decoderB.setRow(4, (0 ..< d).map { _ in rng.nextGaussian() })    // B's 4 points elsewhere
    let bias = (0 ..< d).map { _ in rng.nextGaussian() * 0.1 }
    // Sparse non-negative codes; B's codes equal A's except on latent 4 and 7.
    var codesA = Matrix(rows: tokens, columns: n)
    for t in 0 ..< tokens { for j in 0 ..< n where rng.nextUnitFloat() < 0.3 { codesA[t, j] = rng.nextUnitFloat() * 2 } }
    var codesB = codesA
    for t in 0 ..< tokens { codesB[t, 7] = rng.nextUnitFloat() < 0.5 ? rng.nextUnitFloat() : 0 }
    let noise = Matrix(rows: tokens, columns: d, storage: (0 ..< tokens * d).map { _ in rng.nextGaussian() * 0.3 })
    var x = codesA.matmul(decoderA)
    for t in 0 ..< tokens { for c in 0 ..< d { x[t, c] += bias[c] + noise[t, c] } }
    var reconstruction = codesA.matmul(decoderA)
    for t in 0 ..< tokens { for c in 0 ..< d { reconstruction[t, c] += bias[c] } }
    let input = SubstitutionInput(activations: x, reconstructionA: reconstruction, codesA: Self.sparse(codesA), codesB: Self.sparse(codesB))
    let pairs = [(a: 2, b: 2), (a: 4, b: 4), (a: 7, b: 7), (a: 1, b: 9)]
    let result = Substitution.evaluate(pairs: pairs, decoderA: decoderA, decoderB: decoderB, input: input)
    let baseline = Self.fvu(x, codesA, decoderA, bias)
    #expect(abs(result.baselineFVU - baseline) < 1e-6)
    for (p, pair) in pairs.enumerated() {
      // Substituted reconstruction: A's codes with column a replaced by B's column b, through a decoder whose row a is B's row b.
      var codes = codesA
      for t in 0 ..< tokens { codes[t, pair.a] = codesB[t, pair.b] }
      var decoder = decoderA
      decoder.setRow(pair.a, decoderB.row(pair.b))
      let expected = Self.fvu(x, codes, decoder, bias) - baseline
      #expect(abs(result.deltas[p] - expected) < 1e-5 * max(1, abs(expected)), "pair \(pair): \(result.deltas[p]) vs \(expected)")
      var ablated = codesA
      for t in 0 ..< tokens { ablated[t, pair.a] = 0 }
      let ablation = Self.fvu(x, ablated, decoderA, bias) - baseline
      #expect(abs(result.ablations[p] - ablation) < 1e-5 * max(1, abs(ablation)))
    }
    #expect(abs(result.deltas[0]) < 1e-9)                    // same latent, same direction: nothing changes
    #expect(result.deltas[1] > 0.5 * result.ablations[1])    // a different direction acts differently
  }

  @Test("diff.json round-trips through canonical JSON, byte-identical on a second encoding")
  func jsonRoundTrip() throws {
    let planted = Synthetic.planted(n: 200, d: 48, replaced: 20, split: 8, merged: 4, noise: 0.1, seed: 5)
    let report = try AtlasDiffer().diff(a: planted.a, b: planted.b)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("diff-json-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("diff.json")
    try report.write(to: url)
    let back = try DiffRecord.read(from: url)
    #expect(back == report)
    let first = try Data(contentsOf: url)
    try back.write(to: url)
    #expect(try Data(contentsOf: url) == first)
    let text = String(decoding: first, as: UTF8.self)
    #expect(text.contains("\"kind\" : \"diff\"") && text.contains("\"formatVersion\" : 1"))
    // The same inputs give the same bytes.
    let again = try AtlasDiffer().diff(a: planted.a, b: planted.b)
    let secondBytes = try CanonicalJSON.encode(again)
    #expect(secondBytes == first, "\(String(decoding: secondBytes, as: UTF8.self).prefix(3000)) ||| \(String(decoding: first, as: UTF8.self).prefix(3000))")
  }
}
