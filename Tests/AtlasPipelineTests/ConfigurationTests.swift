import AtlasArtifacts
import AtlasPipeline
import Foundation
import Testing

@Suite("Configuration")
struct ConfigurationTests {
  @Test("The commented file `init` writes loads back to exactly the default configuration")
  func templateRoundTrip() throws {
    let text = try ConfigurationTemplate.text()
    let loaded = try AtlasConfiguration.load(yaml: text, over: AtlasConfiguration(), source: "atlas.yaml")
    #expect(loaded == (try AtlasConfiguration.preset("default")))
  }

  @Test("A YAML file changes only the keys it names; nested sections merge")
  func partialOverride() throws {
    let yaml = """
      title: My atlas
      corpus:
        tokens: 50000
        sources:
          - path: /data/texts
            weight: 2
          - default: true
      sae:
        training:
          latents: 2048
          architecture: {type: batchtopk}
      steering:
        strengths: [1, 3]
      """
    let base = try AtlasConfiguration.preset("default")
    let c = try AtlasConfiguration.load(yaml: yaml, over: base, source: "test.yaml")
    #expect(c.title == "My atlas")
    #expect(c.corpus.tokens == 50_000)
    #expect(c.corpus.windowLength == base.corpus.windowLength)
    #expect(c.corpus.sources == [CorpusSourceSpecification(path: "/data/texts", weight: 2), CorpusSourceSpecification(default: true)])
    #expect(c.sae.training.latents == 2048)
    #expect(c.sae.training.architecture == .batchTopK(k: base.sae.training.architecture.k ?? 0))  // k kept: only `type` changed
    #expect(c.sae.training.batchSize == base.sae.training.batchSize)
    #expect(c.steering.strengths == [1, 3])
    #expect(c.layout == base.layout)
  }

  @Test("An unknown key is an error naming it and listing the known keys; a wrong type names the key")
  func errors() throws {
    let base = AtlasConfiguration()
    #expect {
      _ = try AtlasConfiguration.load(yaml: "corpus:\n  tokns: 5\n", over: base, source: "a.yaml")
    } throws: { error in
      let text = "\(error)"
      return text.contains("corpus.tokns") && text.contains("tokens") && text.contains("windowLength")
    }
    #expect {
      _ = try AtlasConfiguration.load(yaml: "corpus:\n  tokens: lots\n", over: base, source: "b.yaml")
    } throws: { error in "\(error)".contains("corpus.tokens") }
    #expect(throws: PipelineError.self) { try AtlasConfiguration.load(yaml: "corpus: [unclosed", over: base, source: "c.yaml") }
    #expect(throws: PipelineError.self) { try AtlasConfiguration.preset("huge") }
  }

  @Test("Presets: the default run is at least 300,000 tokens and 4,096 latents; quick is small")
  func presets() throws {
    let standard = try AtlasConfiguration.preset("default")
    #expect(standard.corpus.tokens >= 300_000)
    #expect(standard.sae.training.latents >= 4096)
    let quick = try AtlasConfiguration.preset("quick")
    #expect(quick.corpus.tokens < standard.corpus.tokens)
    #expect(quick.sae.training.latents < standard.sae.training.latents)
  }
}
