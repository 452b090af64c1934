import Tokenization

/// One context of the run: the sink token then `windowLength − 1` text tokens, with where each token came from.
///
/// Position 0 is always `plan.beginToken` (`<|endoftext|>`), the attention sink: it is stored so that windows
/// decode and display whole, and capture, SAE training and the atlas skip it (`CorpusPlan.firstTextPosition`).
/// Its source and document ids repeat those of position 1. A window may span documents; the separator tokens
/// after a document carry that document's ids.
public struct ContextWindow: Sendable, Equatable {
  public var index: Int             // position in the stream of windows, 0-based
  public var tokens: [Int32]        // [windowLength]
  public var sources: [UInt16]      // [windowLength]  index into Corpus.sources / CorpusPlan.sources
  public var documents: [UInt32]    // [windowLength]  index into CorpusPlan.documents (the sampled documents)
  public var isHeldOut: Bool        // CorpusPlan.heldOut.isHeldOut(window: index)
}

extension Corpus {
  /// The windows of `plan`, from window `start` on (a resumed capture skips the first windows without
  /// tokenizing them: the plan knows every document's token count).
  /// Throws `CorpusError.planMismatch` when the plan was made from other documents or another tokenizer.
  public func windows(_ plan: CorpusPlan, tokenizer: BPETokenizer, startingAt start: Int = 0) throws -> ContextStream {
    try verify(plan, tokenizer: tokenizer)
    guard start >= 0 && start <= plan.windowCount else {
      throw CorpusError.invalidConfiguration(
        field: "first window", value: "\(start)", expected: "0 ... \(plan.windowCount) (the plan's window count)")
    }
    let texts = plan.documents.map { sources[Int($0.source)].documents[Int($0.document)].text }
    return ContextStream(plan: plan, texts: texts, tokenizer: tokenizer, start: start)
  }

  /// Random access to the windows of `plan` (verified once here), for a capture that asks for ranges of windows.
  public func windowSource(_ plan: CorpusPlan, tokenizer: BPETokenizer) throws -> CorpusWindows {
    try verify(plan, tokenizer: tokenizer)
    let texts = plan.documents.map { sources[Int($0.source)].documents[Int($0.document)].text }
    return CorpusWindows(plan: plan, texts: texts, tokenizer: tokenizer)
  }
}

/// The windows of a verified plan, by range: each call starts a stream at the range's first window (no tokenizing
/// of the windows before it) and tokenizes only the documents the range covers.
public struct CorpusWindows: Sendable {
  public let plan: CorpusPlan
  let texts: [String]  // [plan.documents.count]
  let tokenizer: BPETokenizer

  /// Source names by source id (`ContextWindow.sources`).
  public var sourceNames: [String] { plan.sources.map(\.name) }

  /// The windows `range` ∩ 0 ..< plan.windowCount, in order.
  public func windows(_ range: Range<Int>) -> [ContextWindow] {
    let range = range.clamped(to: 0 ..< plan.windowCount)
    guard !range.isEmpty else { return [] }
    var stream = ContextStream(plan: plan, texts: texts, tokenizer: tokenizer, start: range.lowerBound)
    return stream.next(batch: range.count)
  }

  /// A stream from window `start` on (clamped to the plan).
  public func stream(from start: Int = 0) -> ContextStream {
    ContextStream(plan: plan, texts: texts, tokenizer: tokenizer, start: Swift.min(Swift.max(0, start), plan.windowCount))
  }
}

/// Produces the windows of a plan in order, tokenizing documents just ahead of need, in parallel.
///
/// `next()` yields one window; `next(batch:)` several (tokenizing all the documents they need in one parallel
/// step). Iterating from window 0 or starting at window N gives the same windows from N on.
public struct ContextStream: Sequence, IteratorProtocol, Sendable {
  public let plan: CorpusPlan
  private let texts: [String]          // [plan.documents.count]
  private var tokenizer: ParallelTokenizer
  public private(set) var nextIndex: Int

  // Tokens tokenized but not yet in a window.
  private var queueTokens: [Int32] = []
  private var queueSources: [UInt16] = []
  private var queueDocuments: [UInt32] = []
  private var queueStart = 0
  private var nextDocument = 0         // next entry of plan.documents to tokenize
  private var skipTokens = 0           // leading tokens of that entry already in earlier windows

  /// Windows produced per refill when iterating one at a time.
  static let refillWindows = 64

  init(plan: CorpusPlan, texts: [String], tokenizer: BPETokenizer, start: Int) {
    self.plan = plan
    self.texts = texts
    self.tokenizer = ParallelTokenizer(tokenizer)
    nextIndex = start
    // Find the document holding stream offset start·(L−1) from the planned token counts.
    var offset = start * plan.textTokensPerWindow
    while nextDocument < plan.documents.count {
      let size = plan.documents[nextDocument].tokens + plan.separatorTokens.count
      if offset < size { break }
      offset -= size
      nextDocument += 1
    }
    skipTokens = offset
  }

  /// Windows still to come.
  public var remaining: Int { plan.windowCount - nextIndex }

  public mutating func next() -> ContextWindow? {
    guard nextIndex < plan.windowCount else { return nil }
    if queueTokens.count - queueStart < plan.textTokensPerWindow { refill(windows: Self.refillWindows) }
    return takeWindow()
  }

  /// Up to `count` next windows (fewer at the end of the plan).
  public mutating func next(batch count: Int) -> [ContextWindow] {
    let count = Swift.max(0, Swift.min(count, remaining))
    refill(windows: count)
    var windows: [ContextWindow] = []
    windows.reserveCapacity(count)
    for _ in 0 ..< count {
      guard let window = takeWindow() else { break }
      windows.append(window)
    }
    return windows
  }

  /// Tokenizes the next documents until the queue holds `windows` windows' worth of text (or the plan ends).
  private mutating func refill(windows: Int) {
    let perWindow = plan.textTokensPerWindow
    let wanted = Swift.min(windows, remaining) * perWindow
    if queueStart > 0 {
      queueTokens.removeFirst(queueStart)
      queueSources.removeFirst(queueStart)
      queueDocuments.removeFirst(queueStart)
      queueStart = 0
    }
    var batch: [Int] = []
    var planned = queueTokens.count
    var cursor = nextDocument
    while planned < wanted && cursor < plan.documents.count {
      planned += plan.documents[cursor].tokens + plan.separatorTokens.count - (cursor == nextDocument ? skipTokens : 0)
      batch.append(cursor)
      cursor += 1
    }
    guard !batch.isEmpty else { return }
    let ids = tokenizer.encode(batch.map { texts[$0] })
    for (entry, documentIDs) in zip(batch, ids) {
      let planned = plan.documents[entry]
      var tokens = Array(documentIDs.prefix(planned.tokens))  // the same tokenizer gives the planned count
      tokens += plan.separatorTokens
      let skip = entry == nextDocument ? Swift.min(skipTokens, tokens.count) : 0
      queueTokens += tokens[skip...]
      queueSources += repeatElement(planned.source, count: tokens.count - skip)
      queueDocuments += repeatElement(UInt32(truncatingIfNeeded: entry), count: tokens.count - skip)
    }
    nextDocument = cursor
    skipTokens = 0
  }

  private mutating func takeWindow() -> ContextWindow? {
    let perWindow = plan.textTokensPerWindow
    guard nextIndex < plan.windowCount, queueTokens.count - queueStart >= perWindow else { return nil }
    let range = queueStart ..< queueStart + perWindow
    var tokens = [plan.beginToken]
    tokens.append(contentsOf: queueTokens[range])
    var sources = [queueSources[range.lowerBound]]
    sources.append(contentsOf: queueSources[range])
    var documents = [queueDocuments[range.lowerBound]]
    documents.append(contentsOf: queueDocuments[range])
    queueStart += perWindow
    let window = ContextWindow(index: nextIndex, tokens: tokens, sources: sources, documents: documents,
                               isHeldOut: plan.heldOut.isHeldOut(window: nextIndex))
    nextIndex += 1
    return window
  }
}
