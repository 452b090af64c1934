/// Scratch memory of the training pass, allocated once per trainer and grown on demand. Holds no state that
/// outlives a step (a checkpoint never needs it).
final class SAEWorkspace: @unchecked Sendable {
  let x = Scratch<Float>(1, zero: 0)              // [B, dIn] normalised batch
  let xc = Scratch<Float>(1, zero: 0)             // [B, dIn] x − b_dec
  let pre = Scratch<Float>(1, zero: 0)            // [B, dSAE] encoder output
  let gXhat = Scratch<Float>(1, zero: 0)          // [B, dIn] ∂loss/∂x̂
  let gEhat = Scratch<Float>(1, zero: 0)          // [B, dIn] ∂loss/∂ê (AuxK)
  let zeros = Scratch<Float>(1, zero: 0)          // [dSAE] zero bias
  let norms = Scratch<Float>(1, zero: 0)          // [dSAE] decoder row norms (ReLU)
  let topIndex = Scratch<Int32>(1, zero: 0)       // [B, k]
  let topValue = Scratch<Float>(1, zero: 0)       // [B, k]
  let auxIndex = Scratch<Int32>(1, zero: 0)       // [B, kAux]
  let auxValue = Scratch<Float>(1, zero: 0)       // [B, kAux]
  let auxGradient = Scratch<Float>(1, zero: 0)    // [B, kAux] ∂loss/∂pre of aux entries
  let rowCount = Scratch<Int>(1, zero: 0)         // [B]
  let rowStart = Scratch<Int>(1, zero: 0)         // [B + 1]
  let entryLatent = Scratch<Int32>(1, zero: 0)    // [nnz]
  let entryToken = Scratch<Int32>(1, zero: 0)     // [nnz] row of each entry
  let entryValue = Scratch<Float>(1, zero: 0)     // [nnz]
  let entryGradient = Scratch<Float>(1, zero: 0)  // [nnz] ∂loss/∂pre
  let latentStart = Scratch<Int>(1, zero: 0)      // [dSAE + 1]
  let latentEntry = Scratch<Int32>(1, zero: 0)    // [nnz]
  let auxLatentStart = Scratch<Int>(1, zero: 0)   // [dSAE + 1]
  let auxLatentEntry = Scratch<Int32>(1, zero: 0) // [B * kAux]
  let deadList = Scratch<Int32>(1, zero: 0)       // [dSAE]
  let fireCount = Scratch<Int>(1, zero: 0)        // [dSAE] tokens each latent fired on, this pass
  let partialBias = Scratch<Float>(1, zero: 0)    // [tokenChunks, dIn]
  let partialSum = Scratch<Double>(1, zero: 0)    // [tokenChunks, dIn]
  let partialScalars = Scratch<Double>(1, zero: 0) // [tokenChunks, 4]
  let partialLatent = Scratch<Float>(1, zero: 0)  // [latentChunks, dIn]
  let gradient = Scratch<Float>(1, zero: 0)       // [parameter count]
  // Dense path only (grown on first use):
  let gradPre = Scratch<Float>(1, zero: 0)        // [B, dSAE] ∂loss/∂pre
  let columnCount = Scratch<Int32>(1, zero: 0)    // [rowChunks, dSAE] active pairs per latent
  let columnSum = Scratch<Float>(1, zero: 0)      // [rowChunks, dSAE] Σ F per latent
  let columnGradient = Scratch<Float>(1, zero: 0) // [rowChunks, dSAE] Σ ∂pre per latent
  let rowChunkScalars = Scratch<Double>(1, zero: 0) // [rowChunks]
  let columnTotal = Scratch<Float>(1, zero: 0)    // [dSAE] Σ_b F_bj

  func prepare(rows B: Int, dIn d: Int, dSAE n: Int, k: Int, kAux: Int, tokenChunks: Int) {
    for buffer in [x, xc, gXhat, gEhat] { buffer.reserve(B * d) }
    pre.reserve(B * n)
    zeros.reserve(n)
    zeros.pointer.update(repeating: 0, count: n)
    norms.reserve(n)
    topIndex.reserve(B * k)
    topValue.reserve(B * k)
    auxIndex.reserve(B * kAux)
    auxValue.reserve(B * kAux)
    auxGradient.reserve(B * kAux)
    rowCount.reserve(B)
    rowStart.reserve(B + 1)
    reserveEntries(B * k)
    latentStart.reserve(n + 1)
    auxLatentStart.reserve(n + 1)
    auxLatentEntry.reserve(B * kAux)
    deadList.reserve(n)
    fireCount.reserve(n)
    partialBias.reserve(tokenChunks * d)
    partialSum.reserve(tokenChunks * d)
    partialScalars.reserve(tokenChunks * 4)
    partialLatent.reserve((n + PassChunks.latents - 1) / PassChunks.latents * d)
    gradient.reserve(SAEParameters.count(dIn: d, dSAE: n))
  }

  func reserveEntries(_ count: Int) {
    entryLatent.reserve(count)
    entryToken.reserve(count)
    entryValue.reserve(count)
    entryGradient.reserve(count)
    latentEntry.reserve(count)
  }
}
