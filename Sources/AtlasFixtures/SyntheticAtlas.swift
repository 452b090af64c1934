import AtlasArtifacts
import Dispatch
import Foundation
import TensorMath

/// What `SyntheticAtlas` generates. Defaults give a small but realistic atlas for tests.
package struct SyntheticAtlasOptions: Sendable {
  package var features = 300
  package var clusters = [6, 18, 48]       // clusters per level, coarse first
  package var featuresPerShard = 128
  package var topExamples = 10
  package var windowTokens = 24
  package var samplesPerGroup = 2
  package var quantileGroups = 4
  package var intervalGroups = 5
  package var steeredFeatures = 3
  package var includeTraining = true
  package var includeSteering = true
  /// Put hostile strings (script tags, quote breakers, control bytes, ...) into labels, tokens,
  /// cluster names, prompts, source names and the configuration.
  package var hostile = false
  /// Say where each top example starts in its capture window (a window of its own), as the features stage
  /// does, so pages draw that text from the site's shared `data/windows.js`; the band samples keep their
  /// text inline (`start` nil, as in atlases from before the field). Off, every example is inline.
  package var windowStarts = true
  package var seed: UInt64 = 20_240_601
  package init() {}
}

/// Builds a complete synthetic atlas directory (atlas.json, sae/training.json, features/, layout/,
/// steering/) from the artifact records, so the site can be rendered and tested without running the
/// model. Used by the site, briefing and diff tests and by `atlas-bench site` and `atlas-bench diff`.
package enum SyntheticAtlas {
  /// The cluster each feature belongs to, per level (-1 = unclustered), and its map position.
  package struct Layout: Sendable {
    package var x: [Float]                 // [n]
    package var y: [Float]                 // [n]
    package var assignment: [[Int]]        // [levels][n]
    package var levels: [ClusterLevelRecord]
    package var themeOfCoarse: [Int]       // [clusters[0]]
    package var membersOfFine: [[Int]]     // [clusters[last]] feature indices
  }

  @discardableResult
  package static func write(to root: URL, options: SyntheticAtlasOptions = .init()) throws -> AtlasDirectory {
    let atlas = AtlasDirectory(root)
    let layout = makeLayout(options)
    let shards = (options.features + options.featuresPerShard - 1) / options.featuresPerShard
    try FileManager.default.createDirectory(at: atlas.features, withIntermediateDirectories: true)

    // Feature records, shard by shard on both cores; each feature has its own seeded generator.
    let failures = FailureList()
    let summaries = SummaryTable(count: options.features)
    DispatchQueue.concurrentPerform(iterations: shards) { shard in
      let first = shard * options.featuresPerShard
      let end = min(options.features, first + options.featuresPerShard)
      let records = (first ..< end).map { SyntheticFeatures.record($0, layout: layout, options: options) }
      for r in records { summaries.set(r.index, density: r.density, flags: r.flags, contradicted: r.label.contradicted) }
      do {
        try ShardDecoder.write(FeatureShard(first: first, records: records), to: atlas, shard: shard)
      } catch { failures.append("\(error)") }
    }
    if let failure = failures.first { throw SyntheticAtlasError.writeFailed(path: atlas.features.path, reason: failure) }

    try featuresManifest(options, shards: shards, summaries: summaries).write(to: atlas.featuresManifest)
    try writeLayout(layout, options: options, to: atlas)
    try atlasRecord(options).write(to: atlas.atlasRecord)
    if options.includeTraining { try trainingRecord(options).write(to: atlas.saeTraining) }
    if options.includeSteering {
      try FileManager.default.createDirectory(at: atlas.steering, withIntermediateDirectories: true)
      try SyntheticFeatures.steering(layout: layout, options: options).write(to: atlas.steeringRecord)
    }
    return atlas
  }

  // MARK: - Layout and clusters

  package static func makeLayout(_ options: SyntheticAtlasOptions) -> Layout {
    var rng = SplitMix64(seed: options.seed)
    let counts = options.clusters.map { max(1, $0) }
    let themes = SyntheticContent.themes
    // Cluster centres: coarse on a ring, each finer cluster near its parent.
    var centres: [[(Double, Double)]] = []
    var parents: [[Int]] = []
    for (level, count) in counts.enumerated() {
      var level_centres: [(Double, Double)] = []
      var level_parents: [Int] = []
      for c in 0 ..< count {
        if level == 0 {
          let angle = 2 * Double.pi * Double(c) / Double(count) + 0.08 * rng.gaussian()
          let radius = 9 * (0.8 + 0.2 * rng.unit())
          level_centres.append((radius * cos(angle), radius * sin(angle)))
          level_parents.append(-1)
        } else {
          let parent = c % counts[level - 1]
          let (px, py) = centres[level - 1][parent]
          let spread = level == 1 ? 1.5 : 0.55
          level_centres.append((px + spread * rng.gaussian(), py + spread * rng.gaussian()))
          level_parents.append(parent)
        }
      }
      centres.append(level_centres)
      parents.append(level_parents)
    }
    // Skewed fine-cluster sizes; about 1% of features stay unclustered at the finest level.
    let fineLevel = counts.count - 1
    let weights = (0 ..< counts[fineLevel]).map { _ in exp(0.7 * rng.gaussian()) }
    let total = weights.reduce(0, +)
    var cumulative: [Double] = []
    var running = 0.0
    for w in weights { running += w / total; cumulative.append(running) }

    let n = options.features
    var x = [Float](repeating: 0, count: n)
    var y = [Float](repeating: 0, count: n)
    var assignment = [[Int]](repeating: [Int](repeating: -1, count: n), count: counts.count)
    var membersOfFine = [[Int]](repeating: [], count: counts[fineLevel])
    for i in 0 ..< n {
      let u = rng.unit()
      let fine = cumulative.firstIndex(where: { u < $0 }) ?? (counts[fineLevel] - 1)
      var cluster = fine
      for level in stride(from: fineLevel, through: 0, by: -1) {
        assignment[level][i] = cluster
        if level > 0 { cluster = parents[level][cluster] }
      }
      let noise = n >= 100 && i % 97 == 13
      let (cx, cy) = centres[fineLevel][fine]
      let spread = noise ? 1.4 : 0.3
      x[i] = Float(cx + spread * rng.gaussian())
      y[i] = Float(cy + spread * rng.gaussian())
      if noise && fineLevel > 0 { assignment[fineLevel][i] = -1 } else { membersOfFine[fine].append(i) }
    }

    // Cluster records: centroids, sizes, labels and terms from the theme of their coarse ancestor.
    let themeOfCoarse = (0 ..< counts[0]).map { $0 % themes.count }
    let levelNames = counts.count == 3 ? ["coarse", "middle", "fine"] : (0 ..< counts.count).map { "level \($0)" }
    var levels: [ClusterLevelRecord] = []
    for (level, count) in counts.enumerated() {
      var sums = [(Double, Double, Int)](repeating: (0, 0, 0), count: count)
      var representative = [Int](repeating: 0, count: count)
      for i in 0 ..< n {
        let c = assignment[level][i]
        guard c >= 0 else { continue }
        if sums[c].2 == 0 { representative[c] = i }
        sums[c].0 += Double(x[i]); sums[c].1 += Double(y[i]); sums[c].2 += 1
      }
      var clusters: [ClusterRecord] = []
      for c in 0 ..< count {
        var coarse = c
        var l = level
        while l > 0 { coarse = parents[l][coarse]; l -= 1 }
        let theme = themes[themeOfCoarse[coarse]]
        let size = sums[c].2
        let (mx, my) = size > 0 ? (sums[c].0 / Double(size), sums[c].1 / Double(size)) : centres[level][c]
        let focus = SyntheticFeatures.focusTokens(theme: theme, cluster: c, level: level)
        var label: String
        switch level {
        case 0: label = coarse < themes.count ? theme.name : "\(theme.name) \(coarse / themes.count + 1)"
        case fineLevel: label = focus.prefix(2).map(SyntheticFeatures.quoted).joined(separator: " / ")
        default:
          let head = theme.name.split(separator: " ").first.map(String.init) ?? theme.name
          label = "\(head): \(SyntheticFeatures.quoted(focus[0])) \(theme.contexts[c % theme.contexts.count])"
        }
        var terms = focus.map { $0.trimmingCharacters(in: .whitespaces) }
        if options.hostile && c == 0 {
          label = SyntheticContent.hostile[level % SyntheticContent.hostile.count]
          terms.insert(SyntheticContent.hostile[(level + 7) % SyntheticContent.hostile.count], at: 0)
        }
        clusters.append(ClusterRecord(level: level, id: c, parent: level == 0 ? nil : parents[level][c], size: size,
                                      label: label, terms: terms, representative: representative[c],
                                      x: Float(mx), y: Float(my)))
      }
      levels.append(ClusterLevelRecord(name: levelNames[level], clusters: clusters))
    }
    return Layout(x: x, y: y, assignment: assignment, levels: levels, themeOfCoarse: themeOfCoarse, membersOfFine: membersOfFine)
  }

  private static func writeLayout(_ layout: Layout, options: SyntheticAtlasOptions, to atlas: AtlasDirectory) throws {
    var writer = SafeTensorsWriter(metadata: ["generator": "SyntheticAtlas"])
    writer.add("x", floats: layout.x, shape: [layout.x.count])
    writer.add("y", floats: layout.y, shape: [layout.y.count])
    for (level, ids) in layout.assignment.enumerated() {
      writer.add("cluster_level_\(level)", int32s: ids.map { Int32($0) }, shape: [ids.count])
    }
    try writer.write(to: atlas.layoutPositions)
    try CanonicalJSON.write(ClusterHierarchyRecord(levels: layout.levels), to: atlas.layoutClusters)
    let manifest = LayoutManifest(
      parameters: .object(["neighbours": .number(15), "minDistance": .number(0.1), "metric": .string("cosine"),
                           "initialisation": .string("spectral"), "epochs": .number(200), "seed": .number(Double(options.seed % 1000))]),
      inputs: ["sae.weights": digest("weights", options.seed)], features: options.features,
      levels: layout.levels.map(\.name),
      quality: ["trustworthiness@10": 0.931, "continuity@10": 0.905, "nmiSource.level0": 0.412])
    try manifest.write(to: atlas.layoutManifest)
  }

  // MARK: - Records

  private static func featuresManifest(_ options: SyntheticAtlasOptions, shards: Int, summaries: SummaryTable) -> FeaturesManifest {
    var bins = [Int](repeating: 0, count: 24)       // log10 density from -6 in steps of 0.25
    var counts = ["dead": 0, "dense": 0, "singleToken": 0, "contradictedLabels": 0]
    for s in summaries.all {
      for flag in s.flags { counts[flag.rawValue, default: 0] += 1 }
      if s.contradicted { counts["contradictedLabels", default: 0] += 1 }
      guard s.density > 0 else { continue }
      bins[max(0, min(23, Int((log10(s.density) + 6) / 0.25)))] += 1
    }
    return FeaturesManifest(
      parameters: .object(["topExamples": .number(Double(options.topExamples)), "windowTokens": .number(Double(options.windowTokens)),
                           "quantiles": .number(Double(options.quantileGroups)), "intervals": .number(Double(options.intervalGroups))]),
      inputs: ["activations": digest("activations", options.seed), "sae.weights": digest("weights", options.seed)],
      features: options.features, featuresPerShard: options.featuresPerShard, shards: shards,
      analysedTokens: 1_048_576, heldOutTokens: 131_072,
      densityHistogram: LogHistogram(lowerLog10: -6, binWidth: 0.25, counts: bins), counts: counts)
  }

  private static func atlasRecord(_ options: SyntheticAtlasOptions) -> AtlasRecord {
    let hostile = options.hostile
    let sources = [("shakespeare", 0.35), ("python", 0.2), ("fortunes", 0.15), ("chat", 0.15),
                   (hostile ? SyntheticContent.hostile[0] : "wiki", 0.15)]
    let corpus = CorpusRecord(
      sources: sources.map { CorpusSourceRecord(name: $0.0, kind: "default", weight: $0.1, documents: Int(4000 * $0.1),
                                                tokens: Int(1_179_648 * $0.1), replacedInvalidUTF8: $0.0 == "python" ? 3 : 0) },
      digest: digest("corpus", options.seed), documents: 4000, tokens: 1_179_648)
    var configuration: [String: JSONValue] = [
      "capture": .object(["hookPoint": .string("blocks.15.hook_resid_post"), "contextTokens": .number(128),
                          "tokens": .number(1_179_648), "dtype": .string("f16")]),
      "sae": .object(["architecture": .string("topk"), "latents": .number(Double(options.features)), "k": .number(32),
                      "learningRate": .number(0.0004), "batchTokens": .number(4096), "seed": .number(7)]),
      "features": .object(["topExamples": .number(Double(options.topExamples)), "windowTokens": .number(Double(options.windowTokens)),
                           "labeler": .string("n-gram + detection test")]),
      "layout": .object(["neighbours": .number(15), "minDistance": .number(0.1), "levels": .array(options.clusters.map { .number(Double($0)) })]),
      "steering": .object(["mode": .string("add"), "strengths": .array([-2, 2, 5, 10].map { .number($0) })]),
    ]
    if hostile {
      configuration[SyntheticContent.hostile[0]] = .string(SyntheticContent.hostile[1])
      configuration["notes"] = .array(SyntheticContent.hostile.map { .string($0) })
    }
    return AtlasRecord(
      toolVersion: "0.1.0", createdAt: "2025-01-01T12:00:00Z",
      title: hostile ? "Atlas </title><script>alert(1)</script>" : "SmolLM2-135M-Instruct · layer 15 residual stream",
      model: ModelRecord(file: ".cache/model/SmolLM2-135M-Instruct.Q4_1.gguf", sha256: digest("model", 1),
                         name: hostile ? SyntheticContent.hostile[2] : "SmolLM2-135M-Instruct", architecture: "llama",
                         dModel: 576, layers: 30, vocabularySize: 49152),
      corpus: corpus, hookPoint: "blocks.15.hook_resid_post", configuration: .object(configuration),
      stages: [StageRecord(name: .capture, seconds: 412.5, skipped: false, fingerprint: digest("capture", 1)),
               StageRecord(name: .train, seconds: 1830.2, skipped: false, fingerprint: digest("train", 1),
                           details: ["trainingSeconds": 1830.2, "tokensPerSecond": 6602]),
               StageRecord(name: .features, seconds: 655.0, skipped: false, fingerprint: digest("features", 1)),
               StageRecord(name: .layout, seconds: 18.1, skipped: true, fingerprint: digest("layout", 1),
                           details: ["neighbours": 3.21, "graph": 0.52, "spectral": 1.13, "optimization": 12.4, "clustering": 0.81]),
               StageRecord(name: .steer, seconds: 240.7, skipped: false, fingerprint: digest("steer", 1))])
  }

  private static func trainingRecord(_ options: SyntheticAtlasOptions) -> SAETrainingRecord {
    let points = 60
    let curve = (0 ..< points).map { p -> TrainingCurvePoint in
      let t = Double(p) / Double(points - 1)
      let mse = 0.04 + 0.5 * exp(-7 * t) + 0.002 * sin(Double(p))
      return TrainingCurvePoint(step: p * 50, tokens: p * 50 * 4096, loss: mse * 1.02, mse: mse,
                                l0: 32 + 10 * exp(-12 * t), deadFraction: 0.03 + 0.4 * exp(-5 * t))
    }
    return SAETrainingRecord(
      origin: .trained, architecture: "topk", dIn: 576, dSAE: options.features, k: 32, trainingTokens: 12_083_200,
      parameters: .object(["learningRate": .number(0.0004), "k": .number(32)]),
      inputDigest: digest("activations", options.seed), weightsDigest: digest("weights", options.seed),
      quality: SAEQuality(fvu: 0.187, mse: 0.0412, l0: 32, deadFraction: 0.031, denseFraction: 0.004, ceLossRecovered: 0.874,
                          ceClean: 2.91, ceSpliced: 3.32, ceZeroAblation: 6.18, klDivergence: 0.38, heldOutTokens: 131_072),
      curve: curve)
  }

  /// A deterministic 64-hex-digit stand-in for a digest.
  package static func digest(_ name: String, _ seed: UInt64) -> String {
    var rng = SplitMix64(seed: seed ^ UInt64(truncatingIfNeeded: name.utf8.reduce(5381) { ($0 &* 33) &+ Int($1) }))
    return (0 ..< 4).map { _ in String(rng.next(), radix: 16).leftPadded16 }.joined()
  }
}

// MARK: - Small helpers

private extension String {
  var leftPadded16: String { String(repeating: "0", count: max(0, 16 - count)) + self }
}

/// Per-feature facts collected while shards are generated in parallel.
private final class SummaryTable: @unchecked Sendable {
  struct Entry { var density = 0.0; var flags: [FeatureFlag] = []; var contradicted = false }
  private var entries: [Entry]
  private let lock = NSLock()
  init(count: Int) { entries = Array(repeating: Entry(), count: count) }
  func set(_ i: Int, density: Double, flags: [FeatureFlag], contradicted: Bool) {
    lock.withLock { entries[i] = Entry(density: density, flags: flags, contradicted: contradicted) }
  }
  var all: [Entry] { lock.withLock { entries } }
}

/// Error messages gathered from parallel workers.
private final class FailureList: @unchecked Sendable {
  private var messages: [String] = []
  private let lock = NSLock()
  init() {}
  func append(_ message: String) { lock.withLock { messages.append(message) } }
  var first: String? { lock.withLock { messages.first } }
}

/// A synthetic atlas that could not be written (a full disk, an unwritable directory).
package enum SyntheticAtlasError: Error, CustomStringConvertible {
  case writeFailed(path: String, reason: String)
  package var description: String {
    switch self {
    case .writeFailed(let path, let reason): "could not write the synthetic atlas at \(path): \(reason)"
    }
  }
}
