/// One document: a cleaned text and a name that says where it came from
/// ("hamlet.md: ACT I, SCENE I", "/usr/share/games/fortunes/zippy #12", "notes/a.txt", "data.jsonl:42").
public struct CorpusDocument: Sendable, Equatable {
  public var name: String
  public var text: String
  public init(name: String, text: String) {
    self.name = name
    self.text = text
  }
}

/// What reading one source found, besides its documents.
public struct SourceStatistics: Sendable, Equatable, Codable {
  public var filesRead = 0
  public var skippedFiles = 0          // binary files
  public var ignoredFiles = 0          // other extensions (directory sources)
  public var replacedInvalidUTF8 = 0   // U+FFFD substitutions
  public var badLines = 0              // JSONL lines without a usable text field
  public var emptyDocuments = 0        // empty after cleaning, dropped
  public init() {}
}

/// The documents of one source, in a fixed order, with its share weight.
public struct LoadedSource: Sendable {
  public var name: String              // "shakespeare", ..., or the path the user gave
  public var kind: String              // CorpusSource.kind
  public var weight: Double
  public var documents: [CorpusDocument]
  public var statistics: SourceStatistics
  public var warnings: [CorpusWarning]

  public init(name: String, kind: String, weight: Double, documents: [CorpusDocument],
              statistics: SourceStatistics = SourceStatistics(), warnings: [CorpusWarning] = []) {
    self.name = name
    self.kind = kind
    self.weight = weight
    self.documents = documents
    self.statistics = statistics
    self.warnings = warnings
  }

  /// Cleans every text, trims it (`TextCleaner.trimDocument`) and drops the ones left empty (counted).
  static func cleaned(name: String, kind: String, weight: Double, raw: [CorpusDocument],
                      statistics: SourceStatistics = SourceStatistics(), warnings: [CorpusWarning] = []) -> LoadedSource {
    var statistics = statistics
    var warnings = warnings
    var documents: [CorpusDocument] = []
    documents.reserveCapacity(raw.count)
    for document in raw {
      let text = TextCleaner.trimDocument(TextCleaner.clean(document.text))
      if text.isEmpty { statistics.emptyDocuments += 1 } else { documents.append(CorpusDocument(name: document.name, text: text)) }
    }
    if statistics.emptyDocuments > 0 { warnings.append(.emptyDocuments(source: name, count: statistics.emptyDocuments)) }
    return LoadedSource(name: name, kind: kind, weight: weight, documents: documents, statistics: statistics, warnings: warnings)
  }
}
