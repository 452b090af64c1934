import ArgumentParser
import Foundation
import TensorMath

/// `atlas-bench gemm`: fp32 sgemm throughput of the linked OpenBLAS on the forward pass's shapes, on one core
/// and on both. The ceiling for any exact fp32 forward pass here: a capture to block 15 costs about
/// 119 MFLOP per token (16 blocks of 7.08 MFLOP of projections plus attention over 256 positions).
struct GEMMBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gemm", abstract: "fp32 sgemm GFLOP/s of the linked OpenBLAS on the forward pass's shapes, one core and two.")

  @Option(help: "Timed calls per shape (after 3 warm-up calls).") var repeats = 20

  func validate() throws {
    guard repeats > 0 else { throw ValidationError("--repeats must be positive, found \(repeats)") }
  }

  func run() throws {
    let d = 576, ffn = 1536
    print("OpenBLAS \(BLAS.coreName); \(BenchMachine.load())")
    // (rows, out, in): q and o projections, k and v, gate+up, down.
    for (threads, rows) in [(1, 1024), (2, 2048)] {
      var figures: [String] = []
      for (n, k) in [(d, d), (192, d), (2 * ffn, d), (d, ffn)] {
        let a = (0 ..< rows * k).map { Float(($0 * 7919) % 1000) / 1000 - 0.5 }
        let b = (0 ..< n * k).map { Float(($0 * 104_729) % 1000) / 1000 - 0.5 }
        var c = [Float](repeating: 0, count: rows * n)
        let saved = BLAS.threads
        BLAS.threads = threads
        defer { BLAS.threads = saved }
        let seconds = a.withUnsafeBufferPointer { ap in
          b.withUnsafeBufferPointer { bp in
            c.withUnsafeMutableBufferPointer { cp in
              let out = cp.baseAddress!
              func call() {
                BLAS.sgemm(transA: false, transB: true, m: rows, n: n, k: k, a: ap.baseAddress!, b: bp.baseAddress!, c: out)
              }
              for _ in 0 ..< 3 { call() }
              let t0 = DispatchTime.now().uptimeNanoseconds
              for _ in 0 ..< repeats { call() }
              return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            }
          }
        }
        let gflops = 2 * Double(rows * n * k * repeats) / seconds / 1e9
        figures.append(String(format: "[%d x %d]·[%d x %d] %.0f", rows, k, k, n, gflops))
      }
      print("\(threads) thread(s), GFLOP/s: " + figures.joined(separator: ", "))
    }
  }
}
