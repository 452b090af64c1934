import TensorMath

/// Where training batches come from. The pipeline streams them from safetensors shards on disk; nothing
/// here assumes the dataset fits in memory.
public protocol SAEBatchSource {
  /// Fills `batch` with the next rows of activations in the model's units, [rows, dIn] with
  /// 1 ≤ rows ≤ batchSize (a short final batch is allowed). `batch` usually arrives with the right shape
  /// from the previous call (no allocation); the source replaces it when it does not.
  /// Returns false, leaving `batch` unspecified, when the data is exhausted.
  mutating func nextBatch(into batch: inout Matrix) throws -> Bool

  /// Moves past the next `batches` batches without producing them (to resume from a checkpoint).
  mutating func skip(batches: Int) throws
}

extension SAEBatchSource {
  /// The slow default: produce and drop them.
  public mutating func skip(batches: Int) throws {
    guard batches > 0 else { return }
    var scratch = Matrix(rows: 1, columns: 1)
    for _ in 0 ..< batches {
      if try !nextBatch(into: &scratch) { return }
    }
  }
}

/// Batches from an in-memory matrix: each epoch visits the rows in a fresh seeded permutation, in
/// ⌊rows / batchSize⌋ full batches (the remainder of a permutation is dropped, as `ref_sae.py` does).
/// Epoch e's permutation depends only on (seed, e), so skipping to any batch is immediate.
public struct InMemoryBatchSource: SAEBatchSource, Sendable {
  public let activations: Matrix     // [rows, dIn]
  public let batchSize: Int
  public let seed: UInt64
  /// nil: cycle forever; otherwise stop after this many epochs.
  public let epochs: Int?
  private var batchIndex = 0         // batches produced so far
  private var order: [Int] = []
  private var orderEpoch = -1

  public init(activations: Matrix, batchSize: Int, seed: UInt64, epochs: Int? = nil) {
    precondition(batchSize > 0 && activations.rows >= batchSize, "need at least one full batch of rows")
    self.activations = activations
    self.batchSize = batchSize
    self.seed = seed
    self.epochs = epochs
  }

  public var batchesPerEpoch: Int { activations.rows / batchSize }

  public mutating func nextBatch(into batch: inout Matrix) throws -> Bool {
    let epoch = batchIndex / batchesPerEpoch
    if let epochs, epoch >= epochs { return false }
    if epoch != orderEpoch {
      order = InMemoryBatchSource.permutation(count: activations.rows, seed: seed, epoch: epoch)
      orderEpoch = epoch
    }
    let d = activations.columns
    if batch.rows != batchSize || batch.columns != d { batch = Matrix(rows: batchSize, columns: d) }
    let start = (batchIndex % batchesPerEpoch) * batchSize
    let rows = Array(order[start ..< start + batchSize])
    batch.storage.withUnsafeMutableBufferPointer { out in
      activations.storage.withUnsafeBufferPointer { source in
        let (o, s) = (UnsafeSendable(out.baseAddress!), UnsafeSendable(source.baseAddress!))
        Parallel.chunks(rows.count) { range in
          for r in range { (o.value + r * d).update(from: s.value + rows[r] * d, count: d) }
        }
      }
    }
    batchIndex += 1
    return true
  }

  public mutating func skip(batches: Int) throws { batchIndex += max(0, batches) }

  /// A Fisher-Yates permutation from SplitMix64 (not the standard library's shuffle, whose algorithm may
  /// change between toolchains).
  static func permutation(count: Int, seed: UInt64, epoch: Int) -> [Int] {
    var rng = SplitMix64(seed: seed).fork(UInt64(epoch) &+ 1)
    var order = Array(0 ..< count)
    var i = count - 1
    while i > 0 {
      let j = rng.nextInt(below: i + 1)
      order.swapAt(i, j)
      i -= 1
    }
    return order
  }
}
