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
    guard let kind = Kind(rawValue: type.lowercased()) else {
      throw DecodingError.dataCorruptedError(
        forKey: .type, in: c,
        debugDescription: "architecture '\(type)' is unknown; expected \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    self = .make(kind, k: try c.decodeIfPresent(Int.self, forKey: .k) ?? Self.defaultK,
                 l1Coefficient: try c.decodeIfPresent(Double.self, forKey: .l1Coefficient) ?? Self.defaultL1Coefficient)
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(kind.rawValue, forKey: .type)
    switch self {
    case .topK(let k), .batchTopK(let k): try c.encode(k, forKey: .k)
    case .relu(let l1): try c.encode(l1, forKey: .l1Coefficient)
    }
  }

  /// The one place the defaults live: k for TopK/BatchTopK, the L1 coefficient for ReLU (configuration
  /// defaults, decoding of a partial `architecture:`, the `train` command and atlas-bench all read these).
  public static let defaultK = 32
  public static let defaultL1Coefficient: Double = 5

  /// The architecture's name as written in `atlas.yaml` (`type:`) and on the command line (`--architecture`).
  public enum Kind: String, CaseIterable, Codable, Sendable {
    case topk, batchtopk, relu
  }

  public var kind: Kind {
    switch self {
    case .topK: .topk
    case .batchTopK: .batchtopk
    case .relu: .relu
    }
  }

  /// An architecture of `kind` with its parameter (`k` for TopK/BatchTopK, `l1Coefficient` for ReLU).
  public static func make(_ kind: Kind, k: Int = defaultK, l1Coefficient: Double = defaultL1Coefficient) -> SAETrainingArchitecture {
    switch kind {
    case .topk: .topK(k: k)
    case .batchtopk: .batchTopK(k: k)
    case .relu: .relu(l1Coefficient: l1Coefficient)
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
