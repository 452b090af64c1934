import ArgumentParser
import AtlasArtifacts
import AtlasPipeline
import Foundation
import MapLayout
import SparseAutoencoders

/// `atlas-bench clusters --atlas DIR [--peers DIR] [--python PY]`: do the clusters mean something?
/// Normalised mutual information between cluster ids and each feature's dominant corpus source, for our
/// levels and for HDBSCAN (eom and leaf) run by `peers/ref_umap.py` on umap-learn's layout of the same decoder.
struct ClustersBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "clusters",
    abstract: "NMI/AMI of clusters vs each feature's dominant corpus source, ours vs HDBSCAN on umap-learn.")

  @Option(help: ArgumentHelp("A built atlas directory.", valueName: "dir")) var atlas = "atlas"
  @OptionGroup var peerOptions: PeerOptions

  func run() throws {
    let atlas = AtlasDirectory(URL(fileURLWithPath: self.atlas))
    let peers = peerOptions.folder
    let python = peerOptions.interpreter
    let sae = try SAELensFormat.decode(cfg: Data(contentsOf: atlas.saeConfig), weights: Data(contentsOf: atlas.saeWeights)).autoencoder
    let (_, records) = try FeaturesStage.readRecords(atlas)
    let hierarchy = try CanonicalJSON.read(ClusterHierarchyRecord.self, from: atlas.layoutClusters)
    let sources = Array(Set(records.compactMap(\.dominantSource))).sorted()
    let live = records.indices.filter { records[$0].dominantSource != nil }
    let truth = live.map { sources.firstIndex(of: records[$0].dominantSource!)! }
    print("atlas \(atlas.root.path): \(records.count) features, \(live.count) with a dominant source; \(BenchMachine.load())")
    print("source share of live features: " + sources.map { s in
      String(format: "%@ %.1f%%", s as NSString, 100 * Double(truth.filter { sources[$0] == s }.count) / Double(max(1, live.count)))
    }.joined(separator: ", "))
    print("\nagreement with each feature's dominant source: NMI (grows with the cluster count by chance) and AMI (chance-corrected)")
    print("clustering                                  clusters  largest     NMI     AMI")
    for (level, record) in hierarchy.levels.enumerated() {
      let assignments = try LayoutStage.readAssignments(atlas, level: level)
      let largest = Double(record.clusters.map(\.size).max() ?? 0) / Double(records.count)
      let ours = live.map { assignments[$0] }
      let nmi = try Quality.normalizedMutualInformation(ours, truth), ami = try Quality.adjustedMutualInformation(ours, truth)
      let name = "ours, level \(level) (\(record.name))".padding(toLength: 44, withPad: " ", startingAt: 0)
      print(name + String(format: "%8d  %6.1f%%  %.4f  %.4f", record.clusters.count, largest * 100, nmi, ami))
    }
    guard FileManager.default.fileExists(atPath: python) else {
      print("\n(no Python at \(python): pass --peers or --python to compare with HDBSCAN)")
      return
    }
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("atlas-bench-clusters-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    let decoder = work.appendingPathComponent("decoder.npy")
    try Npy.write(sae.decoder.storage, shape: [sae.dSAE, sae.dIn], to: decoder)
    let script = peers.appendingPathComponent("ref_umap.py").path
    try Self.shell(python, [script, decoder.path, "--out", work.appendingPathComponent("eom").path, "--selection", "eom", "--no-trust"])
    let layout = work.appendingPathComponent("eom.layout2d.npy").path
    try Self.shell(python, [script, decoder.path, "--layout2d", layout, "--out", work.appendingPathComponent("leaf").path,
                       "--selection", "leaf", "--no-trust"])
    for method in ["eom", "leaf"] {
      let labels = try Npy.read(work.appendingPathComponent("\(method).labels2d.npy")).values.map { Int($0) }
      let clusters = Set(labels.filter { $0 >= 0 }).count
      let noise = Double(labels.filter { $0 < 0 }.count) / Double(labels.count)
      var counts: [Int: Int] = [:]
      for l in labels where l >= 0 { counts[l, default: 0] += 1 }
      let largest = Double(counts.values.max() ?? 0) / Double(labels.count)
      let theirs = live.map { labels[$0] }
      let nmi = try Quality.normalizedMutualInformation(theirs, truth), ami = try Quality.adjustedMutualInformation(theirs, truth)
      let name = String(format: "HDBSCAN %@ on umap-learn 2-D (%.1f%% noise)", method, noise * 100)
        .padding(toLength: 44, withPad: " ", startingAt: 0)
      print(name + String(format: "%8d  %6.1f%%  %.4f  %.4f", clusters, largest * 100, nmi, ami))
    }
    print("(HDBSCAN noise points count as one label, as scikit-learn treats -1)")
  }

  static func shell(_ executable: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw PipelineError.mismatch("\(executable) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
    }
  }
}
