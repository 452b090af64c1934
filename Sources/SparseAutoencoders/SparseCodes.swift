import TensorMath

/// Latent activations of a batch in compressed sparse rows: only the non-zero latents of each token.
///
/// Why sparse: an SAE with 16k-1M latents activates a few dozen per token; a dense [tokens, dSAE] matrix
/// would be mostly zeros. Within a row, latents are in increasing index order.
public struct SparseCodes: Sendable, Equatable {
  public var latentCount: Int      // dSAE
  public var rowStart: [Int]       // [rows + 1]; row r holds entries rowStart[r] ..< rowStart[r + 1]
  public var latents: [Int32]      // [nnz] latent index of each entry
  public var values: [Float]       // [nnz] activation of each entry (> 0 for ReLU-family activations)

  public init(latentCount: Int, rowStart: [Int], latents: [Int32], values: [Float]) {
    precondition(rowStart.first == 0 && rowStart.last == latents.count && latents.count == values.count,
                 "SparseCodes: inconsistent row starts / entries")
    self.latentCount = latentCount
    self.rowStart = rowStart
    self.latents = latents
    self.values = values
  }

  public var rows: Int { rowStart.count - 1 }
  public var nonZeroCount: Int { latents.count }

  /// The entries of row r as (latent, value) pairs.
  public func row(_ r: Int) -> [(latent: Int, value: Float)] {
    (rowStart[r] ..< rowStart[r + 1]).map { (Int(latents[$0]), values[$0]) }
  }

  /// Number of active latents in each row (L0 per token).
  public var rowCounts: [Int] { (0 ..< rows).map { rowStart[$0 + 1] - rowStart[$0] } }

  /// The dense [rows, dSAE] matrix (zeros where a latent is silent).
  public func dense() -> Matrix {
    var out = Matrix(rows: rows, columns: latentCount)
    for r in 0 ..< rows {
      for e in rowStart[r] ..< rowStart[r + 1] { out.storage[r * latentCount + Int(latents[e])] = values[e] }
    }
    return out
  }

  /// Rows of several batches one after the other.
  public static func concatenating(_ parts: [SparseCodes], latentCount: Int) -> SparseCodes {
    var rowStart = [0]
    var latents: [Int32] = []
    var values: [Float] = []
    latents.reserveCapacity(parts.reduce(0) { $0 + $1.nonZeroCount })
    values.reserveCapacity(latents.capacity)
    for part in parts {
      let base = latents.count
      rowStart.append(contentsOf: part.rowStart.dropFirst().map { $0 + base })
      latents.append(contentsOf: part.latents)
      values.append(contentsOf: part.values)
    }
    return SparseCodes(latentCount: latentCount, rowStart: rowStart, latents: latents, values: values)
  }
}
