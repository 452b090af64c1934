import AtlasArtifacts
import AtlasPipeline
import Foundation
import Llama
import TensorMath
import TestSupport
import Testing

enum PipelineTestModel {
  static let loaded: LoadedModel? = {
    guard let url = TestPaths.smolLM2 else { return nil }
    return try? LoadedModel.load(url, maxPositions: 512)
  }()
  static var available: Bool { TestPaths.smolLM2 != nil }

  static func tinyCorpus(tokens: Int, window: Int = 32) throws -> CorpusSection {
    var section = CorpusSection()
    section.sources = [CorpusSourceSpecification(path: try TestPaths.fixture("tiny-corpus", in: .module).path)]
    section.tokens = tokens
    section.windowLength = window
    return section
  }
}

@Suite("Capture", .enabled(if: PipelineTestModel.available), .serialized)
struct CaptureTests {
  @Test("Stored activations equal the token-by-token reference forward pass on re-run windows (F32 and F16)")
  func matchesReference() throws {
    let model = try #require(PipelineTestModel.loaded)
    for dtype in ActivationDType.allCases {
      let dir = try TestPaths.scratchDirectory("capture-\(dtype.rawValue)")
      defer { try? FileManager.default.removeItem(at: dir) }
      var capture = CaptureConfiguration()
      capture.dtype = dtype
      capture.windowsPerShard = 4
      capture.windowsPerBatch = 3
      let result = try CaptureRunner.run(model: model, corpus: try PipelineTestModel.tinyCorpus(tokens: 310), capture: capture,
                                         atlas: AtlasDirectory(dir), progress: CollectingProgress())
      #expect(result.manifest.complete)
      #expect(result.manifest.windows == 10)  // ceil(310 / 31)
      let store = try ActivationStore(atlas: AtlasDirectory(dir))
      let hook = "blocks.15.hook_resid_post"
      for (shardIndex, window) in [(0, 0), (1, 2), (2, 1)] {
        let shard = try store.shard(shardIndex, verify: true)
        let tokens = Array(shard.tokens[window * 32 ..< (window + 1) * 32])
        #expect(tokens[0] == model.language.boundaryToken)
        let reference = try model.language.model.referenceForward(
          tokens: tokens, capture: [.residualOutput(layer: 15)], computeLogits: false)
        let expected = try #require(reference.activations[.residualOutput(layer: 15)])
        let stored = try shard.activations(hook)
        var worst = 0.0
        for t in 0 ..< 32 {
          let row = (window * 32 + t) * 576
          var diff = 0.0, norm = 0.0
          for i in 0 ..< 576 {
            let a = Double(stored[row + i]), b = Double(expected[t, i])
            diff += (a - b) * (a - b)
            norm += b * b
          }
          worst = max(worst, (diff / norm).squareRoot())
        }
        // F16 rounding alone is 2^-11 ≈ 4.9e-4 relative per value.
        #expect(worst < (dtype == .f32 ? 1e-4 : 1e-3), "\(dtype) shard \(shardIndex) window \(window): \(worst)")
      }
    }
  }

  @Test("A capture killed with SIGKILL at several moments resumes to the same bytes as an uninterrupted one")
  func killAndResume() throws {
    let binary = try #require(TestPaths.builtProduct("feature-atlas"), "build the feature-atlas product first")
    let model = try #require(TestPaths.smolLM2)
    let corpus = try TestPaths.fixture("tiny-corpus", in: .module).path
    func arguments(_ dir: URL) -> [String] {
      ["capture", "--atlas", dir.path, "--model", model.path, "--corpus", corpus, "--tokens", "2600", "--window", "64",
       "--shard-windows", "3", "--batch-windows", "3"]
    }
    let straight = try TestPaths.scratchDirectory("capture-straight")
    let killed = try TestPaths.scratchDirectory("capture-killed")
    defer {
      try? FileManager.default.removeItem(at: straight)
      try? FileManager.default.removeItem(at: killed)
    }
    try run(binary, arguments(straight))
    // Kill each run right after it finished one more shard (read from its manifest), so every kill provably
    // lands mid-capture with shards on disk; each rerun must continue from the verified shards.
    let manifestURL = AtlasDirectory(killed).activationsManifest
    func shardsOnDisk() -> (count: Int, complete: Bool) {
      guard let m = try? ActivationsManifest.read(from: manifestURL) else { return (0, false) }
      return (m.shards.count, m.complete)
    }
    var killedAt: [Int] = []
    for _ in 0 ..< 4 {
      let before = shardsOnDisk()
      guard !before.complete else { break }
      let process = Process()
      process.executableURL = binary
      process.arguments = arguments(killed)
      process.standardError = FileHandle.nullDevice
      process.standardOutput = FileHandle.nullDevice
      try process.run()
      while process.isRunning && shardsOnDisk().count <= before.count { usleep(5_000) }
      let now = shardsOnDisk()
      if process.isRunning && !now.complete {
        kill(process.processIdentifier, SIGKILL)
        killedAt.append(now.count)
      }
      process.waitUntilExit()
    }
    try run(binary, arguments(killed))
    #expect(killedAt.count >= 2 && killedAt.allSatisfy { $0 > 0 }, "kills after shards \(killedAt); the capture finished too soon")
    let names = try FileManager.default.contentsOfDirectory(atPath: straight.appendingPathComponent("activations").path).sorted()
    let resumed = try FileManager.default.contentsOfDirectory(atPath: killed.appendingPathComponent("activations").path).sorted()
    #expect(names == resumed)
    for name in names {
      let a = try Data(contentsOf: straight.appendingPathComponent("activations/\(name)"))
      let b = try Data(contentsOf: killed.appendingPathComponent("activations/\(name)"))
      #expect(a == b, "\(name) differs after resuming")
    }
  }

  func run(_ binary: URL, _ arguments: [String]) throws {
    let (status, errors) = try runToCompletion(binary, arguments)
    #expect(status == 0, "\(errors)")
  }
}
