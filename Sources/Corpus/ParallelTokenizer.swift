import TensorMath
import Tokenization

/// Tokenizes independent documents on every core, keeping each worker's encoder (and its piece cache) between
/// calls. The output order is the input order, whatever the scheduling.
struct ParallelTokenizer: Sendable {
  let tokenizer: BPETokenizer
  private var encoders: [BPEEncoder]  // [Parallel.workers]

  init(_ tokenizer: BPETokenizer) {
    self.tokenizer = tokenizer
    encoders = (0 ..< Parallel.workers).map { _ in tokenizer.makeEncoder() }
  }

  /// Ids of one text as the corpus uses them: characters the vocabulary cannot represent are removed first
  /// (`BPETokenizer.sanitized`), so the ids decode back to the text.
  static func encode(_ text: String, with encoder: inout BPEEncoder) -> [Int32] {
    encoder.encode(encoder.tokenizer.sanitized(text)).map { Int32(truncatingIfNeeded: $0) }
  }

  /// The ids of each text, [texts.count]; texts are split into one contiguous run per worker with about the same
  /// number of bytes.
  mutating func encode(_ texts: [String]) -> [[Int32]] {
    guard !texts.isEmpty else { return [] }
    let bounds = Self.balancedBounds(texts.map { $0.utf8.count }, parts: encoders.count)
    var results = [[Int32]](repeating: [], count: texts.count)
    if bounds.count == 2 {
      for i in texts.indices { results[i] = Self.encode(texts[i], with: &encoders[0]) }
      return results
    }
    results.withUnsafeMutableBufferPointer { output in
      encoders.withUnsafeMutableBufferPointer { workers in
        let out = UnsafeSendable(output)
        let encoders = UnsafeSendable(workers)
        Parallel.forEach(bounds.count - 1) { part in
          for i in bounds[part] ..< bounds[part + 1] {
            out.value[i] = Self.encode(texts[i], with: &encoders.value[part])
          }
        }
      }
    }
    return results
  }

  /// Boundaries [0, b1, ..., count] of at most `parts` non-empty contiguous runs with about equal total size.
  static func balancedBounds(_ sizes: [Int], parts: Int) -> [Int] {
    let total = sizes.reduce(0, +)
    let parts = max(1, min(parts, sizes.count))
    var bounds = [0]
    var running = 0
    for (i, size) in sizes.enumerated() {
      running += size
      let part = bounds.count  // the run being filled is number `part`
      if part < parts, i + 1 < sizes.count, running * parts >= total * part { bounds.append(i + 1) }
    }
    bounds.append(sizes.count)
    return bounds
  }
}
