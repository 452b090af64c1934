import ArgumentParser
import AtlasArtifacts
import AtlasFixtures
import AtlasPipeline
import AtlasSite
import Foundation
import SparseAutoencoders
import TensorMath

/// `atlas-bench diff [--features 16384] [--dir DIR] [--keep]`: two synthetic atlases (the site's synthetic
/// artifacts plus SAEs in SAELens layout, d_model 576): B's SAE is A's with its latents permuted, 20%
/// replaced by fresh directions and 5% split in two. Times `feature-atlas diff` in process (matching, site)
/// and reports peak RSS. For the whole command's figures run `/usr/bin/time -v feature-atlas diff A B --out D`
/// on the directories it leaves with --keep.
struct BenchDiff: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "diff", abstract: "Diff two synthetic atlases (permuted, replaced, split latents): time and peak RSS.")

  @Option(help: "Latents per synthetic atlas.") var features = 16_384
  @Option(help: ArgumentHelp("Where the two atlases and the diff go; existing fixtures there are reused (default: a temporary folder).", valueName: "dir"))
  var dir: String?
  @Flag(help: "Keep the atlases and the diff afterwards.") var keep = false

  func validate() throws {
    guard features >= 20 else { throw ValidationError("--features must be at least 20, found \(features)") }
  }

  func run() throws {
    let n = features, d = 576
    let root = URL(fileURLWithPath: dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("atlas-bench-diff-\(getpid())").path)
    let a = root.appendingPathComponent("a"), b = root.appendingPathComponent("b")
    var t0 = Date()
    if !FileManager.default.fileExists(atPath: AtlasDirectory(b).saeWeights.path) {
      try Self.writeAtlases(a: a, b: b, n: n, d: d)
    }
    print("fixtures: \(n) latents x \(d), \(String(format: "%.1f", Date().timeIntervalSince(t0))) s (\(root.path))")
    t0 = Date()
    let outcome = try DiffStage(progress: TerminalProgress()).run(a: a, b: b, out: root.appendingPathComponent("diff"))
    let seconds = Date().timeIntervalSince(t0)
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let s = outcome.record.summary
    print(String(format: "diff: %.1f s in process, peak RSS %.2f GB", seconds, Double(usage.ru_maxrss) / 1_048_576))
    for (k, v) in outcome.seconds.sorted(by: { $0.key < $1.key }) { print(String(format: "  %@ %.2f s", k, v)) }
    print("shared \(String(format: "%.3f", s.sharedFraction)), counts A \(s.countsA.sorted { $0.key < $1.key }), B \(s.countsB.sorted { $0.key < $1.key })")
    if !keep { try? FileManager.default.removeItem(at: root) }
  }

  static func writeAtlases(a: URL, b: URL, n: Int, d: Int) throws {
    var options = SyntheticAtlasOptions()
    options.features = n
    options.includeSteering = false
    options.topExamples = 2
    try SyntheticAtlas.write(to: a, options: options)
    try SyntheticAtlas.write(to: b, options: options)
    var rng = SplitMix64(seed: 16_384)
    func gaussian(_ rows: Int) -> [Float] { (0 ..< rows * d).map { _ in rng.nextGaussian() } }
    func normalised(_ v: [Float]) -> [Float] {
      var out = v
      for r in 0 ..< v.count / d {
        var s: Float = 0
        for c in 0 ..< d { s += v[r * d + c] * v[r * d + c] }
        let inv = 1 / max(s.squareRoot(), 1e-12)
        for c in 0 ..< d { out[r * d + c] *= inv }
      }
      return out
    }
    let decoderA = Matrix(rows: n, columns: d, storage: normalised(gaussian(n)))    // [n, d]
    var permutation = Array(0 ..< n)
    permutation.shuffle(using: &rng)
    var rowsB = [Float](repeating: 0, count: n * d)                                  // [n, d]
    let replaced = n / 5, split = n / 20
    let noise = gaussian(n)
    for p in 0 ..< n {
      let source = permutation[p]
      for c in 0 ..< d {
        let base = decoderA.storage[source * d + c]
        if p < replaced { rowsB[p * d + c] = noise[p * d + c] }
        else if p < replaced + 2 * split {
          // Parts of a split: A's direction ± a direction from the noise rows, cosine ≈ 0.6 with A's.
          let partner = replaced + ((p - replaced) / 2) * 2
          let sign: Float = (p - replaced) % 2 == 0 ? 1 : -1
          rowsB[p * d + c] = decoderA.storage[permutation[partner] * d + c] + sign * 1.3 * noise[partner * d + c] / Float(d).squareRoot()
        } else { rowsB[p * d + c] = base + 0.1 * noise[p * d + c] / Float(d).squareRoot() }
      }
    }
    for (url, decoder) in [(a, decoderA), (b, Matrix(rows: n, columns: d, storage: normalised(rowsB)))] {
      let sae = SparseAutoencoder(activation: .topK(k: SAETrainingArchitecture.defaultK), encoder: decoder,
                                  encoderBias: [Float](repeating: 0, count: n), decoder: decoder,
                                  decoderBias: [Float](repeating: 0, count: d))
      let (cfg, weights) = try SAELensFormat.encode(sae)
      let atlas = AtlasDirectory(url)
      try FileManager.default.createDirectory(at: atlas.sae, withIntermediateDirectories: true)
      try AtomicFile.write(cfg, to: atlas.saeConfig)
      try AtomicFile.write(weights, to: atlas.saeWeights)
    }
  }
}
