// Chat templates as code (no Jinja engine): the two formats this project's models use, detected from the
// GGUF `tokenizer.chat_template` text or chosen explicitly.
//   ChatML (SmolLM2, Qwen):  <|im_start|>{role}\n{content}<|im_end|>\n ... <|im_start|>assistant\n
//   Llama 3:                 <|begin_of_text|><|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|> ...

public enum ChatRole: String, Sendable, Codable, CaseIterable {
  case system, user, assistant
}

public struct ChatMessage: Sendable, Equatable, Codable {
  public var role: ChatRole
  public var content: String

  public init(role: ChatRole, content: String) {
    self.role = role
    self.content = content
  }

  public static func system(_ content: String) -> ChatMessage { ChatMessage(role: .system, content: content) }
  public static func user(_ content: String) -> ChatMessage { ChatMessage(role: .user, content: content) }
  public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: .assistant, content: content) }
}

/// A rendered conversation: special tokens the template inserts, and ordinary text (roles, contents).
public enum ChatSegment: Sendable, Equatable {
  case special(String)
  case text(String)
}

public enum ChatTemplate: Sendable, Equatable {
  /// `<|im_start|>role\ncontent<|im_end|>\n`; when the first message is not a system message, a system message
  /// with `defaultSystem` is inserted first (SmolLM2's template does this; nil inserts nothing).
  case chatML(defaultSystem: String?)
  /// Llama 3 Instruct: `<|begin_of_text|>` then `<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>`
  /// per message, contents trimmed of surrounding whitespace as the official template does.
  case llama3

  /// The system prompt SmolLM2-Instruct's template inserts when the conversation has none.
  public static let smolLM2DefaultSystem = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"

  /// The template a GGUF `tokenizer.chat_template` text implements. For ChatML, the default system prompt is
  /// read from a literal `<|im_start|>system\n...<|im_end|>` in the template, if it has one.
  public static func detect(fromTemplateText template: String) throws -> ChatTemplate {
    if template.contains("<|start_header_id|>") { return .llama3 }
    guard template.contains("<|im_start|>") else {
      throw TokenizationError.unsupportedChatTemplate(excerpt: String(template.prefix(60)))
    }
    for opening in ["<|im_start|>system\n", "<|im_start|>system\\n"] {
      guard let start = template.firstRange(of: opening), let end = template[start.upperBound...].firstRange(of: "<|im_end|>")
      else { continue }
      let system = template[start.upperBound ..< end.lowerBound]
      // A literal prompt only: no Jinja expressions or string concatenation inside.
      if !system.contains("{") && !system.contains("'") && !system.contains("\"") {
        return .chatML(defaultSystem: String(system))
      }
    }
    return .chatML(defaultSystem: nil)
  }

  /// The conversation as segments (adjacent text merged), ending with the assistant header when
  /// `addGenerationPrompt`.
  public func segments(_ messages: [ChatMessage], addGenerationPrompt: Bool) -> [ChatSegment] {
    var segments: [ChatSegment] = []
    func special(_ text: String) { segments.append(.special(text)) }
    func text(_ text: String) {
      guard !text.isEmpty else { return }
      if case .text(let previous) = segments.last {
        segments[segments.count - 1] = .text(previous + text)
      } else {
        segments.append(.text(text))
      }
    }
    switch self {
    case .chatML(let defaultSystem):
      var messages = messages
      if let defaultSystem, let first = messages.first, first.role != .system {
        messages.insert(.system(defaultSystem), at: 0)
      }
      for message in messages {
        special("<|im_start|>")
        text(message.role.rawValue + "\n" + message.content)
        special("<|im_end|>")
        text("\n")
      }
      if addGenerationPrompt {
        special("<|im_start|>")
        text("assistant\n")
      }
    case .llama3:
      special("<|begin_of_text|>")
      for message in messages {
        special("<|start_header_id|>")
        text(message.role.rawValue)
        special("<|end_header_id|>")
        text("\n\n" + Self.trimmed(message.content))
        special("<|eot_id|>")
      }
      if addGenerationPrompt {
        special("<|start_header_id|>")
        text("assistant")
        special("<|end_header_id|>")
        text("\n\n")
      }
    }
    return segments
  }

  /// The conversation as one string, as the Jinja template would print it.
  public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool) -> String {
    segments(messages, addGenerationPrompt: addGenerationPrompt).map { segment in
      switch segment {
      case .special(let text), .text(let text): text
      }
    }.joined()
  }

  var name: String {
    switch self {
    case .chatML: "ChatML"
    case .llama3: "Llama 3"
    }
  }

  /// Jinja's `trim`: whitespace removed from both ends.
  static func trimmed(_ text: String) -> String {
    let scalars = text.unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
      let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
    else { return "" }
    return String(scalars[first ... last])
  }
}

extension BPETokenizer {
  /// Token ids of a conversation: the template's special tokens as their ids, every text segment (roles and
  /// message contents) encoded as plain text. A message containing "<|im_end|>" therefore cannot inject a
  /// special token. Gives the same ids as llama.cpp tokenizing `template.render(...)` with special parsing
  /// whenever the contents hold no special-token text.
  public func encodeChat(_ messages: [ChatMessage], template: ChatTemplate, addGenerationPrompt: Bool = true) throws
    -> [Int]
  {
    var encoder = makeEncoder()
    var ids: [Int] = []
    for segment in template.segments(messages, addGenerationPrompt: addGenerationPrompt) {
      switch segment {
      case .special(let text):
        guard let id = id(of: text) else {
          throw TokenizationError.missingSpecialToken(text, template: template.name)
        }
        ids.append(id)
      case .text(let text):
        ids += encoder.encode(text, parseSpecial: false)
      }
    }
    return ids
  }
}
