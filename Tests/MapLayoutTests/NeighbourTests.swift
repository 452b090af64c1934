import MapLayout
import TensorMath
import Testing

@Suite("Nearest neighbours")
struct NeighbourTests {
  /// Same neighbour sets, allowing a swap only where two candidates are (numerically) equally far.
  func expectSameNeighbours(_ a: KNNGraph, _ b: KNNGraph) {
    #expect(a.k == b.k && a.count == b.count)
    var mismatches = 0
    for i in 0 ..< a.count {
      #expect(a.indices[i * a.k] == Int32(i))
      for c in 0 ..< a.k {
        if a.indices[i * a.k + c] != b.indices[i * b.k + c] && abs(a.distances[i * a.k + c] - b.distances[i * b.k + c]) > 1e-5 {
          mismatches += 1
        }
        #expect(abs(a.distances[i * a.k + c] - b.distances[i * b.k + c]) < 1e-5)
      }
    }
    #expect(mismatches == 0)
  }

  @Test("Blocked exact search matches brute force, for tile counts odd, even and one", arguments: [16, 37, 64, 1000])
  func exactMatchesBruteForce(tile: Int) throws {
    let data = PlantedGroups(n: 301, d: 20, groups: 6, spread: 1.2, seed: 7)
    let unit = try NearestNeighbours.unitRows(data.vectors)
    let oracle = NearestNeighbours.bruteForce(unit, k: 12)
    expectSameNeighbours(NearestNeighbours.exact(unit, k: 12, tile: tile), oracle)
  }

  @Test("Distances are cosine distances, ascending per row, the point itself first at 0")
  func distancesAreCosine() throws {
    let data = PlantedGroups(n: 120, d: 10, groups: 3, spread: 1, seed: 3)
    let unit = try NearestNeighbours.unitRows(data.vectors)
    let knn = NearestNeighbours.exact(unit, k: 8)
    for i in 0 ..< knn.count {
      #expect(knn.distances[i * 8] == 0)
      for c in 1 ..< 8 {
        let j = Int(knn.indices[i * 8 + c])
        var dot: Float = 0
        for t in 0 ..< 10 { dot += unit[i, t] * unit[j, t] }
        #expect(abs(knn.distances[i * 8 + c] - (1 - dot)) < 1e-5)
        #expect(knn.distances[i * 8 + c] >= knn.distances[i * 8 + c - 1])
      }
    }
  }

  @Test("NN-descent finds at least 90% of the exact neighbours")
  func nnDescentRecall() throws {
    let data = PlantedGroups(n: 4000, d: 48, groups: 40, spread: 1.0, seed: 11)
    let unit = try NearestNeighbours.unitRows(data.vectors)
    let exact = NearestNeighbours.exact(unit, k: 15)
    var configuration = NNDescentConfiguration()
    configuration.leafSize = 64  // small leaves, so NN-descent (not the forest) has to do the work
    configuration.trees = 2
    let (approximate, report) = NearestNeighbours.nnDescent(unit, k: 15, configuration: configuration)
    var hits = 0
    for i in 0 ..< exact.count {
      hits += Set(exact.neighbours(of: i).dropFirst()).intersection(approximate.neighbours(of: i).dropFirst()).count
    }
    let recall = Double(hits) / Double(exact.count * 14)
    #expect(recall >= 0.9, "recall \(recall) after \(report.iterations) rounds")
    #expect(report.iterations >= 1)
  }

  @Test("NN-descent is deterministic for a seed")
  func nnDescentDeterministic() throws {
    let data = PlantedGroups(n: 1500, d: 24, groups: 12, spread: 1.0, seed: 5)
    let unit = try NearestNeighbours.unitRows(data.vectors)
    var configuration = NNDescentConfiguration()
    configuration.leafSize = 48
    let first = NearestNeighbours.nnDescent(unit, k: 10, configuration: configuration).graph
    let second = NearestNeighbours.nnDescent(unit, k: 10, configuration: configuration).graph
    #expect(first == second)
  }

  @Test("Rows with NaN are rejected with the row number")
  func nonFinite() {
    var m = Matrix(rows: 3, columns: 2, storage: [1, 0, 0, 1, 1, 1])
    m[2, 1] = .nan
    #expect(throws: LayoutError.nonFiniteInput(row: 2)) { try NearestNeighbours.unitRows(m) }
  }
}
