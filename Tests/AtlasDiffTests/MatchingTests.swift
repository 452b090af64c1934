import AtlasArtifacts
import Foundation
import TensorMath
import Testing

import AtlasDiff

@Suite("Matching two atlases' features")
struct MatchingTests {
  @Test("The sparse assignment finds the best total weight that brute force finds, on 300 random graphs")
  func assignmentMatchesBruteForce() {
    var rng = SplitMix64(seed: 11)
    for trial in 0 ..< 300 {
      let left = 1 + rng.nextInt(below: 7), right = 1 + rng.nextInt(below: 7)
      var edges: [Assignment.Edge] = []
      let density = 0.2 + 0.7 * Double(rng.nextUnitFloat())
      for i in 0 ..< left { for j in 0 ..< right where Double(rng.nextUnitFloat()) < density {
        edges.append(Assignment.Edge(left: i, right: j, weight: 0.7 + 0.3 * Double(rng.nextUnitFloat())))
      } }
      let match = Assignment.maximumWeightMatching(left: left, right: right, edges: edges)
      // A matching: every right vertex used once, every used pair an edge.
      let used = match.compactMap { $0 }
      #expect(Set(used).count == used.count, "trial \(trial): a right vertex matched twice")
      var total = 0.0
      for (i, j) in match.enumerated() {
        guard let j else { continue }
        let w = edges.filter { $0.left == i && $0.right == j }.map(\.weight).max()
        #expect(w != nil, "trial \(trial): (\(i), \(j)) is not an edge")
        total += w ?? 0
      }
      let best = Assignment.bruteForceBestWeight(left: left, right: right, edges: edges)
      #expect(abs(total - best) < 1e-9, "trial \(trial): \(left)x\(right), \(edges.count) edges: ours \(total), brute force \(best)")
    }
  }

  @Test("Cosine candidates equal brute force in both directions for any tile size, bit-identical whatever thread count OpenBLAS was left at")
  func candidatesEqualBruteForce() {
    var rng = SplitMix64(seed: 17)
    let (a, b) = (Synthetic.gaussianRows(150, 24, &rng), Synthetic.gaussianRows(130, 24, &rng))
    let k = 4
    func cosine(_ i: Int, _ j: Int) -> Float {
      var s: Float = 0
      for t in 0 ..< 24 { s += a[i, t] * b[j, t] }
      return s
    }
    let reference = CandidateSearch.search(a: a, b: b, k: k, tile: 1000)
    for i in 0 ..< a.rows {
      let expected = (0 ..< b.rows).sorted { (cosine(i, $0), -$0) > (cosine(i, $1), -$1) }.prefix(k)
      #expect(reference.candidates(ofA: i).map(\.index) == Array(expected), "A row \(i)")
    }
    for j in 0 ..< b.rows {
      let expected = (0 ..< a.rows).sorted { (cosine($0, j), -$0) > (cosine($1, j), -$1) }.prefix(k)
      #expect(reference.candidates(ofB: j).map(\.index) == Array(expected), "B row \(j)")
    }
    // Bit-identical whatever thread count OpenBLAS was left at by someone else (the diff's bytes depend on it).
    let saved = BLAS.threads
    defer { BLAS.threads = saved }
    for threads in [1, 2, 1] {
      BLAS.threads = threads
      let graph = CandidateSearch.search(a: a, b: b, k: k, tile: 1000)
      #expect(graph.rowIndices == reference.rowIndices && graph.rowCosines == reference.rowCosines, "\(threads) BLAS threads")
      #expect(graph.columnIndices == reference.columnIndices && graph.columnCosines == reference.columnCosines, "\(threads) BLAS threads")
    }
    // Other tile sizes: the same candidates (sgemm may round the last bit differently for other row counts).
    for tile in [1, 7, 64] {
      let graph = CandidateSearch.search(a: a, b: b, k: k, tile: tile)
      #expect(graph.rowIndices == reference.rowIndices && graph.columnIndices == reference.columnIndices, "tile \(tile)")
      #expect(zip(graph.rowCosines, reference.rowCosines).allSatisfy { abs($0 - $1) < 1e-5 }, "tile \(tile)")
    }
  }

  @Test("Greedy is not optimal but the assignment is: a 2x2 case where the best first pick is wrong")
  func assignmentBeatsGreedy() {
    // Greedy takes (0,0) at 0.95 and is left with nothing for 1; optimal pairs (0,1) and (1,0).
    let edges = [Assignment.Edge(left: 0, right: 0, weight: 0.95), Assignment.Edge(left: 0, right: 1, weight: 0.9),
                 Assignment.Edge(left: 1, right: 0, weight: 0.9)]
    let match = Assignment.maximumWeightMatching(left: 2, right: 2, edges: edges)
    #expect(match == [1, 0])
  }

  @Test("Non-negative least squares recovers a planted positive combination and zeroes a negative one")
  func nonNegativeLeastSquares() {
    // Orthonormal v0, v1, v2; target = 0.6 v0 + 0.8 v1 (unit): h = [0.6, 0.8, 0]; v2 carries nothing.
    let gram: [Double] = [1, 0, 0, 0, 1, 0, 0, 0, 1]
    let fit = GroupFit.nonNegativeLeastSquares(gram: gram, h: [0.6, 0.8, 0])
    #expect(fit.parts == [1, 0])
    #expect(abs(fit.weights[0] - 0.8) < 1e-9 && abs(fit.weights[1] - 0.6) < 1e-9)
    #expect(abs(fit.explained - 1) < 1e-9)
    // A target pointing away from v2 (h < 0) gets weight 0 on it, not a negative one.
    let negative = GroupFit.nonNegativeLeastSquares(gram: gram, h: [0.5, 0, -0.5])
    #expect(negative.parts == [0])
  }

  @Test("diff A A: every feature matched to itself at similarity 1, maps aligned exactly, clusters agree")
  func selfDiff() throws {
    var rng = SplitMix64(seed: 3)
    let decoder = Synthetic.gaussianRows(400, 48, &rng)
    let x = (0 ..< 400).map { _ in rng.nextGaussian() }, y = (0 ..< 400).map { _ in rng.nextGaussian() }
    let levels = [DiffClusterLevel(name: "coarse", ids: (0 ..< 400).map { $0 % 7 }, labels: (0 ..< 7).map { "c\($0)" })]
    let side = Synthetic.side(decoder: decoder, encoder: Synthetic.encoder(for: decoder, noise: 0.5, &rng), name: "A",
                              facts: Synthetic.facts(400, &rng), x: x, y: y, clusters: levels)
    let report = try AtlasDiffer().diff(a: side, b: side)
    #expect(report.pairs.count == 400)
    #expect(report.pairs.allSatisfy { $0.a == $0.b && abs($0.similarity - 1) < 1e-5 && $0.status == .matched })
    #expect(report.unmatchedA.isEmpty && report.unmatchedB.isEmpty && report.splits.isEmpty && report.merges.isEmpty)
    #expect(report.summary.sharedFraction == 1 && report.summary.countsA["matched"] == 400 && report.summary.countsB["new"] == 0)
    let alignment = try #require(report.alignment)
    #expect(abs(alignment.scale - 1) < 1e-9 && abs(alignment.rotation) < 1e-9 && !alignment.reflected && alignment.rmsAfter < 1e-6)
    #expect(abs((report.summary.clusterAgreement["coarse"] ?? 0) - 1) < 1e-9)
    #expect(report.summary.runDeltas.filter { $0.group == "model" }.allSatisfy { $0.same })
    #expect(report.summary.sentence.hasPrefix("Between run A and run B, 100% of A's 400 features reappear in B"))
  }

  @Test("Planted permutation, replacements, splits and merges are recovered with ≥ 99% precision and recall",
        arguments: [(UInt64(1), 64), (UInt64(2), 96), (UInt64(3), 128)])
  func plantedRecovery(seed: UInt64, d: Int) throws {
    let planted = Synthetic.planted(n: 1000, d: d, replaced: 100, split: 40, merged: 20, noise: 0.15, seed: seed)
    let report = try AtlasDiffer().diff(a: planted.a, b: planted.b)
    func score<T: Hashable>(_ found: Set<T>, _ truth: Set<T>) -> (Double, Double) {
      let hit = Double(found.intersection(truth).count)
      return (found.isEmpty ? 1 : hit / Double(found.count), truth.isEmpty ? 1 : hit / Double(truth.count))
    }
    let checks: [(String, (Double, Double))] = [
      ("pairs", score(Set(report.pairs.map { [$0.a, $0.b] }), planted.pairs)),
      ("vanished", score(Set(report.unmatchedA.map(\.feature)), planted.vanished)),
      ("new", score(Set(report.unmatchedB.map(\.feature)), planted.new)),
      ("splits", score(Set(report.splits.map { [$0.a] + $0.b.sorted() }), Set(planted.splits.map { [$0.key] + $0.value.sorted() }))),
      ("merges", score(Set(report.merges.map { [$0.b] + $0.a.sorted() }), Set(planted.merges.map { [$0.key] + $0.value.sorted() }))),
    ]
    for (name, (precision, recall)) in checks {
      #expect(precision >= 0.99 && recall >= 0.99, "\(name): precision \(precision), recall \(recall) (seed \(seed), d \(d))")
    }
    #expect(report.summary.countsA["vanished"] == planted.vanished.count)
    #expect(report.summary.countsB["split"] == 80 && report.summary.countsA["merged"] == 40)
  }

  @Test("Asked to compare directions, different widths or hook points are refused with a message that names activation correlation")
  func differentWidthRefused() throws {
    var rng = SplitMix64(seed: 5)
    let a = Synthetic.side(decoder: Synthetic.gaussianRows(10, 16, &rng), encoder: Synthetic.gaussianRows(10, 16, &rng), name: "A")
    let b = Synthetic.side(decoder: Synthetic.gaussianRows(10, 24, &rng), encoder: Synthetic.gaussianRows(10, 24, &rng), name: "B")
    var directions = DiffConfiguration()
    directions.matchBy = .directions
    #expect(throws: DiffError.self) { try AtlasDiffer(configuration: directions).diff(a: a, b: b) }
    do { _ = try AtlasDiffer(configuration: directions).diff(a: a, b: b) } catch { #expect(String(describing: error).contains("activation correlation")) }
    var c = a
    c.identity.hookPoint = "blocks.9.hook_resid_post"
    do { _ = try AtlasDiffer(configuration: directions).diff(a: a, b: c); Issue.record("different hooks were accepted") } catch {
      #expect(String(describing: error).contains("blocks.9.hook_resid_post") && String(describing: error).contains("--match-by activations"))
    }
    // Automatic: different hooks switch to activations, which need codes on shared tokens.
    #expect { _ = try AtlasDiffer().diff(a: a, b: c) } throws: { "\($0)".contains("shared tokens") }
  }

  @Test("A pair whose density moved more than twofold or whose top tokens differ is 'changed', with the reasons")
  func changedPairs() throws {
    var rng = SplitMix64(seed: 8)
    let decoder = Synthetic.gaussianRows(20, 32, &rng)
    let facts = Synthetic.facts(20, &rng)
    var other = facts
    other[3].density = facts[3].density * 3
    other[5].topTokens = ["x", "y", "z", "q"]
    other[7].label = "something else"          // pattern kept: not a label change
    other[9].label = "something else"
    other[9].labelPattern = ["other"]
    let a = Synthetic.side(decoder: decoder, encoder: decoder, name: "A", facts: facts)
    let b = Synthetic.side(decoder: decoder, encoder: decoder, name: "B", facts: other)
    let report = try AtlasDiffer().diff(a: a, b: b)
    let byA = Dictionary(uniqueKeysWithValues: report.pairs.map { ($0.a, $0) })
    #expect(byA[3]?.changes == ["density"] && byA[5]?.changes == ["topTokens"] && byA[9]?.changes == ["label"])
    #expect(byA[7]?.status == .matched && byA[3]?.status == .changed)
    #expect(report.summary.countsA["changed"] == 3)
  }
}
