import Foundation

/// EleutherAI sparsify's layout: `<hookpoint>/cfg.json` + `sae.safetensors`.
///
/// cfg.json: `activation` (topk | groupmax), `k`, `num_latents` (0: d_in × `expansion_factor`), `d_in`,
/// `normalize_decoder`, `multi_topk`, `skip_connection`, `transcode` (older files: `signed`).
/// Tensors: `encoder.weight` [L, d_in], `encoder.bias` [L], `W_dec` [L, d_in], `b_dec` [d_in], optional
/// `W_skip`. Encoding is top-k of ReLU((x − b_dec)·encoder.weightᵀ + encoder.bias), which is our TopK.
/// Converters disagree on orientation (SAELens' converter transposes W_dec), so matrices are oriented by
/// matching their axes to d_in (taken from `b_dec`) and L.
public enum SparsifyFormat {
  public static let configFile = "cfg.json"
  public static let weightsFile = "sae.safetensors"

  public static func decode(cfg: Data, weights: Data, expectedDIn: Int? = nil, foldDecoderNorms: Bool = false) throws -> ImportedSAE {
    let config = try ConfigObject(cfg)
    let tensors = try TensorReader(weights)
    var adjustments: [String] = []
    let activation = try config.string("activation") ?? "topk"
    guard activation == "topk" else {
      throw SAEFormatError.unknownArchitecture("sparsify activation \(activation)", supported: ["sparsify activation topk"])
    }
    if try config.bool("transcode") == true {
      throw SAEFormatError.unsupported(feature: "sparsify transcoders (transcode: true)", hint: "a transcoder predicts another hook point; load a sparse autoencoder")
    }
    if try config.bool("skip_connection") == true || tensors.has("W_skip") {
      throw SAEFormatError.unsupported(feature: "sparsify skip connections (W_skip)", hint: "the atlas explains activations by latents alone; load an SAE trained without skip_connection")
    }
    if try config.bool("signed") == true {
      throw SAEFormatError.unsupported(feature: "signed sparsify latents", hint: "latents must be non-negative")
    }
    // d_in: the cfg's when present, else b_dec's length (always [d_in]).
    let biasShape = try tensors.shape("b_dec")
    guard biasShape.count == 1 else { throw SAEFormatError.tensorShape(name: "b_dec", expected: [try config.int("d_in") ?? -1], found: biasShape) }
    let dIn = try config.int("d_in") ?? biasShape[0]
    if let expectedDIn, expectedDIn != dIn { throw SAEFormatError.dInMismatch(expected: expectedDIn, found: dIn) }
    var latents = try config.int("num_latents") ?? 0
    if latents == 0 {
      if let factor = try config.int("expansion_factor") { latents = dIn * factor }
      else if tensors.has("encoder.bias") { latents = try tensors.shape("encoder.bias").reduce(1, *) }
    }
    guard latents > 0 else { throw SAEFormatError.malformedConfig(key: "num_latents", reason: "neither num_latents, expansion_factor nor encoder.bias gives the width") }
    let k = try config.require("k", config.int)
    guard k >= 1, k <= latents else { throw SAEFormatError.malformedConfig(key: "k", reason: "must be in 1...\(latents), found \(k)") }
    guard tensors.has("W_dec") else { throw SAEFormatError.missingTensor(name: "W_dec", available: tensors.file.names) }
    let encoder = try tensors.matrix("encoder.weight", rows: latents, columns: dIn, adjustments: &adjustments)
    let decoder = try tensors.matrix("W_dec", rows: latents, columns: dIn, adjustments: &adjustments)
    let encoderBias = tensors.has("encoder.bias") ? try tensors.vector("encoder.bias", count: latents) : Array(repeating: 0, count: latents)
    var sae = SparseAutoencoder(activation: .topK(k: k), encoder: encoder, encoderBias: encoderBias, decoder: decoder,
                                decoderBias: try tensors.vector("b_dec", count: dIn), subtractDecoderBias: true)
    if foldDecoderNorms {
      sae = sae.foldingDecoderNorms()
      adjustments.append("decoder norms folded into the encoder")
    }
    return ImportedSAE(autoencoder: sae, metadata: SAEMetadata(), adjustments: adjustments)
  }
}
