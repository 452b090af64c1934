import TensorMath

/// Sparse latent activations, token-major (the layout of the SAE module's `SparseCodes`).
public struct TokenCodes: Sendable {
  public var latentCount: Int
  public var rowStart: [Int]     // [tokens + 1]
  public var latents: [Int32]    // [nnz]
  public var values: [Float]     // [nnz]
  public init(latentCount: Int, rowStart: [Int], latents: [Int32], values: [Float]) {
    self.latentCount = latentCount; self.rowStart = rowStart; self.latents = latents; self.values = values
  }
  public var tokens: Int { rowStart.count - 1 }

  /// The same entries latent-major: for latent j, (token, value) pairs at start[j] ..< start[j + 1].
  func byLatent() -> (start: [Int], tokens: [Int32], values: [Float]) {
    var count = [Int](repeating: 0, count: latentCount + 1)
    for l in latents where Int(l) < latentCount && l >= 0 { count[Int(l) + 1] += 1 }
    for j in 0 ..< latentCount { count[j + 1] += count[j] }
    var cursor = count
    var tokensOut = [Int32](repeating: 0, count: count[latentCount])
    var valuesOut = [Float](repeating: 0, count: count[latentCount])
    for t in 0 ..< tokens {
      for e in rowStart[t] ..< rowStart[t + 1] {
        let l = Int(latents[e])
        guard l >= 0, l < latentCount else { continue }
        tokensOut[cursor[l]] = Int32(t)
        valuesOut[cursor[l]] = values[e]
        cursor[l] += 1
      }
    }
    return (count, tokensOut, valuesOut)
  }
}

/// Held-out activations with both SAEs' codes on them, and A's reconstruction.
public struct SubstitutionInput: Sendable {
  public var activations: Matrix        // [tokens, dModel]
  public var reconstructionA: Matrix    // [tokens, dModel]  A's SAE output on `activations`
  public var codesA: TokenCodes         // A's latents on `activations`
  public var codesB: TokenCodes         // B's latents on the same rows
  public init(activations: Matrix, reconstructionA: Matrix, codesA: TokenCodes, codesB: TokenCodes) {
    self.activations = activations; self.reconstructionA = reconstructionA; self.codesA = codesA; self.codesB = codesB
  }
}

/// The functional check: put B's latent j in place of A's latent i inside A's reconstruction and measure
/// the change in FVU. With error e = x − x̂ and u = z_i d_i − z'_j d'_j, the new squared error is
/// ‖e + u‖² = ‖e‖² + 2 e·u + ‖u‖², and u is non-zero only on tokens where either latent fires, so each
/// pair costs two short dot-product runs instead of a new reconstruction.
public enum Substitution {
  public struct Result: Sendable, Equatable {
    public var baselineFVU: Double
    public var deltas: [Double]         // [pairs] FVU(substituted) − FVU(A)
    public var ablations: [Double]      // [pairs] FVU(A without latent i) − FVU(A)
  }

  /// `decoderA` [nA, d] and `decoderB` [nB, d] are the raw decoder rows (not normalised).
  public static func evaluate(pairs: [(a: Int, b: Int)], decoderA: Matrix, decoderB: Matrix, input: SubstitutionInput) -> Result {
    let x = input.activations, r = input.reconstructionA
    let (t, d) = (x.rows, x.columns)
    var error = [Float](repeating: 0, count: t * d)    // [tokens, d]
    var mean = [Double](repeating: 0, count: d)
    for i in 0 ..< t * d { error[i] = x.storage[i] - r.storage[i] }
    for row in 0 ..< t { for c in 0 ..< d { mean[c] += Double(x.storage[row * d + c]) } }
    for c in 0 ..< d { mean[c] /= Double(max(t, 1)) }
    var total = 0.0, residual = 0.0
    for row in 0 ..< t {
      for c in 0 ..< d {
        let v = Double(x.storage[row * d + c]) - mean[c]
        total += v * v
        residual += Double(error[row * d + c]) * Double(error[row * d + c])
      }
    }
    let denominator = max(total, .leastNormalMagnitude)
    let la = input.codesA.byLatent(), lb = input.codesB.byLatent()
    let out = ResultSlots<(Double, Double)>(count: pairs.count)
    error.withUnsafeBufferPointer { ep in
      decoderA.storage.withUnsafeBufferPointer { da in
        decoderB.storage.withUnsafeBufferPointer { db in
          let (e, pa, pb) = (UnsafeSendable(ep.baseAddress!), UnsafeSendable(da.baseAddress!), UnsafeSendable(db.baseAddress!))
          Parallel.chunks(pairs.count) { range in
            for p in range {
              let (i, j) = pairs[p]
              let dA = pa.value + i * d, dB = pb.value + j * d
              var dAdB: Float = 0, dAdA: Float = 0, dBdB: Float = 0
              for c in 0 ..< d { dAdB += dA[c] * dB[c]; dAdA += dA[c] * dA[c]; dBdB += dB[c] * dB[c] }
              // Merge the two token lists (both ascending).
              var (u, v) = (la.start[i], lb.start[j])
              let (uEnd, vEnd) = (la.start[i + 1], lb.start[j + 1])
              var change = 0.0, ablation = 0.0
              while u < uEnd || v < vEnd {
                let tu = u < uEnd ? Int(la.tokens[u]) : Int.max, tv = v < vEnd ? Int(lb.tokens[v]) : Int.max
                let token = min(tu, tv)
                let zA = tu == token ? la.values[u] : 0
                let zB = tv == token ? lb.values[v] : 0
                if tu == token { u += 1 }
                if tv == token { v += 1 }
                let row = e.value + token * d
                var eA: Float = 0, eB: Float = 0
                for c in 0 ..< d { eA += row[c] * dA[c]; eB += row[c] * dB[c] }
                let (a, b) = (Double(zA), Double(zB))
                // u = zA dA − zB dB
                let uu = a * a * Double(dAdA) + b * b * Double(dBdB) - 2 * a * b * Double(dAdB)
                change += 2 * (a * Double(eA) - b * Double(eB)) + uu
                ablation += 2 * a * Double(eA) + a * a * Double(dAdA)
              }
              out.set(p, (change / denominator, ablation / denominator))
            }
          }
        }
      }
    }
    let values = out.values
    return Result(baselineFVU: residual / denominator, deltas: values.map { $0.0 }, ablations: values.map { $0.1 })
  }
}
