/// Exact maximum-weight one-to-one matching on a sparse bipartite graph.
///
/// The graph is split into connected components (at a cosine threshold of 0.7 almost all are a single
/// pair), and each component is solved by successive shortest paths with Dijkstra and Johnson potentials
/// (min-cost flow from a source through left → right edges of cost −weight to a sink, one unit at a time,
/// stopping when the cheapest augmenting path no longer lowers the cost). Minimum cost for each flow value
/// is convex in the flow, so the first non-improving path ends the search: the result is the matching of
/// maximum total weight over all matchings (not only the perfect ones). Edge weights must be positive.
public enum Assignment {
  public struct Edge: Sendable, Equatable {
    public var left: Int
    public var right: Int
    public var weight: Double
    public init(left: Int, right: Int, weight: Double) { self.left = left; self.right = right; self.weight = weight }
  }

  /// `match[i]` = the right vertex matched to left vertex i, or nil.
  public static func maximumWeightMatching(left: Int, right: Int, edges: [Edge]) -> [Int?] {
    var match = [Int?](repeating: nil, count: left)
    let edges = edges.filter { $0.weight > 0 && $0.left >= 0 && $0.left < left && $0.right >= 0 && $0.right < right }
    // Components over left ∪ right vertices (right j is vertex left + j).
    var parent = Array(0 ..< (left + right))
    func find(_ x: Int) -> Int {
      var x = x
      while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
      return x
    }
    for e in edges {
      let (u, v) = (find(e.left), find(left + e.right))
      if u != v { parent[max(u, v)] = min(u, v) }
    }
    var byComponent: [Int: [Edge]] = [:]
    for e in edges { byComponent[find(e.left), default: []].append(e) }
    for root in byComponent.keys.sorted() {
      guard let component = byComponent[root] else { continue }
      if component.count == 1 {
        match[component[0].left] = component[0].right
        continue
      }
      for (i, j) in solveComponent(component) { match[i] = j }
    }
    return match
  }

  /// Successive shortest paths on one component; returns (left, right) pairs.
  static func solveComponent(_ edges: [Edge]) -> [(Int, Int)] {
    let lefts = Array(Set(edges.map(\.left))).sorted()
    let rights = Array(Set(edges.map(\.right))).sorted()
    var leftIndex: [Int: Int] = [:], rightIndex: [Int: Int] = [:]
    for (k, v) in lefts.enumerated() { leftIndex[v] = k }
    for (k, v) in rights.enumerated() { rightIndex[v] = k }
    let (nl, nr) = (lefts.count, rights.count)
    // Nodes: 0 = source, 1...nl left, nl+1...nl+nr right, nl+nr+1 = sink.
    let (source, sink) = (0, nl + nr + 1)
    let nodes = nl + nr + 2
    var graph = FlowGraph(nodes: nodes)
    for l in 0 ..< nl { graph.add(source, 1 + l, cost: 0) }
    for e in edges {
      guard let l = leftIndex[e.left], let r = rightIndex[e.right] else { continue }
      graph.add(1 + l, 1 + nl + r, cost: -e.weight)
    }
    for r in 0 ..< nr { graph.add(1 + nl + r, sink, cost: 0) }

    // Initial potentials: shortest distances in the DAG source → left → right → sink.
    var potential = [Double](repeating: 0, count: nodes)
    for r in 0 ..< nr { potential[1 + nl + r] = 0 }
    for e in edges {
      guard let r = rightIndex[e.right] else { continue }
      potential[1 + nl + r] = min(potential[1 + nl + r], -e.weight)
    }
    potential[sink] = (0 ..< nr).map { potential[1 + nl + $0] }.min() ?? 0

    var distance = [Double](repeating: .infinity, count: nodes)
    var previousArc = [Int](repeating: -1, count: nodes)
    while true {
      for v in 0 ..< nodes { distance[v] = .infinity; previousArc[v] = -1 }
      distance[source] = 0
      var heap = MinHeap()
      heap.push(0, source)
      while let (d, u) = heap.pop() {
        if d > distance[u] { continue }
        for a in graph.first[u] {
          let arc = graph.arcs[a]
          guard arc.capacity > 0 else { continue }
          let reduced = arc.cost + potential[u] - potential[arc.to]
          let candidate = d + max(0, reduced)   // reduced costs are ≥ 0 up to rounding
          if candidate < distance[arc.to] {
            distance[arc.to] = candidate
            previousArc[arc.to] = a
            heap.push(candidate, arc.to)
          }
        }
      }
      guard distance[sink].isFinite else { break }
      let pathCost = distance[sink] + potential[sink] - potential[source]
      guard pathCost < -1e-12 else { break }
      for v in 0 ..< nodes where distance[v].isFinite { potential[v] += distance[v] }
      var v = sink
      while v != source {
        let a = previousArc[v]
        graph.arcs[a].capacity -= 1
        graph.arcs[a ^ 1].capacity += 1
        v = graph.arcs[a ^ 1].to
      }
    }
    var pairs: [(Int, Int)] = []
    for l in 0 ..< nl {
      for a in graph.first[1 + l] {
        let arc = graph.arcs[a]
        if arc.to > nl, arc.to <= nl + nr, arc.capacity == 0, a & 1 == 0 {
          pairs.append((lefts[l], rights[arc.to - 1 - nl]))
        }
      }
    }
    return pairs
  }

  /// Residual graph with paired arcs (arc a and a ^ 1 are each other's reverse).
  struct FlowGraph {
    struct Arc { var to: Int; var capacity: Int; var cost: Double }
    var arcs: [Arc] = []
    var first: [[Int]]
    init(nodes: Int) { first = Array(repeating: [], count: nodes) }
    mutating func add(_ u: Int, _ v: Int, cost: Double) {
      first[u].append(arcs.count)
      arcs.append(Arc(to: v, capacity: 1, cost: cost))
      first[v].append(arcs.count)
      arcs.append(Arc(to: u, capacity: 0, cost: -cost))
    }
  }

  /// Binary min-heap of (key, node); ties by node for determinism.
  struct MinHeap {
    var items: [(Double, Int)] = []
    mutating func push(_ key: Double, _ node: Int) {
      items.append((key, node))
      var i = items.count - 1
      while i > 0 {
        let p = (i - 1) / 2
        guard less(items[i], items[p]) else { break }
        items.swapAt(i, p)
        i = p
      }
    }
    mutating func pop() -> (Double, Int)? {
      guard let top = items.first else { return nil }
      let last = items.removeLast()
      if !items.isEmpty {
        items[0] = last
        var i = 0
        while true {
          let (l, r) = (2 * i + 1, 2 * i + 2)
          var m = i
          if l < items.count && less(items[l], items[m]) { m = l }
          if r < items.count && less(items[r], items[m]) { m = r }
          if m == i { break }
          items.swapAt(i, m)
          i = m
        }
      }
      return top
    }
    private func less(_ a: (Double, Int), _ b: (Double, Int)) -> Bool { a.0 < b.0 || (a.0 == b.0 && a.1 < b.1) }
  }

  /// Every matching enumerated: the oracle for small graphs (left ≤ about 8).
  public static func bruteForceBestWeight(left: Int, right: Int, edges: [Edge]) -> Double {
    var weight = [[Double]](repeating: [Double](repeating: 0, count: right), count: left)
    var present = [[Bool]](repeating: [Bool](repeating: false, count: right), count: left)
    for e in edges where e.weight > 0 {
      weight[e.left][e.right] = max(weight[e.left][e.right], e.weight)
      present[e.left][e.right] = true
    }
    var used = [Bool](repeating: false, count: right)
    func best(_ i: Int) -> Double {
      if i == left { return 0 }
      var value = best(i + 1)   // i unmatched
      for j in 0 ..< right where present[i][j] && !used[j] {
        used[j] = true
        value = max(value, weight[i][j] + best(i + 1))
        used[j] = false
      }
      return value
    }
    return best(0)
  }
}
