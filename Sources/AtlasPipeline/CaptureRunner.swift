import AtlasArtifacts
import Corpus
import Foundation
import GGUF
import Llama
import Tokenization

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

  public static func run(model: LoadedModel, corpus: CorpusSection, capture: CaptureConfiguration,
                         atlas: AtlasDirectory, progress: any ProgressSink) throws -> Result {
    let started = Date()
    let plan = try Self.plan(tokenizer: model.language.tokenizer, boundaryToken: model.language.boundaryToken,
                        inputs: ["model": model.fileDigest, "tokenizer": model.tokenizerDigest], corpus: corpus, progress: progress)
    let outcome = try Self.capture(plan, model: model, configuration: capture, atlas: atlas, progress: progress)
    return Result(manifest: outcome.manifest, corpus: plan.source.record, seconds: Date().timeIntervalSince(started),
                  reused: outcome.reused)
  }

  /// Plans the corpus with the tokenizer of the GGUF at `modelURL`, read from its header (no weights).
  public static func plan(modelURL: URL, modelDigest: String, corpus: CorpusSection, progress: any ProgressSink) throws -> CapturePlan {
    let file = try GGUFFile(url: modelURL)
    let tokenizer = try LanguageModel.tokenizer(from: file)
    return try plan(tokenizer: tokenizer, boundaryToken: LanguageModel.boundaryToken(tokenizer: tokenizer, file: file),
                    inputs: ["model": modelDigest, "tokenizer": LoadedModel.tokenizerDigest(file)], corpus: corpus, progress: progress)
  }

  static func plan(tokenizer: BPETokenizer, boundaryToken: Int, inputs: [String: String], corpus: CorpusSection,
                   progress: any ProgressSink) throws -> CapturePlan {
    let source = try CorpusWindowSource(configuration: try corpus.configuration(), tokenizer: tokenizer, beginToken: boundaryToken)
    for warning in source.warnings { progress.log("  warning: \(warning)") }
    let summary = source.plan.sources.map { "\($0.name) \($0.tokens)" }.joined(separator: ", ")
    progress.log("  corpus: \(source.plannedWindows) windows of \(source.windowLength) tokens (\(summary))")
    var all = inputs
    all["corpus"] = source.digest
    return CapturePlan(source: source, inputs: all)
  }

  /// Captures (or resumes) the planned windows with the model.
  public static func capture(_ plan: CapturePlan, model: LoadedModel, configuration: CaptureConfiguration, atlas: AtlasDirectory,
                             progress: any ProgressSink) throws -> CaptureStage.Outcome {
    try CaptureStage(configuration: configuration, atlas: atlas, progress: progress)
      .run(model: model.language.model, windows: plan.source, inputs: plan.inputs)
  }
}

/// The capture's corpus plan and what its fingerprint covers (model, tokenizer and corpus digests).
public struct CapturePlan {
  public let source: CorpusWindowSource
  public let inputs: [String: String]
}
