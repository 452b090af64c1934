/// The words `probe` looks for in the corpus when a topic is given as a word or phrase, and the small
/// stemmer the site's search shares with it.
///
/// `expand` is the one place that decides a topic's relatives: today the topic's content words with their
/// inflections and a few derivations ("disease" → diseases, diseased; "war and weapons" → war, wars,
/// warring, weapon, weapons, ...), plus any related words the caller passes (embedding neighbours, or a
/// lexicon's synonyms and hyponyms once one is available).
public enum TopicTerms {
  /// Words that never carry a topic on their own.
  static let stopWords: Set<String> = [
    "a", "an", "and", "or", "the", "of", "in", "on", "for", "to", "with", "about", "at", "by", "from", "as", "&",
  ]

  /// Content words of a topic phrase, lower-cased: "War and Weapons" → ["war", "weapons"].
  public static func words(_ topic: String) -> [String] {
    var out: [String] = []
    var current = ""
    for ch in topic.lowercased() {
      if ch.isLetter || ch == "'" || ch == "-" { current.append(ch) } else {
        if !current.isEmpty { out.append(current) }
        current = ""
      }
    }
    if !current.isEmpty { out.append(current) }
    var seen = Set<String>()
    return out.filter { !stopWords.contains($0) && seen.insert($0).inserted }
  }

  /// Every word form to look for, lower-case, sorted and unique: the inflections of the topic's content
  /// words and the plurals of `related` (a relative's other inflections are often other words: grippe →
  /// "gripping", warble → "warbler").
  public static func expand(_ topic: String, related: [String] = []) -> [String] {
    var forms = Set<String>()
    for word in words(topic) {
      forms.insert(word)
      forms.formUnion(inflections(word))
    }
    for word in related.flatMap(words) {
      forms.insert(word)
      forms.insert(plural(word))
    }
    return forms.filter { $0.count >= 2 }.sorted()
  }

  /// The regular plural of a noun ("flu" → "flus", "crutch" → "crutches", "army" → "armies").
  public static func plural(_ word: String) -> String {
    let w = word.lowercased()
    guard let last = w.last else { return w }
    if ["s", "x", "z"].contains(last) || w.hasSuffix("ch") || w.hasSuffix("sh") { return w + "es" }
    if last == "y", w.count > 1, !"aeiou".contains(w.dropLast().last ?? "a") { return w.dropLast() + "ies" }
    return w + "s"
  }

  /// A crude stem: the word without one common inflectional ending ("diseases" → "disease",
  /// "warring" → "war", "studied" → "study"). The site's search applies the same rules in JavaScript.
  public static func stem(_ word: String) -> String {
    let w = word.lowercased()
    func dropping(_ n: Int) -> String { String(w.dropLast(n)) }
    if w.count > 4, w.hasSuffix("ies") { return dropping(3) + "y" }
    if w.count > 4, w.hasSuffix("ied") { return dropping(3) + "y" }
    if w.count > 5, w.hasSuffix("ing") { return undoubled(dropping(3)) }
    if w.count > 4, w.hasSuffix("ed") { return undoubled(dropping(2)) }
    if w.count > 4, w.hasSuffix("es"), ["ss", "x", "z", "ch", "sh"].contains(where: { dropping(2).hasSuffix($0) }) { return dropping(2) }
    if w.count > 3, w.hasSuffix("s"), !w.hasSuffix("ss"), !w.hasSuffix("us"), !w.hasSuffix("is") { return dropping(1) }
    return w
  }

  /// "warr" → "war" (a doubled final consonant left by -ing/-ed); other stems unchanged.
  private static func undoubled(_ s: String) -> String {
    guard s.count >= 3, let last = s.last, let before = s.dropLast().last, last == before,
      !"aeiouls".contains(last) else { return s }
    return String(s.dropLast())
  }

  /// Inflections and a few derivations of a word (forms that are not words do no harm: they never match).
  public static func inflections(_ word: String) -> [String] {
    let w = word.lowercased()
    var bases: Set<String> = [w]
    let stemmed = stem(w)
    bases.insert(stemmed)
    if w.hasSuffix("s"), w.count > 3 { bases.insert(String(w.dropLast())) }         // mathematics → mathematic
    var out = Set<String>()
    for b in bases where b.count >= 2 {
      out.insert(b)
      let last = b.last ?? " "
      let vowels: Set<Character> = ["a", "e", "i", "o", "u"]
      let consonantY = last == "y" && b.count > 1 && !vowels.contains(b.dropLast().last ?? "a")
      // Plurals and third person.
      if ["s", "x", "z"].contains(last) || b.hasSuffix("ch") || b.hasSuffix("sh") { out.insert(b + "es") }
      else if consonantY { out.insert(b.dropLast() + "ies") }
      else { out.insert(b + "s") }
      // Past and participles.
      if last == "e" {
        out.insert(b + "d"); out.insert(b.dropLast() + "ing")
      } else if consonantY {
        out.insert(b.dropLast() + "ied"); out.insert(b + "ing")
      } else {
        out.insert(b + "ed"); out.insert(b + "ing")
        // Short consonant-vowel-consonant words double their last letter: war → warring, warred.
        let chars = Array(b)
        if chars.count >= 3, !vowels.contains(last), !"wxy".contains(last), vowels.contains(chars[chars.count - 2]),
          !vowels.contains(chars[chars.count - 3]) {
          out.insert(b + String(last) + "ing"); out.insert(b + String(last) + "ed")
        }
      }
      // Agent nouns and adjectives.
      if last == "e" { out.insert(b + "r"); out.insert(b + "rs") } else { out.insert(b + "er"); out.insert(b + "ers") }
      if last == "y" { out.insert(b.dropLast() + "ily") } else { out.insert(b + "ly") }
      if last == "c" { out.insert(b + "al") }                                             // mathematic → mathematical
      out.insert(b + "'s")
    }
    return out.sorted()
  }
}
