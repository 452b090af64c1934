import Corpus
import Foundation
import Testing

@Suite("Concept-rich sources: WordNet glosses and The Devil's Dictionary")
struct ConceptSourceTests {
  @Test("WordNet data lines become 'lemmas: gloss' lines, grouped by lexicographer file, license header skipped")
  func wordnetGlosses() {
    let text = """
      0 license header line starts with two spaces (after this literal's indentation is removed)
    00000001 26 n 03 measles 0 rubeola 0 morbilli 0 001 @ 00000005 n 0000 | an acute and highly contagious viral disease  
    00000002 05 n 02 house_cat 0 pussy(a) 0 000 | any domesticated member of the genus Felis; "the cat sat"  
    00000003 26 n 01 plague 0 000 | a serious (sometimes fatal) infection  
    """
    let docs = WordNetGlosses.documents(dataFile: text, part: "noun")
    #expect(docs.map(\.name) == ["wordnet/noun.animal #1", "wordnet/noun.state #1"])
    #expect(docs[0].text == "house cat, pussy: any domesticated member of the genus Felis; \"the cat sat\"")
    #expect(docs[1].text == "measles, rubeola, morbilli: an acute and highly contagious viral disease\nplague: a serious (sometimes fatal) infection")
  }

  @Test("Devil's Dictionary entries start at an upper-case headword with a part of speech; the preface is skipped")
  func devilEntries() {
    let text = """
    PREFACE
    The Devil's Dictionary was begun in a weekly paper in 1881, and so on.

    ABSURDITY, n.  A statement or belief manifestly inconsistent with
    one's own opinion.

    ACADEMY, n.  [from {ACADEME}]   A modern school where football is
    taught.

        A verse inside the entry,
        indented.
                                  G.J.
    """
    let entries = DevilsDictionary.entries(text)
    #expect(entries.map(\.name) == ["devil/ABSURDITY", "devil/ACADEMY"])
    #expect(entries[0].text.hasPrefix("ABSURDITY, n.  A statement"))
    #expect(entries[1].text.contains("[from ACADEME]") && entries[1].text.contains("G.J."))
    #expect(DevilsDictionary.headword("AIR, n.  A nutritious substance") == "AIR")
    #expect(DevilsDictionary.headword("The Devil's Dictionary, n. thing") == nil)
    #expect(DevilsDictionary.headword("PREFACE") == nil)
  }

  @Test("gzip with dictzip's extra header field inflates; anything else is an error naming the file")
  func gunzip() throws {
    let dz = URL(fileURLWithPath: DefaultCorpus.devilFile)
    if let data = FileManager.default.contents(atPath: dz.path) {   // real data when dict-devil is installed
      let text = String(decoding: try DevilsDictionary.gunzip([UInt8](data), path: dz.path), as: UTF8.self)
      let entries = DevilsDictionary.entries(text)
      #expect(entries.count > 900)
      #expect(entries.contains { $0.name == "devil/ABSURDITY" })
    }
    #expect(throws: CorpusError.self) { try DevilsDictionary.gunzip(Array("not gzip at all, plainly".utf8), path: "x.dz") }
  }
}
