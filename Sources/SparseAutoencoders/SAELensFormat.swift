import AtlasArtifacts
import Foundation
import TensorMath

/// SAELens' on-disk layout: `cfg.json` + `sae_weights.safetensors` (+ optional `sparsity.safetensors`).
///
/// Writing: the v6 layout. W_enc [d_in, d_sae], b_enc [d_sae], W_dec [d_sae, d_in], b_dec [d_in], plus
/// `threshold` (jumprelu) or b_gate/b_mag/r_mag (gated). Normalisation decision: our autoencoders already read
/// the model's own units (the trainer folds its input scale and mean into b_enc and b_dec and keeps decoder
/// rows at unit norm), so cfg.json says `normalize_activations: "none"` and a SAELens user feeding raw
/// activations gets exactly our latents and reconstructions. Nothing needs undoing on load, so our loader
/// returns the bit-identical autoencoder, and save → load → save gives identical bytes.
///
/// Reading: v6 configs and the older flat ones (SAELens `handle_pre_6_0_config`): `hook_point` is
/// `hook_name`, `activation_fn_str` is `activation_fn`, `activation_fn: "topk"` with
/// `activation_fn_kwargs.k` means architecture topk, a boolean `normalize_activations` means
/// `expected_average_only_in`, and the defaults are architecture standard and apply_b_dec_to_input true.
public enum SAELensFormat {
  public static let configFile = "cfg.json"
  public static let weightsFile = "sae_weights.safetensors"
  public static let sparsityFile = "sparsity.safetensors"
  /// The SAELens version written into cfg.json metadata: it declares the v6 layout, so SAELens reads the file
  /// as v6 instead of converting it as a legacy config.
  public static let layoutVersion = "6.0.0"
  public static let supportedArchitectures = ["standard", "topk", "jumprelu", "gated", "batchtopk", "matryoshka_batchtopk"]

  // MARK: - Writing

  /// cfg.json and sae_weights.safetensors bytes for `autoencoder`.
  public static func encode(_ autoencoder: SparseAutoencoder, metadata: SAEMetadata = SAEMetadata(),
                            dtype: SafeTensorsDType = .f32) throws -> (cfg: Data, weights: Data) {
    let dtypeName: String
    switch dtype {
    case .f32: dtypeName = "float32"
    case .f16: dtypeName = "float16"
    case .bf16: dtypeName = "bfloat16"
    default: throw SAEFormatError.unsupportedDType(dtype.rawValue)
    }
    let sae = autoencoder
    let (d, n) = (sae.dIn, sae.dSAE)
    var writer = SafeTensorsWriter()
    writer.add("W_enc", floats: sae.encoder.transposed.storage, shape: [d, n], as: dtype)
    writer.add("W_dec", floats: sae.decoder.storage, shape: [n, d], as: dtype)
    writer.add("b_dec", floats: sae.decoderBias, shape: [d], as: dtype)
    var k: Int?
    switch sae.activation {
    case .topK(let topK):
      k = topK
      writer.add("b_enc", floats: sae.encoderBias, shape: [n], as: dtype)
    case .relu:
      writer.add("b_enc", floats: sae.encoderBias, shape: [n], as: dtype)
    case .jumpReLU(let threshold):
      writer.add("b_enc", floats: sae.encoderBias, shape: [n], as: dtype)
      writer.add("threshold", floats: threshold, shape: [n], as: dtype)
    case .gated(let gate, let logScale):
      writer.add("b_gate", floats: gate, shape: [n], as: dtype)
      writer.add("b_mag", floats: sae.encoderBias, shape: [n], as: dtype)
      writer.add("r_mag", floats: logScale, shape: [n], as: dtype)
    }
    let config = ConfigV6(
      architecture: sae.activation.saeLensName, dIn: d, dSAE: n, dtype: dtypeName,
      applyDecoderBiasToInput: sae.subtractDecoderBias, k: k, rescaleActsByDecoderNorm: k == nil ? nil : false,
      metadata: MetadataV6(metadata))
    return (try CanonicalJSON.encode(config), writer.encoded())
  }

  /// sparsity.safetensors bytes: `sparsity` [d_sae] = log10(firing frequency + 1e-10).
  public static func encodeSparsity(firingCounts: [Int], tokens: Int) -> Data {
    var writer = SafeTensorsWriter()
    let values = SAEMetrics.logFrequencies(firingCounts: firingCounts, tokens: tokens)
    writer.add("sparsity", floats: values, shape: [values.count])
    return writer.encoded()
  }

  /// The `sparsity` tensor of a sparsity.safetensors file (log10 frequencies).
  public static func decodeSparsity(_ data: Data) throws -> [Float] {
    let reader = try TensorReader(data)
    return try reader.vector("sparsity", count: try reader.shape("sparsity").reduce(1, *))
  }

  // MARK: - Reading

  /// Reads SAELens files. `expectedDIn` is the model's width at the hook point (nil: do not check).
  /// `normalisationScale` is the `norm_scaling_factor` of an `expected_average_only_in` SAE; it is folded
  /// in as SAELens' `fold_activation_norm_scaling_factor` does, so latents match what SAELens users see.
  /// `foldDecoderNorms` rescales to unit decoder rows (see `SparseAutoencoder.foldingDecoderNorms`).
  public static func decode(cfg: Data, weights: Data, expectedDIn: Int? = nil, normalisationScale: Float? = nil,
                            foldDecoderNorms: Bool = false) throws -> ImportedSAE {
    var config = try ConfigObject(cfg)
    var adjustments: [String] = []
    let metadata: SAEMetadata
    if isV6(config) {
      let m = try config.object("metadata") ?? ConfigObject(values: [:])
      metadata = try readMetadata(m)
    } else {
      config = try legacyToV6(config)
      metadata = try readMetadata(config)
      adjustments.append("legacy (pre-6.0) SAELens config converted")
    }
    let dIn = try config.require("d_in", config.int)
    let dSAE = try config.require("d_sae", config.int)
    guard dIn > 0, dSAE > 0 else { throw SAEFormatError.malformedConfig(key: "d_in/d_sae", reason: "must be positive, found \(dIn), \(dSAE)") }
    if let expectedDIn, expectedDIn != dIn { throw SAEFormatError.dInMismatch(expected: expectedDIn, found: dIn) }
    let reshape = try config.string("reshape_activations") ?? "none"
    guard reshape == "none" else {
      throw SAEFormatError.unsupported(feature: "reshape_activations = \(reshape)", hint: "only residual-stream SAEs (reshape_activations none) can be loaded")
    }
    let architecture = try config.string("architecture") ?? "standard"
    guard supportedArchitectures.contains(architecture) else {
      throw SAEFormatError.unknownArchitecture(architecture, supported: supportedArchitectures)
    }

    let tensors = try TensorReader(weights)
    let encoder = try tensors.matrix("W_enc", rows: dIn, columns: dSAE, adjustments: &adjustments).transposed
    var decoder = try tensors.matrix("W_dec", rows: dSAE, columns: dIn, adjustments: &adjustments)
    let decoderBias = try tensors.vector("b_dec", count: dIn)
    let activation: SAEActivation
    var encoderBias: [Float]
    var rescaleByDecoderNorm = false
    switch architecture {
    case "standard":
      encoderBias = try tensors.vector("b_enc", count: dSAE)
      if let function = try config.string("activation_fn"), function != "relu" {
        throw SAEFormatError.unsupported(feature: "activation_fn = \(function)", hint: "standard SAEs load with a ReLU only")
      }
      activation = .relu
    case "topk":
      encoderBias = try tensors.vector("b_enc", count: dSAE)
      let k = try config.require("k", config.int)
      guard k >= 1, k <= dSAE else { throw SAEFormatError.malformedConfig(key: "k", reason: "must be in 1...\(dSAE), found \(k)") }
      activation = .topK(k: k)
      rescaleByDecoderNorm = try config.bool("rescale_acts_by_decoder_norm") ?? false
    case "jumprelu":
      encoderBias = try tensors.vector("b_enc", count: dSAE)
      activation = .jumpReLU(threshold: try threshold(tensors, dSAE: dSAE))
    case "gated":
      encoderBias = try tensors.vector("b_mag", count: dSAE)
      activation = .gated(gateBias: try tensors.vector("b_gate", count: dSAE),
                          magnitudeLogScale: try tensors.vector("r_mag", count: dSAE))
    default:  // batchtopk, matryoshka_batchtopk: inference is a JumpReLU with the learned threshold
      encoderBias = try tensors.vector("b_enc", count: dSAE)
      if tensors.has("threshold") {
        activation = .jumpReLU(threshold: try threshold(tensors, dSAE: dSAE))
      } else if tensors.has("topk_threshold") {
        let t = try tensors.vector("topk_threshold", count: 1)[0]
        activation = .jumpReLU(threshold: Array(repeating: t, count: dSAE))
      } else {
        throw SAEFormatError.missingTensor(name: "threshold", available: tensors.file.names)
      }
      adjustments.append("\(architecture) loaded as jumprelu with its threshold")
    }
    if tensors.has("scaling_factor") {
      let factor = try tensors.vector("scaling_factor", count: dSAE)
      if factor.contains(where: { $0 != 1 }) {
        for j in 0 ..< dSAE { for i in 0 ..< dIn { decoder[j, i] *= factor[j] } }
        adjustments.append("scaling_factor folded into W_dec rows")
      }
    }
    var sae = SparseAutoencoder(
      activation: activation, encoder: encoder, encoderBias: encoderBias, decoder: decoder,
      decoderBias: decoderBias, subtractDecoderBias: try config.bool("apply_b_dec_to_input") ?? true)

    switch try config.string("normalize_activations") ?? "none" {
    case "none": break
    case "expected_average_only_in":
      guard let s = normalisationScale, s > 0, s.isFinite else { throw SAEFormatError.missingNormalisationScale }
      // SAELens `fold_activation_norm_scaling_factor`: the SAE saw x·s.
      for v in sae.encoder.storage.indices { sae.encoder.storage[v] *= s }
      for v in sae.decoder.storage.indices { sae.decoder.storage[v] /= s }
      for i in 0 ..< dIn { sae.decoderBias[i] /= s }
      adjustments.append("normalisation scale \(s) folded into W_enc, W_dec and b_dec")
    case let other:
      throw SAEFormatError.unsupported(
        feature: "normalize_activations = \(other)",
        hint: "per-token normalisations cannot be folded into weights; load SAEs with none or expected_average_only_in")
    }
    if rescaleByDecoderNorm {
      sae = sae.foldingDecoderNorms()
      adjustments.append("rescale_acts_by_decoder_norm folded (decoder rows now unit norm)")
    } else if foldDecoderNorms {
      sae = sae.foldingDecoderNorms()
      adjustments.append("decoder norms folded into the encoder")
    }
    return ImportedSAE(autoencoder: sae, metadata: metadata, adjustments: adjustments)
  }

  private static func threshold(_ tensors: TensorReader, dSAE: Int) throws -> [Float] {
    if tensors.has("threshold") { return try tensors.vector("threshold", count: dSAE) }
    if tensors.has("log_threshold") { return try tensors.vector("log_threshold", count: dSAE).map { Elementary.exp($0) } }
    throw SAEFormatError.missingTensor(name: "threshold", available: tensors.file.names)
  }

  // MARK: - Configs

  /// v6 when `sae_lens_version` (top level or in metadata) is 6.0.0 or later.
  static func isV6(_ config: ConfigObject) -> Bool {
    let version = (try? config.string("sae_lens_version")) ?? (try? config.object("metadata")?.string("sae_lens_version")) ?? nil
    guard let version, let major = Int(version.prefix { $0.isNumber }) else { return false }
    return major >= 6
  }

  /// SAELens' `handle_pre_6_0_config`, on the keys this loader reads.
  static func legacyToV6(_ legacy: ConfigObject) throws -> ConfigObject {
    var values = legacy.values
    for (old, new) in [("hook_point", "hook_name"), ("hook_point_head_index", "hook_head_index"), ("activation_fn_str", "activation_fn")] {
      if let v = values.removeValue(forKey: old), values[new] == nil { values[new] = v }
    }
    if values["architecture"] == nil { values["architecture"] = .string("standard") }
    if values["apply_b_dec_to_input"] == nil { values["apply_b_dec_to_input"] = .bool(true) }
    let converted = ConfigObject(values: values)
    if try converted.string("activation_fn") == "topk", let kwargs = try converted.object("activation_fn_kwargs"),
       let k = try kwargs.int("k") {
      values["architecture"] = .string("topk")
      values["k"] = .number(Double(k))
      values["activation_fn"] = nil
    }
    if case .bool(let normalise)? = values["normalize_activations"] {
      values["normalize_activations"] = .string(normalise ? "expected_average_only_in" : "none")
    }
    return ConfigObject(values: values)
  }

  static func readMetadata(_ m: ConfigObject) throws -> SAEMetadata {
    SAEMetadata(hookName: try m.string("hook_name"), hookHeadIndex: try m.int("hook_head_index"),
                modelName: try m.string("model_name"), contextSize: try m.int("context_size"),
                prependBOS: try m.bool("prepend_bos"), datasetPath: try m.string("dataset_path"))
  }

  /// The v6 cfg.json we write (sorted keys; absent optionals are omitted).
  struct ConfigV6: Encodable {
    var architecture: String
    var dIn: Int
    var dSAE: Int
    var dtype: String
    var device = "cpu"
    var applyDecoderBiasToInput: Bool
    var normalizeActivations = "none"
    var reshapeActivations = "none"
    var k: Int?
    var rescaleActsByDecoderNorm: Bool?
    var metadata: MetadataV6

    enum CodingKeys: String, CodingKey {
      case architecture, dIn = "d_in", dSAE = "d_sae", dtype, device, applyDecoderBiasToInput = "apply_b_dec_to_input"
      case normalizeActivations = "normalize_activations", reshapeActivations = "reshape_activations", k
      case rescaleActsByDecoderNorm = "rescale_acts_by_decoder_norm", metadata
    }
  }

  struct MetadataV6: Encodable {
    var saeLensVersion = SAELensFormat.layoutVersion
    var fields: SAEMetadata

    init(_ fields: SAEMetadata) { self.fields = fields }

    enum CodingKeys: String, CodingKey { case saeLensVersion = "sae_lens_version" }

    func encode(to encoder: any Encoder) throws {
      try fields.encode(to: encoder)
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(saeLensVersion, forKey: .saeLensVersion)
    }
  }
}
