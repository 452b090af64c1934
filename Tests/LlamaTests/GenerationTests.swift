import AtlasArtifacts
import Foundation
import Llama
import TensorMath
import Testing

@Suite("Generation and steering on the real model", .enabled(if: TestModel.available))
struct GenerationTests {
  static let chatPrompt = [1, 4093, 198, 1780, 314, 260, 3575, 282, 4649, 47, 2, 198, 1, 520, 9531, 198]

  @Test("Greedy chat answer: 'The capital of France is Paris.' then <|im_end|>")
  func paris() throws {
    let model = try #require(TestModel.smolLM2)
    let result = try model.generate([GenerationRequest(prompt: Self.chatPrompt)],
                                    sampling: SamplingConfiguration(maxTokens: 20, stopTokens: [2]))
    // "The capital of France is Paris." in SmolLM2's vocabulary, then <|im_end|> (2).
    #expect(result[0].tokens == [504, 3575, 282, 4649, 314, 7042, 30, 2])
    #expect(result[0].stop == .stopToken(2))
  }

  @Test("Steering matches transformers: resid_post[15] += alpha * direction at every position, greedy")
  func steeringReference() throws {
    let model = try #require(TestModel.smolLM2)
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: try TestModel.fixture("steer-cat-random.json"))) as? [String: Any]
    let prompt = try #require(json?["prompt_ids"] as? [Int])
    let runs = try #require(json?["runs"] as? [[String: Any]])
    let direction = try SafeTensorsFile(url: try TestModel.fixture("steer-cat-random.safetensors")).floats("direction")
    let requests = try runs.map { run -> GenerationRequest in
      let alpha = Float(try #require(run["alpha"] as? Double))
      return GenerationRequest(prompt: prompt, interventions: [
        .residualOutput(layer: 15): [.add(vector: direction, scale: alpha, positions: .all)],
      ])
    }
    let maxTokens = runs.map { ($0["generated_ids"] as? [Int])?.count ?? 0 }.max() ?? 0
    // All strengths in one batch: the batched decode must give what transformers gave one by one.
    let results = try model.generate(requests, sampling: SamplingConfiguration(maxTokens: maxTokens, stopTokens: [2]),
                                     keepFirstStepLogits: true)
    for (run, result) in zip(runs, results) {
      let expected = try #require(run["generated_ids"] as? [Int])
      #expect(result.tokens == expected, "alpha \(run["alpha"] ?? "?")")
      let topIDs = try #require(run["first_step_top_ids"] as? [Int])
      let topValues = try #require(run["first_step_top_values"] as? [Double])
      let logits = try #require(result.firstStepLogits)
      for (id, value) in zip(topIDs, topValues) { #expect(abs(Double(logits[id]) - value) < 1e-2) }
    }
  }

  @Test("Batched generation equals one-at-a-time generation, also when sampling")
  func batchedEqualsSequential() throws {
    let model = try #require(TestModel.smolLM2)
    let prompts = [Self.chatPrompt, [504, 2365, 6354], [1604, 803, 24, 81, 28, 278, 727]]
    for sampling in [SamplingConfiguration(maxTokens: 12),
                     SamplingConfiguration(temperature: 0.8, topP: 0.9, seed: 11, maxTokens: 12)] {
      let batched = try model.generate(prompts.map { GenerationRequest(prompt: $0) }, sampling: sampling)
      for (i, prompt) in prompts.enumerated() {
        // Sequential runs must use the same per-request stream: request i forks stream i.
        var requests = prompts.map { GenerationRequest(prompt: $0) }
        requests = Array(requests.prefix(i + 1))
        let alone = try model.generate(requests, sampling: sampling)[i]
        #expect(alone.tokens == batched[i].tokens)
        #expect(prompt.count > 0)
      }
    }
  }

  @Test("Adjacent-pair RoPE is the right pairing: the NeoX pairing raises the NLL of a sentence by > 0.3 nats")
  func ropePairing() throws {
    let model = try #require(TestModel.smolLM2)
    let ids = try SafeTensorsFile(url: try TestModel.fixture("forward-prose.safetensors")).integers("token_ids")
    func meanNLL(_ m: LlamaModel) throws -> Double {
      let logits = try m.logits([ids])
      var total = 0.0
      for t in 0 ..< ids.count - 1 {
        let row = Array(logits.row(t))
        let lse = row.withUnsafeBufferPointer { Double(Kernels.logSumExp($0.baseAddress!, row.count)) }
        total += lse - Double(row[ids[t + 1]])
      }
      return total / Double(ids.count - 1)
    }
    let right = try meanNLL(model)
    var neoxConfiguration = model.configuration
    neoxConfiguration.ropeStyle = .neox
    let wrong = try meanNLL(try LlamaModel(configuration: neoxConfiguration, weights: model.weights, maxPositions: 256))
    #expect(right < wrong - 0.3, "adjacent \(right) vs neox \(wrong)")
    #expect(right < 3.2, "prose should be predictable for the right model (NLL \(right))")
  }
}
