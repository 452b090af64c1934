import TensorMath

/// How the next token is chosen. Temperature 0 is greedy (argmax, ties to the lower id).
public struct SamplingConfiguration: Codable, Sendable, Equatable {
  public var temperature: Float = 0
  public var topP: Float = 1
  public var seed: UInt64 = 0
  public var maxTokens: Int = 64
  public var stopTokens: [Int] = []

  public init(temperature: Float = 0, topP: Float = 1, seed: UInt64 = 0, maxTokens: Int = 64, stopTokens: [Int] = []) {
    self.temperature = temperature
    self.topP = topP
    self.seed = seed
    self.maxTokens = maxTokens
    self.stopTokens = stopTokens
  }

  public static let greedy = SamplingConfiguration()
}

/// One prompt to continue, with its own interventions (e.g. one steering strength).
public struct GenerationRequest: Sendable {
  public var prompt: [Int]
  public var interventions: InterventionPlan
  public init(prompt: [Int], interventions: InterventionPlan = [:]) {
    self.prompt = prompt
    self.interventions = interventions
  }
}

public struct GenerationResult: Sendable, Equatable {
  public enum Stop: Sendable, Equatable { case stopToken(Int), maxTokens }
  public var tokens: [Int]          // generated ids, including the stop token if one ended the sequence
  public var stop: Stop
  public var firstStepLogits: [Float]?  // [vocab], when requested
}

extension LlamaModel {
  /// Continues several prompts at once: one batched prefill, then one batched decode step per token for
  /// the sequences still running. Batch-1 decoding is memory bound; batching is what makes sweeps cheap.
  /// Request i samples from its own stream `SplitMix64(seed).fork(i)`, so results do not depend on batching.
  public func generate(_ requests: [GenerationRequest], sampling: SamplingConfiguration,
                       keepFirstStepLogits: Bool = false) throws -> [GenerationResult] {
    guard !requests.isEmpty else { return [] }
    let longest = requests.map(\.prompt.count).max() ?? 0
    let cache = KVCache(configuration: configuration, slots: requests.count, capacity: min(longest + sampling.maxTokens, maxPositions))
    var generators = requests.indices.map { SplitMix64(seed: sampling.seed).fork(UInt64($0)) }
    var results = requests.map { _ in GenerationResult(tokens: [], stop: .maxTokens, firstStepLogits: nil) }
    var active = Array(requests.indices)
    var none = NoObserver()
    let stops = Set(sampling.stopTokens)

    var inputs = requests.map(\.prompt)
    var first = true
    while !active.isEmpty {
      let logits = try forward(
        active.map { inputs[$0] }, cache: cache, slots: active, observer: &none,
        interventions: active.map { requests[$0].interventions }, logits: .lastOfEachSequence)
      guard let logits else { break }
      var stillActive: [Int] = []
      for (row, index) in active.enumerated() {
        let scores = Array(logits.row(row))
        if first && keepFirstStepLogits { results[index].firstStepLogits = scores }
        let next = Self.sample(scores, sampling, &generators[index])
        results[index].tokens.append(next)
        if stops.contains(next) {
          results[index].stop = .stopToken(next)
        } else if results[index].tokens.count >= sampling.maxTokens || cache.lengths[index] + 1 >= cache.capacity {
          results[index].stop = .maxTokens
        } else {
          inputs[index] = [next]
          stillActive.append(index)
        }
      }
      active = stillActive
      first = false
    }
    return results
  }

  /// Greedy when temperature is 0; otherwise temperature softmax restricted to the top-p nucleus.
  static func sample(_ logits: [Float], _ s: SamplingConfiguration, _ rng: inout SplitMix64) -> Int {
    if s.temperature <= 0 {
      var best = 0
      for i in 1 ..< logits.count where logits[i] > logits[best] { best = i }
      return best
    }
    var probabilities = logits.map { $0 / s.temperature }
    probabilities.withUnsafeMutableBufferPointer { _ = Kernels.softmax($0.baseAddress!, $0.count) }
    let order = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] || (probabilities[$0] == probabilities[$1] && $0 < $1) }
    var nucleus: [Int] = []
    var mass: Float = 0
    for i in order {
      nucleus.append(i)
      mass += probabilities[i]
      if mass >= s.topP { break }
    }
    var u = rng.nextUnitFloat() * mass
    for i in nucleus {
      u -= probabilities[i]
      if u <= 0 { return i }
    }
    return nucleus.last ?? 0
  }
}
