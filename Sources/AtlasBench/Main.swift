import ArgumentParser
import Foundation

/// `atlas-bench <name> [options]`: benchmarks that print their figures (never timed tests).
/// Each benchmark lives in its own file and compares with the peers (`--peers DIR`) where one exists.
/// Flags are parsed by ArgumentParser: a typo or a bad value is an error with the benchmark's usage, never a
/// silently ignored flag behind a figure that goes into the README.
@main
struct AtlasBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "atlas-bench",
    abstract: "Benchmarks that print their figures, next to the peer tools' where one exists.",
    discussion: "`atlas-bench <benchmark> --help` lists a benchmark's options and their defaults.",
    subcommands: [CaptureBench.self, ClustersBench.self, BenchCorpus.self, ForwardBench.self, GEMMBench.self, GGUFBench.self,
                  BenchSite.self, BenchTokenizer.self, BenchSAE.self, BenchLayout.self, BenchDiff.self, BenchShards.self])
}

/// `--peers DIR` and `--python PY`: where the peer tools (Python scripts) run from.
struct PeerOptions: ParsableArguments {
  @Option(name: .long, help: ArgumentHelp(
    "The peers' folder: a writable copy of the project's shared peers/ scripts with their .venv (default: $FEATURE_ATLAS_PEERS, else ./peers).",
    valueName: "dir"))
  var peers: String?
  @Option(name: .long, help: ArgumentHelp("The Python that runs the peer scripts (default: <peers>/.venv/bin/python).", valueName: "python"))
  var python: String?

  /// `--peers DIR`, else `$FEATURE_ATLAS_PEERS`, else `peers` in the current directory.
  var folder: URL {
    URL(fileURLWithPath: peers ?? ProcessInfo.processInfo.environment["FEATURE_ATLAS_PEERS"] ?? "peers")
  }
  var interpreter: String { python ?? folder.appendingPathComponent(".venv/bin/python").path }
}

/// The model file default shared by the benchmarks that load it: `$FEATURE_ATLAS_MODEL`, else the embedded
/// model's path under `.cache` in the current directory (where `make setup` puts it).
enum BenchModel {
  static let relativePath = ".cache/model/SmolLM2-135M-Instruct.Q4_1.gguf"
  static var defaultPath: String { ProcessInfo.processInfo.environment["FEATURE_ATLAS_MODEL"] ?? relativePath }
}
