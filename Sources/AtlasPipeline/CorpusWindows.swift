import AtlasArtifacts
import Corpus
import Foundation
import Tokenization

/// The capture's windows from a corpus plan (each range starts its own stream at its first window, so a
/// resumed capture tokenizes only what it still needs).
public struct CorpusWindowSource: WindowSource {
  public let plan: CorpusPlan
  let windowsOfPlan: CorpusWindows

  public init(configuration: CorpusConfiguration, tokenizer: BPETokenizer, beginToken: Int) throws {
    let corpus = try Corpus.load(configuration)
    plan = try corpus.plan(configuration, tokenizer: tokenizer, beginToken: Int32(beginToken))
    windowsOfPlan = try corpus.windowSource(plan, tokenizer: tokenizer)
  }

  public var windowLength: Int { plan.windowLength }
  public var plannedWindows: Int { plan.windowCount }
  public var sourceNames: [String] { plan.sources.map(\.name) }
  public var digest: String { plan.digest }
  public var heldOutWindows: [Int] { (0 ..< plan.windowCount).filter { plan.heldOut.isHeldOut(window: $0) } }
  public var record: CorpusRecord { plan.record }
  public var warnings: [CorpusWarning] { plan.warnings }

  public func windows(_ range: Range<Int>) throws -> [CaptureWindow] {
    windowsOfPlan.windows(range).map { w in
      CaptureWindow(index: w.index, tokens: w.tokens.map(Int.init), sources: w.sources.map(Int.init),
                    documents: w.documents.map(Int.init))
    }
  }
}
