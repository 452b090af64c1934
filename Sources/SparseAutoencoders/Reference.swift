import TensorMath

/// The slow, obvious versions, in Double with plain loops: the oracles the fast paths are tested against
/// (STYLE §5). Never used on a real run.
package enum SAEReference {
  /// Encoding by definition: every pre-activation, then the activation, latents in increasing order.
  package static func encode(_ sae: SparseAutoencoder, _ x: Matrix) -> SparseCodes {
    let d = sae.dIn, n = sae.dSAE
    var rowStart = [0]
    var latents: [Int32] = []
    var values: [Float] = []
    for r in 0 ..< x.rows {
      var pre = [Double](repeating: 0, count: n)
      for j in 0 ..< n {
        var s = 0.0
        for i in 0 ..< d {
          let centred = Double(x[r, i]) - (sae.subtractDecoderBias ? Double(sae.decoderBias[i]) : 0)
          s += centred * Double(sae.encoder[j, i])
        }
        pre[j] = s
      }
      var active: [(Int, Double)] = []
      switch sae.activation {
      case .topK(let k):
        let withBias = (0 ..< n).map { pre[$0] + Double(sae.encoderBias[$0]) }
        let top = Selection.referenceTopK(withBias.map { Float($0) }, k: k)
        active = top.filter { withBias[$0] > 0 }.map { ($0, withBias[$0]) }
      case .relu:
        active = (0 ..< n).map { ($0, pre[$0] + Double(sae.encoderBias[$0])) }.filter { $0.1 > 0 }
      case .jumpReLU(let threshold):
        active = (0 ..< n).map { ($0, pre[$0] + Double(sae.encoderBias[$0])) }
          .filter { $0.1 > Double(threshold[$0.0]) && $0.1 > 0 }
      case .gated(let gate, let logScale):
        for j in 0 ..< n where pre[j] + Double(gate[j]) > 0 {
          let magnitude = Double(Elementary.exp(logScale[j])) * pre[j] + Double(sae.encoderBias[j])
          if magnitude > 0 { active.append((j, magnitude)) }
        }
      }
      for (j, v) in active.sorted(by: { $0.0 < $1.0 }) {
        latents.append(Int32(j))
        values.append(Float(v))
      }
      rowStart.append(latents.count)
    }
    return SparseCodes(latentCount: n, rowStart: rowStart, latents: latents, values: values)
  }

  /// The training objective of `SAEPass` by definition, in Double, on normalised rows `batch`.
  /// `auxResidual` [B][dIn] fixes e = x − x̂ of the AuxK term (the pass treats it as a constant; a finite
  /// difference must too); nil computes it from these parameters.
  package static func loss(parameters: SAEParameters, batch: Matrix, deadLatents: [Int32], options: SAEPassOptions,
                           auxResidual: [[Double]]? = nil) -> Double {
    evaluate(parameters: parameters, batch: batch, deadLatents: deadLatents, options: options, auxResidual: auxResidual).loss
  }

  private static func evaluate(parameters: SAEParameters, batch: Matrix, deadLatents: [Int32], options: SAEPassOptions,
                               auxResidual: [[Double]]?) -> (loss: Double, residuals: [[Double]]) {
    let d = parameters.dIn, n = parameters.dSAE, B = batch.rows
    let w = parameters.storage.map(Double.init)
    func enc(_ j: Int, _ i: Int) -> Double { w[j * d + i] }
    func dec(_ j: Int, _ i: Int) -> Double { w[n * d + j * d + i] }
    let bEnc = Array(w[2 * n * d ..< 2 * n * d + n]), bDec = Array(w[(2 * n * d + n)...])
    var pre = [[Double]](repeating: [Double](repeating: 0, count: n), count: B)
    for b in 0 ..< B {
      for j in 0 ..< n {
        var s = bEnc[j]
        for i in 0 ..< d { s += (Double(batch[b, i]) - bDec[i]) * enc(j, i) }
        pre[b][j] = s
      }
    }
    // Active (latent, value) pairs per row.
    var active = [[(Int, Double)]](repeating: [], count: B)
    switch options.architecture {
    case .topK(let k):
      for b in 0 ..< B {
        let order = (0 ..< n).sorted { pre[b][$0] > pre[b][$1] || (pre[b][$0] == pre[b][$1] && $0 < $1) }
        active[b] = order.prefix(k).filter { pre[b][$0] > 0 }.map { ($0, pre[b][$0]) }
      }
    case .batchTopK(let k):
      let positives = pre.flatMap { $0.filter { $0 > 0 } }.sorted(by: >)
      let threshold = positives.isEmpty ? Double.infinity : positives[min(k * B, positives.count) - 1]
      for b in 0 ..< B { active[b] = (0 ..< n).filter { pre[b][$0] > 0 && pre[b][$0] >= threshold }.map { ($0, pre[b][$0]) } }
    case .relu:
      for b in 0 ..< B { active[b] = (0 ..< n).filter { pre[b][$0] > 0 }.map { ($0, pre[b][$0]) } }
    }
    var norms = [Double](repeating: 0, count: n)
    for j in 0 ..< n { norms[j] = (0 ..< d).reduce(0) { $0 + dec(j, $1) * dec(j, $1) }.squareRoot() }
    let kAux = options.architecture.k == nil ? 0 : min(options.auxK, deadLatents.count)
    var squared = 0.0, auxSquared = 0.0, penalty = 0.0
    var residuals: [[Double]] = []
    for b in 0 ..< B {
      var xhat = bDec
      for (j, v) in active[b] { for i in 0 ..< d { xhat[i] += v * dec(j, i) } }
      let residual = (0 ..< d).map { Double(batch[b, $0]) - xhat[$0] }
      squared += residual.reduce(0) { $0 + $1 * $1 }
      residuals.append(residual)
      if case .relu = options.architecture {
        penalty += active[b].reduce(0) { $0 + $1.1 * norms[$1.0] }
      }
      if kAux > 0 {
        let candidates = deadLatents.map(Int.init)
        let order = candidates.sorted { pre[b][$0] > pre[b][$1] || (pre[b][$0] == pre[b][$1] && $0 < $1) }
        var ehat = [Double](repeating: 0, count: d)
        for j in order.prefix(kAux) { for i in 0 ..< d { ehat[i] += pre[b][j] * dec(j, i) } }
        let e = auxResidual?[b] ?? residual
        auxSquared += (0 ..< d).reduce(0) { $0 + (ehat[$1] - e[$1]) * (ehat[$1] - e[$1]) }
      }
    }
    let loss = squared / Double(B) + Double(options.auxCoefficient) * auxSquared / Double(B)
      + Double(options.l1Coefficient) * penalty / Double(B)
    return (loss, residuals)
  }

  /// e = x − x̂ of every row at these parameters (for `loss(auxResidual:)`).
  package static func residuals(parameters: SAEParameters, batch: Matrix, options: SAEPassOptions) -> [[Double]] {
    evaluate(parameters: parameters, batch: batch, deadLatents: [], options: options, auxResidual: nil).residuals
  }
}

extension SAEPass {
  /// Loss and raw gradient (flat layout, before projection or clipping) of one pass: the hook for tests.
  package static func lossAndGradient(parameters: SAEParameters, batch: Matrix, deadLatents: [Int32],
                                      options: SAEPassOptions) -> (result: SAEPassResult, gradient: [Float]) {
    let workspace = SAEWorkspace()
    var gradient = [Float](repeating: 0, count: parameters.count)
    var result = SAEPassResult()
    parameters.storage.withUnsafeBufferPointer { p in
      batch.storage.withUnsafeBufferPointer { x in
        gradient.withUnsafeMutableBufferPointer { g in
          result = run(parameters: p.baseAddress!, dIn: parameters.dIn, dSAE: parameters.dSAE, x: x.baseAddress!,
                       rows: batch.rows, deadLatents: deadLatents, options: options, workspace: workspace,
                       gradient: g.baseAddress!)
        }
      }
    }
    return (result, gradient)
  }
}
