import TensorMath

/// Parameters of the approximate neighbour search (random-projection forest + NN-descent).
public struct NNDescentConfiguration: Codable, Sendable, Equatable {
  /// Random-projection trees whose leaves seed the lists (exact search inside each leaf). On SAE decoder
  /// directions the leaves find most neighbours (8 x 1024: recall 0.60 at 16,384 points; 6 x 384: 0.39).
  public var trees: Int = 8
  /// Largest leaf of a tree; leaves are searched with one sgemm each.
  public var leafSize: Int = 1024
  /// Upper bound on NN-descent rounds.
  public var maxIterations: Int = 8
  /// Candidates (new and old, each) sampled per point and round.
  public var candidates: Int = 20
  /// Stop when fewer than `delta * n * k` list entries changed in a round.
  public var delta: Float = 0.002
  public var seed: UInt64 = 0

  public init() {}
}

/// One round's statistics, for benchmarks.
public struct NNDescentReport: Sendable {
  public var iterations: Int
  public var changesPerIteration: [Int]
}

extension NearestNeighbours {
  /// Approximate kNN: leaves of random-projection trees give a good start, NN-descent ("a neighbour
  /// of a neighbour is likely a neighbour", Dong et al. 2011) refines it.
  ///
  /// Deterministic for any number of cores: candidate sampling uses hashed priorities, the join work is
  /// split into a fixed number of parts, and list updates are applied per owner in part order.
  public static func nnDescent(_ unitRows: Matrix, k: Int, configuration: NNDescentConfiguration = .init())
    -> (graph: KNNGraph, report: NNDescentReport)
  {
    let n = unitRows.rows
    let k = min(k, n)
    if n == 0 || unitRows.columns == 0 {
      return (KNNGraph(checked: max(1, k), indices: [], distances: []), NNDescentReport(iterations: 0, changesPerIteration: []))
    }
    var lists = CandidateLists(rows: n, capacity: k - 1)
    let d = unitRows.columns
    var changes: [Int] = []
    unitRows.storage.withUnsafeBufferPointer { u in
      let rows = UnsafeSendable(u.baseAddress!)
      lists.withPointers { p in
        var rng = SplitMix64(seed: configuration.seed ^ 0x6E6E_6465_7363_656E)
        for _ in 0 ..< configuration.trees {
          var treeRNG = rng.fork(rng.next())
          let leaves = randomProjectionLeaves(rows.value, n: n, d: d, leafSize: configuration.leafSize,
                                              rng: &treeRNG)
          Parallel.forEach(leaves.count) { l in searchLeaf(leaves[l], rows: rows.value, d: d, lists: p) }
        }
        for iteration in 0 ..< configuration.maxIterations {
          let changed = descentRound(rows.value, n: n, d: d, lists: p, iteration: iteration,
                                     configuration: configuration)
          changes.append(changed)
          if Float(changed) < configuration.delta * Float(n * k) { break }
        }
      }
    }
    return (lists.graph(k: k), NNDescentReport(iterations: changes.count, changesPerIteration: changes))
  }

  // MARK: - Random-projection forest

  /// Splits 0 ..< n by random hyperplanes through the origin (normal = difference of two random unit
  /// rows) until every part holds at most `leafSize` points; returns the parts.
  static func randomProjectionLeaves(_ rows: UnsafePointer<Float>, n: Int, d: Int, leafSize: Int,
                                     rng: inout SplitMix64) -> [[Int32]] {
    var leaves: [[Int32]] = []
    var stack: [[Int32]] = [(0 ..< n).map(Int32.init)]
    var normal = [Float](repeating: 0, count: d)
    while let part = stack.popLast() {
      if part.count <= leafSize {
        leaves.append(part)
        continue
      }
      let a = Int(part[rng.nextInt(below: part.count)])
      var b = Int(part[rng.nextInt(below: part.count)])
      if a == b { b = Int(part[(part.firstIndex(of: Int32(a)).map { $0 + 1 } ?? 0) % part.count]) }
      for c in 0 ..< d { normal[c] = rows[a * d + c] - rows[b * d + c] }
      var left: [Int32] = []
      var right: [Int32] = []
      normal.withUnsafeBufferPointer { w in
        for i in part {
          let side = Kernels.dot(rows + Int(i) * d, w.baseAddress!, d)
          if side > 0 || (side == 0 && rng.next() & 1 == 0) { left.append(i) } else { right.append(i) }
        }
      }
      if left.isEmpty || right.isEmpty {  // degenerate hyperplane (duplicates): split in half
        let half = part.count / 2
        left = Array(part[..<half])
        right = Array(part[half...])
      }
      stack.append(right)
      stack.append(left)
    }
    return leaves
  }

  /// Exact search among the points of one leaf (one sgemm), offered to their lists.
  static func searchLeaf(_ leaf: [Int32], rows: UnsafePointer<Float>, d: Int, lists p: CandidateLists.Pointers) {
    let m = leaf.count
    if m < 2 { return }
    var block = [Float](repeating: 0, count: m * d)  // [m, d] gathered rows
    for (r, i) in leaf.enumerated() {
      for c in 0 ..< d { block[r * d + c] = rows[Int(i) * d + c] }
    }
    var gram = [Float](repeating: 0, count: m * m)   // [m, m]
    block.withUnsafeBufferPointer { b in
      gram.withUnsafeMutableBufferPointer { g in
        BLAS.sgemm(transA: false, transB: true, m: m, n: m, k: d, a: b.baseAddress!, lda: d,
                   b: b.baseAddress!, ldb: d, c: g.baseAddress!, ldc: m)
      }
    }
    for a in 0 ..< m {
      let i = Int(leaf[a])
      for b in 0 ..< m where b != a {
        let s = gram[a * m + b]
        if s >= p.threshold[i] { p.insert(row: i, similarity: s, index: leaf[b]) }
      }
    }
  }

  // MARK: - NN-descent

  /// One round: sample new/old candidates (forward and reverse), join them, apply the improvements.
  /// Returns the number of list entries that are new after the round.
  static func descentRound(_ rows: UnsafePointer<Float>, n: Int, d: Int, lists p: CandidateLists.Pointers,
                           iteration: Int, configuration: NNDescentConfiguration) -> Int {
    let capacity = p.capacity
    let sample = configuration.candidates
    // Candidate sets [n, sample] with hashed priorities; smaller priority wins a slot.
    var newSet = BoundedSets(rows: n, capacity: sample)
    var oldSet = BoundedSets(rows: n, capacity: sample)
    let salt = configuration.seed &+ UInt64(iteration) &* 0x9E37_79B9_7F4A_7C15
    for i in 0 ..< n {
      for c in 0 ..< capacity {
        let j = p.index[i * capacity + c]
        if j == .max { continue }
        let priority = pairHash(UInt64(i), UInt64(j), salt)
        if p.fresh[i * capacity + c] != 0 {
          newSet.offer(row: i, value: j, priority: priority)
          newSet.offer(row: Int(j), value: Int32(i), priority: priority)
        } else {
          oldSet.offer(row: i, value: j, priority: priority)
          oldSet.offer(row: Int(j), value: Int32(i), priority: priority)
        }
      }
    }
    // Entries sampled as new become old (they will have been joined after this round).
    for i in 0 ..< n {
      for c in 0 ..< capacity where p.fresh[i * capacity + c] != 0 {
        if newSet.contains(row: i, value: p.index[i * capacity + c]) { p.fresh[i * capacity + c] = 0 }
      }
    }
    // Join: every new-new and new-old pair of a point's candidates, bucketed by the part owning the target.
    let parts = 8
    var buckets = [[[Proposal]]](repeating: [[Proposal]](repeating: [], count: parts), count: parts)
    buckets.withUnsafeMutableBufferPointer { bucketPointer in
      let out = UnsafeSendable(bucketPointer.baseAddress!)
      let sets = UnsafeSendable((newSet, oldSet))
      let vectors = UnsafeSendable(rows)
      Parallel.forEach(parts) { part in
        let rows = vectors.value
        var local = [[Proposal]](repeating: [], count: parts)
        let (newSet, oldSet) = sets.value
        for i in n * part / parts ..< n * (part + 1) / parts {
          let fresh = newSet.members(row: i)
          let stale = oldSet.members(row: i)
          for (x, a) in fresh.enumerated() {
            let ra = rows + Int(a) * d
            for b in fresh[(x + 1)...] { propose(a, b, Kernels.dot(ra, rows + Int(b) * d, d), p, n, parts, &local) }
            for b in stale where b != a { propose(a, b, Kernels.dot(ra, rows + Int(b) * d, d), p, n, parts, &local) }
          }
        }
        out.value[part] = local
      }
    }
    let before = Array(UnsafeBufferPointer(start: p.index, count: n * capacity))  // [n, capacity]
    let joined = buckets
    Parallel.forEach(parts) { owner in
      for source in 0 ..< parts {
        for proposal in joined[source][owner] {
          p.insert(row: Int(proposal.target), similarity: proposal.similarity, index: proposal.other)
        }
      }
    }
    // Entries that were not in their row before the round (order-independent, unlike counting inserts).
    var changed = 0
    for i in 0 ..< n {
      let old = before[i * capacity ..< (i + 1) * capacity]
      for c in 0 ..< capacity where !old.contains(p.index[i * capacity + c]) { changed += 1 }
    }
    return changed
  }

  struct Proposal: Sendable {
    var target: Int32
    var other: Int32
    var similarity: Float
  }

  /// Queues (a gets b) and (b gets a) when they beat the current worst (read before the round's updates).
  @inline(__always)
  static func propose(_ a: Int32, _ b: Int32, _ s: Float, _ p: CandidateLists.Pointers, _ n: Int, _ parts: Int,
                      _ out: inout [[Proposal]]) {
    if a == b { return }
    if s >= p.threshold[Int(a)] { out[Int(a) * parts / n].append(Proposal(target: a, other: b, similarity: s)) }
    if s >= p.threshold[Int(b)] { out[Int(b) * parts / n].append(Proposal(target: b, other: a, similarity: s)) }
  }

  @inline(__always)
  static func pairHash(_ a: UInt64, _ b: UInt64, _ salt: UInt64) -> UInt64 {
    var g = SplitMix64(seed: salt ^ (min(a, b) << 32 | max(a, b)))
    return g.next()
  }
}

/// Per-row sets of at most `capacity` values, keeping those with the smallest priority.
struct BoundedSets: @unchecked Sendable {
  let capacity: Int
  var values: [Int32]      // [rows * capacity]
  var priorities: [UInt64] // [rows * capacity]
  var counts: [Int32]      // [rows]

  init(rows: Int, capacity: Int) {
    self.capacity = capacity
    values = [Int32](repeating: 0, count: rows * capacity)
    priorities = [UInt64](repeating: 0, count: rows * capacity)
    counts = [Int32](repeating: 0, count: rows)
  }

  mutating func offer(row: Int, value: Int32, priority: UInt64) {
    let base = row * capacity
    let count = Int(counts[row])
    for s in 0 ..< count where values[base + s] == value { return }
    if count < capacity {
      values[base + count] = value
      priorities[base + count] = priority
      counts[row] += 1
      return
    }
    var worst = 0
    for s in 1 ..< capacity where priorities[base + s] > priorities[base + worst] ||
      (priorities[base + s] == priorities[base + worst] && values[base + s] > values[base + worst]) { worst = s }
    if priority < priorities[base + worst] || (priority == priorities[base + worst] && value < values[base + worst]) {
      values[base + worst] = value
      priorities[base + worst] = priority
    }
  }

  func contains(row: Int, value: Int32) -> Bool {
    let base = row * capacity
    for s in 0 ..< Int(counts[row]) where values[base + s] == value { return true }
    return false
  }

  /// The kept values of `row`, sorted (a canonical order, whatever the offer order).
  func members(row: Int) -> [Int32] {
    let base = row * capacity
    return values[base ..< base + Int(counts[row])].sorted()
  }
}
