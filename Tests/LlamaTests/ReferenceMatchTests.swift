import AtlasArtifacts
import Foundation
import Llama
import TensorMath
import Testing

/// The engine against Hugging Face transformers (fp32, same dequantized weights) on the reference cases.
@Suite("Forward pass matches the transformers reference", .enabled(if: TestModel.available))
struct ReferenceMatchTests {
  static let cases = ["prose", "code", "mixed", "chat"]
  static let layers = [0, 7, 15, 29]

  @Test("Batched path: residual streams ≤ 1e-4 relative, logits ≤ 1e-2, argmax identical", arguments: cases)
  func batched(name: String) throws {
    let model = try #require(TestModel.smolLM2)
    let reference = try SafeTensorsFile(url: try TestModel.fixture("forward-\(name).safetensors"))
    let ids = try reference.integers("token_ids")
    var observer = RecordingObserver(Set(Self.layers.map { HookPoint.residualOutput(layer: $0) }))
    let logits = try #require(try model.forward([ids], observer: &observer, logits: .all))
    try check(name, ids: ids, residuals: observer.recorded, logits: logits, reference: reference)
  }

  @Test("Reference (token-by-token) path matches the same golden data", arguments: ["prose", "chat"])
  func tokenByToken(name: String) throws {
    let model = try #require(TestModel.smolLM2)
    let reference = try SafeTensorsFile(url: try TestModel.fixture("forward-\(name).safetensors"))
    let ids = try reference.integers("token_ids")
    let output = try model.referenceForward(
      tokens: ids, capture: Set(Self.layers.map { HookPoint.residualOutput(layer: $0) }))
    try check(name, ids: ids, residuals: output.activations, logits: try #require(output.logits), reference: reference)
  }

  func check(_ name: String, ids: [Int], residuals: [HookPoint: Matrix], logits: Matrix,
             reference: SafeTensorsFile) throws {
    let T = ids.count
    for layer in Self.layers {
      let point = HookPoint.residualOutput(layer: layer)
      let expected = try reference.floats(point.name)
      let got = try #require(residuals[point])
      #expect(got.rows == T && got.columns == 576)
      var worst = 0.0
      for t in 0 ..< T {
        worst = max(worst, relativeError(got.row(t), expected[t * 576 ..< (t + 1) * 576]))
      }
      #expect(worst <= 1e-4, "\(name) \(point.name): worst relative error \(worst)")
    }
    let topIDs = try reference.integers("logits_top_ids")
    let topValues = try reference.floats("logits_top_values")
    var worstLogit: Float = 0
    for t in 0 ..< T {
      let row = logits.row(t)
      for j in 0 ..< 32 {
        worstLogit = max(worstLogit, abs(row[row.startIndex + topIDs[t * 32 + j]] - topValues[t * 32 + j]))
      }
      let argmax = row.indices.max { row[$0] < row[$1] }! - row.startIndex
      #expect(argmax == topIDs[t * 32], "\(name): argmax differs at position \(t)")
    }
    let last = try reference.floats("logits_last")
    for (a, b) in zip(logits.row(T - 1), last) { worstLogit = max(worstLogit, abs(a - b)) }
    #expect(worstLogit <= 1e-2, "\(name): worst logit difference \(worstLogit)")
  }

  @Test("Golden values of FACTS.md: ' Paris' after 'The capital of France is', block-14 residual norms")
  func goldenValues() throws {
    let model = try #require(TestModel.smolLM2)
    let ids = [0, 504, 3575, 282, 4649, 314]
    var observer = RecordingObserver([.residualOutput(layer: 14)])
    let logits = try #require(try model.forward([ids], observer: &observer, logits: .lastOfEachSequence))
    let row = Array(logits.row(0))
    let top = row.indices.sorted { row[$0] > row[$1] }.prefix(3)
    #expect(Array(top) == [7042, 260, 441])
    #expect(abs(row[7042] - 17.076) < 0.01)
    let resid = try #require(observer.recorded[.residualOutput(layer: 14)])
    let lastNorm = resid.row(5).reduce(0) { $0 + $1 * $1 }.squareRoot()
    let sinkNorm = resid.row(0).reduce(0) { $0 + $1 * $1 }.squareRoot()
    #expect(abs(lastNorm - 159.19) < 0.05)
    #expect(abs(sinkNorm - 20573.5) / 20573.5 < 1e-4)
    let first4 = Array(resid.row(5).prefix(4))
    for (a, b) in zip(first4, [8.1883, -5.2454, -9.4910, -0.5632] as [Float]) { #expect(abs(a - b) < 2e-3) }
  }
}
