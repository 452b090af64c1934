import AtlasArtifacts
import Testing

@Suite("Model record")
struct ModelRecordTests {
  static func record(file: String, name: String = "Smollm2 135M 8k Lc100K Mix1 Ep2") -> ModelRecord {
    ModelRecord(file: file, sha256: "00", name: name, architecture: "llama", dModel: 576, layers: 30, vocabularySize: 49152)
  }

  @Test("A model is shown by its file name without extension and quantisation, not by the GGUF's training-run name")
  func displayName() {
    #expect(Self.record(file: "/models/SmolLM2-135M-Instruct.Q4_1.gguf").displayName == "SmolLM2-135M-Instruct")
    #expect(Self.record(file: "qwen2.5-0.5b-instruct.F16.gguf").displayName == "qwen2.5-0.5b-instruct")
    #expect(Self.record(file: "model.bf16.safetensors").displayName == "model")
    // A dot that is not a quantisation suffix stays.
    #expect(Self.record(file: "my.model.gguf").displayName == "my.model")
    // Nothing in the file name: the stored name.
    #expect(Self.record(file: "").displayName == "Smollm2 135M 8k Lc100K Mix1 Ep2")
  }
}
