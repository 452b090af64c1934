import MapLayout
import TensorMath
import Testing

@Suite("Map neighbours and map coherence")
struct MapGraphTests {
  static func points(_ n: Int, seed: UInt64) -> [Float] {
    var rng = SplitMix64(seed: seed)
    // Three blobs of different spread plus a line: uneven density tests the grid's ring search.
    return (0 ..< n).flatMap { i -> [Float] in
      switch i % 4 {
      case 0: [rng.nextGaussian() * 0.1, rng.nextGaussian() * 0.1]
      case 1: [5 + rng.nextGaussian() * 2, rng.nextGaussian()]
      case 2: [-3 + rng.nextUnitFloat() * 10, 7]
      default: [rng.nextUnitFloat() * 20 - 10, rng.nextUnitFloat() * 20 - 10]
      }
    }
  }

  @Test("The grid search finds exactly the brute-force nearest map points (ties to the lower index)")
  func nearestMatchesBruteForce() {
    for (n, k) in [(1, 3), (2, 3), (5, 10), (300, 10), (1000, 15)] {
      let p = Self.points(n, seed: UInt64(n))
      let got = MapGraph.nearest(positions: p, k: k)
      for i in 0 ..< n {
        var pairs: [(d: Float, j: Int)] = []
        for j in 0 ..< n where j != i {
          let dx: Float = p[2 * j] - p[2 * i]
          let dy: Float = p[2 * j + 1] - p[2 * i + 1]
          pairs.append((dx * dx + dy * dy, j))
        }
        pairs.sort { $0.d < $1.d || ($0.d == $1.d && $0.j < $1.j) }
        let want: [Int32] = pairs.prefix(k).map { Int32($0.j) }
        let row = Array(got[i * k ..< i * k + k])
        #expect(Array(row.prefix(want.count)) == want, "n \(n) point \(i)")
        #expect(row.dropFirst(want.count).allSatisfy { $0 == -1 })
      }
    }
  }

  @Test("Coherence is 1 for clusters that are regions and about the chance level for random colours")
  func coherence() {
    let n = 2000
    var rng = SplitMix64(seed: 4)
    var p: [Float] = [], regions: [Int] = [], random: [Int] = []
    for i in 0 ..< n {
      let blob = i % 4
      let x: Float = Float(blob % 2) * 100 + rng.nextUnitFloat()
      let y: Float = Float(blob / 2) * 100 + rng.nextUnitFloat()
      p.append(x)
      p.append(y)
      regions.append(blob)
      random.append(rng.nextInt(below: 4))
    }
    #expect(MapGraph.coherence(positions: p, assignments: regions) == 1)
    let chance = MapGraph.coherence(positions: p, assignments: random)
    #expect(chance > 0.18 && chance < 0.32)
    // Unassigned points (-1) are left out of the average (and count as another cluster for their neighbours).
    #expect(MapGraph.coherence(positions: p, assignments: regions.enumerated().map { $0.offset < 10 ? -1 : $0.element }) > 0.99)
  }

  @Test("The map graph is symmetric and adds to another graph edge by edge")
  func graphs() throws {
    let p = Self.points(200, seed: 9)
    let g = MapGraph.graph(positions: p, k: 5)
    var weight: [Int: Float] = [:]
    for i in 0 ..< g.count {
      for e in g.offsets[i] ..< g.offsets[i + 1] { weight[i * 1000 + Int(g.columns[e])] = g.weights[e] }
    }
    for (key, w) in weight { #expect(weight[(key % 1000) * 1000 + key / 1000] == w) }
    #expect(weight.values.allSatisfy { $0 == 1 || $0 == 2 })
    let doubled = MapGraph.combined(g, g, weight: 1)
    #expect(doubled.columns == g.columns && doubled.weights == g.weights.map { 2 * $0 })
  }
}
