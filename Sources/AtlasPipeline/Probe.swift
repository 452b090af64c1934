import AtlasArtifacts
import FeatureAnalysis
import Foundation
import GGUF
import Lexicon
import Llama
import SparseAutoencoders
import TensorMath
import Tokenization

/// The `probe` section of `atlas.yaml`: topic search ("which features fire on text about X?").
public struct ProbeConfiguration: Codable, Sendable, Equatable {
  /// Topics `feature-atlas probe --configured` probes; the site shows a page for every probed topic.
  public var topics: [String] = []
  /// Positions after a topic word that count as near it (the word's own tokens always do).
  public var after = 2
  /// Topic spans used at most (a seeded sample when the words occur more often).
  public var maxTopicSpans = 800
  /// Neutral spans sampled from corpus windows without the topic's words.
  public var neutralSpans = 4000
  /// A span counts as a firing when the feature reaches this share of its largest corpus activation.
  public var firingFraction = 0.1
  /// Relatives of a one-word topic added from the model's own token embedding: its nearest whole-word tokens
  /// by cosine (at least `neighbourCosine`) of the rows as `TokenMeaning` gives them (centred, the 8 largest
  /// directions out: money → funds, dollars, cash). 0 = none. With the rows only centred, the nearest tokens of
  /// "love" were and, can, john, like, the (measured).
  public var neighbours = 8
  public var neighbourCosine = 0.3
  /// Relatives of each topic word from WordNet (when installed): its synonyms, the kinds below it and its
  /// derivations (`Lexicon.topicRelatives`: disease → infection, plague, measles, …), at most this many per
  /// word; 0 = none. Many topics are named more often by their kinds than by their own word (the default
  /// corpus says "disease" 25 times).
  public var relatives = 400
  /// Occurrences of one relative used at most (a seeded sample); the topic's own words are not capped.
  public var relativeSpans = 8
  /// Features kept in a topic's record and page.
  public var top = 30
  /// Topic spans shown as evidence per feature.
  public var evidence = 3
  public var seed: UInt64 = 0
  public init() {}
}

public enum ProbeError: Error, CustomStringConvertible {
  case emptyTopic(String)
  case noOccurrences(topic: String, terms: [String])
  case noExamples(path: String)
  case unreadableExamples(path: String, reason: String)
  case tokenizerMismatch(expected: Int, found: Int)

  public var description: String {
    switch self {
    case .emptyTopic(let topic):
      "the topic '\(topic)' has no content words; give a word or phrase such as --topic \"disease\""
    case .noOccurrences(let topic, let terms):
      "no corpus window of this atlas contains '\(topic)' or its forms (\(terms.prefix(12).joined(separator: ", "))\(terms.count > 12 ? ", …" : "")); "
        + "try a related word that the corpus uses, or give example texts with --examples FILE"
    case .noExamples(let path):
      "\(path) holds no text; expected one example per line or per paragraph"
    case .unreadableExamples(let path, let reason):
      "cannot read the examples file \(path): \(reason)"
    case .tokenizerMismatch(let expected, let found):
      "the model's vocabulary has \(found) tokens but the atlas was built with a \(expected)-token model; pass the atlas's model with --model"
    }
  }
}

/// Topic search over one atlas: ranks the SAE's features by how much more they fire on text about a topic
/// than on neutral text (the score is `TopicContrast`'s). The atlas's SAE, activations and feature
/// summaries are loaded once, so several topics cost little more than one.
///
/// Two sources of topic text:
/// - **corpus** (a word or phrase): spans of the atlas's own corpus windows at each occurrence of the
///   topic's word forms (`TopicTerms.expand`), from the stored activations; neutral spans are seeded
///   samples of windows that contain none of them.
/// - **examples** (texts): the model runs on them (capture at the atlas's hook point) and every slice of
///   `after + 1` tokens is a topic span; neutral spans are seeded samples of the corpus windows.
public final class TopicProbe {
  public let atlas: AtlasDirectory
  public let configuration: ProbeConfiguration
  public let hookPoint: String
  let store: ActivationStore
  let autoencoder: SparseAutoencoder
  let records: [FeatureRecord]          // [features] summaries (no example windows)
  let thresholds: [Float]               // [features]
  public let tokenizer: BPETokenizer
  public let modelURL: URL
  let tokens: [Int32]                   // [windows * T] every corpus token, window-major
  let documents: [Int32]                // [windows * T]
  let sourceOfWindow: [Int32]           // [windows] source id of position 1
  let windowLength: Int
  let continuesWord: [Bool]             // [vocab] token text starts with a letter (no space before it)
  let endsWithLetter: [Bool]            // [vocab]
  let inputs: [String: String]
  let lexiconDirectory: URL?            // WordNet, for the topic words' relatives (nil: not wanted)
  private var lexicon: Lexicon??        // loaded by the first word topic (examples never need it); .some(nil): not installed

  public init(atlas: AtlasDirectory, configuration: ProbeConfiguration, model: String? = nil,
              lexiconDirectory: URL? = Lexicon.defaultDirectory) throws {
    self.atlas = atlas
    self.configuration = configuration
    self.lexiconDirectory = configuration.relatives > 0 ? lexiconDirectory : nil
    let record = try AtlasRecord.read(from: atlas.atlasRecord)
    store = try ActivationStore(atlas: atlas)
    hookPoint = store.manifest.hookPoints[0]
    autoencoder = try SAELensFormat.decode(cfg: Data(contentsOf: atlas.saeConfig), weights: Data(contentsOf: atlas.saeWeights),
                                           expectedDIn: store.dModel).autoencoder
    records = try FeaturesStage.readRecords(atlas, summary: true).1
    guard records.count == autoencoder.dSAE else {
      throw PipelineError.mismatch("features/ describes \(records.count) features, the SAE has \(autoencoder.dSAE); re-run `feature-atlas analyze`")
    }
    let fraction = Float(configuration.firingFraction)
    thresholds = records.map { max(Float.leastNonzeroMagnitude, $0.maxActivation * fraction) }

    // The model file only for its tokenizer (and, with examples, its weights).
    let fromRecord = FileManager.default.fileExists(atPath: record.model.file) ? record.model.file : nil
    modelURL = try DefaultPaths.model(model ?? fromRecord)
    tokenizer = try LanguageModel.tokenizer(from: GGUFFile(url: modelURL))
    guard tokenizer.vocabularySize == record.model.vocabularySize else {
      throw ProbeError.tokenizerMismatch(expected: record.model.vocabularySize, found: tokenizer.vocabularySize)
    }
    var continues = [Bool](repeating: false, count: tokenizer.vocabularySize)
    var endsLetter = [Bool](repeating: false, count: tokenizer.vocabularySize)
    for id in 0 ..< tokenizer.vocabularySize {
      let bytes = tokenizer.tokenBytes(id)
      if let first = bytes.first { continues[id] = Self.isLetterByte(first) }
      if let last = bytes.last { endsLetter[id] = Self.isLetterByte(last) }
    }
    continuesWord = continues
    endsWithLetter = endsLetter

    windowLength = store.windowLength
    var tokens: [Int32] = [], documents: [Int32] = [], sources: [Int32] = []
    tokens.reserveCapacity(store.manifest.windows * windowLength)
    for s in 0 ..< store.shardCount {
      let shard = try store.shard(s)
      tokens += shard.tokens.map { Int32(truncatingIfNeeded: $0) }
      documents += shard.documents.map { Int32(truncatingIfNeeded: $0) }
      for w in 0 ..< shard.windows { sources.append(Int32(truncatingIfNeeded: shard.sources[w * windowLength + min(1, windowLength - 1)])) }
    }
    self.tokens = tokens
    self.documents = documents
    sourceOfWindow = sources
    let saeDigest = (try? SAETrainingRecord.read(from: atlas.saeTraining))?.weightsDigest ?? ((try? FileDigest.sha256(of: atlas.saeWeights)) ?? "")
    inputs = ["sae": saeDigest, "activations": store.manifest.fingerprint]
  }

  /// ASCII letters and the lead bytes of multi-byte characters (letters of other scripts).
  static func isLetterByte(_ b: UInt8) -> Bool { (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b >= 0xC0 }

  var windows: Int { tokens.count / max(1, windowLength) }

  // MARK: - Spans

  /// Where a span's rows come from and what to show for it.
  struct Span {
    var window: Int          // corpus window, or -1 for an example text
    var start: Int           // first position of the span in its window / example
    var end: Int             // one past the last
    var term: Int            // index of the matched term, -1 for none
  }

  /// Token sequences of each word form: " word", "word", " Word", "Word", " WORD", "WORD".
  func patterns(_ forms: [String]) -> [(tokens: [Int32], term: Int)] {
    var out: [(tokens: [Int32], term: Int)] = []
    var seen = Set<[Int32]>()
    for (t, form) in forms.enumerated() {
      let capitalised = form.prefix(1).uppercased() + form.dropFirst()
      for variant in [form, capitalised, form.uppercased()] {
        for text in [" " + variant, variant] {
          let ids = tokenizer.encode(text).map { Int32($0) }
          if !ids.isEmpty, seen.insert(ids).inserted { out.append((ids, t)) }
        }
      }
    }
    return out
  }

  /// Every occurrence of a pattern as a whole word (not inside a longer word) at positions ≥ 1.
  func occurrences(_ patterns: [(tokens: [Int32], term: Int)]) -> [Span] {
    var byFirst: [Int32: [Int]] = [:]
    for (k, p) in patterns.enumerated() { byFirst[p.tokens[0], default: []].append(k) }
    let T = windowLength
    var out: [Span] = []
    for w in 0 ..< windows {
      let base = w * T
      var p = 1
      while p < T {
        guard let candidates = byFirst[tokens[base + p]] else { p += 1; continue }
        var matched: Span?
        for k in candidates {
          let pattern = patterns[k].tokens
          let end = p + pattern.count
          guard end <= T, (0 ..< pattern.count).allSatisfy({ tokens[base + p + $0] == pattern[$0] }) else { continue }
          // Whole words only: the next token does not continue the word, and a pattern without a leading
          // space does not continue the previous one.
          if end < T, continuesWord[Int(tokens[base + end])] { continue }
          if continuesWord[Int(pattern[0])], p > 1, endsWithLetter[Int(tokens[base + p - 1])] { continue }
          if matched == nil || end > matched!.end { matched = Span(window: w, start: p, end: end, term: patterns[k].term) }
        }
        if let m = matched {
          out.append(m)
          p = m.end
        } else {
          p += 1
        }
      }
    }
    return out
  }

  /// Extends a word's span by `after` positions, within its window and document.
  func near(_ span: Span) -> Span {
    var s = span
    let base = span.window * windowLength
    let document = documents[base + span.start]
    while s.end < windowLength, s.end < span.end + configuration.after, documents[base + s.end] == document { s.end += 1 }
    return s
  }

  /// Seeded neutral spans with the lengths of `lengths` (cycled), from `pool` windows. With `sources`
  /// (the corpus source of each topic span, cycled alike), each neutral span comes from a window of the same
  /// source when the pool has one: the contrast is then about the topic, not about the register of the
  /// sources the topic's words happen to occur in (verse, licences, code).
  func neutralSpans(pool: [Int], lengths: [Int], sources: [Int32] = [], rng: inout SplitMix64) -> [Span] {
    guard !pool.isEmpty, !lengths.isEmpty else { return [] }
    var bySource: [Int32: [Int]] = [:]
    for w in pool { bySource[sourceOfWindow[w], default: []].append(w) }
    var out: [Span] = []
    for k in 0 ..< configuration.neutralSpans {
      let length = min(lengths[k % lengths.count], windowLength - 1)
      let candidates = sources.isEmpty ? pool : (bySource[sources[k % sources.count]] ?? pool)
      let w = candidates[Int(rng.next() % UInt64(candidates.count))]
      let start = 1 + Int(rng.next() % UInt64(windowLength - length))
      out.append(Span(window: w, start: start, end: start + length, term: -1))
    }
    return out
  }

  /// SAE codes of the spans' rows from the stored activations; returns the codes and each span's rows.
  func encodeCorpus(_ spans: [Span]) throws -> (LatentCodes, [Range<Int>]) {
    let d = store.dModel, T = windowLength
    var order = Array(spans.indices)
    order.sort { (spans[$0].window, spans[$0].start, $0) < (spans[$1].window, spans[$1].start, $1) }
    var rows = [Float]()
    rows.reserveCapacity(spans.reduce(0) { $0 + $1.end - $1.start } * d)
    var ranges = [Range<Int>](repeating: 0 ..< 0, count: spans.count)
    var loadedShard = -1
    var values: [Float] = []
    var shardFirst = 0
    var count = 0
    for i in order {
      let span = spans[i]
      let s = shardIndex(window: span.window)
      if s != loadedShard {
        let shard = try store.shard(s)
        values = try shard.activations(hookPoint)
        shardFirst = shard.firstWindow
        loadedShard = s
      }
      let base = (span.window - shardFirst) * T
      rows.append(contentsOf: values[(base + span.start) * d ..< (base + span.end) * d])
      ranges[i] = count ..< count + span.end - span.start
      count += span.end - span.start
    }
    let codes = autoencoder.encode(Matrix(rows: count, columns: d, storage: rows))
    return (LatentCodes(rowStart: codes.rowStart, latents: codes.latents, values: codes.values), ranges)
  }

  func shardIndex(window: Int) -> Int {
    var lo = 0, hi = store.manifest.shards.count - 1
    while lo < hi {
      let mid = (lo + hi + 1) / 2
      if store.manifest.shards[mid].firstWindow <= window { lo = mid } else { hi = mid - 1 }
    }
    return lo
  }

  // MARK: - Probing

  /// WordNet, read once on first use; nil when relatives are off or it is not installed.
  func wordNet() throws -> Lexicon? {
    if let loaded = lexicon { return loaded }
    var loaded: Lexicon?
    if let lexiconDirectory, FileManager.default.fileExists(atPath: lexiconDirectory.appendingPathComponent("data.noun").path) {
      loaded = try Lexicon(directory: lexiconDirectory)
    }
    lexicon = .some(loaded)
    return loaded
  }

  /// Ranks features for a topic given as a word or phrase, from the corpus windows that contain it.
  public func probe(topic: String, related: [String] = []) throws -> TopicRecord {
    let words = TopicTerms.words(topic)
    let lexical = try wordNet().map { l in words.flatMap { l.topicRelatives(of: $0, limit: configuration.relatives) } } ?? []
    let relatives = Array(Set(related + lexical + (try embeddingNeighbours(of: words)))).sorted()
    let forms = TopicTerms.expand(topic, related: relatives)
    guard !TopicTerms.words(topic).isEmpty || !related.isEmpty else { throw ProbeError.emptyTopic(topic) }
    var found = occurrences(patterns(forms))
    guard !found.isEmpty else { throw ProbeError.noOccurrences(topic: topic, terms: forms) }
    var rng = SplitMix64(seed: configuration.seed)
    // A relative speaks for the topic in at most `relativeSpans` places (a seeded sample): WordNet's first
    // sense of a word is not always the corpus's ("queen" is first a social insect, "young" an animal's
    // offspring), and one such word must not outweigh the topic's own.
    let own = Set(TopicTerms.expand(topic))
    var byTerm: [Int: [Int]] = [:]
    for (k, span) in found.enumerated() where !own.contains(forms[span.term]) { byTerm[span.term, default: []].append(k) }
    var dropped = Set<Int>()
    for term in byTerm.keys.sorted() {
      guard let places = byTerm[term], places.count > configuration.relativeSpans else { continue }
      dropped.formUnion(places.shuffled(using: &rng).dropFirst(configuration.relativeSpans))
    }
    if !dropped.isEmpty { found = found.indices.filter { !dropped.contains($0) }.map { found[$0] } }
    var topicSpans = found.map(near)
    if topicSpans.count > configuration.maxTopicSpans {
      var picked = Array(topicSpans.indices).shuffled(using: &rng).prefix(configuration.maxTopicSpans)
      picked.sort()
      topicSpans = picked.map { topicSpans[$0] }
    }
    let topicWindows = Set(found.map(\.window))
    let pool = (0 ..< windows).filter { !topicWindows.contains($0) }
    let neutral = neutralSpans(pool: pool.isEmpty ? Array(0 ..< windows) : pool, lengths: topicSpans.map { $0.end - $0.start },
                               sources: topicSpans.map { sourceOfWindow[$0.window] }, rng: &rng)
    let (codes, ranges) = try encodeCorpus(topicSpans + neutral)
    var counts = [Int](repeating: 0, count: forms.count)
    for span in found { counts[span.term] += 1 }
    let terms = forms.indices.filter { counts[$0] > 0 }.map { TopicTermCount(term: forms[$0], occurrences: counts[$0]) }
    return try record(topic: topic, mode: "corpus", related: relatives, terms: terms, codes: codes, topicRanges: Array(ranges[..<topicSpans.count]),
                      neutralRanges: Array(ranges[topicSpans.count...]), topicSpans: topicSpans, examples: nil, extraInputs: [:])
  }

  /// Ranks features for a topic given as example texts, run through `model` at the atlas's hook point.
  public func probe(topic: String, examples texts: [String], model: LanguageModel, examplesDigest: String) throws -> TopicRecord {
    let point = try HookPoint(name: hookPoint)
    try model.model.validate(point)
    let d = store.dModel
    let maxLength = windowLength
    let sequences = texts.map { [model.boundaryToken] + Array(tokenizer.encode($0).prefix(maxLength - 1)) }.filter { $0.count > 1 }
    guard !sequences.isEmpty else { throw ProbeError.noExamples(path: topic) }

    struct Rows: ActivationObserver {
      let points: Set<HookPoint>
      let d: Int
      var rows: [[Float]]            // per sequence [length * d]
      mutating func observe(_ point: HookPoint, _ values: UnsafeBufferPointer<Float>, layout: BatchLayout) {
        for r in 0 ..< layout.rows {
          let s = layout.sequenceOfRow[r], p = layout.positionOfRow[r]
          for i in 0 ..< d { rows[s][p * d + i] = values[r * d + i] }
        }
      }
    }
    var observer = Rows(points: [point], d: d, rows: sequences.map { [Float](repeating: 0, count: $0.count * d) })
    for batch in stride(from: 0, to: sequences.count, by: 16) {
      let range = batch ..< min(batch + 16, sequences.count)
      var part = Rows(points: [point], d: d, rows: range.map { observer.rows[$0] })
      _ = try model.model.forward(Array(sequences[range]), observer: &part, logits: .none)
      for (k, s) in range.enumerated() { observer.rows[s] = part.rows[k] }
    }
    // Topic spans: slices of `after + 1` tokens of every example (position 0, the sink, excluded).
    let length = configuration.after + 1
    var topicSpans: [Span] = []
    var exampleRows = [Float]()
    var exampleRanges: [Range<Int>] = []
    var count = 0
    for (e, sequence) in sequences.enumerated() {
      var start = 1
      while start < sequence.count {
        let end = min(sequence.count, start + length)
        topicSpans.append(Span(window: -1 - e, start: start, end: end, term: -1))
        exampleRows.append(contentsOf: observer.rows[e][start * d ..< end * d])
        exampleRanges.append(count ..< count + end - start)
        count += end - start
        start = end
      }
    }
    var rng = SplitMix64(seed: configuration.seed)
    if topicSpans.count > configuration.maxTopicSpans {
      let picked = Array(topicSpans.indices).shuffled(using: &rng).prefix(configuration.maxTopicSpans).sorted()
      topicSpans = picked.map { topicSpans[$0] }
      exampleRanges = picked.map { exampleRanges[$0] }
    }
    let examplesCodes = autoencoder.encode(Matrix(rows: count, columns: d, storage: exampleRows))
    let neutral = neutralSpans(pool: Array(0 ..< windows), lengths: [length], rng: &rng)
    let (neutralCodes, neutralRanges) = try encodeCorpus(neutral)
    // One set of codes: the examples' rows, then the neutral rows.
    let shift = examplesCodes.rows
    let nnz = examplesCodes.latents.count
    let codes = LatentCodes(rowStart: examplesCodes.rowStart + neutralCodes.rowStart.dropFirst().map { $0 + nnz },
                            latents: examplesCodes.latents + neutralCodes.latents, values: examplesCodes.values + neutralCodes.values)
    return try record(topic: topic, mode: "examples", terms: [], codes: codes, topicRanges: exampleRanges,
                      neutralRanges: neutralRanges.map { $0.lowerBound + shift ..< $0.upperBound + shift },
                      topicSpans: topicSpans, examples: sequences, extraInputs: ["examples": examplesDigest])
  }

  /// The model's token embedding as `TokenMeaning` rows ([vocab, dModel]), loaded on first use.
  private var embedding: [Float]?

  /// The nearest whole-word tokens (" word", letters only) to each topic word that is one such token
  /// itself, by cosine of the `TokenMeaning` rows; words with the topic word's stem are left out (the
  /// inflections cover them). Sorted, unique, lower-case.
  func embeddingNeighbours(of words: [String]) throws -> [String] {
    guard configuration.neighbours > 0, !words.isEmpty else { return [] }
    let vocab = tokenizer.vocabularySize
    if embedding == nil {
      let file = try GGUFFile(url: modelURL)
      let e = try file.dequantize(try file.tensor(named: "token_embd.weight"))
      let d = e.count / max(1, vocab)
      guard d > 0, e.count == vocab * d else { return [] }
      embedding = TokenMeaning.unitRows(Matrix(rows: vocab, columns: d, storage: e), removing: TokenMeaning.components).storage
    }
    guard let e = embedding else { return [] }
    let d = e.count / max(1, vocab)
    var out = Set<String>()
    for word in words {
      let ids = tokenizer.encode(" " + word)
      guard ids.count == 1, let q = ids.first else { continue }
      let stem = TopicTerms.stem(word)
      var scored: [(Float, String)] = []
      for r in 0 ..< vocab where r != q {
        let bytes = tokenizer.tokenBytes(r)
        guard bytes.count >= 4, bytes[0] == 0x20, bytes.dropFirst().allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) })
        else { continue }
        var dot: Float = 0
        for i in 0 ..< d { dot += e[q * d + i] * e[r * d + i] }
        guard Double(dot) >= configuration.neighbourCosine else { continue }
        let text = String(decoding: bytes.dropFirst(), as: UTF8.self).lowercased()
        if TopicTerms.stem(text) == stem || text.hasPrefix(stem) { continue }
        scored.append((dot, text))
      }
      scored.sort { ($0.0, $1.1) > ($1.0, $0.1) }
      var taken = Set<String>()
      for (_, text) in scored where taken.count < configuration.neighbours {
        if taken.contains(where: { TopicTerms.stem($0) == TopicTerms.stem(text) }) { continue }
        taken.insert(text)
      }
      out.formUnion(taken)
    }
    return out.sorted()
  }

  /// Scores, picks the top features and their evidence.
  func record(topic: String, mode: String, related: [String] = [], terms: [TopicTermCount], codes: LatentCodes, topicRanges: [Range<Int>],
              neutralRanges: [Range<Int>], topicSpans: [Span], examples: [[Int]]?, extraInputs: [String: String]) throws -> TopicRecord {
    var contrast = TopicContrast(latents: autoencoder.dSAE, thresholds: thresholds)
    contrast.add(codes, spans: topicRanges, topic: true)
    contrast.add(codes, spans: neutralRanges, topic: false)
    let ranked = contrast.scores().filter { $0.score > 0 }.prefix(configuration.top)
    let features = ranked.map { s -> TopicFeatureRecord in
      let r = records[s.feature]
      return TopicFeatureRecord(
        feature: s.feature, score: Self.rounded(s.score), topicRate: Self.rounded(s.topicRate), neutralRate: Self.rounded(s.neutralRate),
        topicMean: Self.rounded(s.topicMean), neutralMean: Self.rounded(s.neutralMean), label: r.displayName,
        topTokens: r.topTokens.prefix(6).map(\.token),
        evidence: evidence(feature: s.feature, codes: codes, ranges: topicRanges, spans: topicSpans, examples: examples))
    }
    return TopicRecord(topic: topic, slug: TopicRecord.slug(topic), mode: mode, related: related, terms: terms,
                       topicSpans: contrast.topicSpans, neutralSpans: contrast.neutralSpans,
                       parameters: try JSONValue(encoding: configuration),
                       inputs: inputs.merging(extraInputs) { a, _ in a }, features: Array(features))
  }

  /// Six significant digits: the same numbers on every machine's last bits, and small JSON.
  static func rounded(_ x: Double) -> Double {
    guard x.isFinite, x != 0 else { return x }
    let scale = pow(10, 5 - floor(log10(abs(x))))
    return (x * scale).rounded() / scale
  }

  /// The topic spans where `feature` fires most (one per window), with their context.
  func evidence(feature: Int, codes: LatentCodes, ranges: [Range<Int>], spans: [Span], examples: [[Int]]?) -> [ExampleWindow] {
    var best: [(value: Float, span: Int, values: [Float])] = []
    for (k, range) in ranges.enumerated() {
      var values = [Float](repeating: 0, count: range.count)
      var top: Float = 0
      for (i, r) in range.enumerated() {
        for e in codes.rowStart[r] ..< codes.rowStart[r + 1] where Int(codes.latents[e]) == feature {
          values[i] = codes.values[e]
          top = max(top, values[i])
        }
      }
      if top > 0 { best.append((top, k, values)) }
    }
    best.sort { ($0.value, -$0.span) > ($1.value, -$1.span) }
    var out: [ExampleWindow] = []
    var usedWindows = Set<Int>()
    for candidate in best where out.count < configuration.evidence {
      let span = spans[candidate.span]
      guard usedWindows.insert(span.window).inserted else { continue }
      let context: [Int]
      if span.window >= 0 {
        let base = span.window * windowLength
        context = (1 ..< windowLength).map { Int(tokens[base + $0]) }
      } else if let examples, -1 - span.window < examples.count {
        context = Array(examples[-1 - span.window].dropFirst())
      } else { continue }
      // Positions in `context` are one less than in the window (the sink is dropped).
      let lo = max(0, span.start - 1 - 12), hi = min(context.count, span.end - 1 + 8)
      var activations = [Float](repeating: 0, count: hi - lo)
      for (i, v) in candidate.values.enumerated() where span.start - 1 + i - lo < activations.count {
        activations[span.start - 1 + i - lo] = v
      }
      let peak = activations.indices.max { (activations[$0], -$0) < (activations[$1], -$1) } ?? 0
      let source = span.window >= 0 ? sourceName(window: span.window) : "examples"
      out.append(ExampleWindow(tokens: tokenizer.displayPieces(Array(context[lo ..< hi])),
                               activations: activations.map { Float(Self.rounded(Double($0))) },
                               peak: peak, source: source,
                               document: span.window >= 0 ? Int(documents[span.window * windowLength + span.start]) : -1 - span.window,
                               window: span.window))
    }
    return out
  }

  func sourceName(window: Int) -> String {
    let id = Int(sourceOfWindow[window])
    let names = store.manifest.sourceNames
    return id >= 0 && id < names.count ? names[id] : "corpus"
  }
}
