import AtlasArtifacts
import AtlasPipeline
import Foundation
import Llama
import SparseAutoencoders
import TensorMath
import TestSupport
import Testing

/// The steering record's claims recomputed from its stored texts by a pass that shares no code with the
/// steering stage: tokenize prompt + stored continuation, one plain forward pass without a cache, encode
/// the hook point's activations with the SAE read back from the atlas, NLL from the logits.
///
/// By default it builds a quick-preset atlas with a few candidates. `FEATURE_ATLAS_STEERING_ATLAS=<dir>`
/// checks an existing atlas instead (e.g. a default build), and `FEATURE_ATLAS_STEERING_TARGET=0.7` then
/// also requires that share of showcased features to steer.
@Suite("Steering claims recomputed independently",
       .enabled(if: PipelineTestModel.available && (SteeringCheck.atlasFromEnvironment != nil || EndToEnd.corpusAvailable)), .serialized)
struct SteeringCheckTests {
  @Test("Concept, NLL and 'steers' verdicts recomputed from the stored texts agree with the record")
  func recomputeClaims() throws {
    var scratch: URL?
    defer { if let scratch { try? FileManager.default.removeItem(at: scratch) } }
    let directory: URL
    if let given = SteeringCheck.atlasFromEnvironment {
      directory = given
    } else {
      let dir = try TestPaths.scratchDirectory("steering-check")
      scratch = dir
      var c = try AtlasConfiguration.preset("quick")
      c.model = TestPaths.smolLM2?.path
      // Automatic picks are shown only when they steer, which a small SAE may not give: the two first
      // candidates are configured instead (configured features are always run at full length and shown).
      _ = try AtlasBuild(configuration: c, atlas: AtlasDirectory(dir), progress: CollectingProgress(),
                         stages: [.capture, .train, .features, .layout]).run()
      let (_, records) = try FeaturesStage.readRecords(AtlasDirectory(dir), summary: true)
      let clusters = try LayoutStage.readAssignments(AtlasDirectory(dir), level: 0)
      c.steering.features = SteeringStage.select(records: records, coarseAssignments: clusters, configuration: c.steering, count: 2)
        .map(\.feature)
      c.steering.automatic = 2
      c.steering.screened = 6
      _ = try AtlasBuild(configuration: c, atlas: AtlasDirectory(dir), progress: CollectingProgress()).run()
      directory = dir
    }
    let atlas = AtlasDirectory(directory)
    let record = try SteeringRecord.read(from: atlas.steeringRecord)
    let model = try #require(PipelineTestModel.loaded).language
    let sae = try SAELensFormat.decode(cfg: Data(contentsOf: atlas.saeConfig), weights: Data(contentsOf: atlas.saeWeights),
                                       expectedDIn: model.configuration.dModel).autoencoder
    let point = try HookPoint(name: record.method.hookPoint)
    let criteria = record.method.criteria
    #expect(record.summary.steering == record.features.filter(\.steers).count)
    #expect(!record.features.isEmpty, "no feature was shown, so no claim was checked")
    #expect(record.features.allSatisfy { f in f.steers || record.candidates.contains { $0.feature == f.feature && $0.reason == "configured" } },
            "an automatic pick was shown without steering")
    #expect(record.features.allSatisfy { $0.chosenRuns.count == record.prompts.count })

    // One sequence per default continuation and per chosen run.
    struct Item { var prompt: Int; var text: String; var feature: Int? }
    var items = record.prompts.indices.map { Item(prompt: $0, text: record.prompts[$0].baseline.text, feature: nil) }
    for f in record.features { items += f.chosenRuns.map { Item(prompt: $0.prompt, text: $0.text, feature: f.feature) } }
    let prompts = try record.prompts.map { $0.chat ? try model.chatPrompt($0.text) : model.tokenizer.encode($0.text) }
    let continuations = items.map { model.tokenizer.encode($0.text) }
    let sequences = items.indices.map { prompts[items[$0].prompt] + continuations[$0] }
    struct Recomputed { var codes: [[(latent: Int, value: Float)]]; var nll: Float }
    var recomputed: [Recomputed] = []
    for chunk in stride(from: 0, to: sequences.count, by: 12) {  // 12 sequences a pass bounds the logits buffer
      let group = Array(chunk ..< min(chunk + 12, sequences.count))
      var observer = RecordingObserver([point])
      let logits = try #require(try model.model.forward(group.map { sequences[$0] }, observer: &observer, logits: .all))
      let hooked = try #require(observer.recorded[point])
      var row = 0
      for i in group {
        let p = prompts[items[i].prompt].count, m = continuations[i].count
        let codes = sae.encode(hooked.rows(row + p ..< row + p + m))
        var nll = 0.0
        for k in 0 ..< m {
          let scores = logits.row(row + p - 1 + k)
          let peak = scores.max() ?? 0
          let sum = scores.reduce(0.0) { $0 + exp(Double($1 - peak)) }
          nll += Double(peak) + log(sum) - Double(scores[scores.startIndex + continuations[i][k]])
        }
        recomputed.append(Recomputed(codes: (0 ..< m).map { codes.row($0) }, nll: m > 0 ? Float(nll / Double(m)) : 0))
        row += sequences[i].count
      }
    }
    func concept(_ i: Int, _ feature: Int) -> (mean: Float, firing: Int) {
      let values = recomputed[i].codes.map { row in row.first { $0.latent == feature }?.value ?? 0 }
      return (values.reduce(0, +) / Float(max(values.count, 1)), values.filter { $0 > 0 }.count)
    }

    var roundTrips = 0, runs = 0, steering = 0
    var k = record.prompts.count
    for f in record.features {
      var carried = 0
      var ratios: [Float] = []
      var allRoundTrip = true
      for run in f.chosenRuns {
        defer { k += 1 }
        runs += 1
        let (mean, firing) = concept(k, f.feature)
        let (baseMean, _) = concept(run.prompt, f.feature)
        let carries = firing >= criteria.minimumFiringTokens && mean > 0 && mean >= criteria.conceptMultiple * baseMean
        if carries { carried += 1 }
        ratios.append(recomputed[k].nll / max(recomputed[run.prompt].nll, 1e-6))
        // Where decoding and re-encoding give back the generated tokens, the numbers must agree closely.
        let same = model.tokenizer.displayPieces(continuations[k]) == run.tokens
          && model.tokenizer.displayPieces(continuations[run.prompt]) == record.prompts[run.prompt].baseline.tokens
        allRoundTrip = allRoundTrip && same
        if same {
          roundTrips += 1
          #expect(firing == run.concept.firingTokens, "f\(f.feature) prompt \(run.prompt): fires on \(firing), record says \(run.concept.firingTokens)")
          #expect(abs(mean - run.concept.meanActivation) <= 0.02 * max(mean, 1e-3), "f\(f.feature) prompt \(run.prompt): mean \(mean) vs \(run.concept.meanActivation)")
          #expect(abs(recomputed[k].nll - run.nll) <= 0.02 * max(run.nll, 0.05), "f\(f.feature) prompt \(run.prompt): NLL \(recomputed[k].nll) vs \(run.nll)")
          #expect(carries == run.carriesConcept, "f\(f.feature) prompt \(run.prompt)")
        }
      }
      let steers = 2 * carried >= f.chosenRuns.count && SteeringCheck.median(ratios) <= criteria.maximumNLLRatio
      if steers { steering += 1 }
      if allRoundTrip { #expect(steers == f.steers, "f\(f.feature): recomputed steers \(steers), record says \(f.steers)") }
    }
    #expect(roundTrips * 10 >= runs * 8, "only \(roundTrips) of \(runs) continuations re-encode to the generated tokens")
    let share = record.features.isEmpty ? 0 : Double(steering) / Double(record.features.count)
    print("steering check: \(steering) of \(record.features.count) showcased features steer (\(String(format: "%.0f%%", share * 100))), "
          + "recomputed; \(roundTrips)/\(runs) runs round-trip; median chosen strength \(record.summary.medianChosenStrength)")
    if let target = SteeringCheck.target { #expect(share >= target, "share \(share) below the target \(target)") }
  }
}

enum SteeringCheck {
  static var atlasFromEnvironment: URL? {
    ProcessInfo.processInfo.environment["FEATURE_ATLAS_STEERING_ATLAS"].map { URL(fileURLWithPath: $0) }
  }
  static var target: Double? { ProcessInfo.processInfo.environment["FEATURE_ATLAS_STEERING_TARGET"].flatMap(Double.init) }
  static func median(_ values: [Float]) -> Float {
    let s = values.sorted()
    guard !s.isEmpty else { return 0 }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
  }
}
