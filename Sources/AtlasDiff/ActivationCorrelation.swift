import TensorMath

/// Similarity of features by what they do rather than where they point: the Pearson correlation of two
/// latents' activations over the same tokens. It is what compares SAEs whose directions live in different
/// spaces (another hook point or layer, another width of residual stream), and it needs only the sparse
/// codes of both SAEs on shared tokens.
///
/// With a_t, b_t the two latents' activations on token t (0 where a latent is silent) over N tokens,
/// r = (N Σ a b − Σa Σb) / √((N Σa² − (Σa)²)(N Σb² − (Σb)²)). Σ a b is non-zero only on tokens where both
/// fire, so a pair that never fires together has r ≤ 0 and is never a candidate; the sums over co-firing
/// tokens cost Σ_t L0_A(t) · L0_B(t) multiply-adds in all (about 30 M for 30k tokens at L0 32), not N·nA·nB.
public enum ActivationCorrelation {
  /// Per-latent sums over the tokens: firings, Σa, Σa².
  struct Moments {
    var firings: [Int]       // [latents]
    var sum: [Double]        // [latents]
    var squares: [Double]    // [latents]

    init(_ codes: TokenCodes) {
      let n = codes.latentCount
      firings = [Int](repeating: 0, count: n)
      sum = [Double](repeating: 0, count: n)
      squares = [Double](repeating: 0, count: n)
      for (e, l) in codes.latents.enumerated() where l >= 0 && Int(l) < n {
        let v = Double(codes.values[e])
        guard v != 0 else { continue }
        firings[Int(l)] += 1
        sum[Int(l)] += v
        squares[Int(l)] += v * v
      }
    }

    /// N Σa² − (Σa)², the N²-scaled variance (0 for a latent that is constant on the tokens).
    func spread(_ i: Int, tokens: Int) -> Double { max(0, Double(tokens) * squares[i] - sum[i] * sum[i]) }
  }

  /// The straightforward definition, for tests: r between latent i of `a` and latent j of `b` from dense
  /// columns. 0 when either latent is constant on the tokens.
  public static func reference(a: TokenCodes, _ i: Int, b: TokenCodes, _ j: Int) -> Double {
    func column(_ c: TokenCodes, _ l: Int) -> [Double] {
      (0 ..< c.tokens).map { t in
        var v = 0.0
        for e in c.rowStart[t] ..< c.rowStart[t + 1] where Int(c.latents[e]) == l { v += Double(c.values[e]) }
        return v
      }
    }
    let (x, y) = (column(a, i), column(b, j))
    let n = Double(x.count)
    guard n > 1 else { return 0 }
    let (mx, my) = (x.reduce(0, +) / n, y.reduce(0, +) / n)
    var (sxy, sxx, syy) = (0.0, 0.0, 0.0)
    for t in 0 ..< x.count {
      sxy += (x[t] - mx) * (y[t] - my); sxx += (x[t] - mx) * (x[t] - mx); syy += (y[t] - my) * (y[t] - my)
    }
    guard sxx > 0, syy > 0 else { return 0 }
    return sxy / (sxx * syy).squareRoot()
  }

  /// The top-`k` positively correlated partners of every latent on both sides. `a` and `b` are the two
  /// SAEs' codes on the same tokens (row t of each is token t). Latents that fire on fewer than
  /// `minimumFirings` of the tokens get no candidates (their correlations are noise), and candidates
  /// need r > 0. Deterministic: each latent's sums run in token order and ties go to the lower index.
  public static func search(a: TokenCodes, b: TokenCodes, k: Int, minimumFirings: Int) -> CandidateGraph {
    precondition(a.tokens == b.tokens, "ActivationCorrelation: the two codes cover different tokens")
    let k = max(1, k)
    let (rowIndices, rowValues) = topPartners(of: a, in: b, k: k, minimumFirings: minimumFirings)
    let (columnIndices, columnValues) = topPartners(of: b, in: a, k: k, minimumFirings: minimumFirings)
    return CandidateGraph(k: k, rowIndices: rowIndices, rowCosines: rowValues, columnIndices: columnIndices, columnCosines: columnValues)
  }

  /// For every latent of `x`: its k best-correlated latents of `y`, as [x latents, k] (−1 / −∞ padded).
  static func topPartners(of x: TokenCodes, in y: TokenCodes, k: Int, minimumFirings: Int) -> ([Int32], [Float]) {
    let (nX, nY, tokens) = (x.latentCount, y.latentCount, x.tokens)
    let (mx, my) = (Moments(x), Moments(y))
    let byLatent = x.byLatent()
    var indices = [Int32](repeating: -1, count: nX * k)          // [nX, k]
    var values = [Float](repeating: -.infinity, count: nX * k)   // [nX, k]
    indices.withUnsafeMutableBufferPointer { ib in
      values.withUnsafeMutableBufferPointer { vb in
        let (ip, vp) = (UnsafeSendable(ib.baseAddress!), UnsafeSendable(vb.baseAddress!))
        Parallel.chunks(nX) { range in
          var products = [Double](repeating: 0, count: nY)   // Σ x_i y_j over co-firing tokens, [nY]
          var seen = [Bool](repeating: false, count: nY)     // [nY]
          var touched: [Int] = []
          for i in range where mx.firings[i] >= minimumFirings {
            let spreadI = mx.spread(i, tokens: tokens)
            guard spreadI > 0 else { continue }
            for e in byLatent.start[i] ..< byLatent.start[i + 1] {
              let t = Int(byLatent.tokens[e])
              let v = Double(byLatent.values[e])
              for f in y.rowStart[t] ..< y.rowStart[t + 1] {
                let j = Int(y.latents[f])
                guard j >= 0, j < nY, y.values[f] != 0 else { continue }
                if !seen[j] { seen[j] = true; touched.append(j) }
                products[j] += v * Double(y.values[f])
              }
            }
            touched.sort()
            for j in touched {
              defer { products[j] = 0; seen[j] = false }
              guard my.firings[j] >= minimumFirings else { continue }
              let spreadJ = my.spread(j, tokens: tokens)
              guard spreadJ > 0 else { continue }
              let r = (Double(tokens) * products[j] - mx.sum[i] * my.sum[j]) / (spreadI * spreadJ).squareRoot()
              guard r > 0 else { continue }
              CandidateSearch.insert(Float(min(r, 1)), Int32(j), into: ip.value + i * k, vp.value + i * k, k)
            }
            touched.removeAll(keepingCapacity: true)
          }
        }
      }
    }
    return (indices, values)
  }
}
