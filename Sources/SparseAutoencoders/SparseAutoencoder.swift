import TensorMath

/// A sparse autoencoder ready for inference: x ↦ f(x) (sparse latents) ↦ x̂.
///
/// Inputs are activations in the model's own units. Encoders are stored with one row per latent (the
/// transpose of SAELens `W_enc`), so the encoder is one `sgemm` and gradients and folds touch contiguous rows.
///
///     pre = (x − b_dec · subtractDecoderBias) · encoderᵀ + encoderBias      [n, dSAE]
///     f   = activation(pre)                                                 [n, dSAE], sparse
///     x̂   = f · decoder + decoderBias                                       [n, dIn]
public struct SparseAutoencoder: Sendable, Equatable {
  public var activation: SAEActivation
  public var encoder: Matrix                 // [dSAE, dIn]  row j = latent j's encoder direction (SAELens W_encᵀ)
  public var encoderBias: [Float]            // [dSAE]       b_enc (gated: b_mag)
  public var decoder: Matrix                 // [dSAE, dIn]  row j = latent j's output direction (SAELens W_dec)
  public var decoderBias: [Float]            // [dIn]        b_dec
  public var subtractDecoderBias: Bool       // SAELens apply_b_dec_to_input

  public init(activation: SAEActivation, encoder: Matrix, encoderBias: [Float], decoder: Matrix,
              decoderBias: [Float], subtractDecoderBias: Bool = true) {
    precondition(encoder.rows == decoder.rows && encoder.columns == decoder.columns,
                 "encoder \(encoder) and decoder \(decoder) must both be [dSAE, dIn]")
    precondition(encoderBias.count == decoder.rows && decoderBias.count == decoder.columns, "bias sizes")
    switch activation {
    case .topK(let k): precondition(k >= 1 && k <= decoder.rows, "k = \(k) outside 1...\(decoder.rows)")
    case .relu: break
    case .jumpReLU(let threshold): precondition(threshold.count == decoder.rows, "threshold size")
    case .gated(let gate, let scale): precondition(gate.count == decoder.rows && scale.count == decoder.rows, "gated sizes")
    }
    self.activation = activation
    self.encoder = encoder
    self.encoderBias = encoderBias
    self.decoder = decoder
    self.decoderBias = decoderBias
    self.subtractDecoderBias = subtractDecoderBias
  }

  public var dIn: Int { decoder.columns }
  public var dSAE: Int { decoder.rows }

  /// ‖decoder row j‖ for every latent.
  public var decoderNorms: [Float] {
    decoder.storage.withUnsafeBufferPointer { d in
      (0 ..< dSAE).map { j in Kernels.dot(d.baseAddress! + j * dIn, d.baseAddress! + j * dIn, dIn).squareRoot() }
    }
  }

  // MARK: - Encode

  /// Rows per block: the block's pre-activations [rows, dSAE] stay near 16 MB whatever the width (the
  /// encoder is repacked by each block's sgemm, so blocks should not be small either).
  var encodeBlockRows: Int { max(1, min(1024, 4_000_000 / max(1, dSAE))) }

  /// Latent activations of every row of `x` [n, dIn].
  public func encode(_ x: Matrix) -> SparseCodes {
    precondition(x.columns == dIn, "encode: input has \(x.columns) columns, the SAE reads \(dIn)")
    let blockRows = encodeBlockRows
    let blocks = (x.rows + blockRows - 1) / blockRows
    let results = ResultSlots<SparseCodes>(count: blocks)
    let sae = self
    Parallel.forEach(blocks) { b in
      let rows = b * blockRows ..< min(x.rows, (b + 1) * blockRows)
      results.set(b, sae.encodeBlock(x, rows: rows))
    }
    return SparseCodes.concatenating(results.values, latentCount: dSAE)
  }

  /// One block: centre, one sgemm, then the activation row by row.
  private func encodeBlock(_ x: Matrix, rows: Range<Int>) -> SparseCodes {
    let m = rows.count, n = dSAE, d = dIn
    var centred = [Float](repeating: 0, count: m * d)
    var pre = [Float](repeating: 0, count: m * n)
    var rowStart = [0]
    var latents: [Int32] = []
    var values: [Float] = []
    x.storage.withUnsafeBufferPointer { xs in
      for r in 0 ..< m {
        for i in 0 ..< d {
          centred[r * d + i] = xs[(rows.lowerBound + r) * d + i] - (subtractDecoderBias ? decoderBias[i] : 0)
        }
      }
    }
    centred.withUnsafeBufferPointer { c in
      encoder.storage.withUnsafeBufferPointer { e in
        pre.withUnsafeMutableBufferPointer { p in
          BLAS.sgemm(transA: false, transB: true, m: m, n: n, k: d, a: c.baseAddress!, lda: d,
                     b: e.baseAddress!, ldb: d, c: p.baseAddress!, ldc: n)
        }
      }
    }
    latents.reserveCapacity(m * max(activationK, 16))
    values.reserveCapacity(m * max(activationK, 16))
    pre.withUnsafeBufferPointer { p in
      encoderBias.withUnsafeBufferPointer { bias in
        let k = max(activationK, 1)
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: k) { scratchIndex in
          withUnsafeTemporaryAllocation(of: Float.self, capacity: k) { scratchValue in
            let si = scratchIndex.baseAddress!, sv = scratchValue.baseAddress!
            for r in 0 ..< m {
              let row = p.baseAddress! + r * n
              switch activation {
              case .topK(let k):
                Selection.topK(row, bias: bias.baseAddress!, n: n, k: k, indices: si, selected: sv)
                SparseAutoencoder.sortByIndex(si, sv, k)
                for s in 0 ..< k where sv[s] > 0 {
                  latents.append(si[s])
                  values.append(sv[s])
                }
              case .relu:
                for j in 0 ..< n where row[j] + bias[j] > 0 {
                  latents.append(Int32(j))
                  values.append(row[j] + bias[j])
                }
              case .jumpReLU(let threshold):
                for j in 0 ..< n {
                  let v = row[j] + bias[j]
                  if v > threshold[j], v > 0 {
                    latents.append(Int32(j))
                    values.append(v)
                  }
                }
              case .gated(let gateBias, let logScale):
                for j in 0 ..< n where row[j] + gateBias[j] > 0 {
                  let magnitude = Elementary.exp(logScale[j]) * row[j] + bias[j]
                  if magnitude > 0 {
                    latents.append(Int32(j))
                    values.append(magnitude)
                  }
                }
              }
              rowStart.append(latents.count)
            }
          }
        }
      }
    }
    return SparseCodes(latentCount: n, rowStart: rowStart, latents: latents, values: values)
  }

  /// Insertion sort of k (index, value) pairs by index (k is small).
  private static func sortByIndex(_ index: UnsafeMutablePointer<Int32>, _ value: UnsafeMutablePointer<Float>, _ k: Int) {
    for i in 1 ..< max(k, 1) {
      let (ki, kv) = (index[i], value[i])
      var j = i - 1
      while j >= 0, index[j] > ki {
        index[j + 1] = index[j]
        value[j + 1] = value[j]
        j -= 1
      }
      index[j + 1] = ki
      value[j + 1] = kv
    }
  }

  private var activationK: Int {
    if case .topK(let k) = activation { return k }
    return 0
  }

  // MARK: - Decode

  /// x̂ [rows, dIn] from latent activations.
  public func decode(_ codes: SparseCodes) -> Matrix {
    precondition(codes.latentCount == dSAE, "decode: codes have \(codes.latentCount) latents, the SAE has \(dSAE)")
    var out = Matrix(rows: codes.rows, columns: dIn)
    let d = dIn
    out.storage.withUnsafeMutableBufferPointer { o in
      decoder.storage.withUnsafeBufferPointer { w in
        decoderBias.withUnsafeBufferPointer { bias in
          let (op, wp, bp) = (UnsafeSendable(o.baseAddress!), UnsafeSendable(w.baseAddress!), UnsafeSendable(bias.baseAddress!))
          Parallel.chunks(codes.rows) { range in
            for r in range {
              let row = op.value + r * d
              row.update(from: bp.value, count: d)
              for e in codes.rowStart[r] ..< codes.rowStart[r + 1] {
                Kernels.axpy(codes.values[e], wp.value + Int(codes.latents[e]) * d, row, d)
              }
            }
          }
        }
      }
    }
    return out
  }

  /// decode(encode(x)).
  public func reconstruct(_ x: Matrix) -> Matrix { decode(encode(x)) }

  // MARK: - Folding decoder norms

  /// An equivalent autoencoder whose decoder rows have unit norm: W_dec_j /= n_j, and the encoder row, b_enc,
  /// thresholds and gate biases are multiplied by n_j (SAELens `fold_W_dec_norm`). Latent values are then in
  /// "units of a unit direction", so steering by a multiple of a latent's max activation means the same
  /// thing for every latent. Exact for ReLU, JumpReLU and gated. For TopK it changes which latents win
  /// (pre-activations are rescaled per latent): that is SAELens' `rescale_acts_by_decoder_norm` semantics,
  /// and exact only when all norms are equal. Rows with zero norm are left as they are.
  public func foldingDecoderNorms() -> SparseAutoencoder {
    var out = self
    let norms = decoderNorms
    let d = dIn
    for j in 0 ..< dSAE where norms[j] > 0 {
      let n = norms[j]
      for i in 0 ..< d {
        out.decoder.storage[j * d + i] /= n
        out.encoder.storage[j * d + i] *= n
      }
      out.encoderBias[j] *= n
    }
    switch activation {
    case .topK, .relu: break
    case .jumpReLU(var threshold):
      for j in 0 ..< dSAE where norms[j] > 0 { threshold[j] *= norms[j] }
      out.activation = .jumpReLU(threshold: threshold)
    case .gated(var gate, let scale):
      for j in 0 ..< dSAE where norms[j] > 0 { gate[j] *= norms[j] }
      out.activation = .gated(gateBias: gate, magnitudeLogScale: scale)
    }
    return out
  }
}
