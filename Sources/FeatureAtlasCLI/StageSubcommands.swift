import ArgumentParser
import AtlasArtifacts
import AtlasPipeline
import Foundation
import Llama

/// `--atlas DIR`, shared by every stage command.
struct AtlasOptions: ParsableArguments {
  @Option(name: .long, help: "The atlas directory.")
  var atlas: String = "atlas"

  var directory: AtlasDirectory { AtlasDirectory(URL(fileURLWithPath: (atlas as NSString).expandingTildeInPath)) }

  func validate() throws {
    guard !atlas.trimmingCharacters(in: .whitespaces).isEmpty else {
      throw ValidationError("--atlas is empty; give the atlas directory to use, e.g. --atlas atlas")
    }
  }
}

/// Corpus flags: several sources, each optionally weighted (`--corpus PATH[:WEIGHT]`), or the default mix.
struct CorpusOptions: ParsableArguments {
  @Option(name: .long, help: ArgumentHelp(
    "A corpus source: a directory of .txt/.md files, a .jsonl file or a text file; append :WEIGHT to weight it (repeatable). Default: the embedded five-source mix.",
    valueName: "path[:weight]"))
  var corpus: [String] = []
  @Option(name: .customLong("text-key"), help: "The text field of .jsonl corpora.")
  var textKey = "text"
  @Option(name: .long, help: "Text tokens to capture.")
  var tokens: Int?
  @Option(name: .customLong("window"), help: "Tokens per context window (the first is the <|endoftext|> attention sink).")
  var windowLength: Int?
  @Option(name: .customLong("corpus-seed"), help: "Seed for sampling documents.")
  var seed: UInt64?

  func apply(to section: inout CorpusSection) {
    if !corpus.isEmpty {
      section.sources = corpus.map { spec in
        if spec == "default" { return .embedded }
        var path = spec
        var weight: Double?
        if let colon = spec.lastIndex(of: ":"), let w = Double(spec[spec.index(after: colon)...]) {
          path = String(spec[..<colon])
          weight = w
        }
        return CorpusSourceSpecification(path: path, textKey: textKey, weight: weight)
      }
    }
    if let tokens { section.tokens = tokens }
    if let windowLength { section.windowLength = windowLength }
    if let seed { section.seed = seed }
  }
}

extension FeatureAtlasCommand {
  struct Capture: ParsableCommand, ResolvesConfiguration {
    static let configuration = CommandConfiguration(
      abstract: "Run the model over a corpus and record activations at hook points (resumable).",
      discussion: """
        Writes <atlas>/activations/: safetensors shards and a manifest. Killed at any moment, a rerun with the
        same options verifies the finished shards and continues after them.
        """)

    @OptionGroup var atlasOptions: AtlasOptions
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var corpusOptions: CorpusOptions
    @Option(name: .long, help: ArgumentHelp(
      "Hook point to record (repeatable): blocks.L.hook_resid_pre, hook_attn_out, hook_mlp_out or hook_resid_post (default: \(CaptureConfiguration.defaultHookPoint)).",
      valueName: "hook"), transform: HookPoint.init(name:))
    var hook: [HookPoint] = []
    @Flag(name: .long, help: "Store activations as float32 instead of float16.")
    var f32 = false
    @Option(name: .customLong("batch-windows"), help: "Windows per forward pass.")
    var batchWindows: Int?
    @Option(name: .customLong("shard-windows"), help: "Windows per shard file.")
    var shardWindows: Int?

    /// Capture runs from its flags alone (never an atlas's saved configuration): corpus and capture sections.
    func resolvedConfiguration() throws -> AtlasConfiguration {
      var c = AtlasConfiguration()
      corpusOptions.apply(to: &c.corpus)
      if !hook.isEmpty { c.capture.hookPoints = hook.map(\.name) }
      if f32 { c.capture.dtype = .f32 }
      if let batchWindows { c.capture.windowsPerBatch = batchWindows }
      if let shardWindows { c.capture.windowsPerShard = shardWindows }
      return c
    }

    func run() throws {
      let check = try resolvedConfiguration()
      try check.validate()
      let corpus = check.corpus, capture = check.capture
      let progress = TerminalProgress()
      let lock = try AtlasLock(atlas: atlasOptions.directory, command: "feature-atlas capture")
      lock.removeLeftovers(in: atlasOptions.directory)
      let model = try modelOptions.load(maxPositions: corpus.windowLength)
      let result = try CaptureRunner.run(model: model, corpus: corpus, capture: capture,
                                         atlas: atlasOptions.directory, progress: progress)
      withExtendedLifetime(lock) {}
      let m = result.manifest
      let bytes = m.shards.reduce(0) { $0 + $1.bytes }
      progress.log(String(format: "captured %d windows (%d tokens) at %@ in %.1f s; %@ on disk (%.0f bytes/token)",
                          m.windows, m.windows * m.windowLength, m.hookPoints.joined(separator: ", "), result.seconds,
                          Format.bytes(bytes), Double(bytes) / Double(max(1, m.windows * m.windowLength))))
    }
  }
}
