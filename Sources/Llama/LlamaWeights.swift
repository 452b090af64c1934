import GGUF
import TensorMath

/// Weights of one transformer block, dequantized to Float32 when the model loads.
/// Rows are output units (`W[out, in]`), so `h · Wᵀ` is one sgemm with transB.
public struct LlamaBlockWeights: Sendable {
  public var attentionNorm: [Float]  // [dModel]
  public var qkv: Matrix             // [qDim + 2 * kvDim, dModel]  rows: q (nHeads*headDim), k, v
  public var qkvBias: [Float]?       // [qDim + 2 * kvDim] (qwen2 only)
  public var output: Matrix          // [dModel, qDim]
  public var ffnNorm: [Float]        // [dModel]
  public var gateUp: Matrix          // [2 * ffnDim, dModel]  rows: gate, then up
  public var down: Matrix            // [dModel, ffnDim]
}

/// All weights of the model.
public struct LlamaWeights: Sendable {
  public var tokenEmbedding: Matrix  // [vocab, dModel]
  public var blocks: [LlamaBlockWeights]
  public var outputNorm: [Float]     // [dModel]
  public var output: Matrix?         // [vocab, dModel] when not tied to the embedding

  /// The unembedding used for logits (tied: the token embedding).
  public var unembedding: Matrix { output ?? tokenEmbedding }

  /// A NaN or Inf weight (a damaged or hostile file) would silently turn every output into NaN: refused,
  /// with the tensor and the index.
  static func finite(_ values: [Float], _ name: String) throws -> [Float] {
    if let bad = values.firstIndex(where: { !$0.isFinite }) {
      throw LlamaError.nonFiniteWeight(tensor: name, index: bad, value: values[bad])
    }
    return values
  }

  /// Dequantizes every tensor the configuration needs (blocks in parallel).
  // GGUF lists dims innermost-first: "blk.0.attn_k.weight" [576, 192] is a row-major 192×576 matrix.
  // The conversion happens here and nowhere else.
  public init(gguf file: GGUFFile, configuration c: LlamaConfiguration) throws {
    func matrix(_ name: String, rows: Int, columns: Int) throws -> Matrix {
      let info = try file.tensor(named: name)
      guard info.dimensions == [columns, rows] else {
        throw LlamaError.tensorShape(name: name, expected: [columns, rows], found: info.dimensions)
      }
      return Matrix(rows: rows, columns: columns, storage: try LlamaWeights.finite(file.dequantize(info), name))
    }
    func vector(_ name: String, _ n: Int) throws -> [Float] {
      let info = try file.tensor(named: name)
      guard info.dimensions == [n] else { throw LlamaError.tensorShape(name: name, expected: [n], found: info.dimensions) }
      return try LlamaWeights.finite(file.dequantize(info), name)
    }
    func optionalVector(_ name: String, _ n: Int) throws -> [Float]? {
      file.hasTensor(name) ? try vector(name, n) : nil
    }

    let d = c.dModel
    tokenEmbedding = try matrix("token_embd.weight", rows: c.vocabSize, columns: d)
    outputNorm = try vector("output_norm.weight", d)
    output = c.tiedOutput ? nil : try matrix("output.weight", rows: c.vocabSize, columns: d)

    var results = [Result<LlamaBlockWeights, Error>?](repeating: nil, count: c.nLayers)
    let box = UnsafeSendable(file)
    results.withUnsafeMutableBufferPointer { buffer in
      let out = UnsafeSendable(buffer)
      Parallel.forEach(c.nLayers) { l in
        out.value[l] = Result { try LlamaWeights.block(l, box.value, c) }
      }
    }
    blocks = try results.map { try $0!.get() }
  }

  private static func block(_ l: Int, _ file: GGUFFile, _ c: LlamaConfiguration) throws -> LlamaBlockWeights {
    let d = c.dModel
    func matrix(_ name: String, rows: Int, columns: Int) throws -> [Float] {
      let info = try file.tensor(named: "blk.\(l).\(name)")
      guard info.dimensions == [columns, rows] else {
        throw LlamaError.tensorShape(name: info.name, expected: [columns, rows], found: info.dimensions)
      }
      return try LlamaWeights.finite(file.dequantize(info), info.name)
    }
    func vector(_ name: String, _ n: Int) throws -> [Float] {
      let info = try file.tensor(named: "blk.\(l).\(name)")
      guard info.dimensions == [n] else { throw LlamaError.tensorShape(name: info.name, expected: [n], found: info.dimensions) }
      return try LlamaWeights.finite(file.dequantize(info), info.name)
    }
    let q = try matrix("attn_q.weight", rows: c.qDim, columns: d)
    let k = try matrix("attn_k.weight", rows: c.kvDim, columns: d)
    let v = try matrix("attn_v.weight", rows: c.kvDim, columns: d)
    var bias: [Float]?
    if file.hasTensor("blk.\(l).attn_q.bias") {
      bias = try vector("attn_q.bias", c.qDim) + vector("attn_k.bias", c.kvDim) + vector("attn_v.bias", c.kvDim)
    }
    let gate = try matrix("ffn_gate.weight", rows: c.ffnDim, columns: d)
    let up = try matrix("ffn_up.weight", rows: c.ffnDim, columns: d)
    return LlamaBlockWeights(
      attentionNorm: try vector("attn_norm.weight", d),
      qkv: Matrix(rows: c.qDim + 2 * c.kvDim, columns: d, storage: q + k + v),
      qkvBias: bias,
      output: Matrix(rows: d, columns: c.qDim, storage: try matrix("attn_output.weight", rows: d, columns: c.qDim)),
      ffnNorm: try vector("ffn_norm.weight", d),
      gateUp: Matrix(rows: 2 * c.ffnDim, columns: d, storage: gate + up),
      down: Matrix(rows: d, columns: c.ffnDim, storage: try matrix("ffn_down.weight", rows: d, columns: c.ffnDim)))
  }

  /// Random weights for tests of the batched path against the reference (no file needed).
  public static func random(_ c: LlamaConfiguration, seed: UInt64) -> LlamaWeights {
    var rng = SplitMix64(seed: seed)
    func m(_ r: Int, _ cols: Int, _ scale: Float) -> Matrix {
      Matrix(rows: r, columns: cols, storage: (0 ..< r * cols).map { _ in rng.nextGaussian() * scale })
    }
    func norm(_ n: Int) -> [Float] { (0 ..< n).map { _ in 1 + 0.1 * rng.nextGaussian() } }
    let d = c.dModel
    let s = 1 / Float(d).squareRoot()
    let blocks = (0 ..< c.nLayers).map { _ in
      LlamaBlockWeights(
        attentionNorm: norm(d), qkv: m(c.qDim + 2 * c.kvDim, d, s), qkvBias: nil, output: m(d, c.qDim, s),
        ffnNorm: norm(d), gateUp: m(2 * c.ffnDim, d, s), down: m(d, c.ffnDim, 1 / Float(c.ffnDim).squareRoot()))
    }
    return LlamaWeights(tokenEmbedding: m(c.vocabSize, d, 1), blocks: blocks, outputNorm: norm(d),
                        output: c.tiedOutput ? nil : m(c.vocabSize, d, s))
  }

  init(tokenEmbedding: Matrix, blocks: [LlamaBlockWeights], outputNorm: [Float], output: Matrix?) {
    self.tokenEmbedding = tokenEmbedding
    self.blocks = blocks
    self.outputNorm = outputNorm
    self.output = output
  }
}
