import ArgumentParser
import Foundation
import GGUF
import Tokenization

/// `atlas-bench tokenizer [--file F] [--model GGUF] [--compare IDS] [--mb N] [--repeat N] [--only PHASE]`
///
/// Encodes a few MB of real text with the SmolLM2 tokenizer: cold (empty piece cache), warm (same encoder
/// again) and without a cache, single thread. `--compare` checks the ids against a file of int32 ids written by
/// `Tests/TokenizationTests/Fixtures/make_hf_samples.py --big-text F --big-ids IDS` (HF tokenizers built like
/// llama.cpp's smollm pre-tokenizer); that script also prints HF's own speed on the same text.
struct BenchTokenizer: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tokenizer", abstract: "Encode MB/s and tokens/s of the SmolLM2 tokenizer, cold and warm cache.")

  @Option(name: .customLong("file"), help: ArgumentHelp("Text to encode (default: --mb MB of licenses, Python stdlib and fortunes).", valueName: "file"))
  var textFile: String?
  @Option(help: ArgumentHelp("The model whose tokenizer is used (default: $FEATURE_ATLAS_MODEL, else \(BenchModel.relativePath)).", valueName: "gguf"))
  var model: String?
  @Option(help: ArgumentHelp("Int32 ids to compare with (from make_hf_samples.py --big-ids).", valueName: "ids")) var compare: String?
  @Option(help: "Megabytes of default text.") var mb = 4.0
  @Option(name: .customLong("repeat"), help: "Runs per phase; the best thread CPU time is printed.") var repeats = 3
  @Option(help: ArgumentHelp("Run only the phases whose label starts with this (for profiling).", valueName: "phase")) var only: String?

  func validate() throws {
    guard mb > 0 else { throw ValidationError("--mb must be positive, found \(mb)") }
    guard repeats > 0 else { throw ValidationError("--repeat must be positive, found \(repeats)") }
  }

  func run() throws {
    let modelPath = model ?? BenchModel.defaultPath

    var start = Date()
    let file = try GGUFFile(url: URL(fileURLWithPath: modelPath))
    let tokens = try file.stringArray(GGUFKey.Tokenizer.tokens)
    let merges = try file.stringArray(GGUFKey.Tokenizer.merges)
    let types = try file.integerArray(GGUFKey.Tokenizer.tokenTypes)
    let pre = try PreTokenizer(ggufName: try file.string(GGUFKey.Tokenizer.preTokenizer))
    let readSeconds = Date().timeIntervalSince(start)
    start = Date()
    let tokenizer = try BPETokenizer(tokens: tokens, merges: merges, tokenTypes: types, preTokenizer: pre)
    print(String(format: "vocabulary: %d tokens, %d merges, pre-tokenizer %@; GGUF arrays read in %.3f s, tables built in %.3f s",
                 tokenizer.vocabularySize, tokenizer.mergeCount, pre.rawValue, readSeconds, Date().timeIntervalSince(start)))

    let text = try textFile.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? Self.defaultText(megabytes: mb)
    let megabytes = Double(text.utf8.count) / 1e6
    print(String(format: "text: %.2f MB (%@)", megabytes, textFile ?? "licenses + Python stdlib + fortunes"))

    let repeats = self.repeats
    /// Best of `repeats` runs (the machine is shared); `prepare` runs untimed before each.
    let only = self.only  // run just the phase whose label starts with this (for profiling)
    print("speeds use the best thread CPU time of --repeat runs (single thread)")
    func timed(_ label: String, prepare: () -> Void = {}, _ body: () -> [Int]) -> [Int] {
      if let only, !label.hasPrefix(only) { return [] }
      var best = Double.infinity
      var bestWall = Double.infinity
      var ids: [Int] = []
      for _ in 0 ..< repeats {
        prepare()
        let t0 = Date()
        let c0 = Self.threadCPUSeconds()
        ids = body()
        best = min(best, Self.threadCPUSeconds() - c0)
        bestWall = min(bestWall, Date().timeIntervalSince(t0))
      }
      let name = label.padding(toLength: 30, withPad: " ", startingAt: 0)
      print(name + String(format: "%8.2f MB/s  %6.2f M tokens/s  (%d tokens, best of %d: %.3f s CPU, %.3f s wall)",
                          megabytes / best, Double(ids.count) / best / 1e6, ids.count, repeats, best, bestWall))
      return ids
    }

    var uncached = tokenizer.makeEncoder(cacheEntries: 0)
    _ = timed("encode, no piece cache") { uncached.encode(text) }
    var encoder = tokenizer.makeEncoder()
    let ids = timed("encode, cold cache", prepare: { encoder = tokenizer.makeEncoder() }) { encoder.encode(text) }
    let cold = encoder.cacheStatistics
    _ = timed("encode, warm cache", prepare: { if encoder.cacheStatistics.entries == 0 { _ = encoder.encode(text) } }) {
      encoder.encode(text)
    }
    _ = timed("BPETokenizer.encode (one call)") { tokenizer.encode(text) }
    print(String(format: "cache: %d pieces, hit rate %.1f%% cold", cold.entries, 100 * Double(cold.hits) / Double(max(1, cold.hits + cold.misses))))
    _ = timed("pre-tokenizer only (pieces)") { pre.split(text).map(\.utf8.count) }
    guard only == nil else { return }
    let t0 = Date()
    let decoded = tokenizer.decodeText(ids)
    print("decodeText".padding(toLength: 30, withPad: " ", startingAt: 0)
      + String(format: "%8.2f MB/s", megabytes / Date().timeIntervalSince(t0)))
    print("round trip: \(decoded == tokenizer.sanitized(text) ? "exact" : "DIFFERS") (on sanitized text)")

    if let path = compare {
      let data = try Data(contentsOf: URL(fileURLWithPath: path))
      let reference: [Int] = data.withUnsafeBytes { raw in
        (0 ..< raw.count / 4).map { Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) }
      }
      if let first = zip(ids, reference).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
        let context = tokenizer.decodeText(Array(ids[max(0, first - 5) ..< min(ids.count, first + 5)]))
        print("compare: DIFFERENT at token \(first) of \(ids.count) (reference \(reference.count)); near \(context.debugDescription)")
      } else if ids.count != reference.count {
        print("compare: same prefix but \(ids.count) tokens vs \(reference.count) in \(path)")
      } else {
        print("compare: identical to \(path) (\(ids.count) tokens)")
      }
    }
  }

  /// CPU time of the calling thread: steadier than wall time on a shared machine.
  static func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
  }

  /// Licenses, then Python standard library files, then fortunes, up to `megabytes`.
  static func defaultText(megabytes: Double) -> String {
    let manager = FileManager.default
    func files(_ directory: String, _ keep: (String) -> Bool) -> [String] {
      ((try? manager.contentsOfDirectory(atPath: directory)) ?? []).filter(keep).sorted().map { directory + "/" + $0 }
    }
    let python = ((try? manager.contentsOfDirectory(atPath: "/usr/lib")) ?? []).filter { $0.hasPrefix("python3.") }.sorted()
    let paths = files("/usr/share/common-licenses") { _ in true }
      + python.flatMap { files("/usr/lib/" + $0) { $0.hasSuffix(".py") } }
      + files("/usr/share/games/fortunes") { !$0.hasSuffix(".dat") && !$0.hasSuffix(".u8") }
    var text = ""
    let limit = Int(megabytes * 1e6)
    for path in paths where text.utf8.count < limit {
      guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
      text += contents
      text += "\n"
    }
    return text
  }
}
