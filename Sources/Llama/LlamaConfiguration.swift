import GGUF

/// How RoPE pairs the dimensions of a head.
public enum RoPEStyle: String, Codable, Sendable {
  /// (x[2i], x[2i+1]) — llama.cpp's LLAMA_ROPE_TYPE_NORM, used by `llama` GGUFs (the converter permuted Q/K).
  case adjacentPairs
  /// (x[i], x[i + d/2]) — GPT-NeoX / Hugging Face "rotate_half", used by e.g. qwen2 GGUFs.
  case neox
}

/// The dimensions and constants of a dense Llama-family decoder.
public struct LlamaConfiguration: Codable, Sendable, Equatable {
  public var architecture: String   // general.architecture
  public var dModel: Int            // {arch}.embedding_length
  public var nLayers: Int           // {arch}.block_count
  public var ffnDim: Int            // {arch}.feed_forward_length
  public var nHeads: Int            // {arch}.attention.head_count
  public var nKVHeads: Int          // {arch}.attention.head_count_kv
  public var headDim: Int           // {arch}.attention.key_length, else dModel / nHeads
  public var ropeBase: Float        // {arch}.rope.freq_base
  public var ropeStyle: RoPEStyle
  public var rmsNormEpsilon: Float  // {arch}.attention.layer_norm_rms_epsilon
  public var vocabSize: Int
  public var contextLength: Int
  public var tiedOutput: Bool       // no output.weight: logits use token_embd

  public var queriesPerKVHead: Int { nHeads / nKVHeads }
  public var qDim: Int { nHeads * headDim }
  public var kvDim: Int { nKVHeads * headDim }

  public init(architecture: String = "llama", dModel: Int, nLayers: Int, ffnDim: Int, nHeads: Int, nKVHeads: Int,
              headDim: Int? = nil, ropeBase: Float = 10_000, ropeStyle: RoPEStyle = .adjacentPairs,
              rmsNormEpsilon: Float = 1e-5, vocabSize: Int, contextLength: Int = 2048, tiedOutput: Bool = true) {
    self.architecture = architecture
    self.dModel = dModel
    self.nLayers = nLayers
    self.ffnDim = ffnDim
    self.nHeads = nHeads
    self.nKVHeads = nKVHeads
    self.headDim = headDim ?? dModel / nHeads
    self.ropeBase = ropeBase
    self.ropeStyle = ropeStyle
    self.rmsNormEpsilon = rmsNormEpsilon
    self.vocabSize = vocabSize
    self.contextLength = contextLength
    self.tiedOutput = tiedOutput
  }

  /// Architectures this build runs, with their RoPE pairing (llama.cpp `llama_model_rope_type`).
  public static let supportedArchitectures: [String: RoPEStyle] = ["llama": .adjacentPairs, "qwen2": .neox]

  /// Reads the configuration from GGUF metadata.
  public init(gguf file: GGUFFile) throws {
    let arch = try file.string(GGUFKey.General.architecture)
    guard let style = LlamaConfiguration.supportedArchitectures[arch] else {
      throw LlamaError.unsupportedArchitecture(arch, supported: LlamaConfiguration.supportedArchitectures.keys.sorted())
    }
    let dModel = try file.integer(GGUFKey.LLM.embeddingLength(arch))
    let nHeads = try file.integer(GGUFKey.LLM.headCount(arch))
    let nKV = (try? file.integer(GGUFKey.LLM.headCountKV(arch))) ?? nHeads
    let headDim = (try? file.integer(GGUFKey.LLM.keyLength(arch))) ?? dModel / max(nHeads, 1)
    let embedding = try file.tensor(named: "token_embd.weight")
    let vocab = (try? file.integer(GGUFKey.LLM.vocabSize(arch))) ?? embedding.dimensions.last ?? 0
    self.init(
      architecture: arch, dModel: dModel, nLayers: try file.integer(GGUFKey.LLM.blockCount(arch)),
      ffnDim: try file.integer(GGUFKey.LLM.feedForwardLength(arch)), nHeads: nHeads, nKVHeads: nKV, headDim: headDim,
      ropeBase: Float((try? file.double(GGUFKey.LLM.ropeFrequencyBase(arch))) ?? 10_000), ropeStyle: style,
      rmsNormEpsilon: Float(try file.double(GGUFKey.LLM.rmsEpsilon(arch))), vocabSize: vocab,
      contextLength: (try? file.integer(GGUFKey.LLM.contextLength(arch))) ?? 2048,
      tiedOutput: !file.hasTensor("output.weight"))
    try validate()
    // A block count the tensors do not back (a corrupted or hostile header) must fail here, before any
    // per-block allocation.
    let lastBlock = "blk.\(nLayers - 1).attn_norm.weight"
    guard file.hasTensor(lastBlock) else {
      throw LlamaError.badConfiguration(
        "\(GGUFKey.LLM.blockCount(arch)) says \(nLayers) blocks, but the file has no tensor '\(lastBlock)'")
    }
  }

  public func validate() throws {
    let limit = 1 << 20
    guard dModel > 0, nLayers > 0, ffnDim > 0, nHeads > 0, nKVHeads > 0, headDim > 0, headDim % 2 == 0,
      nHeads % nKVHeads == 0, vocabSize > 0,
      [dModel, nLayers, ffnDim, nHeads, headDim, vocabSize].allSatisfy({ $0 <= limit })
    else {
      throw LlamaError.badConfiguration("d_model \(dModel), blocks \(nLayers), ffn \(ffnDim), heads \(nHeads)/\(nKVHeads), head dim \(headDim), vocab \(vocabSize)")
    }
  }
}

public enum LlamaError: Error, CustomStringConvertible, Equatable {
  case unsupportedArchitecture(String, supported: [String])
  case badConfiguration(String)
  case tensorShape(name: String, expected: [Int], found: [Int])
  case tokenOutOfRange(id: Int, vocabSize: Int)
  case sequenceTooLong(length: Int, limit: Int)
  case badHookPoint(String)
  case layerOutOfRange(layer: Int, layers: Int)
  case badVector(what: String, expected: Int, found: Int)
  case nonFiniteWeight(tensor: String, index: Int, value: Float)

  public var description: String {
    switch self {
    case .unsupportedArchitecture(let arch, let supported):
      "architecture '\(arch)' is not supported; this build runs dense \(supported.joined(separator: ", ")) models (a GGUF converted from a Llama-family checkpoint)"
    case .badConfiguration(let what):
      "the model's dimensions are inconsistent (\(what)); is the GGUF metadata complete?"
    case .tensorShape(let name, let expected, let found):
      "tensor '\(name)' has GGUF dimensions \(found), expected \(expected) for this configuration"
    case .tokenOutOfRange(let id, let vocab):
      "token id \(id) is outside the vocabulary (0..<\(vocab))"
    case .sequenceTooLong(let length, let limit):
      "a sequence of \(length) tokens exceeds the cache capacity of \(limit); use shorter windows or a larger --max-tokens budget"
    case .badHookPoint(let text):
      "'\(text)' is not a hook point; expected blocks.L.hook_resid_pre, hook_resid_post, hook_attn_out or hook_mlp_out"
    case .layerOutOfRange(let layer, let layers):
      "block \(layer) does not exist; this model has blocks 0...\(layers - 1)"
    case .nonFiniteWeight(let tensor, let index, let value):
      "tensor '\(tensor)' holds \(value) at flat index \(index); a model's weights must be finite (the file is damaged or was converted wrongly)"
    case .badVector(let what, let expected, let found):
      "\(what) has \(found) values, expected d_model = \(expected)"
    }
  }
}
