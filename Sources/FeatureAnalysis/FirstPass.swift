import Foundation
import TensorMath

/// Per-feature state of the first pass. Worker `part` of `parts` owns the features f ≡ part (mod parts) and
/// sees every firing of its features in window order, so no slot is shared between threads and the result
/// is the same for any number of workers.
final class FirstPassState: @unchecked Sendable {
  let latents: Int
  let sourceCount: Int
  let configuration: FeatureAnalysisConfiguration
  let firings: FlatBuffer<Int>            // [n]
  let sums: FlatBuffer<Double>            // [n]
  let maxima: FlatBuffer<Float>           // [n]
  let histogram: FlatBuffer<Int32>        // [n * histogramBins]
  let sourceFirings: FlatBuffer<Int32>    // [n * sources]
  let tokens: HeavyHitters                // key: token id; with activation sums
  let topWindows: TopWindows
  // Needed only until the first pass is finished; released then.
  var samples: FlatBuffer<FiringSample>?  // [n]
  /// Per worker: the feature's maximum in the current window and where it is (0 = not fired yet).
  var windowMaxima: [FlatBuffer<Float>]   // [parts][n]
  var windowPeaks: [FlatBuffer<Int32>]    // [parts][n]

  init(latents n: Int, sources: Int, parts: Int, configuration c: FeatureAnalysisConfiguration) {
    latents = n
    sourceCount = sources
    configuration = c
    firings = FlatBuffer(count: n, repeating: 0)
    sums = FlatBuffer(count: n, repeating: 0)
    maxima = FlatBuffer(count: n, repeating: 0)
    histogram = FlatBuffer(count: n * c.histogramBins, repeating: 0)
    sourceFirings = FlatBuffer(count: n * sources, repeating: 0)
    tokens = HeavyHitters(features: n, capacity: c.tokenSummaryCapacity, withSums: true)
    samples = FlatBuffer(count: n, repeating: FiringSample())
    topWindows = TopWindows(features: n, capacity: c.topExamples)
    windowMaxima = (0 ..< parts).map { _ in FlatBuffer(count: n, repeating: 0) }
    windowPeaks = (0 ..< parts).map { _ in FlatBuffer(count: n, repeating: 0) }
  }

  @inline(__always)
  func histogramBin(_ value: Float) -> Int {
    let c = configuration
    let x = (Double(log10f(value)) - c.histogramLowerLog10) / c.histogramBinWidth
    guard x >= 0 else { return 0 }
    return x >= Double(c.histogramBins) ? c.histogramBins - 1 : Int(x)
  }

  /// Hash of the tokens from `duplicateContext` before the peak to one after it (positions outside the
  /// window hash as −1): two windows with equal keys are near-duplicates.
  static func duplicateKey(_ tokens: [Int], peak: Int, before: Int) -> UInt64 {
    var h: UInt64 = 0x243F_6A88_85A3_08D3
    for p in peak - before ... peak + 1 {
      let t = p >= 0 && p < tokens.count ? tokens[p] : -1
      h = SeededHash.mix(h ^ UInt64(bitPattern: Int64(t)))
    }
    return h
  }

  /// Frees what only the first pass needs.
  func releaseFirstPassBuffers() {
    samples = nil
    windowMaxima = []
    windowPeaks = []
  }

  /// One worker's share of a batch: every firing of the features f ≡ part (mod parts) in the analysis windows.
  func accumulate(part: Int, parts: Int, windows: [AnalysisWindow], rowOffsets: [Int], codes: LatentCodes) {
    let c = configuration
    let bins = c.histogramBins, sources = sourceCount, sampleSize = c.quantileSampleSize, seed = c.seed
    guard let samples else { return }
    let windowMax = windowMaxima[part], windowPeak = windowPeaks[part]
    var touched: [Int] = []
    for (w, window) in windows.enumerated() where !window.heldOut {
      touched.removeAll(keepingCapacity: true)
      let ids = window.tokens
      for p in 1 ..< max(1, ids.count) {
        let r = rowOffsets[w] + p - 1
        let token = ids[p], source = window.sources[p]
        for e in codes.rowStart[r] ..< codes.rowStart[r + 1] {
          let f = Int(codes.latents[e])
          guard f % parts == part else { continue }
          let v = codes.values[e]
          guard v > 0 else { continue }   // also drops NaN
          firings[f] += 1
          sums[f] += Double(v)
          if v > maxima[f] { maxima[f] = v }
          histogram[f * bins + histogramBin(v)] += 1
          sourceFirings[f * sources + source] += 1
          tokens.add(f, key: UInt64(token), value: v)
          let priority = UInt32(truncatingIfNeeded: SeededHash.hash(seed, f, window.index, p) >> 32)
          samples.base[f].offer(SampledFiring(priority: priority, value: v, window: Int32(window.index), position: Int32(p)),
                                capacity: sampleSize)
          if windowMax[f] == 0 { touched.append(f) }
          if v > windowMax[f] { windowMax[f] = v; windowPeak[f] = Int32(p) }
        }
      }
      for f in touched {
        let peak = Int(windowPeak[f])
        topWindows.offer(f, value: windowMax[f], window: Int32(window.index), peak: Int32(peak),
                         key: FirstPassState.duplicateKey(ids, peak: peak, before: c.duplicateContext))
        windowMax[f] = 0
      }
    }
  }
}

/// Checks a batch before any state changes, so a bad batch leaves the analyzer as it was.
/// Returns the first code row of each window.
func validateBatch(_ windows: [AnalysisWindow], _ codes: LatentCodes, latents: Int, vocabulary: Int,
                   sources: Int) throws(FeatureAnalysisError) -> [Int] {
  var rowOffsets: [Int] = []
  rowOffsets.reserveCapacity(windows.count)
  var rows = 0
  for window in windows {
    let T = window.tokens.count
    guard (0 ... Int(Int32.max)).contains(window.index) else {
      throw .malformedWindow(window: window.index, reason: "a window index must be in 0...\(Int32.max)")
    }
    guard T >= 1 else { throw .malformedWindow(window: window.index, reason: "it has no tokens") }
    guard window.sources.count == T, window.documents.count == T else {
      throw .malformedWindow(window: window.index,
                             reason: "\(T) tokens but \(window.sources.count) source ids and \(window.documents.count) document ids")
    }
    if let bad = window.tokens.first(where: { $0 < 0 || $0 >= vocabulary }) {
      throw .malformedWindow(window: window.index, reason: "token id \(bad) is outside the vocabulary 0..<\(vocabulary)")
    }
    if let bad = window.sources.first(where: { $0 < 0 || $0 >= sources }) {
      throw .malformedWindow(window: window.index, reason: "source id \(bad) is outside 0..<\(sources) (the source names given)")
    }
    rowOffsets.append(rows)
    rows += T - 1
  }
  guard codes.rowStart.count == rows + 1 else {
    throw .codesDoNotMatchWindows(expectedRows: rows, foundRows: codes.rows)
  }
  guard codes.rowStart.first == 0, codes.rowStart.last == codes.latents.count, codes.latents.count == codes.values.count,
        zip(codes.rowStart, codes.rowStart.dropFirst()).allSatisfy({ $0 <= $1 }) else {
    throw .invalidInput(what: "sparse codes", expected: "non-decreasing row starts from 0 to the entry count, one value per latent",
                        found: "\(codes.rowStart.count) row starts ending at \(codes.rowStart.last ?? -1), \(codes.latents.count) latents, \(codes.values.count) values")
  }
  for (w, window) in windows.enumerated() {
    let first = codes.rowStart[rowOffsets[w]], end = codes.rowStart[rowOffsets[w] + window.tokens.count - 1]
    for e in first ..< end where codes.latents[e] < 0 || Int(codes.latents[e]) >= latents {
      throw .latentOutOfRange(window: window.index, latent: Int(codes.latents[e]), latents: latents)
    }
  }
  return rowOffsets
}
