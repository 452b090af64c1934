import Foundation
import MapLayout
import TensorMath

/// Planted structure built in code: `groups` random centres in `d` dimensions, points scattered around them.
struct PlantedGroups {
  var vectors: Matrix  // [n, d]
  var labels: [Int]    // [n], the group of each point

  /// `spread` is the noise norm relative to the unit centre norm.
  init(n: Int, d: Int, groups: Int, spread: Float, seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    func unit() -> [Float] {
      let v = (0 ..< d).map { _ in rng.nextGaussian() }
      let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
      return v.map { $0 / norm }
    }
    let centres = (0 ..< groups).map { _ in unit() }
    var m = Matrix(rows: n, columns: d)
    var labels = [Int](repeating: 0, count: n)
    for i in 0 ..< n {
      let g = i % groups
      labels[i] = g
      let noise = unit()
      for c in 0 ..< d { m[i, c] = centres[g][c] + spread * noise[c] }
    }
    vectors = m
    self.labels = labels
  }
}

/// Golden values from scikit-learn / umap-learn (see Fixtures/README.md).
struct Fixtures: Decodable {
  struct Array2D: Decodable {
    var rows: Int
    var columns: Int
    var values: [Float]
    var matrix: Matrix { Matrix(rows: rows, columns: columns, storage: values) }
  }
  struct Trust: Decodable {
    var k: Int
    var metric: String
    var value: Double
  }
  struct Agreement: Decodable {
    var a: [Int]
    var b: [Int]
    var nmi: Double
    var ami: Double
    var ari: Double
  }
  struct Curve: Decodable {
    var spread: Float
    var minDistance: Float
    var a: Double
    var b: Double
  }
  var generatedBy: String
  var high: Array2D
  var low: Array2D
  var trustworthiness: [Trust]
  var agreement: [Agreement]
  var curves: [Curve]

  static func load() throws -> Fixtures {
    guard let url = Bundle.module.url(forResource: "fixtures", withExtension: "json", subdirectory: "Fixtures") else {
      throw CocoaError(.fileNoSuchFile)
    }
    return try JSONDecoder().decode(Fixtures.self, from: Data(contentsOf: url))
  }
}

/// Share of each point's `k` nearest map neighbours that carry its own label.
func mapNeighbourPurity(_ positions: [Float], labels: [Int], k: Int) -> Double {
  let n = labels.count
  let neighbours = Quality.euclideanNeighbours(Matrix(rows: n, columns: 2, storage: positions), k: k)
  var same = 0
  for i in 0 ..< n { for t in 0 ..< k where labels[Int(neighbours[i * k + t])] == labels[i] { same += 1 } }
  return Double(same) / Double(n * k)
}

/// Mean silhouette of the 2-D points under `labels` (euclidean), the O(n²) definition.
func silhouette(_ positions: [Float], labels: [Int]) -> Double {
  let n = labels.count
  let groups = (labels.max() ?? 0) + 1
  var total = 0.0
  for i in 0 ..< n {
    var sums = [Double](repeating: 0, count: groups)
    var counts = [Int](repeating: 0, count: groups)
    for j in 0 ..< n where j != i {
      let dx = Double(positions[2 * i] - positions[2 * j]), dy = Double(positions[2 * i + 1] - positions[2 * j + 1])
      sums[labels[j]] += (dx * dx + dy * dy).squareRoot()
      counts[labels[j]] += 1
    }
    let a = sums[labels[i]] / Double(max(1, counts[labels[i]]))
    let b = (0 ..< groups).filter { $0 != labels[i] && counts[$0] > 0 }.map { sums[$0] / Double(counts[$0]) }.min() ?? 0
    total += (b - a) / max(a, b)
  }
  return total / Double(n)
}
