import SparseAutoencoders
import TensorMath
import Testing

@Suite("Top-k selection")
struct SelectionTests {
  @Test("Heap top-k equals sorting for many widths, k and biases, ties to the lower index")
  func topKMatchesSort() {
    var rng = SplitMix64(seed: 11)
    for n in [1, 7, 8, 9, 31, 64, 100, 1000, 4096] {
      for k in Set([1, 2, 5, 32, n / 2, n].filter { $0 >= 1 && $0 <= n }) {
        // Coarse values so that ties happen.
        let values = (0 ..< n).map { _ in Float(rng.nextInt(below: 20)) - 10 }
        let bias = (0 ..< n).map { _ in Float(rng.nextInt(below: 3)) }
        var indices = [Int32](repeating: -1, count: k)
        var selected = [Float](repeating: 0, count: k)
        values.withUnsafeBufferPointer { v in
          bias.withUnsafeBufferPointer { b in
            Selection.topK(v.baseAddress!, bias: b.baseAddress!, n: n, k: k, indices: &indices, selected: &selected)
          }
        }
        let expected = Selection.referenceTopK(zip(values, bias).map { $0 + $1 }, k: k)
        #expect(Set(indices.map(Int.init)) == Set(expected), "n \(n) k \(k)")
        for (s, j) in indices.enumerated() { #expect(selected[s] == values[Int(j)] + bias[Int(j)]) }
      }
    }
  }

  @Test("A misleading strided sample falls back to the full scan and stays exact")
  func sampledThresholdFallback() {
    var rng = SplitMix64(seed: 12)
    let n = 4096, k = 32
    // Every 16th value (exactly the sampled ones) is large, so the sample promises many values above its
    // threshold while only the sampled ones reach it.
    let values = (0 ..< n).map { j in j % 16 == 0 ? 100 + Float(j) : rng.nextGaussian() }
    var indices = [Int32](repeating: -1, count: k)
    var selected = [Float](repeating: 0, count: k)
    values.withUnsafeBufferPointer { v in
      Selection.topK(v.baseAddress!, bias: nil, n: n, k: k, indices: &indices, selected: &selected)
    }
    #expect(Set(indices.map(Int.init)) == Set(Selection.referenceTopK(values, k: k)))
  }

  @Test("Top-k among candidate columns only looks at the candidates")
  func topKAmongCandidates() {
    var rng = SplitMix64(seed: 5)
    let n = 200
    let values = (0 ..< n).map { _ in rng.nextGaussian() }
    let bias = (0 ..< n).map { _ in rng.nextGaussian() * 0.1 }
    let candidates: [Int32] = stride(from: 3, to: n, by: 7).map { Int32($0) }
    let k = 6
    var indices = [Int32](repeating: -1, count: k)
    var selected = [Float](repeating: 0, count: k)
    values.withUnsafeBufferPointer { v in
      bias.withUnsafeBufferPointer { b in
        candidates.withUnsafeBufferPointer { c in
          Selection.topK(v.baseAddress!, bias: b.baseAddress!, among: c.baseAddress!, count: c.count, k: k,
                         indices: &indices, selected: &selected)
        }
      }
    }
    let candidateValues = candidates.map { values[Int($0)] + bias[Int($0)] }
    let expected = Set(Selection.referenceTopK(candidateValues, k: k).map { Int(candidates[$0]) })
    #expect(Set(indices.map(Int.init)) == expected)
  }

  @Test("The k-th largest positive value of a batch equals sorting the positives")
  func kthLargest() {
    var rng = SplitMix64(seed: 9)
    let values = (0 ..< 50_000).map { _ in rng.nextGaussian() }
    let positives = values.filter { $0 > 0 }.sorted(by: >)
    for rank in [1, 2, 100, 4_097, positives.count, positives.count + 10] {
      let found = values.withUnsafeBufferPointer { Selection.kthLargestPositive($0.baseAddress!, count: $0.count, rank: rank) }
      #expect(found == positives[min(rank, positives.count) - 1], "rank \(rank)")
      // Hints never change the answer: good ones (just below it), bad ones (far above or below).
      for hint: Float? in [found * 0.97, found * 0.5, found * 3, 1e-6, nil] {
        let hinted = values.withUnsafeBufferPointer {
          Selection.kthLargestPositive($0.baseAddress!, count: $0.count, rank: rank, hint: hint)
        }
        #expect(hinted == found, "rank \(rank) hint \(String(describing: hint))")
      }
    }
    let none = [Float](repeating: -1, count: 10)
    #expect(none.withUnsafeBufferPointer { Selection.kthLargestPositive($0.baseAddress!, count: 10, rank: 3) } == .infinity)
  }
}
