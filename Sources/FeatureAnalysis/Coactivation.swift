import TensorMath

/// Nearest features by co-activation: Jaccard similarity |A ∩ B| / |A ∪ B| of the sets of tokens they fire on.
///
/// How it scales: the active latents of the counted tokens are kept as compressed rows (4 bytes per firing)
/// and inverted once into per-feature token lists. Feature i's row of co-firing counts is then accumulated
/// in one dense [n] scratch row per worker, from the tokens i fires on, and cleared through its touched list.
/// Work is Σ over firings of the token's active count (k per firing for TopK: ≈ 300M increments for
/// 300k tokens × k = 32); memory is 8 bytes per firing plus 4n per worker, never an n × n matrix.
enum Coactivation {
  /// rowStart: [tokens + 1], latents: [firings] (each token's active latents). Top `k` by Jaccard per
  /// feature, ties to the lower index; only features that co-fire at least once are listed.
  static func neighbours(latents n: Int, rowStart: [Int], latents active: [Int32], k: Int, workers: Int) -> NeighbourTable {
    let k = max(0, min(k, n - 1))
    var table = NeighbourTable.empty(count: n, k: k)
    guard k > 0, !active.isEmpty else { return table }
    let (featureStart, tokensOf) = invert(latents: n, rowStart: rowStart, latents: active)
    let parts = max(1, min(workers, n))
    table.indices.withUnsafeMutableBufferPointer { ix in
      table.scores.withUnsafeMutableBufferPointer { sc in
        let out = UnsafeSendable((ix.baseAddress!, sc.baseAddress!))
        Parallel.forEach(parts) { part in
          var counts = [UInt32](repeating: 0, count: n)   // [n] co-firing counts of the current feature
          var touched: [Int32] = []
          for i in stride(from: part, to: n, by: parts) {
            let size = featureStart[i + 1] - featureStart[i]
            guard size > 0 else { continue }
            touched.removeAll(keepingCapacity: true)
            for slot in featureStart[i] ..< featureStart[i + 1] {
              let t = Int(tokensOf[slot])
              for e in rowStart[t] ..< rowStart[t + 1] {
                let j = Int(active[e])
                if j == i { continue }
                if counts[j] == 0 { touched.append(Int32(j)) }
                counts[j] &+= 1
              }
            }
            var top = TopSelection(k: k)
            for j32 in touched {
              let j = Int(j32)
              let both = Double(counts[j])
              let union = Double(size + featureStart[j + 1] - featureStart[j]) - both
              let score = Float(both / union)
              if score >= top.threshold { top.offer(score, j32) }
              counts[j] = 0
            }
            for (slot, (value, index)) in zip(top.values, top.indices).enumerated() {
              out.value.0[i * k + slot] = index
              out.value.1[i * k + slot] = value
            }
          }
        }
      }
    }
    return table
  }

  /// For each feature, the tokens it fires on: featureStart [n + 1] into tokensOf [firings].
  private static func invert(latents n: Int, rowStart: [Int], latents active: [Int32]) -> ([Int], [Int32]) {
    var featureStart = [Int](repeating: 0, count: n + 1)
    for f in active { featureStart[Int(f) + 1] += 1 }
    for f in 0 ..< n { featureStart[f + 1] += featureStart[f] }
    var fill = featureStart
    var tokensOf = [Int32](repeating: 0, count: active.count)
    for t in 0 ..< rowStart.count - 1 {
      for e in rowStart[t] ..< rowStart[t + 1] {
        let f = Int(active[e])
        tokensOf[fill[f]] = Int32(t)
        fill[f] += 1
      }
    }
    return (featureStart, tokensOf)
  }
}
