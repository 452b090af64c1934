import Foundation

/// Reads a features shard, which is two files split by reader: `summaries-NNNNN.json` (every field but the
/// example windows; what layout, steering, search, the map and the briefing read) and `examples-NNNNN.json`
/// (the windows; read only for pages that show them). Both start with their `kind` and `formatVersion`:
/// another kind or version is `ArtifactError.incompatible`, naming the command to re-run.
///
/// Decoding goes through `JSONReader`, which gives the same records as `JSONDecoder` (the tests check
/// equality on synthetic and hostile shards) several times faster: measured on the default atlas's 64
/// shards of 128 features (`atlas-bench shards`), see README. Any key it does not know, a missing key or an
/// unusual number makes it throw `JSONReader.Unsupported`; `decode` then falls back to `JSONDecoder`, so a
/// field added to the records later is never silently dropped.
package enum ShardDecoder {
  /// How much of each record to read.
  package enum Detail: Sendable {
    /// Everything: the summaries file and the examples file.
    case full
    /// The summaries file alone (`topExamples`, `quantileSamples`, `intervalSamples` come back empty):
    /// labels, statistics, tokens and neighbours for the stages that never show an example.
    case summary
    /// The summaries plus `topExamples` (quantile and interval samples are stepped over unread): for pages
    /// that show a feature's strongest windows but not its samples (the diff's pair pages).
    case topExamples
  }

  /// Reads shard `index` of an atlas: the summaries file, and the examples file unless `detail` is
  /// `.summary`. An error names the file and what to re-run.
  package static func read(_ atlas: AtlasDirectory, shard index: Int, detail: Detail = .full) throws -> FeatureShard {
    let summaryURL = atlas.featureSummaries(index)
    let summaries = try decodeFile(summaryURL) { try decodeSummaries($0) }
    if detail == .summary { return FeatureShard(first: summaries.first, records: summaries.records) }
    let examplesURL = atlas.featureExamples(index)
    let examples = try decodeFile(examplesURL) { try decodeExamples($0, detail: detail) }
    guard let shard = FeatureShard(summaries: summaries, examples: examples) else {
      throw ArtifactError.malformed(path: examplesURL.path, reason: "its features (first \(examples.first), "
        + "\(examples.records.count) records) are not those of \(summaryURL.lastPathComponent) (first \(summaries.first), "
        + "\(summaries.records.count) records): run `\(ArtifactKind.features.producingCommand)` again")
    }
    return shard
  }

  /// Writes shard `index` as its two files (each atomically; the examples first, so a summaries file never
  /// points at windows that were not written).
  package static func write(_ shard: FeatureShard, to atlas: AtlasDirectory, shard index: Int) throws {
    try AtomicFile.write(CanonicalJSON.encodeCompact(shard.examples), to: atlas.featureExamples(index))
    try AtomicFile.write(CanonicalJSON.encodeCompact(shard.summaries), to: atlas.featureSummaries(index))
  }

  /// A summaries file's bytes: the fast reader, falling back to `JSONDecoder` on anything it does not handle.
  package static func decodeSummaries(_ data: Data) throws -> FeatureSummaryShard {
    do { return try fastSummaries(data) } catch is JSONReader.Unsupported {
      return try slow(FeatureSummaryShard.self, data)
    }
  }

  /// An examples file's bytes (`.topExamples` leaves the samples empty).
  package static func decodeExamples(_ data: Data, detail: Detail = .full) throws -> FeatureExampleShard {
    let shard: FeatureExampleShard
    do { shard = try fastExamples(data, detail: detail) } catch is JSONReader.Unsupported {
      var decoded = try slow(FeatureExampleShard.self, data)
      if detail != .full {
        for i in decoded.records.indices { decoded.records[i].quantileSamples = []; decoded.records[i].intervalSamples = [] }
      }
      shard = decoded
    }
    return shard
  }

  /// The fast reader alone for a summaries file (throws `JSONReader.Unsupported` where `decodeSummaries`
  /// would fall back, `HeaderMismatch` on another kind or version).
  package static func fastSummaries(_ data: Data) throws -> FeatureSummaryShard {
    try data.withUnsafeBytes { raw in
      var reader = JSONReader(raw)
      var header = HeaderFields()
      var first: Int?
      var records: [FeatureRecord]?
      try reader.object { r, key in
        if try header.read(&r, key: key) { return }
        switch key {
        case "first": first = try r.int()
        case "records": records = try r.array { try record(&$0) }
        default: throw unknown(key)
        }
      }
      try reader.end()
      try header.check(FeatureSummaryShard.self)
      guard let first, let records else { throw missing("first/records") }
      return FeatureSummaryShard(first: first, records: records)
    }
  }

  /// The fast reader alone for an examples file.
  package static func fastExamples(_ data: Data, detail: Detail = .full) throws -> FeatureExampleShard {
    try data.withUnsafeBytes { raw in
      var reader = JSONReader(raw)
      var header = HeaderFields()
      var first: Int?
      var records: [FeatureExamples]?
      try reader.object { r, key in
        if try header.read(&r, key: key) { return }
        switch key {
        case "first": first = try r.int()
        case "records": records = try r.array { try examples(&$0, detail: detail) }
        default: throw unknown(key)
        }
      }
      try reader.end()
      try header.check(FeatureExampleShard.self)
      guard let first, let records else { throw missing("first/records") }
      return FeatureExampleShard(first: first, records: records)
    }
  }

  /// A file's kind or format version is not the one this build reads.
  package struct HeaderMismatch: Error {
    package var expectedKind: ArtifactKind, expectedVersion: Int, foundKind: String, foundVersion: Int
  }

  private struct HeaderFields {
    var kind: String?
    var version: Int?
    mutating func read(_ r: inout JSONReader, key: String) throws -> Bool {
      switch key {
      case "kind": kind = try r.string(); return true
      case "formatVersion": version = try r.int(); return true
      default: return false
      }
    }
    func check<A: Artifact>(_: A.Type) throws {
      guard kind == A.kind.rawValue, version == A.formatVersion else {
        throw HeaderMismatch(expectedKind: A.kind, expectedVersion: A.formatVersion, foundKind: kind ?? "none",
                             foundVersion: version ?? 0)
      }
    }
  }

  /// The slow path: `JSONDecoder`, after the same header check.
  private static func slow<A: Artifact>(_: A.Type, _ data: Data) throws -> A {
    let header = try CanonicalJSON.decode(ArtifactHeader.self, from: data)
    guard header.kind == A.kind, header.formatVersion == A.formatVersion else {
      throw HeaderMismatch(expectedKind: A.kind, expectedVersion: A.formatVersion, foundKind: header.kind.rawValue,
                           foundVersion: header.formatVersion)
    }
    return try CanonicalJSON.decode(A.self, from: data)
  }

  /// Reads a file and decodes it; the errors name the file and what to re-run.
  private static func decodeFile<T>(_ url: URL, _ decode: (Data) throws -> T) throws -> T {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw ArtifactError.missing(path: url.path, hint: "run `\(ArtifactKind.features.producingCommand)` again")
    }
    do { return try decode(data) } catch let mismatch as HeaderMismatch {
      throw ArtifactError.incompatible(path: url.path, kind: mismatch.expectedKind.rawValue,
                                       expectedVersion: mismatch.expectedVersion, foundKind: mismatch.foundKind,
                                       foundVersion: mismatch.foundVersion, rerun: ArtifactKind.features.producingCommand)
    } catch {
      throw ArtifactError.malformed(path: url.path, reason: "\(error)")
    }
  }

  /// Steps over a value the detail does not read.
  private static func skipped<T>(_ r: inout JSONReader) throws -> [T] {
    try r.skipValue()
    return []
  }

  private static func unknown(_ key: String) -> JSONReader.Unsupported { JSONReader.Unsupported(reason: "unknown key \(key)", offset: -1) }
  private static func missing(_ key: String) -> JSONReader.Unsupported { JSONReader.Unsupported(reason: "missing \(key)", offset: -1) }

  private static func examples(_ r: inout JSONReader, detail: Detail) throws -> FeatureExamples {
    var index: Int?, top: [ExampleWindow]?, quantiles: [SampleGroup]?, intervals: [SampleGroup]?
    try r.object { r, key in
      switch key {
      case "index": index = try r.int()
      case "topExamples": top = try r.array(window)
      case "quantileSamples": quantiles = detail == .full ? try r.array(group) : try skipped(&r)
      case "intervalSamples": intervals = detail == .full ? try r.array(group) : try skipped(&r)
      default: throw unknown(key)
      }
    }
    guard let index, let top, let quantiles, let intervals else { throw missing("an examples record field") }
    return FeatureExamples(index: index, topExamples: top, quantileSamples: quantiles, intervalSamples: intervals)
  }

  // MARK: - Records

  private static func record(_ r: inout JSONReader) throws -> FeatureRecord {
    var index: Int?, density: Double?, mean: Float?, max: Float?, flags: [FeatureFlag]?, label: FeatureLabel?
    var histogram: LogHistogram?, topTokens: [TokenCount]?, topExamples: [ExampleWindow]?
    var quantiles: [SampleGroup]?, intervals: [SampleGroup]?, promoted: [TokenValue]?, suppressed: [TokenValue]?
    var decoder: [Neighbour]?, coactivation: [Neighbour]?, dominant: String?, shares: [String: Double]?
    var firings: Int?, sampled: Int?, description: FeatureDescription?
    try r.object { r, key in
      switch key {
      case "index": index = try r.int()
      case "density": density = try r.double()
      case "meanActivation": mean = try r.float()
      case "maxActivation": max = try r.float()
      case "flags":
        flags = try r.array { r in
          let raw = try r.string()
          guard let flag = FeatureFlag(rawValue: raw) else { throw unknown("flag \(raw)") }
          return flag
        }
      case "label": label = try featureLabel(&r)
      case "histogram": histogram = try logHistogram(&r)
      case "topTokens": topTokens = try r.array(tokenCount)
      case "topExamples": topExamples = try r.array(window)
      case "quantileSamples": quantiles = try r.array(group)
      case "intervalSamples": intervals = try r.array(group)
      case "promotedTokens": promoted = try r.array(tokenValue)
      case "suppressedTokens": suppressed = try r.array(tokenValue)
      case "decoderNeighbours": decoder = try r.array(neighbour)
      case "coactivationNeighbours": coactivation = try r.array(neighbour)
      case "dominantSource": dominant = r.null() ? nil : try r.string()
      case "sourceShares":
        var map: [String: Double] = [:]
        try r.object { r, source in map[source] = try r.double() }
        shares = map
      case "firings": firings = try r.int()
      case "sampledFirings": sampled = try r.int()
      case "description": description = r.null() ? nil : try featureDescription(&r)
      default: throw unknown(key)
      }
    }
    guard let index, let density, let mean, let max, let flags, let label, let histogram, let topTokens,
          let promoted, let suppressed, let decoder, let coactivation, let shares,
          let firings, let sampled else {
      throw missing("a feature record field")
    }
    return FeatureRecord(index: index, density: density, meanActivation: mean, maxActivation: max, flags: flags, label: label,
                         histogram: histogram, topTokens: topTokens, topExamples: topExamples ?? [],
                         quantileSamples: quantiles ?? [], intervalSamples: intervals ?? [], promotedTokens: promoted,
                         suppressedTokens: suppressed,
                         decoderNeighbours: decoder, coactivationNeighbours: coactivation, dominantSource: dominant,
                         sourceShares: shares, firings: firings, sampledFirings: sampled, description: description)
  }

  private static func featureDescription(_ r: inout JSONReader) throws -> FeatureDescription {
    var text: String?, kind: DescriptionKind?, status: DescriptionStatus?, words: [String]?, tested: Int?
    var grounding: String?, coverage: Double?, evidence: LabelEvidence?, precision: Double?, note: String?
    try r.object { r, key in
      switch key {
      case "text": text = try r.string()
      case "kind":
        let raw = try r.string()
        guard let value = DescriptionKind(rawValue: raw) else { throw unknown("description kind \(raw)") }
        kind = value
      case "status":
        let raw = try r.string()
        guard let value = DescriptionStatus(rawValue: raw) else { throw unknown("description status \(raw)") }
        status = value
      case "words": words = try r.array { try $0.string() }
      case "testedTokens": tested = try r.int()
      case "grounding": grounding = r.null() ? nil : try r.string()
      case "coverage": coverage = try r.double()
      case "evidence": evidence = r.null() ? nil : try labelEvidence(&r)
      case "topPrecision": precision = r.null() ? nil : try r.double()
      case "note": note = r.null() ? nil : try r.string()
      default: throw unknown(key)
      }
    }
    guard let text, let kind, let status, let words, let tested, let coverage else { throw missing("description field") }
    return FeatureDescription(text: text, kind: kind, status: status, words: words, testedTokens: tested, grounding: grounding,
                              coverage: coverage, evidence: evidence, topPrecision: precision, note: note)
  }

  private static func featureLabel(_ r: inout JSONReader) throws -> FeatureLabel {
    var text: String?, pattern: [String]?, basis: String?, evidence: LabelEvidence?, contradicted: Bool?, note: String?
    try r.object { r, key in
      switch key {
      case "text": text = try r.string()
      case "pattern": pattern = try r.array { try $0.string() }
      case "basis": basis = try r.string()
      case "evidence": evidence = r.null() ? nil : try labelEvidence(&r)
      case "contradicted": contradicted = try r.bool()
      case "note": note = r.null() ? nil : try r.string()
      default: throw unknown(key)
      }
    }
    guard let text, let pattern, let basis, let contradicted else { throw missing("label field") }
    return FeatureLabel(text: text, pattern: pattern, basis: basis, evidence: evidence, contradicted: contradicted, note: note)
  }

  private static func labelEvidence(_ r: inout JSONReader) throws -> LabelEvidence {
    var accuracy: Double?, tpr: Double?, tnr: Double?, positives: Int?, negatives: Int?
    try r.object { r, key in
      switch key {
      case "balancedAccuracy": accuracy = try r.double()
      case "truePositiveRate": tpr = try r.double()
      case "trueNegativeRate": tnr = try r.double()
      case "positives": positives = try r.int()
      case "negatives": negatives = try r.int()
      default: throw unknown(key)
      }
    }
    guard let accuracy, let tpr, let tnr, let positives, let negatives else { throw missing("evidence field") }
    return LabelEvidence(balancedAccuracy: accuracy, truePositiveRate: tpr, trueNegativeRate: tnr, positives: positives,
                         negatives: negatives)
  }

  private static func logHistogram(_ r: inout JSONReader) throws -> LogHistogram {
    var lower: Double?, width: Double?, counts: [Int]?
    try r.object { r, key in
      switch key {
      case "lowerLog10": lower = try r.double()
      case "binWidth": width = try r.double()
      case "counts": counts = try r.array { try $0.int() }
      default: throw unknown(key)
      }
    }
    guard let lower, let width, let counts else { throw missing("histogram field") }
    return LogHistogram(lowerLog10: lower, binWidth: width, counts: counts)
  }

  private static func tokenCount(_ r: inout JSONReader) throws -> TokenCount {
    var token: String?, count: Int?, mean: Float?
    try r.object { r, key in
      switch key {
      case "token": token = try r.string()
      case "count": count = try r.int()
      case "meanActivation": mean = try r.float()
      default: throw unknown(key)
      }
    }
    guard let token, let count, let mean else { throw missing("top token field") }
    return TokenCount(token: token, count: count, meanActivation: mean)
  }

  private static func tokenValue(_ r: inout JSONReader) throws -> TokenValue {
    var token: String?, value: Float?
    try r.object { r, key in
      switch key {
      case "token": token = try r.string()
      case "value": value = try r.float()
      default: throw unknown(key)
      }
    }
    guard let token, let value else { throw missing("logit field") }
    return TokenValue(token: token, value: value)
  }

  private static func neighbour(_ r: inout JSONReader) throws -> Neighbour {
    var feature: Int?, similarity: Float?
    try r.object { r, key in
      switch key {
      case "feature": feature = try r.int()
      case "similarity": similarity = try r.float()
      default: throw unknown(key)
      }
    }
    guard let feature, let similarity else { throw missing("neighbour field") }
    return Neighbour(feature: feature, similarity: similarity)
  }

  private static func window(_ r: inout JSONReader) throws -> ExampleWindow {
    var tokens: [String]?, activations: [Float]?, peak: Int?, source: String?, document: Int?, window: Int?, start: Int?
    try r.object { r, key in
      switch key {
      case "tokens": tokens = try r.array { try $0.string() }
      case "activations": activations = try r.array { try $0.float() }
      case "peak": peak = try r.int()
      case "source": source = try r.string()
      case "document": document = try r.int()
      case "window": window = try r.int()
      case "start": start = try r.int()
      default: throw unknown(key)
      }
    }
    guard let tokens, let activations, let peak, let source, let document, let window else { throw missing("window field") }
    return ExampleWindow(tokens: tokens, activations: activations, peak: peak, source: source, document: document, window: window,
                         start: start)
  }

  private static func group(_ r: inout JSONReader) throws -> SampleGroup {
    var title: String?, lower: Float?, upper: Float?, share: Double?, examples: [ExampleWindow]?
    try r.object { r, key in
      switch key {
      case "title": title = try r.string()
      case "lower": lower = try r.float()
      case "upper": upper = try r.float()
      case "share": share = try r.double()
      case "examples": examples = try r.array(window)
      default: throw unknown(key)
      }
    }
    guard let title, let lower, let upper, let share, let examples else { throw missing("sample group field") }
    return SampleGroup(title: title, lower: lower, upper: upper, share: share, examples: examples)
  }
}
