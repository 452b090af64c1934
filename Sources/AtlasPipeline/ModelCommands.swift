import AtlasArtifacts
import Foundation
import GGUF
import Llama
import Tokenization

/// Library entry points behind `inspect`, `forward` and `generate`.
public enum ModelCommands {
  /// The inspection report of a GGUF file (or wheel).
  public static func inspect(_ url: URL) throws -> String {
    GGUFInspection(try GGUFFile(url: url)).render()
  }

  /// Tokenizes `text` as plain text (no BOS, no special tokens), runs the model and writes `token_ids`
  /// I32 [T], the hook activations F32 [T, dModel] and `logits` F32 [T, vocab] to a safetensors file.
  /// The stable interface used by independent checks.
  @discardableResult
  public static func forward(model: LanguageModel, text: String, hooks: [String], output: URL) throws -> Int {
    let ids = model.tokenizer.encode(text)
    let points = try hooks.map { try HookPoint(name: $0) }
    var observer = RecordingObserver(Set(points))
    var writer = SafeTensorsWriter(metadata: ["generated_by": "feature-atlas forward"])
    writer.add("token_ids", int32s: ids.map { Int32($0) }, shape: [ids.count])
    if !ids.isEmpty {
      let logits = try model.model.forward([ids], observer: &observer, logits: .all)
      for p in points {
        let m = observer.recorded[p]!
        writer.add(p.name, floats: m.storage, shape: [m.rows, m.columns])
      }
      if let logits { writer.add("logits", floats: logits.storage, shape: [logits.rows, logits.columns]) }
    }
    try writer.write(to: output)
    return ids.count
  }

  /// Greedy or sampled continuation of a prompt (optionally through the chat template).
  public static func generate(model: LanguageModel, prompt: String, chat: Bool, sampling: SamplingConfiguration) throws -> String {
    let ids = chat ? try model.chatPrompt(prompt) : model.tokenizer.encode(prompt)
    var sampling = sampling
    if sampling.stopTokens.isEmpty { sampling.stopTokens = model.stopTokens }
    let result = try model.model.generate([GenerationRequest(prompt: ids)], sampling: sampling)[0]
    let visible = result.tokens.filter { !sampling.stopTokens.contains($0) }
    return model.tokenizer.decodeText(visible)
  }
}
