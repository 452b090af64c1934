import AtlasArtifacts
import Foundation
import SparseAutoencoders
import TensorMath
import Testing

/// Hand-built sparsify files: `cfg.json` + `sae.safetensors` with encoder.weight [L, d_in].
@Suite("sparsify format")
struct SparsifyFormatTests {
  static let dIn = 8, latents = 16

  static func tensors(seed: UInt64) -> [String: (shape: [Int], values: [Float])] {
    [
      "encoder.weight": ([latents, dIn], SAELensFormatTests.exactValues(latents * dIn, seed: seed)),
      "encoder.bias": ([latents], SAELensFormatTests.exactValues(latents, seed: seed + 1)),
      "W_dec": ([latents, dIn], SAELensFormatTests.exactValues(latents * dIn, seed: seed + 2)),
      "b_dec": ([dIn], SAELensFormatTests.exactValues(dIn, seed: seed + 3)),
    ]
  }

  static let config = Data("""
    {"activation": "topk", "expansion_factor": 2, "normalize_decoder": true, "num_latents": 0, "k": 3,
     "multi_topk": false, "skip_connection": false, "transcode": false, "d_in": 8}
    """.utf8)

  @Test("A sparsify TopK coder encodes as top-k of ReLU((x − b_dec)·encoder.weightᵀ + encoder.bias)")
  func encodes() throws {
    let t = Self.tensors(seed: 1)
    let loaded = try SparsifyFormat.decode(cfg: Self.config, weights: SAELensFormatTests.weights(t, dtype: .bf16), expectedDIn: 8)
    let sae = loaded.autoencoder
    #expect(sae.activation == .topK(k: 3))
    #expect(sae.dSAE == 16)
    let x = TestData.gaussian(rows: 10, columns: 8, seed: 2)
    let codes = sae.encode(x)
    let decoded = sae.decode(codes)
    for r in 0 ..< 10 {
      let pre = (0 ..< 16).map { j in
        (0 ..< 8).reduce(Double(t["encoder.bias"]!.values[j])) {
          $0 + Double(x[r, $1] - t["b_dec"]!.values[$1]) * Double(t["encoder.weight"]!.values[j * 8 + $1])
        }
      }
      let top = Selection.referenceTopK(pre.map { Float(max($0, 0)) }, k: 3).filter { pre[$0] > 0 }
      #expect(Set(codes.row(r).map(\.latent)) == Set(top))
      for i in 0 ..< 8 {
        let v = top.reduce(Double(t["b_dec"]!.values[i])) { $0 + pre[$1] * Double(t["W_dec"]!.values[$1 * 8 + i]) }
        #expect(abs(Double(decoded[r, i]) - v) < 1e-4)
      }
    }
  }

  @Test("W_dec transposed (as SAELens' converter writes it) and a cfg without d_in load the same coder")
  func orientationAndWidth() throws {
    let t = Self.tensors(seed: 3)
    var flipped = t
    flipped["W_dec"] = ([8, 16], SAELensFormatTests.transpose(t["W_dec"]!.values, rows: 16, columns: 8))
    flipped["encoder.weight"] = ([8, 16], SAELensFormatTests.transpose(t["encoder.weight"]!.values, rows: 16, columns: 8))
    let old = Data(#"{"activation": "topk", "num_latents": 16, "k": 3}"#.utf8)
    let a = try SparsifyFormat.decode(cfg: Self.config, weights: SAELensFormatTests.weights(t))
    let b = try SparsifyFormat.decode(cfg: old, weights: SAELensFormatTests.weights(flipped))
    #expect(a.autoencoder == b.autoencoder)
    #expect(b.adjustments.count == 2)
    let folded = try SparsifyFormat.decode(cfg: Self.config, weights: SAELensFormatTests.weights(t), foldDecoderNorms: true)
    #expect(folded.autoencoder.decoderNorms.allSatisfy { abs($0 - 1) < 1e-5 })
  }

  @Test("Transcoders, skip connections, groupmax, a missing decoder and a wrong width are refused")
  func refusals() throws {
    let t = Self.tensors(seed: 5)
    func decode(_ cfg: String, _ tensors: [String: (shape: [Int], values: [Float])] = Self.tensors(seed: 5),
                expectedDIn: Int? = nil) throws {
      _ = try SparsifyFormat.decode(cfg: Data(cfg.utf8), weights: SAELensFormatTests.weights(tensors), expectedDIn: expectedDIn)
    }
    #expect(throws: SAEFormatError.self) { try decode(#"{"activation": "topk", "k": 3, "num_latents": 16, "transcode": true}"#) }
    var skip = t
    skip["W_skip"] = ([8, 8], Array(repeating: 0, count: 64))
    #expect(throws: SAEFormatError.self) { try decode(#"{"activation": "topk", "k": 3, "num_latents": 16}"#, skip) }
    #expect(throws: SAEFormatError.unknownArchitecture("sparsify activation groupmax", supported: ["sparsify activation topk"])) {
      try decode(#"{"activation": "groupmax", "k": 3, "num_latents": 16}"#)
    }
    var noDecoder = t
    noDecoder["W_dec"] = nil
    #expect(throws: SAEFormatError.missingTensor(name: "W_dec", available: ["b_dec", "encoder.bias", "encoder.weight"])) {
      try decode(#"{"activation": "topk", "k": 3, "num_latents": 16}"#, noDecoder)
    }
    #expect(throws: SAEFormatError.dInMismatch(expected: 576, found: 8)) {
      try decode(#"{"activation": "topk", "k": 3, "num_latents": 16, "d_in": 8}"#, expectedDIn: 576)
    }
    #expect(throws: SAEFormatError.tensorShape(name: "encoder.weight", expected: [32, 8], found: [16, 8])) {
      try decode(#"{"activation": "topk", "k": 3, "expansion_factor": 4, "num_latents": 0, "d_in": 8}"#)
    }
  }
}
