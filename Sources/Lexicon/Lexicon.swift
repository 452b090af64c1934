import Foundation

/// WordNet's graph of word senses, read from the data files Debian's `wordnet-base` installs
/// (`index.{noun,verb,adj,adv}`, `data.*`, `*.exc`): which synsets a word has (after WordNet's
/// morphology: the exception lists, then the suffix rules), the hypernym chain of a synset, and the
/// lowest common hypernym of a set of words with how much of the set it covers. Knows nothing about
/// models or features.
public final class Lexicon: Sendable {
  /// Where Debian installs WordNet 3.0.
  public static let defaultDirectory = URL(fileURLWithPath: "/usr/share/wordnet")

  let synsetTable: [PartOfSpeech: [UInt32: Synset]]
  let index: [PartOfSpeech: [String: [UInt32]]]
  let exceptions: [PartOfSpeech: [String: [String]]]
  let irregularPlurals: [String: String]     // base noun -> plural, from noun.exc
  let descendants: [SynsetID: Int]           // hyponyms below a synset (all paths counted), nouns and verbs
  let totals: [PartOfSpeech: Int]            // synsets per part of speech

  /// Reads every part of speech from `directory` (about 2 s for WordNet 3.0 in a release build).
  public init(directory: URL = Lexicon.defaultDirectory) throws(LexiconError) {
    var synsets: [PartOfSpeech: [UInt32: Synset]] = [:]
    var index: [PartOfSpeech: [String: [UInt32]]] = [:]
    var exceptions: [PartOfSpeech: [String: [String]]] = [:]
    for pos in PartOfSpeech.allCases {
      let data = directory.appendingPathComponent("data.\(pos.fileSuffix)")
      let idx = directory.appendingPathComponent("index.\(pos.fileSuffix)")
      synsets[pos] = try WordNetParser.synsets(try WordNetParser.read(data), pos: pos, file: data.lastPathComponent)
      index[pos] = try WordNetParser.index(try WordNetParser.read(idx), file: idx.lastPathComponent)
      let exc = directory.appendingPathComponent("\(pos.fileSuffix).exc")
      if FileManager.default.fileExists(atPath: exc.path) {
        exceptions[pos] = try WordNetParser.exceptions(try WordNetParser.read(exc), file: exc.lastPathComponent)
      } else {
        exceptions[pos] = [:]
      }
    }
    self.synsetTable = synsets
    self.index = index
    self.exceptions = exceptions
    var plurals: [String: String] = [:]
    for (inflected, bases) in (exceptions[.noun] ?? [:]).sorted(by: { $0.key < $1.key }) {
      for base in bases where plurals[base] == nil { plurals[base] = inflected }
    }
    irregularPlurals = plurals
    var below: [SynsetID: Int] = [:]
    for pos in [PartOfSpeech.noun, .verb] {
      for synset in (synsets[pos] ?? [:]).values {
        var stack = synset.hypernyms, seen = Set<SynsetID>()
        while let next = stack.popLast() {
          guard seen.insert(next).inserted else { continue }
          below[next, default: 0] += 1
          stack += synsets[next.pos]?[next.offset]?.hypernyms ?? []
        }
      }
    }
    descendants = below
    totals = synsets.mapValues(\.count)
  }

  // MARK: - Words

  /// The synset with this id, if the files have it.
  public func synset(_ id: SynsetID) -> Synset? { synsetTable[id.pos]?[id.offset] }

  /// Base forms of `word` that WordNet lists under `pos`: the word itself, then its exception-list bases,
  /// then what the suffix rules give ("diseases" -> "disease", "kept" -> "keep", "glided" -> "glide").
  public func baseForms(of word: String, pos: PartOfSpeech) -> [String] {
    let w = WordNetText.spaced(word.lowercased())
    guard let lemmas = index[pos] else { return [] }
    var out: [String] = []
    func add(_ form: String) { if lemmas[form] != nil, !out.contains(form) { out.append(form) } }
    add(w)
    for base in exceptions[pos]?[w] ?? [] { add(base) }
    for (suffix, ending) in Self.suffixRules[pos] ?? [] where w.hasSuffix(suffix) && w.count > suffix.count {
      add(String(w.dropLast(suffix.count)) + ending)
    }
    return out
  }

  /// WordNet's detachment rules (morphy), per part of speech: (suffix, replacement).
  static let suffixRules: [PartOfSpeech: [(String, String)]] = [
    .noun: [("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"), ("ies", "y")],
    .verb: [("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", "")],
    .adjective: [("er", ""), ("est", ""), ("er", "e"), ("est", "e")],
  ]

  /// The synsets of `word` in sense order (most frequent first), for one part of speech or all of them
  /// (nouns, verbs, adjectives, adverbs in turn).
  public func synsets(of word: String, pos: PartOfSpeech? = nil) -> [SynsetID] {
    var out: [SynsetID] = []
    for p in pos.map({ [$0] }) ?? PartOfSpeech.allCases {
      for base in baseForms(of: word, pos: p) {
        for offset in index[p]?[base] ?? [] where !out.contains(SynsetID(pos: p, offset: offset)) {
          out.append(SynsetID(pos: p, offset: offset))
        }
      }
    }
    return out
  }

  /// Base forms of `word` under every part of speech (the word itself first when WordNet lists it).
  public func baseForms(of word: String) -> Set<String> {
    var out = Set<String>()
    for pos in PartOfSpeech.allCases { out.formUnion(baseForms(of: word, pos: pos)) }
    return out
  }

  /// Lemmas WordNet links to `word` by derivation (`+`: die → death, beauty → beautiful) or as a pertainym
  /// (`\`: urban → city), from the first `senses` senses of each part of speech; not the word's synonyms.
  public func derivationalRelatives(of word: String, senses: Int = 2) -> Set<String> {
    var out = Set<String>()
    for pos in PartOfSpeech.allCases {
      for sense in synsets(of: word, pos: pos).prefix(senses) {
        for target in synset(sense)?.derived ?? [] { out.formUnion(synset(target)?.words ?? []) }
      }
    }
    return out
  }

  /// The lemmas a word's definitions use: the base forms of the words (three letters or more) in the
  /// glosses of its first `senses` senses of each part of speech, example sentences left out ("urban:
  /// located in or characteristic of a city" gives locate, characteristic, city, …). Two words whose
  /// definitions name each other are related in meaning even when no WordNet link joins them.
  public func definitionLemmas(of word: String, senses: Int = 2) -> Set<String> {
    var out = Set<String>()
    for pos in PartOfSpeech.allCases {
      for sense in synsets(of: word, pos: pos).prefix(senses) {
        guard let gloss = synset(sense)?.gloss else { continue }
        let definition = gloss.split(separator: "\"", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        for w in definition.lowercased().split(whereSeparator: { !$0.isLetter }) where w.count >= 3 {
          out.formUnion(baseForms(of: String(w)))
        }
      }
    }
    return out
  }

  /// The first definition among `word`'s first `senses` senses of each part of speech that uses `lemma`
  /// (see `definitionLemmas`), without its example sentences.
  public func definition(of word: String, using lemma: String, senses: Int = 2) -> String? {
    for pos in PartOfSpeech.allCases {
      for sense in synsets(of: word, pos: pos).prefix(senses) {
        guard let gloss = synset(sense)?.gloss else { continue }
        let definition = gloss.split(separator: "\"", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let uses = definition.lowercased().split(whereSeparator: { !$0.isLetter })
          .contains { $0.count >= 3 && baseForms(of: String($0)).contains(lemma) }
        if uses { return definition.trimmingCharacters(in: CharacterSet(charactersIn: " ;")) }
      }
    }
    return nil
  }

  /// Words that name kinds of what `word` names, for finding text about it: the synonyms of its first
  /// `senses` noun senses, then the words of the synsets below them (hyponyms, breadth first, `depth`
  /// levels: disease → infection, plague, measles, flu, …), then its derivational relatives (death → die).
  /// A word is kept only when it is one word, not a name, its own first noun sense lies in the topic's
  /// tree (so a word whose usual meaning is elsewhere does not stand for the topic: "young", a sense of an
  /// animal's offspring, is not "animals" text) and it is mainly a noun. At most `limit` words, in that
  /// order, lower-case, without `word` and its base forms.
  public func topicRelatives(of word: String, senses: Int = 2, depth: Int = 4, limit: Int = 400) -> [String] {
    let w = word.lowercased()
    let roots = Array(synsets(of: w, pos: .noun).prefix(senses))
    var levels: [[SynsetID]] = [roots]
    var tree = Set(roots)
    let nouns = synsetTable[.noun] ?? [:]
    for _ in 0 ..< max(0, depth) {
      let frontier = Set(levels[levels.count - 1])
      // More general kinds first (more synsets below them), so a limit keeps "infection" over one rare fever.
      let next = nouns.values.filter { s in !tree.contains(s.id) && s.hypernyms.contains { frontier.contains($0) } }.map(\.id)
        .sorted { (descendants[$0] ?? 0, $1) > (descendants[$1] ?? 0, $0) }
      if next.isEmpty { break }
      levels.append(next)
      tree.formUnion(next)
    }
    var out: [String] = []
    var seen = baseForms(of: w).union([w])
    // A candidate stands for the topic only when its own first noun sense lies in the topic's tree (for
    // the synonyms too: "conditions" is a synonym of weather, but first means a state of affairs) and it
    // is mainly a noun: "cold" has 3 noun senses (the first a disease) and 14 adjective ones.
    func take(_ candidate: String) {
      guard out.count < limit, candidate.count >= 3, candidate.allSatisfy(\.isLetter), seen.insert(candidate).inserted else { return }
      let senses = synsets(of: candidate, pos: .noun)
      guard let first = senses.first, tree.contains(first), senses.count >= synsets(of: candidate, pos: .adjective).count,
        senses.count >= synsets(of: candidate, pos: .verb).count else { return }
      out.append(candidate)
    }
    for level in levels {
      for id in level {
        guard let s = synset(id) else { continue }
        // Names and acronyms ("York", a royal house; "ARDS") rarely name the kind in running text.
        for (k, member) in s.words.enumerated() where !(k < s.capitalised.count && s.capitalised[k]) { take(member) }
      }
    }
    // Derivations of the word's first sense of each part of speech, by their first lemma and only when it
    // shares the word's first letter (death → die; not "pass", a synonym of die, nor "create" from
    // "creature", a synonym of animal).
    for pos in PartOfSpeech.allCases {
      for target in synsets(of: w, pos: pos).prefix(1).flatMap({ synset($0)?.derived ?? [] }) {
        guard let first = synset(target)?.words.first, out.count < limit, first.count >= 3, first.allSatisfy(\.isLetter),
          first.first == w.first, seen.insert(first).inserted else { continue }
        out.append(first)
      }
    }
    return out
  }

  /// Whether WordNet knows the word (in any form) as this part of speech, or any.
  public func knows(_ word: String, pos: PartOfSpeech? = nil) -> Bool { !synsets(of: word, pos: pos).isEmpty }

  // MARK: - Hypernyms

  /// The synset's "parents": its hypernyms, or for an adjective satellite the head it is similar to.
  func parents(_ id: SynsetID) -> [SynsetID] {
    guard let s = synset(id) else { return [] }
    if !s.hypernyms.isEmpty { return s.hypernyms }
    return s.isSatellite ? s.similar : []
  }

  /// From the synset up to a root, following the first hypernym at each step (the synset first).
  public func hypernymChain(_ id: SynsetID) -> [SynsetID] {
    var chain = [id], seen: Set<SynsetID> = [id]
    while let up = parents(chain[chain.count - 1]).first, seen.insert(up).inserted { chain.append(up) }
    return chain
  }

  /// Every ancestor of the synset along all hypernym paths, with its shortest distance (the synset: 0).
  public func ancestors(_ id: SynsetID) -> [SynsetID: Int] {
    var out: [SynsetID: Int] = [id: 0]
    var frontier = [id], distance = 0
    while !frontier.isEmpty {
      distance += 1
      var next: [SynsetID] = []
      for s in frontier {
        for up in parents(s) where out[up] == nil {
          out[up] = distance
          next.append(up)
        }
      }
      frontier = next
    }
    return out
  }

  /// Steps from the synset to a root along its shortest hypernym path (a root: 0).
  public func depth(_ id: SynsetID) -> Int {
    var frontier = [id], seen: Set<SynsetID> = [id], d = 0
    while true {
      var next: [SynsetID] = []
      for s in frontier {
        let up = parents(s)
        if up.isEmpty { return d }
        for u in up where seen.insert(u).inserted { next.append(u) }
      }
      if next.isEmpty { return d }
      frontier = next
      d += 1
    }
  }

  /// How many synsets lie below this one (hyponyms at any depth, counted along every path).
  public func hyponymCount(_ id: SynsetID) -> Int { descendants[id] ?? 0 }

  /// How specific a synset is, from 0 (a root above everything) to 1 (a leaf): 1 − log(1 + hyponyms) /
  /// log(1 + synsets of its part of speech). Adjectives and adverbs, which have no hypernym trees, count
  /// as specific.
  public func specificity(_ id: SynsetID) -> Double {
    guard id.pos == .noun || id.pos == .verb else { return 1 }
    let total = Double(totals[id.pos] ?? 1)
    return 1 - Foundation.log(1 + Double(descendants[id] ?? 0)) / Foundation.log(1 + total)
  }

  /// The lowest common hypernym of a set of words and what it covers.
  public struct CommonHypernym: Sendable, Equatable {
    public var synset: SynsetID
    public var covered: [String]        // the input words under it, in input order
    public var coverage: Double         // their share of the total weight
    public var specificity: Double
  }

  /// The synset that best names what the words have in common: among the ancestors of each word's first
  /// `senses` senses (the words' own synsets included), the one with the highest coverage × (½ +
  /// specificity), covering at least `minimumWords` words and a `minimumCoverage` share of the weight.
  /// Words WordNet does not know count in the total weight and are never covered. Nil if no synset
  /// qualifies or every candidate is more general than `maximumGenerality` (1 − specificity).
  public func commonHypernym(of words: [(word: String, weight: Double)], parts: [PartOfSpeech] = [.noun, .verb, .adjective],
                             senses: Int = 2, minimumWords: Int = 2, minimumCoverage: Double = 0.5,
                             maximumGenerality: Double = 0.75) -> CommonHypernym? {
    let total = words.reduce(0) { $0 + max(0, $1.weight) }
    guard total > 0 else { return nil }
    var weight: [SynsetID: Double] = [:]
    var members: [SynsetID: [Int]] = [:]
    for (i, entry) in words.enumerated() where entry.weight > 0 {
      var reached = Set<SynsetID>()
      for pos in parts {
        for sense in synsets(of: entry.word, pos: pos).prefix(senses) { reached.formUnion(ancestors(sense).keys) }
      }
      for s in reached {
        weight[s, default: 0] += entry.weight
        members[s, default: []].append(i)
      }
    }
    var best: (id: SynsetID, score: Double, coverage: Double, specificity: Double)?
    for (id, w) in weight {
      let covered = members[id]?.count ?? 0
      let coverage = w / total, specific = specificity(id)
      guard covered >= minimumWords, coverage >= minimumCoverage, 1 - specific <= maximumGenerality else { continue }
      let score = coverage * (0.5 + specific)
      if let b = best, b.score > score || (b.score == score && b.id < id) { continue }
      best = (id, score, coverage, specific)
    }
    guard let best else { return nil }
    return CommonHypernym(synset: best.id, covered: (members[best.id] ?? []).sorted().map { words[$0].word },
                          coverage: best.coverage, specificity: best.specificity)
  }

  /// Every synset at or below `root` reached from the word's first `senses` senses.
  public func isKind(_ word: String, of root: SynsetID, senses: Int = 2) -> Bool {
    synsets(of: word, pos: root.pos).prefix(senses).contains { ancestors($0)[root] != nil }
  }

  // MARK: - Names

  /// The synset's head word as a reader would name the class: a noun in the plural ("diseases",
  /// "people"), otherwise its first lemma.
  public func name(_ id: SynsetID, plural: Bool = true) -> String {
    guard let head = synset(id)?.words.first else { return id.description }
    return id.pos == .noun && plural ? pluralForm(head) : head
  }

  /// The plural of a noun: WordNet's irregular forms (from noun.exc), then English spelling rules; a
  /// compound changes its last word ("infectious disease" -> "infectious diseases").
  public func pluralForm(_ noun: String) -> String {
    if let irregular = irregularPlurals[noun] { return irregular }
    if noun == "person" { return "people" }
    // "body of water": the head before the preposition takes the plural ("bodies of water").
    for preposition in [" of ", " in ", " for ", " on "] {
      if let range = noun.range(of: preposition) {
        return pluralForm(String(noun[..<range.lowerBound])) + String(noun[range.lowerBound...])
      }
    }
    if let space = noun.lastIndex(of: " ") {
      return String(noun[...space]) + pluralForm(String(noun[noun.index(after: space)...]))
    }
    if let irregular = irregularPlurals[noun] { return irregular }
    let vowels: Set<Character> = ["a", "e", "i", "o", "u"]
    if noun.hasSuffix("y"), noun.count > 1, !vowels.contains(noun[noun.index(noun.endIndex, offsetBy: -2)]) {
      return String(noun.dropLast()) + "ies"
    }
    for ending in ["s", "x", "z", "ch", "sh"] where noun.hasSuffix(ending) { return noun + "es" }
    return noun + "s"
  }
}
