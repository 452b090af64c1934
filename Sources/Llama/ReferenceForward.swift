import TensorMath

/// What the reference forward pass returns: the requested hook activations ([T, dModel] each) and,
/// when asked, logits [T, vocab].
public struct ReferenceOutput: Sendable {
  public var activations: [HookPoint: Matrix]
  public var logits: Matrix?
}

extension LlamaModel {
  /// One token at a time with plain loops and a KV cache: the slow, obvious oracle the batched path is
  /// tested against (port of the algorithm in FACTS.md §2.2 / llama2.c's `forward`).
  public func referenceForward(tokens: [Int], capture: Set<HookPoint> = [], interventions: InterventionPlan = [:],
                               computeLogits: Bool = true) throws -> ReferenceOutput {
    let c = configuration
    let d = c.dModel, hd = c.headDim
    for t in tokens where t < 0 || t >= c.vocabSize { throw LlamaError.tokenOutOfRange(id: t, vocabSize: c.vocabSize) }
    guard tokens.count <= rope.positions else { throw LlamaError.sequenceTooLong(length: tokens.count, limit: rope.positions) }
    let T = tokens.count
    var captured: [HookPoint: Matrix] = [:]
    for p in capture { captured[p] = Matrix(rows: T, columns: d) }
    var keys = [[Float]](repeating: [Float](repeating: 0, count: T * c.kvDim), count: c.nLayers)
    var values = keys
    var logits = computeLogits ? Matrix(rows: T, columns: c.vocabSize) : nil

    func matvec(_ w: Matrix, rows: Range<Int>, _ x: [Float]) -> [Float] {
      w.storage.withUnsafeBufferPointer { wp in
        x.withUnsafeBufferPointer { xp in
          rows.map { r in Kernels.dot(wp.baseAddress! + r * w.columns, xp.baseAddress!, w.columns) }
        }
      }
    }
    func rmsNorm(_ x: [Float], _ weight: [Float]) -> [Float] {
      let meanSquare = x.reduce(Float(0)) { $0 + $1 * $1 } / Float(x.count)
      let scale = 1 / (meanSquare + c.rmsNormEpsilon).squareRoot()
      return zip(x, weight).map { $0 * scale * $1 }
    }
    func hook(_ point: HookPoint, _ x: inout [Float], _ position: Int) {
      let list = interventions[point] ?? []
      let latentClampsFirst = list.filter { if case .clampLatent = $0 { true } else { false } }
        + list.filter { if case .clampLatent = $0 { false } else { true } }
      for intervention in latentClampsFirst {
        LlamaModel.apply(intervention, to: &x, position: position)
      }
      captured[point]?.setRow(position, x)
    }

    for (position, token) in tokens.enumerated() {
      var x = Array(weights.tokenEmbedding.row(token))
      for l in 0 ..< c.nLayers {
        let w = weights.blocks[l]
        hook(.residualInput(layer: l), &x, position)
        let h = rmsNorm(x, w.attentionNorm)
        var qkv = matvec(w.qkv, rows: 0 ..< w.qkv.rows, h)
        if let bias = w.qkvBias { for i in qkv.indices { qkv[i] += bias[i] } }
        qkv.withUnsafeMutableBufferPointer { p in
          for head in 0 ..< c.nHeads { rope.apply(p.baseAddress! + head * hd, position: position) }
          for head in 0 ..< c.nKVHeads { rope.apply(p.baseAddress! + c.qDim + head * hd, position: position) }
        }
        for i in 0 ..< c.kvDim {
          keys[l][position * c.kvDim + i] = qkv[c.qDim + i]
          values[l][position * c.kvDim + i] = qkv[c.qDim + c.kvDim + i]
        }
        var attended = [Float](repeating: 0, count: c.qDim)
        for head in 0 ..< c.nHeads {
          let kvHead = head / c.queriesPerKVHead
          var scores = [Float](repeating: 0, count: position + 1)
          for j in 0 ... position {
            var s: Float = 0
            for i in 0 ..< hd { s += qkv[head * hd + i] * keys[l][j * c.kvDim + kvHead * hd + i] }
            scores[j] = s / Float(hd).squareRoot()
          }
          scores.withUnsafeMutableBufferPointer { _ = Kernels.softmax($0.baseAddress!, position + 1) }
          for j in 0 ... position {
            for i in 0 ..< hd { attended[head * hd + i] += scores[j] * values[l][j * c.kvDim + kvHead * hd + i] }
          }
        }
        var attentionOut = matvec(w.output, rows: 0 ..< d, attended)
        hook(.attentionOutput(layer: l), &attentionOut, position)
        for i in 0 ..< d { x[i] += attentionOut[i] }
        let h2 = rmsNorm(x, w.ffnNorm)
        let gate = matvec(w.gateUp, rows: 0 ..< c.ffnDim, h2)
        let up = matvec(w.gateUp, rows: c.ffnDim ..< 2 * c.ffnDim, h2)
        let activated = zip(gate, up).map { Kernels.silu($0) * $1 }
        var mlpOut = matvec(w.down, rows: 0 ..< d, activated)
        hook(.mlpOutput(layer: l), &mlpOut, position)
        for i in 0 ..< d { x[i] += mlpOut[i] }
        hook(.residualOutput(layer: l), &x, position)
      }
      if computeLogits {
        let final = rmsNorm(x, weights.outputNorm)
        logits?.setRow(position, matvec(weights.unembedding, rows: 0 ..< c.vocabSize, final))
      }
    }
    return ReferenceOutput(activations: captured, logits: logits)
  }

  /// Applies one intervention to one row (shared by both forward paths).
  static func apply(_ intervention: Intervention, to x: inout [Float], position: Int) {
    switch intervention {
    case .add(let vector, let scale, let positions):
      guard positions.contains(position) else { return }
      for i in x.indices { x[i] += scale * vector[i] }
    case .clamp(let direction, let value, let positions):
      guard positions.contains(position) else { return }
      var projection: Float = 0
      for i in x.indices { projection += x[i] * direction[i] }
      for i in x.indices { x[i] += (value - projection) * direction[i] }
    case .clampLatent(let latent, let target, let reader, let positions):
      guard positions.contains(position) else { return }
      let a = reader.activations(Matrix(rows: 1, columns: x.count, storage: x), latents: [latent])[0]
      let d = reader.decoderRow(latent)
      for i in x.indices { x[i] += (target - a) * d[i] }
    case .transform(let body, let positions):
      guard positions.contains(position) else { return }
      var m = Matrix(rows: 1, columns: x.count, storage: x)
      body(&m, [position])
      x = m.storage
    }
  }
}
