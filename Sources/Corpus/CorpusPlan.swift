import AtlasArtifacts
import Tokenization

// The plan: which documents, in which order, and how many of their tokens, make the token stream that is cut
// into windows. It is small (a few numbers per document), Codable, and identified by a digest, so a resumed
// capture can check it reads the same stream and jump straight to window N.
//
// Stream layout:   doc₀ tokens, sep, doc₁ tokens, sep, doc₂ ...        (sep = tokens of "\n\n")
// Window w:        [begin] + stream[w·(L−1) ..< (w+1)·(L−1)]            (L = windowLength, begin = <|endoftext|>)
// The separator after a document belongs to that document (source and document ids), and the stream is cut after
// windowCount·(L−1) tokens, so the last document is usually cut short.

/// One sampled document in stream order.
public struct PlannedDocument: Codable, Sendable, Equatable {
  public var source: UInt16     // index into Corpus.sources
  public var document: UInt32   // index into that source's documents
  public var tokens: Int        // text tokens taken: all of the document's, or a prefix when it fills its source's share
  public var truncated: Bool    // tokens < the document's token count
}

/// Per-source summary of a plan.
public struct SourcePlan: Codable, Sendable, Equatable {
  public var name: String
  public var kind: String
  public var weight: Double
  public var share: Double            // weight / total weight
  public var poolDocuments: Int       // documents the source holds
  public var documents: Int           // documents with at least one token in the windows
  public var tokens: Int              // text tokens in the windows (separators included)
  public var targetTokens: Int        // share × stream length (after redistributing exhausted sources)
  public var statistics: SourceStatistics
}

/// The sampled documents and how they are packed into windows.
public struct CorpusPlan: Codable, Sendable, Equatable {
  public var documents: [PlannedDocument]   // [stream order]
  public var sources: [SourcePlan]          // [corpus.sources.count]
  public var windowLength: Int              // tokens per window, sink included
  public var windowCount: Int
  public var beginToken: Int32              // position 0 of every window (the attention sink)
  public var separatorTokens: [Int32]       // after every document
  public var seed: UInt64
  public var heldOut: HeldOutSplit
  public var tokenizerFingerprint: String   // vocabulary size, merges, pre-tokenizer and ids of a probe text
  public var digest: String                 // see `CorpusPlan.digest(...)`
  public var warnings: [CorpusWarning]

  /// Text tokens per window.
  public var textTokensPerWindow: Int { windowLength - 1 }

  /// Text tokens in all windows (the sink positions excluded).
  public var textTokens: Int { windowCount * textTokensPerWindow }

  /// Index of the first training-or-evaluation position of a window: position 0 is the `<|endoftext|>`
  /// attention sink (residual norm ~20,000 after block 15); capture stores it for display, training and the atlas
  /// skip it.
  public static let firstTextPosition = 1

  /// The `atlas.json` corpus record: per source, documents and tokens that are in the windows.
  public var record: CorpusRecord {
    CorpusRecord(
      sources: sources.map {
        CorpusSourceRecord(name: $0.name, kind: $0.kind, weight: $0.weight, documents: $0.documents, tokens: $0.tokens,
                           replacedInvalidUTF8: $0.statistics.replacedInvalidUTF8,
                           skippedFiles: $0.statistics.skippedFiles,
                           about: $0.kind == "default" ? DefaultSourceName(rawValue: $0.name)?.about : nil)
      },
      digest: digest, documents: sources.reduce(0) { $0 + $1.documents }, tokens: textTokens)
  }

  // MARK: - Digest

  /// sha256 over a version line, the packing parameters (window length and count, begin token, separator ids,
  /// tokenizer fingerprint) and, per planned document in order: its source name, its name, the number of tokens
  /// taken and its full text, each length-prefixed. Independent of the held-out split, which does not change the
  /// stream.
  static func digest(documents: [PlannedDocument], corpus: Corpus, windowLength: Int, windowCount: Int,
                     beginToken: Int32, separatorTokens: [Int32], tokenizerFingerprint: String) -> String {
    var hash = SHA256()
    func field(_ string: String) {
      hash.update("\(string.utf8.count):")
      hash.update(string)
    }
    field("feature-atlas corpus plan v1")
    field("window \(windowLength) x \(windowCount), begin \(beginToken), separator \(separatorTokens)")
    field(tokenizerFingerprint)
    for planned in documents {
      let source = corpus.sources[Int(planned.source)]
      let document = source.documents[Int(planned.document)]
      field(source.name)
      field(document.name)
      field("\(planned.tokens)")
      field(document.text)
    }
    return hash.finalize().map { byte in
      let digits = Array("0123456789abcdef")
      return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }.joined()
  }

  /// Identifies a tokenizer well enough to refuse a plan made with another one.
  static func fingerprint(_ tokenizer: BPETokenizer) -> String {
    let probe = "Hello, world! It's 2024.\n\tdef f(x):\n        return x  # ünïcödé Привет 日本"
    let ids = tokenizer.encode(probe).map(String.init).joined(separator: ",")
    return "vocab \(tokenizer.vocabularySize), merges \(tokenizer.mergeCount), pre \(tokenizer.preTokenizer.rawValue), probe \(ids)"
  }
}

extension Corpus {
  /// Throws `CorpusError.planMismatch` unless `plan` was made from this corpus's documents with this tokenizer
  /// (recomputes the digest from the texts; no tokenizing). Call it before resuming a capture.
  public func verify(_ plan: CorpusPlan, tokenizer: BPETokenizer) throws {
    let fingerprint = CorpusPlan.fingerprint(tokenizer)
    guard plan.sources.map(\.name) == sources.map(\.name), plan.windowLength >= 2, plan.windowCount >= 0,
      plan.documents.count <= Int(UInt32.max),
      plan.documents.allSatisfy({
        Int($0.source) < sources.count && Int($0.document) < sources[Int($0.source)].documents.count && $0.tokens >= 1
      })
    else {
      throw CorpusError.planMismatch(expected: plan.digest, found: "(sources or document counts differ)")
    }
    let digest = CorpusPlan.digest(
      documents: plan.documents, corpus: self, windowLength: plan.windowLength, windowCount: plan.windowCount,
      beginToken: plan.beginToken, separatorTokens: plan.separatorTokens, tokenizerFingerprint: fingerprint)
    guard digest == plan.digest else { throw CorpusError.planMismatch(expected: plan.digest, found: digest) }
  }
}
