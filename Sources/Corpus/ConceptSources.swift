import Foundation
import Lexicon
import ZIPFoundation

/// WordNet 3.0's glosses and example sentences as documents: each synset becomes one line
/// "measles, rubeola: an acute and highly contagious viral disease …", and consecutive synsets of one
/// lexicographer file (noun.animal, noun.food, verb.motion, …) make a document of about
/// `synsetsPerDocument` lines, so a window reads as definitions of one domain of life.
package enum WordNetGlosses {
  static let synsetsPerDocument = 24

  /// WordNet's lexicographer files, by number (field 2 of a data line).
  static let lexicographerFiles = [
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact", "noun.attribute",
    "noun.body", "noun.cognition", "noun.communication", "noun.event", "noun.feeling", "noun.food", "noun.group",
    "noun.location", "noun.motive", "noun.object", "noun.person", "noun.phenomenon", "noun.plant", "noun.possession",
    "noun.process", "noun.quantity", "noun.relation", "noun.shape", "noun.state", "noun.substance", "noun.time",
    "verb.body", "verb.change", "verb.cognition", "verb.communication", "verb.competition", "verb.consumption",
    "verb.contact", "verb.creation", "verb.emotion", "verb.motion", "verb.perception", "verb.possession", "verb.social",
    "verb.stative", "verb.weather", "adj.ppl",
  ]

  /// The documents of one `data.<pos>` file's text, in file order within each lexicographer file.
  package static func documents(dataFile text: String, part: String) -> [CorpusDocument] {
    var byFile: [Int: [String]] = [:]
    // Plain Swift string scanning: Foundation's `range(of:)` and `trimmingCharacters(in:)` on substrings
    // went through NSString and made this two thirds of a no-op `feature-atlas build` (the capture stage's
    // check reads the corpus).
    for bytes in text.utf8.split(separator: UInt8(ascii: "\n")) {
      let line = Substring(bytes)
      guard !line.hasPrefix("  "), let bar = WordNetText.bar(line) else { continue }
      let fields = line[..<bar.lowerBound].utf8.split(separator: UInt8(ascii: " ")).map { Substring($0) }
      guard fields.count >= 6, let lexFile = Int(fields[1]), let count = Int(fields[3], radix: 16), fields.count >= 4 + 2 * count
      else { continue }
      var words: [String] = []
      for w in 0 ..< count {
        var word = fields[4 + 2 * w]
        if let open = word.firstIndex(of: "("), word.last == ")" { word = word[..<open] }
        let spelled = WordNetText.spaced(word)
        if !words.contains(spelled) { words.append(spelled) }
      }
      let gloss = WordNetText.trimmed(line[bar.upperBound...])
      byFile[lexFile, default: []].append(words.joined(separator: ", ") + ": " + gloss)
    }
    var out: [CorpusDocument] = []
    for lexFile in byFile.keys.sorted() {
      let lines = byFile[lexFile] ?? []
      let name = lexFile < lexicographerFiles.count ? lexicographerFiles[lexFile] : "\(part).\(lexFile)"
      for (k, start) in stride(from: 0, to: lines.count, by: synsetsPerDocument).enumerated() {
        out.append(CorpusDocument(name: "wordnet/\(name) #\(k + 1)",
                                  text: lines[start ..< min(lines.count, start + synsetsPerDocument)].joined(separator: "\n")))
      }
    }
    return out
  }
}

/// The Devil's Dictionary (Ambrose Bierce, 1911; public domain) from dictd's `devil.dict.dz`: one
/// document per entry ("ABSURDITY, n.  A statement or belief manifestly inconsistent with one's own
/// opinion."), with its verses; the preface and dictd's metadata are left out.
package enum DevilsDictionary {
  /// Entries of the uncompressed dictionary text.
  package static func entries(_ text: String) -> [CorpusDocument] {
    var out: [CorpusDocument] = []
    var current: [Substring] = [], head = ""
    func flush() {
      guard !head.isEmpty else { return }
      let body = current.joined(separator: "\n").replacingOccurrences(of: "{", with: "").replacingOccurrences(of: "}", with: "")
      out.append(CorpusDocument(name: "devil/\(head)", text: body))
    }
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if let entry = headword(line) {
        flush()
        head = entry
        current = [line]
      } else if !head.isEmpty {
        current.append(line)
      }
    }
    flush()
    return out
  }

  /// "ABSURDITY" for a line "ABSURDITY, n.  A statement …": an upper-case headword, a comma, then a part
  /// of speech ending in a dot.
  package static func headword(_ line: Substring) -> String? {
    guard let comma = line.firstIndex(of: ","), let first = line.first, first.isUppercase else { return nil }
    let word = line[..<comma]
    guard word.allSatisfy({ $0.isUppercase || $0 == " " || $0 == "-" || $0 == "'" || $0 == "." }),
          word.count >= 1, word.count <= 40 else { return nil }
    let rest = line[line.index(after: comma)...].drop { $0 == " " }
    guard let dot = rest.firstIndex(of: "."), rest.distance(from: rest.startIndex, to: dot) <= 6,
          rest[..<dot].allSatisfy({ $0.isLowercase || $0 == " " }), rest.startIndex != dot else { return nil }
    return String(word)
  }

  /// The bytes of a gzip file (dictzip is gzip with an extra header field): the header is skipped and the
  /// raw deflate stream inflated.
  package static func gunzip(_ bytes: [UInt8], path: String) throws -> [UInt8] {
    func bad(_ reason: String) -> CorpusError { .unreadableArchive(path: path, reason: reason) }
    guard bytes.count >= 18, bytes[0] == 0x1F, bytes[1] == 0x8B, bytes[2] == 8 else {
      throw bad("not a gzip file (expected the bytes 1f 8b 08 at the start)")
    }
    let flags = bytes[3]
    var offset = 10
    if flags & 0x04 != 0 {   // FEXTRA
      guard offset + 2 <= bytes.count else { throw bad("truncated gzip header") }
      offset += 2 + Int(bytes[offset]) + Int(bytes[offset + 1]) << 8
    }
    for flag in [UInt8(0x08), 0x10] where flags & flag != 0 {   // FNAME, FCOMMENT: zero-terminated
      while offset < bytes.count, bytes[offset] != 0 { offset += 1 }
      offset += 1
    }
    if flags & 0x02 != 0 { offset += 2 }   // FHCRC
    guard offset < bytes.count else { throw bad("truncated gzip header") }
    let compressed = Data(bytes[offset...])
    var out: [UInt8] = []
    do {
      _ = try Data.decompress(size: Int64(compressed.count), bufferSize: 1 << 16, skipCRC32: true,
                              provider: { position, size in
                                compressed.subdata(in: Int(position) ..< min(compressed.count, Int(position) + size))
                              },
                              consumer: { chunk in out.append(contentsOf: chunk) })
    } catch {
      throw bad("inflating failed (\(error))")
    }
    return out
  }
}
