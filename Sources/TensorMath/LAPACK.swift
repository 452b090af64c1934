import COpenBLAS

/// Dense symmetric eigen-decomposition through LAPACK (`ssyevd_`, exported by libopenblas).
///
/// Small dense problems only: the tridiagonal matrices of a Lanczos run, or a few dozen cluster centroids.
/// Large sparse problems are reduced to these by the caller.
public enum LAPACK {
  /// Eigenvalues (ascending) and eigenvectors of a symmetric matrix.
  public struct SymmetricEigen: Sendable {
    public var values: [Float]   // [n], ascending
    public var vectors: Matrix   // [n, n], row i is the eigenvector of values[i]
  }

  /// All eigenpairs of the symmetric `matrix` [n, n] (only its upper triangle is read, row-major).
  /// Returns nil when the matrix is not square or LAPACK reports failure (info != 0), e.g. for NaN input.
  ///
  /// Runs with BLAS on one thread: ssyevd's results change in the last bits with the BLAS thread
  /// count, and callers need the same bits every run.
  public static func symmetricEigen(_ matrix: Matrix) -> SymmetricEigen? {
    BLAS.singleThreaded { symmetricEigenOnCurrentSettings(matrix) }
  }

  static func symmetricEigenOnCurrentSettings(_ matrix: Matrix) -> SymmetricEigen? {
    guard matrix.rows == matrix.columns else { return nil }
    var n = Int32(matrix.rows)
    if n == 0 { return SymmetricEigen(values: [], vectors: Matrix(rows: 0, columns: 0)) }
    // Row-major upper triangle == column-major lower triangle; a symmetric matrix is its own transpose,
    // and LAPACK's column-major eigenvector columns become our rows.
    var a = matrix.storage
    var w = [Float](repeating: 0, count: Int(n))
    var jobz = Int8(UInt8(ascii: "V"))
    var uplo = Int8(UInt8(ascii: "L"))
    var lda = n
    var info: Int32 = 0
    var lwork: Int32 = -1
    var liwork: Int32 = -1
    var workQuery: Float = 0
    var iworkQuery: Int32 = 0
    ssyevd_(&jobz, &uplo, &n, &a, &lda, &w, &workQuery, &lwork, &iworkQuery, &liwork, &info)
    guard info == 0 else { return nil }
    lwork = Int32(workQuery.rounded(.up))
    liwork = iworkQuery
    var work = [Float](repeating: 0, count: Int(max(1, lwork)))
    var iwork = [Int32](repeating: 0, count: Int(max(1, liwork)))
    ssyevd_(&jobz, &uplo, &n, &a, &lda, &w, &work, &lwork, &iwork, &liwork, &info)
    guard info == 0 else { return nil }
    return SymmetricEigen(values: w, vectors: Matrix(rows: Int(n), columns: Int(n), storage: a))
  }
}
