/// A dense row-major matrix of `Float`: the one array type the numeric modules share.
///
/// Row-major so that a row is one token's vector (activations) or one output unit's weights
/// (`W[out, in]`), which is how both the model and the SAE read them.
public struct Matrix: Sendable, Equatable {
  public var rows: Int
  public var columns: Int
  public var storage: [Float]  // [rows * columns], row r at r*columns ..< (r+1)*columns

  public init(rows: Int, columns: Int, storage: [Float]) {
    precondition(rows >= 0 && columns >= 0 && storage.count == rows * columns,
                 "Matrix storage has \(storage.count) values, expected \(rows) x \(columns)")
    self.rows = rows
    self.columns = columns
    self.storage = storage
  }

  public init(rows: Int, columns: Int, repeating value: Float = 0) {
    self.init(rows: rows, columns: columns, storage: Array(repeating: value, count: rows * columns))
  }

  /// Uninitialised-looking but zero-filled storage, for outputs that a kernel overwrites.
  public static func zeros(_ rows: Int, _ columns: Int) -> Matrix {
    Matrix(rows: rows, columns: columns)
  }

  public var count: Int { rows * columns }

  @inlinable public subscript(row: Int, column: Int) -> Float {
    get { storage[row * columns + column] }
    set { storage[row * columns + column] = newValue }
  }

  public func row(_ r: Int) -> ArraySlice<Float> {
    storage[r * columns ..< (r + 1) * columns]
  }

  public mutating func setRow(_ r: Int, _ values: some Collection<Float>) {
    precondition(values.count == columns)
    var i = r * columns
    for v in values {
      storage[i] = v
      i += 1
    }
  }

  /// Rows `range` as a new matrix.
  public func rows(_ range: Range<Int>) -> Matrix {
    Matrix(rows: range.count, columns: columns,
           storage: Array(storage[range.lowerBound * columns ..< range.upperBound * columns]))
  }

  /// Selected rows, in the given order.
  public func gatherRows(_ indices: [Int]) -> Matrix {
    var out = [Float](repeating: 0, count: indices.count * columns)
    for (i, r) in indices.enumerated() {
      out.replaceSubrange(i * columns ..< (i + 1) * columns, with: storage[r * columns ..< (r + 1) * columns])
    }
    return Matrix(rows: indices.count, columns: columns, storage: out)
  }

  public var transposed: Matrix {
    var out = Matrix(rows: columns, columns: rows)
    storage.withUnsafeBufferPointer { src in
      out.storage.withUnsafeMutableBufferPointer { dst in
        // Blocked transpose: keeps both sides in cache for large matrices.
        let block = 32
        var r0 = 0
        while r0 < rows {
          let r1 = min(r0 + block, rows)
          var c0 = 0
          while c0 < columns {
            let c1 = min(c0 + block, columns)
            for r in r0 ..< r1 {
              for c in c0 ..< c1 { dst[c * rows + r] = src[r * columns + c] }
            }
            c0 = c1
          }
          r0 = r1
        }
      }
    }
    return out
  }
}

extension Matrix: CustomStringConvertible {
  public var description: String { "Matrix[\(rows) x \(columns)]" }
}
