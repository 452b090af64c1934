import AtlasArtifacts
import Foundation
import SparseAutoencoders
import TensorMath
import Testing

/// SAEs saved by SAELens 6.54.12 itself (Fixtures/saelens, see its README) must encode and decode as SAELens does.
@Suite("SAELens golden files")
struct SAELensReferenceTests {
  @Test("Our encodings and reconstructions match SAELens'", arguments: ["topk", "topk_rescaled", "jumprelu", "gated", "standard"])
  func matchesSAELens(_ name: String) throws {
    let fixtures = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    let folder = fixtures.appendingPathComponent("saelens").appendingPathComponent(name)
    let cfg = try Data(contentsOf: folder.appendingPathComponent(SAELensFormat.configFile))
    let weights = try Data(contentsOf: folder.appendingPathComponent(SAELensFormat.weightsFile))
    let cases = try SafeTensorsFile(bytes: Data(contentsOf: folder.appendingPathComponent("cases.safetensors")))
    let loaded = try SAELensFormat.decode(cfg: cfg, weights: weights, expectedDIn: 16)
    #expect(loaded.metadata.hookName == "blocks.15.hook_resid_post")
    #expect(loaded.metadata.modelName == "fixture")
    let inputs = Matrix(rows: 10, columns: 16, storage: try cases.floats("inputs"))
    let expectedActs = try cases.floats("feature_acts")
    let expectedReconstruction = try cases.floats("reconstruction")

    let codes = loaded.autoencoder.encode(inputs)
    let dense = codes.dense()
    #expect(dense.columns == 32)
    for r in 0 ..< 10 {
      let expectedActive = (0 ..< 32).filter { expectedActs[r * 32 + $0] != 0 }
      #expect(codes.row(r).map(\.latent) == expectedActive, "\(name) row \(r)")
    }
    #expect(TestData.maxAbsDifference(dense.storage, expectedActs) < 1e-5)
    #expect(TestData.maxAbsDifference(loaded.autoencoder.decode(codes).storage, expectedReconstruction) < 1e-5)

    // Our own save of it loads back to the same encodings (and, for un-rescaled files, the same weights).
    let (ourCfg, ourWeights) = try SAELensFormat.encode(loaded.autoencoder, metadata: loaded.metadata)
    let again = try SAELensFormat.decode(cfg: ourCfg, weights: ourWeights, expectedDIn: 16)
    #expect(again.autoencoder == loaded.autoencoder)
  }
}
