import AtlasArtifacts
import Foundation

/// Makes a PDF printed by Chromium reproducible: its creation and modification dates (the only bytes that
/// change between two prints of the same page) are set to a fixed time, and a trailer `/ID`, if present, to
/// a digest of the document. Every replacement keeps its byte length, so the cross-reference table's
/// offsets stay valid.
public enum PDFStamp {
  public enum StampError: Error, CustomStringConvertible, Equatable {
    case notPDF(firstBytes: String)
    case unexpectedDate(key: String, found: String)
    case badTimestamp(String)

    public var description: String {
      switch self {
      case .notPDF(let first):
        "the printed file is not a PDF (it starts with \(first.debugDescription), expected \"%PDF-\"); re-run, or print briefing.html from a browser"
      case .unexpectedDate(let key, let found):
        "the PDF's \(key) is \(found.debugDescription), expected a date like D:20260102030405+00'00' or D:20260102030405Z; this Chromium writes dates this tool cannot fix in place"
      case .badTimestamp(let text):
        "the atlas's createdAt \(text.debugDescription) is not an ISO 8601 time like 2026-01-02T03:04:05Z; rebuild the atlas (feature-atlas build)"
      }
    }
  }

  /// The date values in `pdf` set to `timestamp` (ISO 8601, UTC), lengths kept.
  public static func stamp(_ pdf: Data, timestamp: String) throws -> Data {
    var bytes = [UInt8](pdf)
    guard bytes.starts(with: Array("%PDF-".utf8)) else {
      throw StampError.notPDF(firstBytes: String(decoding: bytes.prefix(8), as: UTF8.self))
    }
    let digits = try dateDigits(timestamp)   // "YYYYMMDDHHmmSS"
    for key in ["/CreationDate", "/ModDate"] {
      var from = 0
      while let at = find(Array("\(key) (".utf8), in: bytes, from: from) {
        let start = at + key.utf8.count + 2
        guard let end = bytes[start...].firstIndex(of: UInt8(ascii: ")")) else { break }
        let found = String(decoding: bytes[start ..< end], as: UTF8.self)
        let replacement: String
        if found.count == 23, found.hasPrefix("D:"), found.dropFirst(16).first == "+" || found.dropFirst(16).first == "-" {
          replacement = "D:" + digits + "+00'00'"
        } else if found.count == 17, found.hasPrefix("D:"), found.hasSuffix("Z") {
          replacement = "D:" + digits + "Z"
        } else {
          throw StampError.unexpectedDate(key: key, found: found)
        }
        bytes.replaceSubrange(start ..< end, with: Array(replacement.utf8))
        from = end
      }
    }
    // A file identifier, when present: each hex string replaced by a digest of the document (dates fixed).
    if let at = find(Array("/ID [".utf8), in: bytes, from: 0) {
      var digest = SHA256()
      digest.update(Data(bytes))
      let hex = Array(digest.hexDigest().utf8)
      var k = at + 5
      while k < bytes.count, bytes[k] != UInt8(ascii: "]") {
        if bytes[k] == UInt8(ascii: "<"), let close = bytes[(k + 1)...].firstIndex(of: UInt8(ascii: ">")) {
          for (n, i) in (k + 1 ..< close).enumerated() { bytes[i] = hex[n % hex.count] }
          k = close
        }
        k += 1
      }
    }
    return Data(bytes)
  }

  /// "2026-12-05T14:52:36Z" -> "20261205145236".
  static func dateDigits(_ timestamp: String) throws -> String {
    let digits = timestamp.filter(\.isNumber)
    guard timestamp.count >= 19, digits.count >= 14 else { throw StampError.badTimestamp(timestamp) }
    return String(digits.prefix(14))
  }

  static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
    guard !needle.isEmpty, haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
    var i = from
    while i <= haystack.count - needle.count {
      if haystack[i] == needle[0], haystack[i ..< i + needle.count].elementsEqual(needle) { return i }
      i += 1
    }
    return nil
  }

  /// Pages of a PDF as Chromium (Skia) writes them: `/Type /Page` objects.
  public static func pageCount(_ pdf: Data) -> Int {
    let bytes = [UInt8](pdf)
    let needle = Array("/Type /Page".utf8)
    var count = 0
    var from = 0
    while let at = find(needle, in: bytes, from: from) {
      let next = at + needle.count
      if next < bytes.count, bytes[next] != UInt8(ascii: "s") { count += 1 }
      from = next
    }
    return count
  }
}
