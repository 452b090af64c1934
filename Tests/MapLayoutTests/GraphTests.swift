import Foundation
import MapLayout
import TensorMath
import Testing

@Suite("Fuzzy simplicial set and spectral initialisation")
struct GraphTests {
  @Test("Smooth distances hit log2(k) for every point, and the graph is a symmetric fuzzy union")
  func fuzzySet() throws {
    let data = PlantedGroups(n: 400, d: 16, groups: 5, spread: 1, seed: 2)
    let knn = NearestNeighbours.exact(try NearestNeighbours.unitRows(data.vectors), k: 15)
    let set = FuzzySimplicialSet.build(from: knn)
    for i in 0 ..< knn.count {
      var sum = 0.0
      for c in 1 ..< 15 {
        sum += Foundation.exp(-max(0, Double(knn.distances[i * 15 + c] - set.rhos[i])) / Double(set.sigmas[i]))
      }
      #expect(abs(sum - Foundation.log2(15.0)) < 1e-3)
      #expect(set.rhos[i] == knn.distances[i * 15 + 1])
    }
    let g = set.graph
    var weight = [Int: Float]()
    for i in 0 ..< g.count {
      for e in g.offsets[i] ..< g.offsets[i + 1] {
        #expect(Int(g.columns[e]) != i)
        #expect(g.weights[e] > 0 && g.weights[e] <= 1)
        weight[i * g.count + Int(g.columns[e])] = g.weights[e]
      }
    }
    for (key, w) in weight { #expect(weight[(key % g.count) * g.count + key / g.count] == w) }
    // Each point's nearest neighbour has strength 1 from its side, so the union is 1 as well.
    for i in 0 ..< g.count {
      let j = Int(knn.indices[i * 15 + 1])
      #expect(abs((weight[i * g.count + j] ?? 0) - 1) < 1e-6)
    }
  }

  @Test("Fuzzy union combines the two directions as a + b - ab")
  func fuzzyUnion() {
    let g = FuzzySimplicialSet.fuzzyUnion(([0, 1, 2], [1, 0, 0], [0.5, 0.25, 0.8]), count: 3)
    #expect(g.offsets == [0, 2, 3, 4])
    #expect(g.columns == [1, 2, 0, 0])
    #expect(g.weights == [0.625, 0.8, 0.625, 0.8])
  }

  @Test("a and b of the similarity curve match umap-learn's find_ab_params")
  func curveFit() throws {
    for golden in try Fixtures.load().curves {
      let curve = SimilarityCurve.fit(spread: golden.spread, minDistance: golden.minDistance)
      #expect(abs(Double(curve.a) - golden.a) / golden.a < 2e-3, "a \(curve.a) vs \(golden.a)")
      #expect(abs(Double(curve.b) - golden.b) / golden.b < 2e-3, "b \(curve.b) vs \(golden.b)")
    }
  }

  @Test("Two disconnected blobs are initialised apart")
  func disconnectedBlobs() throws {
    // Two groups in orthogonal subspaces: no kNN edge can cross, so the graph has two components.
    var m = Matrix(rows: 200, columns: 8)
    var rng = SplitMix64(seed: 9)
    for i in 0 ..< 200 {
      let offset = i < 100 ? 0 : 4
      for c in 0 ..< 4 { m[i, offset + c] = 1 + 0.3 * rng.nextGaussian() }
    }
    let unit = try NearestNeighbours.unitRows(m)
    let set = FuzzySimplicialSet.build(from: NearestNeighbours.exact(unit, k: 10))
    #expect(SpectralInit.connectedComponents(set.graph).count == 2)
    let (positions, report) = SpectralInit.layout(set.graph, unitRows: unit, seed: 1)
    #expect(report.components == 2)
    func box(_ range: Range<Int>) -> (Float, Float, Float, Float) {
      let xs = range.map { positions[2 * $0] }, ys = range.map { positions[2 * $0 + 1] }
      return (xs.min()!, xs.max()!, ys.min()!, ys.max()!)
    }
    let a = box(0 ..< 100), b = box(100 ..< 200)
    let overlapX = a.0 <= b.1 && b.0 <= a.1, overlapY = a.2 <= b.3 && b.2 <= a.3
    #expect(!(overlapX && overlapY), "bounding boxes \(a) and \(b) overlap")
  }

  @Test("Lanczos (large graphs) and LAPACK (small graphs) give the same spectral embedding")
  func lanczosMatchesDense() throws {
    // A ring of 4 dense groups, chained: eigenvectors 2 and 3 are well separated from the rest.
    let data = PlantedGroups(n: 2000, d: 12, groups: 4, spread: 1.4, seed: 21)
    let unit = try NearestNeighbours.unitRows(data.vectors)
    let set = FuzzySimplicialSet.build(from: NearestNeighbours.exact(unit, k: 15))
    try #require(SpectralInit.connectedComponents(set.graph).count == 1)
    let lanczos = try #require(SpectralInit.embedding(set.graph, method: .lanczos, seed: 3))
    let dense = try #require(SpectralInit.embedding(set.graph, method: .dense, seed: 3))
    // The two embeddings must span the same plane: project each Lanczos axis onto the dense plane.
    for axis in 0 ..< 2 {
      var inPlane: Float = 0
      for other in 0 ..< 2 {
        var dot: Float = 0
        for i in 0 ..< 2000 { dot += lanczos[2 * i + axis] * dense[2 * i + other] }
        inPlane += dot * dot
      }
      #expect(inPlane > 0.99, "axis \(axis): \(inPlane) of its norm lies in the dense plane")
    }
  }
}
