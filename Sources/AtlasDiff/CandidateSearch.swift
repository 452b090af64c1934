import TensorMath

/// The k most similar features on the other side, for every feature of both sides.
public struct CandidateGraph: Sendable {
  public var k: Int
  public var rowIndices: [Int32]     // [nA, k] B indices by descending cosine (−1 when fewer than k)
  public var rowCosines: [Float]     // [nA, k]
  public var columnIndices: [Int32]  // [nB, k] A indices by descending cosine
  public var columnCosines: [Float]  // [nB, k]

  /// Candidates of A feature i: (B index, cosine), best first.
  public func candidates(ofA i: Int) -> [(index: Int, cosine: Float)] {
    var out: [(index: Int, cosine: Float)] = []
    for s in 0 ..< k where rowIndices[i * k + s] >= 0 { out.append((Int(rowIndices[i * k + s]), rowCosines[i * k + s])) }
    return out
  }

  /// Candidates of B feature j: (A index, cosine), best first.
  public func candidates(ofB j: Int) -> [(index: Int, cosine: Float)] {
    var out: [(index: Int, cosine: Float)] = []
    for s in 0 ..< k where columnIndices[j * k + s] >= 0 { out.append((Int(columnIndices[j * k + s]), columnCosines[j * k + s])) }
    return out
  }
}

public enum CandidateSearch {
  /// Rows scaled to unit length (zero rows stay zero, so their cosine with anything is 0).
  public static func unitRows(_ m: Matrix) -> Matrix {
    var out = m
    let d = m.columns
    out.storage.withUnsafeMutableBufferPointer { p in
      let base = UnsafeSendable(p.baseAddress!)
      Parallel.chunks(m.rows) { range in
        for r in range {
          let row = base.value + r * d
          var s: Float = 0
          for c in 0 ..< d { s += row[c] * row[c] }
          let norm = s.squareRoot()
          guard norm > 0 else { continue }
          let inv = 1 / norm
          for c in 0 ..< d { row[c] *= inv }
        }
      }
    }
    return out
  }

  /// Top-`k` cosine candidates in both directions between the unit rows `a` [nA, d] and `b` [nB, d].
  /// The cosine matrix is computed `tile` rows of A at a time with sgemm ([tile, nB] floats per worker in
  /// memory at once) and never stored whole. Ties are broken by the lower index.
  ///
  /// Deterministic whatever else the process runs: each worker takes a contiguous range of A's rows and
  /// calls a single-threaded sgemm (inside `Parallel`), so no cosine depends on how many threads OpenBLAS
  /// was set to by a concurrent caller (on AMD EPYC, OpenBLAS rounds differently with its thread count).
  /// Each worker keeps its own column lists; they are merged in row order, which is what one pass in
  /// row order would have kept.
  public static func search(a: Matrix, b: Matrix, k: Int, tile: Int = 512) -> CandidateGraph {
    let (nA, nB, d) = (a.rows, b.rows, a.columns)
    precondition(b.columns == d, "CandidateSearch: widths differ")
    let k = max(1, k)
    let tile = max(1, tile)
    let parts = max(1, min(Parallel.workers, nA))
    var rowIndices = [Int32](repeating: -1, count: nA * k)                    // [nA, k]
    var rowCosines = [Float](repeating: -.infinity, count: nA * k)            // [nA, k]
    var partIndices = [Int32](repeating: -1, count: parts * nB * k)           // [parts, nB, k]
    var partCosines = [Float](repeating: -.infinity, count: parts * nB * k)   // [parts, nB, k]
    a.storage.withUnsafeBufferPointer { pa in
      b.storage.withUnsafeBufferPointer { pb in
        rowIndices.withUnsafeMutableBufferPointer { riBuffer in
          rowCosines.withUnsafeMutableBufferPointer { rcBuffer in
            partIndices.withUnsafeMutableBufferPointer { ciBuffer in
              partCosines.withUnsafeMutableBufferPointer { ccBuffer in
                let (pa, pb) = (UnsafeSendable(pa.baseAddress!), UnsafeSendable(pb.baseAddress!))
                let (ri, rc) = (UnsafeSendable(riBuffer.baseAddress!), UnsafeSendable(rcBuffer.baseAddress!))
                let (ci, cc) = (UnsafeSendable(ciBuffer.baseAddress!), UnsafeSendable(ccBuffer.baseAddress!))
                let body: @Sendable (Int) -> Void = { p in
                  let (first, last) = (nA * p / parts, nA * (p + 1) / parts)
                  guard first < last else { return }
                  var block = [Float](repeating: 0, count: min(tile, last - first) * nB)   // [tile, nB]
                  let (columnI, columnC) = (ci.value + p * nB * k, cc.value + p * nB * k)
                  block.withUnsafeMutableBufferPointer { cb in
                    let c = cb.baseAddress!
                    var start = first
                    while start < last {
                      let rows = min(tile, last - start)
                      BLAS.sgemm(transA: false, transB: true, m: rows, n: nB, k: d, a: pa.value + start * d, lda: d,
                                 b: pb.value, ldb: d, c: c, ldc: nB)
                      for r in 0 ..< rows {
                        let values = c + r * nB
                        let i = start + r
                        for j in 0 ..< nB {
                          insert(values[j], Int32(j), into: ri.value + i * k, rc.value + i * k, k)
                          if values[j] > columnC[j * k + k - 1] || columnI[j * k + k - 1] < 0 {
                            insert(values[j], Int32(i), into: columnI + j * k, columnC + j * k, k)
                          }
                        }
                      }
                      start += rows
                    }
                  }
                }
                if parts == 1 {
                  BLAS.singleThreaded { body(0) }
                } else {
                  Parallel.forEach(parts, body)
                }
              }
            }
          }
        }
      }
    }
    // Merge the workers' column lists in row order.
    var columnIndices = Array(partIndices[0 ..< nB * k])                      // [nB, k]
    var columnCosines = Array(partCosines[0 ..< nB * k])                      // [nB, k]
    if parts > 1 {
      columnIndices.withUnsafeMutableBufferPointer { ci in
        columnCosines.withUnsafeMutableBufferPointer { cc in
          for p in 1 ..< parts {
            for j in 0 ..< nB {
              for s in 0 ..< k {
                let index = partIndices[(p * nB + j) * k + s]
                guard index >= 0 else { break }
                insert(partCosines[(p * nB + j) * k + s], index, into: ci.baseAddress! + j * k, cc.baseAddress! + j * k, k)
              }
            }
          }
        }
      }
    }
    return CandidateGraph(k: k, rowIndices: rowIndices, rowCosines: rowCosines, columnIndices: columnIndices, columnCosines: columnCosines)
  }

  /// Inserts (value, index) into a descending top-k list; earlier (lower) indices win ties because later
  /// equal values never displace them.
  @inline(__always)
  static func insert(_ value: Float, _ index: Int32, into indices: UnsafeMutablePointer<Int32>, _ values: UnsafeMutablePointer<Float>,
                     _ k: Int) {
    guard value > values[k - 1] || (indices[k - 1] < 0 && !value.isNaN) else { return }
    var p = k - 1
    while p > 0 && (value > values[p - 1] || indices[p - 1] < 0) {
      values[p] = values[p - 1]
      indices[p] = indices[p - 1]
      p -= 1
    }
    values[p] = value
    indices[p] = index
  }
}
