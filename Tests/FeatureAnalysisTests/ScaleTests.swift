import AtlasArtifacts
import FeatureAnalysis
import Foundation
import TensorMath
import Testing

/// Synthetic TopK codes at a realistic size, generated per window from a seed so the second pass can
/// regenerate exactly the windows it asks for, as a pipeline re-encoding from disk would.
struct ScaleCorpus {
  let latents: Int, windows: Int, length = 128, k = 32, vocabulary = 49_152

  func window(_ w: Int) -> (AnalysisWindow, [Int32], [Float]) {
    var rng = SplitMix64(seed: UInt64(w) &* 0x9E37_79B9 &+ 1)
    var tokens = [0]
    for _ in 1 ..< length {
      let u = rng.nextUnitFloat()
      tokens.append(min(vocabulary - 1, Int(u * u * u * Float(vocabulary))))   // Zipf-like: small ids common
    }
    var latentIDs: [Int32] = []
    var values: [Float] = []
    latentIDs.reserveCapacity((length - 1) * k)
    values.reserveCapacity((length - 1) * k)
    for p in 1 ..< length {
      // Half the actives depend on the token (token features), half are random; a stride keeps them distinct.
      let tied = (tokens[p] &* 2_654_435_761) % latents, free = rng.nextInt(below: latents)
      for j in 0 ..< k {
        latentIDs.append(Int32(((j < k / 2 ? tied : free) + j * 97) % latents))
        values.append(0.05 + 4 * rng.nextUnitFloat())
      }
    }
    let source = w % 5
    return (AnalysisWindow(index: w, tokens: tokens, sources: [Int](repeating: source, count: length),
                           documents: [Int](repeating: w / 4, count: length), heldOut: w % 10 == 9), latentIDs, values)
  }

  func batch(_ indices: [Int]) -> ([AnalysisWindow], LatentCodes) {
    var windows: [AnalysisWindow] = [], latentIDs: [Int32] = [], values: [Float] = []
    for w in indices {
      let (window, l, v) = window(w)
      windows.append(window); latentIDs += l; values += v
    }
    return (windows, LatentCodes(k: k, latents: latentIDs, values: values))
  }
}

@Suite("Scale")
struct ScaleTests {
  /// FEATURE_ANALYSIS_SCALE="latents,tokens" (default 16384,100000) sets the size; the figures printed are
  /// the ones reported for 4k/16k/65k latents. Run in release, with OPENBLAS_CORETYPE set as the
  /// feature-atlas binary sets it (see KernelSelection), for timings.
  @Test("Synthetic TopK codes at scale (default 16k latents, 100k tokens × k = 32) are analysed with bounded memory")
  func scale() throws {
    let requestedScale = ProcessInfo.processInfo.environment["FEATURE_ANALYSIS_SCALE"]
    let spec = (requestedScale ?? "16384,100000").split(separator: ",").compactMap { Int($0) }
    let latents = spec.first ?? 16_384, tokens = spec.count > 1 ? spec[1] : 100_000
    let corpus = ScaleCorpus(latents: latents, windows: max(10, tokens / 127))
    let d = 576
    var clock = ContinuousClock.now
    func lap() -> Double {
      let now = ContinuousClock.now
      defer { clock = now }
      let t = now - clock
      return Double(t.components.seconds) + Double(t.components.attoseconds) * 1e-18
    }
    var times: [(String, Double)] = []
    let texts = (0 ..< corpus.vocabulary).map { $0 == 0 ? "<|endoftext|>" : " t\($0)" }
    let vocabulary = TokenVocabulary(texts: texts)
    let decoder = GeometryTests.gaussian(latents, d, seed: 1)
    // The default run keeps the suite quick: logit effects over the first 4,096 tokens only (the analysis
    // itself is full size). A requested scale uses the whole 49,152-token unembedding.
    let unembeddingRows = requestedScale == nil ? 4096 : corpus.vocabulary
    let unembedding = GeometryTests.gaussian(unembeddingRows, d, seed: 2)
    let norm = [Float](repeating: 1, count: d)
    _ = lap()
    let neighbours = try DecoderNeighbours.compute(decoder: decoder, k: 10)
    times.append(("decoder neighbours", lap()))
    let logits = try LogitEffects.compute(decoder: decoder, normWeight: norm, unembedding: unembedding, k: 10)
    times.append(("logit effects", lap()))

    let analyzer = try FeatureAnalyzer(latents: latents, sources: SyntheticCorpus.sources, vocabulary: vocabulary)
    var generation = 0.0, pass1 = 0.0
    for start in stride(from: 0, to: corpus.windows, by: 64) {
      let (windows, codes) = corpus.batch(Array(start ..< min(corpus.windows, start + 64)))
      generation += lap()
      try analyzer.accumulate(windows, codes: codes)
      pass1 += lap()
    }
    times.append(("first pass", pass1))
    let requested = try analyzer.finishFirstPass(logitEffects: logits, decoderNeighbours: neighbours)
    times.append(("finish first pass", lap()))
    var pass2 = 0.0
    for start in stride(from: 0, to: requested.count, by: 64) {
      let (windows, codes) = corpus.batch(Array(requested[start ..< min(requested.count, start + 64)]))
      generation += lap()
      try analyzer.collect(windows, codes: codes)
      pass2 += lap()
    }
    times.append(("second pass", pass2))
    let summary = try analyzer.finish()
    times.append(("finish", lap()))
    var records = 0, examples = 0
    for first in stride(from: 0, to: latents, by: 1024) {
      let shard = try analyzer.records(first ..< min(latents, first + 1024)) { ids in ids.map { texts[$0] } }
      records += shard.count
      examples += shard.reduce(0) { $0 + $1.topExamples.count }
    }
    times.append(("records", lap()))
    let peak = peakResidentMiB()
    let total = times.reduce(0) { $0 + $1.1 }
    print("scale: \(latents) latents, \(summary.analysedTokens) analysed + \(summary.heldOutTokens) held-out tokens, k = 32, "
          + "\(requested.count) requested windows, logit effects over \(unembeddingRows) tokens, \(Parallel.workers) workers, "
          + "OpenBLAS \(BLAS.coreName)")
    for (name, seconds) in times { print(String(format: "  %-20@ %8.2f s", name as NSString, seconds)) }
    print(String(format: "  total (excluding %.1f s of synthetic-code generation): %.2f s; peak RSS (VmHWM) %.0f MiB", generation, total, peak))
    #expect(records == latents)
    #expect(examples > 0)
    #expect(summary.analysedTokens + summary.heldOutTokens == corpus.windows * 127)
    #expect(peak < 12 * 1024)
  }
}
