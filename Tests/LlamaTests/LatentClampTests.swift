import Llama
import TensorMath
import Testing

/// A ReLU autoencoder small enough to check by hand: a_j(h) = max(0, e_j · (h − b) + c_j), x̂ = Σ_j a_j d_j + b.
final class HandAutoencoder: LatentReader {
  let dModel: Int
  let encoder: [[Float]]   // [latents][dModel]
  let encoderBias: [Float] // [latents]
  let decoder: [[Float]]   // [latents][dModel]
  let bias: [Float]        // [dModel]

  init(dModel: Int, latents: Int, seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    self.dModel = dModel
    encoder = (0 ..< latents).map { _ in (0 ..< dModel).map { _ in rng.nextGaussian() * 0.3 } }
    encoderBias = (0 ..< latents).map { _ in rng.nextGaussian() }
    decoder = (0 ..< latents).map { _ in (0 ..< dModel).map { _ in rng.nextGaussian() * 0.5 } }
    bias = (0 ..< dModel).map { _ in rng.nextGaussian() * 0.1 }
  }

  func codes(_ h: ArraySlice<Float>) -> [Float] {
    zip(encoder, encoderBias).map { e, c in
      max(0, zip(e, zip(h, bias)).reduce(c) { $0 + $1.0 * ($1.1.0 - $1.1.1) })
    }
  }

  func decode(_ codes: [Float]) -> [Float] {
    var out = bias
    for (a, d) in zip(codes, decoder) { for i in out.indices { out[i] += a * d[i] } }
    return out
  }

  func activations(_ rows: Matrix, latents: [Int]) -> [Float] {
    latents.enumerated().map { r, j in codes(rows.row(r))[j] }
  }

  func decoderRow(_ latent: Int) -> [Float] { decoder[latent] }
}

@Suite("Feature clamping through an autoencoder (Anthropic's clamp) on a random model")
struct LatentClampTests {
  static let model = BatchedForwardTests.model
  static let point = HookPoint.residualOutput(layer: 1)

  func maxDifference(_ a: some Collection<Float>, _ b: some Collection<Float>) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
  }

  @Test("Clamp: h becomes h + (target − a(h))·d, and the reconstruction error h − x̂ is unchanged, row by row")
  func clampByHand() throws {
    let sae = HandAutoencoder(dModel: 48, latents: 6, seed: 3)
    let s = BatchedForwardTests.tokens(24, seed: 31)
    var plain = RecordingObserver([Self.point]), steered = RecordingObserver([Self.point])
    _ = try Self.model.forward([s], observer: &plain, logits: .none)
    _ = try Self.model.forward([s], observer: &steered, interventions: [[
      Self.point: [.clampLatent(latent: 2, target: 7.5, reader: sae, positions: .all)],
    ]], logits: .none)
    let before = try #require(plain.recorded[Self.point]), after = try #require(steered.recorded[Self.point])
    var fired = 0
    for t in 0 ..< s.count {
      let h = before.row(t)
      var codes = sae.codes(h)
      if codes[2] > 0 { fired += 1 }
      let expected = zip(h, sae.decoder[2]).map { $0 + (7.5 - codes[2]) * $1 }
      #expect(maxDifference(after.row(t), expected) < 1e-4, "row \(t)")
      let error = zip(h, sae.decode(codes)).map { $0 - $1 }
      codes[2] = 7.5
      let errorAfter = zip(after.row(t), sae.decode(codes)).map { $0 - $1 }
      #expect(maxDifference(errorAfter, error) < 1e-4, "row \(t)")
    }
    // The hand autoencoder's latent 2 fires on some rows and not others: both branches of a(h) are exercised.
    #expect(fired > 0 && fired < s.count, "latent 2 fired on \(fired) of \(s.count) rows")
  }

  @Test("Ablation (target 0) and negative targets: batched path equals the token-by-token reference, only where selected")
  func batchedMatchesReference() throws {
    let sae = HandAutoencoder(dModel: 48, latents: 6, seed: 4)
    let sequences = [BatchedForwardTests.tokens(15, seed: 41), BatchedForwardTests.tokens(22, seed: 42)]
    let plans: [InterventionPlan] = [
      [Self.point: [.clampLatent(latent: 1, target: 0, reader: sae, positions: .all)]],
      [Self.point: [.clampLatent(latent: 4, target: -3, reader: sae, positions: .from(10))]],
    ]
    var none = NoObserver()
    let batched = try #require(try Self.model.forward(sequences, observer: &none, interventions: plans, logits: .all))
    var row = 0
    for (s, plan) in zip(sequences, plans) {
      let reference = try Self.model.referenceForward(tokens: s, interventions: plan)
      #expect(maxDifference(batched.rows(row ..< row + s.count).storage, try #require(reference.logits).storage) < 1e-4)
      row += s.count
    }
    // Positions before 10 of the second sequence are untouched (up to the last bits: alone, the batch has other shapes).
    let plain = try Self.model.logits([sequences[1]])
    #expect(maxDifference(batched.rows(15 ..< 25).storage, plain.rows(0 ..< 10).storage) < 1e-4)
    #expect(maxDifference(batched.rows(25 ..< 37).storage, plain.rows(10 ..< 22).storage) > 1e-3)
  }

  @Test("Generation with shared prompt prefixes gives the same tokens as separate prefills")
  func sharedPrefixes() throws {
    let sae = HandAutoencoder(dModel: 48, latents: 6, seed: 5)
    let prompts = [BatchedForwardTests.tokens(12, seed: 51), BatchedForwardTests.tokens(9, seed: 52)]
    var requests: [GenerationRequest] = []
    for prompt in prompts {
      requests.append(GenerationRequest(prompt: prompt))
      for target: Float in [0, 4, 12] {
        requests.append(GenerationRequest(prompt: prompt, interventions: [
          Self.point: [.clampLatent(latent: 3, target: target, reader: sae, positions: .from(prompt.count - 1))],
        ]))
      }
    }
    let sampling = SamplingConfiguration(maxTokens: 10)
    let separate = try Self.model.generate(requests, sampling: sampling)
    let shared = try Self.model.generate(requests, sampling: sampling, sharePromptPrefixes: true)
    #expect(separate.map(\.tokens) == shared.map(\.tokens))
    // The edits do change what is generated.
    #expect(Set(shared.map(\.tokens)).count > prompts.count)
  }

  @Test("Prompts that share an unedited head (a chat template's system turn) share its prefill; per-request lengths hold")
  func sharedHeads() throws {
    let head = BatchedForwardTests.tokens(7, seed: 61)
    let prompts = [head + BatchedForwardTests.tokens(5, seed: 62), head + BatchedForwardTests.tokens(3, seed: 63)]
    var requests: [GenerationRequest] = []
    for prompt in prompts {
      requests.append(GenerationRequest(prompt: prompt, maxTokens: 4))
      for scale: Float in [1, 6] {
        let edit = Intervention.add(vector: (0 ..< 48).map { Float($0 % 5) - 2 }, scale: scale, positions: .from(head.count))
        requests.append(GenerationRequest(prompt: prompt, interventions: [Self.point: [edit]], maxTokens: scale > 1 ? 9 : nil))
      }
    }
    let sampling = SamplingConfiguration(maxTokens: 9)
    let separate = try Self.model.generate(requests, sampling: sampling)
    let shared = try Self.model.generate(requests, sampling: sampling, sharePromptPrefixes: true)
    #expect(separate.map(\.tokens) == shared.map(\.tokens))
    #expect(shared.map(\.tokens.count) == [4, 9, 9, 4, 9, 9])
    #expect(PositionSelector.from(head.count).firstPosition == head.count && PositionSelector.all.firstPosition == 0)
    #expect(PositionSelector.range(3 ..< 3).firstPosition == nil)
  }
}
