import AtlasArtifacts
import AtlasPipeline
import Foundation
import TestSupport
import Testing

/// Bad configurations are refused before anything on disk changes, with the key, what was found and what is
/// expected; two writers never share an atlas; stage files are checked against what their stage wrote; a stage
/// that fails leaves what it wrote before.
@Suite("Hardening: configurations, the atlas lock, stamps")
struct HardeningTests {
  func refused(_ edit: (inout AtlasConfiguration) -> Void, dModel: Int? = nil, mentions: [String]) {
    var c = AtlasConfiguration()
    edit(&c)
    #expect {
      try c.validate(dModel: dModel)
    } throws: { error in
      let text = "\(error)"
      return mentions.allSatisfy { text.contains($0) }
    }
  }

  @Test("Values that used to crash or hang are one-line errors naming the key")
  func crashingValues() {
    refused({ $0.capture.hookPoints = [] }, mentions: ["capture.hookPoints", "at least one hook point"])
    refused({ $0.capture.hookPoints = ["blocks.x.resid"] }, mentions: ["capture.hookPoints", "blocks.x.resid"])
    refused({ $0.capture.windowsPerShard = 0 }, mentions: ["capture.windowsPerShard", "is 0"])
    refused({ $0.capture.windowsPerBatch = 0 }, mentions: ["capture.windowsPerBatch", "is 0"])
    refused({ $0.sae.training.latents = 1_000_000_000_000 }, mentions: ["sae.training.latents"])
    refused({ $0.sae.training.latents = 50_000_000 }, dModel: 576, mentions: ["sae.training.latents", "GB"])
    refused({ $0.sae.training.batchSize = 0 }, mentions: ["sae.training.batchSize"])
    refused({ $0.steering.maxNewTokens = 0 }, mentions: ["steering.maxNewTokens"])
    #expect(throws: Never.self) { try AtlasConfiguration().validate(dModel: 576) }
    #expect(throws: Never.self) { try AtlasConfiguration.preset("default").validate(dModel: 576) }
  }

  @Test("A number a setting cannot hold names the key (JSON number errors carry none)")
  func fractionalCount() {
    #expect {
      _ = try AtlasConfiguration.load(yaml: "corpus:\n  tokens: 1.5\n", over: AtlasConfiguration(), source: "a.yaml")
    } throws: { error in
      "\(error)".contains("'corpus.tokens' is 1.5") && "\(error)".contains("whole numbers")
    }
  }

  @Test("An optional key is accepted only in its own section")
  func optionalKeysBySection() throws {
    let base = AtlasConfiguration()
    let c = try AtlasConfiguration.load(yaml: "layout:\n  map:\n    epochs: 50\n", over: base, source: "a.yaml")
    #expect(c.layout.map.epochs == 50)
    #expect {
      _ = try AtlasConfiguration.load(yaml: "layout:\n  map:\n    weight: 3\n", over: base, source: "b.yaml")
    } throws: { "\($0)".contains("layout.map.weight") }
    #expect {
      _ = try AtlasConfiguration.load(yaml: "corpus:\n  epochs: 3\n", over: base, source: "c.yaml")
    } throws: { "\($0)".contains("corpus.epochs") }
  }

  @Test("A YAML alias bomb is refused at once, not expanded")
  func aliasBomb() {
    var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in 1 ... 9 { lines.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]") }
    lines.append("title: *a9")
    let started = Date()
    #expect {
      _ = try AtlasConfiguration.load(yaml: lines.joined(separator: "\n"), over: AtlasConfiguration(), source: "bomb.yaml")
    } throws: { "\($0)".contains("expands to more than") }
    #expect(Date().timeIntervalSince(started) < 5)
    #expect(throws: PipelineError.self) {
      try AtlasConfiguration.load(yaml: String(repeating: "# padding\n", count: 200_000), over: AtlasConfiguration(), source: "big.yaml")
    }
  }

  @Test("A YAML key that is a mapping or a list is a clear error with its line, not a trap in the YAML library")
  func complexYAMLKey() {
    // The input FuzzConfiguration found (Tests/Fuzz): an explicit `?` key holding a flow mapping.
    let found = "sae:\nnnnnnnnnnnnnnnnnnnnnn  trnaining:\n ?  archLtect1efficient: 2}\n    latents: 1020\n"
    for yaml in [found, "? [a, b]\n: 1\n", "sae:\n  ? {k: 1}\n  : 2\n"] {
      #expect {
        _ = try AtlasConfiguration.load(yaml: yaml, over: AtlasConfiguration(), source: "key.yaml")
      } throws: { error in
        let message = "\(error)"
        return message.contains("key.yaml line") && message.contains("not a name")
      }
    }
  }

  @Test("A second writer is refused at once and told who holds the atlas; the lock is free again when the holder ends")
  func lockInProcess() throws {
    let root = try TestPaths.scratchDirectory("lock-in-process")
    defer { try? FileManager.default.removeItem(at: root) }
    let atlas = AtlasDirectory(root)
    var first: AtlasLock? = try AtlasLock(atlas: atlas, command: "feature-atlas build (first)")
    let started = Date()
    #expect {
      _ = try AtlasLock(atlas: atlas, command: "feature-atlas build (second)")
    } throws: { error in
      "\(error)".contains("in use") && "\(error)".contains("pid \(getpid())") && "\(error)".contains("feature-atlas build (first)")
    }
    #expect(Date().timeIntervalSince(started) < 1)
    withExtendedLifetime(first) {}
    first = nil
    _ = try AtlasLock(atlas: atlas, command: "feature-atlas build (third)")
  }

  @Test("A lock held by another process refuses; killed, its lock is taken over")
  func lockAcrossProcesses() throws {
    let root = try TestPaths.scratchDirectory("lock-processes")
    defer { try? FileManager.default.removeItem(at: root) }
    let atlas = AtlasDirectory(root)
    FileManager.default.createFile(atPath: atlas.lock.path, contents: nil)
    let holder = Process()
    holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
    // `-o`: flock itself holds the lock and closes it before running `sleep`; without it `sleep` inherits the
    // locked descriptor and keeps the lock after flock is killed.
    holder.arguments = ["-o", "-x", atlas.lock.path, "sleep", "10"]
    try holder.run()
    defer { if holder.isRunning { holder.terminate() } }
    // Wait until the other process holds the lock.
    var held = false
    for _ in 0 ..< 250 {
      if (try? AtlasLock(atlas: atlas, command: "probe")) == nil { held = true; break }
      usleep(20_000)
    }
    #expect(held)
    kill(holder.processIdentifier, SIGKILL)
    holder.waitUntilExit()
    _ = try AtlasLock(atlas: atlas, command: "after the holder was killed")
  }

  @Test("Leftovers of killed runs (temporary files and staging folders) are removed under the lock")
  func leftovers() throws {
    let root = try TestPaths.scratchDirectory("leftovers")
    defer { try? FileManager.default.removeItem(at: root) }
    let atlas = AtlasDirectory(root)
    let fm = FileManager.default
    try fm.createDirectory(at: root.appendingPathComponent(".site.partial-4242/features"), withIntermediateDirectories: true)
    try fm.createDirectory(at: atlas.features, withIntermediateDirectories: true)
    try Data("x".utf8).write(to: atlas.features.appendingPathComponent(".summaries-00000.json.partial-4242"))
    try Data("{}".utf8).write(to: atlas.featureSummaries(0))
    let lock = try AtlasLock(atlas: atlas, command: "test")
    let removed = lock.removeLeftovers(in: atlas)
    #expect(removed.count == 2)
    #expect(!fm.fileExists(atPath: root.appendingPathComponent(".site.partial-4242").path))
    #expect(fm.fileExists(atPath: atlas.featureSummaries(0).path))
  }

  @Test("A stamp finds every kind of change to its stage's files, by name")
  func stampVerification() throws {
    let root = try TestPaths.scratchDirectory("stamps")
    defer { try? FileManager.default.removeItem(at: root) }
    let folder = root.appendingPathComponent("layout")
    try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
    for (name, text) in [("a.json", "{\"a\":1}"), ("b.bin", "0123456789"), ("sub/c.txt", "c")] {
      try Data(text.utf8).write(to: folder.appendingPathComponent(name))
    }
    try Data("temp".utf8).write(to: folder.appendingPathComponent(".a.json.partial-1"))
    let paths = ArtifactFiles.list(root: root, folders: ["layout"])
    #expect(paths == ["layout/a.json", "layout/b.bin", "layout/sub/c.txt"])
    let stamp = StageStamp(stage: .layout, fingerprint: "f", inputs: [:], files: try ArtifactFiles.digests(root: root, paths: paths))
    #expect(try ArtifactFiles.verify(stamp, root: root, folders: ["layout"]).isEmpty)
    // The stamp round-trips through its file, header first.
    let url = root.appendingPathComponent("stages/layout.json")
    try stamp.write(to: url)
    #expect(try StageStamp.read(from: url) == stamp)

    try Data("{\"a\":2}".utf8).write(to: folder.appendingPathComponent("a.json"))          // same size, edited
    try Data("01234".utf8).write(to: folder.appendingPathComponent("b.bin"))               // truncated
    try FileManager.default.removeItem(at: folder.appendingPathComponent("sub/c.txt"))    // deleted
    try Data("new".utf8).write(to: folder.appendingPathComponent("d.json"))                // added
    let changes = try ArtifactFiles.verify(stamp, root: root, folders: ["layout"])
    #expect(changes.map(\.description) == [
      "layout/a.json changed since it was written (SHA-256 differs)",
      "layout/b.bin has 5 bytes, 10 were written",
      "layout/d.json was not written by its stage",
      "layout/sub/c.txt is missing",
    ])
    #expect(stamp.outputDigest != StageStamp(stage: .layout, fingerprint: "f", inputs: [:],
                                             files: try ArtifactFiles.digests(root: root, paths: ArtifactFiles.list(root: root, folders: ["layout"]))).outputDigest)
  }

  @Test("--only and --force: which stages run, which are only checked, which are skipped")
  func plans() {
    func show(_ only: [StageName], _ force: StageName?) -> String {
      stagePlan(only: only, force: force).map { "\($0.stage.rawValue):\($0.action.rawValue)" }.joined(separator: " ")
    }
    #expect(show([], nil) == "capture:runIfStale train:runIfStale features:runIfStale layout:runIfStale steer:runIfStale render:runIfStale")
    #expect(show([], .layout) == "capture:runIfStale train:runIfStale features:runIfStale layout:rerun steer:rerun render:rerun")
    #expect(show([.capture], nil) == "capture:runIfStale")
    #expect(show([.layout], nil) == "capture:check train:check features:check layout:runIfStale")
    #expect(show([.features, .render], .features)
      == "capture:check train:check features:rerun layout:check steer:check render:rerun")
    #expect(show([.render, .capture], nil)
      == "capture:runIfStale train:check features:check layout:check steer:check render:runIfStale")
  }

  @Test("A stage that fails part-way through writing keeps its previous files and stamp; the atlas still renders")
  func failedStageKeepsPrevious() throws {
    let (root, _, c) = try TinyPipelineTests.setUp("failed-stage")
    defer { try? FileManager.default.removeItem(at: root) }
    let atlas = AtlasDirectory(root.appendingPathComponent("atlas"))
    _ = try AtlasBuild(configuration: c, atlas: atlas, progress: CollectingProgress()).run()
    // Every file the stages wrote, and their stamps (atlas.json is rewritten by every build: it has the time).
    func written() throws -> [FileDigestRecord] {
      try ArtifactFiles.digests(root: atlas.root, paths: ArtifactFiles.list(
        root: atlas.root, folders: ["activations", "sae", "features", "layout", "steering", "stages"]))
    }
    let before = try written()

    // Each stage is rerun with a changed setting and fails writing its last file, after it has replaced others
    // (features: the shard, then the manifest; layout: positions and neighbours, then the clusters).
    var features = c
    features.features.logitTokens = 5
    var layout = c
    layout.layout.map.seed = 99
    for (stage, title, changed, last) in [("features", "analyse features", features, atlas.featuresManifest),
                                          ("layout", "map and clusters", layout, atlas.layoutClusters)] {
      let progress = FailingWrite(header: title, file: last)
      #expect {
        _ = try AtlasBuild(configuration: changed, atlas: atlas, progress: progress).run()
      } throws: { error in
        "\(error)".contains("stage '\(stage)' failed") && "\(error)".contains(last.lastPathComponent)
      }
      #expect(progress.trapped, "the \(stage) stage did not reach its last file")
      #expect(try written() == before, "the failed \(stage) stage changed the atlas")
      #expect(progress.lines.contains("  the \(stage) stage failed: its previous files and stamp are back"), "\(progress.lines)")
      let hidden = try FileManager.default.contentsOfDirectory(atPath: atlas.root.path).filter { $0.contains(".old-") }
      #expect(hidden.isEmpty, "backup left behind: \(hidden)")
    }

    // The atlas is as usable as before: rendering alone checks every stage's files and has nothing to redo …
    let render = try AtlasBuild(configuration: c, atlas: atlas, progress: CollectingProgress(), stages: [.render]).run()
    #expect(render.stages.map(\.skipped) == [true])
    // … and once nothing is in the way, the changed setting redoes its stage and those after it.
    let next = try AtlasBuild(configuration: layout, atlas: atlas, progress: CollectingProgress()).run()
    #expect(next.stages.filter { !$0.skipped }.map(\.name) == [.layout, .steer, .render])
    #expect(try written() != before)
  }
}

/// Collects progress lines and, when the stage titled `header` starts, puts a folder where its temporary copy of `file` will be
/// written (`AtomicFile.temporaryURL`), so that the stage fails on that file after writing the ones before it.
final class FailingWrite: ProgressSink, @unchecked Sendable {
  private let lock = NSLock()
  private var storage: [String] = []
  private var set = false
  let header: String
  let trap: URL

  init(header: String, file: URL) {
    self.header = header
    trap = AtomicFile.temporaryURL(for: file)
  }

  var lines: [String] { lock.withLock { storage } }
  /// Whether the write hit the trap (the failing write removes the folder it found in its way).
  var trapped: Bool { lock.withLock { set } && !FileManager.default.fileExists(atPath: trap.path) }

  func log(_ line: String) {
    lock.withLock {
      storage.append(line)
      // The stage's header, "[n/m] <title>", comes after the start-up cleanup of leftovers.
      if line.hasPrefix("["), line.hasSuffix("] \(header)") {
        set = (try? FileManager.default.createDirectory(at: trap, withIntermediateDirectories: true)) != nil
      }
    }
  }

  func progress(_ label: String, done: Int, total: Int, unit: String) {}
  func finish(_ label: String) {}
}
