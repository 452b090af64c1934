import AtlasArtifacts
import Foundation
import SparseAutoencoders
import TensorMath
import Testing

/// Hand-built SAELens files (cfg.json text + SafeTensorsWriter) and what the loader must make of them.
@Suite("SAELens format")
struct SAELensFormatTests {
  static let dIn = 8, dSAE = 12

  /// Values exactly representable in F16 and BF16, so every dtype decodes to the same floats.
  static func exactValues(_ count: Int, seed: UInt64) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0 ..< count).map { _ in Float(rng.nextInt(below: 33) - 16) / 32 }
  }

  static func weights(_ tensors: [String: (shape: [Int], values: [Float])], dtype: SafeTensorsDType = .f32) -> Data {
    var writer = SafeTensorsWriter()
    for (name, t) in tensors { writer.add(name, floats: t.values, shape: t.shape, as: dtype) }
    return writer.encoded()
  }

  /// W_enc [d_in, d_sae] as SAELens stores it, plus the rest.
  static func standardTensors(seed: UInt64) -> [String: (shape: [Int], values: [Float])] {
    [
      "W_enc": ([dIn, dSAE], exactValues(dIn * dSAE, seed: seed)),
      "b_enc": ([dSAE], exactValues(dSAE, seed: seed + 1)),
      "W_dec": ([dSAE, dIn], exactValues(dSAE * dIn, seed: seed + 2)),
      "b_dec": ([dIn], exactValues(dIn, seed: seed + 3)),
    ]
  }

  static func transpose(_ values: [Float], rows: Int, columns: Int) -> [Float] {
    Matrix(rows: rows, columns: columns, storage: values).transposed.storage
  }

  /// What SAELens computes, written out: f = act((x − b_dec)·W_enc + b_enc), x̂ = f·W_dec + b_dec.
  static func manualPre(_ t: [String: (shape: [Int], values: [Float])], _ x: [Float], encoderBias: String = "b_enc") -> [Double] {
    (0 ..< dSAE).map { j in
      var s = Double(t[encoderBias]!.values[j])
      for i in 0 ..< dIn { s += Double(x[i] - t["b_dec"]!.values[i]) * Double(t["W_enc"]!.values[i * dSAE + j]) }
      return s
    }
  }

  static let probe = TestData.gaussian(rows: 6, columns: dIn, seed: 77)

  @Test("Every activation saves and loads back identically; a second save gives the same bytes", arguments: 0 ..< 4)
  func roundTrip(_ which: Int) throws {
    var rng = SplitMix64(seed: 1)
    let activations: [SAEActivation] = [
      .topK(k: 3), .relu, .jumpReLU(threshold: (0 ..< 40).map { _ in abs(rng.nextGaussian()) }),
      .gated(gateBias: (0 ..< 40).map { _ in rng.nextGaussian() }, magnitudeLogScale: (0 ..< 40).map { _ in rng.nextGaussian() }),
    ]
    let sae = TestData.autoencoder(dIn: 24, dSAE: 40, activation: activations[which], seed: 2)
    let metadata = SAEMetadata(hookName: "blocks.15.hook_resid_post", modelName: "SmolLM2-135M-Instruct", contextSize: 128, prependBOS: true)
    let (cfg, weights) = try SAELensFormat.encode(sae, metadata: metadata)
    let loaded = try SAELensFormat.decode(cfg: cfg, weights: weights, expectedDIn: 24)
    #expect(loaded.autoencoder == sae)
    #expect(loaded.metadata == metadata)
    #expect(loaded.adjustments.isEmpty)
    let (cfg2, weights2) = try SAELensFormat.encode(loaded.autoencoder, metadata: loaded.metadata)
    #expect(cfg2 == cfg)
    #expect(weights2 == weights)
  }

  @Test("The saved files have SAELens' v6 names, shapes and keys")
  func v6Layout() throws {
    let sae = TestData.autoencoder(dIn: 24, dSAE: 40, activation: .topK(k: 5), seed: 3)
    let (cfg, weights) = try SAELensFormat.encode(sae, metadata: SAEMetadata(hookName: "blocks.15.hook_resid_post"))
    let json = try #require(try JSONSerialization.jsonObject(with: cfg) as? [String: Any])
    #expect(json["architecture"] as? String == "topk")
    #expect(json["d_in"] as? Int == 24)
    #expect(json["d_sae"] as? Int == 40)
    #expect(json["k"] as? Int == 5)
    #expect(json["normalize_activations"] as? String == "none")
    #expect(json["apply_b_dec_to_input"] as? Bool == true)
    #expect(json["rescale_acts_by_decoder_norm"] as? Bool == false)
    let metadata = try #require(json["metadata"] as? [String: Any])
    #expect(metadata["hook_name"] as? String == "blocks.15.hook_resid_post")
    #expect(metadata["sae_lens_version"] as? String == "6.0.0")
    let file = try SafeTensorsFile(bytes: weights)
    #expect(file.names == ["W_dec", "W_enc", "b_dec", "b_enc"])
    #expect(try file.info("W_enc").shape == [24, 40])
    #expect(try file.info("W_dec").shape == [40, 24])
    #expect(try file.floats("W_enc") == sae.encoder.transposed.storage)
  }

  @Test("A legacy flat topk config with F16 tensors loads as TopK with its metadata")
  func legacyTopK() throws {
    let t = Self.standardTensors(seed: 10)
    let cfg = Data("""
      {"d_in": 8, "d_sae": 12, "hook_point": "blocks.3.hook_resid_pre", "model_name": "gpt2", "context_size": 128,
       "activation_fn_str": "topk", "activation_fn_kwargs": {"k": 3}, "normalize_activations": false,
       "dtype": "float16", "device": "cuda", "hook_point_layer": 3, "sae_lens_training_version": "3.13.0"}
      """.utf8)
    let loaded = try SAELensFormat.decode(cfg: cfg, weights: Self.weights(t, dtype: .f16), expectedDIn: 8)
    #expect(loaded.autoencoder.activation == .topK(k: 3))
    #expect(loaded.autoencoder.subtractDecoderBias)
    #expect(loaded.metadata.hookName == "blocks.3.hook_resid_pre")
    #expect(loaded.metadata.modelName == "gpt2")
    #expect(loaded.metadata.contextSize == 128)
    #expect(loaded.autoencoder.encoder.storage == Self.transpose(t["W_enc"]!.values, rows: 8, columns: 12))
    // Encodings: the top 3 of the manual pre-activations, ReLU'd.
    for r in 0 ..< Self.probe.rows {
      let x = Array(Self.probe.row(r))
      let pre = Self.manualPre(t, x)
      let top = Set(Selection.referenceTopK(pre.map(Float.init), k: 3).filter { pre[$0] > 0 })
      let codes = loaded.autoencoder.encode(Matrix(rows: 1, columns: 8, storage: x))
      #expect(Set(codes.row(0).map(\.latent)) == top)
    }
  }

  @Test("A legacy config without architecture or activation is a standard ReLU SAE; BF16 reads too")
  func legacyStandard() throws {
    let t = Self.standardTensors(seed: 20)
    let cfg = Data(#"{"d_in": 8, "d_sae": 12, "hook_point": "blocks.0.hook_resid_post", "normalize_activations": true}"#.utf8)
    #expect(throws: SAEFormatError.missingNormalisationScale) {
      try SAELensFormat.decode(cfg: cfg, weights: Self.weights(t, dtype: .bf16))
    }
    let scale: Float = 0.5
    let loaded = try SAELensFormat.decode(cfg: cfg, weights: Self.weights(t, dtype: .bf16), normalisationScale: scale)
    #expect(loaded.autoencoder.activation == .relu)
    // SAELens semantics of expected_average_only_in: the SAE sees x·s and its output is divided by s.
    let out = loaded.autoencoder.reconstruct(Self.probe)
    for r in 0 ..< Self.probe.rows {
      let xs = Self.probe.row(r).map { $0 * scale }
      let pre = Self.manualPre(t, Array(xs))
      for i in 0 ..< 8 {
        var v = Double(t["b_dec"]!.values[i])
        for j in 0 ..< 12 where pre[j] > 0 { v += pre[j] * Double(t["W_dec"]!.values[j * 8 + i]) }
        #expect(abs(Double(out[r, i]) - v / Double(scale)) < 1e-4)
      }
    }
  }

  @Test("Matrices stored in the other orientation are transposed by matching axes to d_in")
  func transposedOrientation() throws {
    let t = Self.standardTensors(seed: 30)
    var flipped = t
    flipped["W_enc"] = ([12, 8], Self.transpose(t["W_enc"]!.values, rows: 8, columns: 12))
    flipped["W_dec"] = ([8, 12], Self.transpose(t["W_dec"]!.values, rows: 12, columns: 8))
    let cfg = Data(#"{"d_in": 8, "d_sae": 12, "architecture": "standard", "metadata": {"sae_lens_version": "6.5.0"}}"#.utf8)
    let plain = try SAELensFormat.decode(cfg: cfg, weights: Self.weights(t))
    let loaded = try SAELensFormat.decode(cfg: cfg, weights: Self.weights(flipped))
    #expect(loaded.autoencoder == plain.autoencoder)
    #expect(loaded.adjustments.count == 2)
  }

  @Test("When d_in equals d_sae the SAELens convention is trusted")
  func squareTrustsConvention() throws {
    let n = 6
    let wEnc = Self.exactValues(n * n, seed: 40)
    let tensors: [String: (shape: [Int], values: [Float])] = [
      "W_enc": ([n, n], wEnc), "b_enc": ([n], Self.exactValues(n, seed: 41)),
      "W_dec": ([n, n], Self.exactValues(n * n, seed: 42)), "b_dec": ([n], Self.exactValues(n, seed: 43)),
    ]
    let cfg = Data(#"{"d_in": 6, "d_sae": 6, "architecture": "standard", "metadata": {"sae_lens_version": "6.0.0"}}"#.utf8)
    let loaded = try SAELensFormat.decode(cfg: cfg, weights: Self.weights(tensors))
    #expect(loaded.autoencoder.encoder.storage == Self.transpose(wEnc, rows: n, columns: n))
    #expect(loaded.adjustments.isEmpty)
  }

  @Test("rescale_acts_by_decoder_norm selects by pre-activation × decoder norm, as SAELens does")
  func rescaleByDecoderNorm() throws {
    var t = Self.standardTensors(seed: 50)
    t["W_dec"] = ([12, 8], t["W_dec"]!.values.enumerated().map { $0.element * Float(1 + ($0.offset / 8) % 5) })
    let cfg = Data(#"{"d_in": 8, "d_sae": 12, "architecture": "topk", "k": 4, "rescale_acts_by_decoder_norm": true, "metadata": {"sae_lens_version": "6.2.0"}}"#.utf8)
    let loaded = try SAELensFormat.decode(cfg: cfg, weights: Self.weights(t))
    #expect(loaded.autoencoder.decoderNorms.allSatisfy { abs($0 - 1) < 1e-5 })
    let out = loaded.autoencoder.reconstruct(Self.probe)
    let norms = (0 ..< 12).map { j in (0 ..< 8).reduce(0.0) { $0 + Double(t["W_dec"]!.values[j * 8 + $1] * t["W_dec"]!.values[j * 8 + $1]) }.squareRoot() }
    for r in 0 ..< Self.probe.rows {
      let pre = Self.manualPre(t, Array(Self.probe.row(r))).enumerated().map { $0.element * norms[$0.offset] }
      let top = Selection.referenceTopK(pre.map(Float.init), k: 4).filter { pre[$0] > 0 }
      for i in 0 ..< 8 {
        var v = Double(t["b_dec"]!.values[i])
        for j in top { v += pre[j] / norms[j] * Double(t["W_dec"]!.values[j * 8 + i]) }
        #expect(abs(Double(out[r, i]) - v) < 1e-4)
      }
    }
  }

  @Test("JumpReLU, gated and BatchTopK files load with their extra tensors; a legacy scaling_factor is folded")
  func otherArchitectures() throws {
    var t = Self.standardTensors(seed: 60)
    t["threshold"] = ([12], Self.exactValues(12, seed: 61).map(abs))
    let jump = Data(#"{"d_in": 8, "d_sae": 12, "architecture": "jumprelu", "metadata": {"sae_lens_version": "6.0.0"}}"#.utf8)
    let j = try SAELensFormat.decode(cfg: jump, weights: Self.weights(t))
    #expect(j.autoencoder.activation == .jumpReLU(threshold: t["threshold"]!.values))
    let batch = Data(#"{"d_in": 8, "d_sae": 12, "architecture": "batchtopk", "k": 2, "metadata": {"sae_lens_version": "6.0.0"}}"#.utf8)
    #expect(try SAELensFormat.decode(cfg: batch, weights: Self.weights(t)).autoencoder.activation == j.autoencoder.activation)

    var g = Self.standardTensors(seed: 70)
    g["b_enc"] = nil
    g["b_gate"] = ([12], Self.exactValues(12, seed: 71))
    g["b_mag"] = ([12], Self.exactValues(12, seed: 72))
    g["r_mag"] = ([12], Self.exactValues(12, seed: 73))
    let gated = Data(#"{"d_in": 8, "d_sae": 12, "architecture": "gated", "metadata": {"sae_lens_version": "6.0.0"}}"#.utf8)
    let loaded = try SAELensFormat.decode(cfg: gated, weights: Self.weights(g))
    #expect(loaded.autoencoder.encoderBias == g["b_mag"]!.values)
    for r in 0 ..< Self.probe.rows {
      let x = Array(Self.probe.row(r))
      let z = Self.manualPre(g, x, encoderBias: "b_mag").enumerated().map { $0.element - Double(g["b_mag"]!.values[$0.offset]) }
      let expected = (0 ..< 12).compactMap { j -> Int? in
        let magnitude = Double(Elementary.exp(g["r_mag"]!.values[j])) * z[j] + Double(g["b_mag"]!.values[j])
        return z[j] + Double(g["b_gate"]!.values[j]) > 0 && magnitude > 0 ? j : nil
      }
      #expect(loaded.autoencoder.encode(Matrix(rows: 1, columns: 8, storage: x)).row(0).map(\.latent) == expected)
    }

    var s = Self.standardTensors(seed: 80)
    s["scaling_factor"] = ([12], (0 ..< 12).map { Float(1 + $0 % 3) })
    let legacy = Data(#"{"d_in": 8, "d_sae": 12}"#.utf8)
    let scaled = try SAELensFormat.decode(cfg: legacy, weights: Self.weights(s))
    #expect(scaled.autoencoder.decoder[5, 3] == s["W_dec"]!.values[5 * 8 + 3] * 3)
  }

  @Test("Errors name what was expected, what was found and what to do")
  func errors() throws {
    let t = Self.standardTensors(seed: 90)
    let v6 = #""metadata": {"sae_lens_version": "6.0.0"}"#
    func decode(_ cfg: String, _ tensors: [String: (shape: [Int], values: [Float])], expectedDIn: Int? = nil) throws {
      _ = try SAELensFormat.decode(cfg: Data(cfg.utf8), weights: Self.weights(tensors), expectedDIn: expectedDIn)
    }
    #expect(throws: SAEFormatError.dInMismatch(expected: 576, found: 8)) {
      try decode(#"{"d_in": 8, "d_sae": 12, "architecture": "standard", \#(v6)}"#, t, expectedDIn: 576)
    }
    #expect(SAEFormatError.dInMismatch(expected: 576, found: 8).description.contains("576"))
    #expect(throws: SAEFormatError.unknownArchitecture("transcoder", supported: SAELensFormat.supportedArchitectures)) {
      try decode(#"{"d_in": 8, "d_sae": 12, "architecture": "transcoder", \#(v6)}"#, t)
    }
    var missing = t
    missing["W_dec"] = nil
    do {
      try decode(#"{"d_in": 8, "d_sae": 12, "architecture": "standard", \#(v6)}"#, missing)
      Issue.record("a missing W_dec must throw")
    } catch let error as SAEFormatError {
      guard case .missingTensor(let name, _) = error else { Issue.record("wrong error \(error)"); return }
      #expect(name == "W_dec")
      #expect(error.description.contains("W_dec"))
    }
    #expect(throws: SAEFormatError.tensorShape(name: "W_enc", expected: [8, 13], found: [8, 12])) {
      try decode(#"{"d_in": 8, "d_sae": 13, "architecture": "standard", \#(v6)}"#, t)
    }
    #expect(throws: SAEFormatError.self) { try decode(#"{"d_in": 8, "d_sae": 12, "architecture": "topk", \#(v6)}"#, t) }
    #expect(throws: SAEFormatError.self) {
      try decode(#"{"d_in": 8, "d_sae": 12, "architecture": "standard", "normalize_activations": "layer_norm", \#(v6)}"#, t)
    }
    // Two NaNs in W_enc, or one Inf in b_dec: refused with the tensor and the index, never an atlas of NaNs.
    var poisoned = t
    poisoned["W_enc"]!.values[5] = .nan
    poisoned["W_enc"]!.values[9] = .nan
    #expect {
      try decode(#"{"d_in": 8, "d_sae": 12, "architecture": "standard", \#(v6)}"#, poisoned)
    } throws: { error in
      guard case SAEFormatError.nonFinite(let name, let index, let value) = error else { return false }
      return name == "W_enc" && index == 5 && value.isNaN
    }
    var infinite = t
    infinite["b_dec"]!.values[3] = .infinity
    #expect {
      try decode(#"{"d_in": 8, "d_sae": 12, "architecture": "standard", \#(v6)}"#, infinite)
    } throws: { "\($0)".contains("'b_dec' holds inf at flat index 3") }
    #expect(throws: SAEFormatError.self) { try SAELensFormat.decode(cfg: Data("[1]".utf8), weights: Self.weights(t)) }
    #expect(throws: SAEFormatError.self) {
      try SAELensFormat.decode(cfg: Data(#"{"d_in": 8, "d_sae": 12}"#.utf8), weights: Data([1, 2, 3]))
    }
  }

  @Test("sparsity.safetensors holds log10(frequency + 1e-10)")
  func sparsity() throws {
    let data = SAELensFormat.encodeSparsity(firingCounts: [0, 1, 10, 1000], tokens: 1000)
    let values = try SAELensFormat.decodeSparsity(data)
    #expect(values.count == 4)
    #expect(abs(values[0] - -10) < 1e-4)
    #expect(abs(values[1] - -3) < 1e-4)
    #expect(abs(values[2] - -2) < 1e-4)
    #expect(abs(values[3] - 0) < 1e-4)
  }
}
