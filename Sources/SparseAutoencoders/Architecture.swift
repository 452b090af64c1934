// Sparse-autoencoder variants, as enums (STYLE §8).
//
// `SAEActivation` is what an autoencoder does at inference time (it may hold per-latent parameters);
// `SAETrainingArchitecture` is what this module can train. BatchTopK trains with a per-batch selection
// and becomes a JumpReLU (one global threshold) for inference, as in SAELens.

/// How latent activations are computed from pre-activations `pre = (x − b_dec)·W_enc + b_enc`.
public enum SAEActivation: Sendable, Equatable {
  /// Keep the k largest pre-activations of each row, then ReLU (SAELens `topk`, sparsify, OpenAI).
  case topK(k: Int)
  /// ReLU on every latent (SAELens `standard`).
  case relu
  /// pre·[pre > threshold_j], after a ReLU (SAELens `jumprelu`; BatchTopK after training).
  case jumpReLU(threshold: [Float])  // [dSAE]
  /// Gated (Rajamanoharan et al. 2024, SAELens `gated`): with z = (x − b_dec)·W_enc,
  /// f_j = [z_j + b_gate_j > 0] · ReLU(exp(r_mag_j)·z_j + b_mag_j). `encoderBias` holds b_mag.
  case gated(gateBias: [Float], magnitudeLogScale: [Float])  // b_gate [dSAE], r_mag [dSAE]

  /// The SAELens `architecture` name.
  public var saeLensName: String {
    switch self {
    case .topK: "topk"
    case .relu: "standard"
    case .jumpReLU: "jumprelu"
    case .gated: "gated"
    }
  }
}

/// What the trainer can optimise.
public enum SAETrainingArchitecture: Codable, Sendable, Equatable, Hashable {
  /// TopK with the AuxK loss for dead latents (Gao et al. 2024); decoder rows kept at unit norm.
  case topK(k: Int)
  /// BatchTopK (Bussmann et al. 2024): the k·B largest activations of the whole batch; saved as JumpReLU
  /// with the running threshold; decoder rows kept at unit norm; AuxK as for TopK.
  case batchTopK(k: Int)
  /// ReLU with an L1 penalty weighted by decoder norms, λ Σ_j f_j ‖W_dec_j‖ (Anthropic, April 2024 update);
  /// decoder rows free.
  case relu(l1Coefficient: Double)

  /// Active latents per token the architecture aims for (nil: set by the L1 penalty).
  public var k: Int? {
    switch self {
    case .topK(let k), .batchTopK(let k): k
    case .relu: nil
    }
  }

  // Encoded flat, `{"type": "topk", "k": 32}` / `{"type": "relu", "l1Coefficient": 5}`, so a YAML file can
  // change one field (e.g. only `k`, or only `type`) and the rest keeps its value.
  private enum CodingKeys: String, CodingKey { case type, k, l1Coefficient }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let type = try c.decode(String.self, forKey: .type)
    switch type.lowercased() {
    case "topk": self = .topK(k: try c.decodeIfPresent(Int.self, forKey: .k) ?? 32)
    case "batchtopk": self = .batchTopK(k: try c.decodeIfPresent(Int.self, forKey: .k) ?? 32)
    case "relu": self = .relu(l1Coefficient: try c.decodeIfPresent(Double.self, forKey: .l1Coefficient) ?? 5)
    default:
      throw DecodingError.dataCorruptedError(forKey: .type, in: c,
                                             debugDescription: "architecture '\(type)' is unknown; expected topk, batchtopk or relu")
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    switch self {
    case .topK(let k):
      try c.encode("topk", forKey: .type)
      try c.encode(k, forKey: .k)
    case .batchTopK(let k):
      try c.encode("batchtopk", forKey: .type)
      try c.encode(k, forKey: .k)
    case .relu(let l1):
      try c.encode("relu", forKey: .type)
      try c.encode(l1, forKey: .l1Coefficient)
    }
  }

  /// Whether decoder rows are renormalised after every step (and gradients projected before it).
  var keepsUnitNormDecoder: Bool {
    switch self {
    case .topK, .batchTopK: true
    case .relu: false
    }
  }
}
