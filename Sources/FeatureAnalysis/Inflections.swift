import Lexicon

/// Grammatical forms of English words a reader can name, read from WordNet's morphology (exception lists and
/// morphy's suffix rules): a feature on many different past-tense verbs is "verbs in the past tense
/// (listened, traveled, dealt)", not unclear.
public enum Inflection: Int, CaseIterable, Sendable {
  case pastTense, ingForm, pluralNoun, lyAdverb

  public var phrase: String {
    switch self {
    case .pastTense: "verbs in the past tense"
    case .ingForm: "verbs in -ing"
    case .pluralNoun: "plural nouns"
    case .lyAdverb: "adverbs in -ly"
    }
  }

  /// The forms `word` (lower-case) is: an inflection of a verb or noun WordNet lists (not a lemma of that part
  /// of speech itself) whose base has three letters or more ('ids' and 'ers' are pieces, not plurals of "id" and
  /// "er") and, for a plural, has as many noun senses as verb senses; or an adverb WordNet lists that ends in -ly.
  /// Empty for base forms and unknown words.
  public static func of(_ word: String, lexicon: Lexicon) -> [Inflection] {
    var out: [Inflection] = []
    func bases(_ pos: PartOfSpeech) -> [String] { lexicon.baseForms(of: word, pos: pos).filter { $0.count >= 3 } }
    let verb = bases(.verb)
    if !verb.isEmpty, !verb.contains(word) {
      if word.hasSuffix("ing") {
        out.append(.ingForm)
      } else if !word.hasSuffix("s") {
        out.append(.pastTense)   // -ed, and the exception lists' irregular forms (came, dealt, kept)
      }
    }
    // A plural of a word that is mainly a noun: "comes" and "lies" are verbs before they are plurals.
    let noun = bases(.noun).filter { lexicon.synsets(of: $0, pos: .noun).count >= lexicon.synsets(of: $0, pos: .verb).count }
    if word.hasSuffix("s"), !noun.isEmpty, !noun.contains(word) { out.append(.pluralNoun) }
    if word.hasSuffix("ly"), word.count > 4, lexicon.baseForms(of: word, pos: .adverb).contains(word) { out.append(.lyAdverb) }
    return out
  }
}
