import TensorMath

extension Quality {
  /// Normalised mutual information with the arithmetic-mean normaliser, as scikit-learn's
  /// `normalized_mutual_info_score` (its default): MI / ((H(a) + H(b)) / 2), natural logarithms.
  /// Two single-cluster labelings score 1. Labels are arbitrary integers (negative ones are a label too).
  public static func normalizedMutualInformation(_ a: [Int], _ b: [Int]) throws(LayoutError) -> Double {
    guard a.count == b.count else { throw .shapeMismatch(what: "labels compared by NMI", expected: a.count, found: b.count) }
    let table = Contingency(a, b)
    if table.rowSums.count == table.columnSums.count && table.rowSums.count <= 1 { return 1 }
    let mi = table.mutualInformation
    if mi == 0 { return 0 }
    let mean = (entropy(table.rowSums, total: table.total) + entropy(table.columnSums, total: table.total)) / 2
    return mi / max(mean, Double.ulpOfOne)
  }

  /// Adjusted mutual information with the arithmetic-mean normaliser, as scikit-learn's
  /// `adjusted_mutual_info_score` (its default): (MI − E[MI]) / ((H(a) + H(b)) / 2 − E[MI]), where E[MI] is
  /// the mutual information expected between random labelings with the same cluster sizes (Vinh, Epps &
  /// Bailey 2010). Unlike NMI it does not grow with the number of clusters by chance alone: 0 is chance, 1 is
  /// identical partitions.
  public static func adjustedMutualInformation(_ a: [Int], _ b: [Int]) throws(LayoutError) -> Double {
    guard a.count == b.count else { throw .shapeMismatch(what: "labels compared by AMI", expected: a.count, found: b.count) }
    let table = Contingency(a, b)
    let (rows, columns) = (table.rowSums.count, table.columnSums.count)
    if rows == columns && rows <= 1 { return 1 }
    let mi = table.mutualInformation
    let expected = expectedMutualInformation(rowSums: table.rowSums, columnSums: table.columnSums, total: table.total)
    let mean = (entropy(table.rowSums, total: table.total) + entropy(table.columnSums, total: table.total)) / 2
    var denominator = mean - expected
    denominator = denominator < 0 ? min(denominator, -Double.ulpOfOne) : max(denominator, Double.ulpOfOne)
    return (mi - expected) / denominator
  }

  /// E[MI] under the hypergeometric model of random labelings with the given marginals: for every pair of
  /// clusters, Σ over the possible overlaps n of P(n) · n/N · log(N n / (aᵢ bⱼ)).
  static func expectedMutualInformation(rowSums: [Int], columnSums: [Int], total: Int) -> Double {
    var logFactorial = [Double](repeating: 0, count: total + 1)
    if total >= 2 { for k in 2 ... total { logFactorial[k] = logFactorial[k - 1] + Elementary.log(Double(k)) } }
    let n = Double(total)
    var emi = 0.0
    for ai in rowSums {
      for bj in columnSums {
        let lower = max(1, ai + bj - total), upper = min(ai, bj)
        guard lower <= upper else { continue }
        let fixed = logFactorial[ai] + logFactorial[bj] + logFactorial[total - ai] + logFactorial[total - bj] - logFactorial[total]
        for nij in lower ... upper {
          let logP = fixed - logFactorial[nij] - logFactorial[ai - nij] - logFactorial[bj - nij] - logFactorial[total - ai - bj + nij]
          let x = Double(nij)
          emi += x / n * Elementary.log(n * x / (Double(ai) * Double(bj))) * Elementary.exp(logP)
        }
      }
    }
    return emi
  }

  /// Adjusted Rand index (Hubert & Arabie 1985), as scikit-learn's `adjusted_rand_score`.
  public static func adjustedRandIndex(_ a: [Int], _ b: [Int]) throws(LayoutError) -> Double {
    guard a.count == b.count else { throw .shapeMismatch(what: "labels compared by ARI", expected: a.count, found: b.count) }
    let table = Contingency(a, b)
    func pairs(_ x: Double) -> Double { x * (x - 1) / 2 }
    let index = table.cells.values.reduce(0) { $0 + pairs(Double($1)) }
    let rows = table.rowSums.reduce(0) { $0 + pairs(Double($1)) }
    let columns = table.columnSums.reduce(0) { $0 + pairs(Double($1)) }
    let expected = rows * columns / max(pairs(Double(table.total)), 1)
    let maximum = (rows + columns) / 2
    if maximum == expected { return 1 }
    return (index - expected) / (maximum - expected)
  }

  static func entropy(_ counts: [Int], total: Int) -> Double {
    var h = 0.0
    for c in counts where c > 0 {
      let p = Double(c) / Double(total)
      h -= p * Elementary.log(p)
    }
    return h
  }

  /// Counts of (label in a, label in b) pairs.
  struct Contingency {
    var cells: [Pair: Int] = [:]
    var rowSums: [Int]
    var columnSums: [Int]
    var total: Int
    var rowIndex: [Int: Int] = [:]
    var columnIndex: [Int: Int] = [:]

    struct Pair: Hashable {
      var row: Int
      var column: Int
    }

    init(_ a: [Int], _ b: [Int]) {
      var rowSums: [Int] = [], columnSums: [Int] = []
      for (x, y) in zip(a, b) {
        let r: Int
        if let known = rowIndex[x] { r = known } else {
          r = rowSums.count
          rowIndex[x] = r
          rowSums.append(0)
        }
        let c: Int
        if let known = columnIndex[y] { c = known } else {
          c = columnSums.count
          columnIndex[y] = c
          columnSums.append(0)
        }
        rowSums[r] += 1
        columnSums[c] += 1
        cells[Pair(row: r, column: c), default: 0] += 1
      }
      self.rowSums = rowSums
      self.columnSums = columnSums
      total = a.count
    }

    var mutualInformation: Double {
      let n = Double(total)
      var mi = 0.0
      // Sorted for a fixed summation order (dictionary order varies between runs).
      for (pair, count) in cells.sorted(by: { ($0.key.row, $0.key.column) < ($1.key.row, $1.key.column) }) {
        let nij = Double(count)
        mi += nij / n * Elementary.log(n * nij / (Double(rowSums[pair.row]) * Double(columnSums[pair.column])))
      }
      return max(0, mi)
    }
  }
}
