import AtlasArtifacts
import Foundation
import TensorMath

/// Feature records and steering runs for `SyntheticAtlas`.
package enum SyntheticFeatures {
  /// Three tokens a cluster is "about", chosen deterministically from its theme.
  package static func focusTokens(theme: SyntheticTheme, cluster: Int, level: Int) -> [String] {
    let n = theme.tokens.count
    let start = (cluster * 7 + level * 3) % n
    return [theme.tokens[start], theme.tokens[(start + 5) % n], theme.tokens[(start + 11) % n]]
  }

  /// A token as a label shows it: trimmed and in curly quotes, whitespace made visible.
  package static func quoted(_ token: String) -> String {
    let trimmed = token.trimmingCharacters(in: .whitespaces)
    switch trimmed {
    case "\n": return "line break"
    case "\n\n": return "blank line"
    case "", "\t": return "indentation"
    default: return "“\(trimmed)”"
    }
  }

  // MARK: - One feature

  package static func record(_ i: Int, layout: SyntheticAtlas.Layout, options: SyntheticAtlasOptions) -> FeatureRecord {
    var rng = SplitMix64(seed: options.seed &+ UInt64(i) &* 0x2545_F491_4F6C_DD1D)
    let themes = SyntheticContent.themes
    let levels = layout.assignment.count
    let coarse = layout.assignment[0][i]
    let fine = layout.assignment[levels - 1][i]
    let theme = themes[layout.themeOfCoarse[max(0, coarse)]]
    let focus = focusTokens(theme: theme, cluster: max(0, fine), level: levels - 1)
    let hostile = options.hostile ? SyntheticContent.hostile[i % SyntheticContent.hostile.count] : nil
    let hostileFeature = options.hostile && i < SyntheticContent.hostile.count

    let dead = i % 53 == 17
    let dense = i % 131 == 29
    var tokens = [focus[i % 3], focus[(i + 1) % 3], rng.pick(theme.tokens), rng.pick(theme.tokens)]
    if hostileFeature, let hostile { tokens[0] = hostile }
    let singleToken = !dead && i % 19 == 4
    let context = theme.contexts[i % theme.contexts.count]

    let density = dead ? 0 : dense ? 0.12 + 0.1 * rng.unit() : min(0.05, pow(10, -2.6 + 0.7 * rng.gaussian()))
    let maxActivation = dead ? 0 : Float(exp(1.8 + 0.5 * rng.gaussian()))
    let meanActivation = maxActivation * Float(0.25 + 0.1 * rng.unit())

    // Label and its held-out evidence; about one in twelve is contradicted.
    let accuracy = dead ? 0 : min(0.985, 0.56 + 0.42 * pow(rng.unit(), 0.6))
    let contradicted = !dead && accuracy < 0.64
    let labelText: String
    if hostileFeature, let hostile { labelText = hostile }
    else if dead { labelText = "dead feature" }
    else if singleToken { labelText = "the token \(quoted(tokens[0]))" }
    else { labelText = "\(quoted(tokens[0])) and \(quoted(tokens[1])) \(context)" }
    let positives = dead ? 0 : 40 + rng.below(400)
    let evidence = dead ? nil : LabelEvidence(
      balancedAccuracy: accuracy, truePositiveRate: min(1, accuracy + 0.05), trueNegativeRate: max(0, accuracy - 0.05),
      positives: positives, negatives: positives)
    let note = contradicted
      ? (hostileFeature ? hostile : "balanced accuracy \(Format.fixed(accuracy, digits: 2)) is close to chance: the label does not predict firing on held-out text")
      : nil
    let label = FeatureLabel(text: labelText, pattern: Array(tokens.prefix(2)), basis: dead ? "none" : "top tokens and n-grams",
                             evidence: evidence, contradicted: contradicted, note: note)

    var flags: [FeatureFlag] = []
    if dead { flags.append(.dead) }
    if dense { flags.append(.dense) }
    if singleToken { flags.append(.singleToken) }

    // Examples: windows of filler with the feature's tokens firing around the middle.
    func window(peakValue: Float, number: Int) -> ExampleWindow {
      var pieces: [String] = []
      var values: [Float] = []
      let length = options.windowTokens
      let peak = min(length - 1, length / 2 + rng.below(max(1, length / 4)))
      while pieces.count < length {
        if pieces.count == peak {
          pieces.append(tokens[number % 2 == 0 || singleToken ? 0 : 1]); values.append(peakValue)
        } else if rng.unit() < 0.06, let split = Optional(rng.pick(SyntheticContent.splitCharacters)), pieces.count + split.count < length,
                  pieces.count + split.count <= peak || pieces.count > peak {
          for piece in split { pieces.append(piece); values.append(0) }
        } else if rng.unit() < 0.08 {
          let token = rng.pick(tokens)
          pieces.append(token); values.append(peakValue * Float(0.15 + 0.5 * rng.unit()))
        } else if rng.unit() < 0.05 {
          pieces.append(rng.pick(["\n", ",", ".", " —", "\n\n"])); values.append(0)
        } else {
          pieces.append(rng.pick(SyntheticContent.filler)); values.append(pieces.count == peak + 1 ? peakValue * 0.1 : 0)
        }
      }
      if let hostile, options.hostile, number == 0 { pieces[max(0, peak - 1)] = hostile }
      let source = options.hostile && number == 1 ? SyntheticContent.hostile[0] : theme.source
      return ExampleWindow(tokens: pieces, activations: values, peak: peak, source: source,
                           document: rng.below(4000), window: rng.below(9000))
    }
    let top: [ExampleWindow] = dead ? [] : (0 ..< options.topExamples).map { e -> ExampleWindow in
      var w = window(peakValue: maxActivation * Float(1 - 0.045 * Double(e) * (0.8 + 0.4 * rng.unit())), number: e)
      if options.windowStarts {
        // A capture window of its own (ids above the inline ones'), cut at an offset so pages test the arithmetic.
        w.window = 10_000 + i * options.topExamples + e
        w.start = e % 3
      }
      return w
    }

    // True quantiles of the non-zero activations (bounds from a log-normal shape) and equal-width intervals.
    func groups(_ count: Int, quantile: Bool) -> [SampleGroup] {
      guard !dead, count > 0 else { return [] }
      return (0 ..< count).map { g in
        let lo: Float, hi: Float, share: Double, title: String
        if quantile {
          let q0 = Double(g) / Double(count), q1 = Double(g + 1) / Double(count)
          lo = g == 0 ? 0 : maxActivation * Float(pow(q0, 1.6)); hi = maxActivation * Float(pow(q1, 1.6))
          share = q1 - q0
          title = "quantile \(Int(q0 * 100))–\(Int(q1 * 100))%"
        } else {
          lo = maxActivation * Float(g) / Float(count); hi = maxActivation * Float(g + 1) / Float(count)
          share = pow(0.45, Double(g)) * 0.55
          title = "interval \(Format.activation(lo))–\(Format.activation(hi))"
        }
        var examples = (0 ..< options.samplesPerGroup).map { e in
          window(peakValue: lo + (hi - lo) * Float(0.2 + 0.6 * rng.unit()), number: e + 1)
        }
        // As on a real atlas, the top band samples the top example again (the page must show it once).
        if g == count - 1, let first = top.first, !examples.isEmpty { examples[0] = first }
        return SampleGroup(title: title, lower: lo, upper: hi, share: share, examples: examples)
      }
    }

    // log10(activation) histogram over firings: a bump around log10(mean activation).
    let firings = Double(density) * 1_048_576
    let centre = log10(Double(max(meanActivation, 0.01)))
    let counts = (0 ..< 40).map { b -> Int in
      guard !dead else { return 0 }
      let z = (-2 + (Double(b) + 0.5) * 0.1 - centre) / 0.32
      return Int(firings * 0.1 / (0.32 * 2.5066) * exp(-0.5 * z * z))
    }

    let others = themes[(layout.themeOfCoarse[max(0, coarse)] + 3) % themes.count]
    var promoted: [TokenValue] = []
    var suppressed: [TokenValue] = []
    for k in 0 ..< 8 {
      let up: Float = Float(2.6 - 0.25 * Double(k)) * Float(0.8 + 0.4 * rng.unit())
      let down: Float = Float(2.1 - 0.2 * Double(k)) * Float(0.8 + 0.4 * rng.unit())
      promoted.append(TokenValue(token: k == 0 ? tokens[0] : theme.tokens[(i + 3 * k) % theme.tokens.count], value: up))
      suppressed.append(TokenValue(token: others.tokens[(i + 2 * k) % others.tokens.count], value: -down))
    }

    // Neighbours from the same fine cluster (decoder cosine) and anywhere nearby (co-activation).
    let members = fine >= 0 ? layout.membersOfFine[fine] : []
    let position = members.firstIndex(of: i) ?? 0
    var decoder: [Neighbour] = []
    for step in 1 ... max(1, members.count) where decoder.count < 10 && members.count > 1 {
      let j = members[(position + step) % members.count]
      if j != i { decoder.append(Neighbour(feature: j, similarity: Float(0.72 - 0.04 * Double(decoder.count)))) }
    }
    if decoder.isEmpty && options.features > 1 { decoder.append(Neighbour(feature: (i + 1) % options.features, similarity: 0.21)) }
    let coactivation = (0 ..< 5).map { k in
      Neighbour(feature: (i + 17 * (k + 1)) % options.features, similarity: Float(0.31 - 0.05 * Double(k)))
    }.filter { $0.feature != i }

    var shares: [String: Double] = [:]
    for (source, share) in [(theme.source, 0.7), ("fortunes", 0.1), ("chat", 0.1), (theme.source == "wiki" ? "python" : "wiki", 0.1)] {
      shares[source, default: 0] += share
    }
    if options.hostile { shares[SyntheticContent.hostile[0]] = 0.01 }

    let topTokens = dead ? [] : tokens.enumerated().map { k, t in
      TokenCount(token: t, count: max(1, Int(firings * (singleToken && k == 0 ? 0.92 : 0.4 / Double(k + 1)))),
                 meanActivation: meanActivation * Float(1.2 - 0.15 * Double(k)))
    }
    return FeatureRecord(
      index: i, density: density, meanActivation: meanActivation, maxActivation: maxActivation, flags: flags, label: label,
      histogram: LogHistogram(lowerLog10: -2, binWidth: 0.1, counts: counts), topTokens: topTokens, topExamples: top,
      quantileSamples: groups(options.quantileGroups, quantile: true), intervalSamples: groups(options.intervalGroups, quantile: false),
      promotedTokens: dead ? [] : promoted, suppressedTokens: dead ? [] : suppressed, decoderNeighbours: decoder,
      coactivationNeighbours: dead ? [] : coactivation, dominantSource: dead ? nil : theme.source,
      sourceShares: dead ? [:] : shares, firings: Int(firings), sampledFirings: min(Int(firings), 4096))
  }

  // MARK: - Steering

  package static func steering(layout: SyntheticAtlas.Layout, options: SyntheticAtlasOptions) -> SteeringRecord {
    let strengths: [Float] = [0.5, 2, 5, 10]
    let ablations: [Float] = [0]
    func pieces(_ text: String) -> [String] {
      // Word-like pieces with their leading space, line breaks as their own piece.
      var out: [String] = []
      for (k, line) in text.components(separatedBy: "\n").enumerated() {
        if k > 0 { out.append("\n") }
        for (w, word) in line.split(separator: " ", omittingEmptySubsequences: false).enumerated() where !word.isEmpty || w == 0 {
          out.append((w == 0 ? "" : " ") + word)
        }
      }
      return out.filter { !$0.isEmpty }
    }
    let zero = ConceptScore(meanActivation: 0, firingFraction: 0, firingTokens: 0)
    func run(_ p: Int, _ mode: String, _ strength: Float, _ text: String, concept: ConceptScore = zero, nll: Float,
             carries: Bool = false) -> SteeringRun {
      SteeringRun(prompt: p, mode: mode, strength: strength, text: text, tokens: pieces(text), concept: concept, nll: nll,
                  distinct2: strength >= 10 ? 0.1 : 1, carriesConcept: carries)
    }
    var promptTexts = SyntheticContent.prompts.map { ($0.text, true, $0.reply) }
    if options.hostile { promptTexts.append((SyntheticContent.hostile[8], false, SyntheticContent.hostile[0])) }
    let prompts = promptTexts.enumerated().map { p, t in
      SteeringPrompt(text: t.0, chat: t.1, defaultContinuation: t.2, baseline: run(p, "none", 0, t.2, nll: 0.8),
                     sweepBaseline: run(p, "none", 0, String(t.2.prefix(60)), nll: 0.8))
    }
    var features: [SteeredFeature] = []
    let count = min(options.steeredFeatures, options.features)
    for s in 0 ..< count {
      // Spread the steered features over the coarse clusters, skipping dead ones.
      var i = (s * 37 + 5) % options.features
      while i % 53 == 17 { i = (i + 1) % options.features }
      let record = record(i, layout: layout, options: options)
      let word = record.topTokens.first?.token ?? " thou"
      func steeredText(_ p: Int, _ strength: Float) -> String {
        let words = prompts[p].defaultContinuation.split(separator: " ").map(String.init)
        if strength >= 10 { return String(repeating: word, count: 12) }
        let every = strength >= 5 ? 2 : 4
        return words.enumerated().map { k, w in k % every == every - 1 ? w + word : w }.joined(separator: " ")
      }
      var runs: [SteeringRun] = []
      var chosenRuns: [SteeringRun] = []
      for p in prompts.indices {
        for a in ablations { runs.append(run(p, "ablate", a, prompts[p].sweepBaseline.text, nll: 0.8)) }
        for strength in strengths {
          let fires = Int(strength)
          let concept = ConceptScore(meanActivation: record.maxActivation * strength * 0.05, firingFraction: min(1, Float(fires) / 12),
                                     firingTokens: fires)
          runs.append(run(p, "add", strength, steeredText(p, strength), concept: concept, nll: 0.8 + strength * 0.2, carries: fires >= 2))
        }
        let concept = ConceptScore(meanActivation: record.maxActivation * 0.25, firingFraction: 0.2, firingTokens: 4)
        chosenRuns.append(run(p, "add", 5, steeredText(p, 5), concept: concept, nll: 1.4, carries: p % 3 != 2))
      }
      let sweep = ([(mode: "ablate", strength: ablations[0])] + strengths.map { (mode: "add", strength: $0) }).map { key in
        SteeringPoint(mode: key.mode, strength: key.strength, meanActivation: record.maxActivation * max(0, key.strength) * 0.05,
                      carried: key.strength >= 2 ? prompts.count : 0, medianNLLRatio: 1 + key.strength * 0.25,
                      medianDistinct2: key.strength >= 10 ? 0.1 : 1, fluent: key.strength < 10)
      }
      features.append(SteeredFeature(
        feature: i, label: record.label.text, maxActivation: record.maxActivation,
        reason: s == 0 ? "configured" : "automatic: word-like top tokens, coarse cluster \(s)",
        chosen: ChosenStrength(mode: "add", strength: 5, fluent: true), sweep: sweep, runs: runs, chosenRuns: chosenRuns,
        steers: s % 2 == 0))
    }
    return SteeringRecord(
      parameters: .object(["strengths": .array(strengths.map { .number(Double($0)) }), "maxNewTokens": .number(32)]),
      inputs: ["sae.weights": SyntheticAtlas.digest("weights", options.seed)],
      method: SteeringMethod(hookPoint: "blocks.15.hook_resid_post", mode: "add", positions: "generated", strengths: strengths,
                             ablationStrengths: ablations, sweepTokens: 16, maxNewTokens: 32, decoding: "greedy",
                             criteria: SteeringCriteria(minimumFiringTokens: 2, conceptMultiple: 3, maximumNLLRatio: 2,
                                                        minimumDistinct2: 0.5)),
      prompts: prompts, features: features,
      summary: SteeringSummary(candidates: count + 2, showcased: count, steering: (count + 1) / 2, medianChosenStrength: 5))
  }
}
