import TensorMath
import Tokenization

// Sampling documents by source shares up to the token budget.
//
// 1. The stream needs S = windowCount · (L − 1) tokens. Each source's target is its share of S (weights
//    normalised, rounded by largest remainder so the targets sum to S).
// 2. Each source visits its documents in a seeded random order (Fisher–Yates with SplitMix64, forked per source,
//    so adding a source does not change the others' order) and takes whole documents until its tokens
//    (document + separator) reach the target. Only visited documents are tokenized, in parallel batches sized
//    from the remaining need (about 4 bytes per token), so a small budget never tokenizes the whole pool.
// 3. A source that runs out of documents keeps all it has; its shortfall is shared among the others by weight,
//    and they continue. If every source runs out, the window count shrinks to what the pool holds (warned).
// 4. The last document of each source is cut to the exact target (a prefix of its tokens, at least one).
// 5. All taken documents are shuffled together (seeded), so every stretch of windows mixes the sources.

extension Corpus {
  /// Samples the documents of the run and fixes their order and packing.
  /// - Parameters:
  ///   - beginToken: the id at position 0 of every window (`<|endoftext|>`, id 0 for SmolLM2: the model's EOS).
  public func plan(_ configuration: CorpusConfiguration, tokenizer: BPETokenizer, beginToken: Int32) throws -> CorpusPlan {
    try configuration.validate()
    guard sources.count <= Int(UInt16.max), documentCount <= Int(UInt32.max) else {
      throw CorpusError.invalidConfiguration(
        field: "corpus", value: "\(sources.count) sources, \(documentCount) documents",
        expected: "at most \(UInt16.max) sources and \(UInt32.max) documents")
    }
    var sampler = PlanSampler(corpus: self, configuration: configuration, tokenizer: tokenizer)
    return sampler.run(beginToken: beginToken)
  }
}

struct PlanSampler {
  let corpus: Corpus
  let configuration: CorpusConfiguration
  var tokenizer: ParallelTokenizer
  let separatorTokens: [Int32]

  /// Sampling state of one source.
  struct SourceState {
    var order: [Int]                 // document indices in visiting order
    var next = 0                     // documents of `order` already visited
    var counted: [Int: Int] = [:]    // document -> token count, for documents tokenized but not yet taken
    var taken: [(document: Int, tokens: Int, full: Int)] = []
    var contributed = 0              // Σ (tokens + separator) of taken documents
    var target = 0
    var exhausted: Bool { next == order.count }
  }

  init(corpus: Corpus, configuration: CorpusConfiguration, tokenizer: BPETokenizer) {
    self.corpus = corpus
    self.configuration = configuration
    self.tokenizer = ParallelTokenizer(tokenizer)
    separatorTokens = tokenizer.encode(configuration.separator).map { Int32(truncatingIfNeeded: $0) }
  }

  mutating func run(beginToken: Int32) -> CorpusPlan {
    let perWindow = configuration.textTokensPerWindow
    let streamLength = configuration.windowCount * perWindow
    let root = SplitMix64(seed: configuration.seed)
    var states = corpus.sources.indices.map { s in
      var rng = root.fork(UInt64(s) + 1)
      return SourceState(order: Self.permutation(corpus.sources[s].documents.count, using: &rng))
    }
    let weights = corpus.sources.map { $0.documents.isEmpty ? 0 : $0.weight }
    var warnings: [CorpusWarning] = []

    // Fill to the targets; hand the shortfall of exhausted sources to the others until none runs out.
    var open = states.indices.filter { weights[$0] > 0 }
    while !open.isEmpty {
      let closedTotal = states.indices.filter { !open.contains($0) }.reduce(0) { $0 + states[$1].contributed }
      let targets = Self.allocate(max(0, streamLength - closedTotal), weights: open.map { weights[$0] })
      for (s, target) in zip(open, targets) { states[s].target = target }
      var stillOpen: [Int] = []
      for s in open {
        fill(&states[s], source: s)
        if states[s].contributed < states[s].target {  // ran out of documents
          warnings.append(.sourceExhausted(source: corpus.sources[s].name, wanted: states[s].target,
                                           available: states[s].contributed))
        } else {
          stillOpen.append(s)
        }
      }
      if stillOpen.count == open.count { break }
      open = stillOpen
    }

    // Cut each source's last document to its exact target.
    for s in states.indices where states[s].contributed > states[s].target && !states[s].taken.isEmpty {
      let excess = states[s].contributed - states[s].target
      let last = states[s].taken.count - 1
      let cut = min(excess, states[s].taken[last].tokens - 1)
      states[s].taken[last].tokens -= cut
      states[s].contributed -= cut
    }

    // Interleave all sources in one seeded order.
    var planned: [PlannedDocument] = []
    for (s, state) in states.enumerated() {
      for taken in state.taken {
        planned.append(PlannedDocument(source: UInt16(s), document: UInt32(taken.document), tokens: taken.tokens,
                                       truncated: taken.tokens < taken.full))
      }
    }
    var orderRNG = root.fork(0)
    planned = Self.permutation(planned.count, using: &orderRNG).map { planned[$0] }

    let available = states.reduce(0) { $0 + $1.contributed }
    var windowCount = configuration.windowCount
    if available < streamLength {
      windowCount = available / perWindow
      warnings.append(.budgetNotReached(budget: configuration.tokenBudget, available: available))
    }
    let fingerprint = CorpusPlan.fingerprint(tokenizer.tokenizer)
    var plan = CorpusPlan(
      documents: planned, sources: [], windowLength: configuration.windowLength, windowCount: windowCount,
      beginToken: beginToken, separatorTokens: separatorTokens, seed: configuration.seed,
      heldOut: HeldOutSplit(fraction: configuration.heldOutFraction, seed: configuration.seed),
      tokenizerFingerprint: fingerprint,
      digest: CorpusPlan.digest(documents: planned, corpus: corpus, windowLength: configuration.windowLength,
                                windowCount: windowCount, beginToken: beginToken, separatorTokens: separatorTokens,
                                tokenizerFingerprint: fingerprint),
      warnings: corpus.warnings + warnings)
    plan.sources = summaries(plan, states: states, weights: weights)
    return plan
  }

  /// Takes documents of source `s` in its order until its target is reached or it runs out.
  mutating func fill(_ state: inout SourceState, source s: Int) {
    let documents = corpus.sources[s].documents
    while state.contributed < state.target && !state.exhausted {
      // Visit enough documents to cover the need, judging by size (about 4 bytes per token), at least one.
      let need = state.target - state.contributed
      var batch: [Int] = []
      var estimate = 0
      var cursor = state.next
      while cursor < state.order.count && (batch.isEmpty || estimate < need + need / 8) && batch.count < 8192 {
        let document = state.order[cursor]
        if state.counted[document] == nil { batch.append(document) }
        estimate += documents[document].text.utf8.count / 4 + separatorTokens.count
        cursor += 1
      }
      let ids = tokenizer.encode(batch.map { documents[$0].text })
      for (document, tokens) in zip(batch, ids) { state.counted[document] = tokens.count }
      while state.contributed < state.target && state.next < cursor {
        let document = state.order[state.next]
        state.next += 1
        let tokens = state.counted[document] ?? 0
        guard tokens > 0 else { continue }  // only characters the vocabulary cannot represent
        state.taken.append((document, tokens, tokens))
        state.counted[document] = nil
        state.contributed += tokens + separatorTokens.count
      }
    }
  }

  /// Per-source documents and tokens inside the windows (the stream is cut after windowCount·(L−1) tokens).
  func summaries(_ plan: CorpusPlan, states: [SourceState], weights: [Double]) -> [SourcePlan] {
    var tokens = [Int](repeating: 0, count: corpus.sources.count)
    var documents = [Int](repeating: 0, count: corpus.sources.count)
    var left = plan.textTokens
    for planned in plan.documents where left > 0 {
      let used = min(left, planned.tokens + plan.separatorTokens.count)
      tokens[Int(planned.source)] += used
      documents[Int(planned.source)] += 1
      left -= used
    }
    let totalWeight = weights.reduce(0, +)
    return corpus.sources.indices.map { s in
      let source = corpus.sources[s]
      return SourcePlan(
        name: source.name, kind: source.kind, weight: source.weight,
        share: totalWeight > 0 ? weights[s] / totalWeight : 0, poolDocuments: source.documents.count,
        documents: documents[s], tokens: tokens[s], targetTokens: states[s].target, statistics: source.statistics)
    }
  }

  // MARK: - Helpers

  /// A seeded Fisher–Yates permutation of 0 ..< count (not the standard library's shuffle, whose algorithm may
  /// change between toolchains).
  static func permutation(_ count: Int, using rng: inout SplitMix64) -> [Int] {
    var order = Array(0 ..< count)
    var i = count - 1
    while i > 0 {
      let j = rng.nextInt(below: i + 1)
      order.swapAt(i, j)
      i -= 1
    }
    return order
  }

  /// `total` split in proportion to `weights`, rounded by largest remainder (ties to the lower index): sums to
  /// `total` exactly.
  static func allocate(_ total: Int, weights: [Double]) -> [Int] {
    let sum = weights.reduce(0, +)
    guard sum > 0, total > 0 else { return weights.map { _ in 0 } }
    let exact = weights.map { Double(total) * $0 / sum }
    var parts = exact.map { Int($0.rounded(.down)) }
    let order = exact.indices.sorted { a, b in
      let ra = exact[a] - Double(parts[a])
      let rb = exact[b] - Double(parts[b])
      return ra != rb ? ra > rb : a < b
    }
    var left = total - parts.reduce(0, +)
    for index in order where left > 0 {
      parts[index] += 1
      left -= 1
    }
    return parts
  }
}
