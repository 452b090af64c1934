import Foundation

// Files of the Debian `calendar` package (BSD calendar(1) format): a C-preprocessed text with a comment
// header, include guards, settings (LANG=UTF-8, Easter=Pasen), and dated entries, one per line, tab-separated
// ("01/06*\tParshat Shemot", "jan/01\tNieuwjaar"), with continuation lines starting with a tab.
//
// The filter ("calendar (filtered)" in FACTS §3.1), decided from what the package holds (67 regular files):
// - 16 files have no entry of their own: calendar.all, calendar.world and the per-language shims
//   (calendar.french, de_DE/calendar.all, ...) are only #include lines. They are dropped.
// - 6 files have fewer than 10 entries (southafrica 8, pt_BR holidays 8 and mcommemorative 5, uk_UA holiday 9
//   and misc 2, de_DE wissenschaft 5): mostly comment header and boilerplate. They are dropped too.
// - The rest, 45 files, are documents; this matches FACTS' 45. The symlink calendar.judaic is not a regular file.
// In each kept file the preprocessor lines (#include, #ifndef, #define, #endif, #undef) and settings lines
// (NAME=value) are removed and runs of blank lines collapse to one; comments and entries stay as they are.

public enum CalendarFiles {
  /// Files with fewer dated entries than this are not documents.
  public static let minimumEntries = 10

  /// Number of entry lines: outside comments, not preprocessor or settings lines, not continuations, not blank.
  public static func entryCount(_ text: String) -> Int {
    var count = 0
    var inComment = false
    for line in TextCleaner.lines(text) {
      var visible = ""
      var rest = line[...]
      while !rest.isEmpty {
        if inComment {
          guard let end = rest.range(of: "*/") else { rest = ""; break }
          rest = rest[end.upperBound...]
          inComment = false
        } else if let start = rest.range(of: "/*") {
          visible += rest[..<start.lowerBound]
          rest = rest[start.upperBound...]
          inComment = true
        } else {
          visible += rest
          rest = ""
        }
      }
      guard let first = visible.first, first != "\t" else { continue }  // a tab starts a continuation line
      if first == "#" || isSetting(visible[...]) || visible.allSatisfy(\.isWhitespace) { continue }
      count += 1
    }
    return count
  }

  /// The file without preprocessor and settings lines, blank runs collapsed.
  public static func document(_ text: String) -> String {
    var lines: [Substring] = []
    for line in TextCleaner.lines(text) {
      if line.hasPrefix("#") || isSetting(line) { continue }
      let blank = line.allSatisfy(\.isWhitespace)
      if blank, let last = lines.last, last.allSatisfy(\.isWhitespace) { continue }
      lines.append(blank ? "" : line)
    }
    return lines.joined(separator: "\n")
  }

  /// "LANG=UTF-8", "Easter=Pasen": an identifier followed by "=".
  static func isSetting(_ line: Substring) -> Bool {
    guard let equals = line.firstIndex(of: "="), equals > line.startIndex else { return false }
    return line[..<equals].allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
  }
}
