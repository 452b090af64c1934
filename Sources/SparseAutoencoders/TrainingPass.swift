import TensorMath

// One forward and backward pass of SAE training on a batch, by hand, in the order the data flows
// (llm.c style). Only the active (token, latent) pairs are touched after the encoder's sgemm:
//
//   forward                                     backward
//   1 xc  = x − b_dec          [B, dIn]          4 ∂x̂_b  = 2 (x̂_b − x_b) / B   (aux: ∂ê_b = 2α (ê_b − e_b) / B)
//   2 pre = xc·W_encᵀ + b_enc  [B, dSAE] sgemm   5 ∂pre_e = W_dec[j_e] · ∂x̂_b   (+ λ‖W_dec_j‖/B for ReLU)
//   3 active entries e = (b, j, v)               6 entries sorted by latent
//   4 x̂_b = b_dec + Σ_e v_e W_dec[j_e]           7 per latent j: ∂W_enc[j] = Σ ∂pre·xc_b, ∂b_enc[j] = Σ ∂pre,
//     aux: ê_b = Σ_a v_a W_dec[j_a],                ∂W_dec[j] = Σ v·∂x̂_b (+ Σ v_a·∂ê_b) (+ λ/B (Σ_b f_bj) W_dec_j/‖W_dec_j‖)
//     e_b = x_b − x̂_b (no gradient through e)     ∂b_dec = Σ_b ∂x̂_b − Σ_b ∂xc_b, with Σ_b ∂xc_b = Σ_j ∂b_enc[j] W_enc[j]
//   loss = mean_b ‖x̂_b − x_b‖² + α mean_b ‖ê_b − e_b‖² (+ λ mean_b Σ_j f_bj ‖W_dec_j‖)
//
// Every reduction runs over fixed chunks in a fixed order, so the result does not depend on the number
// of threads or on scheduling.

/// What a pass optimises besides the reconstruction.
package struct SAEPassOptions: Sendable {
  package var architecture: SAETrainingArchitecture
  package var l1Coefficient: Float      // ReLU: λ in effect this step (after warm-up)
  package var auxK: Int                 // AuxK latents per token (0 = off)
  package var auxCoefficient: Float     // α
  package var thresholdHint: Float?     // BatchTopK: a guess of the batch threshold (speed only, never the result)
  /// Above this fraction of active (token, latent) pairs (ReLU early in training), the products run as dense
  /// sgemms instead of row by row (same maths; AuxK runs are always sparse).
  package var denseAbove: Double = 1.0 / 16

  package init(architecture: SAETrainingArchitecture, l1Coefficient: Float = 0, auxK: Int = 0, auxCoefficient: Float = 0) {
    self.architecture = architecture
    self.l1Coefficient = l1Coefficient
    self.auxK = auxK
    self.auxCoefficient = auxCoefficient
  }
}

/// Scalars a pass measures on its batch.
package struct SAEPassResult: Sendable {
  package var loss = 0.0                 // the objective the gradient belongs to
  package var reconstructionError = 0.0  // mean_b ‖x_b − x̂_b‖²
  package var auxLoss = 0.0              // mean_b ‖ê_b − e_b‖² (before α)
  package var sparsityPenalty = 0.0      // λ mean_b Σ_j f_bj ‖W_dec_j‖
  package var fvu = 0.0                  // Σ‖x − x̂‖² / Σ‖x − batch mean‖²
  package var meanL0 = 0.0               // active latents per token
  package var batchThreshold: Float?     // BatchTopK: the smallest selected activation
  package var auxLatents = 0             // k_aux used (0: no dead latents or AuxK off)
  package var profile = SAETrainingProfile()
}

/// Chunk sizes: fixed, so partitions (and reduction orders) never depend on the core count.
enum PassChunks {
  static let encoderRows = 1024
  static let tokenRows = 64
  static let latents = 64
}

/// Raw pointers of one pass, bundled so @Sendable worker closures can capture them.
struct PassPointers: @unchecked Sendable {
  let encoder, decoder, encoderBias, decoderBias: UnsafePointer<Float>
  let x, xc, pre, gXhat, gEhat, zeros, norms: UnsafeMutablePointer<Float>
  let topIndex: UnsafeMutablePointer<Int32>
  let topValue: UnsafeMutablePointer<Float>
  let auxIndex: UnsafeMutablePointer<Int32>
  let auxValue, auxGradient: UnsafeMutablePointer<Float>
  let rowStart: UnsafeMutablePointer<Int>
  let entryLatent: UnsafeMutablePointer<Int32>
  let entryToken: UnsafeMutablePointer<Int32>
  let entryValue, entryGradient: UnsafeMutablePointer<Float>
  let latentStart, auxLatentStart: UnsafeMutablePointer<Int>
  let latentEntry, auxLatentEntry: UnsafeMutablePointer<Int32>   // token-side entry index
  let deadList: UnsafeMutablePointer<Int32>
  let partialBias: UnsafeMutablePointer<Float>                    // [tokenChunks, dIn]
  let partialLatent: UnsafeMutablePointer<Float>                  // [latentChunks, dIn]
  let partialSum: UnsafeMutablePointer<Double>                    // [tokenChunks, dIn]
  let partialScalars: UnsafeMutablePointer<Double>                // [tokenChunks, 4]
  let gradient: UnsafeMutablePointer<Float>

  /// Sums the token chunks' partials in chunk order: writes the b_dec gradient's token part into
  /// `gDecoderBias` [d] and returns the scalars (squared error, aux squared error, penalty, Σ‖x‖²) and the
  /// batch's total variance Σ‖x − mean‖².
  func reduceTokenChunks(_ tokenChunks: Int, d: Int, batch: Int,
                         gDecoderBias: UnsafeMutablePointer<Float>) -> (scalars: SIMD4<Double>, totalVariance: Double) {
    gDecoderBias.update(repeating: 0, count: d)
    var scalars = SIMD4<Double>()
    var columnSum = [Double](repeating: 0, count: d)
    for c in 0 ..< tokenChunks {
      for i in 0 ..< d {
        gDecoderBias[i] += partialBias[c * d + i]
        columnSum[i] += partialSum[c * d + i]
      }
      for k in 0 ..< 4 { scalars[k] += partialScalars[c * 4 + k] }
    }
    return (scalars, scalars[3] - columnSum.reduce(0) { $0 + $1 * $1 } / Double(batch))
  }
}

package enum SAEPass {
  /// Forward and backward on normalised rows `x` [rows, dIn]. Writes ∂loss/∂parameters (flat layout of
  /// `SAEParameters`, before any projection or clipping) to `gradient`, and how many tokens each latent
  /// fired on to `workspace.fireCount`.
  static func run(
    parameters: UnsafePointer<Float>, dIn d: Int, dSAE n: Int, x: UnsafePointer<Float>, rows B: Int,
    deadLatents: [Int32], options: SAEPassOptions, workspace ws: SAEWorkspace, gradient: UnsafeMutablePointer<Float>
  ) -> SAEPassResult {
    let k = options.architecture.k ?? 0
    let kAux = options.architecture.k == nil ? 0 : min(options.auxK, deadLatents.count)
    let tokenChunks = (B + PassChunks.tokenRows - 1) / PassChunks.tokenRows
    ws.prepare(rows: B, dIn: d, dSAE: n, k: k, kAux: kAux, tokenChunks: tokenChunks)
    for (s, j) in deadLatents.enumerated() { ws.deadList.pointer[s] = j }
    let pointers = {
      PassPointers(
        encoder: parameters, decoder: parameters + n * d, encoderBias: parameters + 2 * n * d,
        decoderBias: parameters + 2 * n * d + n, x: UnsafeMutablePointer(mutating: x), xc: ws.xc.pointer,
        pre: ws.pre.pointer, gXhat: ws.gXhat.pointer, gEhat: ws.gEhat.pointer, zeros: ws.zeros.pointer,
        norms: ws.norms.pointer, topIndex: ws.topIndex.pointer, topValue: ws.topValue.pointer,
        auxIndex: ws.auxIndex.pointer, auxValue: ws.auxValue.pointer, auxGradient: ws.auxGradient.pointer,
        rowStart: ws.rowStart.pointer, entryLatent: ws.entryLatent.pointer,
        entryToken: ws.entryToken.pointer, entryValue: ws.entryValue.pointer,
        entryGradient: ws.entryGradient.pointer, latentStart: ws.latentStart.pointer,
        auxLatentStart: ws.auxLatentStart.pointer, latentEntry: ws.latentEntry.pointer,
        auxLatentEntry: ws.auxLatentEntry.pointer, deadList: ws.deadList.pointer, partialBias: ws.partialBias.pointer,
        partialLatent: ws.partialLatent.pointer,
        partialSum: ws.partialSum.pointer, partialScalars: ws.partialScalars.pointer, gradient: gradient)
    }
    let q = pointers()
    var result = SAEPassResult()
    let architecture = options.architecture

    var clock = SAEPhaseClock()
    // MARK: 1-2. Centre, encode (one sgemm per fixed row chunk), select per row
    Parallel.chunks(B) { range in
      for b in range { for i in 0 ..< d { q.xc[b * d + i] = q.x[b * d + i] - q.decoderBias[i] } }
    }
    let encoderChunks = (B + PassChunks.encoderRows - 1) / PassChunks.encoderRows
    Parallel.forEach(encoderChunks) { c in
      let r0 = c * PassChunks.encoderRows
      let m = min(PassChunks.encoderRows, B - r0)
      BLAS.sgemm(transA: false, transB: true, m: m, n: n, k: d, a: q.xc + r0 * d, lda: d,
                 b: q.encoder, ldb: d, c: q.pre + r0 * n, ldc: n)
      let biasAdded: Bool
      switch architecture {
      case .topK:
        biasAdded = false
        for b in r0 ..< r0 + m {
          Selection.topK(q.pre + b * n, bias: q.encoderBias, n: n, k: k, indices: q.topIndex + b * k,
                         selected: q.topValue + b * k)
        }
      case .batchTopK, .relu:
        biasAdded = true
        for b in r0 ..< r0 + m { Kernels.axpy(1, q.encoderBias, q.pre + b * n, n) }
      }
      if kAux > 0 {
        for b in r0 ..< r0 + m {
          Selection.topK(q.pre + b * n, bias: biasAdded ? UnsafePointer(q.zeros) : q.encoderBias, among: q.deadList,
                         count: deadLatents.count, k: kAux, indices: q.auxIndex + b * kAux,
                         selected: q.auxValue + b * kAux)
        }
      }
    }

    result.profile.encode += clock.lap()
    // MARK: 3. Active entries as token-major CSR
    switch architecture {
    case .topK:
      var e = 0
      q.rowStart[0] = 0
      for b in 0 ..< B {
        for s in 0 ..< k where q.topValue[b * k + s] > 0 {
          q.entryLatent[e] = q.topIndex[b * k + s]
          q.entryToken[e] = Int32(b)
          q.entryValue[e] = q.topValue[b * k + s]
          e += 1
        }
        q.rowStart[b + 1] = e
      }
    case .relu, .batchTopK:
      var minimum: Float = 0
      if case .batchTopK = architecture {
        minimum = Selection.kthLargestPositive(q.pre, count: B * n, rank: k * B, hint: options.thresholdHint)
        if minimum.isFinite { result.batchThreshold = minimum }
      }
      let total = countEntries(q, rows: B, n: n, atLeast: minimum, workspace: ws)
      if kAux == 0, Double(total) > options.denseAbove * Double(B * n) {
        runDense(q, dIn: d, dSAE: n, rows: B, atLeast: minimum, options: options, workspace: ws, result: &result,
                 clock: &clock)
        return result
      }
      fillEntries(q, rows: B, n: n, atLeast: minimum, workspace: ws)
    }
    let p = pointers()  // collecting may have grown the entry buffers
    let entries = p.rowStart[B]
    result.meanL0 = Double(entries) / Double(B)
    result.auxLatents = kAux

    result.profile.entries += clock.lap()
    // MARK: 4-5. Per token: decode, residual, ∂x̂ (summed into ∂b_dec partials), ∂pre of each entry
    let l1 = options.l1Coefficient
    let isReLU: Bool
    if case .relu = architecture { isReLU = true } else { isReLU = false }
    if isReLU {
      Parallel.chunks(n) { range in
        for j in range { p.norms[j] = Kernels.dot(p.decoder + j * d, p.decoder + j * d, d).squareRoot() }
      }
    }
    let scale = 2 / Float(B)
    let auxScale = options.auxCoefficient * scale
    Parallel.forEach(tokenChunks) { c in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * d) { tmp in
        let xhat = tmp.baseAddress!, dv = xhat + d
        let bias = p.partialBias + c * d
        let sum = p.partialSum + c * d
        bias.update(repeating: 0, count: d)
        sum.update(repeating: 0, count: d)
        var squared = 0.0, auxSquared = 0.0, penalty = 0.0, xSquared = 0.0
        for b in c * PassChunks.tokenRows ..< min(B, (c + 1) * PassChunks.tokenRows) {
          let xb = p.x + b * d
          let first = p.rowStart[b], count = p.rowStart[b + 1] - first
          xhat.update(from: p.decoderBias, count: d)
          RowKernels.accumulate(count: count, xhat, d) { t in
            (p.entryValue[first + t], UnsafePointer(p.decoder + Int(p.entryLatent[first + t]) * d))
          }
          for i in 0 ..< d { xhat[i] -= xb[i] }  // xhat now holds r = x̂ − x
          squared += Double(Kernels.dot(xhat, xhat, d))
          let g = p.gXhat + b * d
          for i in 0 ..< d { g[i] = scale * xhat[i] }
          rowDots(count: count, g, d, into: p.entryGradient + first) { t in
            UnsafePointer(p.decoder + Int(p.entryLatent[first + t]) * d)
          }
          if isReLU {
            for e in first ..< first + count {
              let j = Int(p.entryLatent[e])
              p.entryGradient[e] += l1 / Float(B) * p.norms[j]
              penalty += Double(p.entryValue[e] * p.norms[j])
            }
          }
          if kAux > 0 {
            dv.update(from: xhat, count: d)  // ê − e = ê + r
            let firstAux = b * kAux
            RowKernels.accumulate(count: kAux, dv, d) { t in
              (p.auxValue[firstAux + t], UnsafePointer(p.decoder + Int(p.auxIndex[firstAux + t]) * d))
            }
            auxSquared += Double(Kernels.dot(dv, dv, d))
            let ge = p.gEhat + b * d
            for i in 0 ..< d { ge[i] = auxScale * dv[i] }
            rowDots(count: kAux, ge, d, into: p.auxGradient + firstAux) { t in
              UnsafePointer(p.decoder + Int(p.auxIndex[firstAux + t]) * d)
            }
          }
          for i in 0 ..< d {
            bias[i] += g[i]
            sum[i] += Double(xb[i])
          }
          xSquared += Double(Kernels.dot(xb, xb, d))
        }
        let s = p.partialScalars + c * 4
        s[0] = squared
        s[1] = auxSquared
        s[2] = penalty
        s[3] = xSquared
      }
    }
    let gDecoderBias = gradient + 2 * n * d + n
    let (sums, total) = p.reduceTokenChunks(tokenChunks, d: d, batch: B, gDecoderBias: gDecoderBias)
    let (squared, auxSquared, penalty) = (sums[0], sums[1], sums[2])
    result.reconstructionError = squared / Double(B)
    result.auxLoss = kAux > 0 ? auxSquared / Double(B) : 0
    result.sparsityPenalty = Double(l1) * penalty / Double(B)
    result.loss = result.reconstructionError + Double(options.auxCoefficient) * result.auxLoss + result.sparsityPenalty
    result.fvu = total > 0 ? squared / total : 0

    result.profile.tokens += clock.lap()
    // MARK: 6. Entries sorted by latent (counting sort, token order kept)
    sortByLatent(count: entries, latentOf: { Int(p.entryLatent[$0]) }, n: n, start: p.latentStart,
                 order: p.latentEntry, fireCount: ws.fireCount.pointer)
    if kAux > 0 {
      sortByLatent(count: B * kAux, latentOf: { Int(p.auxIndex[$0]) }, n: n, start: p.auxLatentStart,
                   order: p.auxLatentEntry, fireCount: nil)
    }

    result.profile.sort += clock.lap()
    // MARK: 7. Per latent: gradient rows of W_enc, W_dec and b_enc
    let latentChunks = (n + PassChunks.latents - 1) / PassChunks.latents
    Parallel.forEach(latentChunks) { c in
      let partial = p.partialLatent + c * d
      partial.update(repeating: 0, count: d)
      for j in c * PassChunks.latents ..< min(n, (c + 1) * PassChunks.latents) {
        let ge = p.gradient + j * d
        let gd = p.gradient + n * d + j * d
        ge.update(repeating: 0, count: d)
        gd.update(repeating: 0, count: d)
        var gb: Float = 0
        var valueSum: Float = 0
        let first = p.latentStart[j], count = p.latentStart[j + 1] - first
        RowKernels.accumulate(count: count, ge, d) { t in
          let e = Int(p.latentEntry[first + t])
          return (p.entryGradient[e], UnsafePointer(p.xc + Int(p.entryToken[e]) * d))
        }
        RowKernels.accumulate(count: count, gd, d) { t in
          let e = Int(p.latentEntry[first + t])
          return (p.entryValue[e], UnsafePointer(p.gXhat + Int(p.entryToken[e]) * d))
        }
        for t in first ..< first + count {
          let e = Int(p.latentEntry[t])
          gb += p.entryGradient[e]
          valueSum += p.entryValue[e]
        }
        if kAux > 0 {
          let firstAux = p.auxLatentStart[j], auxCount = p.auxLatentStart[j + 1] - firstAux
          RowKernels.accumulate(count: auxCount, ge, d) { t in
            let a = Int(p.auxLatentEntry[firstAux + t])
            return (p.auxGradient[a], UnsafePointer(p.xc + a / kAux * d))
          }
          RowKernels.accumulate(count: auxCount, gd, d) { t in
            let a = Int(p.auxLatentEntry[firstAux + t])
            return (p.auxValue[a], UnsafePointer(p.gEhat + a / kAux * d))
          }
          for t in firstAux ..< firstAux + auxCount { gb += p.auxGradient[Int(p.auxLatentEntry[t])] }
        }
        if isReLU, p.norms[j] > 0, valueSum != 0 {
          Kernels.axpy(l1 / Float(B) * valueSum / p.norms[j], p.decoder + j * d, gd, d)
        }
        p.gradient[2 * n * d + j] = gb
        if gb != 0 { Kernels.axpy(gb, p.encoder + j * d, partial, d) }
      }
    }
    for c in 0 ..< latentChunks {
      for i in 0 ..< d { gDecoderBias[i] -= p.partialLatent[c * d + i] }
    }
    result.profile.latents += clock.lap()
    return result
  }

  /// Entries are the (token, latent) pairs with pre > 0 and pre ≥ `minimum` (bias already added to `pre`).
  /// Counting and filling both test the sign bit of f − pre with f = nextDown(max(minimum, least positive)),
  /// so they agree on every value; the count is vectorised and the fill looks closer only at groups with a hit.
  static func entryFilter(_ minimum: Float) -> Float { max(minimum, .leastNonzeroMagnitude).nextDown }

  /// Entries per row into `rowCount` and `rowStart`; returns the total.
  private static func countEntries(_ p: PassPointers, rows B: Int, n: Int, atLeast minimum: Float,
                                   workspace ws: SAEWorkspace) -> Int {
    let f = entryFilter(minimum)
    let counts = UnsafeSendable(ws.rowCount.pointer)
    Parallel.chunks(B) { range in
      let fv = SIMD8<Float>(repeating: f)
      for b in range {
        let row = UnsafeRawPointer(p.pre + b * n)
        var lanes = SIMD8<UInt32>()
        var j = 0
        while j + 8 <= n {
          lanes &+= unsafeBitCast(fv - row.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self), to: SIMD8<UInt32>.self) &>> 31
          j += 8
        }
        var c = Int(lanes.wrappedSum())
        while j < n {
          c &+= (f - p.pre[b * n + j]).sign == .minus ? 1 : 0
          j += 1
        }
        counts.value[b] = c
      }
    }
    p.rowStart[0] = 0
    for b in 0 ..< B { p.rowStart[b + 1] = p.rowStart[b] + counts.value[b] }
    return p.rowStart[B]
  }

  /// Token-major CSR of the entries counted by `countEntries`.
  private static func fillEntries(_ p: PassPointers, rows B: Int, n: Int, atLeast minimum: Float,
                                  workspace ws: SAEWorkspace) {
    let f = entryFilter(minimum)
    ws.reserveEntries(p.rowStart[B])
    let latent = UnsafeSendable(ws.entryLatent.pointer), value = UnsafeSendable(ws.entryValue.pointer)
    let token = UnsafeSendable(ws.entryToken.pointer)
    Parallel.chunks(B) { range in
      for b in range {
        var e = p.rowStart[b]
        let row = p.pre + b * n
        let raw = UnsafeRawPointer(row)
        var j = 0
        while j < n {
          let group = min(16, n - j)
          if group == 16 {
            let v0 = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            let v1 = raw.loadUnaligned(fromByteOffset: j * 4 + 32, as: SIMD8<Float>.self)
            if !Selection.anyAbove(f, v0, v1) {
              j += 16
              continue
            }
          }
          // Branchy on purpose: a branch-free write past the row's last entry would land in the next
          // row's first slot, which another worker may own.
          for lane in j ..< j + group where (f - row[lane]).sign == .minus {
            latent.value[e] = Int32(lane)
            value.value[e] = row[lane]
            token.value[e] = Int32(b)
            e += 1
          }
          j += group
        }
      }
    }
  }

  /// Counting sort of entries 0 ..< count by latent: `start` [n + 1], `order` [count] (entry indices, in
  /// increasing entry order within a latent).
  private static func sortByLatent(count: Int, latentOf: (Int) -> Int, n: Int, start: UnsafeMutablePointer<Int>,
                                   order: UnsafeMutablePointer<Int32>, fireCount: UnsafeMutablePointer<Int>?) {
    start.update(repeating: 0, count: n + 1)
    for e in 0 ..< count { start[latentOf(e) + 1] += 1 }
    if let fireCount { for j in 0 ..< n { fireCount[j] = start[j + 1] } }
    for j in 0 ..< n { start[j + 1] += start[j] }
    withUnsafeTemporaryAllocation(of: Int.self, capacity: n) { next in
      for j in 0 ..< n { next[j] = start[j] }
      for e in 0 ..< count {
        let j = latentOf(e)
        order[next[j]] = Int32(e)
        next[j] += 1
      }
    }
  }

  /// out[t] = row(t) · g for t in 0 ..< count, four rows per pass.
  @inline(__always)
  private static func rowDots(count: Int, _ g: UnsafePointer<Float>, _ d: Int, into out: UnsafeMutablePointer<Float>,
                              _ row: (Int) -> UnsafePointer<Float>) {
    var t = 0
    while t + 4 <= count {
      let dots = RowKernels.dot4(row(t), row(t + 1), row(t + 2), row(t + 3), g, d)
      for q in 0 ..< 4 { out[t + q] = dots[q] }
      t += 4
    }
    while t < count {
      out[t] = Kernels.dot(row(t), g, d)
      t += 1
    }
  }
}
