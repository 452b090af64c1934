import AtlasArtifacts
import TensorMath

/// The k nearest other features of every feature, best first.
public struct NeighbourTable: Sendable, Equatable {
  public let count: Int             // features
  public let k: Int
  public var indices: [Int32]       // [count * k]; -1 where a feature has fewer than k neighbours
  public var scores: [Float]        // [count * k]; cosine, or Jaccard for co-activation

  public init(count: Int, k: Int, indices: [Int32], scores: [Float]) {
    self.count = count; self.k = k; self.indices = indices; self.scores = scores
  }

  static func empty(count: Int, k: Int) -> NeighbourTable {
    NeighbourTable(count: count, k: k, indices: [Int32](repeating: -1, count: count * k),
                   scores: [Float](repeating: 0, count: count * k))
  }

  public func neighbours(of feature: Int) -> [Neighbour] {
    guard feature >= 0, feature < count else { return [] }
    return (feature * k ..< (feature + 1) * k).compactMap { slot in
      indices[slot] < 0 ? nil : Neighbour(feature: Int(indices[slot]), similarity: scores[slot])
    }
  }
}

/// Nearest features by decoder cosine in the full d-dimensional space.
public enum DecoderNeighbours {
  /// Unit-normalises the decoder rows, then for blocks of `blockSize` rows computes their cosines with all
  /// rows in one sgemm ([blockSize, n], never the n × n matrix) and keeps each row's top k, itself excluded.
  /// A zero row has no neighbours and is no one's neighbour. Blocks are fixed by `blockSize`, not by the
  /// core count, so the result is the same on any number of workers.
  public static func compute(decoder: Matrix, k: Int = 10, blockSize: Int = 256,
                             workers: Int = Parallel.workers) throws(FeatureAnalysisError) -> NeighbourTable {
    let n = decoder.rows, d = decoder.columns
    let k = max(0, min(k, n - 1))
    var table = NeighbourTable.empty(count: n, k: k)
    guard n > 1, k > 0, d > 0 else { return table }
    var unit = decoder.storage   // [n, d], rows scaled to unit length
    var liveRows = [Bool](repeating: false, count: n)
    for r in 0 ..< n {
      var sum: Double = 0
      for c in 0 ..< d {
        let v = unit[r * d + c]
        guard v.isFinite else {
          throw .invalidInput(what: "decoder row \(r)", expected: "finite values", found: "\(v)")
        }
        sum += Double(v) * Double(v)
      }
      liveRows[r] = sum > 0
      let scale: Float = sum > 0 ? Float(1 / sum.squareRoot()) : 0
      for c in 0 ..< d { unit[r * d + c] *= scale }
    }
    let live = liveRows
    let deadColumns = (0 ..< n).filter { !live[$0] }
    let block = max(1, blockSize)
    let blocks = (n + block - 1) / block
    unit.withUnsafeBufferPointer { u in
      table.indices.withUnsafeMutableBufferPointer { ix in
        table.scores.withUnsafeMutableBufferPointer { sc in
          let U = UnsafeSendable(u.baseAddress!), I = UnsafeSendable(ix.baseAddress!), S = UnsafeSendable(sc.baseAddress!)
          Parallel.chunks(blocks, parts: max(1, workers)) { range in
            var cosines = [Float](repeating: 0, count: block * n)   // [block, n]
            cosines.withUnsafeMutableBufferPointer { cbuf in
              let C = cbuf.baseAddress!
              for b in range {
                let first = b * block, rows = min(block, n - first)
                BLAS.sgemm(transA: false, transB: true, m: rows, n: n, k: d, a: U.value + first * d, lda: d,
                           b: U.value, ldb: d, c: C, ldc: n)
                for j in deadColumns { for r in 0 ..< rows { C[r * n + j] = -.infinity } }
                for r in 0 ..< rows where live[first + r] {
                  var top = TopSelection(k: k)
                  top.scan(C + r * n, count: n, exclude: first + r)
                  for (slot, (value, index)) in zip(top.values, top.indices).enumerated() {
                    I.value[(first + r) * k + slot] = index
                    S.value[(first + r) * k + slot] = value
                  }
                }
              }
            }
          }
        }
      }
    }
    return table
  }
}

/// Direct logit effects: which output tokens a feature's decoder direction pushes up and down.
///
/// The effect of feature i is W_U · (W_dec[i] ⊙ g), with g the final RMSNorm weight, as sae_vis and
/// Anthropic's feature browser show it. It ignores the norm's data-dependent scale 1/rms(x) and every
/// layer between the SAE's hook and the output, so it is a direction, not a prediction.
public struct LogitEffects: Sendable, Equatable {
  public let features: Int
  public let k: Int
  public var promotedTokens: [Int32]     // [features * k], largest effect first
  public var promotedValues: [Float]     // [features * k]
  public var suppressedTokens: [Int32]   // [features * k], most negative effect first
  public var suppressedValues: [Float]   // [features * k]

  public init(features: Int, k: Int, promotedTokens: [Int32], promotedValues: [Float],
              suppressedTokens: [Int32], suppressedValues: [Float]) {
    self.features = features; self.k = k; self.promotedTokens = promotedTokens; self.promotedValues = promotedValues
    self.suppressedTokens = suppressedTokens; self.suppressedValues = suppressedValues
  }

  /// Promoted tokens of a feature, largest first (empty for a feature that was not computed).
  public func promoted(_ feature: Int) -> [(token: Int, value: Float)] {
    guard feature >= 0, feature < features else { return [] }
    return (feature * k ..< (feature + 1) * k).compactMap {
      promotedTokens[$0] < 0 ? nil : (Int(promotedTokens[$0]), promotedValues[$0])
    }
  }

  /// Suppressed tokens of a feature, most negative first (empty for a feature that was not computed).
  public func suppressed(_ feature: Int) -> [(token: Int, value: Float)] {
    guard feature >= 0, feature < features else { return [] }
    return (feature * k ..< (feature + 1) * k).compactMap {
      suppressedTokens[$0] < 0 ? nil : (Int(suppressedTokens[$0]), suppressedValues[$0])
    }
  }

  /// Top and bottom `k` tokens per feature. Features go through in blocks of `blockSize`: one sgemm gives
  /// the block's logits [blockSize, vocab], each row is scanned for its extremes, and the buffer is reused.
  /// decoder: [n, d], normWeight: [d], unembedding: [vocab, d]. `features` limits the work to those
  /// features (e.g. the live ones); the others get empty lists. Blocks are fixed by `blockSize` and the
  /// feature list, not the core count, so the result is the same on any number of workers.
  public static func compute(decoder: Matrix, normWeight: [Float], unembedding: Matrix, k: Int = 10,
                             features: [Int]? = nil, blockSize: Int = 128,
                             workers: Int = Parallel.workers) throws(FeatureAnalysisError) -> LogitEffects {
    let n = decoder.rows, d = decoder.columns, vocab = unembedding.rows
    let selected = features ?? Array(0 ..< n)
    if let bad = selected.first(where: { $0 < 0 || $0 >= n }) {
      throw .invalidInput(what: "feature \(bad) for logit effects", expected: "an index in 0..<\(n)", found: "\(bad)")
    }
    guard normWeight.count == d, unembedding.columns == d else {
      throw .invalidInput(what: "logit-effect shapes", expected: "W_dec [n, d], norm weight [d], W_U [vocab, d] with one d",
                          found: "W_dec [\(n), \(d)], norm weight [\(normWeight.count)], W_U [\(vocab), \(unembedding.columns)]")
    }
    for (name, values) in [("W_dec", decoder.storage), ("norm weight", normWeight), ("W_U", unembedding.storage)] {
      if let bad = values.firstIndex(where: { !$0.isFinite }) {
        throw .invalidInput(what: "\(name) element \(bad)", expected: "finite values", found: "\(values[bad])")
      }
    }
    let k = max(0, min(k, vocab))
    var effects = LogitEffects(features: n, k: k, promotedTokens: [Int32](repeating: -1, count: n * k),
                               promotedValues: [Float](repeating: 0, count: n * k),
                               suppressedTokens: [Int32](repeating: -1, count: n * k),
                               suppressedValues: [Float](repeating: 0, count: n * k))
    guard !selected.isEmpty, k > 0, d > 0 else { return effects }
    let block = max(1, blockSize)
    let blocks = (selected.count + block - 1) / block
    decoder.storage.withUnsafeBufferPointer { dec in
      unembedding.storage.withUnsafeBufferPointer { wu in
        normWeight.withUnsafeBufferPointer { g in
          effects.promotedTokens.withUnsafeMutableBufferPointer { pt in
            effects.promotedValues.withUnsafeMutableBufferPointer { pv in
              effects.suppressedTokens.withUnsafeMutableBufferPointer { st in
                effects.suppressedValues.withUnsafeMutableBufferPointer { sv in
                  let D = UnsafeSendable(dec.baseAddress!), W = UnsafeSendable(wu.baseAddress!), G = UnsafeSendable(g.baseAddress!)
                  let out = UnsafeSendable((pt.baseAddress!, pv.baseAddress!, st.baseAddress!, sv.baseAddress!))
                  Parallel.chunks(blocks, parts: max(1, workers)) { range in
                    var scaled = [Float](repeating: 0, count: block * d)     // [block, d]
                    var logits = [Float](repeating: 0, count: block * vocab) // [block, vocab]
                    for b in range {
                      let first = b * block, rows = min(block, selected.count - first)
                      for r in 0 ..< rows {
                        let feature = selected[first + r]
                        for c in 0 ..< d { scaled[r * d + c] = D.value[feature * d + c] * G.value[c] }
                      }
                      scaled.withUnsafeBufferPointer { s in
                        logits.withUnsafeMutableBufferPointer { l in
                          BLAS.sgemm(transA: false, transB: true, m: rows, n: vocab, k: d, a: s.baseAddress!, lda: d,
                                     b: W.value, ldb: d, c: l.baseAddress!, ldc: vocab)
                          for r in 0 ..< rows {
                            let row = l.baseAddress! + r * vocab
                            var up = TopSelection(k: k), down = TopSelection(k: k)
                            up.scan(row, count: vocab)
                            down.scan(row, count: vocab, negate: true)
                            let base = selected[first + r] * k
                            for slot in 0 ..< k {
                              out.value.0[base + slot] = up.indices[slot]
                              out.value.1[base + slot] = up.values[slot]
                              out.value.2[base + slot] = down.indices[slot]
                              out.value.3[base + slot] = -down.values[slot]
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
      }
    }
    return effects
  }
}
