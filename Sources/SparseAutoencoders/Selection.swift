import TensorMath

// MARK: - Top-k of one row

/// The selections TopK and BatchTopK need, written for speed: the encoder's output is [B, dSAE] and every
/// value of it is looked at once per step.
package enum Selection {
  /// The k largest of `values[j] + bias[j]` for j in 0 ..< n (k <= n), written unordered to
  /// `indices`/`selected` (k slots each). Ties go to the lower index, so the result is deterministic.
  ///
  /// Wide rows take two passes: a threshold t0 from a strided sample (a few times more values above it than
  /// needed), then a vector filter collects the values ≥ t0 and a heap picks the k best of those. If fewer
  /// than k values reach t0 (a bad sample), the row falls back to the plain heap scan, so the result is
  /// always exact.
  package static func topK(
    _ values: UnsafePointer<Float>, bias: UnsafePointer<Float>?, n: Int, k: Int,
    indices: UnsafeMutablePointer<Int32>, selected: UnsafeMutablePointer<Float>
  ) {
    if k <= 0 { return }
    let stride = 16
    guard n >= 2048, n >= 64 * k else {
      heapScan(values, bias: bias, n: n, k: k, indices: indices, selected: selected)
      return
    }
    let samples = n / stride
    let rank = min(samples, (k * samples + n - 1) / n + 3)
    let t0 = sampledThreshold(values, bias: bias, samples: samples, stride: stride, rank: rank)
    let done = withUnsafeTemporaryAllocation(of: Int32.self, capacity: n) { buffer -> Bool in
      let candidates = buffer.baseAddress!
      let count = collect(values, bias: bias, n: n, atLeast: t0, into: candidates)
      guard count >= k else { return false }
      topK(values, bias: bias, among: candidates, count: count, k: k, indices: indices, selected: selected)
      return true
    }
    if !done { heapScan(values, bias: bias, n: n, k: k, indices: indices, selected: selected) }
  }

  /// The `rank`-th largest of values[i·stride] + bias[i·stride], i < samples.
  private static func sampledThreshold(_ values: UnsafePointer<Float>, bias: UnsafePointer<Float>?, samples: Int,
                                       stride: Int, rank: Int) -> Float {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: rank) { heapValues in
      withUnsafeTemporaryAllocation(of: Int32.self, capacity: rank) { heapIndices in
        let hv = heapValues.baseAddress!, hi = heapIndices.baseAddress!
        for s in 0 ..< rank {
          hv[s] = values[s * stride] + (bias?[s * stride] ?? 0)
          hi[s] = Int32(s)
        }
        var start = rank / 2 - 1
        while start >= 0 {
          siftDown(start, rank, hi, hv)
          start -= 1
        }
        for s in rank ..< samples {
          let v = values[s * stride] + (bias?[s * stride] ?? 0)
          if v > hv[0] {
            hv[0] = v
            hi[0] = Int32(s)
            siftDown(0, rank, hi, hv)
          }
        }
        return hv[0]
      }
    }
  }

  /// Writes the indices j with values[j] + bias[j] ≥ t0, in increasing order; returns their count.
  private static func collect(_ values: UnsafePointer<Float>, bias: UnsafePointer<Float>?, n: Int, atLeast t0: Float,
                              into candidates: UnsafeMutablePointer<Int32>) -> Int {
    let filter = t0.nextDown  // v > nextDown(t0) ⇔ v ≥ t0
    var count = 0
    var j = 0
    let raw = UnsafeRawPointer(values)
    let rawBias = bias.map { UnsafeRawPointer($0) }
    while j + 16 <= n {
      var v0 = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
      var v1 = raw.loadUnaligned(fromByteOffset: j * 4 + 32, as: SIMD8<Float>.self)
      if let rawBias {
        v0 += rawBias.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
        v1 += rawBias.loadUnaligned(fromByteOffset: j * 4 + 32, as: SIMD8<Float>.self)
      }
      if anyAbove(filter, v0, v1) {
        // Only the half that has a hit; branch-free inside it (write every lane, advance past the hits).
        for half in 0 ..< 2 where anyAbove(filter, half == 0 ? v0 : v1) {
          let base = j + 8 * half
          for lane in 0 ..< 8 {
            candidates[count] = Int32(base + lane)
            count &+= values[base + lane] + (bias?[base + lane] ?? 0) >= t0 ? 1 : 0
          }
        }
      }
      j += 16
    }
    while j < n {
      if values[j] + (bias?[j] ?? 0) >= t0 {
        candidates[count] = Int32(j)
        count += 1
      }
      j += 1
    }
    return count
  }

  /// One pass with a min-heap of the current best k (root = the weakest) and a vector filter against the
  /// root: once the heap holds good values almost every group of 16 fails the filter.
  static func heapScan(
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
    while j + 16 <= n {
      var v0 = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
      var v1 = raw.loadUnaligned(fromByteOffset: j * 4 + 32, as: SIMD8<Float>.self)
      if let rawBias {
        v0 += rawBias.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
        v1 += rawBias.loadUnaligned(fromByteOffset: j * 4 + 32, as: SIMD8<Float>.self)
      }
      if anyAbove(threshold, v0, v1) {
        for lane in 0 ..< 16 {
          let v = values[j + lane] + (bias?[j + lane] ?? 0)
          if v > threshold {
            selected[0] = v
            indices[0] = Int32(j + lane)
            siftDown(0, k, indices, selected)
            threshold = selected[0]
          }
        }
      }
      j += 16
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
    _ values: UnsafePointer<Float>, bias: UnsafePointer<Float>?, among candidates: UnsafePointer<Int32>,
    count: Int, k: Int, indices: UnsafeMutablePointer<Int32>, selected: UnsafeMutablePointer<Float>
  ) {
    if k <= 0 { return }
    for s in 0 ..< k {
      let c = Int(candidates[s])
      selected[s] = values[c] + (bias?[c] ?? 0)
      indices[s] = Int32(c)
    }
    var start = k / 2 - 1
    while start >= 0 {
      siftDown(start, k, indices, selected)
      start -= 1
    }
    for s in k ..< count {
      let c = Int(candidates[s])
      let v = values[c] + (bias?[c] ?? 0)
      if v > selected[0] || (v == selected[0] && Int32(c) < indices[0]) {
        selected[0] = v
        indices[0] = Int32(c)
        siftDown(0, k, indices, selected)
      }
    }
  }

  /// Whether any lane exceeds `threshold`: the sign bits of threshold − v, OR-ed and tested at once.
  /// (Swift's SIMD comparison operators build their mask lane by lane through memory; this compiles to
  /// vsubps, vorps and vptest.)
  @inline(__always)
  static func anyAbove(_ threshold: Float, _ v0: SIMD8<Float>, _ v1: SIMD8<Float>) -> Bool {
    let t = SIMD8<Float>(repeating: threshold)
    let bits = unsafeBitCast(t - v0, to: SIMD8<UInt32>.self) | unsafeBitCast(t - v1, to: SIMD8<UInt32>.self)
    let words = unsafeBitCast(bits, to: SIMD4<UInt64>.self)
    return (words[0] | words[1] | words[2] | words[3]) & 0x8000_0000_8000_0000 != 0
  }

  @inline(__always)
  static func anyAbove(_ threshold: Float, _ v: SIMD8<Float>) -> Bool {
    let words = unsafeBitCast(SIMD8<Float>(repeating: threshold) - v, to: SIMD4<UInt64>.self)
    return (words[0] | words[1] | words[2] | words[3]) & 0x8000_0000_8000_0000 != 0
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
  ///
  /// `hint` (e.g. the previous batch's threshold) only makes it faster: when between rank and 4·rank values
  /// reach it, those few are gathered and selected among; otherwise the whole array is. Same result.
  package static func kthLargestPositive(_ values: UnsafePointer<Float>, count: Int, rank: Int, hint: Float?) -> Float {
    guard let hint, hint > 0, hint.isFinite else { return kthLargestPositive(values, count: count, rank: rank) }
    let f = hint.nextDown  // v > f ⇔ v ≥ hint
    let chunkCount = 16
    let box = UnsafeSendable(values)
    let counts = ResultSlots<Int>(count: chunkCount)
    Parallel.forEach(chunkCount) { c in
      let lo = count * c / chunkCount, hi = count * (c + 1) / chunkCount
      let raw = UnsafeRawPointer(box.value)
      let fv = SIMD8<Float>(repeating: f)
      var lanes = SIMD8<UInt32>()
      var i = lo
      while i + 8 <= hi {
        lanes &+= unsafeBitCast(fv - raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self), to: SIMD8<UInt32>.self) &>> 31
        i += 8
      }
      var n = Int(lanes.wrappedSum())
      while i < hi {
        n += (f - box.value[i]).sign == .minus ? 1 : 0
        i += 1
      }
      counts.set(c, n)
    }
    let perChunk = counts.values
    let total = perChunk.reduce(0, +)
    guard total >= rank, total <= 4 * rank else { return kthLargestPositive(values, count: count, rank: rank) }
    var offsets: [Int] = []
    var running = 0
    for n in perChunk {
      offsets.append(running)
      running += n
    }
    let starts = offsets
    let gathered = Scratch<Float>(total, zero: 0)
    Parallel.forEach(chunkCount) { c in
      let lo = count * c / chunkCount, hi = count * (c + 1) / chunkCount
      var e = starts[c]
      let raw = UnsafeRawPointer(box.value)
      var i = lo
      while i < hi {
        let group = min(16, hi - i)
        if group == 16, !anyAbove(f, raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self),
                                  raw.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self)) {
          i += 16
          continue
        }
        for j in i ..< i + group where (f - box.value[j]).sign == .minus {
          gathered.pointer[e] = box.value[j]
          e += 1
        }
        i += group
      }
    }
    return kthLargestPositive(gathered.pointer, count: total, rank: rank)
  }

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
    histograms.withUnsafeMutableBufferPointer { h in
      h.update(repeating: 0)
      let hist = UnsafeSendable(h.baseAddress!)
      let wantedHigh = UInt32(high)
      Parallel.forEach(chunkCount) { c in
        let lo = count * c / chunkCount, hi = count * (c + 1) / chunkCount
        let mine = hist.value + c * bins
        for i in lo ..< hi {
          let bits = box.value[i]
          if bits >> 16 == wantedHigh, bits != 0, bits < 0x7F80_0001 { mine[Int(bits & 0xFFFF)] += 1 }
        }
      }
    }
    var low = [Int](repeating: 0, count: bins)
    for c in 0 ..< chunkCount { for b in 0 ..< bins { low[b] += Int(histograms[c * bins + b]) } }
    var l = bins - 1
    while l > 0, above + low[l] < wanted {
      above += low[l]
      l -= 1
    }
    return Float(bitPattern: UInt32(high) << 16 | UInt32(l))
  }
}
