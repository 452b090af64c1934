import AtlasArtifacts
import Corpus
import Foundation
import Tokenization

/// The capture's windows from a corpus plan. Sequential shards reuse one stream; a resumed capture
/// starts a new stream at its first missing window (the plan knows every document's token count).
public final class CorpusWindowSource: WindowSource, @unchecked Sendable {
  public let corpus: Corpus
  public let plan: CorpusPlan
  let tokenizer: BPETokenizer
  private var stream: ContextStream?
  private let lock = NSLock()

  public init(configuration: CorpusConfiguration, tokenizer: BPETokenizer, beginToken: Int) throws {
    corpus = try Corpus.load(configuration)
    plan = try corpus.plan(configuration, tokenizer: tokenizer, beginToken: Int32(beginToken))
    self.tokenizer = tokenizer
  }

  public var windowLength: Int { plan.windowLength }
  public var plannedWindows: Int { plan.windowCount }
  public var sourceNames: [String] { plan.sources.map(\.name) }
  public var digest: String { plan.digest }
  public var heldOutWindows: [Int] { (0 ..< plan.windowCount).filter { plan.heldOut.isHeldOut(window: $0) } }
  public var record: CorpusRecord { plan.record }
  public var warnings: [CorpusWarning] { plan.warnings }

  public func windows(_ range: Range<Int>) throws -> [CaptureWindow] {
    try lock.withLock {
      if stream?.nextIndex != range.lowerBound {
        stream = try corpus.windows(plan, tokenizer: tokenizer, startingAt: range.lowerBound)
      }
      let produced = stream!.next(batch: range.count)
      return produced.map { w in
        CaptureWindow(index: w.index, tokens: w.tokens.map(Int.init), sources: w.sources.map(Int.init),
                      documents: w.documents.map(Int.init))
      }
    }
  }
}
