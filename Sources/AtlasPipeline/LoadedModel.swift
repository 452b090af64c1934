import AtlasArtifacts
import Foundation
import GGUF
import Llama

/// A model loaded for the pipeline, with the digests its artifacts record.
public struct LoadedModel: Sendable {
  public let url: URL
  public let language: LanguageModel
  public let fileDigest: String
  public let tokenizerDigest: String

  /// `fileDigest`, when given, is trusted (a `ModelIdentity` of the same file computed it already).
  public static func load(_ url: URL, maxPositions: Int? = nil, fileDigest: String? = nil) throws -> LoadedModel {
    let file = try GGUFFile(url: url)
    let language = try LanguageModel(gguf: file, maxPositions: maxPositions)
    return LoadedModel(url: url, language: language, fileDigest: try fileDigest ?? FileDigest.sha256(of: url),
                       tokenizerDigest: tokenizerDigest(file))
  }

  /// Digest of the vocabulary, merges and pre-tokenizer (what the capture's corpus plan depends on).
  static func tokenizerDigest(_ file: GGUFFile) -> String {
    var tokenizer = SHA256()
    tokenizer.update((try? file.string(GGUFKey.Tokenizer.preTokenizer)) ?? "")
    for key in [GGUFKey.Tokenizer.tokens, GGUFKey.Tokenizer.merges] {
      for s in (try? file.stringArray(key)) ?? [] {
        tokenizer.update(Array(s.utf8) + [0])
      }
    }
    return tokenizer.hexDigest()
  }

  public var record: ModelRecord {
    let c = language.configuration
    return ModelRecord(file: url.path, sha256: fileDigest, name: language.name, architecture: c.architecture,
                       dModel: c.dModel, layers: c.nLayers, vocabularySize: c.vocabSize)
  }
}

/// What the artifacts record about a model (its digest and shape), read from the GGUF header alone: the
/// stages that never run the model (layout, render, a build with everything up to date) need only this,
/// not the 0.5 GB of dequantized weights.
public struct ModelIdentity: Sendable {
  public let url: URL
  public let fileDigest: String
  public let record: ModelRecord

  public init(url: URL) throws {
    let file = try GGUFFile(url: url)
    let c = try LlamaConfiguration(gguf: file)
    let digest = try FileDigest.sha256(of: url)
    self.url = url
    fileDigest = digest
    record = ModelRecord(file: url.path, sha256: digest,
                         name: (try? file.string(GGUFKey.General.name)) ?? URL(fileURLWithPath: file.source).lastPathComponent,
                         architecture: c.architecture, dModel: c.dModel, layers: c.nLayers, vocabularySize: c.vocabSize)
  }
}
