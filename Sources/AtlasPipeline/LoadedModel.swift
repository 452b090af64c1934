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

  public static func load(_ url: URL, maxPositions: Int? = nil) throws -> LoadedModel {
    let file = try GGUFFile(url: url)
    let language = try LanguageModel(gguf: file, maxPositions: maxPositions)
    var tokenizer = SHA256()
    tokenizer.update((try? file.string(GGUFKey.Tokenizer.preTokenizer)) ?? "")
    for key in [GGUFKey.Tokenizer.tokens, GGUFKey.Tokenizer.merges] {
      for s in (try? file.stringArray(key)) ?? [] {
        tokenizer.update(Array(s.utf8) + [0])
      }
    }
    return LoadedModel(url: url, language: language, fileDigest: try FileDigest.sha256(of: url),
                       tokenizerDigest: tokenizer.hexDigest())
  }

  public var record: ModelRecord {
    let c = language.configuration
    return ModelRecord(file: url.path, sha256: fileDigest, name: language.name, architecture: c.architecture,
                       dModel: c.dModel, layers: c.nLayers, vocabularySize: c.vocabSize)
  }
}
