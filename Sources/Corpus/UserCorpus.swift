import Foundation

// User corpora: a folder of text files, a JSONL file, or one text file. Problems inside a source (a binary file,
// a bad JSONL line, invalid UTF-8) are counted and reported as warnings; a source with nothing usable in it is
// an error that says what was found.

enum UserCorpus {
  /// Extensions read from a directory (compared lowercased).
  static let textExtensions: Set<String> = ["txt", "md"]
  /// At most this many line numbers are listed in a bad-JSONL warning.
  static let listedBadLines = 20

  // MARK: - One file

  static func file(_ path: String, weight: Double) throws -> LoadedSource {
    let bytes = try readBytes(path)
    var statistics = SourceStatistics()
    statistics.filesRead = 1
    if TextCleaner.looksBinary(bytes) {
      statistics.skippedFiles = 1
      return LoadedSource(name: path, kind: "file", weight: weight, documents: [], statistics: statistics,
                          warnings: [.skippedBinary(path: path)])
    }
    let (text, replaced) = TextCleaner.decodeUTF8(bytes)
    statistics.replacedInvalidUTF8 = replaced
    let warnings: [CorpusWarning] = replaced > 0 ? [.replacedInvalidUTF8(path: path, count: replaced)] : []
    let name = URL(fileURLWithPath: path).lastPathComponent
    return LoadedSource.cleaned(name: path, kind: "file", weight: weight, raw: [CorpusDocument(name: name, text: text)],
                                statistics: statistics, warnings: warnings)
  }

  // MARK: - A directory

  static func directory(_ path: String, weight: Double) throws -> LoadedSource {
    let root = URL(fileURLWithPath: path)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw CorpusError.notFound(path: path, expected: "a directory of .txt / .md files")
    }
    guard let enumerator = FileManager.default.enumerator(
      at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
    else { throw CorpusError.unreadable(path: path, reason: "the directory cannot be listed") }

    var statistics = SourceStatistics()
    var files: [(relative: String, url: URL)] = []
    let rootPath = root.standardizedFileURL.path
    for case let url as URL in enumerator {
      guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true else { continue }
      guard textExtensions.contains(url.pathExtension.lowercased()) else {
        statistics.ignoredFiles += 1
        continue
      }
      let full = url.standardizedFileURL.path
      let relative = full.hasPrefix(rootPath + "/") ? String(full.dropFirst(rootPath.count + 1)) : url.lastPathComponent
      files.append((relative, url))
    }
    files.sort { $0.relative.utf8.lexicographicallyPrecedes($1.relative.utf8) }

    var warnings: [CorpusWarning] = []
    var raw: [CorpusDocument] = []
    var binary: [String] = []
    for file in files {
      let bytes = try readBytes(file.url.path)
      statistics.filesRead += 1
      if TextCleaner.looksBinary(bytes) {
        statistics.skippedFiles += 1
        binary.append(file.relative)
        warnings.append(.skippedBinary(path: file.url.path))
        continue
      }
      let (text, replaced) = TextCleaner.decodeUTF8(bytes)
      if replaced > 0 {
        statistics.replacedInvalidUTF8 += replaced
        warnings.append(.replacedInvalidUTF8(path: file.url.path, count: replaced))
      }
      raw.append(CorpusDocument(name: file.relative, text: text))
    }
    if statistics.ignoredFiles > 0 { warnings.append(.ignoredFiles(directory: path, count: statistics.ignoredFiles)) }
    let source = LoadedSource.cleaned(name: path, kind: "directory", weight: weight, raw: raw, statistics: statistics,
                                      warnings: warnings)
    if source.documents.isEmpty && source.statistics.emptyDocuments == 0 {
      throw CorpusError.noTextFiles(directory: path, ignored: statistics.ignoredFiles, binary: binary)
    }
    return source
  }

  // MARK: - JSONL

  static func jsonl(_ path: String, textKey: String, weight: Double) throws -> LoadedSource {
    let bytes = try readBytes(path)
    var statistics = SourceStatistics()
    statistics.filesRead = 1
    var warnings: [CorpusWarning] = []
    var raw: [CorpusDocument] = []
    var badLines: [Int] = []
    var nonEmpty = 0
    var notObjects = 0
    var missingKey = 0
    var keysSeen: Set<String> = []
    let name = URL(fileURLWithPath: path).lastPathComponent

    var lineNumber = 0
    for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
      lineNumber += 1
      guard line.contains(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0D) }) else { continue }
      nonEmpty += 1
      let (lineText, replaced) = TextCleaner.decodeUTF8(Array(line))
      statistics.replacedInvalidUTF8 += replaced
      let object = try? JSONSerialization.jsonObject(with: Data(lineText.utf8), options: [.fragmentsAllowed])
      guard let dictionary = object as? [String: Any] else {
        notObjects += 1
        badLines.append(lineNumber)
        continue
      }
      guard let text = dictionary[textKey] as? String else {
        missingKey += 1
        badLines.append(lineNumber)
        keysSeen.formUnion(dictionary.keys)
        continue
      }
      raw.append(CorpusDocument(name: "\(name):\(lineNumber)", text: text))
    }
    statistics.badLines = badLines.count
    if statistics.replacedInvalidUTF8 > 0 {
      warnings.append(.replacedInvalidUTF8(path: path, count: statistics.replacedInvalidUTF8))
    }
    if !badLines.isEmpty {
      warnings.append(.badJSONLines(path: path, count: badLines.count, lineNumbers: Array(badLines.prefix(listedBadLines)),
                                    key: textKey))
    }
    guard !raw.isEmpty else {
      throw CorpusError.noUsableJSONLines(
        path: path, lines: nonEmpty, notObjects: notObjects, missingKey: missingKey, key: textKey,
        keysSeen: keysSeen.sorted())
    }
    return LoadedSource.cleaned(name: path, kind: "jsonl", weight: weight, raw: raw, statistics: statistics,
                                warnings: warnings)
  }

  // MARK: - Bytes

  static func readBytes(_ path: String) throws -> [UInt8] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw CorpusError.notFound(path: path, expected: "a text file, a .jsonl file or a directory of .txt/.md files")
    }
    guard !isDirectory.boolValue else {
      throw CorpusError.unreadable(path: path, reason: "it is a directory; pass it as a directory source")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw CorpusError.unreadable(path: path, reason: "permission denied or not a regular file")
    }
    return [UInt8](data)
  }
}
