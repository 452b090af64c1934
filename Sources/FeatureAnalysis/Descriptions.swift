import AtlasArtifacts
import Foundation
import Lexicon
import TensorMath

/// What kind of token a token group is, for descriptions in words: a word, a piece of a word, or one of
/// the syntactic classes a reader can name ("line breaks", "digits", "opening brackets", …).
enum TokenClass: UInt8, Sendable, CaseIterable {
  case word, wordPiece, lineBreak, spaces, digit, openingBracket, closingBracket, fullStop, comma, colon, semicolon,
       exclamationOrQuestion, quote, dash, operatorSymbol, hash, underscore, otherSymbol, codeKeyword

  /// How a reader names the class (a plural noun phrase).
  var phrase: String {
    switch self {
    case .word: "words"
    case .wordPiece: "pieces of words"
    case .lineBreak: "line breaks"
    case .spaces: "runs of spaces and tabs (indentation)"
    case .digit: "digits in numbers"
    case .openingBracket: "opening brackets"
    case .closingBracket: "closing brackets"
    case .fullStop: "full stops and dots"
    case .comma: "commas"
    case .colon: "colons"
    case .semicolon: "semicolons"
    case .exclamationOrQuestion: "exclamation and question marks"
    case .quote: "quotation marks and apostrophes"
    case .dash: "dashes and hyphens"
    case .operatorSymbol: "operators and math symbols (= + * / < >)"
    case .hash: "hash marks (comments, headings)"
    case .underscore: "underscores in identifiers"
    case .otherSymbol: "symbols"
    case .codeKeyword: "Python keywords"
    }
  }

  /// Keywords that are code and not ordinary English words.
  static let codeKeywords: Set<String> = [
    "def", "elif", "lambda", "none", "true", "false", "self", "kwargs", "args", "init", "isinstance", "len", "str", "int",
    "dict", "tuple", "np", "nx", "param", "params", "bool", "float", "rtype", "attr", "const", "var", "func", "cls", "iter",
  ]

  /// English words of two letters (function words aside, which `isKnownWord` knows).
  static let twoLetterWords: Set<String> = FunctionWords.all.filter { $0.count == 2 }.union(["go", "up", "ok", "hi", "ox", "ax", "pi"])

  /// The class of a group key (trimmed and lower-cased text; white space kept when it is all there is).
  static func of(_ key: String, isKnownWord: (String) -> Bool) -> TokenClass {
    if key.contains("\n") { return .lineBreak }
    if key.allSatisfy(\.isWhitespace) { return .spaces }
    let trimmed = key.trimmingCharacters(in: .whitespaces)
    if trimmed.allSatisfy(\.isNumber) { return .digit }
    if trimmed.allSatisfy({ $0.isLetter || $0 == "'" || $0 == "-" }), trimmed.contains(where: \.isLetter) {
      if codeKeywords.contains(trimmed) { return .codeKeyword }
      // Two letters WordNet knows are mostly symbols and abbreviations ("la", "ha", "ri"): a word only when English has it.
      let long = trimmed.count >= 3 || twoLetterWords.contains(trimmed.lowercased())
      return long && isKnownWord(trimmed) || ["a", "i"].contains(trimmed) ? .word : .wordPiece
    }
    if trimmed.contains(where: \.isLetter) { return trimmed.hasPrefix("_") || trimmed.hasSuffix("_") ? .underscore : .wordPiece }
    guard let first = trimmed.first else { return .otherSymbol }
    switch first {
    case "(", "[", "{": return .openingBracket
    case ")", "]", "}": return .closingBracket
    case ".", "…": return .fullStop
    case ",": return .comma
    case ":": return .colon
    case ";": return .semicolon
    case "!", "?": return .exclamationOrQuestion
    case "\"", "'", "`", "“", "”", "‘", "’", "«", "»": return .quote
    case "-", "—", "–": return .dash
    case "=", "+", "*", "/", "<", ">", "%", "&", "|", "^", "~", "\\": return .operatorSymbol
    case "#": return .hash
    case "_": return .underscore
    default: return .otherSymbol
    }
  }
}

/// What descriptions are built from and tested on, fixed once per run: the class of every token group,
/// and, with a lexicon, which word groups fall under which WordNet synsets (their first senses' ancestors).
struct DescriptionContext: Sendable {
  let vocabulary: TokenVocabulary
  let lexicon: Lexicon?
  let keys: [String]                     // [ids] the text of each word-set id: token groups, then whole words (`WholeWords`)
  let classes: [TokenClass]              // [ids]
  let classMembers: [[Int32]]            // [TokenClass.allCases] token groups of each class
  let groupsUnder: [SynsetID: [Int32]]   // synset -> word groups with it among their first senses' ancestors
  let groupOfKey: [String: Int32]        // normalised text -> group
  let groupsOfLemma: [String: [Int32]]   // WordNet base form -> word groups with it among their base forms
  let definitionLemmas: [Int32: Set<String>]   // word group -> lemmas its WordNet definitions use (not the common ones)
  let groupsDefinedWith: [String: [Int32]]     // lemma -> word groups whose definitions use it
  let similarity: WordSimilarity?              // words that mean alike, from the model's token embedding
  let inflections: [Int32: [Inflection]]       // word group -> the grammatical forms it is (past tense, plural, …)
  let groupsOfInflection: [[Int32]]            // [Inflection.allCases] word groups of each form

  /// A lemma the definitions of more than this share of the vocabulary's words use (and more than
  /// `commonDefinitionMinimum` of them: "person", "make", "one") says nothing about what two words share.
  static let commonDefinitionShare = 0.01
  static let commonDefinitionMinimum = 20

  /// - Parameter embedding: the model's token embedding [vocab, dModel], for words that mean alike among the
  ///   analysed text's words (`WordSimilarity`, at `similarCosine` with `components` directions taken out;
  ///   nil or a cosine of 0: none).
  /// - Parameter wholeWords: the words split into pieces (`WholeWords.keys`), which take ids after the token groups
  ///   and count as words wherever WordNet knows them.
  init(vocabulary v: TokenVocabulary, wholeWords: [String] = [], lexicon: Lexicon?, tokenCounts: [Int], embedding: Matrix? = nil,
       components: Int = 0, similarCosine: Double = 0) {
    vocabulary = v
    self.lexicon = lexicon
    let keys = v.groupKeys + wholeWords
    self.keys = keys
    var classes: [TokenClass] = []
    classes.reserveCapacity(keys.count)
    var under: [SynsetID: [Int32]] = [:]
    var counts = [Int](repeating: 0, count: v.groupCount)
    for (token, count) in tokenCounts.enumerated() { counts[Int(v.group[token])] += count }
    for g in 0 ..< keys.count {
      let key = keys[g]
      let c = TokenClass.of(key) { word in
        guard let lexicon else { return FunctionWords.all.contains(word) || word.count >= 3 }
        return FunctionWords.all.contains(word) || lexicon.knows(word)
      }
      classes.append(c)
      guard c == .word, let lexicon, !FunctionWords.all.contains(key) else { continue }
      var reached = Set<SynsetID>()
      for sense in lexicon.synsets(of: key).prefix(DescriptionComposer.senses) { reached.formUnion(lexicon.ancestors(sense).keys) }
      for s in reached { under[s, default: []].append(Int32(g)) }
    }
    var members = [[Int32]](repeating: [], count: TokenClass.allCases.count)
    for (g, c) in classes.prefix(v.groupCount).enumerated() { members[Int(c.rawValue)].append(Int32(g)) }
    self.classes = classes
    classMembers = members
    groupsUnder = under
    var byKey: [String: Int32] = [:]
    for g in 0 ..< v.groupCount where byKey[v.groupKeys[g]] == nil { byKey[v.groupKeys[g]] = Int32(g) }
    groupOfKey = byKey
    var lemmas: [String: [Int32]] = [:]
    if let lexicon {
      for g in 0 ..< keys.count where classes[g] == .word && !FunctionWords.all.contains(keys[g]) {
        for base in lexicon.baseForms(of: keys[g]) { lemmas[base, default: []].append(Int32(g)) }
      }
    }
    groupsOfLemma = lemmas
    var definitions: [Int32: Set<String>] = [:], definedWith: [String: [Int32]] = [:]
    if let lexicon {
      for g in 0 ..< keys.count where classes[g] == .word && !FunctionWords.all.contains(keys[g]) {
        let used = lexicon.definitionLemmas(of: keys[g], senses: DescriptionComposer.senses)
        definitions[Int32(g)] = used
        for lemma in used { definedWith[lemma, default: []].append(Int32(g)) }
      }
      let limit = max(Double(Self.commonDefinitionMinimum), Self.commonDefinitionShare * Double(definitions.count))
      let common = Set(definedWith.filter { Double($0.value.count) > limit }.keys)
      definitions = definitions.mapValues { $0.subtracting(common) }
      for lemma in common { definedWith[lemma] = nil }
    }
    definitionLemmas = definitions
    groupsDefinedWith = definedWith
    var forms: [Int32: [Inflection]] = [:]
    var ofForm = [[Int32]](repeating: [], count: Inflection.allCases.count)
    if let lexicon {
      for g in 0 ..< keys.count where classes[g] == .word && !FunctionWords.all.contains(keys[g]) {
        let found = Inflection.of(keys[g], lexicon: lexicon)
        guard !found.isEmpty else { continue }
        forms[Int32(g)] = found
        for f in found { ofForm[f.rawValue].append(Int32(g)) }
      }
    }
    inflections = forms
    groupsOfInflection = ofForm
    if let embedding, lexicon != nil, similarCosine > 0 {   // "words like" needs WordNet's forms (`similarWords`)
      let words = (0 ..< v.groupCount).filter { classes[$0] == .word && counts[$0] > 0 && !FunctionWords.all.contains(v.groupKeys[$0]) }
      similarity = WordSimilarity(embedding: embedding, vocabulary: v, groups: words.map(Int32.init), components: components,
                                  minimumCosine: similarCosine)
    } else {
      similarity = nil
    }
  }
}

extension FeatureDescription {
  /// Whether it names function words: one of their grammatical classes ("prepositions (of, to, by)") or one of
  /// them ("the word 'of'").
  public var namesFunctionWords: Bool {
    guard kind == .lexical, !namesWordPiece else { return false }
    return FunctionWords.classNames.contains(head) || (words.count == 1 && FunctionWords.all.contains(words[0].lowercased()))
  }

  /// Whether it names one piece of a word ("the word piece 'br'") or pieces of words ("the first piece of long
  /// or rare words").
  public var namesWordPiece: Bool { kind == .lexical && (head.hasPrefix("the word piece '") || Self.piecesHeads[head] != nil) }

  /// The heads of descriptions of pieces of words, each with its forms in a cluster name: "first pieces of words",
  /// and "first pieces" where the theme already says pieces ("pieces of words (first pieces, last pieces)").
  public static let piecesHeads = Dictionary(uniqueKeysWithValues: WordPart.allCases.map {
    ($0.piecesHead.full, (term: $0.piecesHead.term, short: $0.piecesHead.short))
  })
}

/// English words WordNet leaves out (it has nouns, verbs, adjectives and adverbs only): a feature on them
/// is lexical ("the word 'against'"), never a WordNet concept.
enum FunctionWords {
  static let all: Set<String> = [
    "a", "an", "the", "and", "or", "but", "nor", "if", "then", "than", "of", "to", "in", "on", "at", "by", "for", "with",
    "from", "into", "onto", "upon", "about", "against", "between", "through", "during", "before", "after", "above", "below",
    "under", "over", "without", "within", "among", "toward", "towards", "since", "until", "unless", "while", "whether",
    "because", "though", "although", "as", "so", "that", "this", "these", "those", "which", "who", "whom", "whose", "what",
    "where", "when", "why", "how", "i", "me", "my", "mine", "we", "us", "our", "you", "your", "thou", "thee", "thy", "he",
    "him", "his", "she", "her", "hers", "it", "its", "they", "them", "their", "is", "am", "are", "was", "were", "be",
    "been", "being", "have", "has", "had", "do", "does", "did", "will", "would", "shall", "should", "can", "could", "may",
    "might", "must", "not", "no", "yes", "all", "any", "some", "each", "every", "both", "either", "neither", "such", "own",
    "too", "very", "also", "only", "just", "there", "here", "thus", "hence", "o", "oh", "ay", "nay", "let", "shalt", "hath",
    "doth", "art", "thine", "ye", "unto", "s", "t", "d", "ll", "ve", "re", "m",
  ]

  /// The names of the grammatical classes below.
  static let classNames = Set(category.values)

  /// Grammatical classes a reader can name, for features on several function words of one class.
  static let category: [String: String] = {
    var out: [String: String] = [:]
    let classes: [(String, [String])] = [
      ("conjunctions", ["and", "or", "but", "nor", "as", "if", "because", "while", "though", "although", "unless", "whether",
                        "than", "so", "yet", "until", "till", "since", "whereas", "lest"]),
      ("prepositions", ["of", "to", "in", "on", "at", "by", "for", "with", "from", "into", "onto", "upon", "about", "against",
                        "between", "through", "during", "before", "after", "above", "below", "under", "over", "without",
                        "within", "among", "toward", "towards", "unto"]),
      ("articles and determiners", ["a", "an", "the", "this", "these", "those", "that", "each", "every", "some", "any", "all",
                                    "both", "either", "neither", "no"]),
      ("personal pronouns", ["i", "me", "we", "us", "you", "he", "him", "she", "her", "it", "they", "them", "thou", "thee", "ye"]),
      ("possessive pronouns", ["my", "mine", "our", "your", "his", "hers", "its", "their", "thy", "thine"]),
      ("question and relative words", ["which", "who", "whom", "whose", "what", "where", "when", "why", "how"]),
      ("words for someone or something", ["something", "nothing", "anything", "everything", "someone", "anyone", "everyone",
                                          "somebody", "nobody", "anybody", "everybody", "none"]),
      ("linking adverbs", ["however", "therefore", "thus", "hence", "moreover", "furthermore", "nevertheless", "otherwise",
                           "else", "instead", "indeed", "besides", "consequently", "meanwhile", "etc"]),
      ("adverbs of time", ["now", "then", "already", "soon", "still", "again", "once", "never", "always", "ever", "often",
                           "sometimes", "later", "formerly", "hitherto"]),
      ("auxiliary and modal verbs", ["is", "am", "are", "was", "were", "be", "been", "being", "have", "has", "had", "do", "does",
                                     "did", "will", "would", "shall", "should", "can", "could", "may", "might", "must", "hath",
                                     "doth", "art", "shalt"]),
    ]
    for (name, words) in classes { for w in words where out[w] == nil { out[w] = name } }
    return out
  }()
}

/// A feature's firings on pieces of longer words, per `WordPart`: the weight of each token group there, and
/// of each whole word (`WholeWords` id: "knowlton|ii" is "knowltonii").
struct PieceWeights: Sendable {
  var groups = [[Int32: Int]](repeating: [:], count: WordPart.allCases.count)
  var words = [[Int32: Int]](repeating: [:], count: WordPart.allCases.count)

  /// Per group, the weight of its firings as any piece of a longer word.
  var insideWords: [Int32: Int] { groups.reduce(into: [:]) { $0.merge($1, uniquingKeysWith: +) } }
  /// Per whole word, the weight of the firings on its pieces.
  var wholeWords: [Int32: Int] { words.reduce(into: [:]) { $0.merge($1, uniquingKeysWith: +) } }
}

/// A description before its held-out test: the text, the groups the test checks, the grounding.
struct DescriptionDraft: Sendable {
  var text: String
  var kind: DescriptionKind
  var groups: Set<Int32>        // the word set as token groups: the test's pattern
  var shownWords: [String]
  var grounding: String?
  var coverage: Double          // share of the feature's firings (its token counters) on `groups`
  var floorFraction: Double? = nil   // composed and tested on firings from this fraction of the maximum (nil: the strong ones)
  var broadens: Int? = nil           // the candidate (index) whose test this one repeats at a lower floor, for too few strong firings
  var parts: Set<WordPart> = []      // the test's pattern instead of `groups` (then empty): any token that is such a piece of a word

  static let empty = DescriptionDraft(text: "", kind: .unclear, groups: [], shownWords: [], grounding: nil, coverage: 0)

  /// Whether a token of this group, sitting as `part` in the whole word `word` (-1: none), is one the
  /// description names: its group or its whole word is in the word set, or it is such a piece of a word.
  @inline(__always) func holds(group: Int32, word: Int32, part: WordPart) -> Bool {
    groups.contains(group) || (word >= 0 && groups.contains(word)) || parts.contains(part)
  }

  /// Token groups the test checks; 0 for a description of pieces of words, which holds for any token there.
  var testedTokens: Int { parts.isEmpty ? groups.count : 0 }
}

/// Descriptions in words from a feature's firing tokens: one dominant token is lexical ("the word
/// 'too'"); a syntactic class holding most firings is named ("line breaks", "digits in numbers"); words
/// with a WordNet common hypernym are a concept ("diseases (measles, plague, fever)"); forms of one word
/// are a word family ("forms of 'keep'"). Anything else is unclear. Corpus sources are never used.
enum DescriptionComposer {
  static let senses = 2           // first senses of a word that ground it (WordNet orders senses by frequency)
  static let shown = 3            // example words in the text

  /// The description a feature gets when it holds up: the first that composes at the configured shares
  /// (`descriptionDominantShare`, `descriptionClassShare`), as `compose` gives it.
  /// - Parameter byGroup: the weight of each token group among the feature's firings; `total` is the whole weight.
  /// - Parameter pieces: per `WordPart`, the weight of each group's firings as that piece of a longer word
  ///   ("Ephes|us"): a word mostly fired on inside longer words is named as a piece ("the word piece 'us'"), not
  ///   as the word; firings mostly on pieces of words are described as such ("the first piece of long or rare words").
  static func compose(groups byGroup: [Int32: Int], total n: Int, context x: DescriptionContext,
                      configuration c: FeatureAnalysisConfiguration, pieces: PieceWeights = PieceWeights()) -> DescriptionDraft {
    guard n > 0 else { return .empty }
    let strict = drafts(groups: byGroup, total: n, context: x, configuration: c, dominant: c.descriptionDominantShare,
                        classShare: c.descriptionClassShare, firstOnly: true, pieces: pieces)
    return strict.first ?? unclear(groups: byGroup, context: x)
  }

  /// The strict description first, then the alternatives that compose when a token, a class or the words
  /// need only `descriptionFallbackShare` of the strong activation (a feature that fires on '\n' and on
  /// strong, strength and stronger alike: "words related to 'strong'"). Each is tested on the test windows;
  /// the strict one is kept if it holds up, else the alternative that holds up best (`SecondPass`).
  static func candidates(groups byGroup: [Int32: Int], total n: Int, context x: DescriptionContext,
                         configuration c: FeatureAnalysisConfiguration, pieces: PieceWeights = PieceWeights()) -> [DescriptionDraft] {
    let strict = compose(groups: byGroup, total: n, context: x, configuration: c, pieces: pieces)
    guard n > 0, c.descriptionFallbackShare < max(c.descriptionDominantShare, c.descriptionClassShare) else { return [strict] }
    var out = [strict]
    for d in drafts(groups: byGroup, total: n, context: x, configuration: c, dominant: c.descriptionFallbackShare,
                    classShare: c.descriptionFallbackShare, firstOnly: false, pieces: pieces)
    where !out.contains(where: { $0.text == d.text }) && out.count < maxCandidates {
      out.append(d)
    }
    return out
  }

  static let maxCandidates = 6

  static func unclear(groups byGroup: [Int32: Int], context x: DescriptionContext) -> DescriptionDraft {
    let top = byGroup.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.prefix(shown)
    return DescriptionDraft(text: "unclear", kind: .unclear, groups: [],
                            shownWords: top.map { TokenVocabulary.labelText(x.vocabulary.groupKeys[Int($0.key)]) },
                            grounding: nil, coverage: 0)
  }

  /// The descriptions that compose at these shares, in the order a reader is served: one token, one
  /// syntactic class, punctuation and layout together, one class of function words, then the words as a
  /// family, forms of one word, or a WordNet concept. With `firstOnly`, the first of them alone.
  private static func drafts(groups byGroup: [Int32: Int], total n: Int, context x: DescriptionContext,
                             configuration c: FeatureAnalysisConfiguration, dominant dominantMin: Double, classShare classMin: Double,
                             firstOnly: Bool, pieces: PieceWeights = PieceWeights()) -> [DescriptionDraft] {
    guard n > 0 else { return [] }
    let insideWords = pieces.insideWords
    // A word set must cover this share of the words' weight: the configured share, or less for alternatives.
    let coverageMin = min(c.descriptionMinCoverage, classMin)
    var out: [DescriptionDraft] = []
    func done(_ d: DescriptionDraft) -> Bool { out.append(d); return firstOnly }
    let v = x.vocabulary
    // Most weight first (ties: lower group).
    let groups = byGroup.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
    guard let top = groups.first else { return [] }
    let total = Double(n)
    func share(_ set: Set<Int32>) -> Double { Double(groups.reduce(0) { set.contains($1.key) ? $0 + $1.value : $0 }) / total }
    func quoted(_ g: Int32) -> String { "'" + TokenVocabulary.labelText(x.keys[Int(g)]) + "'" }

    // One token carries the feature.
    if Double(top.value) / total >= dominantMin {
      var cls = x.classes[Int(top.key)]
      // Mostly inside longer words (the 'us' of Ephesus and Coriolanus, the 'ion' of -ion): a piece, not the word.
      if cls == .word || cls == .codeKeyword, 2 * (insideWords[top.key] ?? 0) >= top.value { cls = .wordPiece }
      let set: Set<Int32> = [top.key]
      let draft: DescriptionDraft
      switch cls {
      case .word, .codeKeyword:
        draft = DescriptionDraft(text: "the word \(quoted(top.key))", kind: .lexical, groups: set,
                                 shownWords: [x.keys[Int(top.key)]], grounding: nil, coverage: share(set))
      case .wordPiece:
        draft = DescriptionDraft(text: "the word piece \(quoted(top.key))", kind: .lexical, groups: set,
                                 shownWords: [x.keys[Int(top.key)]], grounding: nil, coverage: share(set))
      default:
        draft = DescriptionDraft(text: singleSymbolPhrase(x.keys[Int(top.key)], cls), kind: .syntactic, groups: set,
                                 shownWords: [x.keys[Int(top.key)]], grounding: nil, coverage: share(set))
      }
      if done(draft) { return out }
    }

    // Shares per class.
    var classShare = [Double](repeating: 0, count: TokenClass.allCases.count)
    for (g, count) in groups { classShare[Int(x.classes[Int(g)].rawValue)] += Double(count) / total }
    let syntactic = TokenClass.allCases.filter { $0 != .word && $0 != .wordPiece }
    if let best = syntactic.max(by: { classShare[Int($0.rawValue)] < classShare[Int($1.rawValue)] }),
       classShare[Int(best.rawValue)] >= classMin {
      let set = Set(x.classMembers[Int(best.rawValue)])
      let examples = groups.filter { x.classes[Int($0.key)] == best }.prefix(shown).map {
        TokenVocabulary.labelText(x.keys[Int($0.key)])
      }
      if done(DescriptionDraft(text: best.phrase, kind: .syntactic, groups: set, shownWords: examples, grounding: nil,
                               coverage: share(set))) { return out }
    }

    // Punctuation and layout together: "punctuation and layout (commas, line breaks, semicolons)".
    let symbolic = syntactic.filter { $0 != .codeKeyword && classShare[Int($0.rawValue)] > 0 }
      .sorted {
        classShare[Int($0.rawValue)] > classShare[Int($1.rawValue)]
          || (classShare[Int($0.rawValue)] == classShare[Int($1.rawValue)] && $0.rawValue < $1.rawValue)
      }
    let symbolicShare = symbolic.reduce(0) { $0 + classShare[Int($1.rawValue)] }
    if symbolicShare >= classMin, let first = symbolic.first, classShare[Int(first.rawValue)] >= 0.1 {
      let named = symbolic.prefix(3).filter { classShare[Int($0.rawValue)] >= 0.1 }
      let set = Set(named.flatMap { x.classMembers[Int($0.rawValue)] })
      let examples = groups.filter { set.contains($0.key) }.prefix(shown).map { TokenVocabulary.labelText(x.keys[Int($0.key)]) }
      let phrases = named.map { $0.phrase.components(separatedBy: " (").first ?? $0.phrase }
      if done(DescriptionDraft(text: "punctuation and layout (\(phrases.joined(separator: ", ")))", kind: .syntactic,
                               groups: set, shownWords: examples, grounding: nil, coverage: share(set))) { return out }
    }

    // Function words of one grammatical class: "conjunctions (or, as, and)".
    var categoryShare: [String: (share: Double, groups: [Int32])] = [:]
    for (g, count) in groups {
      guard let category = FunctionWords.category[x.keys[Int(g)]] else { continue }
      categoryShare[category, default: (0, [])].share += Double(count) / total
      categoryShare[category, default: (0, [])].groups.append(g)
    }
    if let best = categoryShare.max(by: { $0.value.share < $1.value.share || ($0.value.share == $1.value.share && $0.key > $1.key) }),
       best.value.share >= classMin, best.value.groups.count >= 2 {
      let set = Set(FunctionWords.category.filter { $0.value == best.key }.keys.compactMap { x.groupOfKey[$0] })
        .union(best.value.groups)
      let examples = best.value.groups.prefix(shown).map { x.keys[Int($0)] }
      if done(DescriptionDraft(text: "\(best.key) (\(examples.joined(separator: ", ")))", kind: .lexical, groups: set,
                               shownWords: examples, grounding: nil, coverage: share(set))) { return out }
    }

    // Words: a WordNet concept, or forms of one word. A word the tokenizer splits counts as the whole word
    // ("polio|myelitis"), a token fired on mostly inside longer words ("bef|ore") not as a word of its own.
    func isWord(_ g: Int32) -> Bool { x.classes[Int(g)] == .word && !FunctionWords.all.contains(x.keys[Int(g)]) }
    var wordWeight = pieces.wholeWords.filter { isWord($0.key) }
    for (g, count) in groups where isWord(g) && 2 * (insideWords[g] ?? 0) < count { wordWeight[g, default: 0] += count }
    let words = wordWeight.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
      .prefix(c.descriptionMaxWords).map { (key: $0.key, value: $0.value) }
    let wordShare = Double(words.reduce(0) { $0 + $1.value }) / total
    if let lexicon = x.lexicon, words.count >= 2, wordShare >= classMin {
      // A word family across parts of speech: words WordNet derives from one another (death, die, dead;
      // city, urban), unless the forms of its head hold 80 % of its weight (then it is "forms of …" below).
      if let family = family(Array(words), lexicon: lexicon, context: x), family.headShare < 0.8,
         Double(family.weight) >= coverageMin * Double(words.reduce(0) { $0 + $1.value }) {
        let examples = family.members.prefix(shown).map { x.keys[Int($0)] }
        let draft = DescriptionDraft(text: "words related to '\(family.head)' (\(examples.joined(separator: ", ")))",
                                     kind: .wordForms, groups: family.tested, shownWords: examples,
                                     grounding: "WordNet derivation: " + family.lemmas.sorted().prefix(8).joined(separator: ", "),
                                     coverage: share(family.tested))
        if done(draft) { return out }
      }
      // Forms of one word: the heaviest base form shared by most of the word weight ("keep, kept, keeps").
      var baseWeight: [String: (weight: Int, members: [Int32])] = [:]
      for (g, count) in words {
        var bases = Set<String>()
        for pos in PartOfSpeech.allCases { bases.formUnion(lexicon.baseForms(of: x.keys[Int(g)], pos: pos)) }
        for b in bases {
          baseWeight[b, default: (0, [])].weight += count
          baseWeight[b, default: (0, [])].members.append(g)
        }
      }
      let wordWeight = Double(words.reduce(0) { $0 + $1.value })
      if let best = baseWeight.max(by: { $0.value.weight < $1.value.weight || ($0.value.weight == $1.value.weight && $0.key > $1.key) }),
         best.value.members.count >= 2, Double(best.value.weight) >= coverageMin * wordWeight {
        let base = best.key, entry = best.value
        let set = Set(entry.members)
        let examples = entry.members.prefix(shown).map { x.keys[Int($0)] }
        let draft = DescriptionDraft(text: "forms of '\(base)' (\(examples.joined(separator: ", ")))", kind: .wordForms,
                                     groups: set, shownWords: examples, grounding: "WordNet morphology: base form '\(base)'",
                                     coverage: share(set))
        if done(draft) { return out }
      }
      // A concept: the WordNet synset the words share.
      let weighted = words.map { (word: x.keys[Int($0.key)], weight: Double($0.value)) }
      if let common = lexicon.commonHypernym(of: weighted, senses: senses, minimumCoverage: coverageMin),
         !abstractClass(lexicon.synset(common.synset), lexicon: lexicon) {
        var set = Set(x.groupsUnder[common.synset] ?? [])
        set.formUnion(words.filter { common.covered.contains(x.keys[Int($0.key)]) }.map(\.key))
        let examples = Array(common.covered.prefix(shown))
        let name = lexicon.name(common.synset)
        let head: String
        switch common.synset.pos {
        case .noun: head = name
        case .verb: head = "ways to \(name)"
        default: head = plainAdjectiveClasses[name] ?? "words meaning \(name)"
        }
        let synset = lexicon.synset(common.synset)
        let grounding = "WordNet \(common.synset) " + (synset?.words.prefix(4).joined(separator: ", ") ?? name)
          + (synset.map { " — " + $0.gloss.prefix(160) } ?? "")
        if done(DescriptionDraft(text: "\(head) (\(examples.joined(separator: ", ")))", kind: .concept, groups: set,
                                 shownWords: examples, grounding: grounding, coverage: share(set))) { return out }
      }
      // Words whose WordNet definitions use one another: "words about 'city' (city, urban)".
      if let about = definedTogether(Array(words), lexicon: lexicon, context: x),
         Double(about.weight) >= coverageMin * wordWeight {
        let examples = about.members.prefix(shown).map { x.keys[Int($0)] }
        let grounding = about.definition.map { "WordNet definition: \($0.word) — \($0.text.prefix(160))" }
        if done(DescriptionDraft(text: "words about '\(about.hub)' (\(examples.joined(separator: ", ")))", kind: .concept,
                                 groups: about.tested, shownWords: examples, grounding: grounding,
                                 coverage: share(about.tested))) { return out }
      }
      // Words that mean alike in the model's own token embedding: "words like 'joke' (joke, humor, laugh)".
      if let like = similarWords(Array(words), lexicon: lexicon, context: x), Double(like.weight) >= coverageMin * wordWeight {
        let examples = like.members.prefix(shown).map { x.keys[Int($0)] }
        let near = like.cosines.prefix(4).map { "\(x.keys[Int($0.group)]) \(String(format: "%.2f", $0.cosine))" }
        let grounding = "the model's token embedding: cosine to '\(like.hub)': " + near.joined(separator: ", ")
        if done(DescriptionDraft(text: "words like '\(like.hub)' (\(examples.joined(separator: ", ")))", kind: .concept,
                                 groups: like.tested, shownWords: examples, grounding: grounding,
                                 coverage: share(like.tested))) { return out }
      }
      // One grammatical form of different words: "verbs in the past tense (listened, traveled, dealt)".
      var formWeight = [Int](repeating: 0, count: Inflection.allCases.count)
      var formMembers = [[Int32]](repeating: [], count: Inflection.allCases.count)
      for (g, count) in words {
        for f in x.inflections[g] ?? [] { formWeight[f.rawValue] += count; formMembers[f.rawValue].append(g) }
      }
      if let best = Inflection.allCases.max(by: { (formWeight[$0.rawValue], $1.rawValue) < (formWeight[$1.rawValue], $0.rawValue) }),
         Double(formWeight[best.rawValue]) >= coverageMin * wordWeight,
         Set(formMembers[best.rawValue].map { lexicon.baseForms(of: x.keys[Int($0)]).sorted().first ?? "" }).count >= 3 {
        let members = formMembers[best.rawValue]
        let set = Set(x.groupsOfInflection[best.rawValue]).union(members)
        let examples = members.prefix(shown).map { x.keys[Int($0)] }
        if done(DescriptionDraft(text: "\(best.phrase) (\(examples.joined(separator: ", ")))", kind: .wordForms, groups: set,
                                 shownWords: examples, grounding: "WordNet morphology: \(best.phrase)", coverage: share(set))) {
          return out
        }
      }
    }

    // Pieces of words the tokenizer splits: "the first piece of long or rare words (polixenes, indochina)" when
    // one part holds `piecePartShare` of them, else "pieces of long or rare words (recursive, recursion)".
    if let piece = piecesDraft(pieces, total: total, classMin: classMin, context: x), done(piece) { return out }
    return out
  }

  /// A part of a word must hold this share of the firings on pieces to be named alone.
  static let piecePartShare = 0.7

  /// The description of a feature that fires on pieces of longer words, whichever the piece, shown by the
  /// words they are pieces of: tested on every token that sits as that part of a word. Nil when pieces hold
  /// less than `classMin` of the weight.
  static func piecesDraft(_ pieces: PieceWeights, total: Double, classMin: Double, context x: DescriptionContext) -> DescriptionDraft? {
    let weight = WordPart.pieces.map { pieces.groups[Int($0.rawValue)].values.reduce(0, +) }
    let inside = weight.reduce(0, +)
    guard Double(inside) >= classMin * total, inside > 0 else { return nil }
    let best = WordPart.pieces.indices.max { (weight[$0], $1) < (weight[$1], $0) } ?? 0
    let alone = Double(weight[best]) >= piecePartShare * Double(inside)
    let named: [WordPart] = alone ? [WordPart.pieces[best]] : WordPart.pieces
    var words: [Int32: Int] = [:]
    for part in named { words.merge(pieces.words[Int(part.rawValue)], uniquingKeysWith: +) }
    let examples = words.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.prefix(shown)
      .map { x.keys[Int($0.key)] }
    let head = (alone ? WordPart.pieces[best] : .whole).piecesHead.full
    return DescriptionDraft(text: "\(head) (\(examples.joined(separator: ", ")))", kind: .lexical, groups: [], shownWords: examples,
                            grounding: "how the tokenizer splits words: a token that starts with a letter right after one that ends "
                              + "in a letter continues a word",
                            coverage: Double(named.reduce(0) { $0 + pieces.groups[Int($1.rawValue)].values.reduce(0, +) }) / total,
                            parts: Set(named))
  }

  /// The heaviest group of firing words that mean alike: a hub (one of them) and the words at
  /// `descriptionSimilarCosine` or more from it in the model's token embedding, with two different words
  /// (not forms of one) at least. Tested on its members, every word sharing a base form with one, and every
  /// analysed word as near to the hub. Ties: the shorter hub, then alphabetical. A firing word that begins
  /// another one that is neither its form nor derived from it ('pow' and 'power', 'neigh' and 'neighbors';
  /// not 'hope' and 'hoped') is most likely that word's first piece and takes no part.
  static func similarWords(_ allWords: [(key: Int32, value: Int)], lexicon: Lexicon, context x: DescriptionContext)
    -> (members: [Int32], weight: Int, hub: String, tested: Set<Int32>, cosines: [(group: Int32, cosine: Float)])? {
    guard let similarity = x.similarity else { return nil }
    let texts = allWords.map { x.keys[Int($0.key)] }
    func piece(_ a: String, of b: String) -> Bool {
      a != b && b.hasPrefix(a) && !lexicon.baseForms(of: b).contains(a) && !lexicon.derivationalRelatives(of: b).contains(a)
    }
    let words = allWords.indices.filter { i in !texts.contains { piece(texts[i], of: $0) } }.map { allWords[$0] }
    let (keys, bases, primary) = forms(words, lexicon: lexicon, context: x)
    var best: (hub: Int, members: [Int], weight: Int)?
    for h in words.indices {
      let members = words.indices.filter { $0 == h || similarity.cosine(words[h].key, words[$0].key) != nil }
      guard Set(members.map { primary[$0] }).count >= 2 else { continue }
      let weight = members.reduce(0) { $0 + words[$1].value }
      if let b = best {
        let better = (weight, -keys[h].count) > (b.weight, -keys[b.hub].count)
          || ((weight, -keys[h].count) == (b.weight, -keys[b.hub].count) && keys[h] < keys[b.hub])
        if !better { continue }
      }
      best = (h, members, weight)
    }
    guard let (h, members, weight) = best else { return nil }
    let ordered = differentWordsFirst(members, primary: primary)
    var tested = Set(members.map { words[$0].key })
    for i in members { for base in bases[i] { tested.formUnion(x.groupsOfLemma[base] ?? []) } }
    let near = similarity.neighbours[words[h].key] ?? [:]
    tested.formUnion(near.keys)
    var cosines: [(group: Int32, cosine: Float)] = []
    for i in members where i != h {
      if let c = similarity.cosine(words[h].key, words[i].key) { cosines.append((words[i].key, c)) }
    }
    cosines.sort { a, b in a.cosine > b.cosine || (a.cosine == b.cosine && a.group < b.group) }
    return (ordered.map { words[$0].key }, weight, primary[h], tested, cosines)
  }

  /// The heaviest group of firing words linked by a shared WordNet base form or by derivation (a word's
  /// base form among the other's derivational relatives): its members (one per base form first, so the
  /// shown words are the family's different words, not inflections of one), its weight and the share of
  /// it on the head's own forms, the lemmas it spans, the vocabulary groups it is tested on (every word
  /// group with one of those lemmas as a base form), and its head (the heaviest member as WordNet lists it).
  /// Nil without two linked words of different base forms.
  static func family(_ words: [(key: Int32, value: Int)], lexicon: Lexicon, context x: DescriptionContext)
    -> (members: [Int32], weight: Int, headShare: Double, head: String, lemmas: Set<String>, tested: Set<Int32>)? {
    let (_, bases, primary) = forms(words, lexicon: lexicon, context: x)
    let relatives = bases.map { set in set.reduce(into: Set<String>()) { $0.formUnion(lexicon.derivationalRelatives(of: $1)) } }
    guard let (members, weight) = heaviestLinkedGroup(words, linked: { i, j in
      !bases[i].isDisjoint(with: bases[j]) || !relatives[i].isDisjoint(with: bases[j]) || !relatives[j].isDisjoint(with: bases[i])
    }), Set(members.map { primary[$0] }).count >= 2 else { return nil }
    let head = primary[members[0]]
    let headWeight = members.filter { bases[$0].contains(head) }.reduce(0) { $0 + words[$1].value }
    let ordered = differentWordsFirst(members, primary: primary)
    var lemmas = Set<String>()
    for i in members { lemmas.formUnion(bases[i]); lemmas.formUnion(relatives[i].filter { !$0.contains(" ") }) }
    var tested = Set(members.map { words[$0].key })
    for lemma in lemmas { tested.formUnion(x.groupsOfLemma[lemma] ?? []) }
    return (ordered.map { words[$0].key }, weight, Double(headWeight) / Double(max(1, weight)), head, lemmas, tested)
  }

  /// Each firing word's text, its WordNet base forms, and its primary form (itself when WordNet lists it, else
  /// its first base form).
  static func forms(_ words: [(key: Int32, value: Int)], lexicon: Lexicon, context x: DescriptionContext)
    -> (keys: [String], bases: [Set<String>], primary: [String]) {
    let keys = words.map { x.keys[Int($0.key)] }
    let bases = keys.map { lexicon.baseForms(of: $0) }
    return (keys, bases, keys.indices.map { bases[$0].contains(keys[$0]) ? keys[$0] : (bases[$0].sorted().first ?? keys[$0]) })
  }

  /// Members in their order, one per primary form first, so the words shown are different words and not
  /// inflections of one.
  static func differentWordsFirst(_ members: [Int], primary: [String]) -> [Int] {
    var seen = Set<String>()
    let firsts = members.filter { seen.insert(primary[$0]).inserted }
    return firsts + members.filter { !firsts.contains($0) }
  }

  /// The heaviest group (two words or more) of words linked, directly or through others, by `linked`:
  /// its indices in `words` order and its weight. Ties: the group of the earlier word.
  static func heaviestLinkedGroup(_ words: [(key: Int32, value: Int)], linked: (Int, Int) -> Bool) -> (members: [Int], weight: Int)? {
    // Union-find over the words (few: at most descriptionMaxWords).
    var parent = Array(words.indices)
    func root(_ i: Int) -> Int { var i = i; while parent[i] != i { i = parent[i] }; return i }
    for i in words.indices {
      for j in words.indices where j > i && linked(i, j) {
        let a = root(i), b = root(j)
        if a != b { parent[max(a, b)] = min(a, b) }
      }
    }
    var weight: [Int: Int] = [:], count: [Int: Int] = [:]
    for i in words.indices { weight[root(i), default: 0] += words[i].value; count[root(i), default: 0] += 1 }
    guard let best = weight.filter({ count[$0.key, default: 0] >= 2 })
      .max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }) else { return nil }
    return (words.indices.filter { root($0) == best.key }, best.value)
  }

  /// The heaviest group of firing words about one of them, the hub: each member is the hub (one of its
  /// forms) or is defined with it in WordNet (urban: "located in or characteristic of a city"; forget:
  /// "dismiss from the mind; stop remembering"), with two different words at least. A word the members'
  /// definitions share but none of them is (dinosaur and Cretaceous share "reptile") is not a hub: tried, it
  /// named groups after words the feature never fires on ("interruption" for still and stay). It is tested on
  /// its members, every word sharing a base form with one, and every vocabulary word defined with the hub.
  static func definedTogether(_ words: [(key: Int32, value: Int)], lexicon: Lexicon, context x: DescriptionContext)
    -> (members: [Int32], weight: Int, hub: String, tested: Set<Int32>, definition: (word: String, text: String)?)? {
    let (keys, bases, primary) = forms(words, lexicon: lexicon, context: x)
    let uses = words.map { x.definitionLemmas[$0.key] ?? [] }
    var about: [String: (weight: Int, members: [Int])] = [:]
    for i in words.indices {
      for lemma in bases[i].union(uses[i]) {
        about[lemma, default: (0, [])].weight += words[i].value
        about[lemma, default: (0, [])].members.append(i)
      }
    }
    let hubs = about.filter { lemma, group in
      Set(group.members.map { primary[$0] }).count >= 2 && group.members.contains { !bases[$0].contains(lemma) }
        && group.members.contains { bases[$0].contains(lemma) }
    }
    // Heaviest first; ties: the shorter, then alphabetical ("eye", not "eyes").
    guard let (hub, group) = hubs.min(by: { a, b in
      (a.value.weight, -a.key.count) > (b.value.weight, -b.key.count)
        || ((a.value.weight, -a.key.count) == (b.value.weight, -b.key.count) && a.key < b.key)
    }) else { return nil }
    let members = group.members
    let ordered = differentWordsFirst(members, primary: primary)
    var tested = Set(members.map { words[$0].key })
    for i in members { for base in bases[i] { tested.formUnion(x.groupsOfLemma[base] ?? []) } }
    tested.formUnion(x.groupsDefinedWith[hub] ?? [])
    tested.formUnion(x.groupsOfLemma[hub] ?? [])
    let definition = members.lazy.filter { uses[$0].contains(hub) }.compactMap { i in
      lexicon.definition(of: keys[i], using: hub, senses: senses).map { (word: keys[i], text: $0) }
    }.first
    return (ordered.map { words[$0].key }, group.weight, hub, tested, definition)
  }

  /// WordNet's abstract noun files whose broad classes say nothing a reader can use: "cognitions (heaven,
  /// examples)", "communications (code, version, file)", "measures (mar, mis)", "things (river, columbia)". A
  /// class there names a feature only when it is narrow (at most `abstractClassMaximum` kinds below it:
  /// "gestures", "months"). Nouns of files for concrete things (animals, foods, places, diseases) keep their
  /// broad classes.
  /// Tops, act, attribute, cognition, communication, process, quantity, relation.
  static let abstractFiles: Set<Int> = [3, 4, 7, 9, 10, 22, 23, 24]
  static let abstractClassMaximum = 60

  /// Adjective classes whose WordNet head is a technical word: "numbers (two, three, four)", not "words meaning
  /// cardinal (two, three, four)".
  static let plainAdjectiveClasses = ["cardinal": "numbers", "ordinal": "ordinal numbers", "chromatic": "colours",
                                      "achromatic": "black, white and grey"]

  static func abstractClass(_ synset: Synset?, lexicon: Lexicon) -> Bool {
    guard let synset, synset.id.pos == .noun, abstractFiles.contains(synset.lexicographerFile) else { return false }
    return lexicon.hyponymCount(synset.id) > abstractClassMaximum
  }

  /// A single symbol in words: "the line break", "commas", "the digit '7'".
  static func singleSymbolPhrase(_ key: String, _ cls: TokenClass) -> String {
    switch cls {
    case .lineBreak: key.filter { $0 == "\n" }.count > 1 ? "blank lines (paragraph breaks)" : (key.count > 1 ? "line breaks with indentation" : "line breaks")
    case .spaces: key.contains("\t") ? "tabs" : "runs of spaces (indentation)"
    case .digit: "the digit '\(key)'"
    default: "the symbol '\(key)' (\(cls.phrase))"
    }
  }
}
