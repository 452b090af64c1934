import AtlasArtifacts
import FeatureAnalysis
import Lexicon
import TensorMath

/// A window with its codes given as one list of (latent, value) per position 1..<T.
struct CodedWindow {
  var window: AnalysisWindow
  var rows: [[(latent: Int, value: Float)]]   // [T - 1]
}

/// The codes of a batch of windows in the analyzer's compressed-row layout.
func latentCodes(_ batch: ArraySlice<CodedWindow>) -> LatentCodes {
  var rowStart = [0]
  var latents: [Int32] = []
  var values: [Float] = []
  for coded in batch {
    for row in coded.rows {
      for entry in row {
        latents.append(Int32(entry.latent))
        values.append(entry.value)
      }
      rowStart.append(latents.count)
    }
  }
  return LatentCodes(rowStart: rowStart, latents: latents, values: values)
}

/// Runs the whole protocol: first pass in batches, finishFirstPass, second pass over every window (as a
/// pipeline that simply streams everything again would), finish, and the records of all features.
func analyse(_ coded: [CodedWindow], latents: Int, sources: [String], texts: [String],
             configuration: FeatureAnalysisConfiguration = .default, workers: Int = 2, batch: Int = 4,
             logitEffects: LogitEffects? = nil, decoderNeighbours: NeighbourTable? = nil, lexicon: Lexicon? = nil,
             tokenEmbedding: Matrix? = nil)
  throws -> (summary: FeatureAnalysisSummary, records: [FeatureRecord], requested: [Int]) {
  let analyzer = try FeatureAnalyzer(latents: latents, sources: sources, vocabulary: TokenVocabulary(texts: texts),
                                     configuration: configuration, workers: workers)
  analyzer.lexicon = lexicon
  analyzer.tokenEmbedding = tokenEmbedding
  for start in stride(from: 0, to: coded.count, by: batch) {
    let slice = coded[start ..< min(coded.count, start + batch)]
    try analyzer.accumulate(slice.map(\.window), codes: latentCodes(slice))
  }
  let requested = try analyzer.finishFirstPass(logitEffects: logitEffects, decoderNeighbours: decoderNeighbours)
  for start in stride(from: 0, to: coded.count, by: batch + 1) {
    let slice = coded[start ..< min(coded.count, start + batch + 1)]
    try analyzer.collect(slice.map(\.window), codes: latentCodes(slice))
  }
  let summary = try analyzer.finish()
  let records = try analyzer.records(0 ..< latents) { ids in ids.map { texts[$0] } }
  return (summary, records, requested)
}

/// A random corpus over a small vocabulary, with per-position sources and documents, and no codes yet.
struct SyntheticCorpus {
  var texts: [String]
  var windows: [AnalysisWindow]
  static let sources = ["shakespeare", "fortunes", "networkx", "calendar", "licenses"]

  /// `vocabulary` tokens: 0 is the sink; a few named tokens come first so tests can plant on them.
  static let named = ["<|endoftext|>", " Paris", "Paris", " paris", " the", " of", " New", " York", "\n", " London"]

  init(windows count: Int, length: Int, vocabulary: Int = 120, heldOutEvery: Int = 10, seed: UInt64 = 7) {
    var rng = SplitMix64(seed: seed)
    texts = SyntheticCorpus.named + (SyntheticCorpus.named.count ..< vocabulary).map { " w\($0)" }
    windows = (0 ..< count).map { w in
      let source = w % SyntheticCorpus.sources.count
      var tokens = [0]
      for _ in 1 ..< length {
        // Mostly filler words; the named tokens appear now and then.
        let r = rng.nextInt(below: 100)
        tokens.append(r < 12 ? 1 + rng.nextInt(below: SyntheticCorpus.named.count - 1) : SyntheticCorpus.named.count
                        + rng.nextInt(below: vocabulary - SyntheticCorpus.named.count))
      }
      return AnalysisWindow(index: w, tokens: tokens, sources: [Int](repeating: source, count: length),
                            documents: [Int](repeating: w / 3, count: length), heldOut: w % heldOutEvery == heldOutEvery - 1)
    }
  }

  /// Attaches codes: `fire(window, position)` lists the latents active at that position.
  func coded(_ fire: (AnalysisWindow, Int) -> [(latent: Int, value: Float)]) -> [CodedWindow] {
    windows.map { window in CodedWindow(window: window, rows: (1 ..< window.tokens.count).map { fire(window, $0) }) }
  }
}

/// Peak resident memory of this process (VmHWM), in MiB.
func peakResidentMiB() -> Double {
  guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
  for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
    let digits = line.split(separator: " ").compactMap { Double($0) }
    return (digits.first ?? -1) / 1024
  }
  return -1
}
