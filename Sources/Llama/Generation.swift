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
  /// New tokens for this request, when fewer than the sampling configuration's `maxTokens` (a batch can mix
  /// short and long continuations; a finished request leaves the batch).
  public var maxTokens: Int?
  public init(prompt: [Int], interventions: InterventionPlan = [:], maxTokens: Int? = nil) {
    self.prompt = prompt
    self.interventions = interventions
    self.maxTokens = maxTokens
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
  ///
  /// With `sharePromptPrefixes`, requests whose prompts begin with the same tokens that no intervention edits
  /// share one prefill of that prefix (computed once, copied to their cache slots): a sweep of many edits of
  /// the generated tokens then pays for each prompt once, and edits of the user's message alone share the
  /// chat template's system turn. The numbers can differ from separate prefills in the last bits (other batch
  /// shapes), so it is opt-in.
  public func generate(_ requests: [GenerationRequest], sampling: SamplingConfiguration,
                       keepFirstStepLogits: Bool = false, sharePromptPrefixes: Bool = false) throws -> [GenerationResult] {
    guard !requests.isEmpty else { return [] }
    let longest = requests.map(\.prompt.count).max() ?? 0
    let cache = KVCache(configuration: configuration, slots: requests.count, capacity: min(longest + sampling.maxTokens, maxPositions))
    var generators = requests.indices.map { SplitMix64(seed: sampling.seed).fork(UInt64($0)) }
    var results = requests.map { _ in GenerationResult(tokens: [], stop: .maxTokens, firstStepLogits: nil) }
    var active = Array(requests.indices)
    var none = NoObserver()
    let stops = Set(sampling.stopTokens)

    var inputs = requests.map(\.prompt)
    if sharePromptPrefixes { try prefillSharedPrefixes(requests, cache: cache, inputs: &inputs) }
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
        } else if results[index].tokens.count >= min(requests[index].maxTokens ?? sampling.maxTokens, sampling.maxTokens)
                    || cache.lengths[index] + 1 >= cache.capacity {
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

  /// Fills the cache slots of requests that share an unedited prompt prefix; their input becomes the rest of
  /// the prompt. A request's shareable prefix ends at its first edited position and leaves at least the last
  /// prompt token to run (it gives the first logits); requests group by those prefix tokens.
  func prefillSharedPrefixes(_ requests: [GenerationRequest], cache: KVCache, inputs: inout [[Int]]) throws {
    var groups: [ArraySlice<Int>: [Int]] = [:]
    var order: [ArraySlice<Int>] = []
    for (i, r) in requests.enumerated() where r.prompt.count > 1 {
      let edited = r.interventions.values.flatMap { $0.compactMap(\.positions.firstPosition) }.min() ?? Int.max
      let n = min(r.prompt.count - 1, edited)
      guard n > 0 else { continue }
      let prefix = r.prompt[..<n]
      if groups[prefix] == nil { order.append(prefix) }
      groups[prefix, default: []].append(i)
    }
    let shared = order.compactMap { prefix in groups[prefix].flatMap { $0.count > 1 ? (prefix, $0) : nil } }
    guard !shared.isEmpty else { return }
    var none = NoObserver()
    _ = try forward(shared.map { Array($0.0) }, cache: cache, slots: shared.map { $0.1[0] }, observer: &none,
                    logits: .lastOfEachSequence)
    for (prefix, members) in shared {
      for i in members {
        cache.copy(slot: members[0], to: i)
        inputs[i] = Array(requests[i].prompt[prefix.count...])
      }
    }
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
    let order = probabilities.indices.sorted {
      probabilities[$0] > probabilities[$1] || (probabilities[$0] == probabilities[$1] && $0 < $1)
    }
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
