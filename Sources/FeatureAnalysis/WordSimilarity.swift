import TensorMath

/// Which words mean alike, read from the model's own token embedding: its rows, centred, with the few
/// largest principal directions taken out (they carry frequency and formatting, and made "the", "(" and "in"
/// the nearest tokens of every word), and unit length. A word group's vector is the mean of its tokens'
/// rows (" joke", "joke", " Joke"), unit length. On SmolLM2 words at cosine ≥ 0.25 are related (joke: humor
/// 0.39, laugh 0.39; sword: knife 0.35, weapon 0.26; large: small 0.60, great 0.30), while 99.9 % of random
/// word pairs are below 0.22; the nearest tokens without the directions taken out were "and", "can", "john",
/// "like", "the" for "love".
///
/// Neighbours are computed once, among the word groups descriptions can use (words the analysed text
/// holds): every pair at `minimumCosine` or more, products in fixed blocks of rows, each block one BLAS call
/// on one thread, so the result does not depend on the thread count.
struct WordSimilarity: Sendable {
  /// Per word group, its neighbours (other groups of the set at the cosine or more) and their cosines.
  let neighbours: [Int32: [Int32: Float]]

  static let blockRows = 256

  /// - Parameters:
  ///   - embedding: the model's token embedding [vocab, dModel].
  ///   - groups: the word groups to relate (sorted or not; each once).
  ///   - components: principal directions taken out of the centred rows.
  init(embedding: Matrix, vocabulary v: TokenVocabulary, groups: [Int32], components: Int, minimumCosine: Double) {
    let d = embedding.columns, rows = min(embedding.rows, v.size)
    guard d > 0, rows > 1, !groups.isEmpty else { neighbours = [:]; return }
    let meaning = TokenMeaning.unitRows(embedding, removing: components)
    // One unit vector per group: the mean of its tokens' unit rows.
    let m = groups.count
    var vectors = [Float](repeating: 0, count: m * d)
    for (j, g) in groups.enumerated() {
      var sum = [Float](repeating: 0, count: d)
      for token in v.members(ofGroup: Int(g)) where Int(token) < rows {
        for (i, value) in meaning.row(Int(token)).enumerated() { sum[i] += value }
      }
      let u = Self.unit(sum)
      for i in 0 ..< d { vectors[j * d + i] = u[i] }
    }
    // Every pair at the cosine or more, one block of rows per task.
    let blocks = (m + Self.blockRows - 1) / Self.blockRows
    var found = [[(Int32, Int32, Float)]](repeating: [], count: blocks)
    let threshold = Float(minimumCosine)
    found.withUnsafeMutableBufferPointer { out in
      let target = UnsafeSendable(out.baseAddress!), source = UnsafeSendable(vectors)
      Parallel.forEach(blocks) { b in
        let start = b * Self.blockRows, count = min(Self.blockRows, m - start)
        var scores = [Float](repeating: 0, count: count * m)
        source.value.withUnsafeBufferPointer { x in
          scores.withUnsafeMutableBufferPointer { s in
            BLAS.sgemm(transA: false, transB: true, m: count, n: m, k: d, a: x.baseAddress! + start * d, b: x.baseAddress!,
                       c: s.baseAddress!)
          }
        }
        var pairs: [(Int32, Int32, Float)] = []
        for i in 0 ..< count {
          for j in 0 ..< m where j != start + i && scores[i * m + j] >= threshold {
            pairs.append((groups[start + i], groups[j], scores[i * m + j]))
          }
        }
        target.value[b] = pairs
      }
    }
    var table: [Int32: [Int32: Float]] = [:]
    for block in found { for (a, b, c) in block { table[a, default: [:]][b] = c } }
    neighbours = table
  }

  /// The cosine of two groups when it reaches the minimum, else nil.
  func cosine(_ a: Int32, _ b: Int32) -> Float? {
    neighbours[a]?[b]
  }

  static func unit(_ x: [Float]) -> [Float] {
    var norm: Float = 0
    for value in x { norm += value * value }
    guard norm > 0 else { return x }
    let scale = 1 / norm.squareRoot()
    return x.map { $0 * scale }
  }
}

/// The rows of a model's token embedding as directions of meaning: centred over the vocabulary, the
/// `components` largest principal directions taken out (eigenvectors of the d × d scatter matrix; they carry
/// frequency and format), unit length. Cosines of these rows relate words (`WordSimilarity`, topic relatives
/// in `feature-atlas probe`).
public enum TokenMeaning {
  /// Directions taken out by default: on SmolLM2, 4 and 8 give the same neighbours; 0 makes "the", "(" and
  /// "in" the nearest tokens of every word.
  public static let components = 8

  public static func unitRows(_ embedding: Matrix, removing components: Int) -> Matrix {
    let d = embedding.columns, rows = embedding.rows
    guard d > 0, rows > 1 else { return embedding }
    let e = embedding.storage
    var mean = [Double](repeating: 0, count: d)
    for r in 0 ..< rows { for i in 0 ..< d { mean[i] += Double(e[r * d + i]) } }
    let centre = mean.map { Float($0 / Double(rows)) }
    var x = [Float](repeating: 0, count: rows * d)
    for r in 0 ..< rows { for i in 0 ..< d { x[r * d + i] = e[r * d + i] - centre[i] } }
    var directions: [[Float]] = []
    if components > 0 {
      var scatter = [Float](repeating: 0, count: d * d)
      BLAS.singleThreaded {
        x.withUnsafeBufferPointer { c in
          scatter.withUnsafeMutableBufferPointer { s in
            BLAS.sgemm(transA: true, transB: false, m: d, n: d, k: rows, a: c.baseAddress!, b: c.baseAddress!, c: s.baseAddress!)
          }
        }
      }
      if let eigen = LAPACK.symmetricEigen(Matrix(rows: d, columns: d, storage: scatter)) {
        for k in 0 ..< min(components, d) { directions.append(Array(eigen.vectors.row(d - 1 - k))) }
      }
    }
    for r in 0 ..< rows {
      for u in directions {
        var dot: Float = 0
        for i in 0 ..< d { dot += x[r * d + i] * u[i] }
        for i in 0 ..< d { x[r * d + i] -= dot * u[i] }
      }
      var norm: Float = 0
      for i in 0 ..< d { norm += x[r * d + i] * x[r * d + i] }
      let scale = norm > 0 ? 1 / norm.squareRoot() : 0
      for i in 0 ..< d { x[r * d + i] *= scale }
    }
    return Matrix(rows: rows, columns: d, storage: x)
  }
}
