import TensorMath

extension LlamaModel {
  /// Appends this call's keys and values (already rotated) to the cache slots.
  func storeKV(_ qkv: Matrix, layer l: Int, layout: BatchLayout, slots: [Int], past: [Int], cache: KVCache) {
    let c = configuration
    qkv.storage.withUnsafeBufferPointer { p in
      for (b, range) in layout.rowRanges.enumerated() {
        let keys = cache.keys(layer: l, slot: slots[b])
        let values = cache.values(layer: l, slot: slots[b])
        for (i, r) in range.enumerated() {
          let position = past[b] + i
          let src = p.baseAddress! + r * qkv.columns + c.qDim
          (keys + position * c.kvDim).update(from: src, count: c.kvDim)
          (values + position * c.kvDim).update(from: src + c.kvDim, count: c.kvDim)
        }
      }
    }
  }

  /// Causal grouped-query attention for every (sequence, head, block of 64 query rows) in parallel:
  /// S = Q Kᵀ / √d over the keys a block can see, softmax per row, O = S V. Keys and values come from the
  /// cache when there is one, else straight from this call's `qkv` rows.
  func attention(qkv: Matrix, layer l: Int, layout: BatchLayout, past: [Int], slots: [Int],
                 cache: KVCache?, into out: inout Matrix, parallel: Bool = true) {
    let c = configuration
    let hd = c.headDim
    let qkvCols = qkv.columns
    let scale = 1 / Float(hd).squareRoot()
    let blockRows = 64
    struct Task { var sequence: Int; var head: Int; var rowStart: Int; var rowEnd: Int }
    var tasks: [Task] = []
    for (b, range) in layout.rowRanges.enumerated() {
      var start = 0
      while start < range.count {
        let end = min(start + blockRows, range.count)
        for head in 0 ..< c.nHeads { tasks.append(Task(sequence: b, head: head, rowStart: start, rowEnd: end)) }
        start = end
      }
    }
    let ranges = layout.rowRanges
    let outColumns = out.columns
    let allTasks = tasks
    let cacheBox = UnsafeSendable(cache)
    do {
      qkv.storage.withUnsafeBufferPointer { qp in
        out.storage.withUnsafeMutableBufferPointer { op in
          let q = UnsafeSendable(qp.baseAddress!)
          let o = UnsafeSendable(op.baseAddress!)
          let body: @Sendable (Int) -> Void = { t in
            let task = allTasks[t]
            let range = ranges[task.sequence]
            let kvHead = task.head / c.queriesPerKVHead
            let firstPosition = past[task.sequence]
            let n = task.rowEnd - task.rowStart
            let visible = firstPosition + task.rowEnd  // keys 0 ..< visible
            let keys: UnsafePointer<Float>
            let values: UnsafePointer<Float>
            let ld: Int
            if let cache = cacheBox.value {
              keys = UnsafePointer(cache.keys(layer: l, slot: slots[task.sequence])) + kvHead * hd
              values = UnsafePointer(cache.values(layer: l, slot: slots[task.sequence])) + kvHead * hd
              ld = c.kvDim
            } else {
              keys = q.value + range.lowerBound * qkvCols + c.qDim + kvHead * hd
              values = q.value + range.lowerBound * qkvCols + c.qDim + c.kvDim + kvHead * hd
              ld = qkvCols
            }
            let queries = q.value + (range.lowerBound + task.rowStart) * qkvCols + task.head * hd
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: n * visible)
            defer { scores.deallocate() }
            BLAS.sgemm(transA: false, transB: true, m: n, n: visible, k: hd, alpha: scale,
                       a: queries, lda: qkvCols, b: keys, ldb: ld, c: scores, ldc: visible)
            for i in 0 ..< n {
              let row = scores + i * visible
              let allowed = firstPosition + task.rowStart + i + 1
              VectorMath.softmax(row, allowed)
              if allowed < visible { (row + allowed).update(repeating: 0, count: visible - allowed) }
            }
            BLAS.sgemm(transA: false, transB: false, m: n, n: hd, k: visible,
                       a: scores, lda: visible, b: values, ldb: ld,
                       c: o.value + (range.lowerBound + task.rowStart) * outColumns + task.head * hd, ldc: outColumns)
          }
          if parallel { Parallel.forEach(allTasks.count, body) } else { for t in allTasks.indices { body(t) } }
        }
      }
    }
  }
}
