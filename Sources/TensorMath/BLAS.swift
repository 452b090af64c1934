import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif

/// Thin, shape-checked wrappers over OpenBLAS. All dense linear algebra in the project goes through here.
public enum BLAS {
  /// Number of threads OpenBLAS uses for one call. Set to 1 inside our own parallel regions. Setting it
  /// while a single-threaded region is active (another task's, e.g. a concurrent test's) changes what the
  /// region restores, not the region: a LAPACK call inside it must not see its thread count change midway.
  public static var threads: Int {
    get { Int(openblas_get_num_threads()) }
    set { SingleThreadedRegion.setThreads(newValue) }
  }

  /// The thread count in force outside single-threaded regions (what `threads` was last set to).
  public static var requestedThreads: Int { SingleThreadedRegion.requested }

  /// Runs `body` with OpenBLAS restricted to one thread, restoring the previous setting after.
  ///
  /// Reference-counted: when several callers overlap (concurrent tests, concurrent tasks), the setting is
  /// saved by the first to enter and restored by the last to leave. A save/restore per caller would let
  /// one caller switch BLAS back to several threads while another is still inside, and LAPACK results
  /// (e.g. `ssyevd`) depend on the thread count, which broke bit-reproducibility.
  public static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
    SingleThreadedRegion.enter()
    defer { SingleThreadedRegion.leave() }
    return try body()
  }

  /// C[m, n] = alpha * op(A) * op(B) + beta * C, raw row-major pointers.
  /// `op(A)` is [m, k]; `A` is stored [m, k] (lda = k) or, transposed, [k, m] (lda = m) unless `lda` given.
  @inlinable
  public static func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil,
    b: UnsafePointer<Float>, ldb: Int? = nil,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil
  ) {
    _ = kernelSelection
    if m == 0 || n == 0 { return }
    let lda = lda ?? (transA ? m : k)
    let ldb = ldb ?? (transB ? k : n)
    let ldc = ldc ?? n
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }

  /// y[m] = alpha * op(A) x + beta * y for a row-major A [rows, cols].
  @inlinable
  public static func sgemv(
    trans: Bool, rows: Int, cols: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil,
    x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>
  ) {
    _ = kernelSelection
    cblas_sgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, Int32(rows), Int32(cols), alpha, a,
                Int32(lda ?? cols), x, 1, beta, y, 1)
  }

  @inlinable
  public static func dot(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
    _ = kernelSelection
    return cblas_sdot(Int32(n), x, 1, y, 1)
  }

  @inlinable
  public static func axpy(_ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    _ = kernelSelection
    cblas_saxpy(Int32(n), alpha, x, 1, y, 1)
  }
}

// MARK: - Kernel selection

extension BLAS {
  /// The OpenBLAS kernel family in use ("SkylakeX", "Haswell", "Prescott", ...).
  public static var coreName: String {
    _ = kernelSelection
    return openblas_get_corename().map { String(cString: $0) } ?? "unknown"
  }

  /// Runs once, before the first BLAS call.
  ///
  /// Why: Debian's DYNAMIC_ARCH OpenBLAS picks its kernels from the CPUID family/model, and under some
  /// hypervisors (an "Intel Xeon Processor" with AVX-512 but an unrecognised model) it falls back to the
  /// SSE3 "Prescott" kernels: sgemm then runs at ~15 GFLOP/s instead of ~60-100 per core. When the choice
  /// is such a pre-AVX fallback and the CPU flags show AVX-512 (or AVX2 + FMA), re-run the selection with
  /// `OPENBLAS_CORETYPE` set. A user's own `OPENBLAS_CORETYPE` is always respected.
  @usableFromInline
  static let kernelSelection: Bool = {
    if getenv("OPENBLAS_CORETYPE") != nil { return false }
    let current = openblas_get_corename().map { String(cString: $0) }?.lowercased() ?? ""
    let fallbacks: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "katmai",
                                  "coppermine", "northwood", "banias", "unknown", ""]
    guard fallbacks.contains(current) else { return false }
    guard let cpuinfo = readSmallTextFile("/proc/cpuinfo"),
      let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
    else { return false }
    let flags = Set(flagsLine.split(separator: " ").map(String.init))
    let target: String
    if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) {
      target = "SKYLAKEX"
    } else if flags.isSuperset(of: ["avx2", "fma"]) {
      target = "HASWELL"
    } else {
      return false
    }
    setenv("OPENBLAS_CORETYPE", target, 1)
    gotoblas_dynamic_quit()
    gotoblas_dynamic_init()
    return true
  }()

  /// The first 64 KiB of a text file through libc (TensorMath does not import Foundation).
  private static func readSmallTextFile(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var bytes = [UInt8](repeating: 0, count: 65_536)
    let count = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
    return String(decoding: bytes[0 ..< count], as: UTF8.self)
  }
}

extension Matrix {
  /// `op(self) * op(other)`, through `cblas_sgemm`.
  public func matmul(_ other: Matrix, transposeSelf: Bool = false, transposeOther: Bool = false) -> Matrix {
    let m = transposeSelf ? columns : rows
    let k = transposeSelf ? rows : columns
    let k2 = transposeOther ? other.columns : other.rows
    let n = transposeOther ? other.rows : other.columns
    precondition(k == k2, "matmul: inner dimensions differ (\(k) vs \(k2))")
    var out = Matrix(rows: m, columns: n)
    storage.withUnsafeBufferPointer { a in
      other.storage.withUnsafeBufferPointer { b in
        out.storage.withUnsafeMutableBufferPointer { c in
          BLAS.sgemm(transA: transposeSelf, transB: transposeOther, m: m, n: n, k: k,
                     a: a.baseAddress!, lda: columns, b: b.baseAddress!, ldb: other.columns,
                     c: c.baseAddress!, ldc: n)
        }
      }
    }
    return out
  }
}

/// Depth counter behind `BLAS.singleThreaded`, guarded by a pthread mutex.
enum SingleThreadedRegion {
  nonisolated(unsafe) private static var mutex: UnsafeMutablePointer<pthread_mutex_t> = {
    let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    pthread_mutex_init(m, nil)
    return m
  }()
  nonisolated(unsafe) private static var depth = 0
  nonisolated(unsafe) private static var saved = 1

  static func enter() {
    pthread_mutex_lock(mutex)
    if depth == 0 {
      saved = Int(openblas_get_num_threads())
      openblas_set_num_threads(1)
    }
    depth += 1
    pthread_mutex_unlock(mutex)
  }

  static func leave() {
    pthread_mutex_lock(mutex)
    depth -= 1
    if depth == 0 { openblas_set_num_threads(Int32(saved)) }
    pthread_mutex_unlock(mutex)
  }

  static var requested: Int {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return depth > 0 ? saved : Int(openblas_get_num_threads())
  }

  /// Outside any region: now. Inside one: when the last region leaves.
  static func setThreads(_ n: Int) {
    pthread_mutex_lock(mutex)
    if depth == 0 { openblas_set_num_threads(Int32(n)) } else { saved = n }
    pthread_mutex_unlock(mutex)
  }
}
