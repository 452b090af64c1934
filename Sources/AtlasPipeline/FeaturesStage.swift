import AtlasArtifacts
import FeatureAnalysis
import Foundation
import Lexicon
import Llama
import SparseAutoencoders
import TensorMath

/// The features stage: encode the captured activations with the SAE and describe every feature
/// (statistics, examples, logit effects, neighbours, labels with held-out evidence), in two streamed passes.
public struct FeaturesStage {
  public var configuration: FeatureAnalysisConfiguration
  public var atlas: AtlasDirectory
  public var progress: any ProgressSink
  /// Sparse codes of the first pass are kept for the second when they fit (entries × 8 bytes).
  public var codeCacheEntries = 64_000_000
  public static let featuresPerShard = 1024
  /// WordNet's data files, for descriptions of concepts; when absent, descriptions are only lexical and
  /// syntactic (and the manifest's inputs say so).
  public var lexiconDirectory: URL? = Lexicon.defaultDirectory

  public init(configuration: FeatureAnalysisConfiguration, atlas: AtlasDirectory, progress: any ProgressSink) {
    self.configuration = configuration
    self.atlas = atlas
    self.progress = progress
  }

  public struct Outcome: Sendable {
    public var manifest: FeaturesManifest
    public var records: [FeatureRecord]
  }

  @discardableResult
  public func run(model: LanguageModel, autoencoder: SparseAutoencoder, store: ActivationStore,
                  inputs: [String: String]) throws -> Outcome {
    let hook = store.manifest.hookPoints[0]
    let tokenizer = model.tokenizer
    let vocabulary = TokenVocabulary(size: model.configuration.vocabSize) { tokenizer.tokenText($0) }
    let analyzer = try FeatureAnalyzer(latents: autoencoder.dSAE, sources: store.manifest.sourceNames,
                                       vocabulary: vocabulary, configuration: configuration)
    var inputs = inputs
    let (lexicon, lexiconDigest) = try Self.loadLexicon(lexiconDirectory, progress: progress)
    analyzer.lexicon = lexicon
    analyzer.tokenEmbedding = model.model.weights.tokenEmbedding
    inputs["wordnet"] = lexiconDigest
    var cache: [Int: (windows: [AnalysisWindow], codes: LatentCodes)] = [:]
    var cachedEntries = 0

    // MARK: Pass 1: every window
    for s in 0 ..< store.shardCount {
      let (windows, codes) = try encode(shard: s, store: store, hook: hook, autoencoder: autoencoder)
      try analyzer.accumulate(windows, codes: codes)
      if cachedEntries + codes.latents.count <= codeCacheEntries {
        cache[s] = (windows, codes)
        cachedEntries += codes.latents.count
      }
      progress.progress("analyse features (pass 1)", done: s + 1, total: store.shardCount, unit: "shards")
    }
    progress.finish("analyse features (pass 1)")
    let weights = model.model.weights
    let live = analyzer.firingCounts.indices.filter { analyzer.firingCounts[$0] > 0 }
    let logits = try LogitEffects.compute(decoder: autoencoder.decoder, normWeight: weights.outputNorm,
                                          unembedding: weights.unembedding, k: configuration.logitTokens, features: live)
    let neighbours = try DecoderNeighbours.compute(decoder: autoencoder.decoder, k: configuration.decoderNeighbours)
    let requested = Set(try analyzer.finishFirstPass(logitEffects: logits, decoderNeighbours: neighbours))

    // MARK: Pass 2: windows holding examples, and the held-out windows
    for s in 0 ..< store.shardCount {
      let record = store.manifest.shards[s]
      guard (record.firstWindow ..< record.firstWindow + record.windows).contains(where: requested.contains) else { continue }
      let (windows, codes) = try cache[s] ?? encode(shard: s, store: store, hook: hook, autoencoder: autoencoder)
      try analyzer.collect(windows, codes: codes)
      cache[s] = nil
      progress.progress("analyse features (pass 2)", done: s + 1, total: store.shardCount, unit: "shards")
    }
    progress.finish("analyse features (pass 2)")
    let summary = try analyzer.finish()

    // MARK: Records, in shards
    let n = autoencoder.dSAE
    let shards = (n + Self.featuresPerShard - 1) / Self.featuresPerShard
    var all: [FeatureRecord] = []
    all.reserveCapacity(n)
    try FileManager.default.createDirectory(at: atlas.features, withIntermediateDirectories: true)
    for shard in 0 ..< shards {
      let range = shard * Self.featuresPerShard ..< min((shard + 1) * Self.featuresPerShard, n)
      let records = try analyzer.records(range) { tokenizer.displayPieces($0) }
      try ShardDecoder.write(FeatureShard(first: range.lowerBound, records: records), to: atlas, shard: shard)
      all += records
    }
    let manifest = FeaturesManifest(
      parameters: try JSONValue(encoding: configuration), inputs: inputs, features: n,
      featuresPerShard: Self.featuresPerShard, shards: shards, analysedTokens: summary.analysedTokens,
      heldOutTokens: summary.heldOutTokens, densityHistogram: summary.densityHistogram, counts: summary.counts)
    try manifest.write(to: atlas.featuresManifest)
    // The folder is this stage's alone: files an earlier run left (more shards, or format 1's one-file shards)
    // go once everything is written, so the stamp vouches only for what this run wrote.
    let kept = Set([atlas.featuresManifest.lastPathComponent] + (0 ..< shards).flatMap {
      [atlas.featureSummaries($0).lastPathComponent, atlas.featureExamples($0).lastPathComponent]
    })
    for name in try FileManager.default.contentsOfDirectory(atPath: atlas.features.path)
    where !kept.contains(name) && !name.hasPrefix(".") {
      try FileManager.default.removeItem(at: atlas.features.appendingPathComponent(name))
    }
    return Outcome(manifest: manifest, records: all)
  }

  /// WordNet from `directory` and a digest of its files ("none" when it is not installed).
  static func loadLexicon(_ directory: URL?, progress: any ProgressSink) throws -> (Lexicon?, String) {
    guard let directory, FileManager.default.fileExists(atPath: directory.appendingPathComponent("data.noun").path) else {
      progress.log("WordNet not found (install Debian's wordnet-base): descriptions will be lexical and syntactic only")
      return (nil, "none")
    }
    return (try Lexicon(directory: directory), wordNetDigest(directory))
  }

  /// Digest of the WordNet files the descriptions are grounded in ("none" when absent): an input of the
  /// features stage's fingerprint.
  static func wordNetDigest(_ directory: URL?) -> String {
    guard let directory, FileManager.default.fileExists(atPath: directory.appendingPathComponent("data.noun").path) else {
      return "none"
    }
    var hash = SHA256()
    for name in ["data", "index"].flatMap({ kind in ["noun", "verb", "adj", "adv"].map { "\(kind).\($0)" } })
      + ["noun.exc", "verb.exc", "adj.exc", "adv.exc"] {
      let url = directory.appendingPathComponent(name)
      guard let data = FileManager.default.contents(atPath: url.path) else { continue }
      hash.update(name)
      data.withUnsafeBytes { hash.update($0) }
    }
    return "sha256:" + hash.hexDigest()
  }

  /// The windows of one shard and the SAE codes of their positions 1..<T (the sink is skipped).
  func encode(shard s: Int, store: ActivationStore, hook: String, autoencoder: SparseAutoencoder) throws
    -> ([AnalysisWindow], LatentCodes)
  {
    let shard = try store.shard(s)
    let T = shard.windowLength, d = store.dModel
    let values = try shard.activations(hook)
    var rows = [Float]()
    rows.reserveCapacity(shard.windows * (T - 1) * d)
    var windows: [AnalysisWindow] = []
    for w in 0 ..< shard.windows {
      let base = w * T
      rows.append(contentsOf: values[(base + 1) * d ..< (base + T) * d])
      windows.append(AnalysisWindow(
        index: shard.firstWindow + w, tokens: Array(shard.tokens[base ..< base + T]),
        sources: Array(shard.sources[base ..< base + T]), documents: Array(shard.documents[base ..< base + T]),
        heldOut: store.manifest.isHeldOut(window: shard.firstWindow + w)))
    }
    let codes = autoencoder.encode(Matrix(rows: shard.windows * (T - 1), columns: d, storage: rows))
    return (windows, LatentCodes(rowStart: codes.rowStart, latents: codes.latents, values: codes.values))
  }

  /// Reads all feature records back from their shards.
  /// `summary: true` reads only the summaries files, not the example windows (see `ShardDecoder`): what the
  /// layout and steering stages read.
  public static func readRecords(_ atlas: AtlasDirectory, summary: Bool = false) throws -> (FeaturesManifest, [FeatureRecord]) {
    let manifest = try FeaturesManifest.read(from: atlas.featuresManifest)
    // Shards in parallel with the site's fast reader (JSONDecoder took minutes for 65k features).
    let shards = ResultSlots<Result<FeatureShard, any Error>>(count: manifest.shards)
    let detail: ShardDecoder.Detail = summary ? .summary : .full
    Parallel.forEach(manifest.shards) { s in shards.set(s, Result { try ShardDecoder.read(atlas, shard: s, detail: detail) }) }
    return (manifest, try shards.values.flatMap { try $0.get().records })
  }
}
