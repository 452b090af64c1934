import AtlasArtifacts
import Lexicon
import TensorMath

/// Per-feature statistics, examples, neighbours and evidence-graded labels from streamed sparse codes.
///
/// A two-pass protocol, so memory stays bounded per feature and no file is read here:
///   1. `accumulate` every window (analysis and held-out) with its codes. Held-out windows are only
///      noted. Then `finishFirstPass(logitEffects:decoderNeighbours:)` fixes bands, samples and labels and
///      returns `requestedWindows`: the windows that hold examples, plus every held-out window.
///   2. `collect` those windows again with their codes (others are ignored), in any batches and order.
///      `finish()` tests each label on the held-out tokens and returns the manifest summary.
///   3. `records(_:displayPieces:)` builds the `FeatureRecord`s of a range of features (one shard at a time).
/// Position 0 of every window (the attention sink) is never counted, labelled, tested or shown.
/// Memory: per feature, fixed-size counters and samples; per analysed token, its token group and source
/// (8 bytes, until the first pass ends) and its active latents for co-activation (4 bytes each).
public final class FeatureAnalyzer {
  public let latents: Int
  public let sourceNames: [String]
  public let vocabulary: TokenVocabulary
  public let configuration: FeatureAnalysisConfiguration
  let parts: Int
  /// WordNet, for descriptions of concepts ("diseases (measles, plague, fever)"). Without it descriptions
  /// are only lexical and syntactic. Set it before `finishFirstPass`.
  public var lexicon: Lexicon?
  /// The model's token embedding [vocab, dModel], for descriptions of words that mean alike ("words like
  /// 'joke' (joke, humor, laugh)", `descriptionSimilarCosine`). Without it that grounding is not tried. Set it
  /// before `finishFirstPass`.
  public var tokenEmbedding: Matrix?

  enum Phase: String { case firstPass = "the first pass", secondPass = "the second pass", finished = "the finished state" }
  var phase = Phase.firstPass

  // First pass: corpus-wide counts over the analysis windows (position 0 excluded).
  let state: FirstPassState
  var seenWindows = Set<Int>()
  var analysedTokens = 0
  var tokenCounts: [Int]                 // [vocab]
  var sourceTokens: [Int]                // [sources]
  var heldOutWindows = Set<Int>()
  var analysisText = StoredTokens()      // released when the first pass ends
  var heldOutText = StoredTokens()       // released when the second pass ends
  var wholeWords: WholeWords             // words split into pieces in the analysed and held-out text
  var descriptionTest = DescriptionTestText()   // analysis windows descriptions are tested on, not composed from
  var coactivationRowStart = [0]         // [counted tokens + 1]
  var coactivationLatents: [Int32] = []  // active latents of the counted tokens

  // Fixed when the first pass finishes.
  var bands: [FeatureBands] = []
  var drafts: [LabelDraft] = []
  var descriptionCandidates: [[DescriptionDraft]] = []   // [n] the strict description first, then alternatives
  var coactivation: NeighbourTable?
  var decoderNeighbours: NeighbourTable?
  var logitEffects: LogitEffects?
  var plan = ExamplePlan()
  /// Windows the second pass needs, ascending: windows holding examples, and every held-out window.
  public private(set) var requestedWindows: [Int] = []

  // Second pass.
  var collected = Set<Int>()
  var stored: [Int: StoredWindow] = [:]
  var heldOut = HeldOutCounts(latents: 0)
  var strongFloor: [Float] = []       // [n] the lowest floor of its candidate descriptions: below it a firing counts for none
  var candidateFloors: [[Float]] = [] // [n][candidates] the floor each candidate description is tested at
  var labels: [FeatureLabel] = []
  var descriptions: [FeatureDescription?] = []
  var flags: [[FeatureFlag]] = []
  var pieces: [Int: [String]] = [:]

  /// - Parameters:
  ///   - latents: number of SAE latents n.
  ///   - sources: corpus source names; windows give per-position indices into this list.
  ///   - vocabulary: token texts (and their case/space groups), e.g. `TokenVocabulary(size:tokenText:)`.
  ///   - workers: threads for the parallel parts; the output is identical for any value.
  public init(latents: Int, sources: [String], vocabulary: TokenVocabulary,
              configuration: FeatureAnalysisConfiguration = .default, workers: Int = Parallel.workers) throws(FeatureAnalysisError) {
    try configuration.validate()
    guard latents >= 1 else { throw .invalidInput(what: "latents", expected: "≥ 1", found: "\(latents)") }
    guard !sources.isEmpty else { throw .invalidInput(what: "source names", expected: "at least one", found: "none") }
    guard vocabulary.size >= 1 else { throw .invalidInput(what: "vocabulary", expected: "≥ 1 token", found: "0") }
    self.latents = latents
    self.sourceNames = sources
    self.vocabulary = vocabulary
    wholeWords = WholeWords(vocabulary: vocabulary)
    self.configuration = configuration
    self.parts = max(1, workers)
    state = FirstPassState(latents: latents, sources: sources.count, parts: parts, configuration: configuration)
    tokenCounts = [Int](repeating: 0, count: vocabulary.size)
    sourceTokens = [Int](repeating: 0, count: sources.count)
  }

  // MARK: - First pass

  /// Adds a batch of windows and their codes (rows: positions 1..<T of each window, in order).
  public func accumulate(_ windows: [AnalysisWindow], codes: LatentCodes) throws(FeatureAnalysisError) {
    guard phase == .firstPass else { throw .outOfOrder(call: "accumulate", phase: phase.rawValue) }
    let rowOffsets = try validateBatch(windows, codes, latents: latents, vocabulary: vocabulary.size, sources: sourceNames.count)
    var batchIndices = Set<Int>()
    for window in windows where seenWindows.contains(window.index) || !batchIndices.insert(window.index).inserted {
      throw .duplicateWindow(window.index)
    }
    seenWindows.formUnion(batchIndices)
    let state = self.state, parts = self.parts
    Parallel.forEach(parts) { part in
      state.accumulate(part: part, parts: parts, windows: windows, rowOffsets: rowOffsets, codes: codes)
    }
    countCorpus(windows, rowOffsets: rowOffsets, codes: codes)
  }

  /// Corpus-wide counts and the co-activation rows (serial; cheap next to the per-feature work).
  private func countCorpus(_ windows: [AnalysisWindow], rowOffsets: [Int], codes: LatentCodes) {
    let rate = configuration.coactivationSampleRate
    let salt = configuration.seed ^ 0xC0AC_7100_0000_0000
    for (w, window) in windows.enumerated() {
      let ids = window.tokens
      if window.heldOut {
        heldOutWindows.insert(window.index)
        heldOutText.append(window, vocabulary: vocabulary, wholeWords: &wholeWords)
        continue
      }
      analysisText.append(window, vocabulary: vocabulary, wholeWords: &wholeWords)
      let start = analysisText.spans[analysisText.spans.count - 1].start
      let testsDescriptions = isDescriptionTest(window.index)
      for p in 1 ..< max(1, ids.count) {
        if testsDescriptions {
          let r = rowOffsets[w] + p - 1
          let entries = codes.rowStart[r] ..< codes.rowStart[r + 1]
          let at = start + p
          descriptionTest.add(group: analysisText.groups[at], word: analysisText.words[at], part: analysisText.parts[at],
                              latents: codes.latents[entries], values: codes.values[entries])
        }
        tokenCounts[ids[p]] += 1
        sourceTokens[window.sources[p]] += 1
        if rate < 1, Double(SeededHash.hash(salt, window.index, p, 0) >> 11) * 0x1p-53 >= rate { continue }
        let r = rowOffsets[w] + p - 1
        for e in codes.rowStart[r] ..< codes.rowStart[r + 1] where codes.values[e] > 0 {
          coactivationLatents.append(codes.latents[e])
        }
        coactivationRowStart.append(coactivationLatents.count)
      }
      analysedTokens += max(0, ids.count - 1)
    }
  }

  /// Firings per feature on the analysis windows so far, e.g. to compute logit effects for live features
  /// only (`LogitEffects.compute(…, features:)`) before `finishFirstPass`.
  public var firingCounts: [Int] { state.firings.array }

  /// Ends the first pass: quantile bands and their samples, co-activation neighbours, draft labels, and the
  /// plan of examples. `logitEffects` (for the records, and as one kind of label candidate) and
  /// `decoderNeighbours` are optional; without them those record fields stay empty.
  /// Returns `requestedWindows`.
  @discardableResult
  public func finishFirstPass(logitEffects: LogitEffects? = nil,
                              decoderNeighbours: NeighbourTable? = nil) throws(FeatureAnalysisError) -> [Int] {
    guard phase == .firstPass else { throw .outOfOrder(call: "finishFirstPass", phase: phase.rawValue) }
    if let logitEffects {
      guard logitEffects.features == latents else {
        throw .invalidInput(what: "logit effects", expected: "\(latents) features", found: "\(logitEffects.features)")
      }
      if let bad = (logitEffects.promotedTokens + logitEffects.suppressedTokens).first(where: { Int($0) >= vocabulary.size }) {
        throw .invalidInput(what: "a logit-effect token", expected: "an id below the vocabulary size \(vocabulary.size)",
                            found: "\(bad)")
      }
    }
    if let decoderNeighbours {
      guard decoderNeighbours.count == latents, decoderNeighbours.indices.count == latents * decoderNeighbours.k,
            decoderNeighbours.scores.count == decoderNeighbours.indices.count,
            decoderNeighbours.indices.allSatisfy({ $0 >= -1 && Int($0) < latents }) else {
        throw .invalidInput(what: "decoder neighbours", expected: "\(latents) rows of k neighbour indices in -1..<\(latents)",
                            found: "\(decoderNeighbours.count) rows, \(decoderNeighbours.indices.count) indices")
      }
    }
    self.logitEffects = logitEffects
    self.decoderNeighbours = decoderNeighbours
    coactivation = Coactivation.neighbours(latents: latents, rowStart: coactivationRowStart, latents: coactivationLatents,
                                           k: configuration.coactivationNeighbours, workers: parts)
    coactivationRowStart = []
    coactivationLatents = []
    bands = computeBands()
    descriptionCandidates = composeDescriptions()
    drafts = draftLabels()
    state.releaseFirstPassBuffers()
    plan = ExamplePlan(analyzer: self)
    requestedWindows = Set(plan.window.map(Int.init)).union(heldOutWindows).sorted()
    heldOut = HeldOutCounts(latents: latents, candidates: descriptionCandidates.map(\.count))
    candidateFloors = (0 ..< latents).map { f in
      descriptionCandidates[f].map { Float($0.floorFraction ?? configuration.descriptionStrongFraction) * state.maxima[f] }
    }
    strongFloor = (0 ..< latents).map { candidateFloors[$0].min() ?? Float(configuration.descriptionStrongFraction) * state.maxima[$0] }
    descriptionTest.count(into: &heldOut, floor: strongFloor, candidates: descriptionCandidates, floors: candidateFloors)
    phase = .secondPass
    return requestedWindows
  }

  private func computeBands() -> [FeatureBands] {
    guard let samples = state.samples else { return [] }
    var out = [FeatureBands](repeating: .empty, count: latents)
    let state = self.state, configuration = self.configuration, n = latents
    let titles = FeatureBands.quantileTitles(configuration)
    out.withUnsafeMutableBufferPointer { buffer in
      let target = UnsafeSendable(buffer.baseAddress!)
      Parallel.chunks(n, parts: parts) { range in
        for f in range {
          target.value[f] = FeatureBands.compute(sample: samples[f].heap, maximum: state.maxima[f], configuration: configuration,
                                                 quantileTitles: titles)
        }
      }
    }
    return out
  }

  /// Describes every live feature in words from where it fires strongly: its sampled firings in the
  /// composing windows (not those kept for the description test) that reach `descriptionStrongFraction` of
  /// its maximum (the firings the test checks), weighted by activation. A feature with fewer than
  /// `descriptionMinSampled` such firings is described from all its sampled firings there. Per feature the
  /// strict description first, then its alternatives (`DescriptionComposer.candidates`). In parallel;
  /// deterministic.
  private func composeDescriptions() -> [[DescriptionDraft]] {
    let context = DescriptionContext(vocabulary: vocabulary, wholeWords: wholeWords.keys, lexicon: lexicon, tokenCounts: tokenCounts,
                                     embedding: tokenEmbedding,
                                     components: configuration.descriptionEmbeddingComponents,
                                     similarCosine: configuration.descriptionSimilarCosine)
    var out = [[DescriptionDraft]](repeating: [.empty], count: latents)
    let state = self.state, c = configuration, text = analysisText
    let composes = (state.samples?.array ?? []).map { sample in sample.heap.filter { !isDescriptionTest(Int($0.window)) } }
    guard composes.count == latents else { return out }
    out.withUnsafeMutableBufferPointer { buffer in
      let target = UnsafeSendable(buffer.baseAddress!)
      Parallel.chunks(latents, parts: parts) { range in
        for f in range where state.firings[f] > 0 {
          // Activation in 1/256 units per token group, over the strong firings if there are enough, else all.
          // Also per part of a word, the weight of each group's firings as that piece of a longer word ("Ephes|us"),
          // to tell words from pieces.
          func weights(from floor: Float) -> (groups: [Int32: Int], total: Int, count: Int, pieces: PieceWeights) {
            var groups: [Int32: Int] = [:], total = 0, count = 0
            var pieces = PieceWeights()
            for firing in composes[f] where firing.value >= floor {
              guard let span = text.span(window: Int(firing.window)), Int(firing.position) < span.length else { continue }
              let weight = max(1, Int((Double(firing.value) * 256).rounded()))
              let at = span.start + Int(firing.position)
              groups[text.groups[at], default: 0] += weight
              if text.parts[at] != .whole {
                let part = Int(text.parts[at].rawValue)
                pieces.groups[part][text.groups[at], default: 0] += weight
                pieces.words[part][text.words[at], default: 0] += weight
              }
              total += weight
              count += 1
            }
            return (groups, total, count, pieces)
          }
          var w = weights(from: Float(c.descriptionStrongFraction) * state.maxima[f])
          if w.count < c.descriptionMinSampled { w = weights(from: 0) }
          var candidates = DescriptionComposer.candidates(groups: w.groups, total: max(1, w.total), context: context,
                                                          configuration: c, pieces: w.pieces)
          // Where it fires most strongly, which its top examples show: composed and tested at a higher floor.
          let peak = weights(from: Float(c.descriptionPeakFraction) * state.maxima[f])
          if c.descriptionPeakFraction > c.descriptionStrongFraction, peak.count >= c.descriptionMinSampled {
            for var d in DescriptionComposer.candidates(groups: peak.groups, total: max(1, peak.total), context: context,
                                                       configuration: c, pieces: peak.pieces) where d.kind != .unclear {
              d.text = FeatureDescription.strongestPrefix + d.text
              d.floorFraction = c.descriptionPeakFraction
              candidates.append(d)
            }
          }
          // Too few strong firings to test: the same descriptions, tested on firings from a lower floor.
          if c.descriptionBroadFraction > 0, c.descriptionBroadFraction < c.descriptionStrongFraction {
            for (k, d) in candidates.enumerated() where d.kind != .unclear && d.floorFraction == nil {
              var broad = d
              broad.floorFraction = c.descriptionBroadFraction
              broad.broadens = k
              candidates.append(broad)
            }
          }
          target.value[f] = candidates
        }
      }
    }
    return out
  }

  func isDescriptionTest(_ window: Int) -> Bool { configuration.testsDescriptions(window: window) }

  /// Drafts every feature's label on the analysis windows (in parallel; the result does not depend on the
  /// number of workers), then frees the analysis text.
  private func draftLabels() -> [LabelDraft] {
    let c = configuration
    let trigrams = vocabulary.groupCount < PatternKey.trigramLimit
    let counts = PatternCounts(analysisText, groups: vocabulary.groupCount, sources: sourceNames.count, trigrams: trigrams)
    let rate = min(1, Double(c.labelContextBackground) / Double(max(1, analysisText.countedTokens)))
    let salt = c.seed ^ 0xC047_E870_0000_0000
    let index = ContextIndex(analysisText, groups: vocabulary.groupCount, span: c.labelContextSpan) { window, p in
      rate >= 1 || Double(SeededHash.hash(salt, window, p, 1) >> 11) * 0x1p-53 < rate
    }
    let context = LabelContext(vocabulary: vocabulary, sourceNames: sourceNames, tokens: analysisText, counts: counts,
                               context: index, backgroundScale: Double(counts.tokens) / Double(max(1, index.positions)),
                               tokenCounts: tokenCounts, trigrams: trigrams, configuration: c)
    var out = [LabelDraft](repeating: .dead, count: latents)
    let state = self.state, logitEffects = self.logitEffects, groups = vocabulary.groupCount
    guard let samples = state.samples else { return out }
    out.withUnsafeMutableBufferPointer { buffer in
      let target = UnsafeSendable(buffer.baseAddress!)
      Parallel.chunks(latents, parts: parts) { range in
        var scratch = LabelScratch(groups: groups, context: index)
        for f in range {
          target.value[f] = FeatureLabeler.draft(firings: state.firings[f], sample: samples[f].heap,
                                                 promoted: logitEffects?.promoted(f) ?? [], context: context, scratch: &scratch)
        }
      }
    }
    analysisText = StoredTokens()
    return out
  }
}
