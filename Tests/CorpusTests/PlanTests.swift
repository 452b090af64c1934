import AtlasArtifacts
import Corpus
import Foundation
import Testing
import Tokenization

@Suite("Plans and windows")
struct PlanTests {
  static let specs: [(name: String, count: Int, maxWords: Int, weight: Double)] = [
    ("short", 400, 12, 1), ("medium", 150, 80, 2), ("long", 40, 600, 7),
  ]

  func plan(_ corpus: Corpus, budget: Int = 20_000, seed: UInt64 = 1, window: Int = 128,
            heldOut: Double = 0.1) throws -> (CorpusPlan, BPETokenizer) {
    let tokenizer = try #require(ByteTokenizer.tokenizer)
    let configuration = CorpusConfiguration(tokenBudget: budget, windowLength: window, seed: seed, heldOutFraction: heldOut)
    return (try corpus.plan(configuration, tokenizer: tokenizer, beginToken: 0), tokenizer)
  }

  func allWindows(_ corpus: Corpus, _ plan: CorpusPlan, _ tokenizer: BPETokenizer, from start: Int = 0) throws -> [ContextWindow] {
    Array(try corpus.windows(plan, tokenizer: tokenizer, startingAt: start))
  }

  @Test("Windows are the begin token then the reference stream, with the right source and document per position")
  func layout() throws {
    let corpus = syntheticCorpus(Self.specs)
    let (plan, tokenizer) = try plan(corpus)
    let windows = try allWindows(corpus, plan, tokenizer)
    #expect(plan.windowCount == 158)  // ceil(20000 / 127)
    #expect(windows.count == plan.windowCount)
    #expect(windows.map(\.index) == Array(0 ..< plan.windowCount))
    let reference = referenceStream(plan, corpus: corpus, tokenizer: tokenizer)
    #expect(reference.tokens.count == plan.textTokens)
    for window in windows {
      #expect(window.tokens.count == 128 && window.sources.count == 128 && window.documents.count == 128)
      #expect(window.tokens[0] == 0)
      let range = window.index * 127 ..< (window.index + 1) * 127
      #expect(Array(window.tokens[1...]) == Array(reference.tokens[range]))
      #expect(Array(window.sources[1...]) == Array(reference.sources[range]))
      #expect(Array(window.documents[1...]) == Array(reference.documents[range]))
      #expect(window.sources[0] == window.sources[1] && window.documents[0] == window.documents[1])
    }
  }

  @Test("Documents in the stream are separated by the tokens of a blank line and decode to their text")
  func separators() throws {
    let corpus = syntheticCorpus(Self.specs)
    let (plan, tokenizer) = try plan(corpus)
    #expect(plan.separatorTokens.map(Int.init) == tokenizer.encode("\n\n"))
    let windows = try allWindows(corpus, plan, tokenizer)
    let stream = windows.flatMap { $0.tokens[1...] }
    let owners = windows.flatMap { $0.documents[1...] }
    var start = 0
    while start < stream.count {
      var end = start
      while end < stream.count && owners[end] == owners[start] { end += 1 }
      let entry = plan.documents[Int(owners[start])]
      let text = corpus.sources[Int(entry.source)].documents[Int(entry.document)].text
      let decoded = tokenizer.decodeText(stream[start ..< end].map(Int.init))
      if end < stream.count {  // whole document then "\n\n"
        #expect(decoded.hasSuffix("\n\n"))
        let body = String(decoded.dropLast(2))
        #expect(entry.truncated ? text.hasPrefix(body) : body == text)
      } else {
        #expect(text.hasPrefix(decoded) || decoded.hasPrefix(text))  // the stream ends inside the last document
      }
      start = end
    }
  }

  @Test("The same seed gives identical windows and digest; another seed gives others")
  func determinism() throws {
    let corpus = syntheticCorpus(Self.specs)
    let (a, tokenizer) = try plan(corpus, seed: 5)
    let (b, _) = try plan(corpus, seed: 5)
    let (c, _) = try plan(corpus, seed: 6)
    #expect(a == b)
    #expect(try allWindows(corpus, a, tokenizer) == allWindows(corpus, b, tokenizer))
    #expect(a.digest != c.digest)
    #expect(try allWindows(corpus, a, tokenizer).first?.tokens != allWindows(corpus, c, tokenizer).first?.tokens)
    #expect(a.digest.count == 64 && a.digest.allSatisfy(\.isHexDigit))
  }

  @Test("Starting at window N gives exactly the windows N... of a full run, for every N")
  func resume() throws {
    let corpus = syntheticCorpus(Self.specs)
    let (plan, tokenizer) = try plan(corpus, budget: 6_000)
    let full = try allWindows(corpus, plan, tokenizer)
    for start in 0 ... plan.windowCount {
      #expect(try allWindows(corpus, plan, tokenizer, from: start) == Array(full[start...]))
    }
    #expect(throws: CorpusError.self) { try corpus.windows(plan, tokenizer: tokenizer, startingAt: plan.windowCount + 1) }
  }

  @Test("Windows by range equal the same slice of a full run")
  func ranges() throws {
    let corpus = syntheticCorpus(Self.specs)
    let (plan, tokenizer) = try plan(corpus, budget: 8_000)
    let full = try allWindows(corpus, plan, tokenizer)
    let source = try corpus.windowSource(plan, tokenizer: tokenizer)
    #expect(source.sourceNames == ["short", "medium", "long"])
    for range in [0 ..< 5, 7 ..< 8, 10 ..< 40, 60 ..< plan.windowCount, 0 ..< plan.windowCount] {
      #expect(source.windows(range) == Array(full[range]))
    }
    #expect(source.windows(plan.windowCount - 2 ..< plan.windowCount + 10) == Array(full.suffix(2)))
    #expect(source.windows(plan.windowCount ..< plan.windowCount + 1).isEmpty)
    #expect(Array(source.stream(from: 30)) == Array(full[30...]))
  }

  @Test("Batches of any size give the same windows as one at a time")
  func batches() throws {
    let corpus = syntheticCorpus(Self.specs)
    let (plan, tokenizer) = try plan(corpus, budget: 8_000)
    let single = try allWindows(corpus, plan, tokenizer)
    for size in [1, 3, 17, 64, 1000] {
      var stream = try corpus.windows(plan, tokenizer: tokenizer, startingAt: 2)
      var batched: [ContextWindow] = []
      while true {
        let batch = stream.next(batch: size)
        if batch.isEmpty { break }
        #expect(batch.count <= size)
        batched += batch
      }
      #expect(batched == Array(single[2...]))
    }
  }

  @Test("Sources get their weight's share of the tokens")
  func shares() throws {
    let corpus = syntheticCorpus(Self.specs)
    let (plan, tokenizer) = try plan(corpus, budget: 30_000)
    let windows = try allWindows(corpus, plan, tokenizer)
    var counts = [Int](repeating: 0, count: 3)
    for window in windows { for source in window.sources[1...] { counts[Int(source)] += 1 } }
    let total = Double(plan.textTokens)
    for (s, share) in [0.1, 0.2, 0.7].enumerated() {
      #expect(abs(Double(counts[s]) / total - share) < 0.005, "source \(s): \(counts[s]) of \(plan.textTokens)")
      #expect(plan.sources[s].tokens == counts[s])
      #expect(abs(plan.sources[s].share - share) < 1e-12)
    }
    #expect(plan.documents.filter(\.truncated).count <= 3)  // at most the last document of each source
  }

  @Test("A source that runs out keeps all it has and the others fill its share in their own proportions")
  func exhaustion() throws {
    let corpus = syntheticCorpus([("tiny", 3, 5, 10), ("one", 300, 200, 1), ("three", 300, 200, 3)])
    let (plan, tokenizer) = try plan(corpus, budget: 10_000)
    let tinyTokens = corpus.sources[0].documents.reduce(0) {
      $0 + tokenizer.encode($1.text).count + plan.separatorTokens.count
    }
    #expect(plan.windowCount == 79)
    #expect(plan.sources[0].tokens == tinyTokens)
    #expect(plan.sources[0].documents == 3)
    #expect(plan.sources[1].tokens + plan.sources[2].tokens == plan.textTokens - tinyTokens)
    let ratio = Double(plan.sources[2].tokens) / Double(plan.sources[1].tokens)
    #expect(abs(ratio - 3) < 0.01)
    #expect(plan.warnings.contains { if case .sourceExhausted(let source, _, let available) = $0 {
      source == "tiny" && available == tinyTokens } else { false } })
  }

  @Test("A pool smaller than the budget gives as many whole windows as it fills, with a warning")
  func smallPool() throws {
    let corpus = syntheticCorpus([("only", 5, 20, 1)])
    let (plan, tokenizer) = try plan(corpus, budget: 100_000)
    let pool = corpus.sources[0].documents.reduce(0) { $0 + tokenizer.encode($1.text).count + plan.separatorTokens.count }
    #expect(plan.windowCount == pool / 127)
    #expect(try allWindows(corpus, plan, tokenizer).count == pool / 127)
    #expect(plan.warnings.contains(.budgetNotReached(budget: 100_000, available: pool)))
  }

  @Test("Held-out windows: one per block of 1/fraction, the same for any prefix, seeded")
  func heldOut() throws {
    let split = HeldOutSplit(fraction: 0.1, seed: 3)
    #expect(split.period == 10)
    for block in 0 ..< 100 {
      #expect((block * 10 ..< block * 10 + 10).filter(split.isHeldOut(window:)).count == 1)
    }
    let positions = (0 ..< 1000).filter(split.isHeldOut(window:)).map { $0 % 10 }
    #expect(Set(positions).count > 5)  // not every 10th at a fixed offset
    let other = HeldOutSplit(fraction: 0.1, seed: 4)
    #expect((0 ..< 1000).filter(split.isHeldOut(window:)) != (0 ..< 1000).filter(other.isHeldOut(window:)))
    #expect(!(0 ..< 100).contains(where: HeldOutSplit(fraction: 0, seed: 3).isHeldOut(window:)))
    #expect(HeldOutSplit(fraction: 0.25, seed: 1).period == 4)

    let corpus = syntheticCorpus(Self.specs)
    let (plan, tokenizer) = try plan(corpus, heldOut: 0.1)
    let windows = try allWindows(corpus, plan, tokenizer)
    #expect(windows.allSatisfy { $0.isHeldOut == plan.heldOut.isHeldOut(window: $0.index) })
    let heldOutCount = windows.filter(\.isHeldOut).count
    #expect(heldOutCount == 15 || heldOutCount == 16)  // 158 windows: 15 whole blocks, then 8 windows of a 16th
  }

  @Test("A plan survives JSON, is checked against the corpus, and refuses a changed one")
  func planIdentity() throws {
    let corpus = syntheticCorpus(Self.specs)
    let (plan, tokenizer) = try plan(corpus)
    let decoded = try CanonicalJSON.decode(CorpusPlan.self, from: try CanonicalJSON.encode(plan))
    #expect(decoded == plan)
    try corpus.verify(decoded, tokenizer: tokenizer)

    var changed = corpus
    let entry = plan.documents[0]
    changed.sources[Int(entry.source)].documents[Int(entry.document)].text += " edited"
    #expect(throws: CorpusError.self) { try changed.verify(plan, tokenizer: tokenizer) }
    #expect(throws: CorpusError.self) { try changed.windows(plan, tokenizer: tokenizer) }
    if let real = SmolLM2.tokenizer {  // another tokenizer, same corpus
      #expect(throws: CorpusError.self) { try corpus.verify(plan, tokenizer: real) }
    }
  }

  @Test("The corpus record counts the documents and tokens that are in the windows")
  func record() throws {
    let corpus = syntheticCorpus(Self.specs)
    let (plan, tokenizer) = try plan(corpus)
    let windows = try allWindows(corpus, plan, tokenizer)
    let record = plan.record
    #expect(record.digest == plan.digest)
    #expect(record.tokens == windows.count * 127)
    #expect(record.sources.map(\.tokens).reduce(0, +) == record.tokens)
    #expect(record.documents == Set(windows.flatMap { $0.documents[1...] }).count)
    #expect(record.sources.map(\.name) == ["short", "medium", "long"])
  }

  @Test("Window length is a parameter")
  func windowLength() throws {
    let corpus = syntheticCorpus(Self.specs)
    let (plan, tokenizer) = try plan(corpus, budget: 1_000, window: 33)
    let windows = try allWindows(corpus, plan, tokenizer)
    #expect(windows.count == 32)  // ceil(1000 / 32)
    #expect(windows.allSatisfy { $0.tokens.count == 33 && $0.tokens[0] == 0 })
  }
}
