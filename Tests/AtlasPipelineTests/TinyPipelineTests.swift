import AtlasArtifacts
import AtlasPipeline
import Foundation
import TestSupport
import Testing

/// The whole pipeline (capture → train → features → layout → steer → render) on a tiny random Llama and the
/// tiny fixture corpus: every stage's real code in seconds, no real model needed.
@Suite("Pipeline on a tiny Llama (no real model)", .serialized)
struct TinyPipelineTests {
  static func yaml(model: URL, corpus: URL) -> String {
    """
    title: Tiny pipeline
    model: \(model.path)
    corpus:
      sources: [{path: \(corpus.path)}]
      tokens: 3000
      windowLength: 32
    capture:
      hookPoints: [blocks.1.hook_resid_post]
      windowsPerShard: 40
    sae:
      training:
        latents: 64
        batchSize: 128
        tokens: 12000
        deadTokens: 4000
      ceWindows: 2
      checkpointEvery: 10
    steering:
      automatic: 2
      minimumEvidence: 0
      prompts: ["Say something."]
      strengths: [5]
      maxNewTokens: 4
    """
  }

  static func setUp(_ name: String) throws -> (root: URL, config: URL, configuration: AtlasConfiguration) {
    let root = try TestPaths.scratchDirectory(name)
    let model = try TinyLlama.write(to: root)
    let config = root.appendingPathComponent("tiny.yaml")
    let text = yaml(model: model, corpus: try TestPaths.fixture("tiny-corpus", in: .module))
    try text.write(to: config, atomically: true, encoding: .utf8)
    return (root, config, try AtlasConfiguration.load(yaml: text, over: AtlasConfiguration(), source: "tiny.yaml"))
  }

  @Test("Every stage runs on the tiny model; a second build reuses all of them; stamps record every stage's files")
  func buildAndReuse() throws {
    let (root, _, c) = try Self.setUp("tiny-pipeline")
    defer { try? FileManager.default.removeItem(at: root) }
    let atlas = AtlasDirectory(root.appendingPathComponent("atlas"))
    let first = try AtlasBuild(configuration: c, atlas: atlas, progress: CollectingProgress()).run()
    #expect(first.stages.map(\.name) == StageName.allCases)
    #expect(first.stages.allSatisfy { !$0.skipped })
    #expect(FileManager.default.fileExists(atPath: atlas.siteIndex.path))
    for stage in StageName.allCases {
      let stamp = try StageStamp.read(from: atlas.stamp(stage.rawValue))
      #expect(stamp.stage == stage)
      #expect(stage == .render || !stamp.files.isEmpty, "\(stage) recorded no files")
    }
    // The run page shows the render's own time (refreshed once the render was recorded, not re-rendered).
    let run = try String(contentsOf: atlas.site.appendingPathComponent("run.html"), encoding: .utf8)
    #expect(run.contains(">render<"))

    let progress = CollectingProgress()
    let second = try AtlasBuild(configuration: c, atlas: atlas, progress: progress).run()
    #expect(second.stages.allSatisfy { $0.skipped }, "\(second.stages.filter { !$0.skipped }.map(\.name))")
    #expect(!progress.lines.contains { $0.contains("loading model") }, "a build with nothing to do loaded the weights")

    // A changed setting redoes its stage and those that read it, nothing before it.
    var changed = c
    changed.layout.map.seed = 99
    let third = try AtlasBuild(configuration: changed, atlas: atlas, progress: CollectingProgress()).run()
    #expect(third.stages.filter { !$0.skipped }.map(\.name) == [.layout, .steer, .render])
  }

  @Test("Features are two files per shard, summaries and examples; a file left in features/ is named, and the redone stage removes it")
  func featureFilesSplitByReader() throws {
    let (root, _, c) = try Self.setUp("tiny-feature-files")
    defer { try? FileManager.default.removeItem(at: root) }
    let atlas = AtlasDirectory(root.appendingPathComponent("atlas"))
    _ = try AtlasBuild(configuration: c, atlas: atlas, progress: CollectingProgress()).run()
    let manifest = try FeaturesManifest.read(from: atlas.featuresManifest)
    let names = try FileManager.default.contentsOfDirectory(atPath: atlas.features.path).sorted()
    #expect(names == (["manifest.json"] + (0 ..< manifest.shards).flatMap {
      [atlas.featureExamples($0).lastPathComponent, atlas.featureSummaries($0).lastPathComponent]
    }).sorted())
    let summaries = try FeatureSummaryShard.read(from: atlas.featureSummaries(0))
    let examples = try FeatureExampleShard.read(from: atlas.featureExamples(0))
    #expect(summaries.records.allSatisfy { $0.topExamples.isEmpty && $0.quantileSamples.isEmpty && $0.intervalSamples.isEmpty })
    #expect(examples.records.contains { !$0.topExamples.isEmpty })
    #expect(summaries.records.map(\.index) == examples.records.map(\.index))
    let before = try ArtifactFiles.digests(root: atlas.root, paths: ArtifactFiles.list(root: atlas.root, folders: ["features"]))

    // A one-file shard of the old format (or any file the stage did not write) is reported and cleared away.
    let stray = atlas.features.appendingPathComponent("shard-00000.json")
    try Data("{}".utf8).write(to: stray)
    let progress = CollectingProgress()
    let next = try AtlasBuild(configuration: c, atlas: atlas, progress: progress).run()
    #expect(progress.lines.contains { $0.contains("features/shard-00000.json was not written by its stage") }, "\(progress.lines)")
    #expect(next.stages.filter { !$0.skipped }.map(\.name) == [.features])
    #expect(!FileManager.default.fileExists(atPath: stray.path))
    #expect(try ArtifactFiles.digests(root: atlas.root, paths: ArtifactFiles.list(root: atlas.root, folders: ["features"])) == before)
  }

  @Test("A second writer is refused in under a second and named; the first finishes; bad flags fail before any write")
  func concurrentWriters() throws {
    let binary = try #require(TestPaths.builtProduct("feature-atlas"), "build the feature-atlas product first")
    let (root, config, _) = try Self.setUp("tiny-concurrent")
    defer { try? FileManager.default.removeItem(at: root) }
    let atlasPath = root.appendingPathComponent("atlas").path
    let first = Process()
    first.executableURL = binary
    first.arguments = ["build", "--atlas", atlasPath, "--config", config.path]
    first.standardOutput = FileHandle.nullDevice
    first.standardError = FileHandle.nullDevice
    try first.run()
    // Wait until the first build holds the lock (its holder record is written right after locking).
    let lock = AtlasDirectory(URL(fileURLWithPath: atlasPath)).lock
    for _ in 0 ..< 500 where ((try? Data(contentsOf: lock))?.isEmpty ?? true) { usleep(10_000) }
    let started = Date()
    let second = try runToCompletion(binary, ["build", "--atlas", atlasPath, "--config", config.path])
    let seconds = Date().timeIntervalSince(started)
    first.waitUntilExit()
    #expect(second.status != 0)
    #expect(second.errors.contains("in use by another feature-atlas command") && second.errors.contains("pid \(first.processIdentifier)"),
            "\(second.errors)")
    #expect(seconds < 1.0)
    #expect(first.terminationStatus == 0)

    // Values that used to crash, hang or write into the current directory are refused up front.
    for (flags, message) in [
      (["capture", "--atlas", atlasPath, "--shard-windows", "0"], "capture.windowsPerShard"),
      (["build", "--atlas", "", "--config", config.path], "--atlas is empty"),
      (["build", "--atlas", atlasPath, "--config", config.path, "--model", root.path], "is a directory"),
    ] {
      let result = try runToCompletion(binary, flags)
      #expect(result.status != 0 && result.errors.contains(message), "\(flags): \(result.errors)")
    }
    let bad = root.appendingPathComponent("empty-hooks.yaml")
    let text = try String(contentsOf: config, encoding: .utf8)
      .replacingOccurrences(of: "hookPoints: [blocks.1.hook_resid_post]", with: "hookPoints: []")
    try text.write(to: bad, atomically: true, encoding: .utf8)
    let before = try FileManager.default.contentsOfDirectory(atPath: atlasPath + "/activations").sorted()
    let empty = try runToCompletion(binary, ["build", "--atlas", atlasPath, "--config", bad.path])
    #expect(empty.status != 0 && empty.errors.contains("capture.hookPoints"), "\(empty.errors)")
    let hooks = try runToCompletion(binary, ["capture", "--atlas", atlasPath, "--hook", "blocks.1.nothing"])
    #expect(hooks.status != 0 && hooks.errors.contains("blocks.1.nothing"), "\(hooks.errors)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: atlasPath + "/activations").sorted() == before)
  }
}
