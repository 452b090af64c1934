import TensorMath

/// Leading eigenvectors of the normalised adjacency M = D^-1/2 W D^-1/2 of a connected graph, past the
/// trivial one (D^1/2 1, eigenvalue 1). They are the smallest non-trivial eigenvectors of the normalised
/// Laplacian L = I - M, i.e. the spectral embedding.
enum SparseEigen {
  struct Result {
    var values: [Float]      // [count], eigenvalues of M, descending
    var vectors: [[Float]]   // [count][n], unit norm
    var iterations: Int      // Lanczos steps taken, over all restarts
    var converged: Bool
  }

  /// Dense reference: builds M and calls LAPACK. O(n³); for small graphs and as the test oracle.
  static func dense(_ graph: SparseGraph, count: Int) -> Result? {
    let n = graph.count
    let scale = graph.degrees.map { $0 > 0 ? 1 / $0.squareRoot() : 0 }
    var m = Matrix(rows: n, columns: n)
    for i in 0 ..< n {
      for e in graph.offsets[i] ..< graph.offsets[i + 1] {
        let j = Int(graph.columns[e])
        m[i, j] = scale[i] * graph.weights[e] * scale[j]
      }
    }
    guard let eigen = LAPACK.symmetricEigen(m), n >= count + 1 else { return nil }
    // Ascending; the last is the trivial eigenvalue 1.
    let picks = (0 ..< count).map { n - 2 - $0 }
    return Result(values: picks.map { eigen.values[$0] },
                  vectors: picks.map { Array(eigen.vectors.row($0)) }, iterations: 0, converged: true)
  }

  /// Lanczos with full reorthogonalisation and explicit restarts, deflated against D^1/2 1.
  ///
  /// Why Lanczos: M has ~k non-zeros per row, so one product costs O(n k); a few hundred products
  /// resolve the top of the spectrum well enough for an initial layout (umap-learn asks ARPACK for tol 1e-4).
  static func lanczos(_ graph: SparseGraph, count: Int, seed: UInt64, maxDimension: Int = 160,
                      restarts: Int = 4, tolerance: Float = 1e-4) -> Result {
    let n = graph.count
    let degrees = graph.degrees
    let scale = degrees.map { $0 > 0 ? 1 / $0.squareRoot() : 0 }
    var trivial = degrees.map { $0.squareRoot() }  // [n]
    normalize(&trivial)
    var rng = SplitMix64(seed: seed ^ 0x4C41_4E43_5A4F_5321)
    var start = (0 ..< n).map { _ in rng.nextGaussian() }
    let dimension = min(maxDimension, n - 1)
    var totalSteps = 0
    var best = Result(values: [], vectors: [], iterations: 0, converged: false)
    for _ in 0 ... restarts {
      var basis: [[Float]] = [trivial]  // trivial first, then Lanczos vectors
      orthogonalize(&start, against: basis)
      guard normalize(&start) > 0 else { break }
      basis.append(start)
      var alphas: [Double] = [], betas: [Double] = []
      var converged = false
      var ritz: (values: [Float], vectors: [[Float]]) = ([], [])
      for step in 0 ..< dimension {
        var w = multiply(graph, scale: scale, basis[step + 1])
        alphas.append(Double(dot(w, basis[step + 1])))
        orthogonalize(&w, against: basis)
        orthogonalize(&w, against: basis)  // twice is enough (Kahan, Parlett)
        let beta = Double(normalize(&w))
        totalSteps += 1
        let last = step == dimension - 1 || beta < 1e-6
        if (step + 1) % 20 == 0 || last, step + 1 >= count {
          let (values, coefficients, residuals) = ritzPairs(alphas: alphas, betas: betas, nextBeta: beta, count: count)
          ritz = (values, coefficients.map { combine(Array(basis[1...]), $0) })
          converged = residuals.allSatisfy { $0 < tolerance }
          if converged || last { break }
        }
        betas.append(beta)
        basis.append(w)
      }
      best = Result(values: ritz.values, vectors: ritz.vectors, iterations: totalSteps, converged: converged)
      if converged || ritz.vectors.isEmpty { break }
      // Restart from the sum of the wanted Ritz vectors: keeps what has been resolved of both.
      start = ritz.vectors.reduce([Float](repeating: 0, count: n)) { zip($0, $1).map { $0 + $1 } }
    }
    return best
  }

  // MARK: - Pieces

  /// Eigenpairs of the Lanczos tridiagonal T (largest first) and their residual bounds |β s_last|.
  static func ritzPairs(alphas: [Double], betas: [Double], nextBeta: Double, count: Int)
    -> (values: [Float], coefficients: [[Float]], residuals: [Float])
  {
    let m = alphas.count
    var t = Matrix(rows: m, columns: m)
    for i in 0 ..< m {
      t[i, i] = Float(alphas[i])
      if i + 1 < m {
        t[i, i + 1] = Float(betas[i])
        t[i + 1, i] = Float(betas[i])
      }
    }
    guard let eigen = LAPACK.symmetricEigen(t) else { return ([], [], []) }
    let picks = (0 ..< min(count, m)).map { m - 1 - $0 }
    return (picks.map { eigen.values[$0] }, picks.map { Array(eigen.vectors.row($0)) },
            picks.map { Float(nextBeta) * abs(eigen.vectors[$0, m - 1]) })
  }

  /// y = D^-1/2 W D^-1/2 x, rows split over the cores (each row summed in its own fixed order).
  static func multiply(_ graph: SparseGraph, scale: [Float], _ x: [Float]) -> [Float] {
    var y = [Float](repeating: 0, count: graph.count)
    y.withUnsafeMutableBufferPointer { out in
      let out = UnsafeSendable(out.baseAddress!)
      Parallel.chunks(graph.count, parts: 8) { range in
        for i in range {
          var sum: Float = 0
          for e in graph.offsets[i] ..< graph.offsets[i + 1] {
            let j = Int(graph.columns[e])
            sum += graph.weights[e] * scale[j] * x[j]
          }
          out.value[i] = scale[i] * sum
        }
      }
    }
    return y
  }

  /// w -= Σ_b (w · b) b over the (orthonormal) basis; the dots in parallel, then the update in parallel
  /// over element ranges (each element accumulates in basis order).
  static func orthogonalize(_ w: inout [Float], against basis: [[Float]]) {
    let n = w.count
    let current = w
    var coefficients = [Float](repeating: 0, count: basis.count)
    coefficients.withUnsafeMutableBufferPointer { c in
      let c = UnsafeSendable(c.baseAddress!)
      Parallel.forEach(basis.count) { b in c.value[b] = dot(basis[b], current) }
    }
    let coefficientsCopy = coefficients
    w.withUnsafeMutableBufferPointer { out in
      let out = UnsafeSendable(out.baseAddress!)
      Parallel.chunks(n, parts: 8) { range in
        for (b, vector) in basis.enumerated() {
          let c = -coefficientsCopy[b]
          vector.withUnsafeBufferPointer { v in
            Kernels.axpy(c, v.baseAddress! + range.lowerBound, out.value + range.lowerBound, range.count)
          }
        }
      }
    }
  }

  static func dot(_ a: [Float], _ b: [Float]) -> Float {
    a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in Kernels.dot(x.baseAddress!, y.baseAddress!, a.count) } }
  }

  /// Scales to unit norm; returns the norm before scaling (0 leaves the vector unchanged).
  @discardableResult
  static func normalize(_ v: inout [Float]) -> Float {
    let norm = dot(v, v).squareRoot()
    if norm > 0 { for i in v.indices { v[i] /= norm } }
    return norm
  }

  /// Σ_i coefficients[i] · vectors[i].
  static func combine(_ vectors: [[Float]], _ coefficients: [Float]) -> [Float] {
    var out = [Float](repeating: 0, count: vectors.first?.count ?? 0)
    out.withUnsafeMutableBufferPointer { o in
      for (vector, c) in zip(vectors, coefficients) {
        vector.withUnsafeBufferPointer { v in Kernels.axpy(c, v.baseAddress!, o.baseAddress!, v.count) }
      }
    }
    return out
  }
}
