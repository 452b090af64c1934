import AtlasArtifacts
import SparseAutoencoders
import TensorMath

/// Training batches streamed from the capture shards: each epoch visits the shards in a seeded order,
/// `shardsPerBuffer` at a time; the training rows of a buffer (position 0 and held-out windows excluded,
/// outlier rows dropped) are shuffled with a seeded permutation and cut into full batches; the rows left
/// over carry into the next buffer. Memory is bounded by the buffer, whatever the token budget.
public struct ShardBatchSource: SAEBatchSource {
  public let store: ActivationStore
  public let hookPoint: String
  public let batchSize: Int
  public let seed: UInt64
  public let shardsPerBuffer: Int
  /// Rows whose norm exceeds this are skipped (massive-activation tokens that would dominate the loss).
  public let maximumNorm: Float
  public private(set) var droppedRows = 0

  private var epoch = 0
  private var order: [Int] = []
  private var nextShard = 0
  private var buffer: [Float] = []      // [rows, dIn] pending rows in shuffled order
  private var bufferRows = 0
  private var cursor = 0

  public init(store: ActivationStore, hookPoint: String, batchSize: Int, seed: UInt64, shardsPerBuffer: Int = 16,
              maximumNorm: Float = .infinity) {
    self.store = store
    self.hookPoint = hookPoint
    self.batchSize = batchSize
    self.seed = seed
    self.shardsPerBuffer = max(1, shardsPerBuffer)
    self.maximumNorm = maximumNorm
    order = Self.shardOrder(count: store.shardCount, seed: seed, epoch: 0)
  }

  static func shardOrder(count: Int, seed: UInt64, epoch: Int) -> [Int] {
    var rng = SplitMix64(seed: seed).fork(UInt64(epoch) &+ 0x5A17)
    return Array(0 ..< count).shuffled(using: &rng)
  }

  public mutating func nextBatch(into batch: inout Matrix) throws -> Bool {
    let d = store.dModel
    while bufferRows - cursor < batchSize {
      guard try refill() else { return false }
    }
    if batch.rows != batchSize || batch.columns != d { batch = Matrix(rows: batchSize, columns: d) }
    let start = cursor * d
    batch.storage.withUnsafeMutableBufferPointer { dst in
      buffer.withUnsafeBufferPointer { src in
        dst.baseAddress!.update(from: src.baseAddress! + start, count: batchSize * d)
      }
    }
    cursor += batchSize
    return true
  }

  /// Loads the next group of shards (moving to the next epoch when one ends), keeping unconsumed rows.
  private mutating func refill() throws -> Bool {
    let d = store.dModel
    if nextShard >= order.count {
      // Epoch boundary: drop the partial remainder so every epoch starts alike.
      epoch += 1
      order = Self.shardOrder(count: store.shardCount, seed: seed, epoch: epoch)
      nextShard = 0
      buffer = []
      bufferRows = 0
      cursor = 0
      if order.isEmpty { return false }
    }
    var rows = Array(buffer[(cursor * d)...])
    var count = bufferRows - cursor
    let group = order[nextShard ..< min(nextShard + shardsPerBuffer, order.count)]
    nextShard += group.count
    for shard in group {
      let (m, _) = try store.rows(shard: shard, hookPoint: hookPoint, heldOut: false)
      m.storage.withUnsafeBufferPointer { p in
        for r in 0 ..< m.rows {
          let row = p.baseAddress! + r * d
          if maximumNorm.isFinite, Kernels.sumOfSquares(row, d).squareRoot() > maximumNorm {
            droppedRows += 1
            continue
          }
          rows.append(contentsOf: UnsafeBufferPointer(start: row, count: d))
          count += 1
        }
      }
    }
    var rng = SplitMix64(seed: seed).fork(UInt64(epoch) << 32 | UInt64(nextShard))
    let permutation = Array(0 ..< count).shuffled(using: &rng)
    var shuffled = [Float](repeating: 0, count: count * d)
    shuffled.withUnsafeMutableBufferPointer { dst in
      rows.withUnsafeBufferPointer { src in
        for (i, r) in permutation.enumerated() {
          (dst.baseAddress! + i * d).update(from: src.baseAddress! + r * d, count: d)
        }
      }
    }
    buffer = shuffled
    bufferRows = count
    cursor = 0
    return true
  }
}
