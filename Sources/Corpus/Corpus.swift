import Foundation

// Text sources -> documents -> (plan) sampled documents -> token windows.
//   let corpus = try Corpus.load(configuration)
//   let plan = try corpus.plan(configuration, tokenizer: tokenizer, beginToken: eos)
//   var stream = corpus.windows(plan, tokenizer: tokenizer)        // or startingAt: for a resumed capture
//   while let window = stream.next() { ... }

/// The loaded documents of every source, in a fixed order: source ids are indices into `sources`.
public struct Corpus: Sendable {
  public var sources: [LoadedSource]

  public init(sources: [LoadedSource]) { self.sources = sources }

  /// Reads every source of the configuration. The default mix expands into its five sources.
  /// Throws when a source cannot be read at all, or when no source yields a document (`CorpusError.emptyCorpus`).
  public static func load(_ configuration: CorpusConfiguration) throws -> Corpus {
    try configuration.validate()
    var sources: [LoadedSource] = []
    for weighted in configuration.sources {
      switch weighted.source {
      case .defaultMix(let cache):
        let location = try DefaultCorpus.locate(cache: cache.map { URL(fileURLWithPath: $0) })
        sources += try location.load(weight: weighted.weight)
      case .directory(let path):
        sources.append(try UserCorpus.directory(path, weight: weighted.weight))
      case .jsonl(let path, let textKey):
        sources.append(try UserCorpus.jsonl(path, textKey: textKey, weight: weighted.weight))
      case .file(let path):
        sources.append(try UserCorpus.file(path, weight: weighted.weight))
      }
    }
    let corpus = Corpus(sources: sources)
    guard corpus.documentCount > 0 else {
      throw CorpusError.emptyCorpus(read: sources.map { $0.summary })
    }
    guard sources.count <= Int(UInt16.max) else {
      throw CorpusError.invalidConfiguration(field: "sources", value: "\(sources.count) sources",
                                             expected: "at most \(UInt16.max)")
    }
    return corpus
  }

  public var documentCount: Int { sources.reduce(0) { $0 + $1.documents.count } }

  /// Every warning of every source, in source order.
  public var warnings: [CorpusWarning] { sources.flatMap(\.warnings) }
}

extension LoadedSource {
  /// "notes/ (directory): 3 files read, 1 binary skipped, 0 documents".
  var summary: String {
    var parts = ["\(statistics.filesRead) file(s) read"]
    if statistics.skippedFiles > 0 { parts.append("\(statistics.skippedFiles) binary skipped") }
    if statistics.ignoredFiles > 0 { parts.append("\(statistics.ignoredFiles) ignored") }
    if statistics.emptyDocuments > 0 { parts.append("\(statistics.emptyDocuments) empty") }
    if statistics.badLines > 0 { parts.append("\(statistics.badLines) bad line(s)") }
    parts.append("\(documents.count) document(s)")
    return "\(name) (\(kind)): " + parts.joined(separator: ", ")
  }
}
