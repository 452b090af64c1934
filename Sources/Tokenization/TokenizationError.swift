/// What can be wrong with a vocabulary, a pre-tokenizer name or a chat template.
public enum TokenizationError: Error, CustomStringConvertible, Equatable, Sendable {
  case emptyVocabulary
  case tokenTypeCountMismatch(tokens: Int, tokenTypes: Int)
  case duplicateToken(String, firstID: Int, secondID: Int)
  case malformedMerge(index: Int, text: String)
  case unsupportedPreTokenizer(String)
  case unsupportedChatTemplate(excerpt: String)
  case missingSpecialToken(String, template: String)

  public var description: String {
    switch self {
    case .emptyVocabulary:
      "the vocabulary has no tokens; expected the GGUF key tokenizer.ggml.tokens to list them"
    case .tokenTypeCountMismatch(let tokens, let types):
      "the vocabulary has \(tokens) tokens but \(types) token types; the two arrays must have the same length "
        + "(pass nil token types to treat every token as normal)"
    case .duplicateToken(let text, let first, let second):
      "token '\(text)' appears twice in the vocabulary (ids \(first) and \(second)); each token text must be unique"
    case .malformedMerge(let index, let text):
      "merge \(index) is '\(text)'; expected two tokens separated by one space, like 'Ġ t'"
    case .unsupportedPreTokenizer(let name):
      "pre-tokenizer '\(name)' is not supported; this build supports "
        + PreTokenizer.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        + " (aliases: " + PreTokenizer.aliases.keys.sorted().map { "'\($0)'" }.joined(separator: ", ") + ")"
    case .unsupportedChatTemplate(let excerpt):
      "chat template not recognised (it starts \"\(excerpt)\"); this build renders ChatML (<|im_start|>) and "
        + "Llama 3 (<|start_header_id|>) templates: choose one explicitly with ChatTemplate.chatML or .llama3"
    case .missingSpecialToken(let text, let template):
      "the \(template) chat template needs the special token '\(text)', which is not in the vocabulary; "
        + "choose the template that matches this model"
    }
  }
}
