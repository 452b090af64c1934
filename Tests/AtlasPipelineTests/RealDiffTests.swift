import AtlasArtifacts
import AtlasDiff
import AtlasPipeline
import Foundation
import TestSupport
import Testing

extension EndToEndTests {
  @Test("Real diffs of tiny atlases: another SAE seed shares few directions, and pairs found by direction fire together; another hook point is matched by activations, from its capture or a run of the model")
  func realDiffs() throws {
    let root = try TestPaths.scratchDirectory("e2e-diff")
    defer { try? FileManager.default.removeItem(at: root) }
    let fm = FileManager.default
    let read: [StageName] = [.capture, .train, .features, .layout]
    let a = root.appendingPathComponent("a"), b = root.appendingPathComponent("b"), c = root.appendingPathComponent("c")
    _ = try EndToEnd.build(a, stages: read)
    // B: A's capture, an SAE trained from another seed.
    try fm.createDirectory(at: b, withIntermediateDirectories: true)
    for name in ["activations", "stages", "atlas.json"] { try fm.copyItem(at: a.appendingPathComponent(name), to: b.appendingPathComponent(name)) }
    _ = try EndToEnd.build(b, force: .train, stages: [.train, .features, .layout], saeSeed: 1)
    // C: the same corpus captured at another hook point.
    _ = try EndToEnd.build(c, stages: read, hookPoint: "blocks.10.hook_resid_post")

    func diff(_ x: URL, _ y: URL, _ name: String, by: DiffConfiguration.MatchBasis = .automatic) throws -> DiffRecord {
      var configuration = DiffConfiguration()
      configuration.matchBy = by
      return try DiffStage(configuration: configuration, progress: CollectingProgress())
        .run(a: x, b: y, out: root.appendingPathComponent(name), site: nil).record
    }
    // Another seed, by directions. These tiny SAEs (256 latents, 60k training tokens) are far from converged,
    // so few directions agree (1 pair of 256 on AMD EPYC; the default atlas's 8,192 share 1.5%, see README).
    let seeds = try diff(a, b, "ab")
    #expect(!seeds.summary.measuredBy.byActivations)
    #expect(seeds.summary.sharedFraction < 0.5, "shared \(seeds.summary.sharedFraction)")
    #expect(seeds.pairs.allSatisfy { $0.similarity >= 0.7 && $0.substitutionDeltaFVU != nil && $0.encoderSimilarity != nil })
    // The same pair of SAEs by activations: most pairs found by direction are found by activation too.
    let seedsByActivation = try diff(a, b, "ab-activations", by: .activations)
    #expect(seedsByActivation.summary.measuredBy.byActivations && seedsByActivation.summary.measuredBy.sourceB?.contains("A's capture") == true)
    let byDirection = Set(seeds.pairs.map { [$0.a, $0.b] }), byActivation = Set(seedsByActivation.pairs.map { [$0.a, $0.b] })
    let agreement = Double(byDirection.intersection(byActivation).count) / Double(max(byDirection.count, 1))
    // Features that point the same way also fire together: activations find the direction pairs, and more
    // (10 pairs, including the one direction pair, on AMD EPYC).
    #expect(byActivation.count >= byDirection.count && !byActivation.isEmpty, "\(byActivation.count) activation pairs, \(byDirection.count) direction pairs")
    if !byDirection.isEmpty { #expect(agreement >= 0.5, "only \(agreement) of the direction pairs are activation pairs") }

    // Another hook point: directions are not comparable, so activations are used, read from C's own capture
    // (it holds A's windows: same corpus, same seed).
    let hooks = try diff(a, c, "ac")
    let basis = hooks.summary.measuredBy
    #expect(basis.byActivations && basis.reason.contains("blocks.10.hook_resid_post") && basis.sourceB?.contains("B's capture") == true)
    #expect(!hooks.pairs.isEmpty && hooks.pairs.allSatisfy { $0.similarity >= 0.7 && $0.encoderSimilarity == nil })
    #expect(hooks.summary.sentence.contains("activations correlate"))

    // Without C's capture, the hook point is captured by running C's model over A's windows: the same
    // activations up to C's capture's float16 rounding, so (almost) the same pairs.
    let bare = root.appendingPathComponent("c-bare")
    try fm.createDirectory(at: bare, withIntermediateDirectories: true)
    for name in ["sae", "features", "layout", "stages", "atlas.json"] {
      try fm.copyItem(at: c.appendingPathComponent(name), to: bare.appendingPathComponent(name))
    }
    let rerun = try diff(a, bare, "ac-model")
    #expect(rerun.summary.measuredBy.sourceB?.contains("a run of B's model") == true)
    let same = Set(hooks.pairs.map { [$0.a, $0.b] }).intersection(rerun.pairs.map { [$0.a, $0.b] }).count
    #expect(Double(same) >= 0.9 * Double(hooks.pairs.count), "\(same) of \(hooks.pairs.count) pairs agree")
  }
}
