import TensorMath

// MARK: - Top-k of one row

/// The selections TopK and BatchTopK need, written for speed: the encoder's output is [B, dSAE] and every
/// value of it is looked at once per step.
package enum Selection {
  /// The k largest of `values[j] + bias[j]` for j in 0 ..< n (k <= n), written unordered to
  /// `indices`/`selected` (k slots each). Ties go to the lower index, so the result is deterministic.
  ///
  /// A min-heap of the current best k (root = the weakest) and an SIMD8 filter against the root: after the
  /// first few hundred values almost every group of 8 fails the filter, so the cost is one compare per value.
  package static func topK(
    _ values: UnsafePointer<Float>, bias: UnsafePointer<Float>?, n: Int, k: Int,
    indices: UnsafeMutablePointer<Int32>, selected: UnsafeMutablePointer<Float>
  ) {
    if k <= 0 { return }
    for j in 0 ..< k {
      selected[j] = values[j] + (bias?[j] ?? 0)
      indices[j] = Int32(j)
    }
    var start = k / 2 - 1
    while start >= 0 {
      siftDown(start, k, indices, selected)
      start -= 1
    }
    var threshold = selected[0]
    var j = k
    let raw = UnsafeRawPointer(values)
    let rawBias = bias.map { UnsafeRawPointer($0) }
    while j + 8 <= n {
      var v = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
      if let rawBias { v += rawBias.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) }
      if any(v .> SIMD8(repeating: threshold)) {
        for lane in 0 ..< 8 where v[lane] > threshold {
          selected[0] = v[lane]
          indices[0] = Int32(j + lane)
          siftDown(0, k, indices, selected)
          threshold = selected[0]
        }
      }
      j += 8
    }
    while j < n {
      let v = values[j] + (bias?[j] ?? 0)
      if v > threshold {
        selected[0] = v
        indices[0] = Int32(j)
        siftDown(0, k, indices, selected)
        threshold = selected[0]
      }
      j += 1
    }
  }

  /// The k largest of `values[c] + bias[c]` over the candidate columns `candidates` (k <= count), unordered.
  package static func topK(
    _ values: UnsafePointer<Float>, bias: UnsafePointer<Float>, among candidates: UnsafePointer<Int32>,
    count: Int, k: Int, indices: UnsafeMutablePointer<Int32>, selected: UnsafeMutablePointer<Float>
  ) {
    if k <= 0 { return }
    for s in 0 ..< k {
      let c = Int(candidates[s])
      selected[s] = values[c] + bias[c]
      indices[s] = Int32(c)
    }
    var start = k / 2 - 1
    while start >= 0 {
      siftDown(start, k, indices, selected)
      start -= 1
    }
    for s in k ..< count {
      let c = Int(candidates[s])
      let v = values[c] + bias[c]
      if v > selected[0] {
        selected[0] = v
        indices[0] = Int32(c)
        siftDown(0, k, indices, selected)
      }
    }
  }

  /// Restores the min-heap below `i`: a node is weaker than its children (smaller value, or equal value and
  /// a larger index), so the root is always the entry to evict next.
  static func siftDown(_ start: Int, _ k: Int, _ indices: UnsafeMutablePointer<Int32>,
                       _ selected: UnsafeMutablePointer<Float>) {
    var i = start
    let value = selected[i]
    let index = indices[i]
    while true {
      var child = 2 * i + 1
      if child >= k { break }
      if child + 1 < k, weaker(selected[child + 1], indices[child + 1], than: selected[child], indices[child]) {
        child += 1
      }
      if weaker(selected[child], indices[child], than: value, index) {
        selected[i] = selected[child]
        indices[i] = indices[child]
        i = child
      } else {
        break
      }
    }
    selected[i] = value
    indices[i] = index
  }

  static func weaker(_ a: Float, _ ai: Int32, than b: Float, _ bi: Int32) -> Bool {
    a < b || (a == b && ai > bi)
  }

  /// The slow, obvious top-k (sort everything): the oracle for `topK`. Returns indices in decreasing value order.
  package static func referenceTopK(_ values: [Float], k: Int) -> [Int] {
    Array(values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }.prefix(k))
  }
}

// MARK: - The k-th largest positive value of a whole batch (BatchTopK)

extension Selection {
  /// The `rank`-th largest positive value in `values[0 ..< count]` (rank >= 1), or the smallest positive value
  /// when fewer than `rank` are positive, or +infinity when none is. Exact: a two-pass radix select on the
  /// float bit patterns (positive floats order like their UInt32 bits). Histograms are per fixed chunk and
  /// integer, so the result does not depend on the number of threads.
  package static func kthLargestPositive(_ values: UnsafePointer<Float>, count: Int, rank: Int) -> Float {
    let chunkCount = 16
    let bins = 1 << 16
    let bitsOf = UnsafeRawPointer(values).assumingMemoryBound(to: UInt32.self)
    let box = UnsafeSendable(bitsOf)
    // Pass 1: the high 16 bits of every positive value.
    var histograms = [Int32](repeating: 0, count: chunkCount * bins)
    histograms.withUnsafeMutableBufferPointer { h in
      let hist = UnsafeSendable(h.baseAddress!)
      Parallel.forEach(chunkCount) { c in
        let lo = count * c / chunkCount, hi = count * (c + 1) / chunkCount
        let mine = hist.value + c * bins
        for i in lo ..< hi {
          let bits = box.value[i]
          if bits != 0, bits & 0x8000_0000 == 0, bits < 0x7F80_0001 { mine[Int(bits >> 16)] += 1 }
        }
      }
    }
    var total = [Int](repeating: 0, count: bins)
    for c in 0 ..< chunkCount { for b in 0 ..< bins { total[b] += Int(histograms[c * bins + b]) } }
    let positives = total.reduce(0, +)
    if positives == 0 { return .infinity }
    let wanted = min(rank, positives)
    var above = 0
    var high = bins - 1
    while high > 0, above + total[high] < wanted {
      above += total[high]
      high -= 1
    }
    // Pass 2: the low 16 bits of the values in the chosen high bin.
    var low = [Int](repeating: 0, count: bins)
    for i in 0 ..< count {
      let bits = bitsOf[i]
      if bits != 0, bits & 0x8000_0000 == 0, bits < 0x7F80_0001, Int(bits >> 16) == high { low[Int(bits & 0xFFFF)] += 1 }
    }
    var l = bins - 1
    while l > 0, above + low[l] < wanted {
      above += low[l]
      l -= 1
    }
    return Float(bitPattern: UInt32(high) << 16 | UInt32(l))
  }
}
