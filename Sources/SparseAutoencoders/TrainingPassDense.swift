import TensorMath

// The same forward and backward as `SAEPass.run`, with the products as dense sgemms, for batches where a
// large fraction of (token, latent) pairs is active (ReLU SAEs early in training: about half of them).
// Row by row costs grow with the entry count; these cost five encoder-sized sgemms whatever the density.
//
//   F     = pre ⊙ [pre passes]                 [B, dSAE]  (in place in `pre`)
//   x̂     = F·W_dec + b_dec                    [B, dIn]   sgemm
//   ∂x̂    = 2 (x̂ − x) / B                      [B, dIn]
//   ∂pre  = (∂x̂·W_decᵀ + λ/B ‖W_dec_j‖) ⊙ [F > 0]   [B, dSAE]  sgemm
//   ∂W_enc = ∂preᵀ·xc,  ∂W_dec = Fᵀ·∂x̂ (+ λ/B (Σ_b F_bj) W_dec_j / ‖W_dec_j‖)   [dSAE, dIn]  sgemm per latent block
//   ∂b_enc = Σ_b ∂pre,  ∂b_dec = Σ_b ∂x̂ − Σ_j ∂b_enc[j] W_enc[j]
//
// Every sgemm is split over fixed blocks of its output rows (never over the summed dimension), so results
// do not depend on the number of threads.

extension SAEPass {
  static let denseLatentBlock = 256

  static func runDense(
    _ p: PassPointers, dIn d: Int, dSAE n: Int, rows B: Int, atLeast minimum: Float, options: SAEPassOptions,
    workspace ws: SAEWorkspace, result: inout SAEPassResult, clock: inout SAEPhaseClock
  ) {
    let f = entryFilter(minimum)
    let rowChunks = (B + PassChunks.encoderRows - 1) / PassChunks.encoderRows
    ws.gradPre.reserve(B * n)
    ws.columnCount.reserve(rowChunks * n)
    ws.columnSum.reserve(rowChunks * n)
    ws.columnGradient.reserve(rowChunks * n)
    ws.rowChunkScalars.reserve(rowChunks)
    let dPre = UnsafeSendable(ws.gradPre.pointer)
    let counts = UnsafeSendable(ws.columnCount.pointer), sums = UnsafeSendable(ws.columnSum.pointer)
    let columnGradient = UnsafeSendable(ws.columnGradient.pointer), penalties = UnsafeSendable(ws.rowChunkScalars.pointer)
    ws.columnTotal.reserve(n)
    let valueSums = UnsafeSendable(ws.columnTotal.pointer)  // Σ_b F_bj, for the L1 term of ∂W_dec
    let l1 = options.l1Coefficient
    let isReLU: Bool
    if case .relu = options.architecture { isReLU = true } else { isReLU = false }
    if isReLU {
      Parallel.chunks(n) { range in
        for j in range { p.norms[j] = Kernels.dot(p.decoder + j * d, p.decoder + j * d, d).squareRoot() }
      }
    }

    // F in place, per-chunk column counts and sums; then x̂ = F·W_dec + b_dec.
    Parallel.forEach(rowChunks) { c in
      let r0 = c * PassChunks.encoderRows, m = min(PassChunks.encoderRows, B - r0)
      let count = counts.value + c * n, sum = sums.value + c * n
      count.update(repeating: 0, count: n)
      sum.update(repeating: 0, count: n)
      for b in r0 ..< r0 + m {
        let row = p.pre + b * n
        for j in 0 ..< n {
          let passes = (f - row[j]).sign == .minus
          let v = passes ? row[j] : 0
          row[j] = v
          count[j] &+= passes ? 1 : 0
          sum[j] += v
        }
      }
      BLAS.sgemm(transA: false, transB: false, m: m, n: d, k: n, a: p.pre + r0 * n, lda: n, b: p.decoder, ldb: d,
                 c: p.gXhat + r0 * d, ldc: d)
    }
    var entries = 0
    for j in 0 ..< n {
      var count = 0
      var sum: Float = 0
      for c in 0 ..< rowChunks {
        count += Int(counts.value[c * n + j])
        sum += sums.value[c * n + j]
      }
      ws.fireCount.pointer[j] = count
      valueSums.value[j] = sum
      entries += count
    }
    result.meanL0 = Double(entries) / Double(B)
    result.profile.entries += clock.lap()

    // Residuals and ∂x̂ (in place of x̂), per fixed token chunk.
    let scale = 2 / Float(B)
    let tokenChunks = (B + PassChunks.tokenRows - 1) / PassChunks.tokenRows
    Parallel.forEach(tokenChunks) { c in
      let bias = p.partialBias + c * d, sum = p.partialSum + c * d
      bias.update(repeating: 0, count: d)
      sum.update(repeating: 0, count: d)
      var squared = 0.0, xSquared = 0.0
      for b in c * PassChunks.tokenRows ..< min(B, (c + 1) * PassChunks.tokenRows) {
        let g = p.gXhat + b * d, xb = p.x + b * d
        for i in 0 ..< d { g[i] += p.decoderBias[i] - xb[i] }  // r = x̂ − x
        squared += Double(Kernels.dot(g, g, d))
        for i in 0 ..< d {
          g[i] *= scale
          bias[i] += g[i]
          sum[i] += Double(xb[i])
        }
        xSquared += Double(Kernels.dot(xb, xb, d))
      }
      let s = p.partialScalars + c * 4
      s[0] = squared
      s[1] = 0
      s[2] = 0
      s[3] = xSquared
    }

    // ∂pre = (∂x̂·W_decᵀ + λ/B‖W_dec_j‖) on active pairs; its column sums are ∂b_enc.
    Parallel.forEach(rowChunks) { c in
      let r0 = c * PassChunks.encoderRows, m = min(PassChunks.encoderRows, B - r0)
      BLAS.sgemm(transA: false, transB: true, m: m, n: n, k: d, a: p.gXhat + r0 * d, lda: d, b: p.decoder, ldb: d,
                 c: dPre.value + r0 * n, ldc: n)
      let column = columnGradient.value + c * n
      column.update(repeating: 0, count: n)
      var penalty = 0.0
      for b in r0 ..< r0 + m {
        let g = dPre.value + b * n, fRow = p.pre + b * n
        for j in 0 ..< n {
          let active = fRow[j] > 0
          var v = active ? g[j] : 0
          if isReLU, active {
            v += l1 / Float(B) * p.norms[j]
            penalty += Double(fRow[j] * p.norms[j])
          }
          g[j] = v
          column[j] += v
        }
      }
      penalties.value[c] = penalty
    }
    var penalty = 0.0
    for c in 0 ..< rowChunks { penalty += penalties.value[c] }
    for j in 0 ..< n {
      var g: Float = 0
      for c in 0 ..< rowChunks { g += columnGradient.value[c * n + j] }
      p.gradient[2 * n * d + j] = g
    }
    result.profile.tokens += clock.lap()

    // ∂W_enc = ∂preᵀ·xc and ∂W_dec = Fᵀ·∂x̂, per fixed block of latents; ∂b_dec's encoder term per block.
    let blocks = (n + denseLatentBlock - 1) / denseLatentBlock
    Parallel.forEach(blocks) { c in
      let j0 = c * denseLatentBlock, m = min(denseLatentBlock, n - j0)
      BLAS.sgemm(transA: true, transB: false, m: m, n: d, k: B, a: dPre.value + j0, lda: n, b: p.xc, ldb: d,
                 c: p.gradient + j0 * d, ldc: d)
      BLAS.sgemm(transA: true, transB: false, m: m, n: d, k: B, a: p.pre + j0, lda: n, b: p.gXhat, ldb: d,
                 c: p.gradient + n * d + j0 * d, ldc: d)
      let partial = p.partialLatent + c * d
      partial.update(repeating: 0, count: d)
      for j in j0 ..< j0 + m {
        if isReLU, p.norms[j] > 0, valueSums.value[j] != 0 {
          Kernels.axpy(l1 / Float(B) * valueSums.value[j] / p.norms[j], p.decoder + j * d, p.gradient + n * d + j * d, d)
        }
        let gb = p.gradient[2 * n * d + j]
        if gb != 0 { Kernels.axpy(gb, p.encoder + j * d, partial, d) }
      }
    }
    let gDecoderBias = p.gradient + 2 * n * d + n
    let (reduced, total) = p.reduceTokenChunks(tokenChunks, d: d, batch: B, gDecoderBias: gDecoderBias)
    let squared = reduced[0]
    for c in 0 ..< blocks { for i in 0 ..< d { gDecoderBias[i] -= p.partialLatent[c * d + i] } }
    result.reconstructionError = squared / Double(B)
    result.sparsityPenalty = Double(l1) * penalty / Double(B)
    result.loss = result.reconstructionError + result.sparsityPenalty
    result.fvu = total > 0 ? squared / total : 0
    result.profile.latents += clock.lap()
  }
}
