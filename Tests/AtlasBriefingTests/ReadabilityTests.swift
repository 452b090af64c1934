import Testing

import AtlasBriefing

/// The Flesch–Kincaid grade against passages whose counts were worked out by hand with the rules
/// documented on `Readability` (grade = 0.39 · words/sentences + 11.8 · syllables/words − 15.59).
@Suite("Readability: Flesch–Kincaid grade")
struct ReadabilityTests {
  @Test("Syllables follow the documented rules, including their exceptions")
  func syllables() {
    let expected: [String: Int] = [
      "the": 1, "cat": 1, "make": 1, "table": 2, "people": 2, "queen": 1, "apple": 2, "apples": 2, "orange": 2,
      "trains": 1, "dictionary": 4, "feature": 2, "features": 2, "changed": 1, "wanted": 2, "boxes": 2, "changes": 2,
      "makes": 1, "interpretability": 7, "research": 2, "studies": 2, "representations": 5, "they": 1, "f0042": 1,
      "It’s": 1, "free": 1,
    ]
    for (word, count) in expected {
      #expect(Readability.syllables(word) == count, "\(word)")
    }
  }

  @Test("Words need a letter; hyphens, slashes and dashes split; numbers are not words")
  func words() {
    #expect(Readability.words("It’s 98.8% well-known, isn’t it?") == ["It’s", "well", "known", "isn’t", "it"])
    #expect(Readability.words("f0042 (“rain”) — and/or 8,192") == ["f0042", "rain", "and", "or"])
    #expect(Readability.words("· 12 %") == [])
  }

  @Test("A sentence ends at . ! or ? before a space, a closing quote or the end; decimals do not end one")
  func sentences() {
    #expect(Readability.sentences("He scored 98.8 points. Then he left!") == 2)
    #expect(Readability.sentences("Wait... what?! “Yes.” Done") == 3)
    #expect(Readability.counts("No terminator here").sentences == 1)
    #expect(Readability.counts("").sentences == 0)
  }

  @Test("Grades of passages counted by hand")
  func grades() throws {
    // 6 words, 6 syllables, 1 sentence: 0.39·6 + 11.8·1 − 15.59 = −1.45
    let cat = try #require(Readability.grade("The cat sat on the mat."))
    #expect(abs(cat - -1.45) < 1e-9)
    #expect(Readability.counts("The cat sat on the mat.") == .init(words: 6, sentences: 1, syllables: 6))

    // 9 words (I like red ap·ples / They taste sweet and good), 10 syllables, 2 sentences:
    // 0.39·4.5 + 11.8·10/9 − 15.59 = −0.72389
    let apples = try #require(Readability.grade("I like red apples. They taste sweet and good!"))
    #expect(abs(apples - (0.39 * 4.5 + 11.8 * 10 / 9 - 15.59)) < 1e-9)
    #expect(abs(apples - -0.723889) < 1e-6)

    // 4 words, 7 + 2 + 2 + 5 = 16 syllables, 1 sentence: 0.39·4 + 11.8·4 − 15.59 = 33.17
    let jargon = try #require(Readability.grade("Interpretability research studies representations."))
    #expect(abs(jargon - 33.17) < 1e-9)

    #expect(Readability.grade("98.8% · 8,192") == nil)
  }

  @Test("Longer sentences and longer words raise the grade")
  func monotone() throws {
    let short = try #require(Readability.grade("We read the text. We saw the words. We kept the best ones."))
    let long = try #require(Readability.grade("We read the text and saw the words and kept the best ones for the map."))
    let latinate = try #require(Readability.grade("We analysed the documentation and identified representative terminology."))
    #expect(short < long)
    #expect(long < latinate)
  }
}
