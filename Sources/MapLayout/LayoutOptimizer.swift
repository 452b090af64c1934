import TensorMath

/// UMAP's stochastic optimisation of the 2-D positions (cross-entropy between the fuzzy graph and the
/// map's similarity curve): attraction along sampled edges, repulsion from random negative samples.
///
/// Why not Hogwild: umap-learn lets threads race on shared positions, so its parallel output differs
/// run to run. Here each epoch reads every *other* point from the positions at the start of the epoch
/// and moves only the point that owns the edge (its own position updated sequentially as in SGD); the
/// graph is symmetric, so every edge still pulls both ends. No two workers write the same value, and the
/// negative samples come from a generator seeded by (seed, epoch, point): bit-identical for any core count.
public enum LayoutOptimizer {
  /// Edge schedule of one run (umap-learn's `epochs_per_sample` and friends), for the rows of `graph`.
  struct Schedule {
    var epochsPerSample: [Float]          // [edges]; edge e is sampled every epochsPerSample[e] epochs
    var nextSample: [Float]               // [edges]
    var epochsPerNegativeSample: [Float]  // [edges]
    var nextNegativeSample: [Float]       // [edges]
  }

  /// Edges lighter than max / epochs would never be sampled: dropped, as umap-learn does.
  public static func prune(_ graph: SparseGraph, epochs: Int) -> SparseGraph {
    let maximum = graph.weights.max() ?? 0
    let floor = maximum / Float(epochs)
    var offsets = [0], columns: [Int32] = [], weights: [Float] = []
    for i in 0 ..< graph.count {
      for e in graph.offsets[i] ..< graph.offsets[i + 1] where graph.weights[e] >= floor && graph.weights[e] > 0 {
        columns.append(graph.columns[e])
        weights.append(graph.weights[e])
      }
      offsets.append(columns.count)
    }
    return SparseGraph(count: graph.count, offsets: offsets, columns: columns, weights: weights)
  }

  /// Rescales each coordinate to [0, 10] (umap-learn does this to its initial layout).
  public static func rescaleToBox(_ positions: [Float]) -> [Float] {
    var out = positions
    for axis in 0 ..< 2 {
      var lo = Float.infinity, hi = -Float.infinity
      for i in stride(from: axis, to: positions.count, by: 2) {
        lo = min(lo, positions[i])
        hi = max(hi, positions[i])
      }
      let scale: Float = hi > lo ? 10 / (hi - lo) : 0
      for i in stride(from: axis, to: positions.count, by: 2) { out[i] = (positions[i] - lo) * scale }
    }
    return out
  }

  /// Runs `epochs` epochs from `initial` [n * 2]; `progress(epoch)` is called every 10 epochs.
  public static func optimize(initial: [Float], graph: SparseGraph, curve: SimilarityCurve, epochs: Int,
                              configuration: LayoutConfiguration, progress: (Int) -> Void = { _ in }) -> [Float] {
    let graph = prune(graph, epochs: epochs)
    var positions = rescaleToBox(initial)
    var schedule = makeSchedule(graph, negativeSampleRate: configuration.negativeSampleRate)
    for epoch in 0 ..< epochs {
      let alpha = configuration.learningRate * (1 - Float(epoch) / Float(epochs))
      positions = runEpoch(positions, graph: graph, schedule: &schedule, curve: curve, epoch: epoch, alpha: alpha,
                           configuration: configuration)
      if epoch % 10 == 0 { progress(epoch) }
    }
    return positions
  }

  static func makeSchedule(_ graph: SparseGraph, negativeSampleRate: Int) -> Schedule {
    let maximum = graph.weights.max() ?? 1
    let perSample = graph.weights.map { $0 > 0 ? maximum / $0 : Float.infinity }
    let perNegative = perSample.map { negativeSampleRate > 0 ? $0 / Float(negativeSampleRate) : Float.infinity }
    return Schedule(epochsPerSample: perSample, nextSample: perSample, epochsPerNegativeSample: perNegative,
                    nextNegativeSample: perNegative)
  }

  // MARK: - One epoch

  /// One epoch: every point, in parallel, applies its due edges and negative samples to itself.
  static func runEpoch(_ old: [Float], graph: SparseGraph, schedule: inout Schedule, curve: SimilarityCurve,
                       epoch: Int, alpha: Float, configuration: LayoutConfiguration) -> [Float] {
    let n = graph.count
    var new = old
    let a = curve.a, b = curve.b
    let gamma = configuration.repulsionStrength
    let seed = configuration.seed
    old.withUnsafeBufferPointer { oldBuffer in
      new.withUnsafeMutableBufferPointer { newBuffer in
        schedule.nextSample.withUnsafeMutableBufferPointer { next in
          schedule.nextNegativeSample.withUnsafeMutableBufferPointer { nextNegative in
            let pointers = UnsafeSendable((oldBuffer.baseAddress!, newBuffer.baseAddress!, next.baseAddress!,
                                           nextNegative.baseAddress!))
            let perSample = schedule.epochsPerSample, perNegative = schedule.epochsPerNegativeSample
            Parallel.chunks(n, parts: 16) { range in
              let (old, new, next, nextNegative) = pointers.value
              let e = Float(epoch)
              for i in range {
                var x = old[2 * i], y = old[2 * i + 1]
                var rng = SplitMix64(seed: seed ^ (UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(i) &* 0xC2B2_AE3D_27D4_EB4F))
                for edge in graph.offsets[i] ..< graph.offsets[i + 1] where next[edge] <= e {
                  let j = Int(graph.columns[edge])
                  let ox = old[2 * j], oy = old[2 * j + 1]
                  // umap-learn moves both ends of each of the two directed copies of an edge: two pulls.
                  for _ in 0 ..< 2 {
                    let dx = x - ox, dy = y - oy
                    let d2 = dx * dx + dy * dy
                    if d2 > 0 {
                      let p = Elementary.pow(d2, b)
                      let coefficient = -2 * a * b * p / d2 / (a * p + 1)
                      x += clip(coefficient * dx) * alpha
                      y += clip(coefficient * dy) * alpha
                    }
                  }
                  next[edge] += perSample[edge]
                  let negatives = Int((e - nextNegative[edge]) / perNegative[edge])
                  for _ in 0 ..< max(0, negatives) {
                    let k = rng.nextInt(below: n)
                    if k == i { continue }
                    let dx = x - old[2 * k], dy = y - old[2 * k + 1]
                    let d2 = dx * dx + dy * dy
                    if d2 > 0 {
                      let p = Elementary.pow(d2, b)
                      let coefficient = 2 * gamma * b / ((0.001 + d2) * (a * p + 1))
                      x += clip(coefficient * dx) * alpha
                      y += clip(coefficient * dy) * alpha
                    } else {
                      x += 4 * alpha
                      y += 4 * alpha
                    }
                  }
                  nextNegative[edge] += Float(max(0, negatives)) * perNegative[edge]
                }
                new[2 * i] = x
                new[2 * i + 1] = y
              }
            }
          }
        }
      }
    }
    return new
  }

  @inline(__always)
  static func clip(_ v: Float) -> Float { min(4, max(-4, v)) }

}
