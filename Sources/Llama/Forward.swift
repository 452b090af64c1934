import TensorMath

/// Which rows of the batch get logits.
public enum LogitRows: Sendable, Equatable {
  case none
  case all
  case lastOfEachSequence
}

/// An observer that records nothing (for calls that only want logits).
public struct NoObserver: ActivationObserver {
  public init() {}
  public var points: Set<HookPoint> { [] }
  public mutating func observe(_ point: HookPoint, _ values: UnsafeBufferPointer<Float>, layout: BatchLayout) {}
}

/// Records full copies of the activations at the given hook points ([rows, dModel] per point).
public struct RecordingObserver: ActivationObserver {
  public let points: Set<HookPoint>
  public private(set) var recorded: [HookPoint: Matrix] = [:]
  public init(_ points: Set<HookPoint>) { self.points = points }
  public mutating func observe(_ point: HookPoint, _ values: UnsafeBufferPointer<Float>, layout: BatchLayout) {
    recorded[point] = Matrix(rows: layout.rows, columns: values.count / max(layout.rows, 1), storage: Array(values))
  }
}

extension LlamaModel {
  /// Runs a batch of sequences at once, every linear layer as one sgemm over all rows.
  ///
  /// - Parameters:
  ///   - sequences: new token ids per sequence (lengths may differ).
  ///   - cache: when given, sequence b continues cache slot `slots[b]` (default: slot b) from its current
  ///     length, and its keys/values are appended; without a cache every sequence starts at position 0.
  ///   - observer: sees the activations at its hook points; the pass stops after the last block it (and the
  ///     logits) need, so capture at block 15 never runs blocks 16...
  ///   - interventions: per sequence (empty = none).
  /// - Returns: logits [selected rows, vocab] (nil for `.none`).
  public func forward(
    _ sequences: [[Int]], cache: KVCache? = nil, slots: [Int]? = nil,
    observer: inout some ActivationObserver, interventions: [InterventionPlan] = [], logits: LogitRows = .all
  ) throws -> Matrix? {
    // Last-row logits are a skinny product whose kernel depends on the row count: kept in one batch so
    // they do not depend on the number of cores.
    let groups = cache == nil && logits != .lastOfEachSequence ? Self.coreGroups(sequences) : []
    if groups.count > 1 {
      return try forwardSplit(sequences, groups: groups, observer: &observer, interventions: interventions, logits: logits)
    }
    return try forwardBatch(sequences, cache: cache, slots: slots, observer: &observer, interventions: interventions,
                            logits: logits, parallelAttention: true)
  }

  /// Contiguous groups of sequences with about equal token counts, one per core, when the batch is big enough
  /// that each core's share keeps sgemm efficient (≥ 256 rows each); otherwise no split.
  package static func coreGroups(_ sequences: [[Int]]) -> [Range<Int>] {
    let workers = Parallel.workers
    let total = sequences.reduce(0) { $0 + $1.count }
    guard workers > 1, sequences.count >= workers, total >= 256 * workers else { return [] }
    var groups: [Range<Int>] = []
    var start = 0, seen = 0
    for (b, tokens) in sequences.enumerated() {
      seen += tokens.count
      let remainingGroups = workers - groups.count - 1
      let remainingSequences = sequences.count - b - 1
      if remainingGroups > 0, seen * workers >= total * (groups.count + 1) || remainingSequences == remainingGroups {
        groups.append(start ..< b + 1)
        start = b + 1
      }
    }
    groups.append(start ..< sequences.count)
    return groups.filter { !$0.isEmpty }
  }

  /// Without a cache, sequences are independent: each core runs its group's whole forward pass with
  /// single-threaded BLAS, so nothing waits on a barrier between the layers' sgemm calls and the row-wise
  /// steps (norms, RoPE, SwiGLU, attention) run on both cores. The observer then sees every hook point once,
  /// for the whole batch, in layer order, exactly as from `forwardBatch`; every row's numbers are the same.
  func forwardSplit(
    _ sequences: [[Int]], groups: [Range<Int>], observer: inout some ActivationObserver,
    interventions: [InterventionPlan], logits: LogitRows
  ) throws -> Matrix? {
    let points = observer.points
    let vocab = configuration.vocabSize
    precondition(logits != .lastOfEachSequence, "forwardSplit: last-row logits are computed in one batch")
    let logitRows = groups.map { range in logits == .all ? sequences[range].reduce(0) { $0 + $1.count } : 0 }
    var out = Matrix(rows: logitRows.reduce(0, +), columns: vocab)
    let results = ResultSlots<Result<RecordingObserver, any Error>>(count: groups.count)
    let model = self
    out.storage.withUnsafeMutableBufferPointer { o in
      let base = UnsafeSendable(o.baseAddress)
      Parallel.forEach(groups.count) { g in
        let range = groups[g]
        var recorder = RecordingObserver(points)
        results.set(g, Result {
          let part = try model.forwardBatch(Array(sequences[range]), cache: nil, slots: nil, observer: &recorder,
                                            interventions: interventions.isEmpty ? [] : Array(interventions[range]),
                                            logits: logits, parallelAttention: false)
          if let part, let start = base.value {  // each group fills its own rows of the shared output
            let first = logitRows[..<g].reduce(0, +)
            part.storage.withUnsafeBufferPointer { (start + first * vocab).update(from: $0.baseAddress!, count: part.count) }
          }
          return recorder
        })
      }
    }
    let recorders = try results.values.map { try $0.get() }
    if !points.isEmpty {
      let layout = Self.batchLayout(sequences, past: Array(repeating: 0, count: sequences.count))
      for point in points.sorted() {
        let recorded = recorders.compactMap { $0.recorded[point] }
        guard recorded.count == recorders.count else { continue }  // not reached (the pass stopped before it)
        let joined = recorded.flatMap(\.storage)
        joined.withUnsafeBufferPointer { observer.observe(point, $0, layout: layout) }
      }
    }
    return logits == .none ? nil : out
  }

  static func batchLayout(_ sequences: [[Int]], past: [Int]) -> BatchLayout {
    var sequenceOfRow: [Int] = [], positionOfRow: [Int] = [], rowRanges: [Range<Int>] = []
    for (b, tokens) in sequences.enumerated() {
      rowRanges.append(sequenceOfRow.count ..< sequenceOfRow.count + tokens.count)
      sequenceOfRow += Array(repeating: b, count: tokens.count)
      positionOfRow += Array(past[b] ..< past[b] + tokens.count)
    }
    return BatchLayout(sequenceOfRow: sequenceOfRow, positionOfRow: positionOfRow, rowRanges: rowRanges)
  }

  /// One batch, every linear layer as one sgemm over all rows (BLAS threads split each product).
  package func forwardBatch(
    _ sequences: [[Int]], cache: KVCache?, slots: [Int]?,
    observer: inout some ActivationObserver, interventions: [InterventionPlan], logits: LogitRows, parallelAttention: Bool
  ) throws -> Matrix? {
    let c = configuration
    let d = c.dModel
    let slots = slots ?? Array(sequences.indices)
    for p in observer.points { try validate(p) }

    // MARK: - Batch layout
    var past: [Int] = []
    for (b, tokens) in sequences.enumerated() {
      let start = cache.map { $0.lengths[slots[b]] } ?? 0
      let end = start + tokens.count
      guard end <= rope.positions, end <= (cache?.capacity ?? Int.max) else {
        throw LlamaError.sequenceTooLong(length: end, limit: min(rope.positions, cache?.capacity ?? Int.max))
      }
      for t in tokens where t < 0 || t >= c.vocabSize { throw LlamaError.tokenOutOfRange(id: t, vocabSize: c.vocabSize) }
      past.append(start)
    }
    let layout = Self.batchLayout(sequences, past: past)
    let (sequenceOfRow, positionOfRow, rowRanges) = (layout.sequenceOfRow, layout.positionOfRow, layout.rowRanges)
    let rows = layout.rows
    if rows == 0 { return logits == .none ? nil : Matrix(rows: 0, columns: c.vocabSize) }

    let observed = observer.points
    let intervened = Set(interventions.flatMap(\.keys))
    let lastLayer: Int
    if logits != .none {
      lastLayer = c.nLayers - 1
    } else if let deepest = observed.max() {
      lastLayer = deepest.layer
    } else {
      return nil
    }
    let lastPoint = logits != .none ? HookPoint.residualOutput(layer: c.nLayers - 1) : observed.max()!

    // MARK: - Buffers
    var x = Matrix(rows: rows, columns: d)                       // residual stream [rows, d]
    for r in 0 ..< rows {
      let token = sequences[sequenceOfRow[r]][positionOfRow[r] - past[sequenceOfRow[r]]]
      x.storage.replaceSubrange(r * d ..< (r + 1) * d, with: weights.tokenEmbedding.row(token))
    }
    let qkvDim = c.qDim + 2 * c.kvDim
    var h = Matrix(rows: rows, columns: d)                       // normalised input [rows, d]
    var qkv = Matrix(rows: rows, columns: qkvDim)                // [rows, qDim + 2 kvDim]
    var attended = Matrix(rows: rows, columns: c.qDim)           // [rows, qDim]
    var blockOut = Matrix(rows: rows, columns: d)                // attention or MLP output [rows, d]
    var gateUp = Matrix(rows: rows, columns: 2 * c.ffnDim)       // [rows, 2 ffn]
    var activated = Matrix(rows: rows, columns: c.ffnDim)        // [rows, ffn]

    func hook(_ point: HookPoint, _ values: inout Matrix) {
      if intervened.contains(point) {
        applyLatentClamps(interventions.map { $0[point] ?? [] }, to: &values, rows: rowRanges, positions: positionOfRow)
        for (b, plan) in interventions.enumerated() {
          guard let list = plan[point] else { continue }
          applyInterventions(list, to: &values, rows: rowRanges[b], positions: positionOfRow)
        }
      }
      if observed.contains(point) {
        values.storage.withUnsafeBufferPointer { observer.observe(point, $0, layout: layout) }
      }
    }
    func needsHook(_ point: HookPoint) -> Bool { observed.contains(point) || intervened.contains(point) }

    // MARK: - Blocks
    for l in 0 ... lastLayer {
      let w = weights.blocks[l]
      hook(.residualInput(layer: l), &x)
      if lastPoint == .residualInput(layer: l) { break }

      rmsNormRows(x, w.attentionNorm, into: &h)
      Self.linear(h, w.qkv, into: &qkv)
      if let bias = w.qkvBias { addBias(bias, to: &qkv) }
      applyRoPE(&qkv, positions: positionOfRow)
      if let cache {
        storeKV(qkv, layer: l, layout: layout, slots: slots, past: past, cache: cache)
      }
      attention(qkv: qkv, layer: l, layout: layout, past: past, slots: slots, cache: cache, into: &attended,
                parallel: parallelAttention)
      if needsHook(.attentionOutput(layer: l)) {
        Self.linear(attended, w.output, into: &blockOut)
        hook(.attentionOutput(layer: l), &blockOut)
        addInPlace(&x, blockOut)
      } else {
        Self.linear(attended, w.output, into: &x, accumulate: true)
      }
      if lastPoint == .attentionOutput(layer: l) { break }

      rmsNormRows(x, w.ffnNorm, into: &h)
      Self.linear(h, w.gateUp, into: &gateUp)
      swiGLU(gateUp, into: &activated)
      if needsHook(.mlpOutput(layer: l)) {
        Self.linear(activated, w.down, into: &blockOut)
        hook(.mlpOutput(layer: l), &blockOut)
        addInPlace(&x, blockOut)
      } else {
        Self.linear(activated, w.down, into: &x, accumulate: true)
      }
      if lastPoint == .mlpOutput(layer: l) { break }
      hook(.residualOutput(layer: l), &x)
    }
    if let cache {
      for (b, tokens) in sequences.enumerated() { cache.advance(slots[b], by: tokens.count) }
    }

    // MARK: - Logits
    switch logits {
    case .none:
      return nil
    case .all:
      rmsNormRows(x, weights.outputNorm, into: &h)
      var out = Matrix(rows: rows, columns: c.vocabSize)
      Self.linear(h, weights.unembedding, into: &out)
      return out
    case .lastOfEachSequence:
      let last = rowRanges.map { $0.isEmpty ? 0 : $0.upperBound - 1 }
      let selected = x.gatherRows(last)
      var normed = Matrix(rows: selected.rows, columns: d)
      rmsNormRows(selected, weights.outputNorm, into: &normed)
      var out = Matrix(rows: selected.rows, columns: c.vocabSize)
      Self.linear(normed, weights.unembedding, into: &out)
      return out
    }
  }

  /// Convenience: forward without a cache.
  public func forward(_ sequences: [[Int]], observer: inout some ActivationObserver,
                      interventions: [InterventionPlan] = [], logits: LogitRows = .all) throws -> Matrix? {
    try forward(sequences, cache: nil, slots: nil, observer: &observer, interventions: interventions, logits: logits)
  }

  /// Convenience: logits for every position of every sequence, no hooks.
  public func logits(_ sequences: [[Int]]) throws -> Matrix {
    var none = NoObserver()
    return try forward(sequences, observer: &none, logits: .all) ?? Matrix(rows: 0, columns: configuration.vocabSize)
  }

  // MARK: - Row kernels

  /// out = x · Wᵀ (+ out when accumulating): W is [outFeatures, inFeatures].
  static func linear(_ x: Matrix, _ w: Matrix, into out: inout Matrix, accumulate: Bool = false) {
    x.storage.withUnsafeBufferPointer { xp in
      w.storage.withUnsafeBufferPointer { wp in
        out.storage.withUnsafeMutableBufferPointer { op in
          if x.rows <= SkinnyLinear.maximumRows {
            SkinnyLinear.apply(x: xp.baseAddress!, m: x.rows, k: x.columns, w: wp.baseAddress!, n: w.rows,
                               out: op.baseAddress!, ldOut: out.columns, accumulate: accumulate)
          } else {
            BLAS.sgemm(transA: false, transB: true, m: x.rows, n: w.rows, k: x.columns,
                       a: xp.baseAddress!, lda: x.columns, b: wp.baseAddress!, ldb: w.columns,
                       beta: accumulate ? 1 : 0, c: op.baseAddress!, ldc: out.columns)
          }
        }
      }
    }
  }

  func rmsNormRows(_ x: Matrix, _ weight: [Float], into out: inout Matrix) {
    let d = x.columns
    let eps = configuration.rmsNormEpsilon
    x.storage.withUnsafeBufferPointer { xp in
      weight.withUnsafeBufferPointer { wp in
        out.storage.withUnsafeMutableBufferPointer { op in
          for r in 0 ..< x.rows {
            Kernels.rmsNorm(xp.baseAddress! + r * d, weight: wp.baseAddress!, epsilon: eps, out: op.baseAddress! + r * d, d)
          }
        }
      }
    }
  }

  func addBias(_ bias: [Float], to m: inout Matrix) {
    let n = m.columns
    m.storage.withUnsafeMutableBufferPointer { p in
      bias.withUnsafeBufferPointer { b in
        for r in 0 ..< m.rows { Kernels.axpy(1, b.baseAddress!, p.baseAddress! + r * n, n) }
      }
    }
  }

  func addInPlace(_ x: inout Matrix, _ y: Matrix) {
    let n = x.count
    x.storage.withUnsafeMutableBufferPointer { xp in
      y.storage.withUnsafeBufferPointer { yp in Kernels.axpy(1, yp.baseAddress!, xp.baseAddress!, n) }
    }
  }

  func applyRoPE(_ qkv: inout Matrix, positions: [Int]) {
    let c = configuration
    let cols = qkv.columns
    qkv.storage.withUnsafeMutableBufferPointer { p in
      for r in 0 ..< qkv.rows {
        let row = p.baseAddress! + r * cols
        for head in 0 ..< c.nHeads { rope.apply(row + head * c.headDim, position: positions[r]) }
        for head in 0 ..< c.nKVHeads { rope.apply(row + c.qDim + head * c.headDim, position: positions[r]) }
      }
    }
  }

  func swiGLU(_ gateUp: Matrix, into out: inout Matrix) {
    let f = configuration.ffnDim
    gateUp.storage.withUnsafeBufferPointer { g in
      out.storage.withUnsafeMutableBufferPointer { o in
        for r in 0 ..< gateUp.rows {
          VectorMath.swiGLU(gate: g.baseAddress! + r * 2 * f, up: g.baseAddress! + r * 2 * f + f,
                            out: o.baseAddress! + r * f, f)
        }
      }
    }
  }

  /// The `clampLatent` edits of every sequence at one hook point, with one `activations` call per reader for
  /// all selected rows of the batch (an SAE encode is one sgemm, not one per sequence and row).
  func applyLatentClamps(_ lists: [[Intervention]], to values: inout Matrix, rows: [Range<Int>], positions: [Int]) {
    struct Edit { var row: Int; var latent: Int; var target: Float }
    var edits: [ObjectIdentifier: (reader: any LatentReader, edits: [Edit])] = [:]
    var order: [ObjectIdentifier] = []  // readers in order of first use
    for (b, list) in lists.enumerated() {
      for case .clampLatent(let latent, let target, let reader, let selector) in list {
        let key = ObjectIdentifier(reader)
        if edits[key] == nil { order.append(key) }
        for r in rows[b] where selector.contains(positions[r]) {
          edits[key, default: (reader, [])].edits.append(Edit(row: r, latent: latent, target: target))
        }
      }
    }
    let d = values.columns
    for key in order {
      guard let entry = edits[key], !entry.edits.isEmpty else { continue }
      let (reader, list) = (entry.reader, entry.edits)
      let selected = values.gatherRows(list.map(\.row))                      // [edits, dModel]
      let a = reader.activations(selected, latents: list.map(\.latent))     // [edits]
      var directions: [Int: [Float]] = [:]
      for (e, edit) in list.enumerated() {
        let row = directions[edit.latent] ?? reader.decoderRow(edit.latent)
        directions[edit.latent] = row
        let delta = edit.target - a[e]
        values.storage.withUnsafeMutableBufferPointer { v in
          for i in 0 ..< d { v[edit.row * d + i] += delta * row[i] }
        }
      }
    }
  }

  func applyInterventions(_ list: [Intervention], to values: inout Matrix, rows: Range<Int>, positions: [Int]) {
    let d = values.columns
    for intervention in list {
      if case .clampLatent = intervention { continue }  // applied batched by applyLatentClamps
      if case .transform(let body, let selector) = intervention {
        let selected = rows.filter { selector.contains(positions[$0]) }
        guard !selected.isEmpty else { continue }
        var sub = values.gatherRows(selected)
        body(&sub, selected.map { positions[$0] })
        for (i, r) in selected.enumerated() { values.storage.replaceSubrange(r * d ..< (r + 1) * d, with: sub.row(i)) }
        continue
      }
      for r in rows {
        var row = Array(values.row(r))
        LlamaModel.apply(intervention, to: &row, position: positions[r])
        values.storage.replaceSubrange(r * d ..< (r + 1) * d, with: row)
      }
    }
  }
}
