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
  /// The cosine matrix is computed `tile` rows of A at a time with sgemm ([tile, nB] floats in memory at
  /// once) and never stored whole. Ties are broken by the lower index, so the result is deterministic.
  public static func search(a: Matrix, b: Matrix, k: Int, tile: Int = 512) -> CandidateGraph {
    let (nA, nB, d) = (a.rows, b.rows, a.columns)
    precondition(b.columns == d, "CandidateSearch: widths differ")
    let k = max(1, k)
    var rowIndices = [Int32](repeating: -1, count: nA * k)                    // [nA, k]
    var rowCosines = [Float](repeating: -.infinity, count: nA * k)            // [nA, k]
    var columnIndices = [Int32](repeating: -1, count: nB * k)                 // [nB, k]
    var columnCosines = [Float](repeating: -.infinity, count: nB * k)         // [nB, k]
    var block = [Float](repeating: 0, count: min(tile, max(nA, 1)) * nB)      // [tile, nB]
    a.storage.withUnsafeBufferPointer { pa in
      b.storage.withUnsafeBufferPointer { pb in
        block.withUnsafeMutableBufferPointer { pc in
          rowIndices.withUnsafeMutableBufferPointer { riBuffer in
            rowCosines.withUnsafeMutableBufferPointer { rcBuffer in
              columnIndices.withUnsafeMutableBufferPointer { ciBuffer in
                columnCosines.withUnsafeMutableBufferPointer { ccBuffer in
                  let c = UnsafeSendable(pc.baseAddress!)
                  let (ri, rc) = (UnsafeSendable(riBuffer.baseAddress!), UnsafeSendable(rcBuffer.baseAddress!))
                  let (ci, cc) = (UnsafeSendable(ciBuffer.baseAddress!), UnsafeSendable(ccBuffer.baseAddress!))
                  var start = 0
                  while start < nA {
                    let rows = min(tile, nA - start)
                    BLAS.sgemm(transA: false, transB: true, m: rows, n: nB, k: d, a: pa.baseAddress! + start * d, lda: d,
                               b: pb.baseAddress!, ldb: d, c: c.value, ldc: nB)
                    let first = start
                    // Rows of the tile: each row's top k.
                    Parallel.chunks(rows) { range in
                      for r in range {
                        let values = c.value + r * nB
                        let i = first + r
                        for j in 0 ..< nB {
                          insert(values[j], Int32(j), into: ri.value + i * k, rc.value + i * k, k)
                        }
                      }
                    }
                    // Columns of the tile: each B feature's top k over these A rows.
                    // (Row by row over each worker's own column range: contiguous reads of the tile.)
                    Parallel.chunks(nB) { range in
                      for r in 0 ..< rows {
                        let values = c.value + r * nB
                        let i = Int32(first + r)
                        for j in range where values[j] > cc.value[j * k + k - 1] || ci.value[j * k + k - 1] < 0 {
                          insert(values[j], i, into: ci.value + j * k, cc.value + j * k, k)
                        }
                      }
                    }
                    start += rows
                  }
                }
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
  static func insert(_ value: Float, _ index: Int32, into indices: UnsafeMutablePointer<Int32>, _ values: UnsafeMutablePointer<Float>, _ k: Int) {
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
