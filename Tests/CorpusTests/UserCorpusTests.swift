import Corpus
import Foundation
import Testing

@Suite("User corpora")
struct UserCorpusTests {
  @Test("A directory is read recursively in sorted path order; binaries skipped, invalid UTF-8 replaced, others ignored")
  func directory() throws {
    let scratch = try Scratch("directory")
    defer { scratch.remove() }
    try scratch.write("b.txt", "Second file.\r\n")
    try scratch.write("a.md", "# First\n\nA markdown file.")
    try scratch.write("sub/deeper/c.TXT", "Deep \u{1B}[1mbold\u{1B}[0m file.")
    try scratch.write("sub/latin1.txt", Array("caf".utf8) + [0xE9] + Array(" au lait".utf8))
    try scratch.write("sub/image.txt", [0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52])
    try scratch.write("notes.rtf", "{\\rtf1 ignored}")
    try scratch.write(".hidden/secret.txt", "hidden")
    try scratch.write("empty.txt", "  \n\n ")

    let corpus = try Corpus.load(CorpusConfiguration(sources: [WeightedSource(.directory(path: scratch.url.path))]))
    let source = try #require(corpus.sources.first)
    #expect(source.documents.map(\.name) == ["a.md", "b.txt", "sub/deeper/c.TXT", "sub/latin1.txt"])
    #expect(source.documents.map(\.text) == [
      "# First\n\nA markdown file.", "Second file.", "Deep bold file.", "caf\u{FFFD} au lait",
    ])
    #expect(source.statistics.filesRead == 6)
    #expect(source.statistics.skippedFiles == 1)
    #expect(source.statistics.ignoredFiles == 1)
    #expect(source.statistics.replacedInvalidUTF8 == 1)
    #expect(source.statistics.emptyDocuments == 1)
    #expect(source.warnings.contains { if case .skippedBinary(let path) = $0 { path.hasSuffix("sub/image.txt") } else { false } })
    #expect(source.warnings.contains(.replacedInvalidUTF8(path: scratch.url.appendingPathComponent("sub/latin1.txt").path, count: 1)))
  }

  @Test("JSONL: one document per line with the text key; bad lines are counted and listed by number")
  func jsonl() throws {
    let scratch = try Scratch("jsonl")
    defer { scratch.remove() }
    let file = try scratch.write("data.jsonl", """
      {"text": "first document", "id": 1}
      not json at all
      {"content": "wrong key"}

      [1, 2, 3]
      {"text": "second\\ndocument"}
      {"text": 42}
      {"text": "third"}
      """)
    let corpus = try Corpus.load(CorpusConfiguration(sources: [WeightedSource(.jsonl(path: file.path, textKey: "text"))]))
    let source = try #require(corpus.sources.first)
    #expect(source.documents.map(\.text) == ["first document", "second\ndocument", "third"])
    #expect(source.documents.map(\.name) == ["data.jsonl:1", "data.jsonl:6", "data.jsonl:8"])
    #expect(source.statistics.badLines == 4)
    #expect(source.warnings == [.badJSONLines(path: file.path, count: 4, lineNumbers: [2, 3, 5, 7], key: "text")])
    #expect(source.warnings[0].description.contains("line(s) 2, 3, 5, 7"))
  }

  @Test("JSONL with no usable line is an error that names the keys it saw")
  func jsonlUnusable() throws {
    let scratch = try Scratch("jsonl-bad")
    defer { scratch.remove() }
    let file = try scratch.write("chat.jsonl", "{\"content\": \"a\"}\n{\"content\": \"b\", \"role\": \"user\"}\nnope\n")
    #expect {
      try Corpus.load(CorpusConfiguration(sources: [WeightedSource(.jsonl(path: file.path, textKey: "text"))]))
    } throws: { error in
      guard let error = error as? CorpusError,
        case .noUsableJSONLines(_, let lines, let notObjects, let missingKey, _, let keys) = error
      else { return false }
      return lines == 3 && notObjects == 1 && missingKey == 2 && keys == ["content", "role"]
        && error.description.contains("--text-key") && error.description.contains("content, role")
    }
  }

  @Test("A single text file is one document; a directory source given a missing path says what was expected")
  func singleFile() throws {
    let scratch = try Scratch("single")
    defer { scratch.remove() }
    let file = try scratch.write("book.txt", "Chapter 1\n\nIt was a dark night.\n\nChapter 2\n\nDawn.\n")
    let corpus = try Corpus.load(CorpusConfiguration(sources: [WeightedSource(.file(path: file.path))]))
    #expect(corpus.sources[0].documents == [CorpusDocument(name: "book.txt", text: "Chapter 1\n\nIt was a dark night.\n\nChapter 2\n\nDawn.")])
    #expect(CorpusSource.detect(path: file.path) == .file(path: file.path))
    #expect(CorpusSource.detect(path: scratch.url.path) == .directory(path: scratch.url.path))
    #expect(CorpusSource.detect(path: "x.JSONL", textKey: "body") == .jsonl(path: "x.JSONL", textKey: "body"))
    #expect(throws: CorpusError.notFound(path: scratch.url.path + "/none", expected: "a directory of .txt / .md files")) {
      try Corpus.load(CorpusConfiguration(sources: [WeightedSource(.directory(path: scratch.url.path + "/none"))]))
    }
  }

  @Test("Several sources load in order, each with its weight")
  func severalSources() throws {
    let scratch = try Scratch("several")
    defer { scratch.remove() }
    let a = try scratch.write("a.txt", "alpha")
    let b = try scratch.write("b.jsonl", "{\"text\": \"beta\"}\n{\"text\": \"gamma\"}\n")
    let corpus = try Corpus.load(CorpusConfiguration(sources: [
      WeightedSource(.file(path: a.path), weight: 1), WeightedSource(.jsonl(path: b.path, textKey: "text"), weight: 3),
    ]))
    #expect(corpus.sources.map(\.weight) == [1, 3])
    #expect(corpus.sources.map(\.kind) == ["file", "jsonl"])
    #expect(corpus.documentCount == 3)
  }

  @Test("An empty corpus is an error saying what was read and what to pass instead")
  func emptyCorpus() throws {
    let scratch = try Scratch("empty")
    defer { scratch.remove() }
    try scratch.write("blank.txt", "\n\n   \n")
    try scratch.write("controls.md", "\u{1B}[0m\u{8}\r\n")
    let binary = try scratch.write("blob.txt", [0, 1, 2, 3])
    do {
      _ = try Corpus.load(CorpusConfiguration(sources: [
        WeightedSource(.directory(path: scratch.url.path)), WeightedSource(.file(path: binary.path)),
      ]))
      Issue.record("an empty corpus loaded")
    } catch let error as CorpusError {
      guard case .emptyCorpus(let read) = error else {
        Issue.record("unexpected error \(error)")
        return
      }
      #expect(read.count == 2)
      let text = error.description
      #expect(text.contains("the corpus is empty"))
      #expect(text.contains("\(scratch.url.path) (directory): 3 file(s) read, 1 binary skipped, 2 empty, 0 document(s)"))
      #expect(text.contains("pass a directory of UTF-8 .txt/.md files, a .jsonl file"))
    }
  }

  @Test("A directory with no .txt/.md file is an error that counts what it found")
  func noTextFiles() throws {
    let scratch = try Scratch("no-text")
    defer { scratch.remove() }
    try scratch.write("a.pdf", "%PDF")
    try scratch.write("b.docx", "PK")
    #expect(throws: CorpusError.noTextFiles(directory: scratch.url.path, ignored: 2, binary: [])) {
      try Corpus.load(CorpusConfiguration(sources: [WeightedSource(.directory(path: scratch.url.path))]))
    }
  }

  @Test("Invalid configuration values are refused with the expected range")
  func invalidConfiguration() {
    #expect(throws: CorpusError.self) { try CorpusConfiguration(sources: []).validate() }
    #expect(throws: CorpusError.self) { try CorpusConfiguration(windowLength: 1).validate() }
    #expect(throws: CorpusError.self) { try CorpusConfiguration(heldOutFraction: 0.9).validate() }
    #expect(throws: CorpusError.self) {
      try CorpusConfiguration(sources: [WeightedSource(.file(path: "x"), weight: 0)]).validate()
    }
    #expect(CorpusConfiguration(tokenBudget: 300_000).windowCount == 2363)  // ceil(300000 / 127)
    #expect(CorpusConfiguration(tokenBudget: 127).windowCount == 1)
    #expect(CorpusConfiguration(tokenBudget: 128).windowCount == 2)
  }
}
