import TensorMath

/// UMAP's stochastic optimisation of the 2-D positions (cross-entropy between the fuzzy graph and the
/// map's similarity curve): attraction along sampled edges, repulsion from random negative samples.
///
/// Why not Hogwild: umap-learn lets threads race on shared positions, so its parallel output differs
/// run to run. Here an epoch sweeps the points block by block (see `runEpoch`); each point moves only
/// itself, along its own row of the symmetric graph (so every edge still pulls both ends). No worker reads
/// a value another is writing, and the negative samples come from a generator seeded by (seed, epoch,
/// point): bit-identical output for any core count.
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
    optimize(initial: initial, graph: graph, curve: curve, epochs: epochs, configuration: configuration,
             kernel: .interleaved, progress: progress)
  }

  /// Which inner loop moves the points: both give the same bits.
  package enum Kernel: Sendable {
    /// One point at a time, plain scalar code: the reference.
    case reference
    /// Four points interleaved (independent chains the CPU overlaps).
    case interleaved
  }

  package static func optimize(initial: [Float], graph: SparseGraph, curve: SimilarityCurve, epochs: Int,
                               configuration: LayoutConfiguration, kernel: Kernel,
                               progress: (Int) -> Void = { _ in }) -> [Float] {
    let graph = prune(graph, epochs: epochs)
    var positions = rescaleToBox(initial)
    var schedule = makeSchedule(graph, negativeSampleRate: configuration.negativeSampleRate)
    for epoch in 0 ..< epochs {
      let alpha = configuration.learningRate * (1 - Float(epoch) / Float(epochs))
      runEpoch(&positions, graph: graph, schedule: &schedule, curve: curve, epoch: epoch, alpha: alpha,
               configuration: configuration, kernel: kernel)
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

  /// Raw views of the arrays one epoch reads and writes; rows of disjoint point ranges go to different workers.
  struct EpochBuffers: @unchecked Sendable {
    var positions: UnsafePointer<Float>      // [n * 2], read only during a block's step
    var moved: UnsafeMutablePointer<Float>   // [block * 2], the block's new positions
    var offsets: UnsafePointer<Int>          // [n + 1]
    var columns: UnsafePointer<Int32>        // [edges]
    var perSample: UnsafePointer<Float>      // [edges]
    var perNegative: UnsafePointer<Float>    // [edges]
    var next: UnsafeMutablePointer<Float>    // [edges]
    var nextNegative: UnsafeMutablePointer<Float>  // [edges]
  }

  /// Points per block of the block-sequential sweep (at most 8 blocks per epoch). Every block ends in a
  /// join of the workers; at 16,384 points, 64 blocks spent a fifth of the SGD time waiting there (2.6 s
  /// against 1.9 s), and trustworthiness was the same (0.600 and 0.601).
  static func blockSize(_ n: Int) -> Int { max(256, (n + 7) / 8) }

  /// One epoch, block by block in index order: the points of a block move in parallel, each reading the
  /// others' current positions (blocks before it already moved this epoch, its own block as it was
  /// before the block's step). Close to umap-learn's sequential sweep, but reproducible: no point reads a
  /// value another worker is writing.
  static func runEpoch(_ positions: inout [Float], graph: SparseGraph, schedule: inout Schedule,
                       curve: SimilarityCurve, epoch: Int, alpha: Float, configuration: LayoutConfiguration,
                       kernel: Kernel) {
    let step = EpochStep(n: graph.count, curve: curve, epoch: epoch, alpha: alpha,
                         gamma: configuration.repulsionStrength, seed: configuration.seed)
    let n = graph.count
    let block = blockSize(n)
    var moved = [Float](repeating: 0, count: 2 * block)
    positions.withUnsafeMutableBufferPointer { positionBuffer in
      moved.withUnsafeMutableBufferPointer { movedBuffer in
        graph.offsets.withUnsafeBufferPointer { offsets in
          graph.columns.withUnsafeBufferPointer { columns in
            schedule.epochsPerSample.withUnsafeBufferPointer { perSample in
              schedule.epochsPerNegativeSample.withUnsafeBufferPointer { perNegative in
                schedule.nextSample.withUnsafeMutableBufferPointer { next in
                  schedule.nextNegativeSample.withUnsafeMutableBufferPointer { nextNegative in
                    let buffers = EpochBuffers(
                      positions: UnsafePointer(positionBuffer.baseAddress!), moved: movedBuffer.baseAddress!,
                      offsets: offsets.baseAddress!, columns: columns.baseAddress!, perSample: perSample.baseAddress!,
                      perNegative: perNegative.baseAddress!, next: next.baseAddress!,
                      nextNegative: nextNegative.baseAddress!)
                    var start = 0
                    while start < n {
                      let range = start ..< min(n, start + block)
                      Parallel.chunks(range.count, parts: 4) { part in
                        let points = part.lowerBound + range.lowerBound ..< part.upperBound + range.lowerBound
                        switch kernel {
                        case .reference: step.movePointsReference(points, buffers, blockStart: range.lowerBound)
                        case .interleaved: step.movePoints(points, buffers, blockStart: range.lowerBound)
                        }
                      }
                      for i in range {
                        positionBuffer[2 * i] = movedBuffer[2 * (i - range.lowerBound)]
                        positionBuffer[2 * i + 1] = movedBuffer[2 * (i - range.lowerBound) + 1]
                      }
                      start = range.upperBound
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }


}
