import AtlasArtifacts
import AtlasDiff
import AtlasFixtures
import AtlasSite
import Foundation
import SparseAutoencoders
import TensorMath
import TestSupport
import Testing

import AtlasPipeline

/// `feature-atlas diff` end to end on synthetic atlases (the site's SyntheticAtlas artifacts plus an SAE in
/// SAELens layout): diff.json, the site, and its check in Chromium.
@Suite("Diff two atlases (pipeline)", .serialized)
struct DiffPipelineTests {
  static let features = 300, dModel = 576

  /// A random SAE whose latents are `rows` of the decoder (unit rows) and a matching encoder.
  static func writeSAE(_ decoder: Matrix, to atlas: AtlasDirectory) throws {
    let sae = SparseAutoencoder(activation: .topK(k: 8), encoder: decoder, encoderBias: [Float](repeating: 0, count: decoder.rows),
                                decoder: decoder, decoderBias: [Float](repeating: 0, count: decoder.columns))
    let (cfg, weights) = try SAELensFormat.encode(sae)
    try FileManager.default.createDirectory(at: atlas.sae, withIntermediateDirectories: true)
    try AtomicFile.write(cfg, to: atlas.saeConfig)
    try AtomicFile.write(weights, to: atlas.saeWeights)
  }

  static func unitRows(_ n: Int, _ d: Int, _ rng: inout SplitMix64) -> Matrix {
    CandidateSearch.unitRows(Matrix(rows: n, columns: d, storage: (0 ..< n * d).map { _ in rng.nextGaussian() }))
  }

  /// A (with its own rendered site) and B: B's SAE is A's with latents permuted and 30 replaced by fresh directions.
  static func makeAtlases(_ root: URL) throws -> (a: URL, b: URL, permutation: [Int], replaced: Set<Int>) {
    var rng = SplitMix64(seed: 77)
    let a = root.appendingPathComponent("runs/a"), b = root.appendingPathComponent("runs/b")
    var options = SyntheticAtlasOptions()
    options.features = features
    options.includeSteering = false
    try SyntheticAtlas.write(to: a, options: options)
    try SyntheticAtlas.write(to: b, options: options)
    let decoder = unitRows(features, dModel, &rng)
    try writeSAE(decoder, to: AtlasDirectory(a))
    var permutation = Array(0 ..< features)   // B's latent p is A's latent permutation[p]
    permutation.shuffle(using: &rng)
    let fresh = unitRows(30, dModel, &rng)
    var decoderB = Matrix(rows: features, columns: dModel)
    var replaced = Set<Int>()
    for p in 0 ..< features {
      if p < 30 {
        decoderB.setRow(p, fresh.row(p))
        replaced.insert(permutation[p])
      } else {
        decoderB.setRow(p, decoder.row(permutation[p]))
      }
    }
    try writeSAE(decoderB, to: AtlasDirectory(b))
    try SiteRenderer(resources: try SiteResources.locate()).render(atlas: AtlasDirectory(a))
    return (a, b, permutation, replaced)
  }

  @Test("diff A B finds the permutation and the replacements, writes diff.json deterministically and a site that loads cleanly in Chromium",
        .timeLimit(.minutes(5)))
  func endToEnd() throws {
    let root = try TestPaths.scratchDirectory("diff-pipeline")
    let (a, b, permutation, replaced) = try Self.makeAtlases(root)
    let out = root.appendingPathComponent("diffs/ab")
    let stage = DiffStage(progress: CollectingProgress())
    let outcome = try stage.run(a: a, b: b, out: out)
    let record = try DiffRecord.read(from: out.appendingPathComponent("diff.json"))
    #expect(record == outcome.record)
    let expected = Set((30 ..< Self.features).map { [permutation[$0], $0] })
    #expect(Set(record.pairs.map { [$0.a, $0.b] }) == expected)
    #expect(Set(record.unmatchedA.map(\.feature)) == replaced)
    #expect(Set(record.unmatchedB.map(\.feature)) == Set(0 ..< 30))
    #expect(record.alignment != nil && record.summary.runDeltas.contains { $0.name == "sae.weightsDigest" || $0.group == "model" })
    #expect(abs(record.summary.sharedFraction - 0.9) < 1e-12)

    // Same inputs, same bytes.
    let first = try Data(contentsOf: out.appendingPathComponent("diff.json"))
    let firstIndex = try Data(contentsOf: out.appendingPathComponent("site/index.html"))
    _ = try stage.run(a: a, b: b, out: out)
    #expect(try Data(contentsOf: out.appendingPathComponent("diff.json")) == first)
    #expect(try Data(contentsOf: out.appendingPathComponent("site/index.html")) == firstIndex)

    // The pair pages link to A's own feature pages by relative path, and the link resolves.
    let pair = try #require(record.pairs.first)
    let naming = Naming(features: Self.features)
    // The page sits in <root>/diffs/ab/site/pairs/: four levels below <root>.
    let pageURL = out.appendingPathComponent("site/pairs/\(naming.id(pair.a))-\(naming.id(pair.b)).html")
    let page = try String(contentsOf: pageURL, encoding: .utf8)
    let link = "../../../../runs/a/site/features/\(naming.featureFile(pair.a))"
    #expect(page.contains("href=\"\(link)\""))
    #expect(FileManager.default.fileExists(
      atPath: pageURL.deletingLastPathComponent().appendingPathComponent(link).standardizedFileURL.path))

    let plan: [String: Any] = [
      "pages": ["index.html", "lists/matched.html", "lists/changed.html", "lists/new.html", "lists/vanished.html", "lists/split.html",
                "pairs/\(naming.id(pair.a))-\(naming.id(pair.b)).html"],
      "filter": ["page": "lists/vanished.html", "query": naming.id(record.unmatchedA[0].feature), "expectAtMost": 2],
    ]
    let report = try DiffBrowserCheck.run(site: out.appendingPathComponent("site"), plan: plan)
    #expect(report.problems.isEmpty, "\(report.problems.joined(separator: "\n"))")
  }

  @Test("diff A A is all matched at similarity 1; different hook points without activations are refused with a clear message")
  func selfAndRefusal() throws {
    let root = try TestPaths.scratchDirectory("diff-self")
    var rng = SplitMix64(seed: 5)
    let a = root.appendingPathComponent("a")
    var options = SyntheticAtlasOptions()
    options.features = 120
    try SyntheticAtlas.write(to: a, options: options)
    try Self.writeSAE(Self.unitRows(120, Self.dModel, &rng), to: AtlasDirectory(a))
    let record = try DiffStage(progress: CollectingProgress()).run(a: a, b: a, out: root.appendingPathComponent("aa"), site: nil).record
    #expect(record.pairs.count == 120 && record.pairs.allSatisfy { $0.a == $0.b && abs($0.similarity - 1) < 1e-5 && $0.status == .matched })
    #expect(record.summary.sharedFraction == 1 && record.unmatchedA.isEmpty && record.unmatchedB.isEmpty)
    #expect(record.summary.runDeltas.filter { $0.group != "seeds" }.allSatisfy { $0.same })

    // B at another hook point.
    let b = root.appendingPathComponent("b")
    try FileManager.default.copyItem(at: a, to: b)
    var atlasB = try AtlasRecord.read(from: AtlasDirectory(b).atlasRecord)
    atlasB.hookPoint = "blocks.20.hook_resid_post"
    try atlasB.write(to: AtlasDirectory(b).atlasRecord)
    var directions = DiffConfiguration()
    directions.matchBy = .directions
    do {
      _ = try DiffStage(configuration: directions, progress: CollectingProgress()).run(a: a, b: b, out: root.appendingPathComponent("ab"), site: nil)
      Issue.record("diffing different hook points by directions was accepted")
    } catch {
      let message = "\(error)"
      #expect(message.contains("blocks.20.hook_resid_post") && message.contains("activation correlation") && message.contains("--match-by activations"))
    }
    // Automatically by activations: this synthetic atlas captured none, and the message says what to do.
    #expect {
      _ = try DiffStage(progress: CollectingProgress()).run(a: a, b: b, out: root.appendingPathComponent("ab"), site: nil)
    } throws: { error in
      "\(error)".contains("captured activations") && "\(error)".contains("feature-atlas build --atlas")
    }
    #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("ab/diff.json").path))
  }
}

/// Runs Fixtures/diff_browser_check.py with the Python that has Playwright.
enum DiffBrowserCheck {
  struct Report: Decodable { var problems: [String]; var screenshots: [String] }
  struct Unavailable: Error, CustomStringConvertible { var reason: String; var description: String { reason } }

  static func run(site: URL, plan: [String: Any]) throws -> Report {
    let python = try BrowserCheck.findPython()
    let script = TestPaths.packageRoot.appendingPathComponent("Tests/AtlasPipelineTests/Fixtures/diff_browser_check.py")
    let shots = TestPaths.packageRoot.appendingPathComponent(".build/site-screenshots/diff")
    let planFile = FileManager.default.temporaryDirectory.appendingPathComponent("diff-plan-\(getpid()).json")
    try JSONSerialization.data(withJSONObject: plan, options: [.sortedKeys]).write(to: planFile)
    defer { try? FileManager.default.removeItem(at: planFile) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [script.path, "--site", site.path, "--plan", planFile.path, "--screenshots", shots.path]
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let stdout = output.fileHandleForReading.readDataToEndOfFile()
    let stderr = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard let report = try? JSONDecoder().decode(Report.self, from: stdout) else {
      throw Unavailable(reason: "diff_browser_check.py exited with \(process.terminationStatus):\n" + String(decoding: stdout + stderr, as: UTF8.self))
    }
    print("diff screenshots: \(shots.path)")
    return report
  }
}
