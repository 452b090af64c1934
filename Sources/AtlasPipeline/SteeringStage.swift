import AtlasArtifacts
import Foundation
import Llama
import SparseAutoencoders
import TensorMath

public enum SteeringMode: String, Codable, Sendable, CaseIterable {
  /// h += s · maxAct · d̂ at every position (prompt and generated).
  case add
  /// The component of h along d̂ is set to s · maxAct at every position.
  case clamp
}

/// Which features to steer, on which prompts, how hard.
public struct SteeringConfiguration: Codable, Sendable, Equatable {
  /// Features always steered (by index), in addition to the automatic picks.
  public var features: [Int] = []
  /// Number of features picked automatically: high evidence, spread across coarse clusters.
  public var automatic = 24
  /// Minimum evidence (balanced accuracy) of an automatic pick.
  public var minimumEvidence = 0.7
  /// Neutral prompts, run through the chat template as user messages.
  public var prompts = ["Tell me about your day.", "Write two sentences about the weather.", "What is a good name for a dog?"]
  /// Strengths in multiples of the feature's max activation.
  public var strengths: [Float] = [2, 5, 10]
  public var mode = SteeringMode.add
  public var maxNewTokens = 32
  public var chat = true
  /// Sequences generated in one batch.
  public var batchSize = 96
  public init() {}
}

public struct SteeringStage {
  public var configuration: SteeringConfiguration
  public var atlas: AtlasDirectory
  public var progress: any ProgressSink

  public init(configuration: SteeringConfiguration, atlas: AtlasDirectory, progress: any ProgressSink) {
    self.configuration = configuration
    self.atlas = atlas
    self.progress = progress
  }

  /// Picks features: configured ones first, then the best-evidenced live feature of each coarse cluster
  /// in turn (clusters by size), until `automatic` are chosen.
  public static func select(records: [FeatureRecord], coarseAssignments: [Int], configuration: SteeringConfiguration)
    -> [(feature: Int, reason: String)]
  {
    var chosen: [(Int, String)] = configuration.features.filter { $0 >= 0 && $0 < records.count }.map { ($0, "configured") }
    var taken = Set(chosen.map(\.0))
    var byCluster: [Int: [FeatureRecord]] = [:]
    for r in records where !r.flags.contains(.dead) && !r.flags.contains(.dense) && !r.label.contradicted {
      guard let e = r.label.evidence, e.balancedAccuracy >= configuration.minimumEvidence else { continue }
      let cluster = r.index < coarseAssignments.count ? coarseAssignments[r.index] : 0
      byCluster[cluster, default: []].append(r)
    }
    for key in byCluster.keys {
      byCluster[key]!.sort {
        let a = $0.label.evidence?.balancedAccuracy ?? 0, b = $1.label.evidence?.balancedAccuracy ?? 0
        return a != b ? a > b : $0.index < $1.index
      }
    }
    let clusters = byCluster.keys.sorted { (byCluster[$0]!.count, -$0) > (byCluster[$1]!.count, -$1) }
    var round = 0
    var added = 0
    while added < configuration.automatic {
      var progressed = false
      for cluster in clusters where added < configuration.automatic {
        let list = byCluster[cluster]!
        guard round < list.count else { continue }
        let r = list[round]
        progressed = true
        guard !taken.contains(r.index) else { continue }
        taken.insert(r.index)
        let e = r.label.evidence?.balancedAccuracy ?? 0
        chosen.append((r.index, String(format: "automatic: evidence %.2f, coarse cluster %d", e, cluster)))
        added += 1
      }
      if !progressed { break }
      round += 1
    }
    return chosen
  }

  @discardableResult
  public func run(model: LanguageModel, autoencoder: SparseAutoencoder, hookPoint: String, records: [FeatureRecord],
                  coarseAssignments: [Int], inputs: [String: String]) throws -> SteeringRecord {
    let point = try HookPoint(name: hookPoint)
    let c = configuration
    let picks = Self.select(records: records, coarseAssignments: coarseAssignments, configuration: c)
    let prompts = try c.prompts.map { c.chat ? try model.chatPrompt($0) : model.tokenizer.encode($0) }
    let sampling = SamplingConfiguration(maxTokens: c.maxNewTokens, stopTokens: model.stopTokens)

    // One request per (prompt) unsteered, then per (feature, prompt, strength).
    struct Job { var feature: Int?; var prompt: Int; var strength: Float }
    var jobs = prompts.indices.map { Job(feature: nil, prompt: $0, strength: 0) }
    for (feature, _) in picks {
      for p in prompts.indices { for s in c.strengths { jobs.append(Job(feature: feature, prompt: p, strength: s)) } }
    }
    func plan(_ job: Job) -> InterventionPlan {
      guard let f = job.feature else { return [:] }
      let direction = Array(autoencoder.decoder.row(f))
      let norm = direction.reduce(0) { $0 + $1 * $1 }.squareRoot()
      let unit = direction.map { $0 / max(norm, 1e-12) }
      let value = job.strength * records[f].maxActivation * norm
      switch c.mode {
      case .add: return [point: [.add(vector: unit, scale: value, positions: .all)]]
      case .clamp: return [point: [.clamp(direction: unit, value: value, positions: .all)]]
      }
    }
    var outputs = [[Int]](repeating: [], count: jobs.count)
    var start = 0
    while start < jobs.count {
      let group = Array(start ..< min(start + c.batchSize, jobs.count))
      let results = try model.model.generate(
        group.map { GenerationRequest(prompt: prompts[jobs[$0].prompt], interventions: plan(jobs[$0])) }, sampling: sampling)
      for (i, r) in zip(group, results) { outputs[i] = r.tokens.filter { !model.stopTokens.contains($0) } }
      start = (group.last ?? start) + 1
      progress.progress("steer", done: start, total: jobs.count, unit: "generations")
    }
    progress.finish("steer")

    // How strongly the steered feature fires on what was generated (unsteered forward pass, generated
    // positions only): a concept score that does not rely on reading the text.
    var activation = [Float?](repeating: nil, count: jobs.count)
    let measured = jobs.indices.filter { jobs[$0].feature != nil && !outputs[$0].isEmpty }
    var m = 0
    while m < measured.count {
      let group = Array(measured[m ..< min(m + c.batchSize, measured.count)])
      var observer = RecordingObserver([point])
      _ = try model.model.forward(group.map { prompts[jobs[$0].prompt] + outputs[$0] }, observer: &observer, logits: .none)
      guard let values = observer.recorded[point] else { break }
      var row = 0
      for j in group {
        let promptLength = prompts[jobs[j].prompt].count
        let total = promptLength + outputs[j].count
        let generated = values.rows(row + promptLength ..< row + total)
        let codes = autoencoder.encode(generated)
        var sum: Float = 0
        for r in 0 ..< codes.rows { for (latent, value) in codes.row(r) where latent == jobs[j].feature! { sum += value } }
        activation[j] = sum / Float(max(codes.rows, 1))
        row += total
      }
      m += group.count
    }

    let steered = picks.map { pick in
      SteeredFeature(
        feature: pick.feature, label: records[pick.feature].label.text, maxActivation: records[pick.feature].maxActivation,
        reason: pick.reason,
        runs: jobs.indices.filter { jobs[$0].feature == pick.feature }.map { j in
          SteeringRun(prompt: jobs[j].prompt, strength: jobs[j].strength, text: model.tokenizer.decodeText(outputs[j]),
                      featureActivation: activation[j])
        })
    }
    let record = SteeringRecord(
      parameters: try JSONValue(encoding: c), inputs: inputs,
      method: SteeringMethod(
        hookPoint: hookPoint,
        mode: c.mode == .add ? "add: h ← h + s · maxAct · d̂" : "clamp: the component of h along d̂ is set to s · maxAct",
        positions: "every position, prompt and generated tokens",
        strengthUnit: "× the feature's max activation on the corpus (d̂ = unit decoder direction)",
        strengths: c.strengths, maxNewTokens: c.maxNewTokens, decoding: "greedy"),
      prompts: c.prompts.indices.map { SteeringPrompt(text: c.prompts[$0], chat: c.chat,
                                                     defaultContinuation: model.tokenizer.decodeText(outputs[$0])) },
      features: steered)
    try record.write(to: atlas.steeringRecord)
    return record
  }
}
