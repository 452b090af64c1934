import Foundation

// Text sources -> documents -> (plan) sampled documents -> token windows.
//
//   let corpus = try Corpus.load(configuration)                                      // read and clean every source
//   let plan = try corpus.plan(configuration, tokenizer: tokenizer, beginToken: eot)  // sample by shares, fix order
//   var stream = try corpus.windows(plan, tokenizer: tokenizer, startingAt: resumeAt) // tokenize as windows are taken
//   while let window = stream.next() { ... }          // or stream.next(batch: n), or corpus.windowSource(...).windows(range)
//
// Sources (CorpusSource): the default mix (DefaultCorpus: five sources, FACTS §3.1), a directory of .txt/.md files,
// a JSONL file, a text file; several in one run, each with a weight. Every text is cleaned (TextCleaner: backspace
// overstrikes, ANSI escapes, C0 controls, CRLF) and trimmed; documents left empty are dropped and counted.
//
// Windows: `windowLength` tokens (default 128) = the begin token (the model's `<|endoftext|>`, id 0 for SmolLM2)
// + 127 text tokens of a stream of documents separated by "\n\n". Position 0 is the attention sink: stored for
// display, skipped by capture statistics, SAE training and the atlas (`CorpusPlan.firstTextPosition`).
// The run has ceil(tokenBudget / 127) windows. Held-out windows: `HeldOutSplit` (one per block of 1/fraction).
//
// Default corpus counts against FACTS §3.1 (measured here, Debian 12, pinned wheels, SmolLM2 tokenizer):
//   shakespeare  781 scenes (FACTS 775: it counted "### " headings; 6 scenes use other heading levels), 1,595,350
//                tokens (FACTS 1,560,341; our prefix also names the act: "Hamlet, ACT I, SCENE I. ...")
//   fortunes     15,217 cookies in 43 files, equal to the sum of strfile's own .dat indexes (FACTS 14,464,
//                which none of the length, duplicate or file filters we tried reproduces), 683,154 tokens
//                (FACTS 645,107)
//   networkx     263 files, 1,075,903 tokens (FACTS 1,076,166: we trim each file's final newline, 1 token each)
//   calendar     45 files (as FACTS; the filter is in CalendarFiles), 123,966 tokens (FACTS 95,577: we keep the
//                comment headers and all entries; FACTS does not say what it dropped)
//   licenses     14 distinct texts, 52,134 tokens (FACTS 52,149)

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
