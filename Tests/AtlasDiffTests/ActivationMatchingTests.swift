import AtlasArtifacts
import AtlasDiff
import TensorMath
import Testing

/// Matching by what features do: the correlation of their activations on shared tokens, for SAEs whose
/// directions cannot be compared (another hook point, layer or width).
@Suite("Diff by activation correlation")
struct ActivationMatchingTests {
  /// Sparse codes: every token fires `perToken` distinct latents of `latents`, drawn with weights ∝ 1/(rank+1)
  /// so densities range from common to rare, with activations in [0.5, 3).
  static func randomCodes(tokens: Int, latents: Int, perToken: Int, _ rng: inout SplitMix64) -> [[(Int, Float)]] {
    let weights = (0 ..< latents).map { 1 / Double($0 + 1).squareRoot() }
    let total = weights.reduce(0, +)
    return (0 ..< tokens).map { _ in
      var chosen: [Int: Float] = [:]
      while chosen.count < perToken {
        var u = Double(rng.nextUnitFloat()) * total
        var j = 0
        while j < latents - 1 && u >= weights[j] { u -= weights[j]; j += 1 }
        chosen[j] = 0.5 + 2.5 * rng.nextUnitFloat()
      }
      return chosen.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
  }

  static func tokenCodes(_ rows: [[(Int, Float)]], latents: Int) -> TokenCodes {
    var rowStart = [0], ids: [Int32] = [], values: [Float] = []
    for row in rows {
      for (j, v) in row.sorted(by: { $0.0 < $1.0 }) { ids.append(Int32(j)); values.append(v) }
      rowStart.append(ids.count)
    }
    return TokenCodes(latentCount: latents, rowStart: rowStart, latents: ids, values: values)
  }

  @Test("Correlation candidates are the brute-force Pearson r of the dense columns, best first, rare latents left out")
  func candidatesEqualBruteForce() {
    var rng = SplitMix64(seed: 21)
    let (tokens, nA, nB, k, floor) = (600, 40, 30, 5, 4)
    let rowsA = Self.randomCodes(tokens: tokens, latents: nA, perToken: 4, &rng)
    // B: latents 0 ..< 10 copy A's latents 0, 3, …, 27 (rescaled, noisy); latents 10 ..< 30 are independent.
    var rowsB = Self.randomCodes(tokens: tokens, latents: nB - 10, perToken: 3, &rng).map { $0.map { ($0.0 + 10, $0.1) } }
    for t in 0 ..< tokens {
      var row = Dictionary(uniqueKeysWithValues: rowsB[t].map { ($0.0, $0.1) })
      for (i, v) in rowsA[t] where i % 3 == 0 && i / 3 < 10 { row[i / 3] = v * 1.7 + 0.1 * rng.nextUnitFloat() }
      rowsB[t] = row.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
    let (a, b) = (Self.tokenCodes(rowsA, latents: nA), Self.tokenCodes(rowsB, latents: nB))
    let graph = ActivationCorrelation.search(a: a, b: b, k: k, minimumFirings: floor)
    func firings(_ c: TokenCodes, _ l: Int) -> Int { c.latents.filter { Int($0) == l }.count }
    var checked = 0
    for i in 0 ..< nA {
      var expected: [(index: Int, r: Double)] = []
      if firings(a, i) >= floor {
        for j in 0 ..< nB where firings(b, j) >= floor {
          let r = ActivationCorrelation.reference(a: a, i, b: b, j)
          if r > 0 { expected.append((j, r)) }
        }
      }
      expected.sort { ($0.r, -$0.index) > ($1.r, -$1.index) }
      let found = graph.candidates(ofA: i)
      #expect(found.count == min(k, expected.count), "A latent \(i): \(found.count) candidates, expected \(min(k, expected.count))")
      for (f, e) in zip(found, expected) {
        #expect(f.index == e.index && abs(Double(f.cosine) - e.r) < 1e-4, "A latent \(i): found (\(f.index), \(f.cosine)), expected (\(e.index), \(e.r))")
        checked += 1
      }
    }
    #expect(checked > 100)
    // The copies are found at r near 1, from both sides.
    for j in 0 ..< 10 {
      #expect(graph.candidates(ofB: j).first?.index == 3 * j && Double(graph.candidates(ofB: j).first?.cosine ?? 0) > 0.95)
    }
  }

  @Test("Planted at another hook and width: B's latents are A's permuted, rescaled and noisy; recovered by activations with ≥ 99% precision and recall")
  func plantedAcrossHooks() throws {
    var rng = SplitMix64(seed: 8)
    let (tokens, n, replaced) = (6000, 300, 30)
    let rowsA = Self.randomCodes(tokens: tokens, latents: n, perToken: 8, &rng)
    var permutation = Array(0 ..< n)
    for i in stride(from: n - 1, to: 0, by: -1) { permutation.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
    let replacedSet = Set(stride(from: 0, to: n, by: n / replaced))   // every 10th A latent
    let scale = (0 ..< n).map { _ in 0.5 + 2 * rng.nextUnitFloat() }
    var rowsB: [[(Int, Float)]] = []
    for t in 0 ..< tokens {
      var row: [(Int, Float)] = []
      for (i, v) in rowsA[t] where !replacedSet.contains(i) {
        row.append((permutation[i], v * scale[i] * (1 + 0.1 * (rng.nextUnitFloat() - 0.5))))
      }
      rowsB.append(row)
    }
    // Replaced latents fire on tokens of their own, unrelated to A.
    for i in replacedSet {
      for _ in 0 ..< 40 { rowsB[Int(rng.next() % UInt64(tokens))].append((permutation[i], 1 + rng.nextUnitFloat())) }
    }
    let shared = AtlasDiffer.SharedCodes(a: Self.tokenCodes(rowsA, latents: n), b: Self.tokenCodes(rowsB, latents: n), windows: 50,
                                         sourceA: "A's capture", sourceB: "a run of B's model")
    var sideA = Synthetic.side(decoder: Synthetic.gaussianRows(n, 16, &rng), encoder: Synthetic.gaussianRows(n, 16, &rng), name: "A")
    var sideB = Synthetic.side(decoder: Synthetic.gaussianRows(n, 24, &rng), encoder: Synthetic.gaussianRows(n, 24, &rng), name: "B")
    sideA.identity.hookPoint = "blocks.3.hook_resid_post"
    sideB.identity.hookPoint = "blocks.9.hook_resid_post"

    let report = try AtlasDiffer().diff(a: sideA, b: sideB, shared: shared)
    let planted = Set((0 ..< n).filter { !replacedSet.contains($0) }.map { [$0, permutation[$0]] })
    let found = Set(report.pairs.map { [$0.a, $0.b] })
    let precision = Double(found.intersection(planted).count) / Double(max(found.count, 1))
    let recall = Double(found.intersection(planted).count) / Double(planted.count)
    #expect(precision >= 0.99 && recall >= 0.99, "precision \(precision), recall \(recall)")
    #expect(report.pairs.allSatisfy { $0.encoderSimilarity == nil && $0.similarity >= 0.7 && $0.substitutionDeltaFVU == nil })
    #expect(Set(report.unmatchedA.map(\.feature)) == replacedSet)
    let basis = try #require(report.summary.basis)
    #expect(basis.byActivations && basis.tokens == tokens && basis.matchableA == n && basis.reason.contains("blocks.9.hook_resid_post"))
    #expect(report.summary.sentence.contains("activations correlate on 6,000 shared tokens"))
    #expect(report.splits.isEmpty && report.merges.isEmpty)

    // The same SAEs asked to compare directions are refused, naming the way that works.
    var directions = DiffConfiguration()
    directions.matchBy = .directions
    #expect { _ = try AtlasDiffer(configuration: directions).diff(a: sideA, b: sideB, shared: shared) } throws: { error in
      "\(error)".contains("--match-by activations")
    }
  }
}
