import AtlasArtifacts
import Corpus
import Foundation
import Llama

/// Library entry point behind `feature-atlas capture` (and the build's first stage): plan the corpus,
/// then capture (or resume) the activations.
public enum CaptureRunner {
  public struct Result: Sendable {
    public var manifest: ActivationsManifest
    public var corpus: CorpusRecord
    public var seconds: Double
    /// A finished capture with the same fingerprint was found and reused.
    public var reused: Bool
  }

  /// Inputs the capture fingerprint covers: model, tokenizer and the corpus plan's digest.
  public static func inputs(model: LoadedModel, corpusDigest: String) -> [String: String] {
    ["model": model.fileDigest, "tokenizer": model.tokenizerDigest, "corpus": corpusDigest]
  }

  public static func run(model: LoadedModel, corpus: CorpusSection, capture: CaptureConfiguration,
                         atlas: AtlasDirectory, progress: any ProgressSink) throws -> Result {
    let started = Date()
    let source = try CorpusWindowSource(configuration: try corpus.configuration(), tokenizer: model.language.tokenizer,
                                        beginToken: model.language.boundaryToken)
    for warning in source.warnings { progress.log("  warning: \(warning)") }
    let summary = source.plan.sources.map { "\($0.name) \($0.tokens)" }.joined(separator: ", ")
    progress.log("  corpus: \(source.plannedWindows) windows of \(source.windowLength) tokens (\(summary))")
    let outcome = try CaptureStage(configuration: capture, atlas: atlas, progress: progress)
      .run(model: model.language.model, windows: source, inputs: inputs(model: model, corpusDigest: source.digest))
    return Result(manifest: outcome.manifest, corpus: source.record, seconds: Date().timeIntervalSince(started),
                  reused: outcome.reused)
  }
}
